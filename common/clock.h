/* clock.h - the time on a clock, and sleeps, in the units callers count in.
 *
 *   t0 = now_ns(CLOCK_MONOTONIC)              nanoseconds
 *   ms = now_ms(CLOCK_MONOTONIC)              milliseconds
 *   s = now_sec(CLOCK_THREAD_CPUTIME_ID)      seconds, as a double
 *   sleep_ms(10); sleep_sec(0.5); sleep_ns(ns)
 *
 * Any clock_gettime() clock; the ones used here (CLOCK_MONOTONIC and the
 * CPU-time clocks of this process and thread) cannot fail on Linux.  A
 * sleep lasts its whole time: a signal that interrupts it (a handler that
 * returns) resumes it for what is left.  Header-only, as all of common/
 * (common/meson.build says why).
 */
#ifndef FRAMEFS_CLOCK_H
#define FRAMEFS_CLOCK_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ms(clockid_t clk)
{
	return now_ns(clk) / 1000000;
}

static inline double now_sec(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u),
			       (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline void sleep_ms(uint64_t ms)
{
	sleep_ns(ms * 1000000u);
}

/* s <= 0 (or NaN): no sleep. */
static inline void sleep_sec(double s)
{
	if (s > 0)
		sleep_ns((uint64_t)(s * 1e9));
}

#endif
