/* bench.h - what the benchmarks share: progress on stderr.  Define PROG
 * (the program's name) before including.
 *
 *   bench_progress("%s %u", policy, n)   "\rPROG: ..." when stderr is a tty
 *   bench_progress_end()                 clears that line */
#ifndef FRAMEFS_BENCH_H
#define FRAMEFS_BENCH_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#ifndef PROG
#error "define PROG before including bench.h"
#endif

/* Progress on stderr, only when someone is watching it. */
static inline void bench_progress(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void bench_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r\033[K" PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Clears the progress line, if there is one. */
static inline void bench_progress_end(void)
{
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
}

#endif
