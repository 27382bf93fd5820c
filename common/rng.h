/* rng.h - seeded generators: the same seed gives the same numbers on every
 * machine, which golden test values, fsx --seed, mmload --seed and the
 * benchmarks' traces rely on.  Do not change an output here without
 * changing the values that depend on it.
 *
 *   x = rng_splitmix64(&state)     splitmix64: one word of state, any seed
 *                                  (0 too); the tests' and fsx's generator
 *   rng_seed(&r, seed)             xoshiro256** (mmload's patterns), its
 *   x = rng_next(&r)               four words of state from splitmix64
 *   k = rng_below(&r, n)           uniform in [0, n), n >= 1
 *   u = rng_unit(&r)               uniform in [0, 1), 53 bits
 *   x = rng_xorshift64s(&state)    xorshift64*: state nonzero; fast, for
 *                                  benchmark keys and shuffles
 *
 * Not for secrets.  No shared state: one generator per thread.
 * Header-only, as all of common/ (common/meson.build says why).
 */
#ifndef FRAMEFS_RNG_H
#define FRAMEFS_RNG_H

#include <stdint.h>

/* splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014). */
static inline uint64_t rng_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* xoshiro256** (Blackman and Vigna, 2018). */
struct rng {
	uint64_t s[4];
};

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix64(&seed);
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return out;
}

static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	/* Lemire's multiply-shift; the bias is below n / 2^64. */
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* xorshift64* (Vigna, 2016): fast, good enough for shuffles and keys. */
static inline uint64_t rng_xorshift64s(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

#endif
