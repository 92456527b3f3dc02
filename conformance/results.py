"""The contract results of pytest sessions, gathered in one file.

Every session that runs contract tests merges their results into
<build>/conformance-results.json (--results FILE), under a lock, so that the
CTest tests of the rules, run side by side, fill one file; and ends its
output with one line, `N passed, N failed` (`, N skipped` when any).
"""
import fcntl
import json
import os
import pathlib
import shlex

import pytest

RESULTS_FILE = "conformance-results.json"
STATUS_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def pytest_addoption(parser):
    parser.getgroup("shmlab").addoption(
        "--results", help=f"the file contract results are merged into (default: <build>/{RESULTS_FILE})")

def results_path(config):
    chosen = config.getoption("--results")
    return pathlib.Path(chosen).resolve() if chosen else config.shmlab.build / RESULTS_FILE


def note_contract_run(node, run):
    """Keeps a contract test's replay command and each process's bases and outcome for its result."""
    node.shmlab_run = {"replay": run.get("replay") or shlex.join(run.cmd), "workers": [
        {k: w.get(k) for k in ("index", "bases", "outcome")} for w in run.workers]}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps the result of every contract test: the worst of its phases."""
    report = (yield).get_result()
    case = item.callspec.params.get("contract_case") if hasattr(item, "callspec") else None
    if not case or (report.passed and report.when != "call"):
        return
    meta = item.config.shmlab.scenarios()
    m = meta.get(case[0], {}) if isinstance(meta, dict) else {}
    entry = item.config.shmlab.results.setdefault(item.nodeid, {
        "id": item.nodeid, "scenario": case[0], "strategy": case[1], "rule": m.get("rule"), "lab": m.get("lab"),
        "status": None, "message": "", "seed": item.config.shmlab.seed_of(item.nodeid),
        "replay": None, "workers": []})
    status = "failed" if report.failed else "skipped" if report.skipped else "passed"
    if entry["status"] is None or STATUS_RANK[status] > STATUS_RANK[entry["status"]]:
        why = report.longrepr[2] if report.skipped and isinstance(report.longrepr, tuple) else report.longreprtext
        entry.update(status=status, message="\n".join(str(why).strip().splitlines()[:12])[:2000])
    entry.update(getattr(item, "shmlab_run", {}))


def merge_results(path, impl, entries, version):
    """Merges entries into the results file at path under an exclusive lock
    (CTest runs several sessions at once): one entry per test id, the
    latest; the file starts afresh when it describes another implementation."""
    with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644), "r+") as f:
        fcntl.lockf(f, fcntl.LOCK_EX)
        try:
            data = json.loads(f.read() or "{}")
        except ValueError:
            data = {}
        same = isinstance(data, dict) and (data.get("implementation") or {}).get("path") == impl.path
        tests = {t["id"]: t for t in (data.get("tests") or [] if same else []) if isinstance(t, dict) and "id" in t}
        tests.update((e["id"], e) for e in entries)
        data = {"suite": "shmlab conformance", "contract_version": version,
                "implementation": {"path": impl.path, "contract_version": impl.version_text,
                                   "features": impl.features, "error": impl.error},
                "summary": {s: sum(t.get("status") == s for t in tests.values()) for s in STATUS_RANK},
                "tests": [tests[k] for k in sorted(tests)]}
        f.seek(0)
        f.truncate()
        f.write(json.dumps(data, indent=2) + "\n")
    return data


def closing_line(entries):
    """`N passed, N failed`, with `, N skipped` when any were skipped."""
    counts = {s: sum(e["status"] == s for e in entries) for s in STATUS_RANK}
    return f"{counts['passed']} passed, {counts['failed']} failed" + (
        f", {counts['skipped']} skipped" if counts["skipped"] else "")


def pytest_terminal_summary(terminalreporter, config):
    """The session seed again at the end, where even `-q` (CTest) shows it."""
    s = config.shmlab
    terminalreporter.write_line(f"shmlab session seed: {s.seed} (replay: --seed {s.seed} or SHMLAB_SEED={s.seed})")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session):
    """After pytest's own summary: merge the contract results and print the
    closing line, the very last line of the output."""
    yield
    s = session.config.shmlab
    entries = [e for e in s.results.values() if e["status"]]
    if entries:
        merge_results(results_path(session.config), s.impl(), entries, s.contract()["version"])
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        write = reporter.write_line if reporter else print
        write(f"shmlab implementation under test: {s.impl().describe()}; results in {results_path(session.config)}")
        write(closing_line(entries))
