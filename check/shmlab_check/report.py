"""What shmlab-check prints: a report for people, or JSON for programs.

The text report gives each type a table like pahole's, one column per ABI,
each cell "offset/size", with a * before the rows that differ; then each
finding with the lab section to read. A clean type gets one line.
"""
import json
import os
import sys

from .findings import group, on

COLOURS = {"error": "31", "note": "36", "allowed": "2", "diff": "33", "clean": "32", "bold": "1"}


class Style:
    def __init__(self, stream, mode):
        on = mode == "always" or (mode == "auto" and stream.isatty() and "NO_COLOR" not in os.environ
                                  and os.environ.get("TERM") != "dumb")
        self.on = on

    def __call__(self, what, text):
        return f"\033[{COLOURS[what]}m{text}\033[0m" if self.on else text


def where(offsets, checked):
    groups = group(offsets)
    if len(groups) == 1 and set(groups[0][1]) == set(checked):
        return f"offset {groups[0][0]}"
    return "offset " + on(groups)


def table(result, style):
    abis = list(result["layouts"])
    paths, seen = [], set()
    for lay in result["layouts"].values():
        for row in lay.rows:
            if row.path not in seen:
                seen.add(row.path)
                paths.append(row.path)
    cells = {abi: {r.path: f"{r.offset}/{r.size}" for r in lay.rows} for abi, lay in result["layouts"].items()}
    width = max([len("(alignment)")] + [len(p) for p in paths]) + 2
    col = max(len(a) for a in abis) + 2
    lines = ["  " + "offset/size".ljust(width) + "".join(a.rjust(col) for a in abis)]
    lines.append(row_line("(size)", [str(l.size) for l in result["layouts"].values()], width, col, style))
    lines.append(row_line("(alignment)", [str(l.align) for l in result["layouts"].values()], width, col, style, False))
    for p in paths:
        lines.append(row_line(p, [cells[a].get(p, "-") for a in abis], width, col, style))
    return lines


def row_line(label, values, width, col, style, mark=True):
    differs = mark and len(set(values)) > 1
    text = label.ljust(width) + "".join(v.rjust(col) for v in values)
    return ("* " + style("diff", text)) if differs else "  " + text


def text(results, abis, out, colour, show_table, brief=False):
    style = Style(out, colour)
    for a in abis:
        if a["status"] != "checked":
            print(style("note", f"{a['name']}: not checked: {a['reason']}"), file=out)
    for r in results:
        header = f"{r['name']}  ({r['file']})"
        layouts = r["layouts"]
        errors = [f for f in r["findings"] if f.severity == "error"]
        if not r["findings"]:
            sizes = group({abi: (l.size, l.align) for abi, l in layouts.items()})
            said = "; ".join(f"{s} bytes, aligned to {al}, on {', '.join(a)}" for (s, al), a in sizes)
            print(f"{style('bold', r['name'])}: {style('clean', 'clean')}: {said}  ({r['file']})", file=out)
            continue
        print(style("bold", header), file=out)
        if r["missing"]:
            print(f"  not defined on {', '.join(r['missing'])}", file=out)
        if len(layouts) > 1 and (show_table or any(f.cls == "abi-layout" for f in r["findings"])):
            print("\n".join(table(r, style)), file=out)
        for f in r["findings"]:
            subject = f"{f.path}: " if f.path and not (f.detail + ":").startswith(f.path + ":") else ""
            at = f"; at {where(f.offsets, list(layouts))}" if f.offsets else ""
            print(f"  {style(f.severity, f.severity.ljust(7))} {f.cls}: {subject}{f.detail}{at}", file=out)
            if not brief:
                print(f"          {f.why}", file=out)
                print(f"          read: {f.read}", file=out)
        if not errors:
            print(f"  {style('clean', 'no errors')}: notes only", file=out)


def as_json(results, abis, status):
    def layout(l):
        return {"size": l.size, "align": l.align, "members": [
            {"path": r.path, "offset": r.offset, "size": r.size, "type": r.type, "kind": r.kind}
            | ({"bits": list(r.bits)} if r.bits else {}) for r in l.rows],
            "padding": [{"in": p.rstrip("."), "offset": o, "size": n, "where": w} for p, o, n, w in l.holes]}
    return json.dumps({
        "tool": "shmlab-check", "format": 1, "status": status, "abis": abis,
        "types": [{
            "name": r["name"], "file": r["file"], "missing": r["missing"],
            "clean": not any(f.severity == "error" for f in r["findings"]),
            "layouts": {abi: layout(l) for abi, l in r["layouts"].items()},
            "findings": [{"class": f.cls, "severity": f.severity, "member": f.path, "detail": f.detail,
                          "abis": f.abis, "offsets": f.offsets, "read": f.read, "why": f.why}
                         for f in r["findings"]],
        } for r in results]}, indent=1)


def problem(message):
    sys.stdout.flush()          # the report first: a problem may point at its lines
    print(f"shmlab-check: {message}", file=sys.stderr)
