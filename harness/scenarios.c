// The table of every scenario, in lab order. A new scenario is defined in its
// lab's directory (a contract scenario in conformance/scenarios/) and added
// here, after the lessons of its lab.

#include "scenario.h"

extern const struct scenario
    selftest_pass, selftest_fail, selftest_segv, selftest_hang, selftest_exit, selftest_sysv_leak,
    lab01_layout_broken, lab01_layout_fixed,
    lab02_heap_pointers_broken, lab02_region_pointers_broken, lab02_index_links_fixed,
    contract_region_lifecycle, contract_map_at, contract_shared_bytes,
    lab03_offsets_fixed, lab03_self_relative_fixed, lab03_unchecked_offset_broken,
    lab03_checked_offset_fixed, lab03_double_fetch_broken, lab03_read_once_fixed,
    lab03_shrunk_unsealed_broken, lab03_sealed_fixed,
    contract_offset_bounds, contract_null, contract_offset_list, contract_relptr_list, contract_root,
    contract_alloc_basic, contract_alloc_concurrent, contract_scribbled,
    lab04_raw_fd_broken, lab04_scm_rights_fixed, lab04_pidfd_getfd_fixed,
    lab04_exec_cloexec_broken, lab04_exec_inherit_fixed,
    contract_handle_give_take, contract_handle_no_leak, contract_handle_access, contract_handle_move,
    lab05_mq_descriptor_broken, lab05_sysv_queue_fixed, lab05_stale_queue_id_broken, contract_mailbox,
    lab06_function_pointer_broken, lab06_other_build_broken, lab06_vtable_broken, lab06_kind_tag_fixed,
    contract_function_by_name;

const struct scenario *const scenarios[] = {
	&selftest_pass, &selftest_fail, &selftest_segv, &selftest_hang, &selftest_exit, &selftest_sysv_leak,
	&lab01_layout_broken, &lab01_layout_fixed,
	&lab02_heap_pointers_broken, &lab02_region_pointers_broken, &lab02_index_links_fixed,
	&contract_region_lifecycle, &contract_map_at, &contract_shared_bytes,
	&lab03_offsets_fixed, &lab03_self_relative_fixed, &lab03_unchecked_offset_broken,
	&lab03_checked_offset_fixed, &lab03_double_fetch_broken, &lab03_read_once_fixed,
	&lab03_shrunk_unsealed_broken, &lab03_sealed_fixed,
	&contract_offset_bounds, &contract_null, &contract_offset_list, &contract_relptr_list, &contract_root,
	&contract_alloc_basic, &contract_alloc_concurrent, &contract_scribbled,
	&lab04_raw_fd_broken, &lab04_scm_rights_fixed, &lab04_pidfd_getfd_fixed,
	&lab04_exec_cloexec_broken, &lab04_exec_inherit_fixed,
	&contract_handle_give_take, &contract_handle_no_leak, &contract_handle_access, &contract_handle_move,
	&lab05_mq_descriptor_broken, &lab05_sysv_queue_fixed, &lab05_stale_queue_id_broken, &contract_mailbox,
	&lab06_function_pointer_broken, &lab06_other_build_broken, &lab06_vtable_broken, &lab06_kind_tag_fixed,
	&contract_function_by_name,
	NULL,
};
