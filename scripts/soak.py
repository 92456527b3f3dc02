#!/usr/bin/env python3
"""Soak: N consecutive harness runs over a seeded mix of scenarios and
strategies, then a count of everything they could have left behind.

    scripts/soak.py BUILD_DIR [--runs N] [--seed K] [--only PREFIX]

Each run is `shmlab-harness run S --procs P --strategy T --seed X --json`,
with S drawn from every lesson and contract scenario (the self-tests left
out; with --only, those whose names start with PREFIX), and its result must be what the scenario predicts for that strategy
(the harness judges that, --expect). Counted after the last run, not
assumed: hangs (a worker HUNG), runs that went otherwise than predicted,
harness errors, /dev/shm/shmlab-* names, SysV objects of this user, zombie
children, and this process's open descriptors, each against before. Only
what the soak's own runs made counts (a name's or an object's pid is one of
their harnesses or workers; a queue nobody used yet, which has no pid, by
its owner), so tests running beside it (ctest -j) are not blamed. Prints
the counts and the seed; exits 1 if any count is not zero.
"""
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile

STRATEGIES = ["distinct", "double", "fork", "same", "kernel"]


# /proc/sysvipc/<table>: the columns of the owner's uid and of the pids
# that made or last used an object (none for semaphores).
SYSV_COLUMNS = {"msg": (7, (5, 6)), "shm": (7, (4, 5)), "sem": (4, ())}


def sysv_ids():
    """{(table, id): pids} of this user's System V objects."""
    ids = {}
    for table, (uid, pids) in SYSV_COLUMNS.items():
        try:
            lines = pathlib.Path(f"/proc/sysvipc/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 8 and int(cols[uid]) == os.getuid():
                ids[(table, int(cols[1]))] = {int(cols[c]) for c in pids} - {0}
    return ids


def made_by(pids, after, before):
    """What is in after and not in before, and was made by one of pids: a
    /dev/shm name by its pid (shmlab-<pid>-...), a SysV object by the pids
    the kernel keeps of it, or, when it keeps none yet, by being new."""
    shm = {n for n in after["shm"] - before["shm"] if n.split("-")[1].isdigit() and int(n.split("-")[1]) in pids}
    sysv = {k for k, users in after["sysv"].items() if k not in before["sysv"] and (not users or users & pids)}
    return shm, sysv


def state():
    shm = {n for n in os.listdir("/dev/shm") if n.startswith("shmlab-")}
    zombies = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            zombies += 1
    return {"shm": shm, "sysv": sysv_ids(), "zombies": zombies, "fds": len(os.listdir("/proc/self/fd"))}


def main(argv):
    build = pathlib.Path(argv[1]) if len(argv) > 1 else pathlib.Path("build")
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 1000
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else random.SystemRandom().randrange(1 << 32)
    harness = str(build / "bin" / "shmlab-harness")
    rng = random.Random(seed)
    table = json.loads(subprocess.run([harness, "list", "--json"], capture_output=True, text=True,
                                      check=True).stdout)
    only = argv[argv.index("--only") + 1] if "--only" in argv else ""
    # An exercise (lab 01's record) passes or fails as the learner's answer does.
    scenarios = [s for s in table if not s["selftest"] and not s.get("exercise") and s["name"].startswith(only)]
    before, ours = state(), set()
    counts = {"hung": 0, "unexpected": 0, "harness errors": 0}
    env = dict(os.environ, NO_COLOR="1")
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp, "run.json")
        for k in range(runs):
            s = rng.choice(scenarios)
            strategy, procs, run_seed = rng.choice(STRATEGIES), rng.choice([2, 3, 4]), rng.randrange(1 << 32)
            cmd = [harness, "run", s["name"], "--procs", str(procs), "--strategy", strategy,
                   "--seed", str(run_seed), "--expect", "--json", str(out), "--quiet"]
            if out.exists():
                out.unlink()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            ours.add(proc.pid)
            try:
                proc.stderr_text = proc.communicate(timeout=120)[1]
            except subprocess.TimeoutExpired:       # the harness's own bound failed: kill it, say so
                proc.kill()
                proc.stderr_text = "the harness did not end within 120 s; killed. " + proc.communicate()[1]
            if proc.returncode == 77:
                continue                # the scenario cannot run here, and says so
            report = json.loads(out.read_text()) if out.exists() else {}
            expected = report.get("expected")
            workers = report.get("workers") or []
            ours |= {w["pid"] for w in workers if w.get("pid")}
            hung = any(w.get("outcome") == "HUNG" for w in workers)
            counts["hung"] += hung
            counts["harness errors"] += proc.returncode == 2
            ok = proc.returncode == 0       # --expect: the harness judged it as predicted
            if not ok or hung:
                counts["unexpected"] += not ok
                print(f"soak: run {k + 1}: {' '.join(cmd[1:-3])} exited {proc.returncode}, "
                      f"expected {expected}: {(report.get('problem') or proc.stderr_text.strip())[:300]}")
            if (k + 1) % 100 == 0:
                print(f"soak: {k + 1} of {runs} runs", flush=True)
    after = state()
    shm, sysv = made_by(ours, after, before)
    counts["shm names"], counts["SysV ids"] = len(shm), len(sysv)
    for name in sorted(shm):
        print(f"soak: left behind: /dev/shm/{name}")
    for table, ident in sorted(sysv):
        print(f"soak: left behind: System V {table} id {ident}")
    counts["zombies"] = after["zombies"]
    counts["fds"] = after["fds"] - before["fds"]
    print(f"soak: {runs} runs, seed {seed}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print(f"soak: replay with: scripts/soak.py {build} --runs {runs} --seed {seed}" + (f" --only {only}" if only else ""))
    return 1 if any(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
