"""Every lesson scenario under every strategy: the harness judges whether the
run went as its lesson predicts (`run --expect`, `verdict`); a run it found
something wrong with (`problem`: wrong bases, leftovers) fails too. Then the
lessons' own claims that a verdict cannot carry, checked word for word.
The contract scenarios are test_contract.py's."""
import shutil

import pytest

from conftest import as_predicted, explain

pytestmark = pytest.mark.lesson


def bases_of(worker):
    return [int(b, 16) for b in worker["bases"]]


def test_lesson(harness, scenarios, lab_case, request):
    name, strategy, other_abi = lab_case
    if other_abi == "win64":
        request.getfixturevalue("wine_session")
    run = harness.run(name, strategy, expect=True, extra=("--other-abi", other_abi) if other_abi else ())
    as_predicted(run, f"as the lesson predicts ({run['expected']})")


@pytest.mark.lab02
def test_region_pointers_fault_in_worker0_view(harness):
    """The issue's acceptance check: under distinct, the raw pointers written
    by worker 0 send the other workers into worker 0's view, where nothing of
    theirs is mapped."""
    run = harness.run("02-region-pointers-broken", "distinct", procs=4)
    assert run.returncode != 0 and any(w["outcome"] in ("SIGNALED", "FAIL") for w in run.workers), explain(
        run, "at least one worker SIGNALED or FAIL, and a non-zero exit status")
    w0, size = bases_of(run.workers[0])[0], run.region_size
    faulting = [w for w in run.workers if w["fault_address"]]
    assert faulting, explain(run, "at least one worker faulting with a fault address")
    for w in faulting:
        assert w0 <= int(w["fault_address"], 16) < w0 + size, explain(
            run, f"worker {w['index']}'s fault address {w['fault_address']} inside worker 0's view "
                 f"{w0:#x}..{w0 + size:#x}")
        assert w["index"] == 0 or "worker 0's view" in w["fault_where"], explain(
            run, f"worker {w['index']}'s fault_where to name worker 0's view")


@pytest.mark.lab06
def test_function_pointer_faults_in_worker0_program(harness):
    """A stored function pointer leads the other workers into the place where
    worker 0 has its program and they have none: the harness says so."""
    run = harness.run("06-function-pointer-broken", "distinct", procs=3)
    assert all(w["outcome"] == "SIGNALED" and "worker 0's program" in (w["fault_where"] or "")
               for w in run.workers[1:]), explain(run, "every reader SIGNALED inside worker 0's program")


@pytest.mark.lab06
def test_other_build_calls_the_other_function(harness):
    """With randomization off both builds load at one address, and the pointer
    to worker 0's square_area is circle_area in the other build: the wrong
    code runs and returns a wrong answer, while the same build's readers
    pass. That is the lesson's claim, so it is checked word for word."""
    run = harness.run("06-other-build-broken", "distinct", procs=4)
    assert all(w["outcome"] == "FAIL" and "is circle_area in this program" in w["message"]
               for w in run.workers[1::2]), explain(run, "workers 1 and 3 (the other build) FAIL, having called circle_area")
    assert all(w["outcome"] == "PASS" for w in run.workers[2::2]), explain(run, "worker 2 (the same build) PASS")


@pytest.mark.lab06
def test_needs_aslr_refuses_to_pass_without_it(harness):
    """Under setarch -R every process of one program loads at one address, so
    the function pointer would work by accident: the harness must SKIP (77),
    saying why, never PASS."""
    setarch = shutil.which("setarch")
    if setarch is None:
        pytest.skip("no setarch (Debian: util-linux)")
    run = harness.run("06-function-pointer-broken", "distinct", procs=2, wrapper=(setarch, "-R"), allow_skip=False)
    assert run.returncode == 77 and run.result == "SKIP" and "randomization is off" in run["problem"], explain(
        run, "SKIP (exit 77), saying that randomization is off")


@pytest.mark.lab03
@pytest.mark.parametrize("strategy", ["distinct", "fork"])
def test_shrunk_region_raises_sigbus_in_every_reader(harness, strategy):
    """The peer cut the unsealed memfd down to one page before anyone read
    past it: every reader dies of SIGBUS on page 1 of its own view (still
    mapped, while the file behind it is gone); the peer itself passes."""
    run = harness.run("03-shrunk-unsealed-broken", strategy, procs=4)
    assert run["region"]["name"] == "memfd:shmlab" and run["region"]["sealed"] is False, explain(
        run, "an unsealed memfd region")
    assert run.workers[0]["outcome"] == "PASS", explain(run, "worker 0, the peer that shrinks, PASS")
    for w in run.workers[1:]:
        assert w["outcome"] == "SIGNALED" and w["signal"] == "SIGBUS", explain(run, f"worker {w['index']} SIGBUS")
        assert int(w["fault_address"], 16) - bases_of(w)[0] == 4096 and "past the file's end" in w["fault_where"], \
            explain(run, f"worker {w['index']}'s fault at offset 0x1000 of its own view, past the file's end")
