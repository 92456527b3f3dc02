// shapes.dll and shapes-rebuilt.dll: lab 06's shapes as a Windows DLL, the
// module a plug-in or a class library would be. shapes.c gives the
// functions; this file adds what a C++ class with a virtual function,
// defined in a DLL, adds to it: the class's vtable, in the DLL's data. The
// linker exports every function and object that is not static
// (--export-all-symbols, cmake/win32/CMakeLists.txt); a worker finds them
// with GetProcAddress (win32_load.c).
#include "shapes.h"

const struct shape_vtable square_vtable = { square_area };
