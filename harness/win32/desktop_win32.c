/*
 * shmlab-desktop.exe: keeps the session's desktop up while the Win32 tests
 * run. Headless Wine ends the desktop's process (explorer /desktop) a few
 * seconds after the last process that uses it goes; the next window starts
 * it again, which takes seconds on a busy machine and happens inside that
 * run. This program uses the desktop and waits: for the wineserver to end
 * it (the tests' cleanup, wineserver -k), or for its bound, an hour.
 */
#include <stdio.h>
#include <windows.h>

int
main(void)
{
	HWND desktop = GetDesktopWindow();
	HWND mine = CreateWindowExA(0, "STATIC", "shmlab desktop keeper", 0, 0, 0, 0, 0, HWND_MESSAGE,
	    NULL, NULL, NULL);

	printf("%s\n", desktop && mine ? "ready" : "no desktop");
	fflush(stdout);
	if (!desktop || !mine)
		return 1;
	Sleep(3600 * 1000);
	return 0;
}
