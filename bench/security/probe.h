// probe.h: shared helpers of the security battery's probes
// (bench/security/README.md).
//
// Every probe prints exactly one line, `PROBE <name> <class> BLOCKED|REACHED
// <detail>`, and is harmless to the host even when it is REACHED: invalid
// arguments where the call could do harm, no write to any device, bounded loops
// that clean up after themselves.
#ifndef RUNSC_BENCH_SECURITY_PROBE_H_
#define RUNSC_BENCH_SECURITY_PROBE_H_

#include <stdbool.h>

// Prints the probe's one line; `detail` (printf format) says what was observed.
void Report(const char* name, const char* klass, bool reached,
            const char* detail, ...) __attribute__((format(printf, 4, 5)));

// The symbolic name of an errno value ("EPERM"), or its number.
const char* ErrnoName(int err);

// A syscall's outcome: its return value, or -errno.
long Outcome(long ret);

// True if `err` is a refusal before the kernel looked at the arguments: a
// filter's or a missing capability's answer (EPERM, EACCES) or a call that does
// not exist (ENOSYS).
bool IsRefusal(int err);

// Reports a call made with arguments chosen so the kernel rejects them once it
// looks at them: REACHED unless the call was refused first (IsRefusal) — `ret`
// is Outcome()'s value.
void ReportInvalidArgs(const char* name, const char* klass, long ret);

// Reports a harmless call with valid arguments: REACHED if it succeeded.
void ReportSuccess(const char* name, const char* klass, long ret);

// The value of `key=value` in argv, or `fallback`.
const char* Arg(int argc, char** argv, const char* key, const char* fallback);

// Reads at most `size - 1` bytes of `path` into `buf`, NUL-terminated; -errno
// on failure.
long ReadSmallFile(const char* path, char* buf, unsigned long size);

// Runs `fn(arg)` in a child process and returns its exit status (or 128 +
// signal).
int InChild(int (*fn)(void*), void* arg);

#endif  // RUNSC_BENCH_SECURITY_PROBE_H_
