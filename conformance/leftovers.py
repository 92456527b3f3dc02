"""What outlived every run of a pytest session, checked once, at its end.

Each run's own leftovers are the harness's to find (check_leftovers in
harness/posix.c with sysv_leftovers.c, and in win32/win32.c): the region's
name, the run's processes (the harness is their child subreaper, so even one
that escaped its process group is its child), descriptors, SysV objects. Any
of them fails the run with a `leftover:` problem, which every test shows
(conftest.as_predicted). What no run can see is what outlived its harness:
a /dev/shm/shmlab-<pid>-* name carrying a pid of one of the session's runs
(a scenario's own region, made by a worker), a System V object one of them
made or used, a live process carrying the session's tag (every run's
environment has it, so every process a run starts, Wine's included). This
plugin looks for those once, when the session ends, and fails the session
naming each (after removing it). Only what this session's runs made counts,
so sessions running side by side (ctest -j) do not blame each other.
"""
import ctypes
import ctypes.util
import os
import signal
import time

import pytest

SESSION_TAG = "SHMLAB_SESSION"  # in every run's environment (conftest.Harness), so in every process it starts

def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _sysv(path, id_col, pid_cols):
    """{id: (pids...)} from /proc/sysvipc/{shm,msg}."""
    lines = _read(path).splitlines()
    rows = [dict(zip(lines[0].split(), line.split())) for line in lines[1:]] if lines else []
    return {int(r[id_col]): tuple(int(r.get(c, 0)) for c in pid_cols) for r in rows if id_col in r}


def tagged_processes(tag):
    """{pid: command} of live shmlab processes whose environment carries tag:
    a run's harness and workers, under Wine too (Wine's own services, which
    a run may start and which stay, are not the run's)."""
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        stat = _read(f"/proc/{entry}/stat")
        cmd = _read(f"/proc/{entry}/cmdline").replace("\0", " ").strip()
        if (stat and stat[stat.rfind(")") + 2] not in "ZX" and "shmlab" in cmd
                and tag in _read(f"/proc/{entry}/environ").split("\0")):
            found[int(entry)] = cmd
    return found


def snapshot():
    shm = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    return {"shm": {n for n in shm if n.startswith("shmlab-")},
            "sysv_shm": _sysv("/proc/sysvipc/shm", "shmid", ("cpid", "lpid")),
            "sysv_msg": _sysv("/proc/sysvipc/msg", "msqid", ("lspid", "lrpid"))}


def reap_children():
    """Reaps pytest's exited children (as child subreaper it inherits orphans)."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def session_leftovers(before, pids, tag, bound_s=2.0):
    """What outlived the runs whose pids are given: (description, cleanup)
    pairs. Only what one of those pids made or names counts, so sessions
    running side by side (ctest -j) do not blame each other. A process that
    is ending (Wine reports an end before its Unix process has gone) gets
    bound_s to finish."""
    after, found = snapshot(), []
    for name in sorted(after["shm"] - before["shm"]):
        owner = name.split("-")[1]          # shmlab-<pid>-<hex>: the pid that made it
        if owner.isdigit() and int(owner) in pids:
            found.append((f"/dev/shm/{name} still exists", lambda n=name: os.unlink(f"/dev/shm/{n}")))
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    for kind, call in (("sysv_shm", libc.shmctl), ("sysv_msg", libc.msgctl)):
        for ident, users in sorted(after[kind].items()):
            if ident not in before[kind] and set(users) & pids:
                found.append((f"System V {'shared memory' if kind == 'sysv_shm' else 'message queue'} id {ident} "
                              f"still exists", lambda c=call, i=ident: c(ctypes.c_int(i), ctypes.c_int(0), None)))
    deadline = time.monotonic() + bound_s
    while (live := tagged_processes(tag)) and time.monotonic() < deadline:
        reap_children()
        time.sleep(0.05)        # polling what is ending, bounded; nothing waits on this for a handshake
    found += [(f"process {pid} still alive: {cmd}", lambda p=pid: os.kill(p, signal.SIGKILL)) for pid, cmd in live.items()]
    return found


@pytest.fixture(scope="session", autouse=True)
def no_leftovers(pytestconfig):
    """Fails the session if anything of its runs outlived them (see the module's docstring)."""
    before = snapshot()
    yield
    reap_children()
    found = session_leftovers(before, pytestconfig.shmlab.pids, f"{SESSION_TAG}={os.getpid()}")
    for _, cleanup in found:
        try:
            cleanup()
        except OSError:
            pass
    reap_children()
    if found:
        pytest.fail("this session's runs left these behind (now cleaned up):\n  - "
                    + "\n  - ".join(what for what, _ in found)
                    + f"\nsession seed: {pytestconfig.shmlab.seed}", pytrace=False)

