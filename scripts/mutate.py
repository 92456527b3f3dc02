#!/usr/bin/env python3
"""Mutation testing of the contract suite: how many broken copies of the
reference does it reject?

    scripts/mutate.py list                       every mutant: id, then the changed line
    scripts/mutate.py same-code ID...            does the mutant compile to the reference's code?
    scripts/mutate.py run BUILD [-j N] [--sample N] [--seed K] [--only TEXT]...
                          [--state FILE | --no-state] [--time-limit SECONDS] [--repeat N]
                          [--report FILE.md] [--report FILE.json] [--check]

A mutant is the reference with one small change at one place of one source
file, of a kind that real bugs have (OPERATORS below says which). The
changes are made on the source text, outside comments, strings and
preprocessor lines, so that every mutant is a diff of a line or two and can
be read as one.

A mutant's id names where it is without a line number, so that it survives
edits elsewhere in the file: FILE:FUNCTION:OPERATOR:HASH:K, HASH being the
first 8 hex digits of the SHA-1 of the changed line's text (stripped; with
~2, ~3 ... for the second, third identical line in the same function) and K
the rank of the change among that operator's changes in that line.

`run` builds each mutant as a library in a directory of its own (the
reference's files, one of them changed) and runs every contract scenario
under every strategy against it with `shmlab-harness run ... --seed K
--impl LIB --expect`, stopping at the first run that is not as predicted:
the mutant is killed, by that run's rule. A mutant that does not compile is
stillborn and not counted; one that every run passes survived. The harness
bounds every run, so a mutant that hangs is killed by its deadline. What a
mutant's runs leave (a /dev/shm name or a System V object of one of their
processes) is removed after it; a System V object that no process has used
yet names no pid, so those made during the run are removed at its end.

--repeat N runs the suite N times against each mutant (seeds K, K + 1,
...): one killed in some of the N only is reported flaky, with how many,
and counts as not killed. That is the measure of a verdict that flips.

-j N runs N mutants at once (default: the number of CPUs). Each finished
mutant's verdict is kept in the state file (default BUILD/mutation-state.json)
under its id, with a hash of the library's sources and of the harness, so a
rerun skips it while neither changed. --time-limit stops starting mutants
after that many seconds; the report says how many of how many finished.

The score is killed / (killed + survived), over the mutants that are
neither equivalent to the reference nor conforming, which are not run:
conformance/mutation-equivalents.txt lists the equivalent (`ID  why no
program can tell it from the reference`), conformance/mutation-conforming.txt
the conforming (`ID  why it still meets the contract`: it changes only what
the contract leaves to the implementation, such as capacity or which free
list a process uses). conformance/mutation-survivors.txt lists the survivors the suite is
known not to kill yet (`ID  what test would kill it`; a reason starting
`flaky:` marks one killed only sometimes). With --check, run fails if a
mutant survives that neither file lists, or if a listed survivor is killed
(then it is to be removed from the list); it prints each one's diff and the
command that replays it. --sample N runs N mutants drawn with the seed: the
same seed and sources give the same mutants.
"""
import argparse
import concurrent.futures
import datetime
import difflib
import hashlib
import json
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from soak import sysv_ids   # {(table, id): pids} of this user's System V objects

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
STRATEGIES = ("distinct", "double", "fork", "same", "kernel")
EQUIVALENTS = ROOT / "conformance" / "mutation-equivalents.txt"
SURVIVORS = ROOT / "conformance" / "mutation-survivors.txt"
CONFORMING = ROOT / "conformance" / "mutation-conforming.txt"
NOT_CONTRACT = {"seal.c"}       # the reference's extra for lab 03, which no contract rule covers
# Functions outside the contract (CONTRACT.md: "the suite never calls them"),
# and the helpers only they reach: the heap's checker and its recovery (the
# kill test exercises those, not the contract), and the region namer.
NOT_CONTRACT_FUNCTIONS = {"shmlab_heap_check", "shmlab_heap_recover", "walk_heap", "walk_list", "survey_pages",
                          "starts_in", "adopt_page", "shmlab_region_random_name"}

# (operator, pattern, replacement): each match in a line's code is one mutant;
# a replacement of None is computed (constant: n becomes n + 1).
OPERATORS = [
    ("boundary", r"(?<![<>=!])<(?![<=])", "<="),
    ("boundary", r"<=", "<"),
    ("boundary", r"(?<![<>=!-])>(?![>=])", ">="),
    ("boundary", r">=", ">"),
    ("equality", r"==", "!="),
    ("equality", r"!=", "=="),
    ("logic", r"&&", "||"),
    ("logic", r"\|\|", "&&"),
    ("constant", r"(?<![\w.])([1-9]\d*)(?![\w.x])", None),
    # Binary + and - and * and / only, as this code's style writes them: a
    # space either side. Unary minus, ++, --, +=, -> and `type *name` have none.
    ("arithmetic", r"(?<= )\+(?= )", "-"),
    ("arithmetic", r"(?<= )-(?= )", "+"),
    ("arithmetic", r"(?<=[\w)\]] )\*(?= [\w(])", "/"),
    ("arithmetic", r"(?<=[\w)\]] )/(?= [\w(])", "*"),
    ("order", r"__ATOMIC_(ACQUIRE|RELEASE|ACQ_REL|SEQ_CST|CONSUME)\b", "__ATOMIC_RELAXED"),
    ("order", r"\bmemory_order_(acquire|release|acq_rel|seq_cst|consume)\b", "memory_order_relaxed"),
]
# Operators made by code, not by one pattern (see each one's function):
#   check    an `if (...) return|goto ...` that refuses is made never to refuse
#   remove   an expression statement that is a call or an assignment is deleted (left as `;`)
#   cas      a compare-and-swap becomes a plain store that reports success:
#            the loop around it no longer re-checks what it read
#   swap     two adjacent arguments of the same declared type swapped, in a
#            call of a function the reference defines
CAS_CALL = re.compile(r"\b(__atomic_compare_exchange_n|atomic_compare_exchange_(?:strong|weak)(?:_explicit)?)\(")
ASSIGN = r"(?:[+\-*/%&|^]|<<|>>)?=(?!=)"
KEYWORDS = {"__attribute__", "return", "if", "else", "while", "for", "do", "switch", "case", "goto", "break", "continue",
            "sizeof", "default"}


# ---- Reading the sources: which parts of which line are code, in which function.

def code_spans(lines):
    """For each line, the [start, end) spans that are code: not in a comment,
    a string or a character literal, nor on a preprocessor line."""
    spans, in_block, in_macro = [], False, False
    for line in lines:
        if not in_block and (in_macro or line.lstrip().startswith("#")):
            in_macro = line.rstrip().endswith("\\")
            spans.append([])
            continue
        out, start, i, quote = [], 0, 0, None
        if in_block:
            end = line.find("*/")
            if end < 0:
                spans.append([])
                continue
            in_block, start = False, end + 2
            i = start
        while i < len(line):
            c = line[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote, start = None, i + 1
            elif c in "\"'":
                out.append((start, i))
                quote = c
            elif line.startswith("//", i):
                break
            elif line.startswith("/*", i):
                out.append((start, i))
                end = line.find("*/", i + 2)
                if end < 0:
                    in_block, i = True, len(line)
                    start = i
                    break
                start = i = end + 2
                continue
            i += 1
        if not quote and not in_block:
            out.append((start, i))
        spans.append([(a, b) for a, b in out if b > a])
    return spans


def code_of(line, spans):
    """The line with everything not code blanked out, columns kept."""
    text = [" "] * len(line)
    for a, b in spans:
        text[a:b] = line[a:b]
    return "".join(text)


def functions(codes):
    """For each line, the name of the function whose body it is in, or None
    (file scope). A body is a { at depth 0 after a line `name(...`."""
    names, depth, candidate, current = [], 0, None, None
    for code in codes:
        if depth == 0:
            m = re.match(r"^(?:[A-Za-z_][\w \t*]*?[\s*])?([A-Za-z_]\w*)\(", code)
            if m and m.group(1) not in KEYWORDS and not m.group(1).startswith("__"):
                candidate = m.group(1)
            elif code.strip().endswith(";"):
                candidate = None
        for c in code:
            if c == "{":
                if depth == 0:
                    current = candidate
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    current = candidate = None
        names.append(current if depth > 0 or "}" in code else None)
    return names


def definitions():
    """{function name: [parameter types]} of every function the reference
    defines (its static ones too) and its public headers declare."""
    found = {}
    for path in sorted(REFERENCE.glob("*.c")) + sorted(REFERENCE.glob("include/shmlab/*.h")):
        lines = path.read_text().splitlines()
        codes = [code_of(l, s) for l, s in zip(lines, code_spans(lines))]
        text = "\n".join(codes)
        for m in re.finditer(r"^(?:[A-Za-z_][\w \t*]*?[\s*])?([A-Za-z_]\w*)\(([^()]*)\)\s*(?:\{|;|$)", text, re.M):
            if m.group(1) in KEYWORDS or m.group(1) in found:
                continue
            params = [" ".join(p.split()) for p in m.group(2).split(",")]
            found[m.group(1)] = [re.sub(r"\s*\b[A-Za-z_]\w*$", "", p).replace(" *", "*") for p in params]
    return found


def matching_paren(text, open_at):
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return None


def split_args(text):
    """The top-level comma-separated parts of text, as (start, end) spans."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append((start, i))
            start = i + 1
    parts.append((start, len(text)))
    return parts


# ---- The mutants.

def line_mutants(line, code, defs):
    """(operator, [after ...]) of one line: each after is the line changed once."""
    out = []
    for op in dict.fromkeys(o for o, _, _ in OPERATORS):
        changes = []
        for o, pattern, repl in OPERATORS:
            if o != op:
                continue
            for m in re.finditer(pattern, code):
                new = repl if repl is not None else str(int(m.group(1)) + 1)
                changes.append((m.start(), line[:m.start()] + new + line[m.end():]))
        out.append((op, [after for _, after in sorted(changes)]))
    checks = []
    for m in re.finditer(r"\bif \(", code):
        close = matching_paren(code, m.end() - 1)
        if close is not None and re.match(r"\s*(return|goto)\b|\s*$", code[close + 1:]):
            checks.append(line[:m.start()] + "if (0 && (" + line[m.end():close] + "))" + line[close + 1:])
    out.append(("check", checks))
    swaps = []
    for m in re.finditer(r"\b([A-Za-z_]\w*)\(", code):
        types, close = defs.get(m.group(1)), matching_paren(code, m.end() - 1)
        if not types or close is None:
            continue
        args = [(m.end() + a, m.end() + b) for a, b in split_args(code[m.end():close])]
        for i in range(min(len(args), len(types)) - 1):
            (a1, b1), (a2, b2) = args[i], args[i + 1]
            first, second = line[a1:b1].strip(), line[a2:b2].strip()
            if types[i] == types[i + 1] and types[i] != "..." and first != second:
                lead1 = a1 + len(line[a1:b1]) - len(line[a1:b1].lstrip())
                lead2 = a2 + len(line[a2:b2]) - len(line[a2:b2].lstrip())
                swaps.append(line[:lead1] + second + line[lead1 + len(first):lead2] + first
                             + line[lead2 + len(second):])
    out.append(("swap", swaps))
    return out


def removable(code, previous):
    """Whether the line is a whole expression statement that is a call or an
    assignment, and deleting it leaves the statement before it whole."""
    stmt = code.strip()
    first_word = re.match(r"\w*", stmt).group(0)
    if not stmt.endswith(";") or first_word in KEYWORDS:
        return False
    if stmt.count("(") != stmt.count(")") or "{" in stmt or "}" in stmt:
        return False
    lvalue = r"[*(]*[A-Za-z_][\w.\->\[\]()*+ ]*?"
    is_assign = re.match(rf"^{lvalue}\s*{ASSIGN}", stmt) and not re.match(r"^([A-Za-z_]\w*[\s*]+)+[A-Za-z_]\w*\s*(=|\[|;|,)", stmt)
    is_call = re.match(r"^\(?(void\)\s*)?[A-Za-z_][\w.\->]*\(.*\);$", stmt)
    is_incdec = re.match(r"^[\w.\->\[\]]+(\+\+|--);$|^(\+\+|--)[\w.\->\[\]]+;$", stmt)
    if not (is_assign or is_call or is_incdec) or re.match(r"^[A-Z_]+\(", stmt):   # not a macro like KILL_POINT
        return False
    prev = previous.strip()
    return prev.endswith((";", "{", "}", ":")) or prev in ("do", "else") or \
        bool(re.match(r"^(\} )?(if|while|for|else if)\b.*\)$", prev))


def cas_mutant(lines, codes, n):
    """A compare-and-swap starting on line n (0-based) turned into a store of
    the desired value that reports success: (first, count, after lines)."""
    m = CAS_CALL.search(codes[n])
    if not m:
        return None
    text = "\n".join(codes[n:n + 4])
    close = matching_paren(text, m.end() - 1)
    if close is None:
        return None
    args = [text[m.end() + a:m.end() + b] for a, b in split_args(text[m.end():close])]
    if len(args) < 3:
        return None
    obj, desired = " ".join(args[0].split()), " ".join(args[2].split())
    start = m.start()
    end_line = n + text[:close].count("\n")
    end_col = close - (text[:close].rfind("\n") + 1 if "\n" in text[:close] else 0)
    if m.group(1) == "__atomic_compare_exchange_n":
        store = f"(__atomic_store_n({obj}, {desired}, __ATOMIC_SEQ_CST), 1)"
    else:
        store = f"(atomic_store({obj}, {desired}), 1)"
    after = lines[n][:start] + store + lines[end_line][end_col + 1:]
    return n, end_line - n + 1, [after]


def mutants():
    """Every mutant of the reference's contract sources, sorted by id: dicts
    of id, file, function, line (1-based, first changed), count (lines
    replaced), operator, before and after (texts of those lines)."""
    found, defs = [], definitions()
    for path in sorted(REFERENCE.glob("*.c")):
        if path.name.endswith("_win32.c") or path.name in NOT_CONTRACT:
            continue
        lines = path.read_text().splitlines()
        codes = [code_of(l, s) for l, s in zip(lines, code_spans(lines))]
        funcs = functions(codes)
        seen, previous = {}, ""
        for n, (line, code, func) in enumerate(zip(lines, codes, funcs)):
            if not code.strip() or func in NOT_CONTRACT_FUNCTIONS:
                continue
            digest = hashlib.sha1(line.strip().encode()).hexdigest()[:8]
            seen[(func, digest)] = seen.get((func, digest), 0) + 1
            copy = seen[(func, digest)]
            where = f"{path.stem}:{func or '-'}"
            tag = digest + (f"~{copy}" if copy > 1 else "")

            def add(op, k, first, count, after):
                found.append({"id": f"{where}:{op}:{tag}:{k}", "file": path.name, "function": func,
                              "line": first + 1, "count": count, "operator": op,
                              "before": "\n".join(lines[first:first + count]), "after": "\n".join(after)})
            for op, afters in line_mutants(line, code, defs if func else {}):
                for k, after in enumerate(afters):
                    add(op, k, n, 1, [after])
            if func and removable(code, previous):
                indent = line[:len(line) - len(line.lstrip())]
                add("remove", 0, n, 1, [indent + ";"])
            cas = cas_mutant(lines, codes, n) if func else None
            if cas:
                add("cas", 0, *cas)
            previous = code
    return sorted(found, key=lambda m: m["id"])


# ---- Building and judging one mutant.

def mutated_sources(mutant):
    """{file name: text} of the library's sources with the mutant's change."""
    files = {}
    for path in sorted(REFERENCE.rglob("*")):
        rel = path.relative_to(REFERENCE)
        if path.is_file() and rel.parts[0] != "tests" and not path.name.endswith("_win32.c") \
                and path.suffix in (".c", ".h"):
            files[str(rel)] = path.read_text()
    lines = files[mutant["file"]].split("\n")
    first = mutant["line"] - 1
    assert "\n".join(lines[first:first + mutant["count"]]) == mutant["before"], mutant["id"]
    lines[first:first + mutant["count"]] = mutant["after"].split("\n")
    files[mutant["file"]] = "\n".join(lines)
    return files


def source_hash(files):
    h = hashlib.sha256()
    for name, text in sorted(files.items()):
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()[:16]


def build(files, where):
    """The mutant as a shared library in where, or None if it does not compile."""
    src = where / "src"
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    lib = where / "libmutant.so"
    sources = [str(src / n) for n in sorted(files) if n.endswith(".c")]
    cmd = ["cc", "-std=c11", "-D_GNU_SOURCE", "-O1", "-fPIC", "-shared", "-w", f"-I{src}/include", f"-I{src}",
           "-o", str(lib), *sources, "-lpthread"]
    return lib if subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0 else None


class Leftovers:
    """What the mutants' runs leave behind, removed by the pids that made it.
    A System V object no process used yet has no pid: one made since the
    run began is removed at its end, when no mutant is running."""

    def __init__(self):
        self.before = set(sysv_ids())
        self.lock = threading.Lock()

    def after_mutant(self, pids):
        with self.lock:
            for name in os.listdir("/dev/shm"):
                parts = name.split("-")
                if name.startswith("shmlab-") and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) in pids:
                    try:
                        os.unlink(f"/dev/shm/{name}")
                    except FileNotFoundError:
                        pass
            for key, users in sysv_ids().items():
                if key not in self.before and users & pids:
                    ipcrm(key)

    def at_end(self):
        with self.lock:
            for key, users in sysv_ids().items():
                if key not in self.before and not users:
                    ipcrm(key)


def ipcrm(key):
    table, ident = key
    subprocess.run(["ipcrm", {"msg": "-q", "shm": "-m", "sem": "-s"}[table], str(ident)], capture_output=True)


def judge(mutant, files, harness, rules, seed, leftovers, repeat=1):
    """'killed by RULE', 'survived' or 'stillborn', and the runs made. With
    repeat N the suite runs N times (seeds seed, seed + 1, ...): a mutant
    killed in some of them only is 'flaky: K of N killed by RULES'."""
    with tempfile.TemporaryDirectory(prefix="shmlab-mutant-") as tmp:
        lib = build(files, pathlib.Path(tmp))
        if lib is None:
            return "stillborn", 0
        verdicts, runs = [], 0
        for k in range(repeat):
            verdict, n = suite_once(lib, pathlib.Path(tmp), harness, rules, seed + k, leftovers)
            verdicts.append(verdict)
            runs += n
        killers = sorted({v[10:] for v in verdicts if v.startswith("killed by ")})
        killed = sum(v.startswith("killed by ") for v in verdicts)
        if killed in (0, repeat):
            return verdicts[0], runs
        return f"flaky: {killed} of {repeat} killed by {', '.join(killers)}", runs


def suite_once(lib, tmp, harness, rules, seed, leftovers):
    """One run of every rule under every strategy against lib, until one
    fails: 'killed by RULE' or 'survived', and the runs made."""
    pids, runs = set(), 0
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
                    try:
                        workers = json.loads(report.read_text()).get("workers") or []
                    except ValueError:
                        workers = []
                    pids |= {w["pid"] for w in workers if w.get("pid")}
                    report.unlink()
                if status not in (0, 77):
                    return f"killed by {rule}", runs
        return "survived", runs
    finally:
        leftovers.after_mutant(pids)


# ---- Lists, diffs, reports.

def listed(path):
    """{id: reason} of a list file: `ID  reason` a line, # comments."""
    if not path.exists():
        return {}
    pairs = (line.split(None, 1) for line in path.read_text().splitlines() if line.strip() and line.lstrip()[0] != "#")
    return {p[0]: p[1].strip() if len(p) > 1 else "" for p in pairs}


def diff(mutant):
    """The mutant as a unified diff with 3 lines of context."""
    old = (REFERENCE / mutant["file"]).read_text().splitlines(keepends=True)
    first = mutant["line"] - 1
    new = old[:first] + [l + "\n" for l in mutant["after"].split("\n")] + old[first + mutant["count"]:]
    return "".join(difflib.unified_diff(old, new, f"a/reference/{mutant['file']}", f"b/reference/{mutant['file']}",
                                        n=3))


def replay(build_dir, mutant, seed):
    return f"scripts/mutate.py run {build_dir} --no-state -j 1 --seed {seed} --only '{mutant['id']}'"


def suite_hash(build_dir, table):
    h = hashlib.sha256(json.dumps(table, sort_keys=True).encode())
    for name in ("shmlab-harness", "shmlab-worker"):
        path = build_dir / "bin" / name
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def tally(results, key):
    rows = {}
    for r in results:
        if r["verdict"] in ("killed", "survived", "flaky"):
            row = rows.setdefault(key(r), [0, 0])
            row[r["verdict"] != "killed"] += 1      # flaky: not killed every time
    return rows


def score(killed, survived):
    return f"{100 * killed / (killed + survived):.0f}%" if killed + survived else "-"


def markdown(summary, results, equivalent, conforming, known):
    by_id = {r["id"]: r for r in results}
    out = [f"# Mutation run of {summary['date']}", "",
           f"Commit {summary['commit']}; seed {summary['seed']}; `{summary['command']}`.", "",
           f"{summary['finished']} of {summary['chosen']} mutants finished in {summary['seconds']:.0f} s "
           f"({summary['from_state']} of them kept from the state file; {summary['runs']} harness runs): {summary['killed']} killed, {summary['survived']} survived, "
           f"{summary['flaky']} flaky (scored as not killed), "
           f"{summary['stillborn']} stillborn, {summary['equivalent']} equivalent and "
           f"{summary['conforming']} conforming (not run). "
           f"Score over the rest: **{summary['score']}**.", ""]
    for title, key in (("source file", lambda r: r["file"]), ("operator", lambda r: r["operator"])):
        out += [f"| {title} | killed | survived | score |", "|---|---|---|---|"]
        for name, (k, s) in sorted(tally(results, key).items()):
            out.append(f"| `{name}` | {k} | {s} | {score(k, s)} |")
        out.append("")
    rules = {}
    for r in results:
        if r["verdict"] == "killed":
            rules[r["rule"]] = rules.get(r["rule"], 0) + 1
    out += ["| rule | mutants it killed first |", "|---|---|"]
    out += [f"| {rule} | {n} |" for rule, n in sorted(rules.items(), key=lambda x: (-x[1], x[0]))]
    out += ["", "## Equivalent (not scored)", ""]
    out += [f"- `{i}`: {why}" for i, why in sorted(equivalent.items()) if i in by_id] or ["(none in this run)"]
    out += ["", "## Conforming (not scored)", ""]
    out += [f"- `{i}`: {why}" for i, why in sorted(conforming.items()) if i in by_id] or ["(none in this run)"]
    flaky = [r for r in results if r["verdict"] == "flaky"]
    if flaky:
        out += ["", "## Flaky (killed in some runs only; scored as not killed)", ""]
        out += [f"- `{r['id']}`: {r['rule']}" for r in flaky]
    out += ["", "## Survivors", ""]
    for r in results:
        if r["verdict"] == "survived":
            note = f" (known: {known[r['id']]})" if r["id"] in known else " (NOT LISTED)"
            out += [f"### `{r['id']}`{note}", "", "```diff", diff(r).rstrip("\n"), "```", ""]
    return "\n".join(out) + "\n"


def parse(argv):
    p = argparse.ArgumentParser(prog="mutate.py run", description="build and judge the reference's mutants")
    p.add_argument("build", type=pathlib.Path)
    p.add_argument("-j", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--sample", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--state", type=pathlib.Path)
    p.add_argument("--no-state", action="store_true")
    p.add_argument("--time-limit", type=float)
    p.add_argument("--report", action="append", default=[], type=pathlib.Path)
    p.add_argument("--check", action="store_true")
    p.add_argument("--repeat", type=int, default=1)
    return p.parse_args(argv)


def run(argv):
    opt = parse(argv)
    started = time.monotonic()
    harness = str(opt.build / "bin" / "shmlab-harness")
    seed = opt.seed if opt.seed is not None else random.SystemRandom().randrange(1 << 32)
    everything = mutants()
    chosen = [m for m in everything if not opt.only or any(o in m["id"] for o in opt.only)]
    if opt.sample is not None:
        chosen = sorted(random.Random(seed).sample(chosen, min(opt.sample, len(chosen))), key=lambda m: m["id"])
    table = json.loads(subprocess.run([harness, "list", "--json"], capture_output=True, text=True,
                                      check=True, timeout=60).stdout)
    rules = [(s["name"], s["rule"]) for s in table if s["contract"]]
    suite = suite_hash(opt.build, table)
    equivalent, conforming, known = listed(EQUIVALENTS), listed(CONFORMING), listed(SURVIVORS)
    state_path = None if opt.no_state else opt.state or opt.build / "mutation-state.json"
    state = json.loads(state_path.read_text()) if state_path and state_path.exists() else {}
    state_lock, leftovers = threading.Lock(), Leftovers()
    results, total_runs = [], 0

    def finish(m, verdict, runs, cached):
        nonlocal total_runs
        killed, flaky = verdict.startswith("killed by "), verdict.startswith("flaky: ")
        r = dict(m, verdict="killed" if killed else "flaky" if flaky else verdict,
                 rule=verdict[10:] if killed else verdict[7:] if flaky else None, runs=runs)
        r["from_state"] = cached and verdict not in ("equivalent", "conforming")
        results.append(r)
        total_runs += runs
        print(f"mutate: {len(results)}/{len(chosen)} {m['id']}: {verdict}{' (state)' if cached else ''}", flush=True)
        if state_path and not cached and verdict not in ("equivalent", "conforming"):
            with state_lock:
                state[m["id"]] = {"key": r["key"], "verdict": verdict, "runs": runs}
                tmp = state_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
                tmp.replace(state_path)

    pending = []
    for m in chosen:
        files = mutated_sources(m)
        m["key"] = f"{source_hash(files)}-{suite}" + (f"-x{opt.repeat}" if opt.repeat > 1 else "")
        old = state.get(m["id"])
        if m["id"] in equivalent:
            finish(m, "equivalent", 0, True)
        elif m["id"] in conforming:
            finish(m, "conforming", 0, True)
        elif old and old["key"] == m["key"]:
            finish(m, old["verdict"], old["runs"], True)
        else:
            pending.append(m)
    out_of_time = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opt.j)) as pool:
            running = {}
            while pending or running:
                while pending and len(running) < max(1, opt.j):
                    if opt.time_limit is not None and time.monotonic() - started > opt.time_limit:
                        out_of_time, pending = len(pending), []
                        break
                    m = pending.pop(0)
                    running[pool.submit(judge, m, mutated_sources(m), harness, rules, seed, leftovers,
                                        opt.repeat)] = m
                if not running:
                    break
                done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for f in done:
                    verdict, runs = f.result()
                    finish(running.pop(f), verdict, runs, False)
    finally:
        leftovers.at_end()

    results.sort(key=lambda r: r["id"])
    count = {v: sum(r["verdict"] == v for r in results) for v in ("killed", "survived", "flaky", "stillborn", "equivalent", "conforming")}
    summary = dict(date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   commit=subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                         capture_output=True, text=True).stdout.strip() or "unknown",
                   seed=seed, command="scripts/mutate.py run " + " ".join(argv), chosen=len(chosen),
                   total=len(everything), finished=len(results), not_started=out_of_time,
                   seconds=time.monotonic() - started, runs=total_runs,
                   from_state=sum(r["from_state"] for r in results),
                   score=score(count["killed"], count["survived"] + count["flaky"]), **count)
    print(f"mutate: seed {seed}: {len(results)} of {len(chosen)} mutants finished"
          + (f" ({out_of_time} not started: --time-limit)" if out_of_time else "")
          + f": {count['killed']} killed, {count['survived']} survived, "
          + (f"{count['flaky']} flaky (killed in some of {opt.repeat} runs only), " if opt.repeat > 1 else "")
          + f"{count['stillborn']} stillborn, "
          f"{count['equivalent']} equivalent, {count['conforming']} conforming; score {summary['score']}", flush=True)
    for path in opt.report:
        if path.suffix == ".json":
            path.write_text(json.dumps({"summary": summary, "mutants": results}, indent=1) + "\n")
        else:
            path.write_text(markdown(summary, results, equivalent, conforming, known))
    if not opt.check:
        return 0
    return check(opt.build, results, known, seed) | lists_agree(everything, equivalent, conforming, known)


def lists_agree(everything, *lists):
    """1 if an id is in two of the lists, or names no mutant any more (its
    line was edited: the hash in the id changed)."""
    ids = {m["id"] for m in everything}
    seen, bad = {}, 0
    for name, listing in zip(("equivalents", "conforming", "survivors"), lists):
        for i in listing:
            if i not in ids:
                print(f"mutate: {i} in the {name} list names no mutant of today's sources: update or remove it")
                bad = 1
            if i in seen:
                print(f"mutate: {i} is in both the {seen[i]} and the {name} lists")
                bad = 1
            seen[i] = name
    return bad


def check(build_dir, results, known, seed):
    """1 if a mutant survived that no list names, or a listed survivor was killed."""
    unexpected = [r for r in results if r["verdict"] == "survived" and r["id"] not in known]
    fixed = [r for r in results if r["verdict"] == "killed" and r["id"] in known
             and not known[r["id"]].startswith("flaky:")]
    for r in unexpected:
        print(f"\nmutate: UNEXPECTED SURVIVOR {r['id']}: no contract scenario tells it from the reference; "
              f"add a test that does, or (if no program can) list it in conformance/mutation-equivalents.txt "
              f"with the reason\n{diff(r)}replay: {replay(build_dir, r, seed)}")
    for r in fixed:
        print(f"\nmutate: KILLED KNOWN SURVIVOR {r['id']} (by {r['rule']}): remove it from "
              f"conformance/mutation-survivors.txt\nreplay: {replay(build_dir, r, seed)}")
    for r in results:
        if r["id"] in known and known[r["id"]].startswith("flaky:"):
            print(f"mutate: flaky {r['id']}: {r['verdict']}" + (f" by {r['rule']}" if r["rule"] else ""))
    verdict = "FAIL" if unexpected or fixed else "PASS"
    print(f"mutate: check {verdict}: {len(unexpected)} unexpected survivors, {len(fixed)} listed survivors killed")
    return 1 if unexpected or fixed else 0


def machine_code(files, name, where):
    """The disassembly of one source file compiled as build() compiles it,
    without addresses, or None if it does not compile."""
    src = where / "src"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    obj = where / "out.o"
    cmd = ["cc", "-std=c11", "-D_GNU_SOURCE", "-O1", "-fPIC", "-w", f"-I{src}/include", f"-I{src}", "-c",
           "-o", str(obj), str(src / name)]
    if subprocess.run(cmd, capture_output=True, timeout=300).returncode != 0:
        return None
    text = subprocess.run(["objdump", "-d", "-r", "--no-show-raw-insn", str(obj)], capture_output=True,
                          text=True, check=True).stdout
    return [re.sub(r"^\s*[0-9a-f]+:", "", l) for l in text.splitlines()[2:]]


def same_code(ids):
    """For each id: whether the mutant's file compiles to the same machine
    code as the reference's (then no program can tell the two apart)."""
    by_id = {m["id"]: m for m in mutants()}
    for ident in ids:
        m = by_id[ident]
        with tempfile.TemporaryDirectory(prefix="shmlab-mutant-") as tmp:
            base = machine_code(mutated_sources(dict(m, after=m["before"])), m["file"], pathlib.Path(tmp, "a"))
            mine = machine_code(mutated_sources(m), m["file"], pathlib.Path(tmp, "b"))
        print(ident, "same machine code" if mine is not None and mine == base else "different")


if __name__ == "__main__":
    if sys.argv[1:2] == ["same-code"]:
        same_code(sys.argv[2:])
        sys.exit(0)
    if sys.argv[1:2] == ["list"]:
        for m in mutants():
            print(m["id"], " / ".join(l.strip() for l in m["after"].split("\n")) or "(deleted)")
        sys.exit(0)
    if sys.argv[1:2] == ["run"] and len(sys.argv) > 2:
        sys.exit(run(sys.argv[2:]))
    sys.exit(__doc__)
