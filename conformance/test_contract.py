"""Every contract scenario under every strategy, against the implementation
under test (--impl, $SHMLAB_IMPL, else the reference). A correct
implementation passes them all: the C scenario decides, this only runs it,
checks that the run is well-formed and makes a failure explain itself."""
import pytest

from conftest import EXIT_USAGE, check_well_formed, explain, feature_skip_reason, note_contract_run


def contract_verdict(run, meta, impl):
    """Fails the test (never skips it) unless the run passed."""
    if run.json is None and run.returncode == EXIT_USAGE:
        why = run.stderr.strip() or "(no message)"
        pytest.fail(f"the harness could not test {impl.path}: {why}\n" + explain(
            run, f"{impl.path} loaded and run against {meta['name']}"), pytrace=False)
    if run.get("impl") != impl.path:
        pytest.fail(explain(run, f"the run to test {impl.path}; it tested {run.get('impl')}"), pytrace=False)
    bad = [w["index"] for w in run.workers if w["outcome"] != "PASS"]
    if run.result != "PASS" or bad:
        pytest.fail(f"{impl.path} breaks rule {meta['rule']} ({meta['summary']})\n" + explain(
            run, f"PASS with every worker PASS: rule {meta['rule']} holds under {run['strategy']}; "
                 f"workers {bad or 'none'} did not pass"), pytrace=False)
    check_well_formed(run, meta)


def test_contract(harness, scenarios, impl, contract_case, request):
    name, strategy = contract_case
    meta = scenarios[name]
    reason = feature_skip_reason(meta, impl)
    if reason:
        pytest.skip(reason)
    run = harness.run(name, strategy, procs=4)
    note_contract_run(request.node, run)
    contract_verdict(run, meta, impl)
