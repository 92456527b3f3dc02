"""The corpus (check/tests/corpus/): headers with known answers, one concept
each, and the tool's errors. Every expectation is computed from the ABIs the
tool checked on this machine (run.checked()), so a test stays exact where a
cross compiler or multilib is missing; what needs an ABI that cannot build
here skips, naming the Debian package that would bring it."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import CHECKER, CORPUS, SOURCE

BITS = {"x86_64-linux": 64, "i386-linux": 32, "win64": 64, "win32": 32}
LINUX = ("x86_64-linux", "i386-linux")
WINDOWS = ("win64", "win32")


# What each ABI needs here, as scripts/install-deps installs it.
PACKAGES = {"x86_64-linux": "gcc, g++", "i386-linux": "gcc-multilib, g++-multilib",
            "win64": "gcc-mingw-w64-x86-64, g++-mingw-w64-x86-64", "win32": "gcc-mingw-w64-i686, g++-mingw-w64-i686"}
# Headers of nothing but the standard includes the corpus uses, per language.
PROBES = {"c": ("probe.h", "#include <stdint.h>\nstruct probe { uint32_t a; };\n"),
          "c++": ("probe.hpp", "#include <atomic>\n#include <string>\n#include <stdint.h>\n"
                  "struct probe { uint32_t a; };\n")}


@pytest.fixture(scope="module", autouse=True)
def unusable(tmp_path_factory):
    """{language: {abi: why}}: the ABIs that cannot build even a probe of
    standard includes here: a compiler missing, or present without its
    headers (gcc -m32 without gcc-multilib). A corpus header may fail to
    build on those ABIs only. Without pyelftools, every test skips."""
    out = {}
    for lang, (name, text) in PROBES.items():
        path = tmp_path_factory.mktemp("probe") / name
        path.write_text(text)
        proc = subprocess.run([CHECKER, "--json", str(path), "--type", "struct probe"], capture_output=True,
                              text=True, cwd=SOURCE, timeout=300)
        if not proc.stdout.startswith("{"):
            pytest.skip(f"shmlab-check cannot run here: {proc.stderr.strip()}")
        out[lang] = {a["name"]: a["reason"] + ("" if a["status"] == "missing" else f" (Debian: {PACKAGES[a['name']]})")
                     for a in json.loads(proc.stdout)["abis"] if a["status"] != "checked"}
    return out


def corpus(name):
    return os.path.join(CORPUS, name)


def language(path):
    return "c++" if path.endswith(".hpp") else "c"


@pytest.fixture
def ccheck(check, unusable):
    """check() for a corpus header: it must build on every ABI usable here."""
    def run(*args):
        result = check(*args)
        assert result.json is not None, result.err
        result.unusable = unusable[language(args[0])]
        failed = {a["name"]: a["reason"] for a in result.json["abis"] if a["status"] == "failed"}
        assert set(failed) <= set(result.unusable), failed
        assert "x86_64-linux" in result.checked(), result.json["abis"]
        return result
    return run


def reason(run, abi):
    return next(a["reason"] for a in run.json["abis"] if a["name"] == abi)


def need(run, abis):
    """The ABIs of ABIS checked in RUN; skips, saying why and which Debian
    package would bring them, when none of them is."""
    here = [a for a in abis if a in run.checked()]
    if not here:
        pytest.skip("; ".join(f"{a} not checked here: {run.unusable[a]}" for a in abis))
    return here


def need_usable(unusable, lang, abi):
    if abi in unusable[lang]:
        pytest.skip(f"{abi} not usable here: {unusable[lang][abi]}")


def mixed(abis):
    """True if ABIS hold both a 32-bit and a 64-bit ABI: pointers change size."""
    return len({BITS[a] for a in abis}) > 1


def finding(run, name, cls):
    """The one finding of class CLS of type NAME."""
    found = [f for f in run.type(name)["findings"] if f["class"] == cls]
    assert len(found) == 1, found
    return found[0]


def members(run, name, abi):
    return {m["path"]: m for m in run.type(name)["layouts"][abi]["members"]}


def by_bits(abis, b64, b32):
    return {a: b64 if BITS[a] == 64 else b32 for a in abis}


def layout_if(abis):
    """abi-layout is expected exactly where pointer-sized members meet ABIs of both widths."""
    return ["abi-layout"] if mixed(abis) else []


# --- the corpus ---------------------------------------------------------


def test_pointer_in_nested_array_of_structs(ccheck):
    run = ccheck(corpus("nested_pointer.h"))          # marked
    abis = run.checked()
    assert run.rc == 1
    assert [t["name"] for t in run.json["types"]] == ["struct table"]
    assert run.classes("struct table", "error") == sorted(["pointer"] + layout_if(abis))
    assert run.classes("struct table", "note") == []
    f = finding(run, "struct table", "pointer")
    assert f["member"] == "rows[i].entries[i].label"
    assert f["detail"] == "const char *"
    assert f["offsets"] == {a: 24 for a in abis}
    assert {a: l["size"] for a, l in run.type("struct table")["layouts"].items()} == by_bits(abis, 128, 104)
    for a in abis:
        label = members(run, "struct table", a)["rows[i].entries[i].label"]
        assert (label["offset"], label["size"], label["kind"]) == (24, BITS[a] // 8, "pointer")
    if mixed(abis):
        assert finding(run, "struct table", "abi-layout")["detail"].startswith("size 128 on ")


def test_union_holding_a_pointer(ccheck):
    run = ccheck(corpus("union_pointer.h"), "--type", "struct tagged")
    abis = run.checked()
    assert run.rc == 1
    # a union of 8-byte members stays 8 bytes on 32-bit ABIs: nothing moves
    assert run.classes("struct tagged", "error") == ["pointer"]
    f = finding(run, "struct tagged", "pointer")
    assert (f["member"], f["detail"], f["offsets"]) == ("v.p", "void *", {a: 8 for a in abis})
    for a in abis:
        m = members(run, "struct tagged", a)
        assert (m["v"]["offset"], m["v"]["size"], m["v.u"]["offset"], m["v.p"]["offset"]) == (8, 8, 8, 8)
        assert run.type("struct tagged")["layouts"][a]["size"] == 16


def test_function_pointer_typedef(ccheck):
    run = ccheck(corpus("function_pointer.h"), "--type", "struct callbacks")
    abis = run.checked()
    assert run.rc == 1
    assert run.classes("struct callbacks", "error") == sorted(["function-pointer"] + layout_if(abis))
    f = finding(run, "struct callbacks", "function-pointer")
    assert (f["member"], f["detail"], f["offsets"]) == ("on_event", "handler_fn", {a: 8 for a in abis})
    assert {a: l["size"] for a, l in run.type("struct callbacks")["layouts"].items()} == by_bits(abis, 16, 12)


def test_cxx_vtable(ccheck):
    run = ccheck(corpus("vtable.hpp"), "--type", "Shape")
    abis = run.checked()
    assert run.rc == 1
    assert run.classes("Shape", "error") == sorted(["vtable"] + layout_if(abis))
    f = finding(run, "Shape", "vtable")
    assert (f["member"], f["offsets"]) == ("_vptr.Shape", {a: 0 for a in abis})
    # the hidden pointer pushes the members the source shows
    assert {a: members(run, "Shape", a)["sides"]["offset"] for a in abis} == by_bits(abis, 8, 4)
    assert {a: members(run, "Shape", a)["colour"]["offset"] for a in abis} == by_bits(abis, 12, 8)
    if mixed(abis):
        assert "2 members at different offsets (sides, colour)" in finding(run, "Shape", "abi-layout")["detail"]


def test_cxx_virtual_base(ccheck):
    run = ccheck(corpus("virtual_base.hpp"), "--type", "Node")
    abis = run.checked()
    assert run.rc == 1
    assert run.classes("Node", "error") == sorted(["virtual-base", "vtable"] + layout_if(abis))
    f = finding(run, "Node", "virtual-base")
    # where a virtual base sits is decided at run time: the finding is at the
    # start of the object that reaches it
    assert (f["member"], f["detail"], f["offsets"]) == ("struct Counted (virtual base)", "struct Counted",
                                                        {a: 0 for a in abis})
    assert finding(run, "Node", "vtable")["member"] == "_vptr.Node"
    assert {a: members(run, "Node", a)["id"]["offset"] for a in abis} == by_bits(abis, 8, 4)


def test_cxx_std_string_hides_a_heap_pointer(ccheck):
    run = ccheck(corpus("std_string.hpp"), "--type", "Person")
    abis = run.checked()
    assert run.rc == 1
    # libstdc++'s basic_string (the C++11 ABI, gcc 5 on; mingw-w64's too):
    # _M_dataplus._M_p, then size_type _M_string_length, then a union
    sized = ["name._M_string_length", "name.<anonymous>._M_allocated_capacity"]
    expected = ["pointer"] + (["abi-layout", "abi-type", "abi-type"] if mixed(abis) else [])
    assert run.classes("Person", "error") == sorted(expected)
    f = finding(run, "Person", "pointer")
    assert (f["member"], f["offsets"]) == ("name._M_dataplus._M_p", {a: 8 for a in abis})
    if mixed(abis):
        found = sorted(f["member"] for f in run.type("Person")["findings"] if f["class"] == "abi-type")
        assert found == sorted(sized)
    assert {a: l["size"] for a, l in run.type("Person")["layouts"].items()} == by_bits(abis, 40, 32)


def test_win32_handles(ccheck):
    run = ccheck(corpus("win32_handles.h"))          # marked, inside #ifdef _WIN32
    win = need(run, WINDOWS)
    assert run.rc == 1
    slot = run.type("struct window_slot")
    assert slot["missing"] == [a for a in LINUX if a in run.checked()]
    assert sorted(slot["layouts"]) == sorted(win)
    assert run.classes("struct window_slot", "error") == sorted(["gdi-handle", "handle"] + layout_if(win))
    assert run.classes("struct window_slot", "note") == ["window-handle", "window-handle"]
    got = {f["member"]: (f["class"], f["detail"], f["offsets"]) for f in slot["findings"] if f["member"]}
    assert got == {
        "window": ("window-handle", "HWND", by_bits(win, 0, 0)),
        "event": ("handle", "HANDLE", by_bits(win, 8, 4)),
        "background": ("gdi-handle", "HBRUSH", by_bits(win, 16, 8)),
        "hook": ("window-handle", "HHOOK", by_bits(win, 24, 12)),
    }
    reads = {f["member"]: f["read"] for f in slot["findings"] if f["class"] == "window-handle"}
    assert reads == {"window": "labs/05-global-names/README.md#on-windows-hwnd",
                     "hook": "labs/05-global-names/README.md#hhook"}
    # a window handle alone is a note: nothing but the ABIs' sizes is an error
    assert run.classes("struct hwnd_only", "error") == layout_if(win)
    assert run.classes("struct hwnd_only", "note") == ["window-handle"]


def test_bit_fields(ccheck):
    run = ccheck(corpus("bitfield.h"), "--type", "struct status_word")
    abis = run.checked()
    assert run.rc == 1
    assert run.classes("struct status_word", "error") == ["bit-field"] * 3
    got = {f["member"]: (f["detail"], f["offsets"]) for f in run.type("struct status_word")["findings"]}
    assert got == {"ready": ("uint32_t : 1", {a: 0 for a in abis}),
                   "mode": ("uint32_t : 3", {a: 0 for a in abis}),
                   "count": ("uint32_t : 28", {a: 0 for a in abis})}
    for a in abis:
        m = members(run, "struct status_word", a)
        assert [m[p]["bits"] for p in ("ready", "mode", "count")] == [[0, 1], [1, 3], [4, 28]]
        assert run.type("struct status_word")["layouts"][a]["padding"] == []


def test_atomics(ccheck):
    run = ccheck(corpus("atomics.h"))                # marked, three types
    abis = run.checked()
    assert run.rc == 1
    assert [t["name"] for t in run.json["types"]] == ["struct big_atomic", "struct packed_atomic", "struct counter"]
    assert run.classes("struct big_atomic") == ["atomic"]
    f = finding(run, "struct big_atomic", "atomic")
    assert (f["member"], f["detail"], f["offsets"]) == ("value", "a 24-byte atomic is not lock-free",
                                                        {a: 0 for a in abis})
    assert run.classes("struct packed_atomic") == ["atomic"]
    f = finding(run, "struct packed_atomic", "atomic")
    assert (f["member"], f["detail"], f["offsets"]) == (
        "count", "a 8-byte atomic at offset 1 is not aligned to 8", {a: 1 for a in abis})
    assert {a: (l["size"], l["align"]) for a, l in run.type("struct packed_atomic")["layouts"].items()} == \
        {a: (9, 1) for a in abis}
    assert run.classes("struct counter") == []
    assert run.type("struct counter")["clean"] is True


def test_long_lp64_against_llp64(ccheck):
    run = ccheck(corpus("long_lp64.h"), "--type", "struct sample")
    abis = run.checked()
    assert run.rc == 1
    sizes = {a: 8 if a == "x86_64-linux" else 4 for a in abis}
    assert {a: l["size"] for a, l in run.type("struct sample")["layouts"].items()} == sizes
    # abi-type even on one ABI: long is spelled, and its size is the ABI's
    differs = len(set(sizes.values())) > 1
    assert run.classes("struct sample", "error") == (["abi-layout"] if differs else []) + ["abi-type"]
    f = finding(run, "struct sample", "abi-type")
    assert f["member"] == "value"
    order = [a["name"] for a in run.json["abis"] if a["status"] == "checked" and a["name"] != "x86_64-linux"]
    assert f["detail"] == (f"long int: 8 bytes on x86_64-linux, 4 bytes on {'/'.join(order)}" if differs
                           else "long int: 8 bytes on the ABIs checked here, other sizes elsewhere")
    need(run, ["win64"])                  # the point of the case: LP64 and LLP64 both 64-bit
    assert (sizes["x86_64-linux"], sizes["win64"]) == (8, 4)


def test_hole_before_uint64(ccheck):
    run = ccheck(corpus("hole_u64.h"))               # marked
    abis = run.checked()
    holed = [a for a in abis if a != "i386-linux"]
    assert run.rc == 1
    expected = (["padding"] if holed else []) + (["abi-layout"] if "i386-linux" in abis and holed else [])
    assert run.classes("struct stamped", "error") == sorted(expected)
    lay = run.type("struct stamped")["layouts"]
    for a in abis:
        b = members(run, "struct stamped", a)["b"]["offset"]
        hole = [{"in": "", "offset": 4, "size": 4, "where": "hole"}] if a in holed else []
        assert (b, lay[a]["size"], lay[a]["padding"]) == ((4, 12, []) if a == "i386-linux" else (8, 16, hole))
    # the alignment each compiler gave the marked type: i386 Linux's 4 alone
    assert {a: lay[a]["align"] for a in abis} == {a: 4 if a == "i386-linux" else 8 for a in abis}
    if holed:
        f = finding(run, "struct stamped", "padding")
        assert (f["detail"], f["offsets"], sorted(f["abis"])) == ("4 bytes after a", {a: 4 for a in holed}, holed)


def test_padding_hole_and_tail(ccheck):
    run = ccheck(corpus("padding.h"), "--type", "struct gap", "--type", "struct tail")
    abis = run.checked()
    assert run.rc == 1
    for name, detail, offset, where in (("struct gap", "3 bytes after flag", 1, "hole"),
                                        ("struct tail", "3 bytes at the end", 5, "tail")):
        assert run.classes(name, "error") == ["padding"]
        f = finding(run, name, "padding")
        assert (f["member"], f["detail"], f["offsets"]) == ("", detail, {a: offset for a in abis})
        for a in abis:
            assert run.type(name)["layouts"][a]["padding"] == [{"in": "", "offset": offset, "size": 3,
                                                                "where": where}]


def test_c_enum(ccheck):
    run = ccheck(corpus("c_enum.h"), "--type", "struct pixel")
    abis = run.checked()
    assert run.rc == 1
    assert run.classes("struct pixel") == ["enum"]
    f = finding(run, "struct pixel", "enum")
    assert (f["member"], f["detail"], f["offsets"]) == ("colour", "enum colour", {a: 0 for a in abis})


def test_cxx_enum_with_underlying_type(ccheck):
    run = ccheck(corpus("enum_class.hpp"), "--type", "Switch")
    abis = run.checked()
    assert (run.rc, run.classes("Switch"), run.type("Switch")["clean"]) == (0, [], True)
    for a in abis:
        m = members(run, "Switch", a)
        assert [(m[p]["offset"], m[p]["size"], m[p]["kind"]) for p in ("mode", "level")] == \
            [(0, 1, "enum"), (1, 1, "enum")]


@pytest.mark.xfail(strict=True, reason="DWARF says `enum E : unsigned char` as it says an unfixed enum "
                   "(only a typedef'd underlying type or enum class tells them apart)")
def test_cxx_enum_with_underlying_base_type(ccheck):
    run = ccheck(corpus("enum_class.hpp"), "--type", "Lamp")
    assert (run.rc, run.classes("Lamp")) == (0, [])


def test_pthread_mutex(ccheck):
    run = ccheck(corpus("pthread_mutex.h"), "--type", "struct locked_counter")
    linux = need(run, LINUX)
    name = "struct locked_counter"
    assert run.type(name)["missing"] == [a for a in WINDOWS if a in run.checked()]
    both = len(linux) == 2
    assert run.rc == (1 if both else 0)
    assert run.classes(name, "error") == (["abi-layout", "abi-type"] if both else [])
    assert run.classes(name, "note") == ["pthread-object"]
    f = finding(run, name, "pthread-object")
    assert (f["member"], f["detail"], f["offsets"]) == ("lock", "pthread_mutex_t", {a: 0 for a in linux})
    size = {"x86_64-linux": 40, "i386-linux": 24}
    assert {a: members(run, name, a)["lock"]["size"] for a in linux} == {a: size[a] for a in linux}
    assert {a: members(run, name, a)["count"]["offset"] for a in linux} == {a: size[a] for a in linux}
    if both:
        f = finding(run, name, "abi-type")
        assert (f["member"], f["detail"]) == ("lock", "pthread_mutex_t: 40 bytes on x86_64-linux, "
                                              "24 bytes on i386-linux")


def test_clean_struct_with_explicit_padding(ccheck):
    run = ccheck(corpus("clean_explicit.h"))         # marked
    abis = run.checked()
    assert (run.rc, run.classes("struct reading"), run.type("struct reading")["clean"]) == (0, [], True)
    offsets = [(0, 4), (4, 4), (8, 8), (16, 4), (20, 1)]
    for a in abis:
        lay = run.type("struct reading")["layouts"][a]
        assert (lay["size"], lay["padding"]) == (24, [])
        got = [(m["offset"], m["size"]) for m in lay["members"]]
        assert got == offsets
    run = ccheck(corpus("clean_explicit.h"), "--type", "struct name_tag")
    assert (run.rc, run.classes("struct name_tag")) == (0, [])
    assert {a: (l["size"], l["align"]) for a, l in run.type("struct name_tag")["layouts"].items()} == \
        {a: (12, 1) for a in abis}


def test_member_pointers(ccheck):
    run = ccheck(corpus("member_pointer.hpp"), "--type", "Dispatch")
    abis = run.checked()
    assert run.rc == 1
    expected = ["function-pointer"] + (["abi-layout", "abi-type"] if mixed(abis) else [])
    assert run.classes("Dispatch", "error") == sorted(expected)
    f = finding(run, "Dispatch", "function-pointer")
    assert (f["member"], f["offsets"]) == ("draw", {a: 0 for a in abis})
    for a in abis:
        m, word = members(run, "Dispatch", a), BITS[a] // 8
        assert [(m[p]["offset"], m[p]["size"]) for p in ("draw", "field")] == [(0, 2 * word), (2 * word, word)]
        lay = run.type("Dispatch")["layouts"][a]
        assert (lay["size"], lay["align"], lay["padding"]) == (3 * word, word, [])


ACCEPTANCE = ["atomic", "gdi-handle", "handle", "vtable"]


def test_acceptance_one_finding_of_each_class_on_win64(check, unusable):
    need_usable(unusable, "c++", "win64")
    run = check(corpus("acceptance.hpp"), "--abi", "win64")      # marked
    assert (run.rc, run.checked()) == (1, ["win64"]), run.err
    assert [t["name"] for t in run.json["types"]] == ["class Everything"]
    assert run.classes("class Everything", "error") == ACCEPTANCE
    assert run.classes("class Everything", "note") == ["window-handle"]
    got = {f["class"]: (f["member"], f["offsets"]) for f in run.type("class Everything")["findings"]}
    assert got == {"vtable": ("_vptr.Everything", {"win64": 0}), "window-handle": ("window", {"win64": 8}),
                   "handle": ("event", {"win64": 16}), "gdi-handle": ("brush", {"win64": 24}),
                   "atomic": ("triple", {"win64": 32})}
    assert finding(run, "class Everything", "atomic")["detail"] == "a 24-byte atomic is not lock-free"
    assert run.type("class Everything")["layouts"]["win64"]["size"] == 56


def test_acceptance_on_every_abi(ccheck):
    run = ccheck(corpus("acceptance.hpp"))
    win = need(run, WINDOWS)
    # the Linux ABIs build it and find no such type; the Windows ones add
    # only their disagreement over the handles' size
    assert run.type("class Everything")["missing"] == [a for a in LINUX if a in run.checked()]
    assert run.classes("class Everything", "error") == sorted(ACCEPTANCE + layout_if(win))
    assert run.classes("class Everything", "note") == ["window-handle"]
    assert finding(run, "class Everything", "atomic")["offsets"] == by_bits(win, 32, 16)


# --- the tool's errors --------------------------------------------------


def suggestions(err):
    return err.strip().split("names like it: ")[1].split(", ") if "names like it: " in err else []


def test_unknown_type_names_it_and_suggests(check):
    run = check(corpus("nested_pointer.h"), "--type", "struct tabel")
    assert (run.rc, run.json["status"], run.json["types"]) == (2, 2, [])
    assert "no type 'struct tabel'" in run.err
    near = suggestions(run.err)
    assert {"struct table", "table"} <= set(near), run.err
    assert len(near) == len(set(near)), run.err           # each once, though every ABI defines it
    run = check(corpus("nested_pointer.h"), "--type", "struct Table")
    assert run.rc == 2 and "struct table" in suggestions(run.err), run.err


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_header_that_builds_nowhere(check, tmp_path):
    path = write(tmp_path, "broken.h", "struct broken { undefined_t a; };\n")
    run = check(path, "--type", "struct broken")
    assert run.rc == 2
    statuses = {a["name"]: a["status"] for a in run.json["abis"]}
    assert statuses["x86_64-linux"] == "failed"
    assert set(statuses.values()) <= {"failed", "missing"}
    assert "undefined_t" in reason(run, "x86_64-linux")
    assert f"{path}: no ABI could compile it" in run.err


MMAN = ("#include <stdint.h>\n#include <sys/mman.h>\n"
        "struct mapping { uint64_t length; uint32_t prot; uint32_t flags; };\n")


def test_header_that_builds_on_linux_only(check, tmp_path, unusable):
    path = write(tmp_path, "mman.h", MMAN)
    run = check(path, "--type", "struct mapping")
    statuses = {a["name"]: a["status"] for a in run.json["abis"]}
    present = {a for a in statuses if a not in unusable["c"]}
    assert {a: statuses[a] for a in present} == {a: "failed" if a in WINDOWS else "checked" for a in present}
    for a in present & set(WINDOWS):
        assert "sys/mman.h" in reason(run, a)
    # an ABI that was not asked for and fails does not fail the check: the
    # struct is clean where it builds
    assert (run.rc, run.classes("struct mapping"), sorted(run.type("struct mapping")["layouts"])) == \
        (0, [], run.checked())
    if "win64" in present:                      # asked for, it does
        run = check(path, "--type", "struct mapping", "--abi", "x86_64-linux,win64")
        assert run.rc == 2 and run.checked() == ["x86_64-linux"]


def test_abi_asked_for_without_its_compiler(check, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("gcc", "g++", "as", "ld", "objcopy"):
        found = shutil.which(tool)
        if not found:
            pytest.skip(f"{tool} not found (Debian: binutils, gcc, g++)")
        os.symlink(found, bindir / tool)
    env = {"PATH": str(bindir)}
    run = check(corpus("clean_explicit.h"), "--abi", "win64", env=env, json_out=False)
    assert run.rc == 2
    assert "win64 was asked for with --abi and cannot be checked" in run.err
    assert "x86_64-w64-mingw32-gcc not found (Debian: apt-get install gcc-mingw-w64-x86-64" in run.err
    # "see the lines above" must be true when the two streams share a pipe
    merged = subprocess.run([CHECKER, corpus("clean_explicit.h"), "--abi", "win64"], cwd=SOURCE, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"} | env).stdout
    lines = merged.splitlines()
    assert [l.split(":")[0] for l in lines] == ["win64", "shmlab-check", "shmlab-check"], merged
    assert lines[-1].endswith("no ABI could compile it; see the lines above")
    run = check(corpus("clean_explicit.h"), "--abi", "x86_64-linux,win64", env=env)
    assert (run.rc, run.checked()) == (2, ["x86_64-linux"])
    assert "gcc-mingw-w64-x86-64" in reason(run, "win64")
    run = check(corpus("clean_explicit.h"), env=env)             # not asked for: checked where it can be
    assert run.rc == 0 and [a for a in run.checked() if a in WINDOWS] == []


def test_allow_padding(ccheck):
    run = ccheck(corpus("padding.h"), "--type", "struct gap", "--allow", "padding")
    assert run.rc == 0
    assert run.classes("struct gap", "allowed") == ["padding"]
    assert run.classes("struct gap", "error") == []
    assert run.type("struct gap")["clean"] is True


def test_fail_on_window_handle(check, unusable):
    need_usable(unusable, "c", "win64")
    args = [corpus("win32_handles.h"), "--type", "struct hwnd_only", "--abi", "win64"]
    run = check(*args)
    assert (run.rc, run.checked(), run.classes("struct hwnd_only", "note")) == (0, ["win64"], ["window-handle"])
    run = check(*args, "--fail-on", "window-handle")
    assert (run.rc, run.classes("struct hwnd_only", "error")) == (1, ["window-handle"])


@pytest.mark.parametrize("option, value, message", [
    ("--abi", "win128", "no ABI 'win128'; the ABIs are: x86_64-linux, i386-linux, win64, win32"),
    ("--allow", "pointers", "no finding class 'pointers'"),
])
def test_bad_option_value(check, option, value, message):
    run = check(corpus("clean_explicit.h"), option, value)
    assert (run.rc, run.out) == (2, "")
    assert message in run.err


def compile_object(tmp_path, compiler, header, flags=("-g", "-fno-eliminate-unused-debug-types")):
    cc = shutil.which(compiler)
    assert cc
    obj = str(tmp_path / "built.o")
    subprocess.run([cc, *flags, "-I", os.path.join(SOURCE, "reference", "include"), "-c", "-x", "c",
                    corpus(header), "-o", obj], check=True, capture_output=True)
    return obj


@pytest.mark.parametrize("compiler, abi", [("gcc", "x86_64-linux"), ("x86_64-w64-mingw32-gcc", "win64")])
def test_object_file_is_read_as_built(check, tmp_path, unusable, compiler, abi):
    need_usable(unusable, "c", abi)
    obj = compile_object(tmp_path, compiler, "hole_u64.h")
    run = check(obj, "--type", "struct stamped")
    assert [(a["name"], a["status"]) for a in run.json["abis"]] == [(abi, "checked")]
    # one ABI: the hole, and nothing to compare it with
    assert (run.rc, run.classes("struct stamped")) == (1, ["padding"])
    assert finding(run, "struct stamped", "padding")["offsets"] == {abi: 4}
    assert members(run, "struct stamped", abi)["b"]["offset"] == 8


def test_object_without_debug_information(check, tmp_path):
    obj = compile_object(tmp_path, "gcc", "hole_u64.h", flags=("-g0",))
    run = check(obj, "--type", "struct stamped")
    assert run.rc == 2 and "has no debug information" in run.err


def test_process_local(ccheck):
    run = ccheck(corpus("process_local.h"), "--type", "struct worker_slot")
    linux = need(run, LINUX)
    name = "struct worker_slot"
    both = len(linux) == 2
    assert run.rc == 1
    assert run.classes(name, "error") == sorted(["process-local", "process-local"] + (["abi-layout"] if both else []))
    found = {f["member"]: f["detail"] for f in run.type(name)["findings"] if f["class"] == "process-local"}
    assert found == {"thread": "pthread_t", "resume": "jmp_buf"}
