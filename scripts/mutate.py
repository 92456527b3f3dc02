#!/usr/bin/env python3
"""Mutation testing of the contract suite: how many broken copies of the
reference does it reject?

    scripts/mutate.py list                       every mutant, one a line
    scripts/mutate.py run BUILD [--sample N] [--seed K] [--only TEXT]
                          [--report FILE]        build each, run the suite on it

A mutant is the reference with one small change at one place of one source
file, of a kind that real bugs have: a comparison moved by one (< to <=), an
equality turned round, && for ||, a constant off by one, a check whose
refusal is skipped, a memory order weakened to relaxed. The changes are made
on the source text, outside comments and strings, so that every mutant is
one line's difference from the reference and can be read as a diff.

`run` builds each mutant as a library (the reference's files, one of them
changed) and runs every contract scenario under every strategy against it
with `shmlab-harness run ... --impl LIB --expect`, stopping at the first run
that is not as predicted: the mutant is killed, by that rule. A mutant that
does not compile is stillborn and not counted; one that every run passes
survived. The harness bounds every run, so a mutant that hangs is killed by
its deadline. What a run leaves behind (a /dev/shm name or a System V object
made by one of its processes) is removed after each mutant, so one broken
library cannot fail the next.

The score is killed / (killed + survived), per source file and per rule; the
report lists each survivor with its diff. A survivor is either a gap in the
suite, to be closed by a test, or equivalent to the reference (no program can
tell them apart), which conformance/mutation-equivalents.txt lists with the
reason. --sample N runs N mutants drawn with the seed (printed, to replay).
"""
import difflib
import json
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile

from soak import sysv_ids   # {(table, id): pids} of this user's System V objects

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
STRATEGIES = ("distinct", "double", "fork", "same", "kernel")
EQUIVALENTS = ROOT / "conformance" / "mutation-equivalents.txt"
NOT_CONTRACT = {"seal.c"}       # the reference's extra for lab 03, which no contract rule covers

# (operator, pattern, replacement): each match is one mutant.
OPERATORS = [
    ("boundary", r"(?<![<>=!])<(?![<=])", "<="),
    ("boundary", r"<=", "<"),
    ("boundary", r"(?<![<>=!-])>(?![>=])", ">="),
    ("boundary", r">=", ">"),
    ("equality", r"==", "!="),
    ("equality", r"!=", "=="),
    ("logic", r"&&", "||"),
    ("logic", r"\|\|", "&&"),
    ("constant", r"(?<![\w.])([1-9]\d*)(?![\w.x])", None),      # n -> n + 1
    ("order", r"__ATOMIC_(ACQUIRE|RELEASE|ACQ_REL|SEQ_CST)", "__ATOMIC_RELAXED"),
    ("check", r"\bif \(", "if (0 && "),                          # the check never refuses
]


def code_spans(line):
    """The parts of a line that are code: not in a // comment or a string
    or character literal. (Block comments are handled by the caller.)"""
    spans, start, i, quote = [], 0, 0, None
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote, start = None, i + 1
        elif c in "\"'":
            spans.append((start, i))
            quote = c
        elif line.startswith("//", i):
            break
        i += 1
    if not quote:
        spans.append((start, i))
    return spans


def mutants():
    """Every mutant of the reference's sources, in a stable order: dicts of
    id, file, line (1-based), operator, before, after."""
    found = []
    for path in sorted(REFERENCE.glob("*.c")):
        if path.name.endswith("_win32.c") or path.name in NOT_CONTRACT:
            continue
        in_comment = False
        for n, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if in_comment or stripped.startswith(("/*", "*", "#")):
                in_comment = (in_comment or stripped.startswith("/*")) and "*/" not in line
                continue
            for op, pattern, repl in OPERATORS:
                for a, b in code_spans(line):
                    for m in re.finditer(pattern, line[a:b]):
                        s, e = a + m.start(), a + m.end()
                        if op != "check":
                            new = repl if repl is not None else str(int(m.group(1)) + 1)
                            after = line[:s] + new + line[e:]
                        else:                   # only an if that refuses: `if (...) return ...`
                            close = _matching_paren(line, e - 1)
                            if close is None or not re.match(r"\s*(return|goto)\b|\s*$", line[close + 1:]):
                                continue
                            after = line[:s] + "if (0 && (" + line[e:close] + "))" + line[close + 1:]
                        found.append({"id": f"{path.stem}:{n}:{s + 1}:{op}", "file": path.name, "line": n,
                                      "operator": op, "before": line, "after": after})
    return found


def _matching_paren(line, open_at):
    depth = 0
    for i in range(open_at, len(line)):
        depth += {"(": 1, ")": -1}.get(line[i], 0)
        if depth == 0:
            return i
    return None


def build(mutant, where):
    """The mutant as a shared library in where, or None if it does not compile."""
    src = where / "src"
    shutil.copytree(REFERENCE, src, ignore=shutil.ignore_patterns("tests", "*_win32.c", "CMakeLists.txt"))
    lines = (src / mutant["file"]).read_text().splitlines(keepends=True)
    lines[mutant["line"] - 1] = mutant["after"] + "\n"
    (src / mutant["file"]).write_text("".join(lines))
    lib = where / "libmutant.so"
    sources = [str(p) for p in sorted(src.glob("*.c"))]
    cmd = ["cc", "-std=c11", "-D_GNU_SOURCE", "-O1", "-fPIC", "-shared", "-w", f"-I{src}/include", f"-I{src}",
           "-o", str(lib), *sources, "-lpthread"]
    return lib if subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0 else None


def clean_up(pids, sysv_before):
    """Removes what a mutant's runs left: /dev/shm/shmlab-<pid>-* of theirs,
    and System V objects made since, by them or by nobody yet."""
    for name in os.listdir("/dev/shm"):
        parts = name.split("-")
        if name.startswith("shmlab-") and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) in pids:
            os.unlink(f"/dev/shm/{name}")
    for (table, ident), users in sysv_ids().items():
        if (table, ident) not in sysv_before and (not users or users & pids):
            subprocess.run(["ipcrm", {"msg": "-q", "shm": "-m", "sem": "-s"}[table], str(ident)], capture_output=True)


def judge(mutant, harness, rules, seed):
    """'killed by RULE', 'survived' or 'stillborn', and the runs made."""
    with tempfile.TemporaryDirectory(prefix="shmlab-mutant-") as tmp:
        lib = build(mutant, pathlib.Path(tmp))
        if lib is None:
            return "stillborn", 0
        pids, before, runs = set(), sysv_ids(), 0
        try:
            for name, rule in rules:
                for strategy in STRATEGIES:
                    report = pathlib.Path(tmp, "run.json")
                    cmd = [harness, "run", name, "--procs", "4", "--strategy", strategy, "--seed", str(seed),
                           "--impl", str(lib), "--expect", "--quiet", "--json", str(report)]
                    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    pids.add(proc.pid)
                    status = proc.wait(timeout=300)
                    runs += 1
                    if report.exists():
                        pids |= {w["pid"] for w in json.loads(report.read_text()).get("workers") or [] if w.get("pid")}
                        report.unlink()
                    if status not in (0, 77):
                        return f"killed by {rule}", runs
            return "survived", runs
        finally:
            clean_up(pids, before)


def diff(mutant):
    return "".join(difflib.unified_diff([mutant["before"] + "\n"], [mutant["after"] + "\n"],
                                        f"reference/{mutant['file']}:{mutant['line']}",
                                        f"mutant {mutant['id']}"))


def equivalents():
    if not EQUIVALENTS.exists():
        return {}
    pairs = (line.split(None, 1) for line in EQUIVALENTS.read_text().splitlines() if line and line[0] != "#")
    return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}


def run(argv):
    build_dir = pathlib.Path(argv[0])
    harness = str(build_dir / "bin" / "shmlab-harness")
    opt = dict(zip(argv[1::2], argv[2::2]))
    seed = int(opt.get("--seed", random.SystemRandom().randrange(1 << 32)))
    chosen = [m for m in mutants() if opt.get("--only", "") in m["id"]]
    if "--sample" in opt:
        chosen = sorted(random.Random(seed).sample(chosen, min(int(opt["--sample"]), len(chosen))),
                        key=lambda m: m["id"])
    table = json.loads(subprocess.run([harness, "list", "--json"], capture_output=True, text=True,
                                      check=True, timeout=60).stdout)
    rules = [(s["name"], s["rule"]) for s in table if s["contract"]]
    known = equivalents()
    results = []
    for k, m in enumerate(chosen, 1):
        verdict, runs = ("equivalent", 0) if m["id"] in known else judge(m, harness, rules, seed)
        results.append(dict(m, verdict=verdict, runs=runs))
        print(f"mutate: {k}/{len(chosen)} {m['id']}: {verdict}", flush=True)
    killed = sum(r["verdict"].startswith("killed") for r in results)
    survived = [r for r in results if r["verdict"] == "survived"]
    scored = killed + len(survived)
    print(f"mutate: seed {seed}: {killed} killed, {len(survived)} survived, "
          f"{sum(r['verdict'] == 'stillborn' for r in results)} stillborn, "
          f"{sum(r['verdict'] == 'equivalent' for r in results)} equivalent; "
          f"score {100 * killed / scored if scored else 100:.1f}%")
    for r in survived:
        print(diff(r), end="")
    print(f"mutate: replay with: scripts/mutate.py run {build_dir} --seed {seed}"
          + (f" --sample {opt['--sample']}" if "--sample" in opt else "")
          + (f" --only {opt['--only']}" if "--only" in opt else ""))
    if "--report" in opt:
        pathlib.Path(opt["--report"]).write_text(json.dumps({"seed": seed, "mutants": results}, indent=1) + "\n")
    return 1 if survived else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["list"]:
        for m in mutants():
            print(m["id"], m["after"].strip())
        sys.exit(0)
    if sys.argv[1:2] == ["run"] and len(sys.argv) > 2:
        sys.exit(run(sys.argv[2:]))
    sys.exit(__doc__)
