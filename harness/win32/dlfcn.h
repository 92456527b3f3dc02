/*
 * The three calls of <dlfcn.h> that ../impl.c makes, for Windows, which has
 * none of them: mingw-w64 ships no <dlfcn.h>. With these, ../impl.c loads a
 * DLL as it is, so both harnesses share one table of the contract's functions
 * and one set of checks on a library (impl_win32.c defines them, with
 * LoadLibrary and GetProcAddress).
 */
#ifndef SHMLAB_WIN32_DLFCN_H
#define SHMLAB_WIN32_DLFCN_H

#define RTLD_NOW        2       // Windows resolves a DLL's imports when it loads it
#define RTLD_LOCAL      0       // and looks a name up in the one DLL asked

// The DLL at path, loaded; NULL with the reason kept for dlerror().
void *dlopen(const char *path, int mode);

// The address of the function `name` exported by lib; NULL if it has none.
void *dlsym(void *lib, const char *name);

// Why the last dlopen or dlsym failed, in words; NULL if nothing failed since.
char *dlerror(void);

#endif
