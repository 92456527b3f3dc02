"""When the machine runs short, the harness says so: a run whose set-up
fails for want of a resource is an ERROR (exit 2) that names the call, its
errno and the remedy, never the lesson's or the implementation's FAIL, and
never a smaller run than asked; its header and replay line show what was
asked. Each fault is made for the harness alone (a limit on its process, a
/dev/shm of its own in a private mount namespace), so the machine is left
untouched."""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest


pytestmark = pytest.mark.faults
EXIT_ERROR = 2
NOFILE = 8                  # a run of 4 workers needs about 16 descriptors
TINY_SHM = "1m"             # 03-contract-alloc-concurrent's region is 32 MiB
ADDRESS_SPACE_KIB = 30000   # the harness and a worker fit; a worker's 32 MiB view does not
NOBODY = 65534              # the user whose processes the process limit counts


def limited(limit):
    """A wrapper that runs the harness under `ulimit LIMIT`."""
    return ["sh", "-c", f'ulimit {limit} && exec "$0" "$@"']


def own_dev_shm():
    """A wrapper that runs the harness with a tmpfs of TINY_SHM on /dev/shm,
    in a mount namespace of its own; None, and why, where none can be made."""
    mount = f'mount -t tmpfs -o size={TINY_SHM} tmpfs /dev/shm && exec "$0" "$@"'
    tried = []
    for unshare in (["unshare", "-m"], ["unshare", "-Urm"]):
        try:
            done = subprocess.run([*unshare, "sh", "-c", mount, "true"], capture_output=True, text=True, timeout=30)
        except FileNotFoundError:
            return None, "unshare(1) is not installed (Debian: util-linux)"
        if done.returncode == 0:
            return [*unshare, "sh", "-c", mount], None
        tried.append(f"`{' '.join(unshare)}`: {done.stderr.strip() or done.returncode}")
    return None, ("no mount namespace can be made here (" + "; ".join(tried) + "): run as root, or allow "
                  "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)")


def assert_environment_error(run, call, errno_name, remedy):
    out = run.stdout + run.stderr
    assert run.returncode == EXIT_ERROR, f"expected exit 2 (ERROR), got {run.returncode}\n{out}"
    assert run.result == "ERROR", out
    problem = run.get("problem") or ""
    assert re.search(rf"{call}: .* \({errno_name}\)", problem), f"the cause is not named: {problem!r}"
    assert re.search(remedy, problem), f"no remedy in: {problem!r}"
    assert all(w["outcome"] != "PASS" for w in run.workers)
    assert run.get("procs") == 4, "the run kept the size asked for"


def replay_args(run):
    """The arguments of the run's replay line (after the harness's path)."""
    line = run["replay"].split()
    return line[1:]


def test_descriptor_limit_is_the_environments(harness):
    run = harness.run("03-offsets-fixed", "distinct", procs=4, wrapper=limited(f"-n {NOFILE}"), expect=True,
                      allow_skip=False)
    # Which call meets the limit first depends on the descriptors the harness
    # inherits; each names the limit.
    assert_environment_error(run, r"(signalfd|creating the region|socketpair) failed|cannot place its descriptors",
                             "EMFILE", rf"ulimit -n is {NOFILE}; a run of 4 workers needs")
    assert "--procs 4" in run["replay"]
    again = harness.invoke([*replay_args(run), "--expect"], wrapper=limited(f"-n {NOFILE}"))
    assert again.returncode == EXIT_ERROR and "EMFILE" in again.stdout + again.stderr, "the replay line replays it"


def test_full_dev_shm_is_the_environments(harness):
    wrapper, why = own_dev_shm()
    if wrapper is None:
        pytest.skip(why)
    run = harness.run("03-contract-alloc-concurrent", "distinct", procs=4, wrapper=wrapper, expect=True,
                      allow_skip=False)
    assert_environment_error(run, "creating the region failed", "ENOSPC",
                             r"/dev/shm has \d+ KiB free of 1024 KiB, this run needs 32768 KiB")
    assert all(w.get("pid") in (0, None) for w in run.workers), "no worker started without its region"
    again = harness.invoke([*replay_args(run), "--expect"], wrapper=wrapper)
    assert again.returncode == EXIT_ERROR and "ENOSPC" in again.stdout + again.stderr, "the replay line replays it"


def test_a_run_with_room_passes_under_the_same_wrappers(harness):
    """The faults above are the limits', not the wrappers': with room, the
    same runs pass. (A test of a classification that could not fail
    otherwise.)"""
    run = harness.run("03-offsets-fixed", "distinct", procs=4, wrapper=limited("-n 1024"), expect=True,
                      allow_skip=False)
    assert run.returncode == 0, run.stdout + run.stderr
    wrapper, why = own_dev_shm()
    if wrapper is None:
        pytest.skip(why)
    wrapper = [w.replace(f"size={TINY_SHM}", "size=64m") for w in wrapper]
    run = harness.run("03-contract-alloc-concurrent", "distinct", procs=4, wrapper=wrapper, expect=True,
                      allow_skip=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_address_space_limit_is_the_environments(harness):
    """A worker that cannot map its view for want of address space (ulimit
    -v) says so, and the run is an ERROR: the library under test mapped
    nothing wrong. With room, the same run passes."""
    run = harness.run("03-contract-alloc-concurrent", "distinct", procs=4,
                      wrapper=limited(f"-v {ADDRESS_SPACE_KIB}"), expect=True, allow_skip=False)
    assert_environment_error(run, r"cannot map view 0 at 0x[0-9a-f]+", "ENOMEM",
                             rf"ulimit -v \({ADDRESS_SPACE_KIB} KiB\)")
    again = harness.invoke([*replay_args(run), "--expect"], wrapper=limited(f"-v {ADDRESS_SPACE_KIB}"))
    assert again.returncode == EXIT_ERROR and "ENOMEM" in again.stdout + again.stderr, "the replay line replays it"
    run = harness.run("03-contract-alloc-concurrent", "distinct", procs=4,
                      wrapper=limited(f"-v {ADDRESS_SPACE_KIB * 10}"), expect=True, allow_skip=False)
    assert run.returncode == 0, run.stdout + run.stderr


def nobody_with_nproc(limit):
    """A wrapper that runs the harness counted as a process of user nobody
    (real uid), under `limit` processes of that user, without the
    capabilities that would lift the limit; None, and why, where it cannot."""
    if os.geteuid() != 0:
        return None, "the process limit binds a user by its real uid: only root can run the harness as another"
    if not (shutil.which("prlimit") and shutil.which("setpriv")):
        return None, "prlimit(1) and setpriv(1) are needed (Debian: util-linux)"
    theirs = sum(1 for d in os.listdir("/proc") if d.isdigit() and _real_uid(d) == NOBODY)
    caps = "-sys_resource,-sys_admin"
    return ["prlimit", f"--nproc={theirs + limit}", "setpriv", f"--ruid={NOBODY}", f"--inh-caps={caps}",
            f"--bounding-set={caps}"], None


def _real_uid(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
    except (OSError, StopIteration):
        return None


def test_process_limit_is_the_environments(harness):
    """A fork refused for the process limit (ulimit -u) is an ERROR naming
    the limit; with room, the same run passes."""
    wrapper, why = nobody_with_nproc(2)     # the harness and one worker
    if wrapper is None:
        pytest.skip(why)
    run = harness.run("03-offsets-fixed", "distinct", procs=4, wrapper=wrapper, expect=True, allow_skip=False)
    assert_environment_error(run, "fork failed", "EAGAIN", r"ulimit -u is \d+")
    again = harness.invoke([*replay_args(run), "--expect"], wrapper=wrapper)
    assert again.returncode == EXIT_ERROR and "EAGAIN" in again.stdout + again.stderr, "the replay line replays it"
    roomy, _ = nobody_with_nproc(64)
    run = harness.run("03-offsets-fixed", "distinct", procs=4, wrapper=roomy, expect=True, allow_skip=False)
    assert run.returncode == 0, run.stdout + run.stderr


def children(pid):
    """The pids of pid's children, from /proc (proc(5): task/TID/children)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def start(harness, scenario, *extra):
    json_path = harness.tmp_path / f"{scenario}.json"
    args = [str(harness.exe), "run", scenario, "--procs", "4", "--strategy", "distinct", "--seed", str(harness.seed),
            "--json", str(json_path), "--quiet", *extra]
    out = open(harness.tmp_path / f"{scenario}.out", "w")
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            cwd=harness.tmp_path, env=dict(os.environ, NO_COLOR="1")), json_path


def ended(proc, json_path, bound_s):
    """Waits at most bound_s for the harness; its report, and the seconds it took."""
    began = time.monotonic()
    try:
        proc.wait(timeout=bound_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"the harness did not end within {bound_s} s: killed")
    return json.loads(json_path.read_text()), time.monotonic() - began


def test_stopped_workers_still_meet_the_deadline(harness):
    """A slow machine, at its worst: every worker stopped (SIGSTOP) and never
    continued. The harness must still end the run at its deadline, HUNG,
    and kill and reap them (SIGKILL ends a stopped process). The hanging
    self-test's workers never finish, so they are there to be stopped."""
    proc, json_path = start(harness, "00-selftest-hang", "--timeout-ms", "1500")
    end = time.monotonic() + 10
    while len(workers := children(proc.pid)) < 4 and time.monotonic() < end and proc.poll() is None:
        time.sleep(0.005)
    assert len(workers) == 4, f"the harness did not start 4 workers within 10 s: {workers}"
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    report, took = ended(proc, json_path, 15)
    assert proc.returncode == 1 and report["result"] == "FAIL", report
    assert [w["outcome"] for w in report["workers"]] == ["HUNG"] * 4, report
    assert took < 1.5 + 3, f"the run ended {took:.1f} s after its workers were stopped: past its deadline"
    left = [p for p in workers if os.path.exists(f"/proc/{p}")]
    assert not left, f"stopped workers left alive or unreaped: {left}"


def test_a_stop_and_continue_storm_changes_no_verdict(harness):
    """Every process of a run stopped and continued every 10 ms (a loaded
    machine, a debugger, SIGTSTP at a terminal): calls interrupted by a stop
    (signal(7): some return EINTR even without a handler) must resume, and
    the run pass as it does undisturbed. The storm is 0.5 s of stops at
    most, well inside the 5 s deadline."""
    proc, json_path = start(harness, "03-contract-alloc-concurrent", "--expect")
    stormed = []

    def storm():
        for _ in range(100):
            if proc.poll() is not None:
                return
            pids = [proc.pid, *children(proc.pid)]
            for sig in (signal.SIGSTOP, signal.SIGCONT):
                for pid in pids:
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
                time.sleep(0.005)
            stormed.append(len(pids))
        for pid in [proc.pid, *children(proc.pid)]:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    storm_thread = threading.Thread(target=storm)
    storm_thread.start()
    report, _ = ended(proc, json_path, 60)
    storm_thread.join()
    assert stormed, "the run ended before the storm began"
    assert proc.returncode == 0 and report["result"] == "PASS", \
        f"{report['result']} under a storm of {len(stormed)} stops: " + str(report.get("problem"))
