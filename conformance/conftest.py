"""The pytest layer of shmlab's conformance suite: a thin layer over the harness.

The C harness is the authority, and nothing here judges a second time. The
harness says which scenarios exist and what each predicts (`list --json`),
which contract it tests (`contract`), what a library declares (`impl LIB`),
and, for every run, whether it went as predicted (`verdict` and the exit
status of `run --expect`, from verdict_of in harness/describe.c) and what
was wrong with the run itself (`problem`: wrong bases, leftovers). pytest
does what only it can: parametrise from that list, run the harness, and make
a failure explain itself to a learner (explain()). Its plugins here, one
concept each: implementation.py (the library under test), leftovers.py
(what outlived every run, checked once a session), results.py (the contract
results file and closing line), wine.py (the one Wine session).

Every run has a seed. One session seed (--seed, else SHMLAB_SEED, else
random) is printed in the header; each test derives its own from it and its
id, so `--seed N` replays a whole session and a failure's `replay` line the
one run. The contract runs of a session are started together, as many at a
time as the machine has processors (contract_runs): they are independent,
and much of a run is spent waiting on handshakes, not computing.
"""
import concurrent.futures
import ctypes
import ctypes.util
import hashlib
import itertools
import json
import os
import pathlib
import random
import re
import select
import shlex
import subprocess
import time

import pytest

SOURCE_DIR = pathlib.Path(__file__).resolve().parent
REPO = SOURCE_DIR.parent
STRATEGIES = ("distinct", "double", "fork", "same", "kernel")
OTHER_ABIS = ("i386", "win64")  # lab 01's readers: i386 Linux, x86-64 Windows under Wine
EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_SKIP = 0, 1, 2, 77
DEFAULT_TIMEOUT_MS = 5000
BUILD_HINT = "cmake --preset default && cmake --build build"
MISSING = "{} not found: build it first with `" + BUILD_HINT + "` (or pass --build-dir)"
pytest.register_assert_rewrite("implementation", "leftovers", "results", "wine")
from leftovers import SESSION_TAG  # noqa: E402 (after the line above, so that pytest rewrites its asserts)
from implementation import Impl, resolve_impl  # noqa: E402,F401 (tests import them from here)
RUN_NUMBERS = itertools.count()     # names each run's files; next() is atomic under the GIL
pytest_plugins = ("leftovers", "results", "wine")  # this directory's plugins, one concept each


def pytest_addoption(parser):
    group = parser.getgroup("shmlab")
    group.addoption("--build-dir", help="the CMake build directory (default: $SHMLAB_BUILD_DIR, else <repo>/build)")
    group.addoption("--seed", help="session seed, 0 to 4294967295 (default: $SHMLAB_SEED, else random)")
    group.addoption("--impl", help="the implementation under test, a shared library (default: $SHMLAB_IMPL, "
                                   "else <build>/lib/libshmlab.so); a relative path is taken from where you typed")


def pytest_configure(config):
    text = config.getoption("--seed") or os.environ.get("SHMLAB_SEED")
    seed = int(text) if text and text.isdigit() else -1 if text else random.SystemRandom().randrange(1 << 32)
    if not 0 <= seed <= 0xFFFFFFFF:
        raise pytest.UsageError(f"--seed and SHMLAB_SEED take 0 to 4294967295, not {text!r}")
    chosen = config.getoption("--build-dir") or os.environ.get("SHMLAB_BUILD_DIR")
    config.shmlab = Session(seed, pathlib.Path(chosen).resolve() if chosen else REPO / "build", config)
    # rule_<rule> markers: the harness's rules (none in pytest.ini), and those -m names (for the placeholder).
    meta = config.shmlab.scenarios()
    rules = {rule_marker(m["rule"]) for m in meta.values() if m["contract"]} if isinstance(meta, dict) else set()
    for marker in sorted(rules | set(re.findall(r"\brule_\w+", config.option.markexpr or ""))):
        config.addinivalue_line("markers", f"{marker}: a contract rule (CONTRACT.md)")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(36, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))  # CHILD_SUBREAPER


def derive_seed(session_seed, nodeid):
    """The seed of one test: the same for the same session seed and test id."""
    return int.from_bytes(hashlib.sha256(f"{session_seed}:{nodeid}".encode()).digest()[:4], "big")


class Session:
    """What one pytest session knows, each asked of the harness once: its
    scenario list, its contract, the implementation under test; and every
    pid of its runs, for the session's leftover check."""

    def __init__(self, seed, build, config):
        self.seed, self.build, self.config = seed, build, config
        self.exe = build / "bin" / "shmlab-harness"
        self.pids, self.results, self._asked = set(), {}, {}

    def seed_of(self, nodeid):
        return derive_seed(self.seed, nodeid)

    def ask(self, *args):
        """The harness's JSON answer to `shmlab-harness ARGS`, once a session;
        None when it is not built or gave none."""
        if args not in self._asked:
            try:
                out = subprocess.run([str(self.exe), *args], stdin=subprocess.DEVNULL, capture_output=True,
                                     text=True, timeout=60)
                self._asked[args] = json.loads(out.stdout)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self._asked[args] = None
        return self._asked[args]

    def scenarios(self):
        """{name: metadata} from `list --json`, or a string saying why not."""
        if not os.access(self.exe, os.X_OK):
            return MISSING.format(self.exe)
        rows = self.ask("list", "--json")
        return {r["name"]: r for r in rows} if isinstance(rows, list) else f"`{self.exe} list --json` gave no list"

    def contract(self):
        return self.ask("contract") or {"version": "?", "version_number": None, "features": {}}

    def impl(self):
        chosen = self.config.getoption("--impl") or os.environ.get("SHMLAB_IMPL")
        path = resolve_impl(chosen, self.build, shell_cwd=os.environ.get("PWD")) if chosen else \
            self.build / "lib" / "libshmlab.so"
        got = self.ask("impl", str(path)) or {"error": "`shmlab-harness impl` could not describe it"}
        return Impl(path, got.get("version"), got.get("features") or (), got.get("error"))


def pytest_report_header(config):
    s = config.shmlab
    return [f"shmlab harness: {s.exe}" + ("" if os.access(s.exe, os.X_OK) else f" (missing: `{BUILD_HINT}`)"),
            f"shmlab session seed: {s.seed} (replay this session: add --seed {s.seed}, or set SHMLAB_SEED={s.seed})",
            f"shmlab implementation under test: {s.impl().describe()}",
            f"shmlab suite: contract {s.contract()['version']}"]


# ---------------------------------------------------------------- parametrising

def rule_marker(rule):
    """The pytest marker of a contract rule: markers cannot hold '-'."""
    return "rule_" + rule.replace("-", "_")


def pytest_generate_tests(metafunc):
    """lab_case: (scenario, strategy, other ABI or None) for every lesson
    (not an exercise, whose outcome is the learner's: ./tour check grades it);
    contract_case: (scenario, strategy) for every contract scenario, marked
    with its lab and rule. Without a harness list, one case that skips (or
    fails, when the harness is built) carrying every marker, so that any
    `-m` selection still says why nothing ran."""
    for fixture in ("lab_case", "contract_case"):
        if fixture not in metafunc.fixturenames:
            continue
        meta = metafunc.config.shmlab.scenarios()
        if isinstance(meta, str):
            rules = [getattr(pytest.mark, m.split(":")[0]) for m in metafunc.config.getini("markers")
                     if m.startswith("rule_")]
            marks = [getattr(pytest.mark, f"lab{n:02d}") for n in range(7)] + (
                [pytest.mark.contract, *rules] if fixture == "contract_case" else [pytest.mark.lesson, pytest.mark.win64]
            ) + ([pytest.mark.skip(reason=meta)] if "not found" in meta else [])    # else `scenarios` fails it
            metafunc.parametrize(fixture, [pytest.param(None, id="no-list", marks=marks)])
            continue
        params = []
        for name, m in meta.items():
            lab = getattr(pytest.mark, "lab" + m["lab"])
            if fixture == "lab_case" and not m["contract"] and not m["selftest"] and not m.get("exercise"):
                params += [pytest.param((name, s, abi), id=f"{name}-{s}" + (f"-{abi}" if abi else ""),
                                        marks=[lab, pytest.mark.lesson] + ([getattr(pytest.mark, abi)] if abi else []))
                           for s in STRATEGIES for abi in (OTHER_ABIS if m["mixed_abi"] and s != "fork" else (None,))]
            elif fixture == "contract_case" and m["contract"]:
                params += [pytest.param((name, s), id=f"{name}-{s}",
                                        marks=[lab, pytest.mark.contract, getattr(pytest.mark, rule_marker(m["rule"]))])
                           for s in STRATEGIES]
        metafunc.parametrize(fixture, params)


@pytest.fixture(scope="session")
def scenarios(pytestconfig):
    """{name: metadata} from `shmlab-harness list --json`."""
    meta = pytestconfig.shmlab.scenarios()
    if isinstance(meta, str):
        (pytest.skip if "not found" in meta else pytest.fail)(meta)
    return meta


@pytest.fixture(scope="session")
def impl(pytestconfig):
    return pytestconfig.shmlab.impl()


@pytest.fixture
def seed(request):
    """This test's seed: derived from the session seed and the test id."""
    return derive_seed(request.config.shmlab.seed, request.node.nodeid)


# ---------------------------------------------------------------- runs

class Run:
    """One invocation of the harness: the command, how it ended, its output
    and its JSON report (json: None when it wrote none)."""

    def __init__(self, cmd, returncode, stdout, stderr, json_report, elapsed, timed_out, seed, nodeid, session_seed):
        self.cmd, self.returncode, self.stdout, self.stderr = cmd, returncode, stdout, stderr
        self.json, self.elapsed, self.timed_out = json_report, elapsed, timed_out
        self.seed, self.nodeid, self.session_seed = seed, nodeid, session_seed

    def __getitem__(self, key):
        if self.json is None:
            raise AssertionError("the harness wrote no JSON report\n" + explain(self))
        return self.json[key]

    def get(self, key, default=None):
        return (self.json or {}).get(key, default)

    result = property(lambda self: self.get("result"))
    workers = property(lambda self: self.get("workers") or [])
    region_size = property(lambda self: int(self["region"]["size"]))


def wait_bounded(proc, timeout_s):
    """Waits for proc, at most timeout_s; True if it ended. A pidfd says when,
    without polling."""
    fd = os.pidfd_open(proc.pid)
    try:
        ended = bool(select.select([fd], [], [], timeout_s)[0])
    finally:
        os.close(fd)
    if not ended:
        proc.kill()         # the harness's workers die with it (PR_SET_PDEATHSIG)
    proc.wait()
    return ended


class Harness:
    """Runs a harness (`exe`, under `wrapper` such as Wine's loader or strace)
    in a directory of the caller's, its output to files (a process a run
    leaves could hold a pipe open forever), bounded in time."""

    def __init__(self, session, exe=None, wrapper=(), env=None):
        self.session, self.wrapper = session, list(wrapper)
        self.exe = pathlib.Path(exe or session.exe)
        self.worker = self.exe.parent / "shmlab-worker"
        self.base_env = env         # None: the environment at the time of each run

    def env(self):
        env = dict(self.base_env or os.environ, NO_COLOR="1", **{SESSION_TAG: str(os.getpid())})
        env.pop("CI", None)
        return env

    def invoke(self, args, where, *, json_path=None, timeout_s=60, exe=None, wrapper=None, seed=None, nodeid=None):
        cmd = [*(self.wrapper if wrapper is None else wrapper), str(exe or self.exe), *map(str, args)]
        n = next(RUN_NUMBERS)
        out_path, err_path = where / f"harness-{n}.stdout", where / f"harness-{n}.stderr"
        start = time.monotonic()
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=where, env=self.env())
        self.session.pids.add(proc.pid)
        ended = wait_bounded(proc, timeout_s)
        report = json.loads(json_path.read_text()) if json_path and json_path.exists() else None
        for pid in [w.get("pid") for w in (report or {}).get("workers") or []]:
            self.session.pids.add(pid)
        return Run(cmd, proc.returncode, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"),
                   report, time.monotonic() - start, not ended, seed, nodeid, self.session.seed)

    def start(self, scenario, strategy, where, *, procs=4, seed, timeout_ms=DEFAULT_TIMEOUT_MS, extra=(), impl=None,
              expect=False, nodeid=None, exe=None, wrapper=None):
        """One run of a scenario, reported to json in `where`; never skips or
        fails. expect: exit 0 when the harness judged it as predicted."""
        json_path = where / f"{scenario}-{strategy}-{next(RUN_NUMBERS)}.json"
        args = ["run", scenario, "--procs", procs, "--strategy", strategy, "--seed", seed, "--timeout-ms", timeout_ms,
                "--json", json_path, "--quiet", *(["--expect"] if expect else []), *(["--impl", impl] if impl else []), *extra]
        return self.invoke(args, where, json_path=json_path, timeout_s=timeout_ms / 1000 + 30, exe=exe,
                           wrapper=wrapper, seed=seed, nodeid=nodeid)


def bounded(run):
    """Fails the test if the harness had to be killed at its time bound."""
    if run.timed_out:
        pytest.fail("the harness did not end within its time bound: killed\n" + explain(run), pytrace=False)
    return run


def skip_if_skipped(run):
    """A harness SKIP (exit 77) becomes a pytest skip with the harness's
    reason (an optional reader or feature set it lacks); never a pass."""
    if run.returncode == EXIT_SKIP:
        pytest.skip(f"harness: {run.get('scenario')} under {run.get('strategy')}: "
                    f"{run.get('problem') or run.stdout.strip() or '(no reason given)'}")
    return run


class Runner:
    """The harness as a test sees it: runs in the test's tmp_path with the
    test's seed (unless given another)."""

    def __init__(self, harness, tmp_path, nodeid):
        self.h, self.tmp_path, self.nodeid = harness, tmp_path, nodeid
        self.exe, self.worker = harness.exe, harness.worker
        self.seed = derive_seed(harness.session.seed, nodeid)

    def invoke(self, args, json_path=None, **kw):
        return bounded(self.h.invoke(args, self.tmp_path, json_path=json_path, seed=self.seed, nodeid=self.nodeid, **kw))

    def run(self, scenario, strategy="distinct", procs=4, seed=None, *, allow_skip=True, **kw):
        run = bounded(self.h.start(scenario, strategy, self.tmp_path, procs=procs,
                                   seed=self.seed if seed is None else seed, nodeid=self.nodeid, **kw))
        return skip_if_skipped(run) if allow_skip else run


@pytest.fixture
def harness(pytestconfig, tmp_path, request):
    session = pytestconfig.shmlab
    if not os.access(session.exe, os.X_OK):
        pytest.skip(MISSING.format(session.exe))
    return Runner(Harness(session), tmp_path, request.node.nodeid)


@pytest.fixture(scope="session")
def contract_runs(request, pytestconfig, tmp_path_factory):
    """{test id: future Run} of every contract test of this session, started
    together on a pool as wide as the machine; each test waits for its own."""
    session, where = pytestconfig.shmlab, tmp_path_factory.mktemp("contract-runs")
    h, impl_path = Harness(session), session.impl().path
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
    futures = {}
    for item in request.session.items:
        case = getattr(item, "callspec", None) and item.callspec.params.get("contract_case")
        if case:
            futures[item.nodeid] = pool.submit(h.start, *case, where, impl=impl_path, expect=True, nodeid=item.nodeid,
                                               seed=derive_seed(session.seed, item.nodeid))
    yield futures
    pool.shutdown(wait=True)


# ---------------------------------------------------------------- explaining

def explain(run, expected=None):
    """Everything needed to understand a failed check of one run: what was
    expected and what happened, each worker's bases and fate, the problem the
    harness found, the seed, the handout section and the replay command."""
    j = run.json or {}
    lines = [f"run: {j['scenario']} under {j['strategy']}, {j['procs']} procs, seed {j['seed']}" if j
             else f"run: {shlex.join(run.cmd)}",
             f"expected: {expected or ('the lesson predicts: ' + j['expected'] if j.get('expected') else '?')}",
             f"happened: result {j.get('result', '(no JSON report)')}, verdict {j.get('verdict', '?')}, exit status "
             f"{run.returncode}" + (", killed after its time bound" if run.timed_out else "") + f", {run.elapsed:.3f} s"]
    if j.get("problem"):
        lines.append(f"problem reported by the harness: {j['problem']}")
    if j.get("region"):
        lines.append(f"region: {j['region'].get('name')} ({j['region'].get('size')} bytes)")
    for w in j.get("workers") or []:
        lines.append(f"  worker {w.get('index')}: pid {w.get('pid')}, {w.get('abi') or '?'}-bit, bases "
                     f"{', '.join(w.get('bases') or []) or '(none: never mapped)'} (requested "
                     f"{', '.join(a or 'any' for a in w.get('requested') or []) or '-'}): {w.get('outcome')}"
                     + (f" {w['signal']}" if w.get("signal") else "")
                     + (f" at {w['fault_address']}" if w.get("fault_address") else ""))
        lines += [f"      {key.replace('fault_', '')}: {w[key]}" for key in ("fault_where", "message") if w.get(key)]
    lines.append(f"seed: {j.get('seed', run.seed)}" + (f" (test {run.nodeid}, session seed {run.session_seed}; "
                                                       f"replay the test with --seed {run.session_seed})"
                                                       if run.nodeid else ""))
    if j.get("handout"):
        lines.append(f"read: {j['handout']}")
    lines.append(f"replay: {j.get('replay') or shlex.join(run.cmd)}")
    if run.stderr.strip():
        lines.append("stderr: " + "\n        ".join(run.stderr.strip().splitlines()[-10:]))
    if not j and run.stdout.strip():
        lines.append("stdout: " + "\n        ".join(run.stdout.strip().splitlines()[-10:]))
    return "\n".join(lines)


def as_predicted(run, expected, headline=""):
    """Fails the test unless the harness judged the run as predicted (exit 0
    under --expect; a leftover or a wrong base is never as predicted there,
    verdict_of in harness/describe.c), explaining why."""
    if run.returncode != EXIT_PASS or run.get("verdict") != "as predicted":
        pytest.fail((headline and headline + "\n") + explain(run, expected), pytrace=False)

