/* test_future.c - future_next_use() (sim/future.c), the next uses framesim,
 * sim_bench, mrc_opt() and OPT's tests run on: a hand-checked string, the
 * write flag ignored, seeded strings against the definition, and the
 * errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "future.h"
#include "rng.h"

#define NEVER FUTURE_NEVER

static uint64_t rng_state;

static uint64_t rng(void)		/* splitmix64: seeded, portable */
{
	return rng_splitmix64(&rng_state);
}

/* ---- future_next_use -------------------------------------------------- */

/*   pos   0 1 2 3 4 5
 *   page  5 7 5 5 9 7
 *   next  2 5 3 - - -     ("-": never) */
static const uint32_t hand_want[] = { 2, 5, 3, NEVER, NEVER, NEVER };

/* The next uses of ids[0 .. 5] over 10 pages are hand_want. */
static void assert_hand(const uint32_t *ids)
{
	uint32_t next[6];

	assert_int_equal(future_next_use(ids, 6, 10, next), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(next[i], hand_want[i]);
}

static void test_future_hand(void **state)
{
	static const uint32_t ids[] = { 5, 7, 5, 5, 9, 7 };
	uint32_t next[1];

	(void)state;
	assert_hand(ids);
	assert_int_equal(future_next_use(ids, 0, 10, next), 0);
	assert_true(future_when(hand_want[0]) == 2);
	assert_true(future_when(hand_want[5]) == UINT64_MAX);
}

/* The top bit is a write flag (framesim's ids): a read and a write of one
 * page are the same page. */
static void test_future_write_flag_ignored(void **state)
{
	static const uint32_t ids[] = { 5, 7 | 0x80000000u, 5 | 0x80000000u,
					5, 9, 7 };

	(void)state;
	assert_hand(ids);
}

/* Seeded strings, few pages or many, against the O(n^2) definition. */
static void test_future_matches_definition(void **state)
{
	enum { N = 3000 };
	static const uint32_t npages[] = { 1, 40, 2000 };
	uint32_t ids[N], next[N];

	(void)state;
	for (int k = 0; k < 3; k++) {
		rng_state = 42 + (uint64_t)k;
		for (int i = 0; i < N; i++)
			ids[i] = (uint32_t)(rng() % npages[k]) |
				 (rng() % 4 ? 0 : 0x80000000u);
		assert_int_equal(future_next_use(ids, N, npages[k], next), 0);
		for (int i = 0; i < N; i++) {
			uint32_t want = NEVER;

			for (int j = i + 1; j < N; j++) {
				if (((ids[j] ^ ids[i]) & FUTURE_ID_MASK) == 0) {
					want = (uint32_t)j;
					break;
				}
			}
			assert_int_equal(next[i], want);
		}
	}
}

/* A page id beyond npages, or too many pages: -EINVAL. */
static void test_future_rejects_bad_ids(void **state)
{
	static const uint32_t ids[] = { 0, 1, 3, 1 };
	uint32_t next[4];

	(void)state;
	assert_int_equal(future_next_use(ids, 4, 3, next), -EINVAL);
	assert_int_equal(future_next_use(ids, 4, 0, next), -EINVAL);
	assert_int_equal(future_next_use(ids, 4, FUTURE_ID_MASK + 1u + 1u,
					 next), -EINVAL);
	assert_int_equal(future_next_use(ids, 4, 4, next), 0);
	assert_int_equal(next[1], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_future_hand),
		cmocka_unit_test(test_future_write_flag_ignored),
		cmocka_unit_test(test_future_matches_definition),
		cmocka_unit_test(test_future_rejects_bad_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
