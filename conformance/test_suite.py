"""Checks of this suite's own machinery: a leftover check or a failure
message that cannot fail would prove nothing."""
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import EXIT_USAGE, SOURCE_DIR, Impl, derive_seed, explain, resolve_impl, rule_marker
from leftovers import SESSION_TAG, session_leftovers, snapshot
from results import closing_line, merge_results
from test_contract import contract_verdict

pytestmark = pytest.mark.lab00

IPC_PRIVATE, IPC_CREAT = 0, 0o1000


def test_seed_is_derived_from_session_seed_and_test_id(request, seed):
    session = request.config.shmlab.seed
    assert seed == derive_seed(session, request.node.nodeid)
    assert derive_seed(session, "a") == derive_seed(session, "a")
    assert derive_seed(session, "a") != derive_seed(session, "b")
    assert derive_seed(session, "a") != derive_seed(session + 1, "a")
    assert 0 <= seed < 1 << 32


def test_runs_take_the_test_seed(harness, seed):
    run = harness.run("00-selftest-pass", "fork", procs=2)
    assert run["seed"] == seed, explain(run, f"the test's seed {seed}")


def test_leftover_region_names_are_found_and_only_ours():
    before = snapshot()
    # Above the kernel's largest pid (4194304): no real process has them, and
    # a suite running in parallel (another pytest pid) picks other ones.
    ours_pid, foreign_pid = 5000000 + os.getpid(), 10000000 + os.getpid()
    ours, foreign = f"shmlab-{ours_pid}-0123456789abcdef", f"shmlab-{foreign_pid}-0123456789abcdef"
    for name in (ours, foreign):
        os.close(os.open(f"/dev/shm/{name}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        found = session_leftovers(before, {ours_pid}, "SHMLAB_SESSION=none", bound_s=0)
        assert [what for what, _ in found] == [f"/dev/shm/{ours} still exists"], found
        for _, cleanup in found:
            cleanup()
        assert not os.path.exists(f"/dev/shm/{ours}")
    finally:
        for name in (ours, foreign):
            if os.path.exists(f"/dev/shm/{name}"):
                os.unlink(f"/dev/shm/{name}")


def test_leftover_processes_carrying_the_tag_are_found():
    """A process that outlived its run: one that carries the session's tag."""
    tag, before = f"{SESSION_TAG}=test-{os.getpid()}", snapshot()
    r, w = os.pipe()
    env = dict(os.environ, **dict([tag.split("=", 1)]))
    child = subprocess.Popen([sys.executable, "-c", "import os; os.read(0, 1)  # shmlab"], stdin=r, env=env)
    os.close(r)
    try:
        found = session_leftovers(before, set(), tag, bound_s=0)
        assert [what for what, _ in found if what.startswith(f"process {child.pid} ")], found
        assert not session_leftovers(before, set(), "SHMLAB_SESSION=another", bound_s=0), "a tag not ours counted"
        for _, cleanup in found:
            cleanup()
        assert child.wait(timeout=30) == -9
    finally:
        os.close(w)
        if child.poll() is None:
            child.kill()
            child.wait()


def test_leftover_sysv_objects_are_found():
    if not os.path.exists("/proc/sysvipc/shm"):
        pytest.skip("no /proc/sysvipc here")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    before = snapshot()
    shmid = libc.shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600)
    msqid = libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
    message = (ctypes.c_long * 2)(1, 0)         # mtype 1: a queue records who sent last
    if shmid < 0 or msqid < 0 or libc.msgsnd(msqid, message, ctypes.sizeof(ctypes.c_long), 0) < 0:
        for func, ident in (("shmctl", shmid), ("msgctl", msqid)):
            if ident >= 0:
                getattr(libc, func)(ident, 0, None)
        pytest.skip(f"System V IPC is not available here (errno {ctypes.get_errno()})")
    cleaned = False
    try:        # as if pytest were one of the session's runs
        found = session_leftovers(before, {os.getpid()}, "SHMLAB_SESSION=none", bound_s=0)
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


# ---------------------------------------------------------------- the contract machinery

def test_every_scenario_lists_known_features(scenarios, pytestconfig):
    known = pytestconfig.shmlab.contract()["features"]
    for name, m in scenarios.items():
        assert set(m["features"]) <= set(known), f"{name} needs feature sets {m['features']}; the contract has {known}"


def test_the_reference_is_of_the_harness_s_contract(pytestconfig):
    """`contract` and `impl` agree: the reference implements the contract the
    harness was built with, and declares every feature set."""
    s = pytestconfig.shmlab
    contract, ref = s.contract(), s.ask("impl", str(s.build / "lib" / "libshmlab.so"))
    assert ref and ref.get("version") == contract["version_number"], (contract, ref)
    assert sorted(ref["features"]) == sorted(contract["features"]), (contract, ref)


def test_closing_line():
    entries = [{"status": s} for s in ["passed", "passed", "failed"]]
    assert closing_line(entries) == "2 passed, 1 failed"
    assert closing_line(entries + [{"status": "skipped"}]) == "2 passed, 1 failed, 1 skipped"
    assert closing_line([]) == "0 passed, 0 failed"


def _entry(i, status="passed"):
    return {"id": f"t[{i}]", "scenario": "s", "strategy": "distinct", "rule": "r", "lab": "03",
            "status": status, "message": "", "seed": i, "replay": "x"}


def test_results_merge_and_start_afresh(tmp_path):
    path = tmp_path / "results.json"
    one, two = Impl("/a/libone.so", 100), Impl("/a/libtwo.so", 100)
    merge_results(path, one, [_entry(1), _entry(2, "failed")], "1.0")
    data = merge_results(path, one, [_entry(2), _entry(3, "skipped")], "1.0")
    assert [t["id"] for t in data["tests"]] == ["t[1]", "t[2]", "t[3]"], data
    assert data["summary"] == {"passed": 2, "skipped": 1, "failed": 0}, data["summary"]
    assert json.loads(path.read_text()) == data
    data = merge_results(path, two, [_entry(9)], "1.0")
    assert [t["id"] for t in data["tests"]] == ["t[9]"], "another implementation must start the file afresh"
    assert data["implementation"]["path"] == "/a/libtwo.so" and data["contract_version"] == "1.0"


MERGER = """
import sys
sys.path.insert(0, sys.argv[1])
from conftest import Impl
from results import merge_results
first = int(sys.argv[3])
for i in range(first, first + 100):
    merge_results(sys.argv[2], Impl("/a/lib.so", 100), [{"id": f"t[{i:04}]", "status": "passed"}], "1.0")
"""


def test_results_merge_under_a_lock(tmp_path):
    """Sessions merging at once (ctest -j) lose nothing: without the lock,
    a read-modify-write would drop the others' entries."""
    path = tmp_path / "results.json"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    procs = [subprocess.Popen([sys.executable, "-c", MERGER, str(SOURCE_DIR), str(path), str(k * 1000)], env=env)
             for k in range(4)]
    codes = [p.wait(timeout=60) for p in procs]
    assert codes == [0] * 4, codes
    ids = [t["id"] for t in json.loads(path.read_text())["tests"]]
    assert len(ids) == 400, f"{400 - len(ids)} of 400 entries lost"


def test_impl_paths_resolve_from_where_the_command_was_typed(tmp_path):
    build = tmp_path / "repo" / "build"
    (build / "lib").mkdir(parents=True)
    lib = build / "lib" / "libx.so"
    lib.touch()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert resolve_impl(str(lib), build) == lib
    assert resolve_impl("build/lib/libx.so", build, cwd=elsewhere, shell_cwd=tmp_path / "repo") == lib
    assert resolve_impl("lib/libx.so", build, cwd=build, shell_cwd=elsewhere) == lib
    assert resolve_impl("build/lib/libx.so", build, cwd=elsewhere) == lib       # beside the build
    assert resolve_impl("nowhere.so", build, cwd=elsewhere, shell_cwd=tmp_path) == tmp_path / "nowhere.so"


def test_unloadable_implementation_fails_never_skips(harness, scenarios, tmp_path):
    """An implementation the harness cannot load makes every contract test
    fail with the harness's reason."""
    contract = [n for n, m in scenarios.items() if m["contract"]]
    assert contract, "the harness lists no contract scenario"
    bogus = tmp_path / "libnot-a-library.so"
    bogus.write_text("not a shared library\n")
    run = harness.run(contract[0], "distinct", procs=2, impl=str(bogus))
    assert run.returncode == EXIT_USAGE and run.json is None, explain(run, "exit 2, no report")
    with pytest.raises(pytest.fail.Exception) as failed:
        contract_verdict(run, scenarios[contract[0]], Impl(str(bogus), error="not a library"))
    assert "cannot load" in str(failed.value) and str(bogus) in str(failed.value), str(failed.value)


def test_contract_rules_have_their_ctest_tests(scenarios, pytestconfig):
    """Each rule the harness lists has its CTest test, conformance.<rule>,
    labelled with its lab and rule, selecting exactly its marker; each
    contract scenario is named after its rule; and no such test names a
    rule the harness lacks."""
    ctest = shutil.which("ctest")
    build = pytestconfig.shmlab.build
    if ctest is None or not (build / "CTestTestfile.cmake").exists():
        pytest.skip("needs ctest and a configured build directory")
    out = subprocess.run([ctest, "--test-dir", str(build), "--show-only=json-v1"], capture_output=True,
                         text=True, timeout=60)
    tests = {}
    for t in json.loads(out.stdout)["tests"]:
        labels = next((p["value"] for p in t.get("properties", []) if p["name"] == "LABELS"), [])
        tests[t["name"]] = (labels, t.get("command", []))
    rules = {m["rule"]: m["lab"] for m in scenarios.values() if m["contract"]}
    for rule, lab in rules.items():
        name = f"conformance.{rule}"
        assert name in tests, f"no CTest test {name} (conformance/CMakeLists.txt reads each rule from its scenario's .rule)"
        labels, command = tests[name]
        assert set(labels) == {"conformance", f"lab{lab}", rule}, f"{name} is labelled {labels}"
        assert f"contract and {rule_marker(rule)}" in command, f"{name} runs {command}"
    for name, s in scenarios.items():
        if s["contract"]:
            assert name == f"{s['lab']}-contract-{s['rule']}", f"{name} checks rule {s['rule']}: one rule, one name"
    extra = {n for n in tests if n.startswith("conformance.") and n[12:] not in rules} - {"conformance.mutants",
                                                                                         "conformance.independent"}
    assert not extra, f"CTest tests of rules the harness does not list: {sorted(extra)}"


def test_the_independent_implementation_runs_every_core_rule(scenarios, pytestconfig):
    """conformance.independent, the suite against the second implementation
    (conformance/independent/), selects every core rule (a rule whose
    scenario needs no optional feature set) and nothing else, names its
    library itself (SHMLAB_IMPL cannot redirect it) and keeps its results
    out of the reference's file."""
    ctest = shutil.which("ctest")
    build = pytestconfig.shmlab.build
    if ctest is None or not (build / "CTestTestfile.cmake").exists():
        pytest.skip("needs ctest and a configured build directory")
    out = subprocess.run([ctest, "--test-dir", str(build), "--show-only=json-v1", "-R", r"^conformance\.independent$"],
                         capture_output=True, text=True, timeout=60)
    found = json.loads(out.stdout)["tests"]
    assert len(found) == 1, "no CTest test conformance.independent (conformance/independent/CMakeLists.txt)"
    command = found[0]["command"]
    core = {rule_marker(m["rule"]) for m in scenarios.values() if m["contract"] and not m.get("features")}
    markexpr = command[command.index("-m") + 1]
    assert set(re.findall(r"\brule_\w+", markexpr)) == core and markexpr.startswith("contract and ("), markexpr
    assert command[command.index("--impl") + 1].endswith("/libshmlab-independent.so"), command
    assert not command[command.index("--results") + 1].endswith("/conformance-results.json"), command


def test_session_ends_with_the_closing_line_and_merges_results(tmp_path, pytestconfig):
    """A session of contract tests prints `N passed, N failed` as its very
    last line and leaves its results in the results file."""
    results = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "pytest", str(SOURCE_DIR), "-q", "-p", "no:cacheprovider",
           "-m", "contract and rule_null_encoding", "-k", "distinct or double",
           "--build-dir", str(pytestconfig.shmlab.build), "--results", str(results),
           "--basetemp", str(tmp_path / "inner"), "--seed", "1"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    lines = out.stdout.rstrip("\n").splitlines()
    assert out.returncode == 0 and lines and lines[-1] == "2 passed, 0 failed", out.stdout[-3000:] + out.stderr
    data = json.loads(results.read_text())
    assert [t["strategy"] for t in data["tests"]] == ["distinct", "double"], data
    for t in data["tests"]:
        assert t["status"] == "passed" and t["rule"] == "null-encoding" and t["lab"] == "03", t
        assert f"--seed {t['seed']}" in t["replay"] and "--impl " in t["replay"], t


def test_every_rule_is_described_in_contract_md(scenarios):
    """CONTRACT.md's table of rules has a row for each rule the harness
    lists, naming its lab and scenario, and none for a rule it does not: the
    contract a reader is given is the one the suite checks."""
    text = (SOURCE_DIR / "CONTRACT.md").read_text()
    rows = {m[0]: (m[1], m[2]) for m in re.findall(r"^\| `([a-z0-9-]+)` \| (\d\d) \| `([a-z0-9-]+)` \|", text, re.M)}
    listed = {m["rule"]: (m["lab"], name) for name, m in scenarios.items() if m["contract"]}
    assert rows == listed, (f"CONTRACT.md lacks {sorted(set(listed) - set(rows))}, describes rules the harness "
                            f"does not list {sorted(set(rows) - set(listed))}, or names another lab or scenario")


def test_every_rule_in_the_traceability_table_exists(scenarios):
    """README.md's traceability table names only rules the harness lists, and
    says "untested" where none checks a promise, rather than inventing one."""
    text = (SOURCE_DIR / "README.md").read_text()
    section = text.split("## Traceability", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| promise")]
    rules = {m["rule"] for m in scenarios.values() if m["contract"]}
    assert rows, "README.md has no traceability table"
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cells) == 2, f"a traceability row has two cells: {row}"
        named = re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", cells[1].split("(", 1)[0])
        assert named or cells[1].startswith(("untested", "every rule")), f"no rule and not untested: {row}"
        unknown = set(named) - rules
        assert not unknown, f"the traceability table names rules the harness does not list: {sorted(unknown)}"
