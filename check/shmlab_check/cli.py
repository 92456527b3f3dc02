"""shmlab-check: may these types live in memory shared between processes?

  shmlab-check [options] FILE... [--type NAME]...

FILE is a C or C++ header or source, compiled here once for each ABI, or an
object or executable built with -g, read as it is (its own ABI only). The
types checked are those named with --type, or else every type the sources
mark with SHMLAB_SHARED_TYPE (shmlab/shared_type.h).

Exit status: 0 no errors (notes may be printed), 1 errors found, 2 the check
could not be made (usage, a file or type not found, nothing that builds, or
an ABI asked for with --abi that cannot be checked here).
"""
import argparse
import difflib
import os
import sys

from . import abis as abi_mod
from .findings import CLASSES, apply_policy, findings
from .layout import Dwarf
from .report import as_json, problem, text


def parse(argv):
    p = argparse.ArgumentParser(prog="shmlab-check", description=__doc__.split("\n")[0],
                                epilog="Classes: " + ", ".join(CLASSES) + ". docs/shmlab-check.md explains each.")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument("--type", "-t", action="append", default=[], metavar="NAME",
                   help="a type to check: 'struct foo', a typedef name, ns::Class (repeatable)")
    p.add_argument("--abi", action="append", default=[], metavar="ABI",
                   help="ABIs to check, comma-separated: " + ", ".join(a.name for a in abi_mod.ABIS)
                   + " (default: every one whose compiler is here)")
    p.add_argument("--json", action="store_true", help="print JSON for programs instead of the report")
    p.add_argument("--table", action="store_true", help="print the per-ABI table for every type with findings")
    p.add_argument("--brief", action="store_true", help="one line a finding: leave out why and what to read")
    p.add_argument("--allow", action="append", default=[], metavar="CLASS", help="report CLASS, never fail on it")
    p.add_argument("--fail-on", action="append", default=[], metavar="CLASS", help="fail on CLASS, even a note")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("-x", dest="lang", choices=("c", "c++"), help="the language of every FILE")
    p.add_argument("-I", dest="includes", action="append", default=[], metavar="DIR")
    p.add_argument("-D", dest="defines", action="append", default=[], metavar="MACRO")
    p.add_argument("--std", help="the -std= to compile with")
    p.add_argument("--fallback-include", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("--list-classes", action="store_true", help="list the finding classes and what teaches each")
    args = p.parse_args(argv)
    args.abi = [a for arg in args.abi for a in arg.split(",") if a]
    args.allow = {c for arg in args.allow for c in arg.split(",") if c}
    args.fail_on = {c for arg in args.fail_on for c in arg.split(",") if c}
    for c in args.allow | args.fail_on:
        if c not in CLASSES:
            p.error(f"no finding class {c!r}; the classes are: {', '.join(CLASSES)}")
    for a in args.abi:
        if a not in abi_mod.BY_NAME:
            p.error(f"no ABI {a!r}; the ABIs are: {', '.join(abi_mod.BY_NAME)}")
    if not args.files and not args.list_classes:
        p.error("name a header, a source or an object to check")
    return args


def cflags(args):
    out = [f"-I{d}" for d in args.includes] + [f"-D{d}" for d in args.defines]
    out += [f"-idirafter{d}" for d in args.fallback_include]
    return out + ([f"-std={args.std}"] if args.std else [])


def dwarfs_for(path, args, work, statuses):
    """{abi: Dwarf} for FILE; appends a status for each ABI to STATUSES."""
    out = {}
    if abi_mod.is_object(path):
        abi = abi_mod.BY_NAME.get(abi_mod.object_abi(path))
        if abi is None:
            raise UsageError(f"{path}: not an x86 Linux or Windows object")
        sub = os.path.join(work, f"obj{len(statuses)}")
        os.makedirs(sub)
        out[abi.name] = Dwarf(abi_mod.to_elf(abi, path, sub), abi.name, from_coff=abi.windows)
        statuses.append({"name": abi.name, "file": path, "status": "checked", "reason": "read as built"})
        return out
    lang = abi_mod.language_of(path, args.lang)
    for abi in abi_mod.ABIS:
        if args.abi and abi.name not in args.abi:
            continue
        status = {"name": abi.name, "file": path, "asked": abi.name in args.abi}
        statuses.append(status)
        reason = abi_mod.missing_tool(abi, lang)
        if reason:
            status.update(status="missing", reason=reason)
            continue
        sub = os.path.join(work, f"{len(statuses)}")
        os.makedirs(sub)
        try:
            out[abi.name] = Dwarf(abi_mod.compile_to_elf(abi, path, lang, cflags(args), sub), abi.name,
                                  from_coff=abi.windows)
            status.update(status="checked", reason=" ".join((abi.cxx if lang == "c++" else abi.cc)))
        except abi_mod.BuildError as e:
            status.update(status="failed", reason=f"{path} does not build: {e}")
    return out


class UsageError(Exception):
    pass


def similar(name, dwarfs):
    """Type names like NAME, each once though every ABI defines it: those
    whose last word contains NAME's, or is a near spelling of it (a typo)."""
    names = sorted({k for d in dwarfs.values() for k in d.types})
    word = name.split()[-1].lower()
    close = set(difflib.get_close_matches(word, {k.split()[-1].lower() for k in names}, n=4, cutoff=0.8))
    return [k for k in names if word in k.lower() or k.split()[-1].lower() in close]


def check_file(path, args, work, statuses):
    dwarfs = dwarfs_for(path, args, work, statuses)
    if not dwarfs:
        raise UsageError(f"{path}: no ABI could compile it; see the lines above")
    wanted = []                       # (name, {abi: (die, align)})
    if args.type:
        for name in args.type:
            wanted.append((name, {a: (d.find(name), None) for a, d in dwarfs.items() if d.find(name) is not None}))
    else:
        names = {}
        for a, d in dwarfs.items():
            for name, die, align in d.marked():
                names.setdefault(name, {})[a] = (die, align)
        wanted = list(names.items())
        if not wanted:
            raise UsageError(f"{path}: no type named with --type, and none marked with SHMLAB_SHARED_TYPE")
    results = []
    for name, found in wanted:
        if not found:
            near = similar(name, dwarfs)
            raise UsageError(f"{path}: no type {name!r} on {', '.join(dwarfs)}"
                             + (f"; names like it: {', '.join(near[:8])}" if near else ""))
        layouts = {a: dwarfs[a].layout(name, die, align) for a, (die, align) in found.items()}
        results.append({"name": name, "file": path, "layouts": layouts,
                        "missing": [a for a in dwarfs if a not in found],
                        "findings": apply_policy(findings(layouts), args.allow, args.fail_on)})
    for d in dwarfs.values():
        d.close()
    return results


def main(argv=None):
    try:
        args = parse(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if args.list_classes:
        for name, (severity, read, why) in CLASSES.items():
            print(f"{name:16} {severity:6} {read}\n                 {why}")
        return 0
    statuses, results, status, failure = [], [], 0, None
    try:
        with abi_mod.scratch() as work:
            for path in args.files:
                if not os.path.isfile(path):
                    raise UsageError(f"{path}: no such file")
                results += check_file(path, args, work, statuses)
    except (UsageError, ValueError) as e:
        failure, status = str(e), 2          # said last: it may point at the ABI lines of the report
    unable = [s for s in statuses if s["status"] != "checked" and s.get("asked")]
    if unable:
        status = 2
    if status == 0 and any(f.severity == "error" for r in results for f in r["findings"]):
        status = 1
    if args.json:
        print(as_json(results, statuses, status))
    else:
        text(results, statuses, sys.stdout, args.color, args.table, args.brief)
        for s in unable:
            problem(f"{s['name']} was asked for with --abi and cannot be checked: {s['reason']}")
    if failure:
        problem(failure)
    return status
