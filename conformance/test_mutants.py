"""Mutation testing of the contract scenarios.

A scenario that passes the reference proves little on its own: it might
check nothing. Each mutant in mutants/ is the reference library with one
realistic bug, and its header names the one contract scenario that must catch
it. Here every mutant is run through that scenario (4 processes) under the
strategies its header lists, `distinct` and `double` unless it says otherwise,
and each run must FAIL: exit 1 with result FAIL. Exit 2 means the harness
could not use the library at all; that is a broken mutant, not a caught one.
The reference library must pass the same run, with the same seed, so that the
kill is the bug's doing. Where the machine cannot make the run (the
reference's run SKIPs: mixed-ABI workers where i386 cannot run), the case
is skipped with the harness's reason, never counted as a kill.

A mutant's header (see mutants/README.md):

    // Mutant: <the rule it breaks, one line>
    // Replaces: reference/<file>.c
    // Caught by: <one contract scenario>
    // <why that scenario catches it: a sentence>
    // Killed under: <strategies>            (optional; default distinct double)
    // Attempts: <N>                         (optional, for races; default 1)

The end of the session prints one line per mutant and the kill ratio.
"""
import pathlib
import re
import shlex

import pytest

from conftest import EXIT_SKIP, explain

HERE = pathlib.Path(__file__).resolve().parent
MUTANT_SOURCES = HERE / "mutants"
REPO = HERE.parent
STRATEGIES = ("distinct", "double", "fork", "same", "kernel")
DEFAULT_STRATEGIES = ("distinct", "double")
PROCS = 4
MIN_MUTANTS = 8
MAX_ATTEMPTS = 20

HEADER = (
    ("rule", re.compile(r"^// Mutant: (\S.*)$"), "// Mutant: <the rule it breaks>"),
    ("replaces", re.compile(r"^// Replaces: (reference/[A-Za-z0-9_]+\.c)$"), "// Replaces: reference/<file>.c"),
    ("scenario", re.compile(r"^// Caught by: ([0-9]{2}-contract-[a-z0-9-]+)$"), "// Caught by: <one contract scenario>"),
)
KILLED_UNDER = re.compile(r"^// Killed under: (.*)$")
ATTEMPTS = re.compile(r"^// Attempts: (.*)$")
MARKER = "// MUTANT:"


class Mutant:
    """One mutants/<name>.c and what its header says (problems: what is wrong
    with the header, if anything)."""

    def __init__(self, path):
        self.path, self.name = path, path.stem
        self.rule = self.replaces = self.scenario = None
        self.why, self.problems = "", []
        self.strategies = DEFAULT_STRATEGIES
        self.attempts = 1
        lines = path.read_text(errors="replace").splitlines()
        for i, (field, pattern, form) in enumerate(HEADER):
            m = pattern.match(lines[i]) if i < len(lines) else None
            if m:
                setattr(self, field, m.group(1))
            else:
                got = lines[i] if i < len(lines) else "(end of file)"
                self.problems.append(f"line {i + 1} must read `{form}`, not {got!r}")
        why = []
        for line in lines[len(HEADER):]:
            if not line.startswith("//") or line.strip() == "//":
                break
            m, n = KILLED_UNDER.match(line), ATTEMPTS.match(line)
            if n:
                if n.group(1).isdigit() and 1 <= int(n.group(1)) <= MAX_ATTEMPTS:
                    self.attempts = int(n.group(1))
                else:
                    self.problems.append(f"`// Attempts:` takes a number from 1 to {MAX_ATTEMPTS}, "
                                         f"not {n.group(1)!r}")
            elif m:
                self.strategies = tuple(m.group(1).split())
                unknown = [s for s in self.strategies if s not in STRATEGIES]
                if unknown or not self.strategies:
                    self.problems.append(f"`// Killed under:` names {unknown or 'nothing'}; "
                                         f"the strategies are {', '.join(STRATEGIES)}")
            else:
                why.append(line[2:].strip())
        self.why = " ".join(why)
        if not self.why:
            self.problems.append(f"line {len(HEADER) + 1} must start the sentence that says why "
                                 "the scenario catches the bug")
        if not any(MARKER in line for line in lines[len(HEADER):]):
            self.problems.append(f"no `{MARKER}` comment marks the bug")
        if self.replaces and not (REPO / self.replaces).is_file():
            self.problems.append(f"it replaces {self.replaces}, which does not exist")

    def shared_object(self, build):
        return build / "mutants" / f"libmutant-{self.name}.so"


MUTANTS = [Mutant(p) for p in sorted(MUTANT_SOURCES.glob("*.c"))]

# name -> {strategy: (verdict, detail)}, for the summary at the end
RESULTS = {}


class _Summary:
    """Prints, after the session, a line per mutant and the kill ratio."""

    def pytest_terminal_summary(self, terminalreporter):
        if not RESULTS:
            return
        write = terminalreporter.write_line
        write("")
        killed = 0
        for m in MUTANTS:
            runs = {s: r for s, r in RESULTS.get(m.name, {}).items() if r[0] != "skipped"}
            if not runs:
                if RESULTS.get(m.name):
                    write(f"mutant {m.name}: skipped: {next(iter(RESULTS[m.name].values()))[1]}")
                continue
            done = [s for s in STRATEGIES if s in runs]
            kills = [s for s in done if runs[s][0] == "killed"]
            where = ", ".join(s if runs[s][1] == 1 else f"{s} (run {runs[s][1]} of up to {m.attempts})"
                              for s in kills)
            if done and len(kills) == len(done):
                killed += 1
                write(f"mutant {m.name}: killed by {m.scenario} under {where}")
            else:
                for s in done:
                    if runs[s][0] != "killed":
                        write(f"mutant {m.name}: {runs[s][0].upper()} under {s} "
                              f"({m.scenario or 'no scenario named'}): {runs[s][1]}")
                if kills:
                    write(f"mutant {m.name}: killed by {m.scenario} under {where} only")
        total = sum(1 for runs in RESULTS.values() if any(r[0] != "skipped" for r in runs.values()))
        if not total:
            return
        write(f"mutants killed: {killed}/{total} ({100 * killed // total}%)")


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    manager = request.config.pluginmanager
    if not manager.has_plugin("shmlab-mutants-summary"):
        manager.register(_Summary(), "shmlab-mutants-summary")
    yield


# ---------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def build(pytestconfig):
    """The build directory: the one holding the harness (bin/shmlab-harness)."""
    return pytestconfig.shmlab.build


@pytest.fixture(scope="module")
def contract_scenarios(scenarios):
    """{name: metadata} of the harness's CONTRACT scenarios (`list --json`)."""
    return {name: m for name, m in scenarios.items() if m["contract"]}


def run_against(harness, library, scenario, strategy, seed):
    """One run of scenario against library (seed None: the test's seed)."""
    return harness.run(scenario, strategy, procs=PROCS, seed=seed, impl=str(library), allow_skip=False)


def replay(run):
    """The command that replays a run: the harness's own line (explain() has it too)."""
    return run.get("replay") or shlex.join(run.cmd)


SHM = pathlib.Path("/dev/shm")


def sweep(run):
    """Removes the /dev/shm names a mutant's run left behind (a leak may be
    the very bug), so that the reference's runs alone answer for leftovers.
    Returns what it removed."""
    j = run.json or {}
    pids = {w.get("pid") for w in j.get("workers") or []}
    m = re.match(r"^/shmlab-(\d+)-", (j.get("region") or {}).get("name") or "")
    if m:
        pids.add(int(m.group(1)))
    removed = []
    for entry in SHM.glob("shmlab-*"):
        owner = re.match(r"^shmlab-(\d+)-", entry.name)
        if owner and int(owner.group(1)) in pids:
            try:
                entry.unlink()
                removed.append(str(entry))
            except OSError:
                pass
    return removed


# ---------------------------------------------------------------- the mutants themselves

def test_enough_mutants():
    names = [m.name for m in MUTANTS]
    if len(MUTANTS) < MIN_MUTANTS:
        pytest.fail(f"{len(MUTANTS)} mutants in {MUTANT_SOURCES} ({', '.join(names) or 'none'}); "
                    f"the suite wants at least {MIN_MUTANTS}", pytrace=False)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_well_formed(mutant, contract_scenarios, build):
    """The three header lines and the sentence, a `// MUTANT:` mark, a real
    reference file replaced, an existing contract scenario named, and a
    library that was built."""
    problems = list(mutant.problems)
    if mutant.scenario and mutant.scenario not in contract_scenarios:
        problems.append(f"it names {mutant.scenario}, which is not a contract scenario of the harness "
                        f"(`shmlab-harness list` has: {', '.join(sorted(contract_scenarios)) or 'none'})")
    if not mutant.shared_object(build).is_file():
        problems.append(f"{mutant.shared_object(build)} was not built (cmake --build {build})")
    if problems:
        pytest.fail(f"mutant {mutant.name} ({mutant.path}):\n  - " + "\n  - ".join(problems), pytrace=False)


KILL_CASES = [pytest.param(m, s, id=f"{m.name}-{s}") for m in MUTANTS for s in m.strategies]


@pytest.mark.parametrize("mutant,strategy", KILL_CASES)
def test_mutant_is_killed(harness, build, contract_scenarios, mutant, strategy):
    """The named scenario passes the reference and fails the mutant, same
    seed. A race is caught only when the processes happen to collide, so a
    mutant whose header gives `// Attempts: N` gets up to N runs (each with
    its own seed, the reference passing each) and must be caught in one."""
    results = RESULTS.setdefault(mutant.name, {})
    results[strategy] = ("no verdict", "the test ended before it could say (see its report)")

    def give_up(verdict, detail, message):
        results[strategy] = (verdict, detail)
        pytest.fail(message, pytrace=False)

    library = mutant.shared_object(build)
    if mutant.problems:
        give_up("malformed", "see test_mutant_is_well_formed",
                f"mutant {mutant.name} has a malformed header (test_mutant_is_well_formed says how)")
    if mutant.scenario not in contract_scenarios:
        give_up("untested", f"{mutant.scenario} is not a contract scenario of the harness",
                f"mutant {mutant.name} names {mutant.scenario}, which the harness does not list "
                "as a contract scenario")
    if not library.is_file():
        give_up("not built", f"{library} is missing", f"mutant {mutant.name} was not built: {library} is missing")

    reference = build / "lib" / "libshmlab.so"
    seed, survivors = None, []
    for attempt in range(1, mutant.attempts + 1):
        ref = run_against(harness, reference, mutant.scenario, strategy, seed)
        if ref.returncode == EXIT_SKIP:
            # The machine cannot run the scenario (i386 workers, say): nothing is tested either way.
            results[strategy] = ("skipped", ref.get("problem") or "the harness skipped the run")
            pytest.skip(f"harness: {mutant.scenario} under {strategy}: {results[strategy][1]}")
        if ref.returncode != 0 or ref.result != "PASS":
            give_up("reference fails", f"seed {ref.seed}; replay: {replay(ref)}",
                    f"the reference library does not pass {mutant.scenario} under {strategy}, so a "
                    f"failure of mutant {mutant.name} there would prove nothing\n" + explain(ref, "PASS"))
        seed = ref.seed
        run = run_against(harness, library, mutant.scenario, strategy, seed)
        leaked = sweep(run)
        if run.returncode == 1 and run.result == "FAIL":
            results[strategy] = ("killed", attempt)
            return
        seen = f"seed {run.seed}; replay: {replay(run)}"
        if run.returncode == 2:
            give_up("broken", f"exit 2, {seen}",
                    f"mutant {mutant.name} is broken: the harness could not run {mutant.scenario} with it "
                    f"under {strategy} (exit 2): it was never tested, so it was not caught either\n"
                    + explain(run, "FAIL (exit 1)"))
        if run.returncode != 0:
            give_up("not killed", f"exit {run.returncode}, result {run.result}, {seen}",
                    f"mutant {mutant.name} under {strategy}: expected {mutant.scenario} to FAIL (exit 1), "
                    f"got exit {run.returncode}, result {run.result}\n" + explain(run, "FAIL (exit 1)"))
        survivors.append((run, leaked))
        seed = (seed + 0x9E3779B9) % (1 << 32)      # the next attempt's seed
    run, leaked = survivors[-1]
    runs = f"all {len(survivors)} runs" if len(survivors) > 1 else "it"
    give_up("survived", f"seeds {', '.join(str(r.seed) for r, _ in survivors)}; replay: {replay(run)}",
            f"mutant {mutant.name} SURVIVED: {mutant.scenario} should have caught it under {strategy} "
            f"({mutant.rule}) but passed {runs}; seed{'s' if len(survivors) > 1 else ''} "
            f"{', '.join(str(r.seed) for r, _ in survivors)}\n"
            f"why it should: {mutant.why}\n" + explain(run, "FAIL (exit 1)")
            + (f"\nleft behind (removed): {', '.join(leaked)}" if leaked else ""))
