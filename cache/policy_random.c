/* policy_random.c - random replacement: the victim is a uniformly random
 * evictable resident frame.
 *
 * The baseline every study of replacement starts from (RAND in L. A.
 * Belady, "A study of replacement algorithms for a virtual-storage
 * computer", IBM Systems Journal 5(2), 1966): it keeps no history at all,
 * so it has no per-frame state, a hit does nothing (and takes no lock), and
 * no reference string is its worst case.
 *
 * The generator is splitmix64 (G. L. Steele, D. Lea, C. H. Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014), seeded with
 * random:seed=S (default 1), so the same requests give the same victims on
 * any machine;
 * a number below n is drawn with Lemire's multiply-and-reject method
 * (D. Lemire, "Fast random integer generation in an interval", ACM TOMACS
 * 29(1), 2019), which is exactly uniform.  Parameters are doubles, so the
 * seed is an integer from 0 to 2^53 - 1 (a fraction is cut off).
 *
 * victim(): draw a frame number below nframes; if that frame is resident
 * and evictable it is the victim, else draw again.  Victims are asked for
 * when the pool is full or nearly so, so with few busy frames the expected
 * number of draws is close to one.  After SAMPLES_MAX failed draws (mostly
 * busy frames, or a pool emptied by truncations) one pass counts the evictable
 * frames and a second takes the k-th of them for a random k: still exactly
 * uniform, and FRAME_NONE exactly when there is none.  Rejection keeps each
 * draw uniform over the evictable frames, so the victim is uniform either
 * way.  The generator's state changes only in victim(), under cache->lock.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

#define SAMPLES_MAX 64		/* draws before the counting pass */

struct rnd {
	struct policy base;
	uint64_t seed;		/* as given; for show() */
	uint64_t state;		/* splitmix64 state; lock */
	uint64_t draws;		/* numbers drawn so far; lock */
};

#define RND(p) ((struct rnd *)(p))

static const struct policy_param random_params[] = {
	{ "seed", 1, 0, 9007199254740991.0, "generator seed (2^53 - 1 max)",
	  true },
	{ .key = NULL },
};

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniform number in 0 .. n-1, n >= 1 (Lemire's method, 32-bit form: the
 * high word of x * n, rejecting the few low words that would bias it). */
static uint32_t rnd_below(struct rnd *r, uint32_t n)
{
	uint64_t m = (splitmix64(&r->state) >> 32) * (uint64_t)n;

	r->draws++;
	if ((uint32_t)m < n) {
		uint32_t t = (uint32_t)-n % n;	/* 2^32 mod n */

		while ((uint32_t)m < t) {
			m = (splitmix64(&r->state) >> 32) * (uint64_t)n;
			r->draws++;
		}
	}
	return (uint32_t)(m >> 32);
}

static struct policy *random_create(uint32_t nframes, const double *param)
{
	struct rnd *r = calloc(1, sizeof(*r));

	(void)nframes;
	if (!r)
		return NULL;
	r->seed = (uint64_t)param[0];
	r->state = r->seed;
	return &r->base;
}

static void random_destroy(struct policy *p)
{
	free(p);
}

static void random_insert(struct policy *p, uint32_t fno, uint64_t ino,
			  uint64_t pgno)
{
	(void)p;
	(void)fno;
	(void)ino;
	(void)pgno;
}

static void random_hit(struct policy *p, uint32_t fno)
{
	(void)p;
	(void)fno;
}

static void random_remove(struct policy *p, uint32_t fno, uint64_t ino,
			  uint64_t pgno, enum policy_remove why)
{
	(void)p;
	(void)fno;
	(void)ino;
	(void)pgno;
	(void)why;
}

static uint32_t random_victim(struct policy *p)
{
	struct rnd *r = RND(p);
	uint32_t n = 0, k;

	/* Step 1: sample. */
	for (int i = 0; i < SAMPLES_MAX; i++) {
		uint32_t f = rnd_below(r, p->nframes);

		if (cache_policy_evictable(p->cache, f))
			return f;
	}
	/* Step 2: count the evictable frames (a free one is not: the core
	 * says so by its state), then take a random one of them. */
	for (uint32_t f = 0; f < p->nframes; f++)
		n += cache_policy_evictable(p->cache, f);
	if (n == 0)
		return FRAME_NONE;
	k = rnd_below(r, n);
	for (uint32_t f = 0;; f++)
		if (cache_policy_evictable(p->cache, f) && k-- == 0)
			return f;
}

/* Nothing per frame to get wrong: the core's own check covers residency. */
static int random_check(struct policy *p)
{
	(void)p;
	return 0;
}

static void random_show(struct policy *p, FILE *out)
{
	fprintf(out, "no order; seed %llu, draws %llu",
		(unsigned long long)RND(p)->seed,
		(unsigned long long)RND(p)->draws);
}

const struct policy_ops policy_random = {
	.name = "random",
	.summary = "a uniformly random evictable frame (seeded, reproducible)",
	.flags = POLICY_HIT_LOCKLESS,
	.params = random_params,
	.create = random_create,
	.destroy = random_destroy,
	.insert = random_insert,
	.hit = random_hit,
	.remove = random_remove,
	.victim = random_victim,
	.check = random_check,
	.bytes_per_frame = 0,		/* no per-frame state */
	.show = random_show,
};
