#!/usr/bin/env python3
"""The learner's grade: how far your library (labs/*/exercise*.c) keeps the
contract, lab by lab, as a table of rules in the manner of xv6's
`make grade`.

    ./tour check [NN|all] [--hint [LEVEL]] [--impl LIB] [--build-dir DIR]
                 [--no-build] [--seed K]
    ./tour watch [NN] [same options] [--max-rounds N] [--watch-root DIR]

Design. Nothing here judges. The harness is the authority: it lists the
contract's rules (`shmlab-harness list --json`: each contract scenario's
lab, rule and handout section), and it runs each scenario and says whether
the run went as the contract requires (`run --expect --json`), exactly as
the conformance suite does (conformance/test_contract.py). A rule holds
when every one of its runs passed under all five strategies, since an
address rule that holds only where the addresses happen to agree does not
hold. So a rule is never named here: a new rule the harness lists is
graded the day it exists, and its hint is required by a test
(conformance/test_grade.py).

An exercise that is not a library function, such as lab 01's record
(labs/01-values-and-structs/exercise_record.h), is a scenario the harness
lists as `exercise`: compiled into this build's workers, run once (distinct
addresses, 4 processes, the other ABI the harness picks) and shown as a row
of its own after its lab's rules (`exercise-record` for
01-exercise-record). Where the harness can run no reader of another ABI it
says SKIP, and the row is "skipped" with its reason: the machine's want,
not the learner's fault, so it is left out of the score. With --impl the
exercise is not graded: it is built into the harness, not the library.

Runs are independent and spend most of their time in handshakes, so they
are started together, as many at a time as there are processors, each in a
process group of its own and bounded in time: a learner's library that
hangs is killed with its workers, and reported as such. Every run has a
seed derived from one session seed, printed with the command that repeats
the grading, so a failure seen once can be seen again.

What is printed is read by a learner at work, so it is short: one line a
rule, a total a lab, and for the first failure only what the harness
reported (each worker's outcome, fault placement and message), the handout
section to read and the command that replays that one run. Later labs are
"not yet", not red: a learner at lab 03 has not failed lab 05. Hints
(labs/NN-topic/hints.md) are shown only when asked for, one level at a
time, because a hint read before trying is an answer.

Watch mode polls the exercise files' modification times (no dependency;
a fifth of a second is well inside the second a learner waits after a
save) and regrades whenever one changes, abandoning a grading in progress.

Exit status: 0 every graded rule holds, 1 some does not (or your code does
not build), 2 a usage error or a harness that cannot run.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
LABS = REPO / "labs"
STRATEGIES = ("distinct", "double", "fork", "same", "kernel")
EXERCISE_STRATEGIES = ("distinct",)     # an exercise's one run (see the top)
PROCS = 4
RUN_TIMEOUT_MS = 5000                   # the harness's own bound, as the suite's
RUN_BOUND_S = RUN_TIMEOUT_MS / 1000 + 30  # ours, should the harness itself hang
EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_SKIP = 0, 1, 2, 77
POLL_S = 0.2
WIDTH = 44                              # where the rules' verdicts line up


class UsageError(Exception):
    pass


# ---------------------------------------------------------------- output

def coloured(stream):
    return stream.isatty() and not os.environ.get("NO_COLOR") and not os.environ.get("CI")


class Out:
    """The screen: colour and a live progress line only on a terminal,
    plain lines elsewhere (CI, a pipe, a test)."""

    def __init__(self, stream=sys.stdout):
        self.stream, self.live = stream, coloured(stream)
        self.codes = dict(bold="\033[1m", dim="\033[2m", red="\033[31m", green="\033[32m",
                          yellow="\033[33m", off="\033[0m") if self.live else {}
        self.status_shown = False

    def c(self, name, text):
        return f"{self.codes[name]}{text}{self.codes['off']}" if self.codes else text

    def say(self, text=""):
        self.clear_status()
        print(text, file=self.stream, flush=True)

    def status(self, text):
        """The live line (a terminal only): overwritten by the next."""
        if self.live:
            self.stream.write(f"\r\033[K{self.codes['dim']}{text}{self.codes['off']}")
            self.stream.flush()
            self.status_shown = True

    def clear_status(self):
        if self.status_shown:
            self.stream.write("\r\033[K")
            self.status_shown = False

    def clear_screen(self):
        if self.live:
            self.stream.write("\033[H\033[2J")


def shown_path(path):
    """A path as the learner would type it: relative to where they are."""
    try:
        return os.path.relpath(path) if pathlib.Path(path).resolve().is_relative_to(pathlib.Path.cwd()) else str(path)
    except (OSError, ValueError):
        return str(path)


def shown_command(command):
    """The harness's replay line with this tree's paths made relative."""
    words = shlex.split(command)
    return shlex.join(shown_path(w) if w.startswith("/") else w for w in words)


# ---------------------------------------------------------------- the labs and their rules

class Rule:
    """One contract rule: its lab, its scenarios, the handout section; or,
    with exercise, a row for one exercise scenario (see the top)."""

    def __init__(self, name, lab, handout, exercise=False):
        self.name, self.lab, self.handout, self.scenarios = name, lab, handout, []
        self.exercise = exercise

    @property
    def strategies(self):
        return EXERCISE_STRATEGIES if self.exercise else STRATEGIES


def lab_dirs():
    """{NN: labs/NN-topic} for every lab."""
    return {p.name[:2]: p for p in sorted(LABS.glob("[0-9][0-9]-*")) if p.is_dir()}


def lab_title(lab_dir):
    first = (lab_dir / "README.md").read_text().splitlines()[0] if (lab_dir / "README.md").exists() else ""
    return re.sub(r"^# Lab \d+:\s*", "", first) or lab_dir.name


def rules_by_lab(listing):
    """{lab: [Rule]} of the contract scenarios the harness lists, in its
    order, then each lab's exercises: NN-exercise-what as `exercise-what`."""
    rules, by_name = {}, {}
    for s in listing:
        if not s.get("contract"):
            continue
        rule = by_name.get(s["rule"])
        if rule is None:
            rule = by_name[s["rule"]] = Rule(s["rule"], s["lab"], s.get("handout"))
            rules.setdefault(s["lab"], []).append(rule)
        rule.scenarios.append(s["name"])
    for s in listing:
        if s.get("exercise") and not s.get("contract"):
            rule = Rule(s["name"][3:], s["lab"], s.get("handout"), exercise=True)
            rule.scenarios.append(s["name"])
            rules.setdefault(s["lab"], []).append(rule)
    return rules


def exercise_header(lab_dir, rule):
    """The header an exercise row's learner writes: exercise-record ->
    labs/NN-topic/exercise_record.h, or None."""
    header = lab_dir / (rule.name.replace("-", "_") + ".h") if lab_dir else None
    return header if header and header.exists() else None


def section_title(handout):
    """'labs/03-offsets/README.md#exercise' -> 'Exercise', the heading whose
    anchor it is (GitHub's: lower case, punctuation dropped, spaces to -)."""
    path, _, anchor = (handout or "").partition("#")
    try:
        text = (REPO / path).read_text()
    except OSError:
        return None
    for heading in re.findall(r"^#+\s+(.*)$", text, re.M):
        if re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") == anchor:
            return heading
    return None


# ---------------------------------------------------------------- hints

def hints(lab_dir, rule):
    """The graded hints of a rule, from labs/NN-topic/hints.md: the numbered
    items of its `## rule` section, in order."""
    try:
        text = (lab_dir / "hints.md").read_text()
    except OSError:
        return []
    section = re.search(rf"^## {re.escape(rule)}[ \t]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not section:
        return []
    items = re.split(r"^\d+\.[ \t]+", section.group(1), flags=re.M)[1:]
    return [" ".join(item.split()) for item in items]


def hint_sections(lab_dir):
    """The rules a lab's hints.md has a section for."""
    try:
        return re.findall(r"^## (\S+)[ \t]*$", (lab_dir / "hints.md").read_text(), re.M)
    except OSError:
        return []


# ---------------------------------------------------------------- runs

class Run:
    """One harness run and how it ended: 'pass', 'fail' or 'skip'."""

    def __init__(self, scenario, strategy, seed, returncode, report, stdout, stderr, timed_out):
        self.scenario, self.strategy, self.seed = scenario, strategy, seed
        self.returncode, self.json, self.stdout, self.stderr = returncode, report or {}, stdout, stderr
        self.timed_out = timed_out

    @property
    def outcome(self):
        if self.timed_out:
            return "fail"
        if self.returncode == EXIT_SKIP:
            return "skip"
        return "pass" if self.returncode == EXIT_PASS and self.json.get("verdict") == "as predicted" else "fail"

    @property
    def skip_reason(self):
        return self.json.get("problem") or self.stdout.strip() or "(no reason given)"


class Harness:
    """Runs the harness against one library; every run in a process group
    of its own, so that a cancel or a time bound kills its workers too."""

    def __init__(self, build, impl, session_seed, where, exercises=True):
        self.exe, self.impl, self.session_seed, self.where = build / "bin" / "shmlab-harness", impl, session_seed, where
        self.exercises = exercises      # grade the exercises built into this build (not with --impl)
        self.live, self.killed, self.lock, self.cancelled = set(), {}, threading.RLock(), threading.Event()

    def ask(self, *args):
        """The harness's JSON answer to ARGS, or UsageError saying why not."""
        try:
            out = subprocess.run([str(self.exe), *args], stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=60)
            return json.loads(out.stdout)
        except (OSError, ValueError, subprocess.TimeoutExpired) as e:
            raise UsageError(f"`{shown_path(self.exe)} {' '.join(args)}` gave no answer ({e}); "
                             "build it: cmake --preset default && cmake --build build") from None

    def seed_of(self, scenario, strategy):
        """A run's seed: the same for the same session seed, scenario and strategy."""
        digest = hashlib.sha256(f"{self.session_seed}:{scenario}:{strategy}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    def run(self, scenario, strategy, exercise=False):
        """One run; an exercise's loads no library (it has none to test)."""
        if self.cancelled.is_set():
            return None
        seed = self.seed_of(scenario, strategy)
        stem = self.where / f"{scenario}-{strategy}"
        report = stem.with_suffix(".json")
        cmd = [str(self.exe), "run", scenario, "--procs", str(PROCS), "--strategy", strategy, "--seed", str(seed),
               "--timeout-ms", str(RUN_TIMEOUT_MS), "--json", str(report), "--quiet", "--expect"] + \
            ([] if exercise else ["--impl", str(self.impl)])
        env = dict(os.environ, NO_COLOR="1")
        # Output to files, not pipes: a worker left behind could hold a pipe open forever.
        with open(f"{stem}.out", "w+") as out, open(f"{stem}.err", "w+") as err:
            with self.lock:
                if self.cancelled.is_set():
                    return None
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.where,
                                        env=env, start_new_session=True)
                self.live.add(proc)
            try:
                proc.wait(timeout=RUN_BOUND_S)
                timed_out = False
            except subprocess.TimeoutExpired:
                self.kill(proc)
                proc.wait()
                timed_out = True
            with self.lock:
                self.live.discard(proc)
                killed = self.killed.pop(proc, None)
            if killed:
                remove_leftovers(killed)
            if self.cancelled.is_set():
                return None
            out.seek(0), err.seek(0)
            try:
                parsed = json.loads(report.read_text())
            except (OSError, ValueError):
                parsed = None
            return Run(scenario, strategy, seed, proc.returncode, parsed, out.read(), err.read(), timed_out)

    def kill(self, proc):
        """Kills a run's harness and workers, noting who they were."""
        with self.lock:
            self.killed[proc] = group_members(proc.pid) | {proc.pid}
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def cancel(self):
        """Stops every run: those started are killed, the rest never start."""
        with self.lock:         # so that no run starts between the two
            self.cancelled.set()
            for proc in list(self.live):
                self.kill(proc)


def group_members(pgid):
    """The pids of process group pgid (/proc/PID/stat: pid (comm) state ppid pgrp)."""
    members = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rfind(")") + 2:].split()[2]) == pgid:
            members.add(int(entry))
    return members


def remove_leftovers(pids):
    """What processes killed in a run made and could not remove: region
    names (shmlab-<pid>-..., named by the process that made them) and the
    System V objects they made or used last. Nothing else's."""
    for name in os.listdir("/dev/shm"):
        owner = name.split("-")
        if name.startswith("shmlab-") and len(owner) > 2 and owner[1].isdigit() and int(owner[1]) in pids:
            try:
                os.unlink(f"/dev/shm/{name}")
            except OSError:
                pass
    for table, ident, users, remove in (("shm", "shmid", ("cpid", "lpid"), ["-m"]),
                                        ("msg", "msqid", ("lspid", "lrpid"), ["-q"])):
        try:
            lines = pathlib.Path(f"/proc/sysvipc/{table}").read_text().splitlines()
        except OSError:
            continue
        for line in lines[1:]:
            row = dict(zip(lines[0].split(), line.split()))
            if any(int(row.get(c, 0)) in pids for c in users):
                subprocess.run(["ipcrm", *remove, row[ident]], capture_output=True)


# ---------------------------------------------------------------- grading

class Verdict:
    """A rule's runs, and what they add up to: 'OK' when none failed and one
    passed, 'FAIL' when any failed, 'skipped' when all were skipped. A
    skipped exercise is not counted: no reader of another ABI runs here."""

    def __init__(self, rule, runs):
        self.rule, self.runs = rule, runs
        self.passed = sum(r.outcome == "pass" for r in runs)
        self.failed = [r for r in runs if r.outcome == "fail"]
        self.skipped = [r for r in runs if r.outcome == "skip"]
        self.word = "FAIL" if self.failed else "OK" if self.passed else "skipped"

    @property
    def holds(self):
        return self.word == "OK"

    @property
    def counted(self):
        return not (self.rule.exercise and self.word == "skipped")


def counted(verdicts):
    """The verdicts a score counts."""
    return [v for v in verdicts if v.counted]


def grade_labs(h, labs, rules, out, changed, dirs):
    """[Verdict] of every rule of `labs`, under each lab's heading, each row
    printed as soon as it and those above it are known; None if `changed`
    said to stop first."""
    jobs = [(rule, scenario, strategy) for lab in labs for rule in rules.get(lab, ())
            if h.exercises or not rule.exercise
            for scenario in rule.scenarios for strategy in rule.strategies]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
    futures = {job: pool.submit(h.run, job[1], job[2], job[0].exercise) for job in jobs}
    verdicts = []
    try:
        for lab in labs:
            out.say(lab_heading(out, lab, dirs.get(lab, LABS / lab)))
            if not rules.get(lab):
                out.say(out.c("dim", "  no contract rule"))
                continue
            for rule in rules[lab]:
                if rule.exercise and not h.exercises:
                    out.say(out.c("dim", f"{dots(rule.name)} not graded with --impl: it is built into "
                                         "the harness, not the library"))
                    continue
                mine = [f for (r, _, _), f in futures.items() if r is rule]
                while concurrent.futures.wait(mine, timeout=POLL_S).not_done:
                    done = sum(f.done() for f in futures.values())
                    out.status(f"grading {rule.name}: {done} of {len(futures)} runs done")
                    if changed and changed():
                        h.cancel()
                if any(f.result() is None for f in mine):
                    return None
                verdicts.append(Verdict(rule, [f.result() for f in mine]))
                out.say(row(out, verdicts[-1]))
            out.say(lab_total(out, lab, [v for v in verdicts if v.rule.lab == lab]))
    except BaseException:
        h.cancel()          # Ctrl-C: no run outlives the grading
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return verdicts


def dots(name, width=WIDTH):
    return f"  {name} " + "." * max(3, width - len(name) - 3)


def row(out, v):
    total = len(v.runs) - len(v.skipped)
    word = {"OK": out.c("green", "OK"), "FAIL": out.c("red", "FAIL"), "skipped": out.c("yellow", "skipped")}[v.word]
    text = f"{dots(v.rule.name)} {word}"
    if v.word != "skipped":
        text += f" ({v.passed}/{total})"
    if v.skipped:
        reason = v.skipped[0].skip_reason
        text += (f", {len(v.skipped)} skipped: " if v.word != "skipped" else ": ") + reason
    return text


def lab_total(out, lab, verdicts):
    verdicts = counted(verdicts)
    held = sum(v.holds for v in verdicts)
    text = f"  lab {lab} score: {held}/{len(verdicts)} rules"
    return out.c("green" if held == len(verdicts) else "bold", text)


def lab_heading(out, lab, lab_dir):
    return out.c("bold", f"lab {lab}  {lab_title(lab_dir)}")


# ---------------------------------------------------------------- the first failure

def first_failure(out, v, lab_dir, args, rerun):
    """What the harness reported of the rule's first failed run, where to
    read, how to replay it, and the hints asked for."""
    run = v.failed[0]
    j = run.json
    say = out.say
    say()
    say(out.c("bold", f"{v.rule.name} (lab {v.rule.lab}) failed under {run.strategy}, seed {run.seed}:"))
    if run.timed_out:
        say(f"  the run did not end within {RUN_BOUND_S:.0f} s: killed, with its workers")
    elif not j:
        say(f"  the harness wrote no report (exit status {run.returncode})")
    else:
        say(f"  result {j.get('result')}, the {'exercise' if v.rule.exercise else 'contract'} requires "
            f"{j.get('expected')}")
    if j.get("problem"):
        say(f"  problem: {j['problem']}")
    previous = None
    for w in j.get("workers") or []:
        what = (w.get("outcome"), w.get("signal"), w.get("fault_where"), w.get("message"))
        bases = ", ".join(w.get("bases") or []) or "not mapped"
        if what == previous and not w.get("fault_address"):
            say(f"  worker {w.get('index')} ({bases}): the same")
            continue
        previous = what
        fate = f"{w.get('outcome')}" + (f" {w['signal']}" if w.get("signal") else "") + \
            (f" at {w['fault_address']}" if w.get("fault_address") else "")
        say(f"  worker {w.get('index')} ({bases}): {fate}")
        for key in ("fault_where", "message"):
            if w.get(key):
                say(f"      {w[key]}")
    if not j and (run.stderr.strip() or run.stdout.strip()):
        for line in (run.stderr.strip() or run.stdout.strip()).splitlines()[-8:]:
            say(f"  {line}")
    handout = j.get("handout") or v.rule.handout
    if handout:
        title = section_title(handout)
        say(f"read:   {handout}" + (f'  (section "{title}")' if title else ""))
    if j.get("replay"):
        say(f"replay: {shown_command(j['replay'])} --expect")
    if v.rule.exercise:
        header = exercise_header(lab_dir, v.rule)
        if header:
            check = shown_path(args.build_dir / "bin" / "shmlab-check")
            say(out.c("dim", f"Stuck? {check} {shown_path(header)}   says what is wrong with it, field by field."))
        return
    if rerun is None:           # shmlab-conform: an implementer's CI, not a learner
        return
    levels = hints(lab_dir, v.rule.name) if lab_dir else []
    if args.hint:
        say()
        if not levels:
            say(f"No hint is written for {v.rule.name} yet: read the section above, and CONTRACT.md's line for it.")
        for n, text in enumerate(levels[:args.hint], 1):
            say(out.c("yellow", f"hint {n} of {len(levels)}:"))
            say(textwrap.fill(text, 78, initial_indent="  ", subsequent_indent="  "))
        if args.hint < len(levels):
            say(out.c("dim", f"(more: {rerun} --hint {args.hint + 1})"))
    else:
        say(out.c("dim", f"Stuck? {rerun} --hint   shows a hint for {v.rule.name}; --hint 2 the next as well."))


# ---------------------------------------------------------------- one grading

def build(build_dir, out):
    """Builds the learner's library and the harness; False (and the
    compiler's words) if they do not build."""
    if not (build_dir / "CMakeCache.txt").exists():
        out.say(f"Configuring {shown_path(build_dir)} (once) ...")
        configure = ["cmake", "--preset", "default"] if build_dir == REPO / "build" else \
            ["cmake", "-S", str(REPO), "-B", str(build_dir), "-G", "Ninja"]
        done = subprocess.run(configure, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            out.say(done.stdout + done.stderr)
            return False
    cache = (build_dir / "CMakeCache.txt").read_text(errors="replace")
    targets = ["shmlab-harness", "shmlab-learner"]
    if re.search(r"^SHMLAB_HAVE_M32:\w+=(1|ON|TRUE)$", cache, re.M):
        targets.append("shmlab-learner-i386")   # for mixed-abi's 32-bit workers
    if re.search(r"^SHMLAB_MINGW:\w+=(1|ON|TRUE)$", cache, re.M) and \
            re.search(r"^SHMLAB_MINGW_CC:\w+=(?!.*NOTFOUND).+$", cache, re.M):
        targets.append("shmlab_win32")          # the Windows worker, the exercises' other reader here
    out.status("building ...")
    done = subprocess.run(["cmake", "--build", str(build_dir), "--target", *targets], capture_output=True, text=True)
    out.clear_status()
    if done.returncode != 0:
        errors = [line for line in done.stdout.splitlines() if not line.startswith("[")]
        out.say("\n".join(errors[-40:]))
        out.say(out.c("red", "Your code does not build, so nothing was graded: fix the first error above."))
        out.say(out.c("dim", "(Warnings are errors here: -Wall -Wextra -Werror.)"))
        return False
    return True


def labs_to_grade(target, labs):
    """The labs a NN or 'all' names: every lab up to NN."""
    if target in (None, "all"):
        return list(labs)
    return [lab for lab in labs if lab <= target]


def grade_once(args, out, changed=None):
    """One grading as the options ask; its exit status, or None when
    `changed` (watch mode) said a file changed before it was done."""
    labs = lab_dirs()
    if not args.impl and not args.no_build and not build(args.build_dir, out):
        return EXIT_FAIL
    impl = args.impl or args.build_dir / "lib" / "libshmlab-learner.so"
    with tempfile.TemporaryDirectory(prefix="shmlab-grade-") as where:
        h = Harness(args.build_dir, impl, args.seed, pathlib.Path(where), exercises=not args.impl)
        if not os.access(h.exe, os.X_OK):
            raise UsageError(f"{shown_path(h.exe)} is not built: run cmake --preset default && cmake --build build")
        described = h.ask("impl", str(impl))
        if described.get("error"):
            raise UsageError(f"the harness cannot load {shown_path(impl)}: {described['error']}")
        rules = rules_by_lab(h.ask("list", "--json"))
        all_labs = sorted(set(labs) | set(rules))
        chosen = labs_to_grade(args.lab, all_labs)
        version = described.get("version") or 0
        out.say(f"Grading {shown_path(impl)} (contract {version // 100}.{version % 100}, feature sets: "
                f"{', '.join(described.get('features') or []) or 'none'}), seed {args.seed}")
        # Without NN, lab by lab up to the first not all green; else all at once.
        verdicts, graded = [], []
        for batch in ([lab] for lab in chosen) if args.lab is None else [chosen]:
            got = grade_labs(h, batch, rules, out, changed, labs)
            if got is None:
                return None
            verdicts, graded = verdicts + got, graded + batch
            if args.lab is None and not all(v.holds for v in counted(got)):
                break
        for lab in all_labs:
            if lab not in graded:
                count = len(rules.get(lab, ()))
                heading = f"lab {lab}  {lab_title(labs.get(lab, LABS / lab))}"
                out.say(out.c("dim", f"{heading} {'.' * max(3, WIDTH - len(heading))} not yet "
                                     f"({count} rule{'s' if count != 1 else ''})"))
        runs = [r for v in verdicts for r in v.runs if r.outcome != "skip"]
        verdicts = counted(verdicts)
        held = sum(v.holds for v in verdicts)
        score = f"Score: {held}/{len(verdicts)} rules ({sum(r.outcome == 'pass' for r in runs)}/{len(runs)} runs)"
        out.say(out.c("green" if held == len(verdicts) else "bold", score))
        rerun = "./tour check" + (f" {args.lab}" if args.lab else "") + \
            ("" if not args.impl else f" --impl {shlex.quote(shown_path(impl))}")
        failing = next((v for v in verdicts if v.failed), None)
        if failing:
            first_failure(out, failing, labs.get(failing.rule.lab), args, rerun)
        out.say(out.c("dim", f"Grade again with these seeds: {rerun} --seed {args.seed}"))
        return EXIT_PASS if held == len(verdicts) else EXIT_FAIL


# ---------------------------------------------------------------- watch mode

def watched(root):
    """{path: mtime} of the exercise files and learner.h under root."""
    paths = list(root.glob("*/exercise*.c")) + list(root.glob("*/exercise*.h")) + list(root.glob("learner.h"))
    stamps = {}
    for p in paths:
        try:
            stamps[p] = p.stat().st_mtime_ns
        except OSError:
            pass
    return stamps


def watch(args, out):
    """Grades, then waits for a save, and again, until Ctrl-C (or
    --max-rounds gradings). Each round has a seed of its own unless --seed
    was given: a rule that holds by luck at one set of addresses is soon
    caught at another."""
    root, rounds, news = args.watch_root, 0, None
    stamps = watched(root)
    while True:
        out.clear_screen()
        if news:
            out.say(f"regrading: {news} changed")
        rounds += 1
        status = grade_once(args, out, lambda: watched(root) != stamps)
        if args.max_rounds and rounds >= args.max_rounds and status is not None:
            return status
        if status is not None:
            out.say(out.c("dim", f"Watching {shown_path(root)}/*/exercise*.[ch] and learner.h: save to regrade, "
                                 "Ctrl-C to stop."))
            out.say("waiting for a change")
            while watched(root) == stamps:
                time.sleep(POLL_S)
        now = watched(root)
        news = ", ".join(sorted(shown_path(p) for p in set(now) | set(stamps) if now.get(p) != stamps.get(p)))
        stamps = now
        if not args.seed_given:
            args.seed = random.SystemRandom().randrange(1 << 32)


# ---------------------------------------------------------------- the command line

def hint_first(argv):
    """`--hint 03` means the first hint for lab 03, not 3 hints: a level is
    one digit, a lab two (or all), so a bare --hint before anything else
    takes the default level."""
    argv = list(argv)
    for i, word in enumerate(argv[:-1]):
        if word == "--hint" and not re.fullmatch(r"[1-9]", argv[i + 1]):
            argv[i] = "--hint=1"
    return argv


def parse(argv):
    p = argparse.ArgumentParser(prog="./tour", description="Grade your library against the contract, lab by lab.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, what in (("check", "grade once"), ("watch", "grade on every save of an exercise file")):
        c = sub.add_parser(name, help=what)
        c.add_argument("lab", nargs="?", metavar="NN|all",
                       help="grade labs up to NN, or all (default: up to the first lab not all green)")
        c.add_argument("--hint", nargs="?", type=int, const=1, default=0, metavar="LEVEL",
                       help="show the first LEVEL (1 to 9) hints for the first failing rule (default 1)")
        c.add_argument("--impl", metavar="LIB", help="grade this library instead (nothing is built)")
        c.add_argument("--build-dir", metavar="DIR", default=str(REPO / "build"), help="the CMake build directory (default build/)")
        c.add_argument("--no-build", action="store_true", help="grade what is built; build nothing")
        c.add_argument("--seed", help="session seed, 0 to 4294967295 (default: $SHMLAB_SEED, else random)")
        if name == "watch":
            c.add_argument("--max-rounds", type=int, default=0, help="stop after N gradings (for tests)")
            c.add_argument("--watch-root", default=str(LABS), help="the labs directory to watch (default labs/)")
    args = p.parse_args(hint_first(argv))
    if args.lab not in (None, "all"):
        if not re.fullmatch(r"\d{1,2}", args.lab):
            p.error(f"NN is a lab number such as 03, or all, not {args.lab!r}")
        args.lab = f"{int(args.lab):02d}"
        if args.lab not in lab_dirs():
            p.error(f"there is no lab {args.lab}: the labs are {', '.join(lab_dirs())}")
    if args.hint < 0:
        p.error("--hint takes a level of 1 or more")
    text = args.seed or os.environ.get("SHMLAB_SEED")
    if text and (not text.isdigit() or int(text) > 0xFFFFFFFF):
        p.error(f"--seed and SHMLAB_SEED take 0 to 4294967295, not {text!r}")
    args.seed_given = bool(text)
    args.seed = int(text) if text else random.SystemRandom().randrange(1 << 32)
    args.build_dir = pathlib.Path(args.build_dir).resolve()
    if args.impl:
        args.impl = pathlib.Path(args.impl).resolve()
        if not args.impl.exists():
            p.error(f"--impl {args.impl}: no such file")
    if args.command == "watch":
        args.watch_root = pathlib.Path(args.watch_root).resolve()
    return args


def main(argv):
    args = parse(argv)
    out = Out()
    try:
        return watch(args, out) if args.command == "watch" else grade_once(args, out)
    except UsageError as e:
        out.say(f"./tour {args.command}: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        out.say("stopped")
        return EXIT_PASS if args.command == "watch" else 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
