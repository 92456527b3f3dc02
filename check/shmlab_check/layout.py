"""Layouts read from DWARF: where every member of a shared type sits.

A Layout is one type on one ABI, flattened: a row for every member, nested
structs, unions and the first element of arrays included, each with its
offset from the start of the shared type, its size and what kind of thing it
is. The walk stops at what must not be looked into (a pointer, a handle, a
pthread object: their insides are the library's business) and records it as
one row. The rules that judge rows live in findings.py; nothing here judges.

Only top-level DIEs are parsed to find a name (siblings are skipped by
DW_AT_sibling), and only the DIEs a shared type reaches are parsed after
that: a header that includes windows.h has tens of thousands of DIEs.
"""
from elftools.elf.elffile import ELFFile

MARK = "shmlab_shared_type_"
MARK_ALIGN = "shmlab_shared_type_align_"

# Typedef names that say more than their definition: Win32 handles are
# pointers or integers, pthread objects are unions of bytes.
KERNEL_HANDLES = {"HANDLE", "mqd_t", "HKEY", "HGLOBAL", "HLOCAL", "HMODULE", "HINSTANCE", "SOCKET", "HFILE", "SC_HANDLE"}
USER_HANDLES = {"HWND", "HHOOK", "HMENU", "HACCEL", "HCURSOR", "HICON", "HWINEVENTHOOK", "HMONITOR"}
GDI_HANDLES = {"HBRUSH", "HPEN", "HFONT", "HBITMAP", "HDC", "HRGN", "HPALETTE", "HGDIOBJ", "HENHMETAFILE",
               "HMETAFILE", "HCOLORSPACE", "HGLRC"}
PROCESS_LOCAL = {"CRITICAL_SECTION", "RTL_CRITICAL_SECTION", "SRWLOCK", "RTL_SRWLOCK", "CONDITION_VARIABLE",
                 "RTL_CONDITION_VARIABLE", "pthread_t", "FILE", "DIR", "va_list", "__builtin_va_list", "jmp_buf"}
PTHREAD_SHARED = {"pthread_mutex_t", "pthread_cond_t", "pthread_rwlock_t", "pthread_barrier_t",
                  "pthread_spinlock_t", "sem_t"}
STOP_AT = KERNEL_HANDLES | USER_HANDLES | GDI_HANDLES | PROCESS_LOCAL | PTHREAD_SHARED


class Row:
    """One member: PATH at OFFSET, SIZE bytes, KIND (see walk), TYPE as C spells it."""
    def __init__(self, path, offset, size, kind, type_name, **facts):
        self.path, self.offset, self.size, self.kind, self.type = path, offset, size, kind, type_name
        self.typedef = facts.get("typedef")      # the name that classified a handle or lock
        self.bits = facts.get("bits")            # (bit offset, bit count) of a bit-field
        self.atomic = facts.get("atomic", False)
        self.align = facts.get("align")
        self.base = facts.get("base")            # the base type's or a typedef's name, for ABI-sized ones
        self.note = facts.get("note")


class Layout:
    def __init__(self, name, size, align, rows, holes, lang):
        self.name, self.size, self.align, self.rows, self.holes, self.lang = name, size, align, rows, holes, lang


def attr(die, name, default=None):
    a = die.attributes.get(name)
    return a.value if a is not None else default


def name_of(die):
    n = attr(die, "DW_AT_name")
    return n.decode() if isinstance(n, bytes) else n


def target(die):
    return die.get_DIE_from_attribute("DW_AT_type") if "DW_AT_type" in die.attributes else None


class Dwarf:
    """The named types of one ELF object: index first, layouts on demand."""

    def __init__(self, path, abi, from_coff=False):
        self.file = open(path, "rb")
        self.elf = ELFFile(self.file)
        if not self.elf.has_dwarf_info():
            raise ValueError(f"{path} has no debug information: build it with -g")
        self.abi = abi
        self.types = {}         # "struct foo", "foo", "ns::Foo" -> DIE
        self.marks = {}         # n -> (DIE, alignment or None)
        self.lang = "c"
        # A COFF object keeps each DWARF offset in place, with a section-
        # relative relocation; copied into ELF, those relocations would be
        # applied as RELA ones with no addend, and every offset would be lost.
        for cu in self.elf.get_dwarf_info(relocate_dwarf_sections=not from_coff).iter_CUs():
            top = cu.get_top_DIE()
            if attr(top, "DW_AT_language", 0) in (4, 0x1A, 0x21, 0x2B):   # C++ of any year
                self.lang = "c++"
            self._index(top, "")
        self._resolve_marks()

    def close(self):
        self.file.close()

    def _index(self, parent, scope):
        for die in parent.iter_children():
            tag, name = die.tag, name_of(die)
            if tag == "DW_TAG_namespace":
                self._index(die, f"{scope}{name}::" if name else scope)
                continue
            if not name or attr(die, "DW_AT_declaration"):
                continue
            keyword = {"DW_TAG_structure_type": "struct", "DW_TAG_class_type": "class",
                       "DW_TAG_union_type": "union", "DW_TAG_enumeration_type": "enum"}.get(tag)
            if keyword:
                self.types.setdefault(f"{keyword} {scope}{name}", die)
                self.types.setdefault(f"{scope}{name}", die)
            elif tag == "DW_TAG_typedef":
                if name.startswith(MARK):
                    self.marks.setdefault(name, die)
                self.types[f"{scope}{name}"] = die

    def _resolve_marks(self):
        marks = {}
        for name, die in self.marks.items():
            if name.startswith(MARK_ALIGN):
                continue
            n = name[len(MARK):]
            align_die = self.marks.get(MARK_ALIGN + n)
            marks[n] = (target(die), array_count(target(align_die)) if align_die is not None else None)
        self.marks = marks

    def marked(self):
        """The types marked with SHMLAB_SHARED_TYPE, as (name, DIE, alignment)."""
        out, seen = [], set()
        for n in sorted(self.marks, key=int):
            die, align = self.marks[n]
            if die.offset not in seen:
                seen.add(die.offset)
                out.append((type_name(die), die, align))
        return out

    def find(self, name):
        return self.types.get(" ".join(name.split()))

    def layout(self, name, die, align=None):
        rows, holes = [], []
        bare, typedefs, _ = strip(die)
        if typedefs and typedefs[-1] in STOP_AT:       # pthread_mutex_t itself, say
            leaf(self.abi, die, typedefs[-1], 0, rows, holes)
        else:
            walk(self.abi, die, "", 0, rows, holes)
        size = byte_size(die)
        return Layout(name, size, align or natural_align(self.abi, die), rows, holes, self.lang)


def strip(die, stop=True):
    """Follows typedefs and qualifiers; returns (DIE, typedef names outermost
    first, atomic?). With STOP, it stops at a typedef in STOP_AT and returns it."""
    typedefs, atomic = [], False
    while die is not None and die.tag in ("DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type",
                                          "DW_TAG_atomic_type", "DW_TAG_restrict_type"):
        if die.tag == "DW_TAG_typedef":
            typedefs.append(name_of(die))
            if stop and name_of(die) in STOP_AT:
                return die, typedefs, atomic
        atomic = atomic or die.tag == "DW_TAG_atomic_type"
        die = target(die)
    return die, typedefs, atomic


def array_count(die):
    count = 1
    for sub in die.iter_children():
        if sub.tag != "DW_TAG_subrange_type":
            continue
        if "DW_AT_count" in sub.attributes:
            n = attr(sub, "DW_AT_count")
        elif "DW_AT_upper_bound" in sub.attributes:
            n = attr(sub, "DW_AT_upper_bound") + 1
        else:
            return 0                                 # a flexible array member
        count *= n if isinstance(n, int) else 0
    return count


def byte_size(die):
    while die is not None:
        if "DW_AT_byte_size" in die.attributes:
            return attr(die, "DW_AT_byte_size")
        if die.tag == "DW_TAG_array_type":
            return array_count(die) * byte_size(target(die))
        if die.tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type", "DW_TAG_rvalue_reference_type"):
            return die.cu.structs.address_size
        if die.tag == "DW_TAG_ptr_to_member_type":
            return member_pointer_size(die)
        die = target(die)
    return 0


def member_pointer_size(die):
    """A pointer to member has no DW_AT_byte_size, and its DW_AT_type is the
    member's type, not its own: in the Itanium C++ ABI (gcc and mingw-w64
    alike) it is one ptrdiff_t, or two (address, this-adjustment) for a
    member function."""
    inner = target(die)
    words = 2 if inner is not None and inner.tag == "DW_TAG_subroutine_type" else 1
    return words * die.cu.structs.address_size


def type_name(die):
    """The type as C spells it, near enough for a report."""
    if die is None:
        return "void"
    tag, name = die.tag, name_of(die)
    if tag == "DW_TAG_typedef" or tag == "DW_TAG_base_type":
        return name
    keyword = {"DW_TAG_structure_type": "struct ", "DW_TAG_union_type": "union ", "DW_TAG_class_type": "class ",
               "DW_TAG_enumeration_type": "enum "}.get(tag)
    if keyword is not None:
        return keyword + (name or "<anonymous>")
    if tag in ("DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_atomic_type"):
        word = {"DW_TAG_const_type": "const", "DW_TAG_volatile_type": "volatile", "DW_TAG_atomic_type": "_Atomic"}[tag]
        return f"{word} {type_name(target(die))}"
    if tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type", "DW_TAG_rvalue_reference_type"):
        inner = target(die)
        if inner is not None and inner.tag == "DW_TAG_subroutine_type":
            return f"{type_name(target(inner))} (*)(...)"
        return type_name(inner) + {"DW_TAG_pointer_type": " *", "DW_TAG_reference_type": " &"}.get(tag, " &&")
    if tag == "DW_TAG_array_type":
        return f"{type_name(target(die))}[{array_count(die)}]"
    if tag == "DW_TAG_ptr_to_member_type":
        return "pointer to member"
    return name or tag[7:].lower()


def natural_align(abi, die):
    """The alignment of DIE on ABI. DWARF records it only where the source
    asked for one (DW_AT_alignment); otherwise the ABI's rule for scalars,
    and the largest member's for aggregates."""
    explicit = attr(die, "DW_AT_alignment")
    bare, _, atomic = strip(die, stop=False)
    if bare is None:
        return 1
    explicit = explicit or attr(bare, "DW_AT_alignment")
    if bare.tag in ("DW_TAG_structure_type", "DW_TAG_class_type", "DW_TAG_union_type"):
        inner = [natural_align(abi, target(m)) if "DW_AT_alignment" not in m.attributes else attr(m, "DW_AT_alignment")
                 for m in bare.iter_children() if m.tag in ("DW_TAG_member", "DW_TAG_inheritance")
                 and not attr(m, "DW_AT_external") and not attr(m, "DW_AT_declaration")]
        return max([explicit or 1] + inner)
    if bare.tag == "DW_TAG_array_type":
        return max(explicit or 1, natural_align(abi, target(bare)))
    if bare.tag == "DW_TAG_ptr_to_member_type":
        return max(explicit or 1, bare.cu.structs.address_size)     # one or two ptrdiff_t
    size = byte_size(bare)
    if atomic and size in (1, 2, 4, 8, 16):
        return max(explicit or 1, size)
    # i386 Linux aligns 8-byte scalars (long long, double) and long double
    # to 4 inside a struct; every other ABI here aligns a scalar to its size.
    cap = 4 if abi == "i386-linux" else 16
    scalar = min(size, cap) if size in (1, 2, 4, 8, 16) else 4
    return max(explicit or 1, scalar)


AGGREGATES = ("DW_TAG_structure_type", "DW_TAG_class_type", "DW_TAG_union_type")


def walk(abi, die, path, offset, rows, holes):
    """Appends a row for each member of the aggregate DIE (at OFFSET in the
    shared type) and its nested members; appends (path, offset, size, where)
    to HOLES for each run of bytes no member covers."""
    bare, _, _ = strip(die)
    covered, virtual_base = [], False
    for m in bare.iter_children():
        if m.tag == "DW_TAG_inheritance":
            base = target(m)
            where = attr(m, "DW_AT_data_member_location", 0)
            if attr(m, "DW_AT_virtuality") or not isinstance(where, int):
                virtual_base = True
                rows.append(Row(f"{path}{type_name(base)} (virtual base)", offset, byte_size(base),
                                "virtual-base", type_name(base)))
                continue
            sub = f"{path}{name_of(base)}::"
            walk(abi, base, sub, offset + where, rows, holes)
            covered.append((where, byte_size(base)))
            continue
        if m.tag != "DW_TAG_member" or attr(m, "DW_AT_external") or attr(m, "DW_AT_declaration"):
            continue
        where = attr(m, "DW_AT_data_member_location", 0)
        if not isinstance(where, int):
            continue
        name = name_of(m) or "<anonymous>"
        member_path = f"{path}{name}"
        bits = member_bits(m, where)
        if bits:
            rows.append(Row(member_path, offset + bits[0] // 8, byte_size(target(m)), "bit-field",
                            type_name(target(m)), bits=bits))
            covered.append((bits[0] // 8, (bits[0] % 8 + bits[1] + 7) // 8))
            continue
        size = byte_size(target(m))
        covered.append((where, size))
        if attr(m, "DW_AT_artificial") and name.startswith("_vptr"):
            rows.append(Row(member_path, offset + where, size, "vtable", "vtable pointer"))
            continue
        leaf(abi, target(m), member_path, offset + where, rows, holes, attr(m, "DW_AT_alignment"))
    if not virtual_base:
        holes.extend((path, offset + o, n, w) for o, n, w in uncovered(covered, byte_size(bare)))


def member_bits(m, where):
    if "DW_AT_bit_size" not in m.attributes:
        return None
    if "DW_AT_data_bit_offset" in m.attributes:
        return attr(m, "DW_AT_data_bit_offset"), attr(m, "DW_AT_bit_size")
    # DWARF 2/3: DW_AT_bit_offset counts from the storage unit's high bit
    unit = attr(m, "DW_AT_byte_size", 4)
    start = unit * 8 - attr(m, "DW_AT_bit_offset", 0) - attr(m, "DW_AT_bit_size")
    return where * 8 + start, attr(m, "DW_AT_bit_size")


def uncovered(covered, size):
    """Runs of bytes in [0, size) that no (offset, size) covers, as (offset, size, "hole" or "tail")."""
    out, at = [], 0
    for o, n in sorted(covered):
        if o > at:
            out.append((at, o - at, "hole"))
        at = max(at, o + n)
    if size > at and covered:
        out.append((at, size - at, "tail"))
    return out


def leaf(abi, die, path, offset, rows, holes, align=None):
    bare, typedefs, atomic = strip(die)
    shown = type_name(die)
    size = byte_size(die)
    stop = next((t for t in typedefs if t in STOP_AT), None)
    if stop:
        rows.append(Row(path, offset, size, "named", shown, typedef=stop, atomic=atomic))
        return
    facts = dict(atomic=atomic, align=align, base=sized_name(die))
    if bare is None:
        rows.append(Row(path, offset, size, "scalar", shown, **facts))
        return
    tag = bare.tag
    if tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type", "DW_TAG_rvalue_reference_type"):
        inner = target(bare)
        kind = "function-pointer" if inner is not None and inner.tag == "DW_TAG_subroutine_type" else "pointer"
        rows.append(Row(path, offset, size, kind, shown, **facts))
    elif tag == "DW_TAG_ptr_to_member_type":
        kind = "function-pointer" if target(bare).tag == "DW_TAG_subroutine_type" else "scalar"
        rows.append(Row(path, offset, size, kind, shown, **facts))
    elif tag in AGGREGATES:
        if is_std_atomic(bare):
            rows.append(Row(path, offset, size, "scalar", shown, **dict(facts, atomic=True)))
            return
        rows.append(Row(path, offset, size, "aggregate", shown, **facts))
        walk(abi, bare, path + ".", offset, rows, holes)
    elif tag == "DW_TAG_array_type":
        element = target(bare)
        inner, _, _ = strip(element)
        if inner is not None and inner.tag in AGGREGATES and not is_std_atomic(inner):
            rows.append(Row(path, offset, size, "aggregate", shown, **facts))
            walk(abi, inner, path + "[i].", offset, rows, holes)
        else:
            before = len(rows)
            leaf(abi, element, path + "[i]", offset, rows, holes, align)
            for r in rows[before:]:
                r.type = shown if r.path == path + "[i]" else r.type
    elif tag == "DW_TAG_enumeration_type":
        fixed = attr(bare, "DW_AT_enum_class") or (target(bare) is not None and target(bare).tag == "DW_TAG_typedef")
        rows.append(Row(path, offset, size, "enum", shown, note="fixed" if fixed else None, **facts))
    else:
        rows.append(Row(path, offset, size, "scalar", shown, **facts))


def is_std_atomic(die):
    name = name_of(die) or ""
    parent = die.get_parent()
    return name.startswith("atomic<") and parent is not None and name_of(parent) == "std"


# Types whose size is the ABI's choice, as the source spelled them: the
# outermost name only, so int64_t (a typedef of long on x86-64 Linux) is not
# one, and size_t is.
ABI_SIZED = {"long int", "long unsigned int", "long double", "_Bool", "bool", "wchar_t", "size_t", "ssize_t",
             "ptrdiff_t", "intptr_t", "uintptr_t", "time_t", "off_t", "clock_t", "suseconds_t",
             "ULONG_PTR", "LONG_PTR", "DWORD_PTR", "UINT_PTR", "INT_PTR", "SIZE_T", "SSIZE_T", "WPARAM", "LPARAM"}


def sized_name(die):
    """The name DIE is spelled with, past qualifiers, if it is ABI_SIZED."""
    while die is not None and die.tag in ("DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_atomic_type"):
        die = target(die)
    if die is not None and die.tag in ("DW_TAG_typedef", "DW_TAG_base_type") and name_of(die) in ABI_SIZED:
        return name_of(die)
    return None
