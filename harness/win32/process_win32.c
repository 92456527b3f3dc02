/*
 * Starting processes on Windows (process_win32.h): CreateProcess with a
 * command line quoted the way the C runtime reads it, a job object that ends
 * every process it holds when its last handle goes, and the one question the
 * harness asks a program before a run, how wide its pointers are.
 */
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "process_win32.h"

// CreateProcess, tried again a few times when Wine's server answers
// ERROR_INTERNAL_ERROR, which it does now and then while several Wine
// programs start processes at once; any other error is final.
BOOL
create_process(const char *exe, char *cmd, STARTUPINFOA *si, PROCESS_INFORMATION *pi)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		if (CreateProcessA(exe, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED | DETACHED_PROCESS,
		    NULL, NULL, si, pi))
			return TRUE;
		if (GetLastError() != ERROR_INTERNAL_ERROR)
			return FALSE;
		Sleep(20u << attempt);      // 20 .. 320 ms: bounded, well inside a run's deadline
	}
	return FALSE;
}

void
append_arg(char *cmd, size_t len, const char *arg)
{
	size_t n = strlen(cmd);

	if (strpbrk(arg, " \t\"") == NULL) {
		snprintf(cmd + n, len - n, "%s%s", n ? " " : "", arg);
		return;
	}
	snprintf(cmd + n, len - n, "%s\"%s\"", n ? " " : "", arg);   // our paths and names hold no quotes
}

HANDLE
make_job(void)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = { 0 };
	HANDLE j = CreateJobObjectA(NULL, NULL);

	limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (j && !SetInformationJobObject(j, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
		CloseHandle(j);
		j = NULL;
	}
	return j;
}

// The answer is the program's exit code. 64-bit Wine without its 32-bit half
// starts a 32-bit program and lets it die at once with exit code 0, so only
// 32 or 64 counts as an answer.
int
pointer_bits_of(const char *exe, int ms)
{
	char cmd[MAX_PATH + 16] = "";
	STARTUPINFOA si = { .cb = sizeof si };
	PROCESS_INFORMATION pi;
	DWORD code = 0;

	append_arg(cmd, sizeof cmd, exe);
	append_arg(cmd, sizeof cmd, "--abi");
	if (!create_process(exe, cmd, &si, &pi))
		return 0;
	ResumeThread(pi.hThread);
	if (WaitForSingleObject(pi.hProcess, (DWORD)ms) != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		WaitForSingleObject(pi.hProcess, INFINITE);     // a terminated process ends promptly
	}
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return code == 32 || code == 64 ? (int)code : 0;
}
