#!/usr/bin/env python3
"""Runs a command with a /dev/shm of a given size, and reports its peak use.

    scripts/small-shm.py [--size 64m] [--interval-ms 5] -- COMMAND [ARGS...]

Why: a container gives /dev/shm a size of its own (Docker: 64 MiB), and a
suite that creates regions side by side must fit in it. This runs COMMAND in
a private mount namespace (unshare(1): `-m` as root, `-Urm` otherwise) with
a fresh tmpfs of SIZE on /dev/shm, so the machine's own /dev/shm is neither
used nor touched, and samples the mount's use (statvfs) every few
milliseconds. It prints the peak, when it happened and the largest objects
then, and exits with COMMAND's status, or 77 (skipped) where no mount
namespace can be made, saying why.

The sampler can miss a peak shorter than its interval; the regions of this
suite live for a whole harness run (tens of milliseconds at least), so a
5 ms interval sees them.
"""
import argparse
import os
import shutil
import subprocess
import sys
import threading
import time

INSIDE = "SHMLAB_SMALL_SHM_INSIDE"
SHM = "/dev/shm"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", default="64m", help="the tmpfs size, as mount(8) takes it (default 64m)")
    p.add_argument("--interval-ms", type=float, default=5.0, help="sampling interval (default 5)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = p.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        p.error("no command given: scripts/small-shm.py --size 64m -- ctest --test-dir build -j8")
    return args


def enter_namespace(argv):
    """Re-runs this script in a private mount namespace; returns its status."""
    unshare = shutil.which("unshare")
    if unshare is None:
        print("small-shm: SKIP: unshare(1) is not installed (Debian: util-linux)", file=sys.stderr)
        return 77
    flags = ["-m"] if os.geteuid() == 0 else ["-Urm"]
    env = dict(os.environ, **{INSIDE: "1"})
    probe = subprocess.run([unshare, *flags, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"small-shm: SKIP: cannot make a mount namespace (unshare {' '.join(flags)}: "
              f"{probe.stderr.strip()}): run as root, or allow unprivileged user namespaces "
              "(sysctl kernel.unprivileged_userns_clone=1)", file=sys.stderr)
        return 77
    return subprocess.run([unshare, *flags, sys.executable, os.path.abspath(__file__), *argv],
                          env=env).returncode


def used_bytes():
    st = os.statvfs(SHM)
    return (st.f_blocks - st.f_bfree) * st.f_frsize, st.f_blocks * st.f_frsize


def largest_objects(n=4):
    found = []
    for entry in os.scandir(SHM):
        try:
            found.append((entry.stat(follow_symlinks=False).st_blocks * 512, entry.name))
        except OSError:
            pass            # removed while we looked
    return sorted(found, reverse=True)[:n]


class Sampler(threading.Thread):
    def __init__(self, interval):
        super().__init__(daemon=True)
        self.interval, self.done = interval, threading.Event()
        self.peak, self.peak_at, self.at_peak, self.start_time = 0, 0.0, [], time.monotonic()

    def run(self):
        while not self.done.wait(self.interval):
            used, _ = used_bytes()
            if used > self.peak:
                self.peak, self.peak_at = used, time.monotonic() - self.start_time
                self.at_peak = largest_objects()


def mib(n):
    return f"{n / 2**20:.1f} MiB"


def inside(args):
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size},mode=1777", "tmpfs", SHM], check=True)
    sampler = Sampler(args.interval_ms / 1000)
    sampler.start()
    status = subprocess.run(args.command).returncode
    sampler.done.set()
    sampler.join()
    _, total = used_bytes()
    objects = ", ".join(f"{name} {mib(size)}" for size, name in sampler.at_peak) or "none left to name"
    print(f"small-shm: peak /dev/shm use {mib(sampler.peak)} of {mib(total)}, "
          f"{sampler.peak_at:.0f} s in (largest then: {objects}); command exited {status}")
    return status


def main(argv):
    args = parse_args(argv)
    return inside(args) if os.environ.get(INSIDE) else enter_namespace(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
