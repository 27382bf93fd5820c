/* test_policy_mru.c - hand-worked traces for MRU (cache/policy_mru.c), the
 * counterexample: optimal on a loop, worse than FIFO on the textbook
 * string.
 *
 * Notation: the queue least recent first, as show() prints it; the victim
 * is the most recent evictable page, at the end.  The core's free list is
 * LIFO, so a new page takes the frame of the victim just evicted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy_trace.h"

#define X NO_VICTIM
#define Q "least recent first, victim from the end:"

/* N frames, a loop over N+1 pages, R rounds.  The first round faults
 * N+1 times; page N evicts N-1, the page used just before it.  From then
 * on each fault evicts the page used just before the missing one, which
 * the loop needs again only N references later: one fault every N
 * references, what OPT does (framesim -p mru,opt shows the same count),
 * where LRU faults on every one (test_policy.c). */
static void test_policy_mru_loop_is_optimal(void **state)
{
	enum { N = 8, R = 20, T = (N + 1) * R };
	uint64_t refs[T], victims[T];
	struct cache *c = trace_cache("mru", N);

	(void)state;
	for (size_t i = 0; i < T; i++) {
		refs[i] = i % (N + 1);
		victims[i] = X;
	}
	/* Faults at 0 .. N-1 (free frames), then at N, 2N, 3N, ...: each
	 * evicts the page referenced just before. */
	for (size_t i = N; i < T; i += N)
		victims[i] = refs[i - 1];
	assert_int_equal(trace_run(c, refs, victims, T), N + (T - 1) / N);
	assert_int_equal(N + (T - 1) / N, 30);
	cache_free(c);
}

/* The textbook string (see test_policy.c: FIFO 15, LRU 12, OPT 9 faults)
 * with 3 frames: two pages that come in early (7, 4) are never the most
 * recent when a fault comes, so they sit in their frames while the other
 * pages take turns in the third: 16 faults. */
static void test_policy_mru_textbook(void **state)
{
	static const struct trace_step steps[] = {
		{ 7, 1, X, Q " 7" },
		{ 0, 1, X, Q " 7 0" },
		{ 1, 1, X, Q " 7 0 1" },
		{ 2, 1, 1, Q " 7 0 2" },
		{ 0, 0, X, Q " 7 2 0" },
		{ 3, 1, 0, Q " 7 2 3" },
		{ 0, 1, 3, Q " 7 2 0" },
		{ 4, 1, 0, Q " 7 2 4" },
		{ 2, 0, X, Q " 7 4 2" },
		{ 3, 1, 2, Q " 7 4 3" },
		{ 0, 1, 3, Q " 7 4 0" },
		{ 3, 1, 0, Q " 7 4 3" },
		{ 2, 1, 3, Q " 7 4 2" },
		{ 1, 1, 2, Q " 7 4 1" },
		{ 2, 1, 1, Q " 7 4 2" },
		{ 0, 1, 2, Q " 7 4 0" },
		{ 1, 1, 0, Q " 7 4 1" },
		{ 7, 0, X, Q " 4 1 7" },
		{ 0, 1, 7, Q " 4 1 0" },
		{ 1, 0, X, Q " 4 0 1" },
	};
	static const uint64_t end[] = { 0, 4, 1 };
	struct cache *c = trace_cache("mru", 3);

	(void)state;
	assert_int_equal(trace_steps(c, steps, 20), 16);
	trace_frames_hold(c, 3, end);
	cache_free(c);
}

/* A busy frame is passed over in place: the most recent page is pinned,
 * so the fault takes the one before it; unpinned, it is the victim again
 * as soon as it is the most recent. */
static void test_policy_mru_passes_busy(void **state)
{
	static const uint64_t refs[] = { 1, 2 };
	static const uint64_t victims[] = { X, X };
	struct cache *c = trace_cache("mru", 3);
	struct frame *held;
	uint64_t v;

	(void)state;
	assert_int_equal(trace_run(c, refs, victims, 2), 2);
	held = trace_fault_pinned(c, 3);
	trace_show_is(c, Q " 1 2 3");
	assert_int_equal(trace_access(c, 4, &v), 1);
	assert_int_equal(v, 2);			/* 3 is pinned */
	trace_show_is(c, Q " 1 3 4");
	cache_unpin(c, held);
	assert_int_equal(trace_access(c, 3, &v), 0);	/* 3 most recent */
	assert_int_equal(trace_access(c, 5, &v), 1);
	assert_int_equal(v, 3);
	trace_show_is(c, Q " 1 4 5");
	assert_int_equal(cache_check(c), 0);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_mru_loop_is_optimal),
		cmocka_unit_test(test_policy_mru_textbook),
		cmocka_unit_test(test_policy_mru_passes_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
