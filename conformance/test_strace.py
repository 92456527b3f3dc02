"""The harness's bases checked from outside: strace sees every mmap the
workers make, and the views must be exactly the MAP_FIXED_NOREPLACE mappings
the kernel granted, one per view, each by its own worker, at the addresses
the JSON report names."""
import re
import shutil

import pytest

from conftest import explain

pytestmark = [pytest.mark.strace, pytest.mark.harness]

CALL = re.compile(r"^(?P<pid>\d+)\s+(?P<rest>.*)$")
RESUMED = re.compile(r"^<\.\.\. (?P<name>\w+) resumed>(?P<rest>.*)$")
RETURN = re.compile(r"\)\s+=\s+(?P<ret>0x[0-9a-f]+|-?\d+)")


def mmap_calls(trace):
    """Every complete mmap call in an `strace -f` log, as (pid, text),
    with `<unfinished ...>` halves joined to their `<... mmap resumed>`."""
    pending, calls = {}, []
    for line in trace.splitlines():
        m = CALL.match(line)
        if not m:
            continue
        pid, rest = int(m.group("pid")), m.group("rest")
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[:-len("<unfinished ...>")].rstrip()
            continue
        r = RESUMED.match(rest)
        if r:
            rest = pending.pop(pid, f"{r.group('name')}(?") + r.group("rest")
        if rest.startswith(("mmap(", "mmap2(")):
            calls.append((pid, rest))
    return calls


@pytest.mark.parametrize("strategy", ["distinct", "double", "same"])
def test_views_are_the_fixed_noreplace_mappings(harness, tmp_path, strategy):
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not on PATH (Debian: apt-get install strace)")
    trace = tmp_path / "trace"
    run = harness.run("03-offsets-fixed", strategy, procs=4, timeout_ms=10000,
                      wrapper=[strace, "-f", "-qq", "-e", "trace=mmap,mmap2", "-o", str(trace)])
    assert run.result == "PASS" and not run["problem"], explain(run, "PASS under strace")
    text = trace.read_text()
    fixed = [(pid, call) for pid, call in mmap_calls(text) if "MAP_FIXED_NOREPLACE" in call]
    granted = set()
    for pid, call in fixed:
        ret = RETURN.search(call)
        assert ret, f"no return value in the traced call of pid {pid}: {call}\n" + explain(run)
        assert ret.group("ret").startswith("0x"), \
            f"pid {pid}: MAP_FIXED_NOREPLACE failed: {call}\n" + explain(run)
        asked = int(call[call.index("(") + 1:call.index(",")], 16)
        assert int(ret.group("ret"), 16) == asked, f"pid {pid} got another address than asked: {call}"
        granted.add(int(ret.group("ret"), 16))
    views = [int(b, 16) for w in run.workers for b in w["bases"]]
    assert granted == set(views), explain(
        run, f"the MAP_FIXED_NOREPLACE mappings strace saw {sorted(map(hex, granted))} "
             f"to be the bases of the report {sorted(map(hex, set(views)))}")
    assert len(fixed) == len(views), explain(run, f"one fixed mapping per view ({len(views)}); strace saw "
                                                  f"{len(fixed)}:\n" + "\n".join(call for _, call in fixed))
    worker_pids = {w["pid"] for w in run.workers}
    assert {pid for pid, _ in fixed} == worker_pids, explain(
        run, f"each worker (pids {sorted(worker_pids)}) to map its own view; "
             f"mapping pids {sorted(pid for pid, _ in fixed)}")
