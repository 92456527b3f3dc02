#!/usr/bin/env python3
"""Keep the teaching traceable: every claim to its primary source, every
observation of Wine labelled as Wine's.

    scripts/sources.py check       the handouts, decks, CONTRACT.md and docs/
    scripts/sources.py selftest    the check fails on text made to fail it

What it checks, each a mistake the course once made:

1. Every handout (labs/NN-*/README.md) ends its teaching with a
   "## Primary sources" section that lists at least one source, and every
   lab's deck has a "**Sources:**" line.
2. "Wine 8" marks a sentence that reports what Wine did, not what Windows
   documents; its paragraph must name what shows it, in backquotes: a
   scenario (`NN-name`) that a lab or the contract defines, or a CTest test
   (`win32.kill`), so the claim can be run again.
3. Phrases a fact-check found wrong must not come back (WRONG below, with
   what is true instead). Text is compared with its white space folded, so
   a phrase cannot hide across a line break.
4. README.md's "## Layout" table names every top-level file and folder the
   repository holds, so a reader can find what each is for.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

WRONG = {
    "cannot widen it": "a reader can widen a read-only handle (DuplicateHandle, Remarks)",
    "a view it cannot scribble on": "less access guards against mistakes, not a hostile reader",
    "never more": "DuplicateHandle may give more access than the original handle",
    "so they cannot write.": "FILE_MAP_READ stops mistakes only (lab 04)",
    "the one that hides every bug": "fork hides some bugs, not every one",
    "section 2.5, which GCC": "the vtable pointer's place is the Itanium C++ ABI's section 2.4",
    "ABI §2.5": "the vtable pointer's place is the Itanium C++ ABI's section 2.4",
    "converts only to another function": "any pointer converts to an integer (C11 6.3.2.3p6)",
    "C11 makes each access here an atomic load": "__atomic_load_n is a GCC builtin",
    "Windows 95, 98 and Me": "KB 125691 describes Windows 95",
    "or a third process": "DuplicateHandle's remarks name the source and the target",
    "There is no way to put a descriptor": "SCM_RIGHTS and SECCOMP_IOCTL_NOTIF_ADDFD do, with help",
    "Windows has no documented call that reads the access": "NtQueryObject reads it",
    "GDI objects are private: only": "quote \"GDI Objects\" exactly",
    "lock-free operations should be address-free), or": "address-free is a recommendation; check ATOMIC_*_LOCK_FREE",
}
RUNNABLE = re.compile(r"`(\d\d-[a-z0-9-]+|[a-z0-9]+\.[a-z0-9-]+)`")
DEFINED = re.compile(r'\.name = "(\d\d-[a-z0-9-]+)"')
TESTS = re.compile(r"(?:add_test\(NAME|shmlab_win32_test\(|shmlab_pytest_test\()\s*([a-z0-9]+\.[a-z0-9-]+)")


def texts():
    globs = ("labs/*/README.md", "labs/README.md", "slides/[0-9][0-9]-*.md", "conformance/CONTRACT.md",
             "docs/*.md", "README.md")
    return sorted({p for g in globs for p in ROOT.glob(g)})


def runnable_names():
    """Every scenario the labs and the contract define, and every CTest test."""
    names = set()
    for path in list(ROOT.glob("labs/*/*.c")) + list(ROOT.glob("conformance/scenarios/*.c")):
        names |= set(DEFINED.findall(path.read_text()))
    for pattern in ("CMakeLists.txt", "*/CMakeLists.txt", "*/*/CMakeLists.txt"):
        for path in ROOT.glob(pattern):
            if not path.relative_to(ROOT).parts[0].startswith("build"):
                names |= set(TESTS.findall(path.read_text()))
    return names


def paragraphs(text):
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]


def problems_in(name, text, scenarios, handout=False, deck=False):
    found = []
    folded = " ".join(text.split())
    for phrase, truth in WRONG.items():
        if phrase in folded:
            found.append(f"{name}: says \"{phrase}\", which is wrong: {truth}")
    for para in paragraphs(text):
        if "Wine 8" in para and not any(s in scenarios for s in RUNNABLE.findall(para)):
            found.append(f"{name}: \"{para[:70]}...\" reports what Wine 8 did, but names no scenario "
                         f"or test that shows it (a `NN-name` or `label.test` in backquotes)")
    if handout:
        m = re.search(r"^## Primary sources\n(.*?)(?=^## |\Z)", text, re.S | re.M)
        if not m or not re.search(r"^- \S", m.group(1), re.M):
            found.append(f"{name}: no \"## Primary sources\" section with a list of sources")
    if deck and "**Sources:**" not in text:
        found.append(f"{name}: no \"**Sources:**\" line")
    return found


def top_level():
    """The top-level names git tracks (else those on disk), folders with a slash."""
    try:
        files = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True,
                               check=True, timeout=60).stdout.split()
    except (OSError, subprocess.SubprocessError):
        files = [p.name + ("/x" if p.is_dir() else "") for p in ROOT.iterdir()
                 if p.name != ".git" and not p.name.startswith("build")]
    return {f.split("/")[0] + ("/" if "/" in f else "") for f in files}


def layout_problems(readme, entries):
    m = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    named = set(re.findall(r"^\|([^|]*)\|", m.group(1), re.M)) if m else set()
    named = {n for cell in named for n in re.findall(r"`([^`]+)`", cell)}
    return [f"README.md: the \"## Layout\" table does not name `{e}`" for e in sorted(entries)
            if e not in named and not any(n.startswith(e) for n in named)]


def check():
    scenarios = runnable_names()
    found = layout_problems((ROOT / "README.md").read_text(), top_level())
    for path in texts():
        rel = path.relative_to(ROOT)
        handout = re.fullmatch(r"labs/\d\d-[^/]+/README\.md", str(rel)) is not None
        deck = re.fullmatch(r"slides/0[1-9]-[^/]+\.md", str(rel)) is not None
        found += problems_in(str(rel), path.read_text(), scenarios, handout, deck)
    for f in found:
        print(f)
    print(f"sources: {len(texts())} files, {len(found)} problems")
    return 1 if found else 0


def selftest():
    scenarios = {"04-read-only-widened-broken"}
    bad = {
        "a wrong phrase across a line break": ("the reader\ncannot widen it.", {}),
        "Wine 8 with no scenario": ("Every reader widened its handle (Wine 8).", {}),
        "Wine 8 with an unknown scenario": ("It widened (Wine 8, `04-no-such-scenario`).", {}),
        "a handout without sources": ("# Lab\n\n## Why\n\ntext\n\n## Primary sources\n\n## Next\n", {"handout": True}),
        "a deck without sources": ("# Deck\n\ntext\n", {"deck": True}),
    }
    good = ("It widened (Wine 8; `04-read-only-widened-broken`).\n\n## Primary sources\n\n- fork(2)\n",
            {"handout": True})
    failed = [what for what, (text, kw) in bad.items() if not problems_in("t", text, scenarios, **kw)]
    table = "## Layout\n\n| path | what |\n|---|---|\n| `labs/NN-topic/` | labs |\n| `tour` | the tour |\n"
    if not layout_problems(table, {"labs/", "tour", "fuzz/"}):
        failed.append("a top-level folder missing from the layout table")
    if layout_problems(table, {"labs/", "tour"}):
        failed.append("a complete layout table flagged")
    if problems_in("t", good[0], scenarios, **good[1]):
        failed.append("good text flagged")
    for what in failed:
        print(f"sources selftest: not caught: {what}")
    print(f"sources selftest: {len(bad) + 3 - len(failed)} of {len(bad) + 3} cases as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["check"]:
        sys.exit(check())
    if sys.argv[1:] == ["selftest"]:
        sys.exit(selftest())
    sys.exit(__doc__)
