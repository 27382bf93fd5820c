/* test_future.c - future_next_use() (sim/future.c): a hand-checked
 * string, arbitrary 64-bit keys against the definition, and a string with
 * enough distinct keys to make the map grow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "future.h"

#define NEVER UINT64_MAX

static uint64_t rng_state;

static uint64_t rng(void)		/* splitmix64: seeded, portable */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- future_next_use -------------------------------------------------- */

/*   pos   0 1 2 3 4 5
 *   key   5 7 5 5 9 7
 *   next  2 5 3 - - -     ("-": never) */
static void test_future_hand(void **state)
{
	static const uint64_t keys[] = { 5, 7, 5, 5, 9, 7 };
	static const uint64_t want[] = { 2, 5, 3, NEVER, NEVER, NEVER };
	uint64_t next[6];

	(void)state;
	assert_int_equal(future_next_use(keys, 6, next), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(next[i], want[i]);
	assert_int_equal(future_next_use(keys, 0, next), 0);
}

/* Arbitrary 64-bit keys (0 and UINT64_MAX among them) against the O(n^2)
 * definition. */
static void test_future_arbitrary_keys(void **state)
{
	enum { N = 3000, NKEYS = 40 };
	uint64_t pool[NKEYS], keys[N], next[N];

	(void)state;
	rng_state = 42;
	for (int k = 0; k < NKEYS; k++)
		pool[k] = rng();
	pool[0] = 0;
	pool[1] = UINT64_MAX;
	pool[2] = 1;
	for (int i = 0; i < N; i++)
		keys[i] = pool[rng() % NKEYS];
	assert_int_equal(future_next_use(keys, N, next), 0);
	for (int i = 0; i < N; i++) {
		uint64_t want = NEVER;

		for (int j = i + 1; j < N; j++) {
			if (keys[j] == keys[i]) {
				want = (uint64_t)j;
				break;
			}
		}
		assert_int_equal(next[i], want);
	}
}

/* Many distinct keys, so the map grows several times, against a pass over
 * a dense array. */
static void test_future_grows(void **state)
{
	enum { N = 400000, U = 150000 };
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *next = malloc(N * sizeof(*next));
	uint64_t *last = malloc(U * sizeof(*last));

	(void)state;
	assert_true(keys && next && last);
	rng_state = 7;
	for (int i = 0; i < N; i++)
		keys[i] = rng() % U;
	for (int u = 0; u < U; u++)
		last[u] = NEVER;
	assert_int_equal(future_next_use(keys, N, next), 0);
	for (int i = N - 1; i >= 0; i--) {
		assert_int_equal(next[i], last[keys[i]]);
		last[keys[i]] = (uint64_t)i;
	}
	free(keys);
	free(next);
	free(last);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_future_hand),
		cmocka_unit_test(test_future_arbitrary_keys),
		cmocka_unit_test(test_future_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
