// Lab 06 on Windows: how a worker gets its copy of the shapes DLL, and how
// to make its copy land somewhere else than worker 0's.
//
// A DLL's file names the address it would like, its preferred base
// (ImageBase in the PE optional header), and carries base relocations: the
// list of its own absolute addresses to patch if it is loaded anywhere
// else. The loader puts it at its base only if the range is free in that
// process; else it picks another place and patches ("PE Format", "The
// .reloc Section"). So one way to move it is to take the range first, as
// another DLL or an allocation of the process might: reserve it with
// VirtualAlloc, then LoadLibrary. The other is another build linked at
// another base. Either way worker 0's addresses mean nothing here.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "win32_shapes.h"

static HMODULE shapes;          // this process's copy, once loaded: never freed

// The path of name beside this program (the worker's folder), into buf.
static void
beside_worker(char *buf, DWORD len, const char *name)
{
	DWORD n = GetModuleFileNameA(NULL, buf, len);
	char *slash;

	buf[n < len ? n : 0] = '\0';
	slash = strrchr(buf, '\\');
	snprintf(slash ? slash + 1 : buf, len - (size_t)(slash ? slash + 1 - buf : 0), "%s", name);
}

// The range the DLL at path asks for: its ImageBase and SizeOfImage, read
// from its PE header in the file. Returns 0, or -1 if the file is not a
// 64-bit PE image.
static int
preferred_range(const char *path, uintptr_t *base, SIZE_T *size)
{
	char head[4096];
	IMAGE_DOS_HEADER dos;
	IMAGE_NT_HEADERS64 nt;
	DWORD n = 0;
	HANDLE f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);

	if (f == INVALID_HANDLE_VALUE)
		return -1;
	if (!ReadFile(f, head, sizeof head, &n, NULL))
		n = 0;
	CloseHandle(f);
	if (n < sizeof dos)
		return -1;
	memcpy(&dos, head, sizeof dos);
	if (dos.e_magic != IMAGE_DOS_SIGNATURE || dos.e_lfanew < 0 || (DWORD)dos.e_lfanew > n - sizeof nt)
		return -1;
	memcpy(&nt, head + dos.e_lfanew, sizeof nt);
	if (nt.Signature != IMAGE_NT_SIGNATURE || nt.OptionalHeader.Magic != IMAGE_NT_OPTIONAL_HDR64_MAGIC)
		return -1;
	*base = (uintptr_t)nt.OptionalHeader.ImageBase;
	*size = nt.OptionalHeader.SizeOfImage;
	return 0;
}

// ANCHOR: relocate
// Takes the range the DLL at path asks for, for the rest of this process's
// life, so that its loader must put the DLL elsewhere.
static int
take_preferred_range(struct worker *w, const char *path)
{
	uintptr_t base;
	SIZE_T size;

	if (preferred_range(path, &base, &size) < 0)
		return fail(w, "%s has no PE header to read its preferred base from", path);
	if (VirtualAlloc((void *)base, size, MEM_RESERVE, PAGE_NOACCESS) != (void *)base)
		return fail(w, "cannot reserve %s's preferred range %#llx: error %lu", path,
		    (unsigned long long)base, (unsigned long)GetLastError());
	return 0;
}
// ANCHOR_END: relocate

HMODULE
load_shapes(struct worker *w, enum placement how)
{
	char path[MAX_PATH];

	if (shapes)
		return shapes;
	beside_worker(path, sizeof path, how == REBUILT ? SHAPES_REBUILT_DLL : SHAPES_DLL);
	if (how == RELOCATED && take_preferred_range(w, path) < 0)
		return NULL;
	if ((shapes = LoadLibraryA(path)) == NULL)
		fail(w, "LoadLibrary(%s): error %lu", path, (unsigned long)GetLastError());
	return shapes;
}

// GetProcAddress gives every export as a FARPROC; the cast through
// void (*)(void) is C's way to say the type is known.
double
(*shapes_function(HMODULE dll, const char *name))(const struct shape *)
{
	return (double (*)(const struct shape *))(void (*)(void))GetProcAddress(dll, name);
}

// A data export's address comes as a FARPROC too.
const struct shape_vtable *
shapes_vtable(HMODULE dll, const char *name)
{
	return (const struct shape_vtable *)(uintptr_t)GetProcAddress(dll, name);
}
