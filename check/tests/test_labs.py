"""Every lab's shared structs through shmlab-check: each broken struct gets
the finding its lesson teaches, and each fixed struct none, on the ABIs the
lesson runs on. The labs mark their structs with SHMLAB_SHARED_TYPE, so no
--type is named here: a mark that goes missing fails the test too.

What no checker can see is left out, and said: lab 04's descriptor and
lab 05's queue descriptor are stored as int32_t, and a number's meaning is
not in its type (the lessons show those failing at run time instead).
"""
import pytest

LINUX = "x86_64-linux,i386-linux"
WINDOWS = "win64,win32"
EVERY = "x86_64-linux,i386-linux,win64,win32"

# (source, ABIs, {type: sorted "class:member" of its errors}, {type: its notes})
CASES = [
    ("labs/01-values-and-structs/broken.c", EVERY,
     {"struct reading": ["abi-layout", "abi-type:count", "abi-type:length", "abi-type:valid",
                         "padding", "padding", "padding", "padding", "pointer:owner"]}, {}),
    ("labs/01-values-and-structs/fixed.c", EVERY, {"struct reading": []}, {}),
    ("labs/learner.h", EVERY, {"struct learner_root": [], "struct learner_header": []}, {}),
    ("labs/02-raw-pointers/broken_heap.c", EVERY,
     {"struct node": ["abi-layout", "padding", "pointer:next"],
      "struct shared_list": ["abi-layout", "pointer:head"]}, {}),
    ("labs/02-raw-pointers/broken_region.c", EVERY,
     {"struct node": ["abi-layout", "padding", "pointer:next"],
      "struct shared_list": ["abi-layout", "padding", "pointer:head", "pointer:slots[i].next"]}, {}),
    ("labs/02-raw-pointers/fixed.c", EVERY, {"struct node": [], "struct shared_list": []}, {}),
    ("labs/03-offsets/offsets.c", EVERY, {"struct node": []}, {}),
    ("labs/03-offsets/self_relative.c", EVERY, {"struct node": [], "struct list_head": []}, {}),
    ("labs/03-offsets/untrusted.c", EVERY, {"struct node": []}, {}),
    ("labs/03-offsets/read_once.c", EVERY, {"struct flipping": []}, {}),
    ("labs/03-offsets/seals.c", LINUX, {"struct news": []}, {}),
    ("labs/04-handles/win32_handoff.h", WINDOWS, {"struct slot": []}, {}),
    ("labs/05-global-names/mq_descriptor.c", LINUX, {"struct mailbox_by_descriptor": []}, {}),
    ("labs/05-global-names/sysv_queue.c", LINUX, {"struct mailbox_by_id": []}, {}),
    ("labs/05-global-names/win32_names.h", WINDOWS, {"struct names": []}, {}),
    ("labs/06-functions/function_pointer.c", EVERY,
     {"struct shape": [], "struct shape_with_area": ["abi-layout", "function-pointer:area", "padding"]}, {}),
    ("labs/06-functions/vtable.c", EVERY,
     {"struct shape": [], "struct shape_object": ["abi-layout", "padding", "pointer:vptr"]}, {}),
    ("labs/06-functions/shapes.h", EVERY, {"struct shape": []}, {}),
    ("labs/06-functions/win32_shapes.h", WINDOWS,
     {"struct shape": [], "struct plugin_shape": ["function-pointer:area", "padding", "padding", "pointer:vptr"]}, {}),
    ("labs/07-locks/atomics.c", EVERY,
     {"struct shared_counters": ["abi-layout", "atomic:n", "padding"], "struct shared_word": []}, {}),
    # Lab 07's POSIX lessons run processes of one ABI: there a process-shared
    # mutex is the fix, and the checker's note says what it asks of its user.
    ("labs/07-locks/private_mutex.c", "x86_64-linux", {"struct waiting_room": []},
     {"struct waiting_room": ["pthread-object:lock"]}),
    ("labs/07-locks/init_once.c", "x86_64-linux", {"struct guarded": []}, {"struct guarded": ["pthread-object:lock"]}),
    ("labs/07-locks/owner_died.c", "x86_64-linux", {"struct account": []}, {"struct account": ["pthread-object:lock"]}),
    # ... and between ABIs the same struct is not one layout: the mutex is the
    # C library's, 40 bytes on x86-64 and 24 on i386 (lab 07, "Where the rule ends").
    ("labs/07-locks/owner_died.c", LINUX, {"struct account": ["abi-layout", "abi-type:lock"]},
     {"struct account": ["pthread-object:lock"]}),
    ("labs/07-locks/win32_locks.h", WINDOWS,
     {"struct locks": ["abi-layout", "padding", "padding", "process-local:cs", "process-local:srw"]}, {}),
]


def described(findings, severity):
    return sorted(f["class"] + (f":{f['member']}" if f["member"] else "")
                  for f in findings if f["severity"] == severity)


@pytest.mark.parametrize("source,abis,errors,notes", CASES,
                         ids=[f"{c[0].split('/')[-1]}@{c[1]}" for c in CASES])
def test_lab_structs(check, source, abis, errors, notes):
    run = check(source, "--abi", abis)
    unable = [a for a in run.json["abis"] if a["status"] != "checked"] if run.json else []
    if unable:
        pytest.skip("; ".join(f"{a['name']}: {a['reason']}" for a in unable))
    assert run.json is not None, run.err
    assert sorted(t["name"] for t in run.json["types"]) == sorted(errors), "the marked types"
    for name, expected in errors.items():
        found = run.type(name)["findings"]
        assert described(found, "error") == expected, f"{name} in {source} on {abis}"
        assert described(found, "note") == notes.get(name, []), f"{name}'s notes"
    assert run.rc == (1 if any(errors.values()) else 0), run.err
