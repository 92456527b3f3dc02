#!/usr/bin/env python3
"""Keep code in handouts and slides identical to the lab sources.

A Markdown file names a region of a source file with a marker line, and the
fenced code block right after the marker must hold exactly that region:

    <!-- include: labs/02-raw-pointers/broken_region.c:layout -->
    ```c
    ...the lines between "// ANCHOR: layout" and "// ANCHOR_END: layout"...
    ```

`check` fails on any difference, on an anchor that does not exist, is never
closed, or is empty (mdBook silently includes "" for an unknown anchor; we do
not). `update` rewrites the blocks from the sources. Paths are relative to the
repository root. Usage: anchors.py check|update FILE.md...
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- include: (?P<path>[^:]+):(?P<anchor>[\w-]+) -->$")
ANCHOR = re.compile(r"^\s*// ANCHOR(?P<end>_END)?: (?P<name>[\w-]+)\s*$")


def extract(path, name):
    """The lines of anchor `name` in `path`, anchor lines themselves left out."""
    lines = (ROOT / path).read_text().splitlines()
    inside, found, out = False, False, []
    for line in lines:
        m = ANCHOR.match(line)
        if m and m["name"] == name:
            if m["end"]:
                if not inside:
                    raise ValueError(f"{path}: ANCHOR_END: {name} without its ANCHOR")
                return out
            inside = found = True
            continue
        if m:
            continue            # another (nested) anchor's marker: never shown
        if inside:
            out.append(line)
    if not found:
        raise ValueError(f"{path}: no anchor '{name}'")
    raise ValueError(f"{path}: anchor '{name}' is never closed")


def process(md, update):
    """Returns a list of problems; rewrites md when update is set."""
    lines = md.read_text().splitlines()
    problems, out, i = [], [], 0
    while i < len(lines):
        out.append(lines[i])
        m = MARKER.match(lines[i])
        i += 1
        if not m:
            continue
        where = f"{md.relative_to(ROOT)}:{i}"
        try:
            want = extract(m["path"], m["anchor"])
        except (OSError, ValueError) as e:
            problems.append(f"{where}: {e}")
            continue
        if not want:
            problems.append(f"{where}: anchor '{m['anchor']}' is empty")
        if i >= len(lines) or not lines[i].startswith("```"):
            problems.append(f"{where}: the marker must be followed by a fenced code block")
            continue
        fence = lines[i]
        end = i + 1
        while end < len(lines) and lines[end] != "```":
            end += 1
        have = lines[i + 1:end]
        if have != want:
            problems.append(f"{where}: the code block differs from {m['path']}:{m['anchor']}")
        out += [fence] + want + ["```"]
        i = end + 1
    if update:
        md.write_text("\n".join(out) + "\n")
    return problems


def main(argv):
    if len(argv) < 3 or argv[1] not in ("check", "update"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    problems = []
    for name in argv[2:]:
        problems += process(pathlib.Path(name).resolve(), argv[1] == "update")
    for p in problems:
        print(p, file=sys.stderr)
    if problems and argv[1] == "check":
        print("fix the source anchors, or run: scripts/anchors.py update FILE.md", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
