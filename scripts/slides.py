#!/usr/bin/env python3
"""Build-time expansion and checks of the slide decks (slides/NN-topic.md).

A deck is Marp Markdown with three directives, each an HTML comment alone on
its line, which `expand` replaces:

    <!-- include: labs/02-raw-pointers/broken_region.c:layout -->
        the lines of that anchor (scripts/anchors.py), as a fenced code block:
        code on a slide is never copied by hand
    <!-- run: 02-region-pointers-broken --procs 3 --strategy distinct --seed 7 -->
        what `shmlab-harness run ...` prints, run now: the real output
    <!-- svg: 02-region-pointers-broken --procs 3 --strategy distinct --seed 7 -->
        the address map the harness draws for that run (--svg), inlined
    <!-- check: /usr/include/pthread.h --type pthread_mutex_t -->
        what `shmlab-check ...` prints, run now (docs/shmlab-check.md)

  slides.py expand DECK.md OUT.md --harness PATH
  slides.py check-html DECK.md BUILT.html   every included snippet, verbatim, in a <pre>
  slides.py coverage                        every lab has a deck, every deck a lab
  slides.py selftest                        a deleted anchor fails; a changed line shows
"""
import base64
import html.parser
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import anchors  # noqa: E402  (the one reader of anchors, shared with the handouts)

ROOT = anchors.ROOT
DIRECTIVE = re.compile(r"^<!-- (?P<kind>include|run|svg|check): (?P<arg>.+?) -->$")
LANG = {".c": "c", ".h": "c", ".py": "python", ".sh": "sh", ".cmake": "cmake"}


def harness_output(harness, args, svg=None):
    """What `harness run ARGS` prints, without the replay and read lines
    (they carry this machine's paths); with svg, the SVG file's text."""
    cmd = [harness, "run", *args.split(), "--expect"]
    env = dict(os.environ, NO_COLOR="1")
    env.pop("CI", None)
    with tempfile.TemporaryDirectory() as tmp:
        if svg:
            cmd += ["--svg", os.path.join(tmp, "map.svg"), "--quiet"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=tmp)
        # --expect: 0 as the lesson predicts, 77 skipped (the slide shows why);
        # a run that went otherwise, or an error, has no place on a slide.
        if proc.returncode not in (0, 77):
            raise ValueError(f"`shmlab-harness run {args}` exited {proc.returncode} "
                             f"(not as predicted, or an error): {proc.stdout.strip()[-500:]} {proc.stderr.strip()}")
        if svg:
            return pathlib.Path(tmp, "map.svg").read_text()
    keep = [l for l in proc.stdout.splitlines() if not l.startswith(("replay:", "read:"))]
    return "\n".join(keep)


def checker_output(harness, args):
    """What `shmlab-check ARGS` prints, run from the source root; the
    checker sits beside the harness in the build's bin/. Exit 2 (it could
    not check: no pyelftools, a compiler missing) puts its reason on the slide."""
    cmd = [os.path.join(os.path.dirname(harness), "shmlab-check"), *shlex.split(args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=dict(os.environ, NO_COLOR="1"))
    if proc.returncode not in (0, 1):
        return f"shmlab-check could not run here: {proc.stderr.strip() or proc.stdout.strip()}"
    return proc.stdout.rstrip()


def expand_lines(lines, where, harness):
    out = []
    for n, line in enumerate(lines, 1):
        m = DIRECTIVE.match(line.strip())
        if not m:
            out.append(line)
            continue
        kind, arg = m["kind"], m["arg"]
        try:
            if kind == "include":
                path, name = arg.rsplit(":", 1)
                code = anchors.extract(path, name)
                if not code:
                    raise ValueError(f"{path}: anchor '{name}' is empty")
                out += [f"```{LANG.get(pathlib.Path(path).suffix, '')}", *code, "```"]
            elif kind == "run":
                out += ["```text", *harness_output(harness, arg).splitlines(), "```"]
            elif kind == "check":
                out += ["```text", *checker_output(harness, arg).splitlines(), "```"]
            else:
                svg = base64.b64encode(harness_output(harness, arg, svg=True).encode()).decode()
                out.append(f'<img class="map" alt="address map: {arg}" src="data:image/svg+xml;base64,{svg}">')
        except (OSError, ValueError, subprocess.SubprocessError) as e:
            raise SystemExit(f"{where}:{n}: {e}")
    return out


def expand(deck, out, harness):
    """Writes the expanded deck to out. Links the deck makes relative to
    slides/ (`](../labs/...)`) are made relative to out's directory, where
    the built deck will be."""
    deck, out = pathlib.Path(deck), pathlib.Path(out)
    lines = expand_lines(deck.read_text().splitlines(), deck, harness)
    up = os.path.relpath(ROOT, out.parent.parent)      # out is <build>/slides/md/NN.md; the HTML is one up
    text = "\n".join(lines).replace("](../", f"]({up}/")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


class PreText(html.parser.HTMLParser):
    """The text of every <pre> of a page, tags stripped, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.depth, self.text = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "pre":
            self.depth += 1
            if self.depth == 1:
                self.text = []

    def handle_endtag(self, tag):
        if tag == "pre" and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self.blocks.append("".join(self.text))

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def check_html(deck, built):
    """Every snippet the deck includes appears, exactly, as a code block of
    the built page. Returns the problems."""
    parser = PreText()
    parser.feed(pathlib.Path(built).read_text())
    blocks = {b.rstrip("\n") for b in parser.blocks}
    problems = []
    for n, line in enumerate(pathlib.Path(deck).read_text().splitlines(), 1):
        m = DIRECTIVE.match(line.strip())
        if not m or m["kind"] != "include":
            continue
        path, name = m["arg"].rsplit(":", 1)
        try:
            want = "\n".join(anchors.extract(path, name))
        except (OSError, ValueError) as e:
            problems.append(f"{deck}:{n}: {e}")
            continue
        if want not in blocks:
            problems.append(f"{deck}:{n}: {built} has no code block that is exactly {path}:{name}")
    return problems


def coverage():
    labs = {p.name[:2]: p.name for p in (ROOT / "labs").glob("[0-9][0-9]-*") if p.is_dir()}
    decks = {p.name[:2]: p for p in (ROOT / "slides").glob("[0-9][0-9]-*.md")}
    problems = [f"lab {name} has no deck: add slides/{name}.md" for k, name in sorted(labs.items()) if k not in decks]
    for k, deck in sorted(decks.items()):
        if k != "00" and k not in labs:
            problems.append(f"{deck.relative_to(ROOT)} names no lab")
        elif k != "00" and f"labs/{labs[k]}/README.md" not in deck.read_text():
            problems.append(f"{deck.relative_to(ROOT)} does not link its lab, labs/{labs[k]}/README.md")
        if k != "00" and f"slides/{deck.name}" not in (ROOT / "labs" / labs.get(k, "") / "README.md").read_text():
            problems.append(f"labs/{labs[k]}/README.md does not link its deck, slides/{deck.name}")
    return problems


def selftest():
    """The two promises of the build, on copies: a missing anchor stops it,
    and a changed line inside an anchor changes the deck."""
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp, "code.c")         # absolute: anchors reads ROOT / src, which is src
        src.write_text("// ANCHOR: part\nint answer = 41;\n// ANCHOR_END: part\n")
        deck = [f"<!-- include: {src}:part -->"]
        first = expand_lines(deck, "selftest", None)
        src.write_text(src.read_text().replace("41", "42"))
        second = expand_lines(deck, "selftest", None)
        if first == second or "int answer = 42;" not in second:
            return ["a changed line inside an anchor did not change the expanded deck"]
        src.write_text("int answer = 42;\n")
        try:
            expand_lines(deck, "selftest", None)
        except SystemExit as e:
            if "no anchor 'part'" not in str(e):
                return [f"a deleted anchor failed with the wrong message: {e}"]
            return []
        return ["a deleted anchor did not fail the expansion"]


def main(argv):
    if len(argv) >= 5 and argv[1] == "expand" and argv[4] == "--harness":
        expand(argv[2], argv[3], argv[5] if len(argv) > 5 else None)
        return 0
    if len(argv) == 4 and argv[1] == "check-html":
        problems = check_html(argv[2], argv[3])
    elif len(argv) == 2 and argv[1] == "coverage":
        problems = coverage()
    elif len(argv) == 2 and argv[1] == "selftest":
        problems = selftest()
    else:
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"slides {argv[1]}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
