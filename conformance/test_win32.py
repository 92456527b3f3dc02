"""The Win32 track: the Win32 harness (build/win32/bin/shmlab-harness.exe),
run under Wine, checked as the POSIX one is. Its own `list --json` says which
scenarios it has; each lesson among them runs under every strategy Windows
has (distinct, double, same, kernel) and must do what its lesson predicts,
the self-tests must be reported truthfully (a fault at its exact address, a
hang killed), and `fork` must be refused.

Its contract scenarios are the handles feature set's, with HANDLEs
(conformance/scenarios/handles_win32.c): each runs under every strategy
against the reference as a DLL (build/win32/bin/shmlab.dll) and must pass;
the reference's core alone (shmlab-core.dll), which declares no feature set,
must be skipped, never passed; and each Win32 mutant (mutants/win32/, built
into build/win32/mutants/) must be killed by the scenario its header names,
read as test_mutants.py reads the POSIX ones. These test the Win32 DLLs only:
the --impl of a POSIX session (SHMLAB_IMPL) is a shared object, not a DLL.

Wine runs headless (no DISPLAY), quietly (WINEDEBUG=-all,err+all), in its own prefix
inside the build tree ($WINEPREFIX, else <build>/win32/prefix). Under CTest,
the fixture tests win32.setup and win32.cleanup start and stop the
wineserver around these tests; run alone, this module stops the one it
started. These tests carry the `win32` marker and run only when it is
selected (-m win32): listing the Win32 scenarios needs Wine.

The leftover check here replaces conftest's: Wine starts its processes
detached (they become pytest's children, reaped here), so what must be gone
after every test is any shmlab .exe process and any /dev/shm entry named
after one of the test's regions.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import time
import warnings

import pytest

import conftest
from conftest import EXIT_FAIL, EXIT_PASS, EXIT_SKIP, EXIT_USAGE, Run, _TestContext, explain, hexes
from test_mutants import Mutant

pytestmark = pytest.mark.win32

WIN32_STRATEGIES = ("distinct", "double", "same", "kernel")
HANDLE_RULES = ("handle-give-take", "handle-no-leak", "handle-access", "handle-move")   # its contract rules
REGION_NAME = re.compile(r"^Local\\shmlab-(\d+)-[0-9a-f]{16}$")
VIEW_ALIGN = 65536


def exe_dir(config):
    return conftest.build_dir(config) / "win32" / "bin"


def wine_env(config):
    # Wine's own errors only: a run that ends before the harness could say
    # anything (no report, no message) then still says why in its stderr.
    env = dict(os.environ, WINEDEBUG="-all,err+all", NO_COLOR="1", **{TAG: session_tag()})
    env.setdefault("WINEPREFIX", str(conftest.build_dir(config) / "win32" / "prefix"))
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def wine_loader():
    """Wine's 64-bit loader: $SHMLAB_WINE (CTest sets the one CMake found),
    else Debian's. Not the `wine` command, which starts the 32-bit loader
    whenever wine32 is installed, even where the kernel refuses 32-bit
    programs (cmake/wine.cmake)."""
    return os.environ.get("SHMLAB_WINE") or shutil.which("wine64", path="/usr/lib/wine:" + os.defpath) or "wine64"


PARTIAL_WINE = "64-bit Wine does not run a Windows program here"


def why_not(config):
    """Why the Win32 tests cannot run here, or None. Asked once a session: a
    Wine installed only in part has its loader, but the loader cannot start
    a program, so the worker is asked for its width, as the harness does."""
    if "why_not" in _table:
        return _table["why_not"]
    exe = exe_dir(config) / "shmlab-harness.exe"
    if shutil.which(wine_loader()) is None:
        reason = "64-bit Wine is not installed (Debian: apt-get install wine wine64)"
    elif not exe.is_file():
        reason = f"{exe} is not built (needs mingw-w64, Debian: gcc-mingw-w64-x86-64; then `cmake --build build`)"
    else:
        probe = subprocess.run([wine_loader(), str(exe_dir(config) / "shmlab-worker.exe"), "--abi"],
                               env=wine_env(config), stdin=subprocess.DEVNULL, capture_output=True, timeout=180)
        reason = None if probe.returncode == 64 else (
            f"{PARTIAL_WINE}: {wine_loader()} exited {probe.returncode}: Wine is installed only in part "
            f"(Debian: apt-get install --reinstall wine wine64 libwine)")
    _table["why_not"] = reason
    return reason


def selected(config):
    return "win32" in (config.option.markexpr or "")


_table = {}


def win32_table(config):
    """`wine shmlab-harness.exe list --json`, as {name: metadata}, or a str
    saying why it is not available."""
    if "meta" not in _table:
        reason = why_not(config)
        if reason is None:
            out = subprocess.run([wine_loader(), str(exe_dir(config) / "shmlab-harness.exe"), "list", "--json"],
                                 capture_output=True, text=True, timeout=120, env=wine_env(config),
                                 stdin=subprocess.DEVNULL)
            try:
                reason = {row["name"]: row for row in json.loads(out.stdout)}
            except ValueError:
                reason = f"`list --json` under Wine gave no list: exit {out.returncode}, {out.stderr[-500:]}"
        _table["meta"] = reason
    return _table["meta"]


def pytest_generate_tests(metafunc):
    """win32_case: (scenario, strategy) for every lesson of the Win32 table;
    win32_contract_case: the same for its contract scenarios, marked with
    their lab and rule."""
    for fixture in ("win32_case", "win32_contract_case"):
        if fixture not in metafunc.fixturenames:
            continue
        if not selected(metafunc.config):       # never start Wine for a POSIX session
            metafunc.parametrize(fixture, [pytest.param(None, id="not-selected")])
            continue
        meta = win32_table(metafunc.config)
        if isinstance(meta, str):
            metafunc.parametrize(fixture, [pytest.param(None, id="unavailable")])
            continue
        contract = fixture == "win32_contract_case"
        metafunc.parametrize(fixture, [
            pytest.param((name, s), id=f"{name}-{s}", marks=case_marks(m))
            for name, m in meta.items() if not m["selftest"] and m["contract"] == contract
            for s in WIN32_STRATEGIES])


def case_marks(meta):
    marks = [getattr(pytest.mark, "lab" + meta["lab"])]
    if meta["contract"]:
        marks.append(getattr(pytest.mark, conftest.rule_marker(meta["rule"])))
    return marks


# ---------------------------------------------------------------- Wine, and what it leaves

TAG = "SHMLAB_WIN32_TAG"      # in the environment of this session's runs, and so of their workers


def session_tag():
    return f"{os.getpid()}"


def shmlab_exe_processes():
    """{pid: cmdline} of live processes of this session's runs: a shmlab .exe
    whose environment (inherited from the wine command) carries our tag.
    Sessions running side by side (ctest -j) do not see each other's."""
    found, mark = {}, f"{TAG}={session_tag()}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        cmd = conftest._read(f"/proc/{entry}/cmdline") or ""
        stat = conftest._read(f"/proc/{entry}/stat") or ""
        state = stat[stat.rfind(")") + 2:stat.rfind(")") + 3] if stat else ""
        if not re.search(r"shmlab-(harness|worker)\.exe", cmd) or state in ("Z", "X", ""):
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if mark not in f.read().split(b"\0"):
                    continue
        except OSError:
            continue
        found[int(entry)] = cmd.replace("\0", " ").strip()
    return found


def processes_that_stay(bound_s=2.0):
    """shmlab_exe_processes(), once the processes the harness saw end have
    finished ending: Wine reports a process ended to Windows before its Unix
    process has gone, which on a loaded machine takes a moment. Polls /proc,
    bounded by bound_s; what is still there then has stayed."""
    deadline = time.monotonic() + bound_s
    while (left := shmlab_exe_processes()) and time.monotonic() < deadline:
        time.sleep(0.02)
        reap_children()
    return left


def reap_children():
    """Reaps pytest's exited children: Wine detaches the processes it
    starts, and pytest, a child subreaper (conftest), inherits them."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


@pytest.fixture(scope="session")
def wine(pytestconfig):
    """The Win32 harness under Wine. Fails (never skips) when CTest asked for
    the Win32 tests (SHMLAB_WIN32=1) and they cannot run, unless Wine is
    there only in part (the set-up SKIPs then too); stops a wineserver this
    session started."""
    reason = why_not(pytestconfig)
    if reason:
        if os.environ.get("SHMLAB_WIN32") == "1" and not reason.startswith(PARTIAL_WINE):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    env = wine_env(pytestconfig)
    yield Wine(pytestconfig, env)
    if os.environ.get("SHMLAB_WIN32") != "1":   # run alone: nobody else stops it
        subprocess.run(["wineserver", "-k"], env=env, timeout=30, capture_output=True)
        subprocess.run(["wineserver", "-w"], env=env, timeout=30, capture_output=True)
    reap_children()


_ctx = None
_ctx_regions = []      # the region names (Local\\shmlab-...) of the current test's runs


@pytest.fixture(autouse=True)
def no_leftovers(request, tmp_path):
    """This module's leftover check (it replaces conftest's): after every
    test, no shmlab .exe process alive and no new /dev/shm entry named after
    one of its regions."""
    global _ctx
    shm_before = conftest.snapshot()["shm"]
    _ctx = _TestContext(request.node.nodeid, conftest.session_seed(request.config), tmp_path)
    try:
        yield _ctx
    finally:
        _ctx = None
    reap_children()
    left = processes_that_stay()
    # Only entries named after this test's own regions: POSIX runs beside
    # this session (ctest -j) make and remove /dev/shm/shmlab-* entries too.
    ours = {n.split("\\", 1)[-1] for n in _ctx_regions}
    _ctx_regions.clear()
    shm = {n for n in conftest.snapshot()["shm"] - shm_before if n in ours}
    for pid in left:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    reap_children()
    if left or shm:
        pytest.fail("left behind (now cleaned up):\n  - " + "\n  - ".join(
            [f"process {p}: {c}" for p, c in left.items()] + [f"/dev/shm/{n}" for n in sorted(shm)]),
            pytrace=False)


class Wine:
    def __init__(self, config, env):
        self.config, self.env = config, env
        self.exe = exe_dir(config) / "shmlab-harness.exe"

    def invoke(self, args, json_path=None, timeout_s=60, seed=None):
        """One start of the harness under Wine. Wine has been seen, once in
        many thousand starts on a loaded machine, to end a process with status
        1 before its program ran: no report, no output, in milliseconds. The
        harness never ends so (every status-1 path writes its report), so such
        a start is tried once more, with a warning that keeps what Wine said."""
        run = self._invoke_once(args, json_path, timeout_s, seed)
        if (json_path is not None and run.json is None and run.returncode == EXIT_FAIL and not run.stdout.strip()
                and "shmlab-harness" not in run.stderr):
            warnings.warn(f"Wine ended the Win32 harness before it ran (status 1, no report, {run.elapsed:.3f} s; "
                          f"Wine said: {run.stderr.strip()[-400:] or 'nothing'}); starting it again")
            run = self._invoke_once(args, json_path, timeout_s, seed)
        return run

    def _invoke_once(self, args, json_path, timeout_s, seed):
        ctx = _ctx
        cmd = [wine_loader(), str(self.exe), *map(str, args)]
        n = ctx.runs
        ctx.runs += 1
        out_path, err_path = ctx.tmp_path / f"wine-{n}.stdout", ctx.tmp_path / f"wine-{n}.stderr"
        start = time.monotonic()
        timed_out = False
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=ctx.tmp_path,
                                    env=self.env)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                proc.kill()
                proc.wait()
        report = None
        if json_path is not None and pathlib.Path(json_path).exists():
            report = json.loads(pathlib.Path(json_path).read_text())
            _ctx_regions.append((report.get("region") or {}).get("name") or "")
        run = Run(cmd, proc.returncode, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"),
                  report, json_path, time.monotonic() - start, timed_out, seed, ctx, wrapped=True)
        if timed_out:
            pytest.fail(f"the Win32 harness did not end within {timeout_s} s\n" + explain(run), pytrace=False)
        return run

    def run(self, scenario, strategy="distinct", procs=4, timeout_ms=5000, impl=None):
        """One run; a contract scenario tests the DLL impl (a Unix path), by
        default the harness's own choice, shmlab.dll beside it."""
        seed = _ctx.seed
        json_path = _ctx.tmp_path / f"{scenario}-{strategy}-{_ctx.runs}.json"
        # Wine maps the Unix path to a Windows one itself (Z:\...).
        r = self.invoke(["run", scenario, "--procs", procs, "--strategy", strategy, "--seed", seed,
                         "--timeout-ms", timeout_ms, "--json", json_path, "--quiet",
                         *(["--impl", impl] if impl else [])],
                        json_path=json_path, timeout_s=timeout_ms / 1000 + 60, seed=seed)
        r.request = {"scenario": scenario, "strategy": strategy, "procs": procs, "seed": seed,
                     "timeout_ms": timeout_ms}
        return r


def check_well_formed(run, mixed_abi=False):
    """conftest.check_well_formed's checks, with Windows' differences: the
    region is a `Local\\` name, and every forced base is a multiple of 64 KiB.
    A mixed-ABI run has its odd workers 32-bit, the others 64-bit."""
    j = run.json
    assert j is not None, "the Win32 harness wrote no JSON report\n" + explain(run)
    problems = []
    for key, asked in run.request.items():
        if j.get(key) != asked:
            problems.append(f"the report says {key} {j.get(key)!r}, the command asked for {asked!r}")
    if conftest.EXIT_OF_RESULT.get(j.get("result")) != run.returncode:
        problems.append(f"result {j.get('result')} but exit status {run.returncode}")
    if j.get("problem"):
        problems.append(f"the harness reported a problem with the run itself: {j['problem']}")
    if not REGION_NAME.match((j.get("region") or {}).get("name") or ""):
        problems.append(f"region name {(j.get('region') or {}).get('name')!r} is not Local\\shmlab-<pid>-<16 hex>")
    views = 2 if j["strategy"] == "double" else 1
    every = []
    for w in run.workers:
        bases = hexes(w.get("bases") or [])
        every += bases
        if len(bases) != views:
            problems.append(f"worker {w['index']} reports {len(bases)} bases, {j['strategy']} gives {views}")
        if j["strategy"] != "kernel":
            if w["requested"] != w["bases"]:
                problems.append(f"worker {w['index']} requested {w['requested']} and got {w['bases']}")
            if any(b % VIEW_ALIGN for b in bases):
                problems.append(f"worker {w['index']}: a base is not a multiple of 64 KiB: {w['bases']}")
        abi = 32 if mixed_abi and w["index"] % 2 else 64
        if w.get("abi") != abi:
            problems.append(f"worker {w['index']} is {w.get('abi')}-bit; expected {abi}"
                            + (" (mixed-ABI runs have odd workers 32-bit)" if mixed_abi else ""))
    if j["strategy"] in ("distinct", "double") and len(set(every)) != views * len(run.workers):
        problems.append(f"{j['strategy']} must give {views * len(run.workers)} different bases: {every}")
    if j["strategy"] == "same" and len(set(every)) != 1:
        problems.append(f"same must give one base: {every}")
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
    name, strategy = win32_case
    meta = win32_table(pytestconfig)[name]
    run = wine.run(name, strategy)
    if meta["mixed_abi"] and run.result == "SKIP":
        assert run.returncode == EXIT_SKIP and re.search(r"wine32|gcc-mingw-w64-i686|SHMLAB_NO_I386", run["problem"]), explain(
            run, "a SKIP (exit 77) only for want of the 32-bit worker, naming what to install")
        pytest.skip(f"{name} under {strategy}: {run['problem']}")
    check_well_formed(run, mixed_abi=meta["mixed_abi"])
    # The harness judges (verdict_of, harness/describe.c), as on POSIX.
    assert run["verdict"] == "as predicted", explain(run, f"as the lesson predicts ({run['expected']})")


@pytest.mark.lab02
def test_region_pointers_fault_in_worker0_view(wine):
    run = wine.run("02-region-pointers-broken", "distinct")
    check_well_formed(run)
    w0 = hexes(run.workers[0]["bases"])[0]
    faulting = [w for w in run.workers if w["fault_address"]]
    assert faulting, explain(run, "at least one worker faulting with a fault address")
    for w in faulting:
        assert w["signal"] == "EXCEPTION_ACCESS_VIOLATION", explain(run, "an access violation")
        assert w0 <= int(w["fault_address"], 16) < w0 + run.region_size, explain(
            run, f"worker {w['index']}'s fault inside worker 0's view")


@pytest.mark.lab04
def test_raw_handle_says_what_the_value_named(wine):
    run = wine.run("04-raw-handle-broken", "distinct")
    check_well_formed(run)
    readers = run.workers[1:]
    assert run.result == "FAIL" and run.workers[0]["outcome"] == "PASS", explain(run)
    for w in readers:
        assert w["outcome"] == "FAIL" and (
            "is another section" in w["message"] or "is not a section" in w["message"]), explain(
            run, f"worker {w['index']} FAIL, saying whether the value named another section or nothing")


def test_selftest_pass(wine):
    run = wine.run("00-selftest-pass", "double")
    check_well_formed(run)
    assert run.returncode == EXIT_PASS and all(w["outcome"] == "PASS" for w in run.workers), explain(run)


def test_selftest_fail(wine):
    run = wine.run("00-selftest-fail", "distinct", procs=2)
    check_well_formed(run)
    assert run.returncode == EXIT_FAIL, explain(run)
    assert all(w["outcome"] == "FAIL" and "on purpose" in w["message"] for w in run.workers), explain(run)


def test_selftest_segv_reports_the_exact_address(wine):
    run = wine.run("00-selftest-segv", "distinct", procs=3)
    check_well_formed(run)
    assert run.returncode == EXIT_FAIL, explain(run)
    for w in run.workers:
        end = hexes(w["bases"])[0] + run.region_size
        assert w["outcome"] == "SIGNALED" and w["signal"] == "EXCEPTION_ACCESS_VIOLATION", explain(
            run, f"worker {w['index']} SIGNALED with EXCEPTION_ACCESS_VIOLATION")
        assert w["fault_address"] and int(w["fault_address"], 16) == end, explain(
            run, f"worker {w['index']}'s fault address exactly base + size = {end:#x}")


def test_selftest_hang_is_killed(wine):
    run = wine.run("00-selftest-hang", "distinct", procs=2, timeout_ms=1000)
    check_well_formed(run)
    assert run.returncode == EXIT_FAIL and all(w["outcome"] == "HUNG" for w in run.workers), explain(
        run, "every worker HUNG, killed with the job object")
    assert not shmlab_exe_processes(), f"processes left: {shmlab_exe_processes()}"


def test_selftest_exit_without_result(wine):
    run = wine.run("00-selftest-exit", "distinct", procs=2)
    check_well_formed(run)
    assert run.returncode == EXIT_FAIL and all(w["outcome"] == "FAIL" for w in run.workers), explain(run)


def test_fork_is_refused(wine):
    run = wine.invoke(["run", "00-selftest-pass", "--strategy", "fork"])
    assert run.returncode == EXIT_USAGE, explain(run, "exit 2: no fork on Windows")
    assert "fork" in run.stderr and "Windows" in run.stderr, explain(run, "a message that says why")


# ---------------------------------------------------------------- the handles feature set, with HANDLEs

CONTRACT_PROCS = 4
WIN32_MUTANTS = [Mutant(p) for p in sorted((conftest.SOURCE_DIR / "mutants" / "win32").glob("*.c"))]


def reference_dll(config):
    return exe_dir(config) / "shmlab.dll"


def core_dll(config):
    """The reference's core alone: it declares no feature set."""
    return exe_dir(config) / "shmlab-core.dll"


def mutant_dll(config, mutant):
    return conftest.build_dir(config) / "win32" / "mutants" / f"mutant-{mutant.name}.dll"


def contract_version():
    """What shmlab_contract_version() returns for the contract of contract.h."""
    major, minor = conftest.suite_contract_version().split(".")
    return int(major) * 100 + int(minor)


def passes(run, library, meta):
    """Fails the test unless the run tested library and passed."""
    assert run.get("impl") == str(library) and run.get("contract_version") == contract_version(), explain(
        run, f"a run of {library}, contract {conftest.suite_contract_version()}")
    bad = [w["index"] for w in run.workers if w["outcome"] != "PASS"]
    assert run.result == "PASS" and not bad, explain(
        run, f"PASS with every worker PASS: rule {meta['rule']} holds under {run['strategy']}; "
             f"workers {bad or 'none'} did not pass")


@pytest.mark.lab04
def test_contract_scenarios_line_up_with_posix(wine, pytestconfig):
    """The Win32 scenarios carry the POSIX ones' names, rules and feature
    sets, so that results of the two tracks line up."""
    meta = win32_table(pytestconfig)
    mine = {name: m for name, m in meta.items() if m["contract"]}
    assert sorted(m["rule"] for m in mine.values()) == sorted(HANDLE_RULES), mine
    assert all(m["features"] == ["handles"] and m["lab"] == "04" for m in mine.values()), mine
    posix = conftest.scenario_metadata(pytestconfig)
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
    check_well_formed(run)
    passes(run, library, win32_table(pytestconfig)[name])


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
    check_well_formed(run)
    assert run["impl"].lower().endswith("\\shmlab.dll") and f"--impl {reference_dll(pytestconfig)}" in run["replay"], \
        explain(run, "the default library, shmlab.dll beside the harness, in the report and the replay line")
    passes(run, run["impl"], win32_table(pytestconfig)["04-contract-handle-access"])
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
    passes(ref, reference_dll(pytestconfig), meta)
    run = wine.run(mutant.scenario, strategy, procs=CONTRACT_PROCS, impl=library)
    assert run.returncode == EXIT_FAIL and run.result == "FAIL", explain(
        run, f"mutant {mutant.name} caught: exit 1, FAIL ({mutant.rule}); why it should be: {mutant.why}")


@pytest.mark.lab05
def test_gdi_handle_names_the_readers_own_brush(wine):
    """The handout's claim, word for word: the stored brush value is a brush
    in each reader too, its own, with its own colour. No error tells it."""
    run = wine.run("05-gdi-handle-broken", "distinct")
    check_well_formed(run)
    readers = run.workers[1:]
    assert readers and all(w["outcome"] == "FAIL" and "names this process's own brush" in w["message"]
                           for w in readers), explain(run, "every reader FAIL: the value names its own brush")


@pytest.mark.lab05
def test_stale_hwnd_says_so(wine):
    run = wine.run("05-stale-hwnd-broken", "distinct")
    check_well_formed(run)
    assert all(w["outcome"] == "FAIL" and "error 1400" in w["message"] for w in run.workers), explain(
        run, "every worker FAIL, PostMessage with ERROR_INVALID_WINDOW_HANDLE (1400)")
