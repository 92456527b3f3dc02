#!/usr/bin/env python3
"""shmlab-conform: the contract suite against a library, without CTest.

    shmlab-conform --impl LIB [--rule R]... [--json FILE] [--junit FILE]
                   [--build-dir DIR] [--seed K]

For an implementer's CI: every contract rule under every strategy, one line
a rule, then for each rule that does not hold what the harness reported of
its first failed run (each worker's outcome, fault placement and message),
the section to read and the command that replays it; a JUnit file with one
test case a run, and a JSON file of the same. Exit 0 every rule holds (or is
skipped because the library does not declare its feature set), 1 some rule
does not, 2 a usage error or a harness that cannot run.

Design. It is the grading command (scripts/grade.py) without the learner's
path: no labs "not yet", no build, no hints. The runs, their seeds, their
bounds and their verdicts are grade.py's, and grade.py's are the harness's
(`run --expect`), the same verdicts the pytest suite reads
(conformance/test_contract.py), so the three cannot disagree on a rule;
conformance/test_conform.py checks that they do not, on the reference, the
learner's starter and a mutant.
"""
import argparse
import json
import os
import pathlib
import random
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import grade  # noqa: E402  (the runs, the rules and the report of a failure)


def parse(argv):
    p = argparse.ArgumentParser(prog="shmlab-conform", description="Run the shmlab contract suite against LIB.")
    p.add_argument("--impl", required=True, metavar="LIB", help="the shared library under test")
    p.add_argument("--rule", action="append", default=[], metavar="R", help="only this rule (repeatable)")
    p.add_argument("--json", metavar="FILE", help="write every run's result as JSON")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML file: one test case a run")
    p.add_argument("--build-dir", metavar="DIR", default=str(grade.REPO / "build"),
                   help="the build whose harness runs the suite (default build/)")
    p.add_argument("--seed", help="session seed, 0 to 4294967295 (default: $SHMLAB_SEED, else random)")
    args = p.parse_args(argv)
    args.build_dir = pathlib.Path(args.build_dir)
    seed = args.seed if args.seed is not None else os.environ.get("SHMLAB_SEED")
    args.seed = int(seed) if seed is not None else random.SystemRandom().randrange(2**32)
    return args


def chosen_rules(listing, wanted):
    """{lab: [Rule]} of the contract rules, WANTED only if any are named."""
    rules = {lab: [r for r in rs if not r.exercise and (not wanted or r.name in wanted)]
             for lab, rs in grade.rules_by_lab(listing).items()}
    known = {r.name for rs in grade.rules_by_lab(listing).values() for r in rs}
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise grade.UsageError(f"no contract rule {', '.join(unknown)}; the rules are: {', '.join(sorted(known))}")
    return {lab: rs for lab, rs in rules.items() if rs}


def failures(run):
    """What each worker that did not pass reported, once each: its message,
    else where it faulted, else its outcome and signal."""
    said = [w.get("message") or " ".join(filter(None, (w.get("outcome"), w.get("signal"), w.get("fault_where"))))
            for w in run.json.get("workers") or [] if w.get("outcome") != "PASS"]
    return list(dict.fromkeys(m for m in said if m and not m.startswith("not run:")))


def as_json(impl, described, seed, verdicts):
    return {"impl": str(impl), "contract": described.get("version"), "features": described.get("features"),
            "seed": seed, "rules": [{
                "rule": v.rule.name, "lab": v.rule.lab, "verdict": v.word, "runs": [{
                    "scenario": r.scenario, "strategy": r.strategy, "seed": r.seed, "outcome": r.outcome,
                    "replay": r.json.get("replay"), "handout": r.json.get("handout"),
                    "messages": failures(r)} for r in v.runs]}
                for v in verdicts]}


def as_junit(verdicts, seed):
    """One <testcase> a run, named rule/scenario[strategy], as CI tools show them."""
    suite = ET.Element("testsuite", name="shmlab-conform", tests=str(sum(len(v.runs) for v in verdicts)),
                       failures=str(sum(len(v.failed) for v in verdicts)),
                       skipped=str(sum(len(v.skipped) for v in verdicts)))
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="seed", value=str(seed))
    for v in verdicts:
        for r in v.runs:
            case = ET.SubElement(suite, "testcase", classname=f"contract.{v.rule.name}",
                                 name=f"{r.scenario}[{r.strategy}]")
            if r.outcome == "skip":
                ET.SubElement(case, "skipped", message=r.skip_reason)
            elif r.outcome == "fail":
                text = "; ".join(failures(r)) or f"exit status {r.returncode}"
                failure = ET.SubElement(case, "failure", message=f"rule {v.rule.name} does not hold: {text}"[:500])
                failure.text = f"replay: {r.json.get('replay', '')} --expect\nread: {r.json.get('handout', '')}"
    return ET.ElementTree(suite)


def conform(args, out):
    with tempfile.TemporaryDirectory(prefix="shmlab-conform-") as where:
        h = grade.Harness(args.build_dir, pathlib.Path(args.impl).resolve(), args.seed, pathlib.Path(where),
                          exercises=False)
        if not os.access(h.exe, os.X_OK):
            raise grade.UsageError(f"{grade.shown_path(h.exe)} is not built: cmake --preset default && "
                                   "cmake --build build")
        described = h.ask("impl", str(h.impl))
        if described.get("error"):
            raise grade.UsageError(f"the harness cannot load {args.impl}: {described['error']}")
        rules = chosen_rules(h.ask("list", "--json"), args.rule)
        version = described.get("version") or 0
        out.say(f"shmlab-conform: {grade.shown_path(h.impl)} (contract {version // 100}.{version % 100}, feature "
                f"sets: {', '.join(described.get('features') or []) or 'none'}), seed {args.seed}")
        verdicts = grade.grade_labs(h, sorted(rules), rules, out, None, grade.lab_dirs())
    held = [v for v in verdicts if v.holds]
    failing = [v for v in verdicts if v.failed]
    out.say(f"{len(held)} of {len(verdicts)} rules hold, {len(failing)} do not, "
            f"{len(verdicts) - len(held) - len(failing)} skipped")
    rerun = f"shmlab-conform --impl {args.impl} --seed {args.seed}"
    for v in failing:
        grade.first_failure(out, v, None, argparse.Namespace(hint=0, build_dir=args.build_dir), None)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(as_json(args.impl, described, args.seed, verdicts), indent=1))
    if args.junit:
        as_junit(verdicts, args.seed).write(args.junit, encoding="unicode", xml_declaration=True)
    out.say(f"Again with these seeds: {rerun}")
    return grade.EXIT_FAIL if failing else grade.EXIT_PASS


def main(argv):
    try:
        args = parse(argv)
    except SystemExit as e:
        return grade.EXIT_USAGE if e.code else grade.EXIT_PASS
    try:
        return conform(args, grade.Out())
    except grade.UsageError as e:
        print(f"shmlab-conform: {e}", file=sys.stderr)
        return grade.EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
