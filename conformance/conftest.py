"""The pytest layer of shmlab's conformance suite.

The C harness is the authority: which scenarios exist, which lab each belongs
to, what each lesson predicts and which rule of the contract each contract
scenario checks come from `shmlab-harness list --json` and from the JSON
report of every run. This file only drives the harness, checks what it
reports, and makes every failure explain itself (see explain()).

The contract scenarios test one implementation of the contract, a shared
library: --impl PATH, else $SHMLAB_IMPL, else the reference built beside the
harness (<build>/lib/libshmlab.so). Every session that runs contract tests
merges their results into <build>/conformance-results.json and ends its
output with one line, `N passed, N failed` (`, N skipped` when any).

Every run has a seed. One session seed (--seed, else SHMLAB_SEED, else
random) is printed in the header; each test derives its own seed from it and
from its test id, so `--seed N` replays a whole session, and the `replay`
line of a failure replays the one run.

An autouse fixture fails a test (at teardown) that leaves anything behind: a
/dev/shm entry `shmlab-*`, a System V shared memory segment or message queue,
or a process (pytest makes itself a child subreaper, so an orphaned worker
becomes its child and is seen). Only what this test's own runs created
counts, so suites that run in parallel (ctest -j) do not blame each other.
"""
import ctypes
import ctypes.util
import fcntl
import hashlib
import json
import os
import pathlib
import platform
import random
import re
import shutil
import shlex
import signal
import subprocess
import sys
import time

import pytest

SOURCE_DIR = pathlib.Path(__file__).resolve().parent
REPO = SOURCE_DIR.parent
STRATEGIES = ("distinct", "double", "fork", "same", "kernel")
OTHER_ABIS = ("i386", "win64")  # lab 01's readers: i386 Linux, x86-64 Windows under Wine
# Why a mixed-ABI run may be skipped: its reader of another ABI cannot run
# here, and the harness names the cause (harness/other_abi.c).
OTHER_ABI_SKIP = re.compile(r"gcc-multilib|IA-32 emulation|SHMLAB_NO_I386|Wine|mingw-w64|does not run here")
EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_SKIP = 0, 1, 2, 77
EXIT_OF_RESULT = {"PASS": EXIT_PASS, "FAIL": EXIT_FAIL, "ERROR": EXIT_USAGE, "SKIP": EXIT_SKIP}
DEFAULT_TIMEOUT_MS = 5000
BUILD_HINT = "cmake -S . -B build -G Ninja && cmake --build build"
REGION_NAME = re.compile(r"^/shmlab-(\d+)-[0-9a-f]{16}$")
MEMFD_NAME = "memfd:shmlab"     # a region with no name (harness/run.h): a memfd passed as a descriptor
SHM_ENTRY = re.compile(r"^shmlab-(\d+)-")
RESULTS_FILE = "conformance-results.json"
CONTRACT_HEADER = REPO / "reference" / "include" / "shmlab" / "contract.h"
FEATURE_BITS = {"handles": 1, "global-ids": 2}      # contract.h, enum shmlab_feature


# ---------------------------------------------------------------- options

def pytest_addoption(parser):
    group = parser.getgroup("shmlab")
    group.addoption(
        "--build-dir", default=None,
        help="the CMake build directory holding bin/shmlab-harness "
             "(default: $SHMLAB_BUILD_DIR, else <repo>/build)")
    group.addoption(
        "--seed", default=None,
        help="session seed, 0 to 4294967295 (default: $SHMLAB_SEED, else random); "
             "every test derives its seed from it and from its id")
    group.addoption(
        "--impl", default=None,
        help="the implementation of the contract to test, a shared library "
             "(default: $SHMLAB_IMPL, else <build>/lib/libshmlab.so, the reference); "
             "a relative path is taken from the directory the command was run in")
    group.addoption(
        "--results", default=None,
        help=f"the file contract results are merged into (default: <build>/{RESULTS_FILE})")


def _parse_seed(text, where):
    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if not 0 <= value <= 0xFFFFFFFF:
        raise pytest.UsageError(f"{where} takes 0 to 4294967295, not {text!r}")
    return value


def pytest_configure(config):
    if config.getoption("--seed") is not None:
        config._shmlab_seed = _parse_seed(config.getoption("--seed"), "--seed")
    elif os.environ.get("SHMLAB_SEED"):
        config._shmlab_seed = _parse_seed(os.environ["SHMLAB_SEED"], "SHMLAB_SEED")
    else:
        config._shmlab_seed = random.SystemRandom().randrange(1 << 32)
    bindir = build_dir(config) / "bin"
    config._shmlab_bin = bindir
    config._shmlab_meta = None
    config._shmlab_impl = None
    config._shmlab_results = {}         # nodeid -> the result of one contract test
    become_subreaper()


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Makes pytest the reaper of its orphaned descendants, so that a process
    a run leaves behind (even one that escaped its process group) becomes
    pytest's child, where the leftover check sees it."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def build_dir(config):
    chosen = config.getoption("--build-dir") or os.environ.get("SHMLAB_BUILD_DIR")
    return pathlib.Path(chosen).resolve() if chosen else REPO / "build"


def harness_path(config):
    return config._shmlab_bin / "shmlab-harness"


def session_seed(config):
    return config._shmlab_seed


def derive_seed(session, nodeid):
    """The seed of one test: the same for the same session seed and test id."""
    digest = hashlib.sha256(f"{session}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def pytest_report_header(config):
    exe = harness_path(config)
    i386 = config._shmlab_bin / "shmlab-worker-i386"
    seed = session_seed(config)
    lines = [
        f"shmlab harness: {exe}" + ("" if os.access(exe, os.X_OK) else f" (missing: build with `{BUILD_HINT}`)"),
        "shmlab 32-bit worker: " + ("built" if os.access(i386, os.X_OK)
                                    else "not built: mixed-ABI runs SKIP (Debian: gcc-multilib)"),
        f"kernel: {platform.system()} {platform.release()} {platform.machine()}",
        f"shmlab session seed: {seed} (replay this session: add --seed {seed}, or set SHMLAB_SEED={seed})",
        f"shmlab implementation under test: {impl_under_test(config).describe()}",
        f"shmlab suite: contract {suite_contract_version()}",
    ]
    return lines


def pytest_terminal_summary(terminalreporter, config):
    """The session seed again at the end, where even `-q` (CTest) shows it."""
    seed = session_seed(config)
    terminalreporter.write_line(f"shmlab session seed: {seed} (replay: --seed {seed} or SHMLAB_SEED={seed})")
    if config._shmlab_results:
        terminalreporter.write_line(f"shmlab implementation under test: {impl_under_test(config).describe()}; "
                                    f"results in {results_path(config)}")


# ---------------------------------------------------------------- the implementation under test

def suite_contract_version():
    """The contract version this suite tests, "MAJOR.MINOR" from contract.h."""
    text = _read(CONTRACT_HEADER) or ""
    major = re.search(r"#define\s+SHMLAB_CONTRACT_MAJOR\s+(\d+)", text)
    minor = re.search(r"#define\s+SHMLAB_CONTRACT_MINOR\s+(\d+)", text)
    return f"{major.group(1)}.{minor.group(1)}" if major and minor else "?"


def resolve_impl(text, build, cwd=None, shell_cwd=None):
    """The library a --impl or SHMLAB_IMPL value names. An absolute path is
    itself. A relative one is taken from the directory the command was typed
    in: CTest runs each test in its own directory but passes the
    environment, so $PWD still says where `ctest` was started. The first of
    that, the working directory and the build's parent that holds the file
    wins; if none does, the first candidate (the harness then says why it
    cannot load it)."""
    path = pathlib.Path(text)
    if path.is_absolute():
        return path
    bases = [pathlib.Path(b) for b in (shell_cwd, cwd or os.getcwd()) if b] + [pathlib.Path(build).parent]
    for b in bases:
        if (b / path).exists():
            return (b / path).resolve()
    return (bases[0] / path).absolute()


class Impl:
    """The implementation under test: its path, and what its own
    shmlab_contract_version() and shmlab_features() say (asked in a child
    process, so that a library that crashes on load cannot take pytest with
    it). error says why it could not be asked; the harness is the judge of
    whether it can be tested."""

    def __init__(self, path, version=None, features=0, error=None):
        self.path, self.version, self.features, self.error = str(path), version, features, error

    @property
    def version_text(self):
        return f"{self.version // 100}.{self.version % 100}" if isinstance(self.version, int) else "?"

    @property
    def feature_names(self):
        return [name for name, bit in FEATURE_BITS.items() if self.features & bit]

    def describe(self):
        if self.error:
            return f"{self.path} (cannot be loaded: {self.error}; every contract test will fail)"
        return (f"{self.path} (contract {self.version_text}, optional features: "
                f"{', '.join(self.feature_names) or 'none'})")


def probe_impl(path, harness):
    """What the harness says the library is (`shmlab-harness impl LIB`): it
    loads it as its workers will, so a library built with a sanitizer is
    described rightly, and one that crashes on load cannot take pytest with it."""
    try:
        out = subprocess.run([str(harness), "impl", str(path)], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=30)
        got = json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError, OSError) as e:
        got = {"error": f"`shmlab-harness impl` could not describe it: {e}"}
    features = sum(FEATURE_BITS.get(name, 0) for name in got.get("features") or [])
    return Impl(path, got.get("version"), features, got.get("error"))


def impl_under_test(config):
    if config._shmlab_impl is None:
        chosen = config.getoption("--impl") or os.environ.get("SHMLAB_IMPL") or ""
        build = build_dir(config)
        path = (resolve_impl(chosen, build, shell_cwd=os.environ.get("PWD")) if chosen
                else build / "lib" / "libshmlab.so")
        config._shmlab_impl = probe_impl(path, harness_path(config))
    return config._shmlab_impl


@pytest.fixture(scope="session")
def impl(pytestconfig):
    """The implementation under test (an Impl)."""
    return impl_under_test(pytestconfig)


def feature_skip_reason(meta, impl):
    """Why a contract scenario cannot be run against impl: it needs an
    optional feature set (`features` in `list --json`) that impl does not
    declare. None when it can. Such a test is skipped, never passed."""
    missing = [f for f in meta.get("features") or [] if not impl.features & FEATURE_BITS.get(f, 0)]
    return f"{', '.join(missing)} not supported by {impl.path}" if missing else None


# ---------------------------------------------------------------- metadata

class BrokenList(str):
    """Why `list --json` did not give a scenario list although the harness
    is built: a failure, unlike a harness not built (a plain str, a skip)."""


def scenario_metadata(config):
    """`list --json` of the harness, as {name: metadata}; or a string saying
    why it is not available (a BrokenList when the harness failed to list).
    Read once per session."""
    if config._shmlab_meta is None:
        exe = harness_path(config)
        if not os.access(exe, os.X_OK):
            config._shmlab_meta = (f"{exe} not found: build it first with `{BUILD_HINT}` "
                                   f"(or pass --build-dir / set SHMLAB_BUILD_DIR)")
        else:
            try:
                out = subprocess.run([str(exe), "list", "--json"], stdin=subprocess.DEVNULL,
                                     capture_output=True, text=True, timeout=30)
                rows = json.loads(out.stdout) if out.returncode == 0 else None
            except (subprocess.TimeoutExpired, ValueError) as e:
                rows, out = None, e
            if not isinstance(rows, list):
                config._shmlab_meta = BrokenList(f"`{exe} list --json` gave no scenario list: {out!r}")
            else:
                config._shmlab_meta = {row["name"]: row for row in rows}
    return config._shmlab_meta


def lab_mark(meta):
    return getattr(pytest.mark, "lab" + meta["lab"])


OTHER_ABI_MARKS = {"i386": [pytest.mark.i386], "win64": [pytest.mark.win64]}


def other_abis(meta, strategy):
    """The readers of another ABI a lesson runs with: a mixed-ABI scenario
    with each (harness/other_abi.h), except under fork, where every worker
    is the writer's own program; other scenarios with none."""
    return OTHER_ABIS if meta["mixed_abi"] and strategy != "fork" else (None,)


def rule_marker(rule):
    """The pytest marker of a contract rule: markers cannot hold '-'."""
    return "rule_" + rule.replace("-", "_")


ALL_LAB_MARKS = [getattr(pytest.mark, f"lab{n:02d}") for n in range(7)]


def _all_rule_marks(config):
    names = [m.split(":")[0].strip() for m in config.getini("markers")]
    return [getattr(pytest.mark, n) for n in names if n.startswith("rule_")]


def pytest_generate_tests(metafunc):
    """Parametrizes from the harness's own list:
         lab_case        (scenario, strategy) for every lesson scenario
         contract_case   (scenario, strategy) for every contract scenario,
                         marked `contract`, with its lab and its rule
    Without a harness, one placeholder that skips or fails (carrying every lab
    and rule marker, so `-m labNN` or `-m rule_x` still shows why nothing ran)."""
    wanted = [f for f in ("lab_case", "contract_case") if f in metafunc.fixturenames]
    if not wanted:
        return
    meta = scenario_metadata(metafunc.config)
    for fixture in wanted:
        marks = ALL_LAB_MARKS + ([pytest.mark.contract, *_all_rule_marks(metafunc.config)]
                                 if fixture == "contract_case" else [pytest.mark.lesson])
        if isinstance(meta, BrokenList):       # the `scenarios` fixture fails these
            metafunc.parametrize(fixture, [pytest.param(None, id="list-failed", marks=marks)])
            continue
        if isinstance(meta, str):
            metafunc.parametrize(fixture, [pytest.param(None, id="no-harness",
                                 marks=[pytest.mark.skip(reason=meta), *marks])])
            continue
        params = []
        for name, m in meta.items():
            if m["selftest"]:
                continue
            if fixture == "lab_case" and not m.get("contract"):
                params += [pytest.param((name, s, abi), id=f"{name}-{s}" + (f"-{abi}" if abi else ""),
                                        marks=[lab_mark(m)] + OTHER_ABI_MARKS.get(abi, []))
                           for s in STRATEGIES for abi in other_abis(m, s)]
            elif fixture == "contract_case" and m.get("contract"):
                rule = getattr(pytest.mark, rule_marker(m["rule"] or "none"))
                params += [pytest.param((name, s), id=f"{name}-{s}", marks=[lab_mark(m), pytest.mark.contract, rule])
                           for s in STRATEGIES]
        metafunc.parametrize(fixture, params)


@pytest.fixture(scope="session")
def scenarios(pytestconfig):
    """{name: metadata} from `shmlab-harness list --json`."""
    meta = scenario_metadata(pytestconfig)
    if isinstance(meta, BrokenList):
        pytest.fail(meta, pytrace=False)
    if isinstance(meta, str):
        pytest.skip(meta)
    return meta


# ---------------------------------------------------------------- runs

class Run:
    """One invocation of the harness: the command, how it ended, and the
    parsed JSON report (None when it wrote none)."""

    def __init__(self, cmd, returncode, stdout, stderr, report, json_path, elapsed, timed_out, seed, context,
                 pid=None, wrapped=False):
        self.cmd, self.returncode, self.stdout, self.stderr = cmd, returncode, stdout, stderr
        self.pid, self.wrapped = pid, wrapped
        self.request = None             # what run() asked for: {json key: value}
        self.json, self.json_path, self.elapsed, self.timed_out = report, json_path, elapsed, timed_out
        self.seed = seed
        self.nodeid = context.nodeid if context else None
        self.session_seed = context.session_seed if context else None

    def __getitem__(self, key):
        if self.json is None:
            raise AssertionError("the harness wrote no JSON report\n" + explain(self))
        return self.json[key]

    def get(self, key, default=None):
        return (self.json or {}).get(key, default)

    @property
    def result(self):
        return self.get("result")

    @property
    def workers(self):
        return self.get("workers") or []

    @property
    def region_size(self):
        return int(self["region"]["size"])


class _TestContext:
    """What the current test did: its seed and tmp_path, and every pid, process
    group and region name its runs used (for the leftover check)."""

    def __init__(self, nodeid, session_seed, tmp_path):
        self.nodeid, self.session_seed, self.tmp_path = nodeid, session_seed, tmp_path
        self.seed = derive_seed(session_seed, nodeid)
        self.pids, self.pgids, self.regions = set(), set(), set()
        self.runs = 0

    def note_report(self, report):
        region = (report.get("region") or {}).get("name") or ""
        m = REGION_NAME.match(region)
        if m:
            self.regions.add(region.lstrip("/"))
            self.pids.add(int(m.group(1)))
        for w in report.get("workers") or []:
            if w.get("pid"):
                self.pids.add(int(w["pid"]))
                self.pgids.add(int(w["pid"]))   # a run's group is led by its first worker


_current = None     # the _TestContext of the running test


class Harness:
    def __init__(self, config):
        self.config = config
        self.bindir = config._shmlab_bin
        self.exe = self.bindir / "shmlab-harness"
        self.worker = self.bindir / "shmlab-worker"
        self.worker_i386 = self.bindir / "shmlab-worker-i386"

    def invoke(self, args, *, json_path=None, timeout_s=60, exe=None, wrapper=(), seed=None):
        """Runs `[wrapper...] shmlab-harness args...` bounded by timeout_s, in
        the test's tmp_path; returns a Run (JSON parsed from json_path).
        Its output goes to files, not pipes: a process the run leaves behind
        could hold a pipe open forever, and the wait is for the harness only."""
        ctx = _current
        if ctx is None:
            raise RuntimeError("the harness runs inside a test (its seed, tmp_path and leftover check)")
        cmd = [*wrapper, str(exe or self.exe), *map(str, args)]
        base, n = ctx.tmp_path, ctx.runs
        env = dict(os.environ, NO_COLOR="1")
        env.pop("CI", None)
        out_path, err_path = base / f"harness-{n}.stdout", base / f"harness-{n}.stderr"
        start = time.monotonic()
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=base, env=env)
        ctx.pids.add(proc.pid)
        ctx.runs += 1
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()             # its workers die with it (PR_SET_PDEATHSIG)
            proc.wait()
        elapsed = time.monotonic() - start
        out, err = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
        report = None
        if json_path is not None and pathlib.Path(json_path).exists():
            text = pathlib.Path(json_path).read_text()
            try:
                report = json.loads(text)
            except ValueError as e:
                raise AssertionError(f"the harness wrote a JSON report that does not parse ({e}):\n"
                                     f"{text[:2000]}\ncommand: {shlex.join(cmd)}") from None
            ctx.note_report(report)
        run = Run(cmd, proc.returncode, out, err, report, json_path, elapsed, timed_out, seed, ctx,
                  pid=proc.pid, wrapped=bool(wrapper))
        if timed_out:
            pytest.fail(f"the harness did not end within {timeout_s:.0f} s: killed\n" + explain(run), pytrace=False)
        return run

    def run(self, scenario, strategy="distinct", procs=4, seed=None, timeout_ms=None, extra=(),
            *, svg=None, exe=None, wrapper=(), allow_skip=True, quiet=True, impl=None):
        """Runs one scenario; returns a Run with the parsed JSON report.

        seed None takes the test's seed (derived from the session seed and the
        test id). A contract scenario runs against impl, by default the
        implementation under test (--impl). A harness SKIP (exit 77) becomes
        pytest.skip with the harness's reason, unless allow_skip is False; it
        is never a pass, and only a scenario that needs something optional
        (the 32-bit worker, a feature set) may be skipped."""
        ctx = _current
        if ctx is None:
            raise RuntimeError("the harness runs inside a test (its seed, tmp_path and leftover check)")
        seed = ctx.seed if seed is None else seed
        timeout_ms = DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms
        json_path = ctx.tmp_path / f"{scenario}-{strategy}-{ctx.runs}.json"
        args = ["run", scenario, "--procs", procs, "--strategy", strategy, "--seed", seed,
                "--timeout-ms", timeout_ms, "--json", json_path]
        if svg:
            args += ["--svg", svg]
        if quiet:
            args.append("--quiet")
        meta = scenario_metadata(self.config)
        m = meta.get(scenario, {}) if isinstance(meta, dict) else {}
        if m.get("contract"):
            args += ["--impl", impl or impl_under_test(self.config).path]
        args += list(extra)
        r = self.invoke(args, json_path=json_path, timeout_s=timeout_ms / 1000 + 30,
                        exe=exe, wrapper=wrapper, seed=seed)
        r.request = {"scenario": scenario, "strategy": strategy, "procs": procs, "seed": seed,
                     "timeout_ms": timeout_ms}
        if r.returncode == EXIT_SKIP and allow_skip:
            why = r.get("problem") or r.stdout.strip() or "(no reason given)"
            assert r.get("result") == "SKIP", "exit 77 without a SKIP report\n" + explain(r)
            assert m.get("mixed_abi") or m.get("features"), \
                f"the harness skipped {scenario}, which needs nothing optional\n" + explain(r)
            if m.get("mixed_abi"):
                assert OTHER_ABI_SKIP.search(why), \
                    "the harness skipped a mixed-ABI run without naming why its reader cannot run\n" + explain(r)
            pytest.skip(f"harness: {scenario} under {strategy}: {why}")
        return r


@pytest.fixture(scope="session")
def harness(pytestconfig):
    """The harness binary; skips when it is not built."""
    h = Harness(pytestconfig)
    if not os.access(h.exe, os.X_OK):
        pytest.skip(f"{h.exe} not found: build it first with `{BUILD_HINT}` "
                    f"(or pass --build-dir / set SHMLAB_BUILD_DIR)")
    return h


@pytest.fixture(scope="session")
def wine_session(request, pytestconfig):
    """A Wine session for lab 01's Windows readers (tests marked win64), in the
    prefix the harness uses (this build's, unless WINEPREFIX is set). A
    session fixture is set up before the leftover check's snapshot, so
    Wine's own services are not taken for something a run left behind. One
    that runs already (CTest's win32 fixture) is used as it is; one started
    here is ended after the last test. Nothing starts in a session that
    runs no win64 test."""
    if not any(item.get_closest_marker("win64") for item in request.session.items):
        yield
        return
    wineserver = shutil.which("wineserver", path="/usr/lib/wine:" + os.defpath)
    env = dict(os.environ, WINEDEBUG="-all")
    env.setdefault("WINEPREFIX", str(build_dir(pytestconfig) / "win32" / "prefix"))
    env.pop("DISPLAY", None)
    started = False
    if wineserver and (build_dir(pytestconfig) / "win32" / "bin").is_dir():
        started = subprocess.run([wineserver, "-p"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, timeout=60).returncode == 0
        # The harness's probe boots the prefix and Wine's services, once.
        subprocess.run([str(harness_path(pytestconfig)), "machine"], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
    yield
    if started:
        subprocess.run([wineserver, "-k"], env=env, timeout=60)
        subprocess.run([wineserver, "-w"], env=env, timeout=60)
        while True:                         # its processes were ours to reap
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break


@pytest.fixture
def seed():
    """This test's seed: derived from the session seed and the test id."""
    return _current.seed


# ---------------------------------------------------------------- explaining

def _bases(w):
    return ", ".join(w.get("bases") or []) or "(none: never mapped)"


def explain(run, expected=None):
    """Everything needed to understand a failed check of one run: what was
    expected and what happened, each worker's bases and fate, the seed, the
    handout section to read and the command that replays the run."""
    j = run.json or {}
    lines = []
    scen = j.get("scenario", "?")
    what = (f"{scen} under {j.get('strategy', '?')}, {j.get('procs', '?')} procs, seed {j.get('seed', run.seed)}"
            if j else f"command {shlex.join(run.cmd)}")
    lines.append(f"run: {what}")
    lines.append(f"expected: {expected or (j.get('expected') and 'the lesson predicts: ' + j['expected']) or '?'}")
    lines.append(f"happened: result {j.get('result', '(no JSON report)')}, exit status {run.returncode}"
                 + (", killed after its time bound" if run.timed_out else "")
                 + f", {run.elapsed:.3f} s")
    if j.get("problem"):
        lines.append(f"problem reported by the harness: {j['problem']}")
    if j.get("region"):
        lines.append(f"region: {j['region'].get('name')} ({j['region'].get('size')} bytes)")
    for w in j.get("workers") or []:
        line = (f"  worker {w.get('index')}: pid {w.get('pid')}, {w.get('abi') or '?'}-bit, bases {_bases(w)}"
                f" (requested {', '.join(a or 'any' for a in w.get('requested') or []) or '-'}):"
                f" {w.get('outcome')}")
        if w.get("signal"):
            line += f" {w['signal']}"
        if w.get("fault_address"):
            line += f" at {w['fault_address']}"
        lines.append(line)
        if w.get("fault_where"):
            lines.append(f"      where: {w['fault_where']}")
        if w.get("message"):
            lines.append(f"      message: {w['message']}")
    lines.append(f"seed: {j.get('seed', run.seed)}"
                 + (f" (test {run.nodeid}, session seed {run.session_seed}; "
                    f"replay the test with --seed {run.session_seed})" if run.nodeid else ""))
    if j.get("handout"):
        lines.append(f"read: {j['handout']}")
    lines.append(f"replay: {j.get('replay') or shlex.join(run.cmd)}")
    if run.stderr.strip():
        tail = run.stderr.strip().splitlines()[-10:]
        lines.append("stderr: " + "\n        ".join(tail))
    if not j and run.stdout.strip():
        lines.append("stdout: " + "\n        ".join(run.stdout.strip().splitlines()[-10:]))
    return "\n".join(lines)


# ---------------------------------------------------------------- well-formed runs

def hexes(values):
    return [int(v, 16) for v in values]


def all_bases(run):
    return [b for w in run.workers for b in hexes(w["bases"])]


def region_problems(run, meta):
    """The region of a run: a /shmlab-<pid>-<16 hex> shm name carrying the
    harness's pid, or, for a scenario whose region is a memfd, MEMFD_NAME,
    which leaves nothing in /dev/shm. Its kind and seal as `list --json` says."""
    region = run.get("region") or {}
    name, kind, problems = region.get("name") or "", region.get("kind"), []
    if meta is not None:
        want = "memfd" if meta.get("memfd_region") else "shm"
        if kind != want:
            problems.append(f"region kind {kind!r}, `list --json` says {want!r}")
        if region.get("sealed") != meta.get("sealed_region"):
            problems.append(f"region sealed {region.get('sealed')!r}, `list --json` says {meta.get('sealed_region')!r}")
    if kind == "memfd":
        if name != MEMFD_NAME:
            problems.append(f"region name {name!r} of a memfd region is not {MEMFD_NAME!r}")
        return problems
    m = REGION_NAME.match(name)
    if not m:
        problems.append(f"region name {name!r} is not /shmlab-<pid>-<16 hex>")
    elif run.pid is not None and not run.wrapped and int(m.group(1)) != run.pid:
        problems.append(f"region name {name} does not carry the harness's pid {run.pid}")
    return problems


def check_well_formed(run, meta=None):
    """What every run must satisfy whatever its scenario does: the report
    echoes the request, the exit status matches the result, the harness found
    no problem (leftovers, wrong bases), and the bases are what the strategy
    promises: distinct N different bases as requested, double 2N, same and
    fork one, kernel whatever the kernel chose."""
    j = run.json
    assert j is not None, "the harness wrote no JSON report\n" + explain(run)
    problems = []
    for key, asked in (run.request or {}).items():
        if j.get(key) != asked:
            problems.append(f"the report says {key} {j.get(key)!r}, the command asked for {asked!r}")
    if EXIT_OF_RESULT.get(j.get("result")) != run.returncode:
        problems.append(f"result {j.get('result')} but exit status {run.returncode}")
    if j.get("problem"):
        problems.append(f"the harness reported a problem with the run itself: {j['problem']}")
    if meta is not None:
        strategy = j.get("strategy")
        predicted = ("pass" if strategy in meta["passes_under"] else
                     "caught" if strategy in meta["caught_under"] and j.get("procs", 0) >= 2 else "depends")
        if j.get("expected") != predicted:
            problems.append(f"the report expects {j.get('expected')!r}, `list --json` predicts {predicted!r}")
        if j.get("handout") != meta["handout"]:
            problems.append(f"the report names handout {j.get('handout')!r}, `list --json` {meta['handout']!r}")
    problems += region_problems(run, meta)
    workers = run.workers
    procs = j.get("procs")
    if len(workers) != procs:
        problems.append(f"{len(workers)} workers reported for {procs} procs")
    strategy = j.get("strategy")
    views = 2 if strategy == "double" else 1
    pids = [w.get("pid") for w in workers]
    if len(set(pids)) != len(pids) or not all(isinstance(p, int) and p > 0 for p in pids):
        problems.append(f"worker pids are not distinct positive numbers: {pids}")
    for w in workers:
        bases, requested = w.get("bases") or [], w.get("requested") or []
        if len(bases) != views:
            problems.append(f"worker {w['index']} reports {len(bases)} bases, {strategy} gives each {views}")
            continue
        if w.get("base") != bases[0]:
            problems.append(f"worker {w['index']}: base {w.get('base')} is not bases[0] {bases[0]}")
        if any(b % 4096 for b in hexes(bases)):
            problems.append(f"worker {w['index']}: a base is not page-aligned: {bases}")
        if strategy in ("distinct", "double", "same"):
            if requested != bases:
                problems.append(f"worker {w['index']} requested {requested} and got {bases}")
        elif any(requested):
            problems.append(f"worker {w['index']} requested {requested}, but under {strategy} the harness asks for nothing")
        if meta is not None and meta["mixed_abi"] and strategy != "fork":
            other = run.get("other_abi")
            model = ("ILP32" if other == "i386" else "LLP64") if w["index"] % 2 else "LP64"
            if w.get("data_model") != model or w.get("abi") != (32 if model == "ILP32" else 64):
                problems.append(f"worker {w['index']} is {w.get('abi')}-bit {w.get('data_model')}; with "
                                f"{other} readers, mixed-ABI runs have odd workers {model}")
        elif w.get("abi") != 64:
            problems.append(f"worker {w['index']} is {w.get('abi')}-bit; expected 64")
    if len(workers) == procs and all(len(w.get("bases") or []) == views for w in workers):
        every = all_bases(run)
        if strategy in ("distinct", "double") and len(set(every)) != views * procs:
            problems.append(f"{strategy} must give {views * procs} different bases, got {len(set(every))}")
        if strategy in ("same", "fork") and len(set(every)) != 1:
            problems.append(f"{strategy} must give every worker one same base, got {len(set(every))} bases")
    assert not problems, "the run is not well-formed:\n  - " + "\n  - ".join(problems) + "\n" + explain(run)


# ---------------------------------------------------------------- leftovers

def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def process_table():
    """{pid: (ppid, pgrp, state, comm)} of every process now."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read(f"/proc/{entry}/stat")
        if not stat:
            continue
        comm = stat[stat.find("(") + 1:stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), int(fields[2]), fields[0], comm)
    return table


def _sysv(path, id_col, pid_cols):
    """{id: (pids...)} from /proc/sysvipc/{shm,msg}."""
    text = _read(path)
    if not text:
        return {}
    lines = text.splitlines()
    head = lines[0].split()
    rows = {}
    for line in lines[1:]:
        cols = dict(zip(head, line.split()))
        if id_col in cols:
            rows[int(cols[id_col])] = tuple(int(cols.get(c, 0)) for c in pid_cols)
    return rows


def snapshot():
    try:
        shm = {n for n in os.listdir("/dev/shm") if n.startswith("shmlab-")}
    except OSError:
        shm = set()
    me = os.getpid()
    return {
        "shm": shm,
        "sysv_shm": _sysv("/proc/sysvipc/shm", "shmid", ("cpid", "lpid")),
        "sysv_msg": _sysv("/proc/sysvipc/msg", "msqid", ("lspid", "lrpid")),
        "children": {p for p, (ppid, *_rest) in process_table().items() if ppid == me},
    }


def find_leftovers(before, ctx):
    """What this test's runs left behind, compared with `before`: a list of
    (description, cleanup) pairs. Entries created meanwhile by other processes
    (a suite running in parallel) are not counted: a /dev/shm name counts when
    it is one of this test's regions or carries one of its pids, a System V
    object when one of its pids made or used it (a message queue records no
    creator, only who last sent and received), a process when it is a child
    of pytest or lives in a process group or pid of this test's runs."""
    after = snapshot()
    me = os.getpid()
    found = []
    for name in sorted(after["shm"] - before["shm"]):
        m = SHM_ENTRY.match(name)
        if name in ctx.regions or (m and int(m.group(1)) in ctx.pids):
            found.append((f"/dev/shm/{name} still exists", lambda n=name: _unlink(f"/dev/shm/{n}")))
    for shmid, pids in sorted(after["sysv_shm"].items()):
        if shmid not in before["sysv_shm"] and set(pids) & ctx.pids:
            found.append((f"System V shared memory id {shmid} (creator pid {pids[0]}) still exists",
                          lambda i=shmid: _ipc_rmid("shmctl", i)))
    for msqid, pids in sorted(after["sysv_msg"].items()):
        if msqid in before["sysv_msg"]:
            continue
        if set(pids) & ctx.pids:
            found.append((f"System V message queue id {msqid} still exists",
                          lambda i=msqid: _ipc_rmid("msgctl", i)))
    table = process_table()
    for pid, (ppid, pgrp, state, comm) in sorted(table.items()):
        if pid == me:
            continue
        ours_child = ppid == me and pid not in before["children"]
        ours_run = (pgrp in ctx.pgids or pid in ctx.pids) and comm.startswith(("shmlab", "strace"))
        if ours_child or ours_run:
            what = "zombie (exited, never reaped)" if state == "Z" else f"alive (state {state})"
            whose = "child of pytest" if ppid == me else f"in process group {pgrp} of a run"
            found.append((f"process {pid} ({comm}), {whose}: {what}",
                          lambda p=pid, child=ppid == me: _end(p, child)))
    return found


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _ipc_rmid(func, ident):
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    getattr(libc, func)(ctypes.c_int(ident), ctypes.c_int(0), None)     # IPC_RMID = 0


def _end(pid, child):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    if child:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass


@pytest.fixture(autouse=True)
def no_leftovers(request, tmp_path):
    """Binds the test's seed and tmp_path for harness.run(), and fails the
    test if its runs left a region name, a System V object or a process."""
    global _current
    before = snapshot()
    ctx = _TestContext(request.node.nodeid, session_seed(request.config), tmp_path)
    _current = ctx
    try:
        yield ctx
    finally:
        _current = None
    found = find_leftovers(before, ctx)
    for _, cleanup in found:
        cleanup()
    if found:
        pytest.fail(f"{request.node.nodeid} left these behind (now cleaned up):\n  - "
                    + "\n  - ".join(what for what, _ in found)
                    + f"\nseed: {ctx.seed} (session seed {ctx.session_seed})", pytrace=False)



# ---------------------------------------------------------------- contract results

STATUS_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def results_path(config):
    chosen = config.getoption("--results")
    return pathlib.Path(chosen).resolve() if chosen else build_dir(config) / RESULTS_FILE


def note_contract_run(node, run):
    """Remembers the replay command of a contract test's run, and each
    process's bases and outcome, for its result."""
    node._shmlab_replay = run.get("replay") or shlex.join(run.cmd)
    node._shmlab_workers = [{"index": w.get("index"), "bases": w.get("bases"), "outcome": w.get("outcome")}
                            for w in run.workers]


def _first_lines(text, n=12, limit=2000):
    return "\n".join(str(text).strip().splitlines()[:n])[:limit]


def _contract_entry(item):
    name, strategy = item.callspec.params.get("contract_case") or (None, None)
    meta = scenario_metadata(item.config)
    m = meta.get(name, {}) if isinstance(meta, dict) else {}
    return {"id": item.nodeid, "scenario": name, "strategy": strategy, "rule": m.get("rule"),
            "lab": m.get("lab"), "status": None, "message": "",
            "seed": derive_seed(session_seed(item.config), item.nodeid), "replay": None, "workers": []}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps the result of every contract test: the worst of its phases (a
    teardown that finds leftovers fails a test whose run passed)."""
    report = (yield).get_result()
    if item.get_closest_marker("contract") is None or not hasattr(item, "callspec"):
        return
    results = item.config._shmlab_results
    entry = results.setdefault(item.nodeid, _contract_entry(item))
    if report.failed:
        status, message = "failed", _first_lines(report.longreprtext)
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longreprtext
        status, message = "skipped", _first_lines(reason)
    elif report.when == "call":
        status, message = "passed", ""
    else:
        return
    if entry["status"] is None or STATUS_RANK[status] > STATUS_RANK[entry["status"]]:
        entry["status"] = status
        entry["message"] = message
    entry["replay"] = getattr(item, "_shmlab_replay", None) or entry["replay"]
    entry["workers"] = getattr(item, "_shmlab_workers", None) or entry["workers"]


def merge_results(path, impl, entries, version):
    """Merges entries (this session's contract results) into the results file
    at path, under an exclusive lock, since CTest runs several sessions at
    once. The file keeps one entry per test id, the latest; it starts afresh
    when it describes another implementation."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "r+") as f:
        fcntl.lockf(f, fcntl.LOCK_EX)
        try:
            data = json.loads(f.read() or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict) or (data.get("implementation") or {}).get("path") != impl.path:
            data = {}
        tests = {t["id"]: t for t in data.get("tests") or [] if isinstance(t, dict) and "id" in t}
        tests.update((e["id"], e) for e in entries)
        counts = {s: sum(t.get("status") == s for t in tests.values()) for s in STATUS_RANK}
        data = {
            "suite": "shmlab conformance",
            "contract_version": version,
            "implementation": {"path": impl.path, "contract_version": impl.version_text,
                               "features": impl.feature_names, "error": impl.error},
            "summary": counts,
            "tests": [tests[k] for k in sorted(tests)],
        }
        f.seek(0)
        f.truncate()
        f.write(json.dumps(data, indent=2) + "\n")
        f.flush()
    return data


def closing_line(entries):
    """`N passed, N failed`, with `, N skipped` when any were skipped."""
    counts = {s: sum(e["status"] == s for e in entries) for s in STATUS_RANK}
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    return line + (f", {counts['skipped']} skipped" if counts["skipped"] else "")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """After pytest's own summary (this wrapper is outermost, so it runs
    last): merge the contract results into the results file and print the
    closing line, the last line of the output."""
    yield
    config = session.config
    entries = [e for e in config._shmlab_results.values() if e["status"]]
    if not entries:
        return
    merge_results(results_path(config), impl_under_test(config), entries, suite_contract_version())
    line = closing_line(entries)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)
    else:
        print(line, flush=True)
