"""The harness checked against itself: the 00-selftest-* scenarios each
produce one outcome on purpose, and the harness must report exactly that one,
in a well-formed report (check_well_formed: the one place the report's shape
is checked, under every strategy, so that every other test can trust it).
Then its command line, its seeds, its SVG and its SKIP."""
import os
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from conftest import EXIT_SKIP, EXIT_USAGE, REPO, STRATEGIES, explain
from leftovers import _sysv

pytestmark = [pytest.mark.lab00, pytest.mark.harness]
EXIT_OF_RESULT = {"PASS": 0, "FAIL": 1, "ERROR": EXIT_USAGE, "SKIP": EXIT_SKIP}
REGION_NAME = re.compile(r"^/shmlab-(\d+)-[0-9a-f]{16}$|^memfd:shmlab$")


def outcomes(run):
    return [w["outcome"] for w in run.workers]


def hexes(values):
    return [int(v, 16) for v in values]


def all_bases(run):
    return [b for w in run.workers for b in hexes(w["bases"])]


def check_well_formed(run, strategy, procs, meta):
    """The report is what it claims: it echoes the request, its result
    matches the exit status, the harness found no problem, its region is
    named as the harness names regions, and the bases are what the strategy
    promises (distinct N different ones as requested, double 2N, same and
    fork one, kernel whatever the kernel chose, each page-aligned); in a
    mixed-ABI run, odd workers are of the other ABI."""
    j, problems = run.json, []
    assert j is not None, "the harness wrote no JSON report\n" + explain(run)
    for key, asked in (("scenario", meta["name"]), ("strategy", strategy), ("procs", procs), ("seed", run.seed)):
        if j.get(key) != asked:
            problems.append(f"the report says {key} {j.get(key)!r}, the command asked for {asked!r}")
    if EXIT_OF_RESULT.get(j["result"]) != run.returncode or j.get("problem") or j["handout"] != meta["handout"]:
        problems.append(f"result {j['result']}, exit status {run.returncode}, problem {j.get('problem')!r}, "
                        f"handout {j['handout']!r} (list --json: {meta['handout']!r})")
    if not REGION_NAME.match(j["region"]["name"]) or j["region"]["kind"] != ("memfd" if meta["memfd_region"] else "shm"):
        problems.append(f"region {j['region']}: list --json says memfd {meta['memfd_region']}")
    views = 2 if strategy == "double" else 1
    pids = [w["pid"] for w in run.workers]
    if len(run.workers) != procs or len(set(pids)) != procs or not all(p > 0 for p in pids):
        problems.append(f"{len(run.workers)} workers with pids {pids} for {procs} procs")
    for w in run.workers:
        bases, wanted = w["bases"], (w["requested"] if strategy in ("distinct", "double", "same") else [None] * views)
        if len(bases) != views or w["base"] != bases[0] or any(b % 4096 for b in hexes(bases)) or w["requested"] != wanted:
            problems.append(f"worker {w['index']}: base {w['base']}, bases {bases}, requested {w['requested']}")
        other = run.get("other_abi")
        model = "LP64" if not (meta["mixed_abi"] and strategy != "fork" and w["index"] % 2) else \
            "ILP32" if other == "i386" else "LLP64"
        if w["data_model"] != model or w["abi"] != (32 if model == "ILP32" else 64):
            problems.append(f"worker {w['index']} is {w['abi']}-bit {w['data_model']}, expected {model}")
    count = len(set(all_bases(run)))
    if (strategy in ("distinct", "double") and count != views * procs) or (strategy in ("same", "fork") and count != 1):
        problems.append(f"{strategy} gave {count} different bases to {procs} workers")
    assert not problems, "the run is not well-formed:\n  - " + "\n  - ".join(problems) + "\n" + explain(run)


def alive(pids):
    """The pids of processes still alive (zombies included) among pids."""
    return {p for p in pids if os.path.exists(f"/proc/{p}")}


# ---------------------------------------------------------------- list

def test_list_agrees_with_list_json(harness, scenarios, pytestconfig):
    plain = harness.invoke(["list"])
    assert plain.returncode == 0, explain(plain, "`list` to exit 0")
    names = plain.stdout.split()
    assert names == list(scenarios), f"`list` gives {names}, `list --json` gives {list(scenarios)}"
    registered = {m.split(":")[0].strip() for m in pytestconfig.getini("markers")}
    for name, m in scenarios.items():
        assert m["lab"] == name[:2] and f"lab{m['lab']}" in registered, \
            f"{name}: lab {m['lab']!r} has no `lab{m['lab']}` marker in pytest.ini"
        assert set(m["passes_under"]) <= set(STRATEGIES) and set(m["caught_under"]) <= set(STRATEGIES), m
        assert not set(m["passes_under"]) & set(m["caught_under"]), f"{name} both passes and is caught: {m}"
        assert m["selftest"] == name.startswith("00-selftest-"), m
        assert m["broken"] == ("broken" in name), m
        assert m["selftest"] or m["handout"], f"{name} names no handout section"


def _slug(heading):
    """The anchor a Markdown heading gets: lower case, punctuation dropped,
    spaces become hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_handouts_name_sections_that_exist(scenarios):
    """Every scenario's handout reference, path#anchor, is a section of a
    handout in this repository: a failure's `read:` line must lead somewhere."""
    for name, m in scenarios.items():
        if not m["handout"]:
            continue
        path, _, anchor = m["handout"].partition("#")
        handout = REPO / path
        assert handout.is_file(), f"{name} names handout {path}, which does not exist"
        slugs, fenced = set(), False
        for line in handout.read_text().splitlines():
            fenced ^= line.startswith("```")
            if line.startswith("#") and not fenced:
                slugs.add(_slug(line.lstrip("#")))
        assert not anchor or anchor in slugs, f"{name} names section #{anchor} of {path}; its sections: {sorted(slugs)}"


def test_contract_scenarios_are_listed_as_such(scenarios):
    """A contract scenario names its rule, must pass under every strategy
    (for a correct implementation) and is never `caught`; a lesson names no rule."""
    contract = {n: m for n, m in scenarios.items() if m["contract"]}
    assert contract, "the harness lists no contract scenario"
    for name, m in scenarios.items():
        if m["contract"]:
            assert re.fullmatch(r"0[0-9]-contract-[a-z0-9-]+", name), f"{name}: not named NN-contract-*"
            assert m["rule"] and re.fullmatch(r"[a-z0-9-]+", m["rule"]), f"{name}: rule {m['rule']!r}"
            assert sorted(m["passes_under"]) == sorted(STRATEGIES) and not m["caught_under"], m
            assert not m["selftest"], m
            # Every rule runs in one ABI but mixed-abi, whose i386 workers load the library's i386 build.
            assert not m["mixed_abi"] or m["rule"] == "mixed-abi", m
        else:
            assert m["rule"] is None, f"{name} is not a contract scenario but names rule {m['rule']}"


def test_lessons_predict_what_they_teach(scenarios):
    """The house rule (DEVELOPERS.md): every broken demonstration is caught
    under distinct addresses, and a fix survives every strategy."""
    for name, m in scenarios.items():
        if m["broken"]:
            assert "distinct" in m["caught_under"], f"{name} is broken but not caught under distinct: {m}"
        if name.endswith("-fixed"):
            assert sorted(m["passes_under"]) == sorted(STRATEGIES), f"{name} does not pass under every strategy: {m}"


# ---------------------------------------------------------------- self-tests

@pytest.mark.parametrize("strategy", STRATEGIES)
def test_selftest_pass(harness, scenarios, strategy):
    run = harness.run("00-selftest-pass", strategy, procs=4)
    check_well_formed(run, strategy, 4, scenarios["00-selftest-pass"])
    assert run.returncode == 0 and run.result == "PASS" and outcomes(run) == ["PASS"] * 4, \
        explain(run, "PASS, every worker PASS, exit 0")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_selftest_fail(harness, scenarios, strategy):
    run = harness.run("00-selftest-fail", strategy, procs=4)
    check_well_formed(run, strategy, 4, scenarios["00-selftest-fail"])
    assert run.returncode == 1 and run.result == "FAIL", explain(run, "FAIL, exit 1")
    for w in run.workers:
        assert w["outcome"] == "FAIL" and w["message"] == f"worker {w['index']} fails on purpose", \
            explain(run, f"worker {w['index']}: FAIL with 'worker {w['index']} fails on purpose'")
        assert w["signal"] is None and w["fault_address"] is None, explain(run, "no signal, no fault")


@pytest.mark.parametrize("strategy", ["distinct", "same", "double"])
def test_selftest_segv(harness, scenarios, strategy):
    """Each worker reads the first byte past its view. Under double, run()
    goes through the views from the last to the first (harness/worker.c), so
    the fault is past the end of view 1, with view 0 fenced."""
    run = harness.run("00-selftest-segv", strategy, procs=4)
    check_well_formed(run, strategy, 4, scenarios["00-selftest-segv"])
    assert run.returncode == 1 and run.result == "FAIL", explain(run, "FAIL, exit 1")
    size = run.region_size
    for w in run.workers:
        want = hexes(w["bases"])[-1] + size
        assert w["outcome"] == "SIGNALED" and w["signal"] == "SIGSEGV", \
            explain(run, f"worker {w['index']} SIGNALED by SIGSEGV")
        assert w["fault_address"] is not None and int(w["fault_address"], 16) == want, \
            explain(run, f"worker {w['index']}'s fault address exactly {want:#x} (its last view's base + {size})")
        assert "past the end of this worker's view" in w["fault_where"], \
            explain(run, f"worker {w['index']}'s fault_where to say it is past the end of its view")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_selftest_hang(harness, scenarios, strategy):
    """Workers that never answer are killed at the deadline and reported
    HUNG, and not one of their processes survives the run. The run must end
    at its deadline, not before, and well before the workers' own backstop
    (alarm() at the timeout's whole seconds + 5 s, harness/worker_posix.c): a
    harness that forgot to kill them would only return when that fires."""
    timeout_ms = 1500
    run = harness.run("00-selftest-hang", strategy, procs=4, timeout_ms=timeout_ms)
    check_well_formed(run, strategy, 4, scenarios["00-selftest-hang"])
    assert run.returncode == 1 and run.result == "FAIL", explain(run, "FAIL, exit 1")
    assert outcomes(run) == ["HUNG"] * 4, explain(run, "every worker HUNG")
    assert all("killed" in w["message"] for w in run.workers), explain(run, "every HUNG message to say it was killed")
    assert timeout_ms / 1000 <= run.elapsed < timeout_ms / 1000 + 3, \
        explain(run, f"the run to end after its {timeout_ms} ms deadline and within 3 s of it")
    left = alive(w["pid"] for w in run.workers)
    assert not left, explain(run, f"no process of the run left; found {left}")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_selftest_exit(harness, scenarios, strategy):
    run = harness.run("00-selftest-exit", strategy, procs=4)
    check_well_formed(run, strategy, 4, scenarios["00-selftest-exit"])
    assert run.returncode == 1 and run.result == "FAIL", explain(run, "FAIL, exit 1")
    for w in run.workers:
        assert w["outcome"] == "FAIL" and "ended without reporting" in w["message"], \
            explain(run, f"worker {w['index']}: FAIL, 'ended without reporting a result'")


def test_selftest_sysv_leak(harness, scenarios):
    """A SysV queue outlives every process, so a run that leaves one has
    leaked it: the harness must say so, fail the run and remove it."""
    run = harness.run("00-selftest-sysv-leak", "distinct", procs=2)
    assert run.returncode == 1 and run.result == "FAIL", explain(run, "FAIL, exit 1")
    named = re.search(r"SysV objects made during the run.*message queue (\d+)", run["problem"] or "")
    assert named, explain(run, "a problem naming the SysV message queue left behind")
    queues = _sysv("/proc/sysvipc/msg", "msqid", ())
    assert int(named.group(1)) not in queues, explain(run, f"queue {named.group(1)} removed by the harness")


def test_mixed_abi_report_is_well_formed(harness, scenarios):
    """Lab 01's runs: odd workers are the i386 readers, ILP32 (SKIP where
    they cannot run, naming why)."""
    run = harness.run("01-layout-fixed", "distinct", procs=4, extra=("--other-abi", "i386"))
    check_well_formed(run, "distinct", 4, scenarios["01-layout-fixed"])


# ---------------------------------------------------------------- seeds

@pytest.mark.parametrize("strategy", ["distinct", "double"])
def test_seed_replays_bases(harness, scenarios, strategy, seed):
    meta = scenarios["00-selftest-pass"]
    first = harness.run("00-selftest-pass", strategy, procs=4)
    again = harness.run("00-selftest-pass", strategy, procs=4)
    other = harness.run("00-selftest-pass", strategy, procs=4, seed=(seed + 1) % (1 << 32))
    for run in (first, again, other):
        check_well_formed(run, strategy, 4, meta)
    assert first["seed"] == again["seed"] == seed, explain(first, f"the test's seed {seed} in the report")
    assert all_bases(first) == all_bases(again), \
        explain(again, f"the same bases as the first run with seed {seed}: {[hex(b) for b in all_bases(first)]}")
    assert all_bases(other) != all_bases(first), \
        explain(other, f"other bases than seed {seed} gave: the seed must choose the addresses")


def test_run_without_seed_reports_its_seed(harness, tmp_path):
    """Without --seed the harness picks one, and its replay line must name it."""
    json_path = tmp_path / "noseed.json"
    run = harness.invoke(["run", "00-selftest-pass", "--procs", "2", "--json", json_path, "--quiet"],
                         json_path=json_path)
    assert run.returncode == 0 and run.json, explain(run, "PASS")
    assert f"--seed {run['seed']}" in run["replay"], explain(run, "the replay line to carry the chosen seed")


# ---------------------------------------------------------------- command line

BAD_USAGE = {
    "unknown-scenario": (["run", "no-such-scenario"], "no scenario 'no-such-scenario'"),
    "unknown-strategy": (["run", "00-selftest-pass", "--strategy", "sideways"], "no strategy 'sideways'"),
    "procs-0": (["run", "00-selftest-pass", "--procs", "0"], "--procs takes 1 to 32"),
    "procs-99": (["run", "00-selftest-pass", "--procs", "99"], "--procs takes 1 to 32"),
    "procs-garbage": (["run", "00-selftest-pass", "--procs", "4x"], "--procs takes 1 to 32"),
    "seed-negative": (["run", "00-selftest-pass", "--seed", "-1"], "--seed takes 0 to 4294967295"),
    "seed-too-big": (["run", "00-selftest-pass", "--seed", "4294967296"], "--seed takes 0 to 4294967295"),
    "timeout-too-small": (["run", "00-selftest-pass", "--timeout-ms", "5"], "--timeout-ms takes 100 to 600000"),
    "unknown-option": (["run", "00-selftest-pass", "--frobnicate"], "bad option '--frobnicate'"),
    "extra-argument": (["run", "00-selftest-pass", "extra"], "usage: shmlab-harness"),
    "no-scenario": (["run"], "usage: shmlab-harness"),
    "unknown-command": (["frobnicate"], "usage: shmlab-harness"),
    "no-command": ([], "usage: shmlab-harness"),
}


@pytest.mark.parametrize("case", BAD_USAGE, ids=list(BAD_USAGE))
def test_bad_usage(harness, tmp_path, case):
    args, message = BAD_USAGE[case]
    json_path = tmp_path / "report.json"
    # --json comes first, so a harness that wrote a report before it noticed
    # the mistake would be seen doing it.
    args = args[:2] + ["--json", json_path] + args[2:] if args[:1] == ["run"] and len(args) > 1 else args
    run = harness.invoke(args, json_path=json_path)
    assert run.returncode == EXIT_USAGE, explain(run, f"exit status {EXIT_USAGE}")
    assert message in run.stderr, explain(run, f"stderr to say {message!r}")
    assert not json_path.exists(), explain(run, "no JSON report for a command that did not run")


@pytest.mark.parametrize("args", [["list", "--bogus"], ["list", "--json", "extra"]], ids=["bogus", "json-extra"])
def test_list_rejects_unknown_arguments(harness, args):
    run = harness.invoke(args)
    assert run.returncode == EXIT_USAGE, explain(run, f"exit status {EXIT_USAGE} for `{' '.join(args)}`")


def test_unknown_option_message_names_the_program(harness):
    run = harness.invoke(["run", "00-selftest-pass", "--frobnicate"])
    assert run.stderr.startswith("shmlab-harness:"), explain(run, "the message to start with 'shmlab-harness:'")


# ---------------------------------------------------------------- reports

def test_svg_draws_every_worker(harness, scenarios, tmp_path):
    svg = tmp_path / "run.svg"
    run = harness.run("02-region-pointers-broken", "double", procs=4, extra=("--svg", svg))
    check_well_formed(run, "double", 4, scenarios["02-region-pointers-broken"])
    assert svg.exists(), explain(run, "an SVG file")
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", f"the root element is {root.tag}, not an SVG <svg>"
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    for w in run.workers:
        label = f"worker {w['index']} ({w['outcome']})"
        assert label in texts, explain(run, f"an SVG label {label!r}; labels: {texts}")
        for v, base in enumerate(w["bases"]):
            assert f"view {v} at {base}" in titles, \
                explain(run, f"an SVG box titled 'view {v} at {base}'; titles: {titles}")
        if w["fault_address"]:
            assert f"fault at {w['fault_address']}" in titles, \
                explain(run, f"an SVG mark titled 'fault at {w['fault_address']}'")


def test_mixed_abi_without_32bit_worker_skips(harness, scenarios, tmp_path):
    """A harness beside which no 32-bit worker is installed must SKIP the
    mixed-ABI runs (exit 77, with the reason), never pass them."""
    mixed = [n for n, m in scenarios.items() if m["mixed_abi"]]
    if not mixed:
        pytest.skip("the harness lists no mixed-ABI scenario")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for exe in (harness.exe, harness.worker):
        shutil.copy2(exe, bindir)
    run = harness.run(mixed[0], "distinct", procs=4, exe=bindir / "shmlab-harness", allow_skip=False)
    assert run.returncode == EXIT_SKIP and run.result == "SKIP", explain(run, f"SKIP, exit {EXIT_SKIP}")
    assert "32-bit" in run["problem"] and "32-bit" in run.stdout, explain(run, "the reason: the 32-bit worker")
    assert run.workers == [], explain(run, "no worker started")


def test_missing_worker_is_a_harness_error(harness, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy2(harness.exe, bindir)
    run = harness.invoke(["run", "00-selftest-pass", "--procs", "2"], exe=bindir / "shmlab-harness")
    assert run.returncode == EXIT_USAGE, explain(run, f"exit {EXIT_USAGE}: the harness could not do its job")
    assert "cannot find the worker program" in run.stderr, explain(run, "a message naming the missing worker")


def test_worker_that_cannot_exec_is_a_harness_error(harness, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy2(harness.exe, bindir)
    fake = bindir / "shmlab-worker"
    fake.write_bytes(b"\x00not a program\n")      # executable bit, but exec fails (ENOEXEC)
    fake.chmod(0o755)
    run = harness.run("00-selftest-pass", "distinct", procs=2, exe=bindir / "shmlab-harness")
    assert run.returncode == EXIT_USAGE and run.result == "ERROR", explain(run, "ERROR, exit 2: not the scenario's fault")
    for w in run.workers:
        assert re.search(r"cannot start .*shmlab-worker", w["message"]), \
            explain(run, f"worker {w['index']}'s message to name the worker it could not start")

def test_a_reader_the_kernel_refuses_is_a_skip_that_says_why(harness, tmp_path, monkeypatch):
    """On a kernel without IA-32 emulation, exec of the i386 worker fails with
    ENOEXEC. Made real here with a worker file the kernel cannot load: the
    harness must SKIP (77), naming the cause and the way out, never ERROR;
    and with no Win32 track beside this copy, auto must say why neither
    reader runs. (SHMLAB_NO_I386 would answer before the kernel is asked.)"""
    monkeypatch.delenv("SHMLAB_NO_I386", raising=False)
    bindir = tmp_path / "copy" / "bin"
    bindir.mkdir(parents=True)
    for name in ("shmlab-harness", "shmlab-worker"):
        shutil.copy2(harness.exe.parent / name, bindir / name)
    refused = bindir / "shmlab-worker-i386"
    refused.write_bytes(b"\x7fELF\x01\x01\x01" + bytes(57))       # an ELF header no kernel loads
    refused.chmod(0o755)
    for other_abi, says in (("i386", r"cannot run 32-bit x86 programs \(IA-32 emulation"),
                            ("auto", r"i386: .*IA-32 emulation.*; win64: the Win32 track was not built")):
        run = harness.run("01-layout-broken", "distinct", procs=2, exe=bindir / "shmlab-harness",
                          extra=("--other-abi", other_abi), allow_skip=False)
        assert run.returncode == 77 and run.result == "SKIP", explain(run, "SKIP (exit 77)")
        assert re.search(says, run["problem"]), explain(run, f"a reason matching {says!r}")


def test_a_wine_that_runs_nothing_is_a_skip_that_says_why(harness, tmp_path, monkeypatch):
    """Wine installed only in part: its loader is there but starts nothing.
    Lab 01's Windows readers must then SKIP, naming Wine, never ERROR; and
    with i386 refused too (SHMLAB_NO_I386), auto names both causes."""
    loader = tmp_path / "wine64"
    loader.write_text("#!/bin/sh\necho 'wine: could not load ntdll.so' >&2\nexit 1\n")
    loader.chmod(0o755)
    monkeypatch.setenv("SHMLAB_WINE", str(loader))
    monkeypatch.setenv("SHMLAB_NO_I386", "1")
    built = (harness.exe.parent.parent / "win32" / "bin" / "shmlab-worker.exe").is_file()
    win64 = "64-bit Wine does not run the Windows worker" if built else "the Win32 track was not built"
    for other_abi, says in (("win64", win64), ("auto", f"i386: SHMLAB_NO_I386 is set.*; win64: {win64}")):
        run = harness.run("01-layout-fixed", "distinct", procs=2, extra=("--other-abi", other_abi), allow_skip=False)
        assert run.returncode == 77 and run.result == "SKIP", explain(run, "SKIP (exit 77)")
        assert re.search(says, run["problem"]), explain(run, f"a reason matching {says!r}")


@pytest.mark.lab01
@pytest.mark.win64
def test_a_windows_reader_wine_fails_to_start_is_run_again_once(harness, tmp_path, monkeypatch, wine_session):
    """Wine, rarely, ends a program it is starting before the program runs.
    The harness runs such a run again, once, saying so: here a loader that
    fails the first Windows reader it is asked to start. A loader that fails
    every reader is not retried twice: the run FAILs, naming the reader."""
    real = wine_session.loader
    if not real or not (harness.exe.parent.parent / "win32" / "bin" / "shmlab-worker.exe").is_file():
        pytest.skip("needs the Win32 track and Wine's 64-bit loader")
    mark = tmp_path / "failed-once"
    loader = tmp_path / "wine64"
    loader.write_text("#!/bin/sh\n"
                      f'case "$*" in *--chan=stdio*) [ -e "{mark}" ] || {{ touch "{mark}"; exit 1; }} ;; esac\n'
                      f'exec "{real}" "$@"\n')
    loader.chmod(0o755)
    monkeypatch.setenv("SHMLAB_WINE", str(loader))
    run = harness.run("01-layout-fixed", "distinct", procs=2, extra=("--other-abi", "win64"), allow_skip=False)
    assert run.returncode == 0 and "Wine failed to start it; running again, once" in run.stderr, \
        explain(run, "PASS after one more run, saying why")
    loader.write_text("#!/bin/sh\n"
                      'case "$*" in *--chan=stdio*) exit 1 ;; esac\n'
                      f'exec "{real}" "$@"\n')
    run = harness.run("01-layout-fixed", "distinct", procs=2, extra=("--other-abi", "win64"), allow_skip=False)
    assert run.returncode == 1 and run.stderr.count("running again, once") == 1, explain(run, "FAIL after one retry")
    assert run.workers[1]["message"] == "ended before it mapped the region", explain(run, "worker 1 named")


def test_the_verdict_is_the_harness_s_and_can_say_no(harness, scenarios):
    """The harness alone judges whether a run went as predicted (--expect,
    and `verdict` in the report). Every self-test goes as it predicts,
    caught ones included (a hang is caught); and a broken library under a
    contract scenario, which predicts a pass, is judged not as predicted."""
    for name in (n for n, m in scenarios.items() if m["selftest"]):
        run = harness.run(name, "distinct", procs=2, timeout_ms=2000, extra=("--expect",))
        assert run["verdict"] == "as predicted" and run.returncode == 0, explain(run, "as predicted, exit 0")
    mutant = harness.exe.parent.parent / "mutants" / "libmutant-offset-unchecked.so"
    if not mutant.exists():
        pytest.skip(f"{mutant} is not built")
    run = harness.run("03-contract-offset-bounds", "distinct", procs=2, impl=str(mutant), extra=("--expect",))
    assert run["verdict"] == "not as predicted" and run.returncode == 1, explain(run, "not as predicted, exit 1")
