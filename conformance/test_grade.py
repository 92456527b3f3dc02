"""The learner's grading command, `./tour check` and `./tour watch`
(scripts/grade.py), run as a learner runs it, against real libraries: the
reference must be all green, the untouched starter all red, a library
without a feature set "skipped", never green; and every contract rule the
harness lists must have its hints (labs/NN-topic/hints.md), so that the
hints cannot drift from the rules. Every wait is bounded; watch mode is
driven by a handshake on its output, not by sleeping."""
import os
import re
import select
import shutil
import subprocess
import sys
import time

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
import grade  # noqa: E402 (its hint parser: the test reads hints as the command does)

pytestmark = pytest.mark.grade
TOUR = REPO / "tour"


def tour(*args, build, timeout=300):
    """./tour ARGS, as in CI: plain output, no colour; (status, output)."""
    env = dict(os.environ, CI="1")
    env.pop("SHMLAB_SEED", None)
    done = subprocess.run([str(TOUR), *args, "--build-dir", str(build)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    return done.returncode, done.stdout + done.stderr


def rows(output):
    """{rule: verdict word} of the table's rule lines."""
    return dict(re.findall(r"^  ([a-z0-9-]+) \.{3,} (OK|FAIL|skipped)\b", output, re.M))


def contract_rules(scenarios):
    """{lab: {rule}} of the contract scenarios the harness lists."""
    rules = {}
    for m in scenarios.values():
        if m["contract"]:
            rules.setdefault(m["lab"], set()).add(m["rule"])
    return rules


@pytest.fixture(scope="module")
def build(pytestconfig):
    b = pytestconfig.shmlab.build
    if not os.access(b / "bin" / "shmlab-harness", os.X_OK):
        pytest.skip(f"{b} is not built")
    return b


# ---------------------------------------------------------------- hints

def test_hints_every_contract_rule_has_graded_hints(scenarios):
    dirs = grade.lab_dirs()
    for lab, rules in contract_rules(scenarios).items():
        assert lab in dirs, f"contract rules of lab {lab} ({', '.join(sorted(rules))}), but no labs/{lab}-* directory"
        for rule in sorted(rules):
            levels = grade.hints(dirs[lab], rule)
            assert 2 <= len(levels) <= 3, \
                f"{dirs[lab].name}/hints.md: `## {rule}` needs 2 or 3 numbered hints, has {len(levels)}"


def test_hints_every_section_names_a_contract_rule_of_its_lab(scenarios):
    rules = contract_rules(scenarios)
    for lab, where in grade.lab_dirs().items():
        text = (where / "hints.md").read_text() if (where / "hints.md").exists() else ""
        assert "```" not in text, f"{where.name}/hints.md shows code: a hint points the way, never gives the answer"
        for section in grade.hint_sections(where):
            assert section in rules.get(lab, ()), \
                f"{where.name}/hints.md: `## {section}` is not a contract rule of lab {lab} in the harness's list " \
                f"({', '.join(sorted(rules.get(lab, ()))) or 'none'})"


# ---------------------------------------------------------------- check

def test_check_all_against_the_reference_is_all_green(build, scenarios):
    status, out = tour("check", "all", "--impl", str(build / "lib" / "libshmlab.so"), build=build)
    every = set().union(*contract_rules(scenarios).values())
    assert status == 0, out
    assert rows(out) == {rule: "OK" for rule in every}, out
    assert f"Score: {len(every)}/{len(every)} rules" in out, out
    assert "not yet" not in out and "failed under" not in out, out
    assert "\x1b" not in out, "colour in CI: " + out


def test_check_03_against_the_starter_fails_every_rule_and_says_why(build, scenarios):
    status, out = tour("check", "03", "--impl", str(build / "lib" / "libshmlab-learner.so"), build=build)
    graded = set().union(*(r for lab, r in contract_rules(scenarios).items() if lab <= "03"))
    assert status == 1, out
    assert rows(out) == {rule: "FAIL" for rule in graded}, out
    for lab in ("04", "05", "06"):
        assert re.search(rf"^lab {lab} .* not yet \(", out, re.M), f"lab {lab} is not 'not yet':\n{out}"
    first = re.search(r"^(\S+) \(lab \d+\) failed under (\w+), seed (\d+):\n(.*?)^replay: ([^\n]*)$", out, re.M | re.S)
    assert first, "no first failure shown:\n" + out
    assert re.search(r"^  worker 0 .*: FAIL\n {6}\S", first.group(4), re.M), "no worker message:\n" + out
    assert re.search(r"^read: +labs/\S+README\.md#", first.group(4), re.M), "no handout section:\n" + out
    assert "--hint" in out[first.end():], out
    # The replay line replays that run: the same failure.
    replay = subprocess.run(first.group(5), shell=True, cwd=REPO, capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, NO_COLOR="1"))
    assert replay.returncode == 1 and "FAIL" in replay.stdout, replay.stdout + replay.stderr


def test_check_hint_shows_the_failing_rules_hints_one_level_at_a_time(build):
    status, out = tour("check", "02", "--impl", str(build / "lib" / "libshmlab-learner.so"), "--hint", "2",
                       build=build)
    assert status == 1, out
    rule, lab = re.search(r"^(\S+) \(lab (\d+)\) failed under", out, re.M).groups()
    levels = grade.hints(grade.lab_dirs()[lab], rule)
    assert len(levels) >= 2, f"rule {rule} of lab {lab} has fewer than two hints"
    shown = " ".join(out.split())
    assert levels[0] in shown and levels[1] in shown, out
    assert len(levels) < 3 or levels[2] not in shown, "--hint 2 showed the third hint:\n" + out
    assert "hint 1 of" in out and "hint 2 of" in out, out


def test_check_hint_before_the_lab_number_reads_the_number_as_the_lab(build):
    status, out = tour("check", "--hint", "01", "--impl", str(build / "lib" / "libshmlab-learner.so"), build=build)
    assert status == 1, out
    assert re.search(r"^lab 02 .* not yet \(", out, re.M), "01 was not read as the lab:\n" + out
    assert "hint 1 of" in out and "hint 2 of" not in out, out


def test_check_a_rule_whose_feature_set_is_not_declared_is_skipped_not_passed(build):
    # The independent implementation declares no optional feature set.
    status, out = tour("check", "04", "--impl", str(build / "lib" / "libshmlab-independent.so"), build=build)
    assert status == 1, "a skipped rule must not count as held:\n" + out
    skipped = re.findall(r"^  (handle-\S+) \.{3,} skipped: (.*)$", out, re.M)
    assert skipped and all("handles" in reason for _, reason in skipped), out
    assert not re.search(r"^  handle-\S+ \.{3,} OK", out, re.M), out


@pytest.mark.parametrize("args", [["check", "99"], ["check", "xx"], ["check", "02", "--hint", "-1"],
                                  ["check", "02", "--impl", "no-such-library.so"], ["frobnicate"]])
def test_usage_errors_exit_2(build, args):
    status, out = tour(*args, build=build, timeout=60)
    assert status == 2, out


def test_check_without_a_built_harness_exits_2(tmp_path):
    status, out = tour("check", "02", "--no-build", build=tmp_path, timeout=60)
    assert status == 2 and "not built" in out, out


# ---------------------------------------------------------------- watch

class Lines:
    """A child's output, read line by line, every wait bounded."""

    def __init__(self, proc):
        self.proc, self.seen, self.buffer = proc, [], b""

    def until(self, pattern, timeout_s):
        deadline = time.monotonic() + timeout_s
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                self.seen.append(line.decode(errors="replace"))
                if re.search(pattern, self.seen[-1]):
                    return self.seen[-1]
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise AssertionError(f"no line matching {pattern!r} within {timeout_s} s:\n" + "\n".join(self.seen))
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"output ended before {pattern!r}:\n" + "\n".join(self.seen))
            self.buffer += chunk


def test_watch_regrades_within_a_second_of_a_save(build, tmp_path):
    # A labs directory of its own, so the test touches none of the tree's files.
    exercise = tmp_path / "labs" / "02-raw-pointers" / "exercise.c"
    exercise.parent.mkdir(parents=True)
    shutil.copy(REPO / "labs" / "02-raw-pointers" / "exercise.c", exercise)
    cmd = [str(TOUR), "watch", "02", "--impl", str(build / "lib" / "libshmlab-learner.so"), "--build-dir", str(build),
           "--watch-root", str(tmp_path / "labs"), "--max-rounds", "2"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, CI="1"), cwd=REPO)
    try:
        out = Lines(proc)
        out.until(r"^waiting for a change", 120)
        stat = exercise.stat()
        saved = time.monotonic()
        os.utime(exercise, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        line = out.until(r"^regrading: ", 10)
        waited = time.monotonic() - saved
        assert "exercise.c changed" in line, line
        assert waited < 1.0, f"regraded {waited:.2f} s after the save; it must be within a second"
        out.until(r"^Score: 0/\d+ rules", 120)
        assert proc.wait(timeout=60) == 1, "\n".join(out.seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
