"""Every contract scenario under every strategy, against the implementation
under test (--impl, $SHMLAB_IMPL, else the reference). A correct
implementation passes them all. The C scenario and the harness decide
(`run --expect`); this only runs it and makes a failure explain itself. A
library that lacks a feature set a scenario needs is skipped by the
harness, saying so; one it cannot load fails every test, never skips."""
import pytest

from conftest import EXIT_USAGE, as_predicted, bounded, explain, skip_if_skipped
from results import note_contract_run


def contract_verdict(run, meta, impl):
    """Fails the test unless the harness judged the run as predicted: a pass."""
    if run.json is None and run.returncode == EXIT_USAGE:
        pytest.fail(f"the harness could not test {impl.path}: {run.stderr.strip() or '(no message)'}\n"
                    + explain(run, f"{impl.path} loaded and run against {meta['name']}"), pytrace=False)
    skip_if_skipped(run)
    as_predicted(run, f"PASS with every worker PASS: rule {meta['rule']} holds under {run.get('strategy')}",
                 f"{impl.path} breaks rule {meta['rule']} ({meta['summary']})")


def test_contract(scenarios, impl, contract_runs, contract_case, request):
    run = bounded(contract_runs[request.node.nodeid].result())
    note_contract_run(request.node, run)
    contract_verdict(run, scenarios[contract_case[0]], impl)
