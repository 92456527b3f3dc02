"""When the machine runs short, the harness says so: a run whose set-up
fails for want of a resource is an ERROR (exit 2) that names the call, its
errno and the remedy, never the lesson's or the implementation's FAIL, and
never a smaller run than asked; its header and replay line show what was
asked. Each fault is made for the harness alone (a limit on its process, a
/dev/shm of its own in a private mount namespace), so the machine is left
untouched."""
import re
import subprocess

import pytest

pytestmark = pytest.mark.faults
EXIT_ERROR = 2
NOFILE = 8                  # a run of 4 workers needs about 16 descriptors
TINY_SHM = "1m"             # 03-contract-alloc-concurrent's region is 32 MiB


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
