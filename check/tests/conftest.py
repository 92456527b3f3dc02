"""Fixtures for shmlab-check's tests: run the build's wrapper as a user does,
and read its JSON. The wrapper is the authority; these tests only ask it."""
import json
import os
import subprocess

import pytest

BUILD = os.environ.get("SHMLAB_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECKER = os.path.join(BUILD, "bin", "shmlab-check")
CORPUS = os.path.join(os.path.dirname(__file__), "corpus")


class Run:
    def __init__(self, proc):
        self.rc, self.out, self.err = proc.returncode, proc.stdout, proc.stderr
        self.json = json.loads(proc.stdout) if proc.stdout.startswith("{") else None

    def type(self, name):
        return next(t for t in self.json["types"] if t["name"] == name)

    def classes(self, name, severity=None):
        """The finding classes of type NAME, one per finding, sorted."""
        return sorted(f["class"] for f in self.type(name)["findings"]
                      if severity is None or f["severity"] == severity)

    def checked(self):
        return sorted({a["name"] for a in self.json["abis"] if a["status"] == "checked"})


@pytest.fixture
def check():
    def run(*args, env=None, json_out=True):
        cmd = [CHECKER] + (["--json"] if json_out else []) + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=SOURCE, timeout=300,
                              env=dict(os.environ, **(env or {})))
        return Run(proc)
    return run
