#!/usr/bin/env python3
"""Run every command a handout shows, and compare the output it shows.

A handout's ```sh blocks are what a learner types, from the repository root,
in a built tree. This script runs them, from the source root, against the
build directory under test, so a command that stopped working, or a sample
output that drifted from what the learner sees, fails `ctest -L docs`
(one test per handout: docs.labNN-commands, and docs.labNN-wine-commands
for the commands that need Wine).

The convention, for anyone writing a handout:

  ```sh         commands: every one is run, or treated by a rule below
  ```text       right after a ```sh block (blank lines between, nothing
                else): the whole output of that block, stdout and stderr as a
                terminal shows them, compared line for line after the masks
  ```           (no language): an illustration, not checked: a line from
                another machine, a message a mistake would print; listed in
                the test's log as not checked, never silently

A bare block right after a ```sh block is an error: say ```text to have it
checked, or put the prose that makes it an illustration in between. Show
`--seed N` in a command whose shown output depends on the seed; a command
that passes --seed has its seed compared, not masked.

How each command is treated (the words after any VAR=value prefix decide):

  build/bin/..., setarch ...    run; `build` stands for the build directory
                                under test, and its path in the output is
                                written back as `build`
  build/bin/shmlab-wine ...,    run in docs.labNN-wine-commands only (the
  ... --other-abi win64         win32 fixture, the `wine` lock, the build's
                                prefix); SKIP where Wine is not set up
  ctest ...                     checked, not run (it would run the suite
                                inside the suite): `ctest -N` with the same
                                arguments must select at least one test, a
                                file named by SHMLAB_IMPL=build/... must
                                exist, and a command that runs tests must
                                say --output-on-failure
  cmake --build build           a no-op: the tree under test is built
  cmake --preset|--fresh|--workflow   not run: it would configure or rebuild
                                the tree the test runs in
  ./tour                        not run: the set-up (packages, a build)
  ./tour check ...              run with --no-build --build-dir BUILD: a
                                test never builds; a row it says is
                                "skipped" (no reader of another ABI here)
                                makes its output not compared: SKIP
  ./tour watch ...              not run: it waits for edits until stopped
  sudo ...                      not run: it changes the machine
  wine ...                      an error: show build/bin/shmlab-wine, which
                                uses the build's prefix and WINEDEBUG=-all
  anything else                 an error until a rule is added here

Commands run with NO_COLOR=1 and without the caller's SHMLAB_* variables (a
learner's fresh shell). A command without a shown output passes if it exits
0 or 1 (1 is a run that failed, as a broken scenario's must). Exit 77 with a
"SKIP:" line means this machine lacks what the command needs (i386, Wine):
that command is SKIPPED, said with its reason, and the test exits 77 if
nothing failed.

The masks, applied to the shown and the real output alike, hide only what
differs from run to run; each keeps the line's words, so PASS against FAIL,
a missing line (replay:, read:) or a changed message still fails:

  pid N                   process ids
  0x + 8 or more hex      addresses (bases, faults, code); offsets and sizes
                          in the lessons are shorter, and stay compared
  seed N, --seed N        only where the command gave no --seed
  handle 0xN              Win32 HANDLE values, which vary with Wine's state
  st_ino N, worker 0's N  inode numbers of lab 04's files
  message queue N         a SysV id
  runs of spaces          inside a line, to one (columns widen with a pid)

`update` rewrites each ```text block with the real output of its commands
(the run's own pids and addresses: read what it wrote before you commit).

`files` checks that labs/README.md names every lab's scenario files.

Usage: handouts.py check|update [--wine] --build-dir DIR FILE.md...
       handouts.py selftest --build-dir DIR FILE.md   (see selftest())
       handouts.py files
"""
import difflib
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
TIMEOUT = 180               # seconds, per command


class Block:
    def __init__(self, line, lang, text):
        self.line, self.lang, self.text = line, lang, text


def blocks(md):
    """The fenced blocks of a Markdown text, in order."""
    out, lines, i = [], md.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end] != "```":
            end += 1
        out.append(Block(i + 1, m["lang"], "\n".join(lines[i + 1:end])))
        out[-1].end = end + 1
        i = end + 1
    # which block directly follows which (only blank lines between)
    for a, b in zip(out, out[1:]):
        between = lines[a.end:b.line - 1]
        b.after = a if all(not s.strip() for s in between) else None
    if out:
        out[0].after = None
    return out


def commands(text):
    """A ```sh block's logical commands: lines joined at a trailing
    backslash, a for loop kept whole up to its `done`."""
    out, cur, depth = [], [], 0
    for line in text.splitlines():
        if not cur and not line.strip():
            continue
        cur.append(line)
        words = line.split()
        if words and words[0] in ("for", "while"):
            depth += 1
        if words and words[0] == "done":
            depth -= 1
        if line.endswith("\\") or depth > 0:
            continue
        out.append("\n".join(cur))
        cur = []
    if cur:
        out.append("\n".join(cur))
    return out


def words_of(cmd):
    """The command's words after VAR=value prefixes, and those prefixes."""
    try:
        words = shlex.split(cmd.replace("\\\n", " "), comments=True)
    except ValueError:
        return [], []
    env = []
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        env.append(words.pop(0))
    return words, env


def loop_body(cmd):
    m = re.match(r"^for .*?;\s*do\n(.*)\n\s*done\s*$", cmd, re.S)
    return m[1].strip() if m else None


def classify(cmd):
    """(kind, why) for one logical command; see the table above."""
    body = loop_body(cmd)
    if body is not None:
        kind, why = classify(body)
        return (kind, why) if kind in ("run", "wine") else ("error", "a loop may only hold commands that run")
    words, _ = words_of(cmd)
    if not words:
        return "error", "cannot parse the command"
    w0 = words[0]
    if w0 == "wine":
        return "error", "shows `wine`: show build/bin/shmlab-wine (the build's Wine prefix, WINEDEBUG=-all)"
    if w0 == "build/bin/shmlab-wine" or "--other-abi win64" in " ".join(words):
        return "wine", ""
    if w0.startswith("build/bin/") or w0 == "setarch":
        return "run", ""
    if w0 == "ctest":
        return "ctest", ""
    if w0 == "cmake":
        if words[1:] == ["--build", "build"]:
            return "noop", "the tree under test is built"
        if set(words[1:2]) & {"--preset", "--fresh", "--workflow"}:
            return "notrun", "it would configure or rebuild the tree this test runs in"
    if w0 == "./tour":
        if len(words) == 1:
            return "notrun", "the set-up: it installs packages and builds"
        if words[1] == "check":
            return "tour-check", ""
        if words[1] == "watch":
            return "notrun", "watch mode waits for edits until it is stopped"
    if w0 == "sudo":
        return "notrun", "it changes the machine (sudo)"
    return "error", "no rule for this command in scripts/handouts.py"


class Tree:
    """The build directory under test, and how `build` in a handout maps to it."""

    def __init__(self, build_dir):
        self.dir = pathlib.Path(build_dir).resolve()
        try:
            self.shown = str(self.dir.relative_to(ROOT))
        except ValueError:
            self.shown = str(self.dir)
        self.word = re.compile(r"(?<![\w./-])build(?=/|\s|$)")
        self.back = re.compile(r"(?<![\w./-])" + re.escape(self.shown) + r"(?=/)")

    def to_real(self, cmd):
        return self.word.sub(lambda m: self.shown, cmd)

    def to_shown(self, out):
        return out if self.shown == "build" else self.back.sub("build", out)


def masks(text, seeded):
    out = []
    for line in text.splitlines():
        line = re.sub(r"\bpid \d+", "pid N", line)
        line = re.sub(r"0x[0-9a-f]{8,}", "0xADDR", line)
        line = re.sub(r"\bhandle 0x[0-9a-f]+", "handle 0xH", line)
        line = re.sub(r"\bst_ino \d+, not worker 0's \d+", "st_ino N, not worker 0's N", line)
        line = re.sub(r"\bmessage queue \d+", "message queue N", line)
        if not seeded:
            line = re.sub(r"(?<![\w-])(--)?seed \d+", lambda m: (m[1] or "") + "seed N", line)
        indent = len(line) - len(line.lstrip(" "))
        out.append(line[:indent] + re.sub(r" {2,}", " ", line[indent:]).rstrip())
    while out and not out[-1]:
        out.pop()
    return out


def environment(tree=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHMLAB_")}
    env["NO_COLOR"] = "1"
    if tree is not None:        # lab 01's Windows reader: the build's Wine session
        env.update(WINEPREFIX=str(tree.dir / "win32" / "prefix"), WINEDEBUG="-all")
    return env


def shell(cmd, tree, wine):
    """Runs cmd with bash from the source root; (status, output as shown)."""
    try:
        p = subprocess.run(["bash", "-c", tree.to_real(cmd)], cwd=ROOT, env=environment(tree if wine else None),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, f"still running after {TIMEOUT} s"
    return p.returncode, tree.to_shown(p.stdout.decode(errors="replace"))


def check_ctest(cmd, tree):
    """None if the ctest command is sound, else what is wrong."""
    words, env = words_of(cmd)
    for assignment in env:
        name, _, value = assignment.partition("=")
        if value.startswith("build/") and not (ROOT / tree.to_real(value)).exists():
            return f"{name} names {value}, which this build does not have"
    runs = "-N" not in words and "--show-only" not in words
    if runs and "--output-on-failure" not in words:
        return "a ctest command that runs tests must say --output-on-failure: without it a failure shows only ***Failed"
    args = [tree.to_real(w) for w in words[1:] if w != "--output-on-failure"]
    p = subprocess.run(["ctest", "-N"] + args, cwd=ROOT, env=environment(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    m = re.search(r"^Total Tests: (\d+)", p.stdout.decode(errors="replace"), re.M)
    if p.returncode != 0 or not m:
        return f"`ctest -N` with these arguments failed:\n{p.stdout.decode(errors='replace')}"
    if int(m[1]) == 0:
        return "selects no test: a label or name that matches nothing"
    return None


class Result:
    def __init__(self):
        self.failed, self.skipped, self.count = [], [], 0
        self.update = None      # {line of a text block: its new text} under `update`

    def say(self, where, verdict, detail=""):
        print(f"{where}: {verdict}" + (f": {detail}" if detail else ""))


def check_block(handout, block, shown, tree, want_wine, res):
    """Runs one ```sh block's commands; compares `shown` (a text Block or None)."""
    cmds = commands(block.text)
    kinds = [classify(c) for c in cmds]
    where = f"{handout}:{block.line}"
    is_wine = any(k == "wine" for k, _ in kinds)
    if is_wine != want_wine:
        if is_wine:
            print(f"{where}: in the wine test (docs.*-wine-commands): {cmds[0].splitlines()[0]}")
        return
    output, status, ran = [], 0, False
    for cmd, (kind, why) in zip(cmds, kinds):
        first = cmd.splitlines()[0]
        res.count += 1
        if kind == "error":
            res.failed.append(f"{where}: {first}: {why}")
            res.say(where, "FAIL", f"{first}: {why}")
            return
        if kind in ("notrun", "noop"):
            res.say(where, "not run" if kind == "notrun" else "no-op", f"{first}: {why}")
            continue
        if kind == "ctest":
            problem = check_ctest(cmd, tree)
            if problem:
                res.failed.append(f"{where}: {first}: {problem}")
                res.say(where, "FAIL", f"{first}: {problem}")
            else:
                res.say(where, "checked with ctest -N", first)
            continue
        if kind == "tour-check":
            words, _ = words_of(cmd)
            extra = [w for w in ("--no-build",) if w not in words]
            if "--build-dir" not in words:
                extra += ["--build-dir", "build"]
            cmd = cmd.rstrip() + " " + " ".join(extra)
        if kind == "wine" and not (tree.dir / "bin" / "shmlab-wine").exists():
            res.skipped.append(f"{where}: {first}: this build has no build/bin/shmlab-wine (no Wine or mingw-w64)")
            res.say(where, "SKIP", res.skipped[-1].split(": ", 2)[-1])
            return
        code, out = shell(cmd, tree, kind == "wine")
        ran = True
        output.append(out)
        if code == 77 and "SKIP" in out:
            status = 77
        elif kind == "tour-check" and re.search(r"^\s+\S+ \.+ skipped", out, re.M):
            status = 77     # a row this machine cannot run (an exercise with no reader of another ABI)
        elif code is None or code not in (0, 1):
            status = code if code is not None else -1
        res.say(where, "ran", f"{first} (exit {code})")
    if not ran:
        if shown is not None:
            res.failed.append(f"{where}: an output is shown for commands that are not run")
        return
    real = "".join(output)
    if shown is None:
        if status == 77:
            res.skipped.append(f"{where}: {real.strip().splitlines()[-1]}")
        elif status != 0:
            res.failed.append(f"{where}: exited {status}:\n{real}")
        return
    seeded = "--seed" in block.text
    if res.update is not None and status != 77:
        res.update[shown.line] = real.rstrip("\n")
    want, have = masks(shown.text, seeded), masks(real, seeded)
    if want == have:
        res.say(f"{handout}:{shown.line}", "output matches")
        return
    if status == 77:
        res.skipped.append(f"{where}: not compared, this machine cannot run it: {real.strip().splitlines()[-1]}")
        res.say(where, "SKIP", res.skipped[-1])
        return
    diff = "\n".join(difflib.unified_diff(want, have, f"{handout}:{shown.line} (shown, masked)",
                                          "real output (masked)", lineterm=""))
    res.failed.append(f"{where}: the output differs from the one shown at line {shown.line}:\n{diff}")
    res.say(where, "FAIL", "output differs")


def check(path, tree, want_wine, update=False):
    md = pathlib.Path(path).resolve()
    try:
        name = str(md.relative_to(ROOT))
    except ValueError:
        name = str(md)
    res, bs = Result(), blocks(md.read_text())
    if update:
        res.update = {}
    for b in bs:
        if b.lang == "sh":
            nxt = next((x for x in bs if getattr(x, "after", None) is b), None)
            if nxt is not None and nxt.lang == "":
                res.failed.append(f"{name}:{nxt.line}: a bare block right after a ```sh block: "
                                  "say ```text to have it checked as that block's output")
                continue
            check_block(name, b, nxt if nxt is not None and nxt.lang == "text" else None, tree, want_wine, res)
        elif b.lang == "text" and (b.after is None or b.after.lang != "sh"):
            res.failed.append(f"{name}:{b.line}: a ```text block must follow the ```sh block whose output it is")
        elif b.lang == "" and not want_wine:
            print(f"{name}:{b.line}: not checked: an illustration (a bare block)")
    if res.update:
        rewrite(md, res.update)
    return res


def rewrite(md, new):
    """Replaces the text blocks that open at the given lines."""
    lines, out, i = md.read_text().splitlines(), [], 0
    while i < len(lines):
        out.append(lines[i])
        i += 1
        if i in new:
            out += new[i].splitlines()
            while lines[i] != "```":
                i += 1
    md.write_text("\n".join(out) + "\n")


def report(res):
    for f in res.failed:
        print(f"FAIL {f}", file=sys.stderr)
    for s in res.skipped:
        print(f"SKIP {s}")
    if res.failed:
        print(f"{len(res.failed)} problem(s); fix the handout (or the command's rule in scripts/handouts.py)",
              file=sys.stderr)
        return 1
    if res.skipped:
        print(f"every command that runs here passed; {len(res.skipped)} skipped: this machine lacks what they need")
        return 77
    return 0


def selftest(tree, handout):
    """The check must fail on a copy of the handout whose shown output is
    wrong: PASS turned into FAIL, and a replay: line dropped."""
    text = pathlib.Path(handout).read_text()
    broken = {
        "PASS made FAIL": re.sub(r"(```text\n(?:.*\n)*?.*?)\bPASS\b", r"\1FAIL", text, count=1),
        "replay: line dropped": re.sub(r"(```text\n(?:.*\n)*?)replay: .*\n", r"\1", text, count=1),
    }
    bad = 0
    for what, copy in broken.items():
        if copy == text:
            print(f"selftest: {handout} has nothing to break for '{what}'", file=sys.stderr)
            bad += 1
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".md", prefix="handout-", delete=False) as f:
            f.write(copy)
        try:
            res = check(f.name, tree, False)
        finally:
            os.unlink(f.name)
        if not res.failed:
            print(f"selftest: a handout with its output's {what} still passes", file=sys.stderr)
            bad += 1
        else:
            print(f"selftest: {what}: caught: {res.failed[0].splitlines()[0]}")
    return 1 if bad else 0


def files():
    """labs/README.md must name every lesson source file of every lab (all but
    the exercises, which it lists in a table of their own)."""
    text = (ROOT / "labs" / "README.md").read_text()
    missing = [str(c.relative_to(ROOT)) for c in sorted(ROOT.glob("labs/[0-9][0-9]-*/*.c"))
               if not c.name.startswith("exercise") and f"`{c.name}`" not in text]
    for m in missing:
        print(f"labs/README.md does not name {m}", file=sys.stderr)
    return 1 if missing else 0


def main(argv):
    args = argv[1:]
    if args == ["files"]:
        return files()
    wine = "--wine" in args
    args = [a for a in args if a != "--wine"]
    if len(args) < 4 or args[0] not in ("check", "update", "selftest") or args[1] != "--build-dir":
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    tree = Tree(args[2])
    if args[0] == "selftest":
        return selftest(tree, args[3])
    res = Result()
    for name in args[3:]:
        r = check(name, tree, wine, args[0] == "update")
        res.failed += r.failed
        res.skipped += r.skipped
        res.count += r.count
    if res.count == 0:
        print("no command to check: the test has nothing to do and should not exist", file=sys.stderr)
        return 1
    return report(res)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
