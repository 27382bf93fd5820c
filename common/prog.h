/* prog.h - how a program speaks on stderr: `PROG: what: why` lines, and
 * one line of progress while a terminal watches.  Define PROG (the
 * program's name, a string literal) before including.
 *
 *   prog_fail(path, strerror(errno))     "PROG: path: why", then exit(1)
 *   prog_usage_fail("--map", "shared or private")    the same, exit(2)
 *   prog_opt_fail("--pages", "0", "not in 1..4294967295")
 *                                        "PROG: --pages: 0: not in 1..", exit(2)
 *   prog_getopt_fail(c, argv)            after getopt_long() returned '?'
 *                                        or ':' (opterr = 0, optstring
 *                                        starting with ':'): "PROG: --bogus:
 *                                        unknown option (PROG --help)" or
 *                                        "PROG: --pages: needs a value
 *                                        (PROG --help)", exit(2)
 *   prog_errf("%s: line %u: %s", ...)    "PROG: ..." and a newline
 *   prog_verrf(fmt, ap)                  the same from a va_list
 *   prog_progress("%s, %u frames", ...)  "\rPROG: ..." over the last one,
 *                                        only when stderr is a terminal
 *   prog_progress_end()                  clears that line
 *   if (prog_progress_on()) ...          is stderr a terminal?
 *
 * The kit's one shape for a refused command line is `PROG: OPTION: VALUE:
 * why`, ranges written `A..B`, exit 2 (doc/options.md).
 *
 * Exit statuses as STYLE.md has them: 0 ok, 1 failure, 2 usage.  An error
 * line clears a progress line first, so the two never share a line.
 * Header-only, as all of common/ (common/meson.build says why; here it is
 * also what lets every line carry the including program's PROG).
 */
#ifndef FRAMEFS_PROG_H
#define FRAMEFS_PROG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PROG
#error "define PROG (the program's name) before including prog.h"
#endif

static inline bool prog_progress_on(void)
{
	return isatty(STDERR_FILENO);
}

static inline void prog_progress_end(void)
{
	if (prog_progress_on())
		fputs("\r\033[K", stderr);
}

static inline void prog_progress(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void prog_progress(const char *fmt, ...)
{
	va_list ap;

	if (!prog_progress_on())
		return;
	fputs("\r\033[K" PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static inline void prog_verrf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
static inline void prog_verrf(const char *fmt, va_list ap)
{
	prog_progress_end();
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static inline void prog_errf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void prog_errf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prog_verrf(fmt, ap);
	va_end(ap);
}

static inline _Noreturn void prog_fail(const char *what, const char *why)
{
	prog_errf("%s: %s", what, why);
	exit(1);
}

static inline _Noreturn void prog_usage_fail(const char *what,
					     const char *why)
{
	prog_errf("%s: %s", what, why);
	exit(2);
}

static inline _Noreturn void prog_opt_fail(const char *opt, const char *val,
					   const char *why)
{
	prog_errf("%s: %s: %s", opt, val, why);
	exit(2);
}

/* getopt_long() said '?' (unknown option) or ':' (missing value).  The
 * option as the user wrote it is argv[optind - 1] for a long one (up to
 * any '='), optopt for a short one. */
static inline _Noreturn void prog_getopt_fail(int c, char *const argv[])
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	char name[64];

	if (arg && !strncmp(arg, "--", 2))
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="),
			 arg);
	else if (optopt > 0 && optopt < 128)
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%s", arg ? arg : "?");
	prog_errf("%s: %s (" PROG " --help)", name,
		  c == ':' ? "needs a value" : "unknown option");
	exit(2);
}

#endif
