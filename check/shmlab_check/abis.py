"""The ABIs shmlab-check compares, and how each turns a source into DWARF.

Every layout question is answered by the compiler of the ABI itself: a header
is compiled once per ABI with -g, and the debug information says where each
member went. Nothing here knows a layout rule; it only finds compilers and
runs them. mingw-w64 writes PE/COFF objects, which pyelftools cannot read, so
their object is copied into an ELF file by the toolchain's own objcopy: the
DWARF sections come across byte for byte.
"""
import os
import shutil
import subprocess
import tempfile

HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".H")
CXX_SUFFIXES = (".cc", ".cpp", ".cxx", ".C", ".hh", ".hpp", ".hxx", ".H")


class Abi:
    def __init__(self, name, model, cc, cxx, objcopy, package):
        self.name = name        # as --abi names it
        self.model = model      # LP64, ILP32 or LLP64
        self.cc = cc            # command list of the C compiler
        self.cxx = cxx
        self.objcopy = objcopy  # (program, ELF target) for a PE/COFF toolchain
        self.package = package  # the Debian package that brings the compiler
        self.windows = objcopy is not None


ABIS = [
    Abi("x86_64-linux", "LP64", ["gcc"], ["g++"], None, "gcc, g++"),
    Abi("i386-linux", "ILP32", ["gcc", "-m32"], ["g++", "-m32"], None, "gcc-multilib, g++-multilib"),
    Abi("win64", "LLP64", ["x86_64-w64-mingw32-gcc"], ["x86_64-w64-mingw32-g++"],
        ("x86_64-w64-mingw32-objcopy", "elf64-x86-64"), "gcc-mingw-w64-x86-64, g++-mingw-w64-x86-64"),
    Abi("win32", "ILP32", ["i686-w64-mingw32-gcc"], ["i686-w64-mingw32-g++"],
        ("i686-w64-mingw32-objcopy", "elf32-i386"), "gcc-mingw-w64-i686, g++-mingw-w64-i686"),
]
BY_NAME = {a.name: a for a in ABIS}

# -fno-eliminate-unused-debug-types: a header declares types and uses none
# of them. -femit-class-debug-always: a C++ class with virtual functions is
# otherwise described only where its vtable is emitted.
DEBUG_FLAGS = ["-g", "-fno-eliminate-unused-debug-types", "-w", "-c"]
CXX_DEBUG_FLAGS = ["-femit-class-debug-always"]


def language_of(path, forced):
    if forced:
        return forced
    return "c++" if path.endswith(CXX_SUFFIXES) else "c"


def missing_tool(abi, lang):
    """The reason this ABI cannot compile LANG here, or None."""
    compiler = (abi.cxx if lang == "c++" else abi.cc)[0]
    for tool in [compiler] + ([abi.objcopy[0]] if abi.objcopy else []):
        if not shutil.which(tool):
            return f"{tool} not found (Debian: apt-get install {abi.package})"
    return None


class BuildError(Exception):
    pass


def compile_to_elf(abi, source, lang, cflags, workdir):
    """Compiles SOURCE (a header or a .c/.cpp) for ABI into an ELF object with
    DWARF and returns its path; BuildError with the compiler's first lines."""
    compiler = abi.cxx if lang == "c++" else abi.cc
    unit = os.path.join(workdir, f"{abi.name}.{'cpp' if lang == 'c++' else 'c'}")
    # The header is included by the name it was given, found through
    # -iquote ., so the compiler's messages name it as the user did.
    extra = []
    if source.endswith(HEADER_SUFFIXES):
        with open(unit, "w") as f:
            f.write(f'#include "{source}"\n')
        extra = ["-iquote", "."] if not os.path.isabs(source) else []
    else:
        unit = source
    obj = os.path.join(workdir, f"{abi.name}.o")
    cmd = compiler + ["-x", lang] + DEBUG_FLAGS + (CXX_DEBUG_FLAGS if lang == "c++" else []) \
        + extra + cflags + [unit, "-o", obj]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise BuildError(first_error(run.stderr) or f"{compiler[0]} exited with {run.returncode}")
    return to_elf(abi, obj, workdir)


def to_elf(abi, obj, workdir):
    if not abi.objcopy:
        return obj
    elf = os.path.join(workdir, f"{abi.name}.elf")
    tool, target = abi.objcopy
    run = subprocess.run([tool, "-O", target, obj, elf], capture_output=True, text=True)
    if run.returncode != 0:
        raise BuildError(f"{tool}: " + (run.stderr.strip().splitlines() or ["failed"])[0])
    return elf


def first_error(stderr):
    lines = [l for l in stderr.splitlines() if "error" in l or "fatal" in l]
    return (lines or stderr.strip().splitlines() or [""])[0].strip()


def object_abi(path):
    """The ABI of a built object or executable, read from its header, or None."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:4] == b"\x7fELF":
        machine = int.from_bytes(head[18:20], "little")
        return {62: "x86_64-linux", 3: "i386-linux"}.get(machine)
    if head[:2] == b"MZ":
        with open(path, "rb") as f:
            f.seek(int.from_bytes(head[60:64], "little") + 4)
            machine = int.from_bytes(f.read(2), "little")
    else:
        machine = int.from_bytes(head[:2], "little")      # a COFF object
    return {0x8664: "win64", 0x14C: "win32"}.get(machine)


def is_object(path):
    with open(path, "rb") as f:
        head = f.read(4)
    return head[:4] == b"\x7fELF" or head[:2] == b"MZ" or head[:2] in (b"\x64\x86", b"\x4c\x01")


def scratch():
    return tempfile.TemporaryDirectory(prefix="shmlab-check-")
