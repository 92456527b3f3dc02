#!/usr/bin/env python3
"""bench.quick: runs `shmlab-bench --quick --json FILE` and checks that it
exits 0 and that FILE is JSON with the keys docs/performance.md documents.
It checks no timing: benchmarks are never pass/fail."""
import json
import subprocess
import sys

bench, out = sys.argv[1], sys.argv[2]
proc = subprocess.run([bench, "--quick", "--json", out], timeout=110)
if proc.returncode != 0:
    sys.exit(f"shmlab-bench --quick exited {proc.returncode}")
with open(out) as f:
    data = json.load(f)
problems = []
for key in ("machine", "chase", "alloc", "ipc", "harness"):
    if key not in data:
        problems.append(f"no '{key}'")
for c in data.get("chase", []):
    if not isinstance(c.get("raw_ns_per_hop"), (int, float)):
        problems.append(f"chase {c.get('nodes')}: no raw_ns_per_hop")
    for k in ("offset", "offset_checked", "self_relative", "boost_offset_ptr"):
        if k not in c.get("ratio", {}):
            problems.append(f"chase {c.get('nodes')}: no ratio.{k}")
if [a.get("procs") for a in data.get("alloc", [])] != [1, 2, 4]:
    problems.append("alloc is not for 1, 2 and 4 processes")
for a in data.get("alloc", []):
    for k in ("shmlab_mops", "boost_mops", "malloc_mops"):
        if k not in a:
            problems.append(f"alloc {a.get('procs')}: no {k}")
    if not isinstance(a.get("shmlab_mops"), (int, float)):
        problems.append(f"alloc {a.get('procs')}: the reference's allocator was not measured")
for p in problems:
    print(p, file=sys.stderr)
print(json.dumps(data, indent=1)[:3000])
sys.exit(1 if problems else 0)
