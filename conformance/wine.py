"""The one Wine session of a pytest session, and the one way to find Wine.

Lab 01's Windows readers (tests marked win64) and the Win32 harness
(test_win32.py) both run under Wine's 64-bit loader: $SHMLAB_WINE (CTest
sets it), else the one CMake found (cmake/wine.cmake), which
conformance/CMakeLists.txt writes to <build>/wine.json; never Debian's
`wine`, which starts the 32-bit loader whenever wine32 is installed. The
prefix is the harness's: $WINEPREFIX, else <build>/win32/prefix. A
wineserver that runs already (CTest's win32.setup) is used as it is; one
started here is ended when the session ends. Nothing starts in a session
that asks for no Wine.
"""
import json
import os
import subprocess

import pytest

from leftovers import _read, reap_children


def wine_tools(build):
    """(loader, server): Wine's 64-bit loader and its wineserver, as CMake found them."""
    found = json.loads(_read(build / "wine.json") or "{}")
    return os.environ.get("SHMLAB_WINE") or found.get("wine64") or "", found.get("wineserver") or ""


class Wine:
    """A Wine session: its loader, server and environment (headless, Wine's
    own errors only, so a run that ends before the harness said anything
    still says why in its stderr)."""

    def __init__(self, build):
        self.build = build
        self.loader, self.server = wine_tools(build)
        self.env = dict(os.environ, WINEDEBUG="-all,err+all", SHMLAB_WINE=self.loader)
        self.env.setdefault("WINEPREFIX", str(build / "win32" / "prefix"))
        for name in ("DISPLAY", "WAYLAND_DISPLAY"):
            self.env.pop(name, None)
        self.started = False

    def server_call(self, *args):
        # Never a pipe: a server started here lives on and would hold it open.
        return subprocess.run([self.server, *args], env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60).returncode

    def start(self):
        """Starts a wineserver unless CTest's runs (SHMLAB_WIN32=1) or one is there already."""
        if self.server and os.environ.get("SHMLAB_WIN32") != "1" and (self.build / "win32" / "bin").is_dir():
            self.started = self.server_call("-p") == 0
            # The harness's probe boots the prefix and Wine's services, once, outside any run.
            subprocess.run([str(self.build / "bin" / "shmlab-harness"), "machine"], env=self.env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)

    def stop(self):
        if self.started:
            self.server_call("-k")
            self.server_call("-w")
        reap_children()             # Wine's processes were pytest's, its child subreaper


@pytest.fixture(scope="session")
def wine_session(pytestconfig):
    """The session's one Wine session (a Wine)."""
    session = Wine(pytestconfig.shmlab.build)
    session.start()
    yield session
    session.stop()
