"""Checks of this suite's own machinery: a leftover check or a failure
message that cannot fail would prove nothing."""
import ctypes
import ctypes.util
import os
import select
import sys

import pytest

from conftest import _TestContext, derive_seed, explain, find_leftovers, snapshot

pytestmark = pytest.mark.lab00

IPC_PRIVATE, IPC_CREAT = 0, 0o1000


def _spawn(code, stdin=None):
    actions = [(os.POSIX_SPAWN_DUP2, stdin, 0)] if stdin is not None else []
    return os.posix_spawn(sys.executable, [sys.executable, "-c", code], os.environ, file_actions=actions)


def test_seed_is_derived_from_session_seed_and_test_id(request, seed):
    session = request.config._shmlab_seed
    assert seed == derive_seed(session, request.node.nodeid)
    assert derive_seed(session, "a") == derive_seed(session, "a")
    assert derive_seed(session, "a") != derive_seed(session, "b")
    assert derive_seed(session, "a") != derive_seed(session + 1, "a")
    assert 0 <= seed < 1 << 32


def test_runs_take_the_test_seed(harness, seed):
    run = harness.run("00-selftest-pass", "fork", procs=2)
    assert run["seed"] == seed, explain(run, f"the test's seed {seed}")


def test_leftover_region_names_are_found_and_only_ours(tmp_path):
    before = snapshot()
    ctx = _TestContext("test", 1, tmp_path)
    # Above the kernel's largest pid (4194304): no real process has them, and
    # a suite running in parallel (another pytest pid) picks other ones.
    ours_pid, foreign_pid = 5000000 + os.getpid(), 10000000 + os.getpid()
    ctx.pids.add(ours_pid)
    ours, foreign = f"shmlab-{ours_pid}-0123456789abcdef", f"shmlab-{foreign_pid}-0123456789abcdef"
    for name in (ours, foreign):
        os.close(os.open(f"/dev/shm/{name}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        found = find_leftovers(before, ctx)
        texts = [what for what, _ in found]
        assert texts == [f"/dev/shm/{ours} still exists"], texts
        for _, cleanup in found:
            cleanup()
        assert not os.path.exists(f"/dev/shm/{ours}")
    finally:
        for name in (ours, foreign):
            if os.path.exists(f"/dev/shm/{name}"):
                os.unlink(f"/dev/shm/{name}")


def test_leftover_children_alive_and_zombie_are_found(tmp_path):
    before = snapshot()
    ctx = _TestContext("test", 1, tmp_path)
    r, w = os.pipe()
    alive = _spawn("import os; os.read(0, 1)", stdin=r)        # waits for us: alive until we act
    os.close(r)
    zombie = _spawn("pass")
    pidfd = os.pidfd_open(zombie)                             # readable once it exited, unreaped
    try:
        exited = select.select([pidfd], [], [], 30)[0]
    finally:
        os.close(pidfd)
    try:
        assert exited, "the child that should become a zombie did not exit within 30 s"
        found = find_leftovers(before, ctx)
        texts = [what for what, _ in found]
        assert any(t.startswith(f"process {alive} ") and "alive" in t for t in texts), texts
        assert any(t.startswith(f"process {zombie} ") and "zombie" in t for t in texts), texts
        for _, cleanup in found:
            cleanup()
        assert not find_leftovers(before, ctx), "the cleanup left something"
    finally:
        os.close(w)
        for pid in (alive, zombie):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def test_leftover_sysv_objects_are_found(tmp_path):
    if not os.path.exists("/proc/sysvipc/shm"):
        pytest.skip("no /proc/sysvipc here")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    before = snapshot()
    ctx = _TestContext("test", 1, tmp_path)
    ctx.pids.add(os.getpid())       # as if pytest were one of the test's runs
    shmid = libc.shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600)
    msqid = libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
    message = (ctypes.c_long * 2)(1, 0)         # mtype 1: a queue records who sent last
    if shmid < 0 or msqid < 0 or libc.msgsnd(msqid, message, ctypes.sizeof(ctypes.c_long), 0) < 0:
        for func, ident in (("shmctl", shmid), ("msgctl", msqid)):
            if ident >= 0:
                getattr(libc, func)(ident, 0, None)
        pytest.skip(f"System V IPC is not available here (errno {ctypes.get_errno()})")
    cleaned = False
    try:
        found = find_leftovers(before, ctx)
        texts = "\n".join(what for what, _ in found)
        assert f"shared memory id {shmid} " in texts and f"message queue id {msqid} " in texts, texts
        for _, cleanup in found:
            cleanup()
        cleaned = True
        after = snapshot()
        assert shmid not in after["sysv_shm"] and msqid not in after["sysv_msg"], "the cleanup left them"
    finally:
        if not cleaned:             # never an id the cleanup freed: it may be someone else's by now
            libc.shmctl(shmid, 0, None)
            libc.msgctl(msqid, 0, None)


def test_explain_carries_everything(harness):
    run = harness.run("02-region-pointers-broken", "distinct", procs=4)
    text = explain(run, "the sentence about what was expected")
    for needle in ["the sentence about what was expected", f"result {run.result}", f"exit status {run.returncode}",
                   f"seed: {run['seed']}", f"--seed {run.session_seed}", f"read: {run['handout']}",
                   f"replay: {run['replay']}"]:
        assert needle in text, f"{needle!r} missing from:\n{text}"
    for w in run.workers:
        for base in w["bases"]:
            assert base in text, f"base {base} missing from:\n{text}"
        assert f"worker {w['index']}: pid {w['pid']}" in text and w["outcome"] in text, text
        for key in ("signal", "fault_address", "fault_where", "message"):
            if w[key]:
                assert w[key] in text, f"worker {w['index']}'s {key} missing from:\n{text}"
    assert any(w["fault_address"] for w in run.workers), "this run was meant to show a fault:\n" + text
