"""The suite against libraries people really use (adapters/): each adapter's
library is run through shmlab-conform, whose verdicts are the harness's, and
every rule must come out as the adapter's expected list says, a FAIL with
the exact failure it names. So a change in the library, the adapter or the
suite shows here, and a rule the suite stopped catching fails this test.

The page that reports each adapter (docs/boost-interprocess.md) holds a
table rendered from the run: this test checks the page against it, and
SHMLAB_UPDATE_DOCS=1 rewrites the table instead."""
import json
import os
import re
import subprocess

import pytest

from conftest import REPO

pytestmark = pytest.mark.adapters
STRATEGIES = ("distinct", "double", "fork", "same", "kernel")
MARK = {"pass": "ok", "fail": "FAIL", "skip": "-"}
BEGIN, END = "<!-- table: from test_adapters.py -->", "<!-- end of table -->"


def expected(path):
    """{rule: (verdict, pattern, reason)} from an adapter's expected.txt."""
    rows = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            rule, verdict, pattern, reason = (f.strip() for f in re.split(r"(?<!\\)\|", line, maxsplit=3))
            assert rule not in rows, f"{path.name}: {rule} listed twice"
            assert verdict in ("OK", "FAIL", "skipped", "VARIES"), f"{path.name}: {rule}: verdict {verdict}"
            assert (verdict == "FAIL") == bool(pattern), f"{path.name}: {rule}: a FAIL, and only a FAIL, has a pattern"
            rows[rule] = (verdict, pattern.replace(r"\|", "|"), reason)
    return rows


def run_conform(build, tmp_path, lib):
    report = tmp_path / "conform.json"
    done = subprocess.run([str(build / "bin" / "shmlab-conform"), "--impl", str(lib), "--json", str(report)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200,
                          env=dict(os.environ, CI="1"), cwd=REPO)
    assert report.exists(), done.stdout + done.stderr
    return done, json.loads(report.read_text())


def said(run):
    return run.get("messages") or []


def table(rules, want):
    """The page's table: one row a rule, each strategy's outcome, the reason."""
    head = "| rule | lab | " + " | ".join(STRATEGIES) + " | verdict | what Boost does |"
    rows = [head, "|" + "---|" * (len(STRATEGIES) + 4)]
    for r in rules:
        verdict, _, reason = want[r["rule"]]
        outcomes = {run["strategy"]: run["outcome"] for run in r["runs"]}
        cells = ["varies" if verdict == "VARIES" else MARK[outcomes[s]] for s in STRATEGIES]
        rows.append(f"| {r['rule']} | {r['lab']} | " + " | ".join(cells) + f" | {verdict} | {reason} |")
    return "\n".join(rows)


def check_page(page, text):
    doc = page.read_text()
    assert BEGIN in doc and END in doc, f"{page}: no table markers {BEGIN} ... {END}"
    before, rest = doc.split(BEGIN, 1)
    now = rest.split(END, 1)[0].strip()
    if os.environ.get("SHMLAB_UPDATE_DOCS"):
        page.write_text(f"{before}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}")
        return
    assert now == text, (f"{page.relative_to(REPO)}'s table is not this run's: rerun with SHMLAB_UPDATE_DOCS=1 "
                         f"to rewrite it, and review the change.\nthis run:\n{text}")


def test_boost_interprocess(pytestconfig, tmp_path):
    build = pytestconfig.shmlab.build
    lib = build / "lib" / "libshmlab-boost.so"
    if not lib.exists():
        pytest.skip(f"{lib.name} is not built: it needs g++ and Boost (Debian: apt-get install g++ libboost-dev), "
                    "then cmake again")
    want = expected(REPO / "conformance" / "adapters" / "boost" / "expected.txt")
    done, report = run_conform(build, tmp_path, lib)
    out = done.stdout + done.stderr
    got = {r["rule"]: r for r in report["rules"]}
    assert set(got) == set(want), f"rules the suite ran and expected.txt lists differ: {set(got) ^ set(want)}"
    wrong = []
    for rule, (verdict, pattern, _) in want.items():
        r = got[rule]
        if verdict == "VARIES":
            continue
        if r["verdict"] != verdict:
            wrong.append(f"{rule}: expected {verdict}, the suite says {r['verdict']}: "
                         + "; ".join(m for run in r["runs"] for m in said(run))[:300])
        elif verdict == "FAIL" and not any(re.search(pattern, m) for run in r["runs"] for m in said(run)):
            wrong.append(f"{rule}: failed, but not as expected.txt says ({pattern}): "
                         + "; ".join(m for run in r["runs"] for m in said(run))[:300])
    assert not wrong, "Boost.Interprocess under the contract changed:\n  " + "\n  ".join(wrong) + "\n" + out[-3000:]
    # A run in which nothing ran measured nothing.
    assert any(run["outcome"] == "pass" for r in report["rules"] for run in r["runs"]), out
    check_page(REPO / "docs" / "boost-interprocess.md", table(report["rules"], want))
