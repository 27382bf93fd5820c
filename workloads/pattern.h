/* pattern.h - seeded reference strings for mmload: which page to touch next.
 *
 *   p = pattern_new("zipf:0.9", npages, seed, err, sizeof(err));
 *   for (...) pgno = pattern_next(p, &write_hint);   0 <= pgno < npages
 *   pattern_free(p);
 *
 * A pattern is a pure function of (spec, npages, seed): the same three give
 * the same reference string on any machine (the generator is xoshiro256**
 * of common/rng.h, which mmload's write coin draws from too, seeded apart;
 * Zipf's table is built with libm's pow, whose last-bit rounding could in
 * principle differ between C libraries).  Specs (README "mmload"):
 *   seq                     0, 1, ..., npages-1, 0, 1, ...
 *   rand                    uniform over the pages
 *   zipf:ALPHA              P(rank k) = k^-ALPHA / H(N, ALPHA), exactly
 *                           (Vose's alias table); ranks are scrambled over
 *                           the pages by a seeded bijection, so hot pages
 *                           are not neighbours
 *   loop:N                  0 .. N-1 over and over (N <= npages)
 *   scan-hot:H,E            uniform over a hot set of H pages (the first H);
 *                           after every E hot touches, one sequential scan
 *                           of the other pages
 *   hotcold:P/Q             P% of the pages (the first ones) get Q% of the
 *                           touches, uniform within each part
 *   phases:A@N,B@M,...      pattern A for N touches, then B for M, ...,
 *                           then A again; phases without @N last npages
 *   trace:FILE              the page numbers (and r/w) of a trace file
 *                           (trace/trace.h formats), repeated at its end
 * Errors: pattern_new returns NULL with one line in err.  Not thread-safe:
 * one pattern per thread.
 */
#ifndef FRAMEFS_PATTERN_H
#define FRAMEFS_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pattern;

struct pattern *pattern_new(const char *spec, uint64_t npages, uint64_t seed,
			    char *err, size_t errlen);
void pattern_free(struct pattern *p);
/* The next page.  *write is set only by trace: patterns (the trace's op);
 * other patterns leave it alone. */
uint64_t pattern_next(struct pattern *p, bool *write);
/* The number of references one cycle of the pattern makes, 0 if it has
 * none (rand, zipf); for tests and for the demo's explanations. */
uint64_t pattern_period(const struct pattern *p);

#endif
