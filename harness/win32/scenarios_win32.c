// The table of the Win32 harness: the scenarios it can run, in lab order.
// Lab 04's lessons are the Win32 half of that lab (labs/04-handles/win32_*.c):
// HANDLEs, not descriptors. Of the contract's scenarios this track has the
// handles feature set's (conformance/scenarios/handles_win32.c), under the
// names and rules of the POSIX ones, testing the DLL given with --impl; the
// core's rules are the POSIX track's.
//
// Lab 01's two scenarios need 32-bit readers: shmlab-worker32.exe, the worker
// built for i686, which Wine runs only with its 32-bit half (wine32). Without
// it they SKIP with two or more workers, saying why.

#include "scenario.h"

extern const struct scenario
    selftest_pass, selftest_fail, selftest_segv, selftest_hang, selftest_exit,
    lab01_layout_broken, lab01_layout_fixed,
    lab02_heap_pointers_broken, lab02_region_pointers_broken, lab02_index_links_fixed,
    lab03_offsets_fixed, lab03_self_relative_fixed, lab03_unchecked_offset_broken,
    lab03_checked_offset_fixed,
    lab04_raw_handle_broken, lab04_duplicate_handle_fixed, lab04_duplicate_read_only_fixed,
    lab04_read_only_widened_broken, lab04_duplicate_close_fixed,
    contract_handle_give_take, contract_handle_no_leak, contract_handle_access, contract_handle_move,
    lab05_hwnd_fixed, lab05_stale_hwnd_broken, lab05_gdi_handle_broken, lab05_gdi_description_fixed,
    lab05_hook_shared;

const struct scenario *const scenarios[] = {
	&selftest_pass, &selftest_fail, &selftest_segv, &selftest_hang, &selftest_exit,
	&lab01_layout_broken, &lab01_layout_fixed,
	&lab02_heap_pointers_broken, &lab02_region_pointers_broken, &lab02_index_links_fixed,
	&lab03_offsets_fixed, &lab03_self_relative_fixed, &lab03_unchecked_offset_broken,
	&lab03_checked_offset_fixed,
	&lab04_raw_handle_broken, &lab04_duplicate_handle_fixed, &lab04_duplicate_read_only_fixed,
	&lab04_read_only_widened_broken, &lab04_duplicate_close_fixed,
	&contract_handle_give_take, &contract_handle_no_leak, &contract_handle_access, &contract_handle_move,
	&lab05_hwnd_fixed, &lab05_stale_hwnd_broken, &lab05_gdi_handle_broken, &lab05_gdi_description_fixed,
	&lab05_hook_shared,
	NULL,
};
