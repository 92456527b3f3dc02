"""The labs' exercises. The committed starter code must be caught; a learner
who solved an exercise sets SHMLAB_EXERCISES=solved, and then each exercise
must pass under every strategy."""
import pytest

from conftest import STRATEGIES, check_well_formed, explain


def test_exercise(harness, scenarios, exercise_name, exercises_solved):
    meta = scenarios[exercise_name]
    if exercises_solved:
        failures = []
        for strategy in STRATEGIES:
            run = harness.run(exercise_name, strategy, procs=4)
            check_well_formed(run, meta)
            if run.result != "PASS" or any(w["outcome"] != "PASS" for w in run.workers):
                failures.append(explain(run, f"your solution passes under {strategy}"))
        assert not failures, (f"{exercise_name} does not pass under every strategy yet "
                              f"(SHMLAB_EXERCISES=solved):\n\n" + "\n\n".join(failures))
    else:
        run = harness.run(exercise_name, "distinct", procs=4)
        check_well_formed(run, meta)
        if run.result == "PASS":
            pytest.fail(f"{exercise_name} now passes: if you solved it, run with SHMLAB_EXERCISES=solved\n"
                        + explain(run, "the starter code to be caught (FAIL)"), pytrace=False)
        assert run.result == "FAIL" and any(w["outcome"] in ("SIGNALED", "FAIL") for w in run.workers), \
            explain(run, "the starter code to be caught: FAIL, some worker SIGNALED or FAIL")
