"""shmlab-conform (scripts/conform.py), the suite without CTest, must give the
verdicts the pytest suite gives: on the reference every rule holds (as
test_contract.py requires), on the learner's untouched starter none does (as
CI requires of the starter), and on a mutant the rule its header names
fails (as test_mutants.py requires) while the reference passes the same
runs. A rule the machine cannot run is skipped by both, never counted.
Each run's JSON and JUnit files are read back, so what a user's CI consumes
is what is checked. And README's worked example runs as printed."""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO

pytestmark = pytest.mark.conform
MUTANT = "relptr-unchecked"     # caught by 03-contract-self-relative (its header)


@pytest.fixture(scope="module")
def build(pytestconfig):
    b = pytestconfig.shmlab.build
    if not os.access(b / "bin" / "shmlab-conform", os.X_OK):
        pytest.fail(f"{b}/bin/shmlab-conform is not there: CMake writes it when it configures")
    return b


def conform(build, tmp_path, impl, *args):
    """shmlab-conform as a user's CI runs it: (status, output, JSON, JUnit root)."""
    js, junit = tmp_path / "conform.json", tmp_path / "conform.xml"
    env = dict(os.environ, CI="1")
    env.pop("SHMLAB_SEED", None)
    done = subprocess.run([str(build / "bin" / "shmlab-conform"), "--impl", str(impl), "--json", str(js),
                           "--junit", str(junit), *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=900, env=env, cwd=REPO)
    out = done.stdout + done.stderr
    assert js.exists() and junit.exists(), out
    return done.returncode, out, json.loads(js.read_text()), ET.parse(junit).getroot()


def verdicts(report):
    return {r["rule"]: r["verdict"] for r in report["rules"]}


def contract_rules(scenarios):
    return {m["rule"] for m in scenarios.values() if m["contract"]}


def test_reference_holds_every_rule(build, scenarios, tmp_path):
    status, out, report, junit = conform(build, tmp_path, build / "lib" / "libshmlab.so")
    got = verdicts(report)
    assert set(got) == contract_rules(scenarios), "every contract rule, once"
    assert [r for r, v in got.items() if v == "FAIL"] == [], out
    assert status == 0, out
    assert junit.get("failures") == "0" and int(junit.get("tests")) == sum(len(r["runs"]) for r in report["rules"])


def test_starter_holds_no_rule(build, tmp_path):
    status, out, report, junit = conform(build, tmp_path, build / "lib" / "libshmlab-learner.so")
    got = verdicts(report)
    assert [r for r, v in got.items() if v == "OK"] == [], out
    assert "FAIL" in got.values() and status == 1, out
    failed = [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert len(failed) == int(junit.get("failures")) > 0
    assert all("does not hold" in c.find("failure").get("message") for c in failed)


def test_mutant_fails_the_rule_its_header_names(build, scenarios, tmp_path):
    header = (REPO / "conformance" / "mutants" / f"{MUTANT}.c").read_text()
    scenario = next(l.split(":", 1)[1].strip() for l in header.splitlines() if l.startswith("// Caught by:"))
    rule = scenarios[scenario]["rule"]
    status, out, report, _ = conform(build, tmp_path, build / "mutants" / f"libmutant-{MUTANT}.so", "--rule", rule)
    assert (status, verdicts(report)) == (1, {rule: "FAIL"}), out
    assert f"{rule} (lab " in out and "replay:" in out, "the failure explains itself"
    seed = report["seed"]
    status, out, report, _ = conform(build, tmp_path, build / "lib" / "libshmlab.so", "--rule", rule,
                                     "--seed", str(seed))
    assert (status, verdicts(report)) == (0, {rule: "OK"}), "the reference passes the same runs: " + out


def test_unknown_rule_is_a_usage_error(build, tmp_path):
    done = subprocess.run([str(build / "bin" / "shmlab-conform"), "--impl", str(build / "lib" / "libshmlab.so"),
                           "--rule", "no-such-rule"], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 2 and "no contract rule no-such-rule" in done.stderr


def test_readme_red_to_green(build, tmp_path):
    """README's worked example, as printed: a library built outside the tree
    with plain cc, the starters first (no rule holds), then the reference's
    sources (every rule holds), each shmlab-conform line saying what its
    comment says."""
    text = (REPO / "README.md").read_text()
    block = re.search(r"From red to\s+green.*?```sh\n(.*?)```", text, re.S).group(1)
    for line in block.replace("\\\n", " ").splitlines():
        command, _, claim = line.partition("#")
        command = command.replace("/tmp/mine", str(tmp_path)).replace("build/bin/", f"{build}/bin/")
        done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=900, cwd=REPO,
                              stdin=subprocess.DEVNULL, env=dict(os.environ, CI="1"))
        out = done.stdout + done.stderr
        if "shmlab-conform" not in command:
            assert done.returncode == 0, f"{line}\n{out}"
            continue
        held = re.match(r"\s*(\d+ of \d+)", claim).group(1)
        assert f"{held} rules hold" in out, f"README says {held} for: {line}\n{out[-2000:]}"
        assert done.returncode == (0 if held.split(" of ")[0] == held.split(" of ")[1] else 1), out[-2000:]
