"""The implementation under test: which library a --impl or SHMLAB_IMPL
value names, and what `shmlab-harness impl` says of it. The harness loads
and describes it; this only finds the file and words the answer."""
import os
import pathlib


def resolve_impl(text, build, cwd=None, shell_cwd=None):
    """The library a --impl or SHMLAB_IMPL value names. A relative path is
    taken from where the command was typed ($PWD: CTest runs each test in a
    directory of its own), else the working directory, else beside the build;
    the first that holds the file wins, else the first (the harness then says
    why it cannot load it)."""
    path = pathlib.Path(text)
    if path.is_absolute():
        return path
    bases = [pathlib.Path(b) for b in (shell_cwd, cwd or os.getcwd()) if b] + [pathlib.Path(build).parent]
    return next(((b / path).resolve() for b in bases if (b / path).exists()), (bases[0] / path).absolute())


class Impl:
    """The implementation under test as `shmlab-harness impl` describes it:
    path, contract version (e.g. 102), feature set names, or why it cannot
    be loaded (then every contract test fails with the harness's reason)."""

    def __init__(self, path, version=None, features=(), error=None):
        self.path, self.version, self.features, self.error = str(path), version, list(features), error

    @property
    def version_text(self):
        return f"{self.version // 100}.{self.version % 100}" if isinstance(self.version, int) else "?"

    def describe(self):
        if self.error:
            return f"{self.path} (cannot be loaded: {self.error}; every contract test will fail)"
        return f"{self.path} (contract {self.version_text}, optional features: {', '.join(self.features) or 'none'})"
