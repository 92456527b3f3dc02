"""The Win32 track: the Win32 harness (build/win32/bin/shmlab-harness.exe),
run under Wine, checked as the POSIX one is. Its own `list --json` says which
scenarios it has; each lesson among them runs under every strategy Windows
has (distinct, double, same, kernel) and the harness judges whether it went
as predicted; the self-tests must be reported truthfully (a fault at its
exact address, a hang killed, the report well formed), and `fork` must be
refused.

Its contract scenarios are the handles feature set's, with HANDLEs
(conformance/scenarios/handles_win32.c): each runs under every strategy
against the reference as a DLL (build/win32/bin/shmlab.dll) and must pass;
the reference's core alone (shmlab-core.dll), which declares no feature set,
must be skipped, never passed; and each Win32 mutant (mutants/win32/, built
into build/win32/mutants/) must be killed by the scenario its header names,
read as test_mutants.py reads the POSIX ones. These test the Win32 DLLs only:
the --impl of a POSIX session (SHMLAB_IMPL) is a shared object, not a DLL.

Wine is the session's one Wine session (wine.py): under CTest the fixture
tests win32.setup and win32.cleanup start and stop its wineserver; run alone,
the session stops the one it started. These tests carry the `win32` marker
and run only when it is selected (-m win32): listing the Win32 scenarios
needs Wine. Leftovers are the Win32 harness's to find (check_leftovers in
harness/win32/win32.c: the region's name, the job's processes),
and what outlives a run is the session's check (leftovers.py): every run's
environment carries the session's tag, and Wine passes it on to the
Windows processes it starts.
"""
import json
import os
import re
import subprocess
import warnings

import pytest

from conftest import (EXIT_FAIL, EXIT_PASS, EXIT_SKIP, EXIT_USAGE, SOURCE_DIR, Harness, Runner, as_predicted, bounded,
                      explain, skip_if_skipped)
from test_mutants import Mutant
from wine import Wine

pytestmark = pytest.mark.win32

WIN32_STRATEGIES = ("distinct", "double", "same", "kernel")
HANDLE_RULES = ("handle-give-take", "handle-no-leak", "handle-access", "handle-move")   # its contract rules
REGION_NAME = re.compile(r"^Local\\shmlab-(\d+)-[0-9a-f]{16}$")
VIEW_ALIGN = 65536
PARTIAL_WINE = "64-bit Wine does not run a Windows program here"
_table = {}     # what this session asked Wine once: "why_not", "meta"


def exe_dir(config):
    return config.shmlab.build / "win32" / "bin"


def why_not(config):
    """Why the Win32 tests cannot run here, or None. Asked once a session: a
    Wine installed only in part has its loader, but the loader cannot start
    a program, so the worker is asked for its width, as the harness does."""
    if "why_not" not in _table:
        wine, exe = Wine(config.shmlab.build), exe_dir(config) / "shmlab-harness.exe"
        if not wine.loader:
            reason = "64-bit Wine is not installed (Debian: apt-get install wine wine64)"
        elif not exe.is_file():
            reason = f"{exe} is not built (needs mingw-w64, Debian: gcc-mingw-w64-x86-64; then `cmake --build build`)"
        else:
            code = subprocess.run([wine.loader, str(exe_dir(config) / "shmlab-worker.exe"), "--abi"], env=wine.env,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=180).returncode
            reason = None if code == 64 else (f"{PARTIAL_WINE}: {wine.loader} exited {code}: Wine is installed only "
                                              f"in part (Debian: apt-get install --reinstall wine wine64 libwine)")
        _table["why_not"] = reason
    return _table["why_not"]


def win32_table(config):
    """`wine shmlab-harness.exe list --json`, as {name: metadata}, or a str saying why not."""
    if "meta" not in _table:
        reason = why_not(config)
        if reason is None:
            wine = Wine(config.shmlab.build)
            out = subprocess.run([wine.loader, str(exe_dir(config) / "shmlab-harness.exe"), "list", "--json"],
                                 capture_output=True, text=True, timeout=120, env=wine.env, stdin=subprocess.DEVNULL)
            try:
                reason = {row["name"]: row for row in json.loads(out.stdout)}
            except ValueError:
                reason = f"`list --json` under Wine gave no list: exit {out.returncode}, {out.stderr[-500:]}"
        _table["meta"] = reason
    return _table["meta"]


def pytest_generate_tests(metafunc):
    """win32_case: (scenario, strategy) for every lesson of the Win32 table;
    win32_contract_case: the same for its contract scenarios, marked with
    their lab and rule. Wine is never started for a POSIX session."""
    for fixture in ("win32_case", "win32_contract_case"):
        if fixture not in metafunc.fixturenames:
            continue
        meta = win32_table(metafunc.config) if "win32" in (metafunc.config.option.markexpr or "") else None
        if not isinstance(meta, dict):
            metafunc.parametrize(fixture, [pytest.param(None, id="not-selected" if meta is None else "unavailable")])
            continue
        contract = fixture == "win32_contract_case"
        metafunc.parametrize(fixture, [
            pytest.param((name, s), id=f"{name}-{s}", marks=[getattr(pytest.mark, "lab" + m["lab"])] + (
                [getattr(pytest.mark, "rule_" + m["rule"].replace("-", "_"))] if m["contract"] else []))
            for name, m in meta.items() if not m["selftest"] and not m.get("exercise") and m["contract"] == contract
            for s in WIN32_STRATEGIES])


class Win32(Runner):
    """The Win32 harness under the session's Wine, in the test's tmp_path."""

    def run(self, scenario, strategy="distinct", procs=4, timeout_ms=5000, impl=None, expect=False):
        """One run. Wine has been seen, once in many thousand starts on a
        loaded machine, to end a process with status 1 before its program
        ran: no report, no output, in milliseconds. The harness never ends so
        (every status-1 path writes its report), so such a start is tried
        once more, with a warning that keeps what Wine said."""
        for attempt in (1, 2):
            run = bounded(self.h.start(scenario, strategy, self.tmp_path, procs=procs, seed=self.seed, impl=impl,
                                       timeout_ms=timeout_ms, expect=expect, nodeid=self.nodeid))
            if run.json or run.returncode != EXIT_FAIL or run.stdout.strip() or "shmlab-harness" in run.stderr:
                return run
            if attempt == 1:
                warnings.warn(f"Wine ended the Win32 harness before it ran (status 1, no report, {run.elapsed:.3f} s; "
                              f"Wine said: {run.stderr.strip()[-400:] or 'nothing'}); starting it again")
        return run


@pytest.fixture(scope="session")
def win32_wine(request, pytestconfig):
    """The session's Wine, once the Win32 tests can run. Fails (never skips)
    when CTest asked for them (SHMLAB_WIN32=1) and they cannot run, unless
    Wine is there only in part (the set-up SKIPs then too)."""
    reason = why_not(pytestconfig)
    if reason:
        if os.environ.get("SHMLAB_WIN32") == "1" and not reason.startswith(PARTIAL_WINE):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return request.getfixturevalue("wine_session")


@pytest.fixture
def wine(win32_wine, pytestconfig, tmp_path, request):
    """The Win32 harness, for one test."""
    h = Harness(pytestconfig.shmlab, exe=exe_dir(pytestconfig) / "shmlab-harness.exe", wrapper=[win32_wine.loader],
                env=win32_wine.env)
    return Win32(h, tmp_path, request.node.nodeid)


def check_well_formed(run, strategy, procs):
    """The Win32 report is what it claims (the POSIX one's check is
    test_harness.py's): the request echoed, result and exit status agreeing,
    no problem, a `Local\\` region name, and the bases the strategy promises,
    each a multiple of 64 KiB where the harness chose it."""
    j, problems = run.json, []
    assert j is not None, "the Win32 harness wrote no JSON report\n" + explain(run)
    if (j["strategy"], j["procs"], j["seed"]) != (strategy, procs, run.seed) or j.get("problem") \
            or {"PASS": EXIT_PASS, "FAIL": EXIT_FAIL}.get(j["result"]) != run.returncode:
        problems.append(f"{j['strategy']}, {j['procs']} procs, seed {j['seed']}, result {j['result']}, "
                        f"exit {run.returncode}, problem {j.get('problem')!r}")
    if not REGION_NAME.match((j.get("region") or {}).get("name") or ""):
        problems.append(f"region name {(j.get('region') or {}).get('name')!r} is not Local\\shmlab-<pid>-<16 hex>")
    views, every = 2 if strategy == "double" else 1, []
    for w in run.workers:
        bases = [int(b, 16) for b in w["bases"]]
        every += bases
        if len(bases) != views or w["abi"] != 64 or (strategy != "kernel" and (
                w["requested"] != w["bases"] or any(b % VIEW_ALIGN for b in bases))):
            problems.append(f"worker {w['index']}: {w['abi']}-bit, bases {w['bases']}, requested {w['requested']}")
    if len(set(every)) != (1 if strategy == "same" else views * procs if strategy != "kernel" else len(set(every))):
        problems.append(f"{strategy} gave {len(set(every))} different bases to {procs} workers")
    assert not problems, "the run is not well-formed:\n  - " + "\n  - ".join(problems) + "\n" + explain(run)


# ---------------------------------------------------------------- the tests

def test_list_is_the_win32_table(wine, pytestconfig):
    meta = win32_table(pytestconfig)
    assert isinstance(meta, dict), meta
    contract = sorted(m["rule"] for m in meta.values() if m["contract"])
    assert contract == sorted(HANDLE_RULES), f"the Win32 table's contract scenarios check {contract}: the " \
        f"handles feature set's rules, {sorted(HANDLE_RULES)}, and no other"
    for needed in ("00-selftest-segv", "00-selftest-hang", "02-region-pointers-broken", "03-offsets-fixed",
                   "04-raw-handle-broken", "04-duplicate-handle-fixed"):
        assert needed in meta, f"{needed} is missing from the Win32 table: {list(meta)}"


def test_lesson(wine, pytestconfig, win32_case):
    if win32_case is None:
        pytest.skip("not selected: the Win32 lessons run with -m win32")
    run = skip_if_skipped(wine.run(*win32_case, expect=True))     # lab 01 without the 32-bit worker
    as_predicted(run, f"as the lesson predicts ({run['expected']})")


@pytest.mark.lab02
def test_region_pointers_fault_in_worker0_view(wine):
    run = wine.run("02-region-pointers-broken", "distinct")
    w0 = int(run.workers[0]["bases"][0], 16)
    faulting = [w for w in run.workers if w["fault_address"]]
    assert faulting, explain(run, "at least one worker faulting with a fault address")
    for w in faulting:
        assert w["signal"] == "EXCEPTION_ACCESS_VIOLATION", explain(run, "an access violation")
        assert w0 <= int(w["fault_address"], 16) < w0 + run.region_size, explain(
            run, f"worker {w['index']}'s fault inside worker 0's view")


@pytest.mark.lab04
def test_raw_handle_says_what_the_value_named(wine):
    run = wine.run("04-raw-handle-broken", "distinct")
    readers = run.workers[1:]
    assert run.result == "FAIL" and run.workers[0]["outcome"] == "PASS", explain(run)
    for w in readers:
        assert w["outcome"] == "FAIL" and (
            "is another section" in w["message"] or "is not a section" in w["message"]), explain(
            run, f"worker {w['index']} FAIL, saying whether the value named another section or nothing")


@pytest.mark.parametrize("strategy", WIN32_STRATEGIES)
def test_selftest_pass(wine, strategy):
    run = wine.run("00-selftest-pass", strategy)
    check_well_formed(run, strategy, 4)
    assert run.returncode == EXIT_PASS and all(w["outcome"] == "PASS" for w in run.workers), explain(run)


def test_selftest_fail(wine):
    run = wine.run("00-selftest-fail", "distinct", procs=2)
    check_well_formed(run, "distinct", 2)
    assert run.returncode == EXIT_FAIL, explain(run)
    assert all(w["outcome"] == "FAIL" and "on purpose" in w["message"] for w in run.workers), explain(run)


def test_selftest_segv_reports_the_exact_address(wine):
    run = wine.run("00-selftest-segv", "distinct", procs=3)
    check_well_formed(run, "distinct", 3)
    assert run.returncode == EXIT_FAIL, explain(run)
    for w in run.workers:
        end = int(w["bases"][0], 16) + run.region_size
        assert w["outcome"] == "SIGNALED" and w["signal"] == "EXCEPTION_ACCESS_VIOLATION", explain(
            run, f"worker {w['index']} SIGNALED with EXCEPTION_ACCESS_VIOLATION")
        assert w["fault_address"] and int(w["fault_address"], 16) == end, explain(
            run, f"worker {w['index']}'s fault address exactly base + size = {end:#x}")


def test_selftest_hang_is_killed(wine):
    run = wine.run("00-selftest-hang", "distinct", procs=2, timeout_ms=1000)
    assert run.returncode == EXIT_FAIL and all(w["outcome"] == "HUNG" for w in run.workers), explain(
        run, "every worker HUNG, killed with the job object")
    assert not run["problem"], explain(run, "no process of the run left (the harness's leftover check)")


def test_selftest_exit_without_result(wine):
    run = wine.run("00-selftest-exit", "distinct", procs=2)
    assert run.returncode == EXIT_FAIL and all(w["outcome"] == "FAIL" for w in run.workers), explain(run)


def test_fork_is_refused(wine):
    run = wine.invoke(["run", "00-selftest-pass", "--strategy", "fork"])
    assert run.returncode == EXIT_USAGE, explain(run, "exit 2: no fork on Windows")
    assert "fork" in run.stderr and "Windows" in run.stderr, explain(run, "a message that says why")


# ---------------------------------------------------------------- the handles feature set, with HANDLEs

CONTRACT_PROCS = 4
WIN32_MUTANTS = [Mutant(p) for p in sorted((SOURCE_DIR / "mutants" / "win32").glob("*.c"))]


def reference_dll(config):
    return exe_dir(config) / "shmlab.dll"


def core_dll(config):
    """The reference's core alone: it declares no feature set."""
    return exe_dir(config) / "shmlab-core.dll"


def mutant_dll(config, mutant):
    return config.shmlab.build / "win32" / "mutants" / f"mutant-{mutant.name}.dll"


def passes(run, library, meta, config):
    """Fails the test unless the run tested library, of the harness's contract, and passed."""
    version = config.shmlab.contract()["version_number"]
    assert run.get("impl") == str(library) and run.get("contract_version") == version, explain(
        run, f"a run of {library}, contract {config.shmlab.contract()['version']}")
    assert run.result == "PASS" and not run["problem"], explain(
        run, f"PASS with every worker PASS: rule {meta['rule']} holds under {run['strategy']}")


@pytest.mark.lab04
def test_contract_scenarios_line_up_with_posix(wine, pytestconfig):
    """The Win32 scenarios carry the POSIX ones' names, rules and feature
    sets, so that results of the two tracks line up."""
    meta = win32_table(pytestconfig)
    mine = {name: m for name, m in meta.items() if m["contract"]}
    assert sorted(m["rule"] for m in mine.values()) == sorted(HANDLE_RULES), mine
    assert all(m["features"] == ["handles"] and m["lab"] == "04" for m in mine.values()), mine
    posix = pytestconfig.shmlab.scenarios()
    if not isinstance(posix, dict):
        pytest.skip(f"no POSIX harness to compare with: {posix}")
    for name, m in mine.items():
        assert name in posix and (posix[name]["rule"], posix[name]["features"]) == (m["rule"], m["features"]), \
            f"{name}: Win32 says rule {m['rule']} {m['features']}, POSIX {posix.get(name)}"


def test_contract_handle_rule(wine, pytestconfig, win32_contract_case):
    if win32_contract_case is None:
        pytest.skip("not selected: the Win32 contract scenarios run with -m win32")
    name, strategy = win32_contract_case
    library = reference_dll(pytestconfig)
    run = wine.run(name, strategy, procs=CONTRACT_PROCS, impl=library)
    passes(run, library, win32_table(pytestconfig)[name], pytestconfig)


@pytest.mark.lab04
def test_contract_skipped_without_handles(wine, pytestconfig):
    """A library that does not declare the feature set: every handle
    scenario is skipped, saying why, before any worker starts."""
    core = core_dll(pytestconfig)
    for name, meta in win32_table(pytestconfig).items():
        if not meta["contract"]:
            continue
        run = wine.run(name, "distinct", impl=core)
        want = f"handles not supported by {core} (its shmlab_features() does not declare it)"
        assert run.returncode == EXIT_SKIP and run.result == "SKIP" and run["problem"] == want, explain(
            run, f"exit 77, SKIP: {want}")
        assert run["impl"] == str(core) and run.workers == [], explain(run, "no worker started")


@pytest.mark.lab04
def test_contract_library_default_and_refused(wine, pytestconfig):
    """Without --impl the reference beside the harness is tested, and the
    replay line names it by the path a shell takes; a library that cannot be
    loaded is refused (exit 2), never skipped."""
    run = wine.run("04-contract-handle-access", "distinct", procs=2)
    assert run["impl"].lower().endswith("\\shmlab.dll") and f"--impl {reference_dll(pytestconfig)}" in run["replay"], \
        explain(run, "the default library, shmlab.dll beside the harness, in the report and the replay line")
    passes(run, run["impl"], win32_table(pytestconfig)["04-contract-handle-access"], pytestconfig)
    missing = exe_dir(pytestconfig) / "no-such-library.dll"
    refused = wine.invoke(["run", "04-contract-handle-access", "--impl", missing])
    assert refused.returncode == EXIT_USAGE and f"cannot load {missing}" in refused.stderr, explain(
        refused, "exit 2, saying the library cannot be loaded")


# ---------------------------------------------------------------- its mutants

@pytest.mark.lab04
def test_mutants_one_per_rule():
    named = sorted(m.scenario for m in WIN32_MUTANTS)
    assert sorted(set(named)) == sorted(f"04-contract-{r}" for r in HANDLE_RULES), \
        f"the Win32 mutants name {named}: each handle rule's scenario must kill one"


@pytest.mark.lab04
@pytest.mark.parametrize("mutant,strategy", [pytest.param(m, s, id=f"{m.name}-{s}")
                                             for m in WIN32_MUTANTS for s in m.strategies])
def test_mutant_is_killed(wine, pytestconfig, mutant, strategy):
    """The named scenario passes the reference and fails the mutant, same seed."""
    library = mutant_dll(pytestconfig, mutant)
    assert not mutant.problems, f"mutant {mutant.name} ({mutant.path}):\n  - " + "\n  - ".join(mutant.problems)
    assert strategy in WIN32_STRATEGIES, f"mutant {mutant.name}: no `{strategy}` on Windows"
    meta = win32_table(pytestconfig).get(mutant.scenario)
    assert meta and meta["contract"], f"mutant {mutant.name} names {mutant.scenario}, not a Win32 contract scenario"
    assert library.is_file(), f"mutant {mutant.name} was not built: {library} is missing"
    ref = wine.run(mutant.scenario, strategy, procs=CONTRACT_PROCS, impl=reference_dll(pytestconfig))
    passes(ref, reference_dll(pytestconfig), meta, pytestconfig)
    run = wine.run(mutant.scenario, strategy, procs=CONTRACT_PROCS, impl=library)
    assert run.returncode == EXIT_FAIL and run.result == "FAIL", explain(
        run, f"mutant {mutant.name} caught: exit 1, FAIL ({mutant.rule}); why it should be: {mutant.why}")


@pytest.mark.lab05
def test_gdi_handle_names_the_readers_own_brush(wine):
    """The handout's claim, word for word: the stored brush value is a brush
    in each reader too, its own, with its own colour. No error tells it."""
    run = wine.run("05-gdi-handle-broken", "distinct")
    readers = run.workers[1:]
    assert readers and all(w["outcome"] == "FAIL" and "names this process's own brush" in w["message"]
                           for w in readers), explain(run, "every reader FAIL: the value names its own brush")


@pytest.mark.lab05
def test_stale_hwnd_says_so(wine):
    run = wine.run("05-stale-hwnd-broken", "distinct")
    assert all(w["outcome"] == "FAIL" and "error 1400" in w["message"] for w in run.workers), explain(
        run, "every worker FAIL, PostMessage with ERROR_INVALID_WINDOW_HANDLE (1400)")


def preferred_range(dll):
    """The range a 64-bit PE image asks for: ImageBase and SizeOfImage, read
    from its optional header (PE32+), as win32_load.c reads them."""
    head = dll.read_bytes()[:4096]
    pe = int.from_bytes(head[0x3c:0x40], "little")
    opt = pe + 24
    assert head[pe:pe + 4] == b"PE\0\0" and head[opt:opt + 2] == b"\x0b\x02", f"{dll} is not a PE32+ image"
    return int.from_bytes(head[opt + 24:opt + 32], "little"), int.from_bytes(head[opt + 56:opt + 60], "little")


@pytest.mark.lab06
def test_rebuilt_dll_asks_for_another_range(pytestconfig):
    """The two builds of the shapes DLL ask for ranges that do not overlap, so
    a worker that loads the rebuild has nothing where worker 0's copy is."""
    (a, a_size), (b, b_size) = (preferred_range(exe_dir(pytestconfig) / n) for n in ("shapes.dll", "shapes-rebuilt.dll"))
    assert a + a_size <= b or b + b_size <= a, f"shapes.dll {a:#x}+{a_size:#x}, shapes-rebuilt.dll {b:#x}+{b_size:#x}"


@pytest.mark.lab06
@pytest.mark.parametrize("strategy", WIN32_STRATEGIES)
@pytest.mark.parametrize("scenario", ["06-relocated-dll-broken", "06-rebuilt-dll-broken"])
def test_moved_dll_faults_inside_worker0s_copy(wine, pytestconfig, scenario, strategy):
    """The handout's claims, under Wine 8: worker 0's copy of shapes.dll lies
    at the base its header asks for (Wine loads a DLL there when the range is
    free), the even workers, whose copies lie there too, pass, and each odd
    worker, whose shapes.dll is elsewhere, dies of an access violation inside
    worker 0's copy, which the harness names."""
    base, size = preferred_range(exe_dir(pytestconfig) / "shapes.dll")
    run = wine.run(scenario, strategy)
    for w in run.workers:
        if w["index"] % 2 == 0:
            assert w["outcome"] == "PASS", explain(run, f"worker {w['index']}, shapes.dll at its base, PASS")
            continue
        assert w["outcome"] == "SIGNALED" and w["signal"] == "EXCEPTION_ACCESS_VIOLATION", explain(
            run, f"worker {w['index']} SIGNALED with EXCEPTION_ACCESS_VIOLATION")
        assert base <= int(w["fault_address"], 16) < base + size, explain(
            run, f"worker {w['index']}'s fault inside shapes.dll's preferred range {base:#x}+{size:#x}")
        assert (w["fault_where"] or "").startswith("inside worker 0's copy of shapes.dll"), explain(
            run, f"worker {w['index']}'s fault placed inside worker 0's copy of shapes.dll")


@pytest.mark.lab07
@pytest.mark.parametrize("scenario,call", [("07-critical-section-broken", "EnterCriticalSection"),
                                           ("07-srw-lock-broken", "AcquireSRWLockExclusive"),
                                           ("07-wait-on-address-broken", "WaitOnAddress")])
def test_in_process_lock_wakes_no_other_process(wine, scenario, call):
    """The handout's claim for Wine 8: the holder (worker 0) passes, and every
    waiter in another process reports that its wait was never ended by a
    wake-up from worker 0, within its bound: not a crash, not a hang."""
    run = wine.run(scenario, "distinct")
    assert run.workers[0]["outcome"] == "PASS", explain(run, "worker 0, the holder or waker, PASS")
    for w in run.workers[1:]:
        assert w["outcome"] == "FAIL" and w["message"].startswith(call) and (
            "no wake-up reached this process" in w["message"] or "ERROR_TIMEOUT" in w["message"]), explain(
            run, f"worker {w['index']} FAIL: {call} never woken from worker 0's process")

