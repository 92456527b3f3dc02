"""The rules: what in a layout may not live in memory shared between processes.

Each finding has a class, and each class names the lab section that teaches
it, so a report is also a reading list. A class is an error (it fails the
check) or a note (it is reported, and the check passes): a window handle is
a note, because lab 05 shows that an HWND does cross processes, within
limits worth reading. --allow and --fail-on move a class between the two.

Findings are computed on each ABI's layout, then merged: one finding for a
member, with the ABIs it holds on, rather than one per ABI.
"""
from .layout import KERNEL_HANDLES, USER_HANDLES, GDI_HANDLES, PTHREAD_SHARED

LAB01 = "labs/01-values-and-structs/README.md"
CLASSES = {
    # class: (default severity, where it is taught, what the reader should know)
    "pointer": ("error", "labs/02-raw-pointers/README.md#pointers-into-the-region",
                "an address means nothing in another process, which maps the region elsewhere; "
                "store an offset from the region's base"),
    "function-pointer": ("error", "labs/06-functions/README.md#what-goes-wrong",
                         "code sits at a different address in every executable and every run; "
                         "store a kind tag and dispatch in each process"),
    "vtable": ("error", "labs/06-functions/README.md#hidden-pointers",
               "a class with virtual functions carries a hidden pointer to its program's vtable"),
    "virtual-base": ("error", "labs/06-functions/README.md#hidden-pointers",
                     "a virtual base is found through the object's vtable pointer"),
    "handle": ("error", "labs/04-handles/README.md#a-handle-value-in-another-process",
               "a handle is an index into one process's handle table; duplicate it into the other process "
               "(DuplicateHandle) and share the value it gets there"),
    "window-handle": ("note", "labs/05-global-names/README.md#on-windows-hwnd",
                      "a window handle names a server-side object and works in every process of the session "
                      "and desktop; only its low 32 bits count, so store it as a uint32_t"),
    "gdi-handle": ("error", "labs/05-global-names/README.md#gdi-handles-do-not-travel",
                   "handles to GDI objects are private to a process"),
    "process-local": ("error", "labs/07-locks/README.md#what-goes-wrong-in-process-locks-in-the-region",
                      "it holds state of one process (addresses, a thread id or handles of its own)"),
    "pthread-object": ("note", "labs/07-locks/README.md#the-fix-a-process-shared-lock",
                       "it works between processes only if it was initialised process-shared "
                       "(PTHREAD_PROCESS_SHARED), and its size is the C library's and the ABI's"),
    "abi-type": ("error", f"{LAB01}#why",
                 "its size is the ABI's choice, so processes of two ABIs disagree on it and on what follows; "
                 "use a fixed-width type (uint32_t, int64_t, uint8_t for a flag), or share it between "
                 "processes of one ABI only"),
    "abi-layout": ("error", f"{LAB01}#what-goes-wrong",
                   "processes of these ABIs read the same bytes as different structs"),
    "padding": ("error", f"{LAB01}#where-the-rule-ends",
                "bytes no member covers: nobody writes them, so they leak old memory and break memcmp; "
                "name them as a field"),
    "bit-field": ("error", f"{LAB01}#where-the-rule-ends",
                  "the order and packing of bit-fields are the implementation's (C11 6.7.2.1); "
                  "use an integer and masks"),
    "enum": ("error", f"{LAB01}#where-the-rule-ends",
             "an enum's size is the compiler's choice (C11 6.7.2.2); store its value in a fixed-width integer"),
    "atomic": ("error", "labs/07-locks/README.md#atomics-that-are-not-address-free",
               "only a lock-free, aligned atomic is atomic between processes; the others take a lock "
               "that each process keeps for itself (libatomic)"),
}
LAB_OF_NAMED = {"HHOOK": "labs/05-global-names/README.md#hhook",
                "pthread_t": "labs/04-handles/README.md#a-number-in-someone-elses-table"}


class Finding:
    def __init__(self, cls, path, detail, abis, offsets=None, read=None):
        self.cls, self.path, self.detail, self.abis = cls, path, detail, abis
        self.offsets = offsets or {}            # abi -> offset in the shared type
        self.severity = CLASSES[cls][0]
        self.read = read or CLASSES[cls][1]
        self.why = CLASSES[cls][2]


def named_class(typedef):
    if typedef in KERNEL_HANDLES:
        return "handle"
    if typedef in USER_HANDLES:
        return "window-handle"
    if typedef in GDI_HANDLES:
        return "gdi-handle"
    if typedef in PTHREAD_SHARED:
        return "pthread-object"
    return "process-local"


def row_findings(row):
    """(class, detail) for what ROW itself is, on one ABI."""
    if row.kind in ("pointer", "function-pointer", "vtable", "virtual-base"):
        yield row.kind, row.type
    elif row.kind == "named":
        yield named_class(row.typedef), row.typedef
    elif row.kind == "bit-field":
        yield "bit-field", f"{row.type} : {row.bits[1]}"
    elif row.kind == "enum" and row.note != "fixed":
        yield "enum", row.type
    if row.atomic:
        if row.size not in (1, 2, 4, 8):
            yield "atomic", f"a {row.size}-byte atomic is not lock-free"
        elif row.offset % row.size:
            yield "atomic", f"a {row.size}-byte atomic at offset {row.offset} is not aligned to {row.size}"


def per_abi(layouts):
    """{(class, path, detail): {abi: offset}} over every ABI's layout."""
    found = {}
    for abi, lay in layouts.items():
        for row in lay.rows:
            for cls, detail in row_findings(row):
                found.setdefault((cls, row.path, detail), {})[abi] = row.offset
        for prefix, offset, size, where in lay.holes:
            after = [r.path for r in lay.rows if r.path.startswith(prefix) and r.offset + r.size == offset
                     and "." not in r.path[len(prefix):].replace("[i]", "")]
            place = "at the end" if where == "tail" else (f"after {after[-1]}" if after else "")
            detail = f"{size} byte{'s' * (size != 1)} {place}".strip()
            inside = f" in {prefix.rstrip('.')}" if prefix else ""
            found.setdefault(("padding", "", detail + inside), {})[abi] = offset
    return found


def abi_type_findings(layouts):
    sizes, spelled = {}, {}
    for abi, lay in layouts.items():
        for row in lay.rows:
            if row.kind in ("scalar", "enum", "bit-field") or row.typedef in PTHREAD_SHARED:
                sizes.setdefault(row.path, {})[abi] = (row.size, row.type)
                if row.base:
                    spelled[row.path] = row.base
    for path, by_abi in sizes.items():
        distinct = {s for s, _ in by_abi.values()}
        if len(distinct) > 1:
            groups = group({abi: s for abi, (s, _) in by_abi.items()})
            shown = next(t for _, t in by_abi.values())
            yield Finding("abi-type", path, f"{shown}: {on(groups, ' bytes')}", list(by_abi))
        elif path in spelled:
            n = distinct.pop()
            yield Finding("abi-type", path, f"{spelled[path]}: {n} byte{'s' * (n != 1)} on every ABI checked here, "
                          "but the size is each ABI's to choose", list(by_abi))


def abi_layout_finding(layouts):
    if len(layouts) < 2:
        return None
    parts = []
    # Alignment alone is left out: a struct whose size and offsets agree is
    # read alike wherever it is placed at a multiple of its largest
    # alignment (i386 aligns a struct of uint64_t to 4; lab 01's fix is one).
    # Where a differing alignment moves it inside another struct, that
    # struct's offsets differ, and are reported there.
    sizes = {abi: l.size for abi, l in layouts.items()}
    if len(set(sizes.values())) > 1:
        parts.append(f"size {on(group(sizes))}")
    offsets = {}
    for abi, lay in layouts.items():
        for row in lay.rows:
            offsets.setdefault(row.path, {})[abi] = row.offset
    moved = [p for p, o in offsets.items() if len(set(o.values())) > 1]
    if moved:
        parts.append(f"{len(moved)} member{'s' * (len(moved) != 1)} at different offsets ({', '.join(moved[:6])}"
                     + (", ..." if len(moved) > 6 else "") + ")")
    if not parts:
        return None
    return Finding("abi-layout", "", "; ".join(parts), list(layouts))


def on(groups, unit=""):
    """"56 on x86_64-linux, 40 on i386-linux/win32" from group()'s output."""
    return ", ".join(f"{v}{unit} on {'/'.join(a)}" for v, a in groups)


def group(values):
    """[(value, [abi, ...])] in the order values first appear."""
    out = {}
    for abi, v in values.items():
        out.setdefault(v, []).append(abi)
    return list(out.items())


def findings(layouts):
    out = []
    layout_diff = abi_layout_finding(layouts)
    if layout_diff:
        out.append(layout_diff)
    for (cls, path, detail), offsets in per_abi(layouts).items():
        named = detail if cls in ("window-handle", "process-local") else None
        out.append(Finding(cls, path, detail, list(offsets), offsets, LAB_OF_NAMED.get(named)))
    out.extend(abi_type_findings(layouts))
    return out


def apply_policy(found, allow, fail_on):
    for f in found:
        if f.cls in allow:
            f.severity = "allowed"
        elif f.cls in fail_on:
            f.severity = "error"
    return found
