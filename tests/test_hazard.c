/* test_hazard.c - hazard pins (cache/hazard.c) on their own: slots per
 * thread, the limits that send a caller to its fallback, the wake-up of a
 * waiting freer, two instances side by side, and the handshake itself
 * (a pin and a free racing: never both succeed). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hazard.h"

static unsigned wakes;		/* calls of count_wake */

static void count_wake(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&wakes, 1, __ATOMIC_RELAXED);
}

static struct hazard *new_hazard(void)
{
	struct hazard *h = aligned_alloc(64, sizeof(*h));

	assert_non_null(h);
	hazard_init(h, count_wake, NULL);
	return h;
}

/* Runs fn(arg) on a thread of its own and waits for it. */
static void on_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_hazard_pin_unpin(void **state)
{
	struct hazard *h = new_hazard();

	(void)state;
	assert_false(hazard_busy(h, 5));
	assert_true(hazard_pin(h, 5));
	assert_true(hazard_mine(h, 5));
	assert_true(hazard_busy(h, 5));
	assert_false(hazard_busy(h, 6));
	assert_false(hazard_mine(h, 6));
	assert_true(hazard_unpin(h, 5));
	assert_false(hazard_unpin(h, 5));	/* not held any more */
	assert_false(hazard_busy(h, 5));
	assert_false(hazard_mine(h, 5));
	free(h);
}

/* HAZARD_SLOTS pins, the same frame more than once if need be; one more
 * is refused until one is given back. */
static void test_hazard_slots_run_out(void **state)
{
	struct hazard *h = new_hazard();

	(void)state;
	for (uint32_t i = 0; i < HAZARD_SLOTS; i++)
		assert_true(hazard_pin(h, i / 2));
	assert_false(hazard_pin(h, 100));
	assert_false(hazard_busy(h, 100));
	assert_true(hazard_unpin(h, 0));
	assert_true(hazard_busy(h, 0));		/* pinned twice */
	assert_true(hazard_pin(h, 100));
	assert_true(hazard_unpin(h, 100));
	for (uint32_t i = 1; i < HAZARD_SLOTS; i++)
		assert_true(hazard_unpin(h, i / 2));
	for (uint32_t i = 0; i < HAZARD_SLOTS / 2 + 1; i++)
		assert_false(hazard_busy(h, i));
	free(h);
}

struct other {
	struct hazard *h;
	uint32_t fno;
	bool pin, ok;
};

static void *other_thread(void *arg)
{
	struct other *o = arg;

	o->ok = o->pin ? hazard_pin(o->h, o->fno) :
			 hazard_unpin(o->h, o->fno);
	return NULL;
}

/* A pin is the thread's own: others see it busy, cannot drop it, and do
 * not count it as theirs; its owner drops it even after a pause. */
static void test_hazard_pins_belong_to_threads(void **state)
{
	struct hazard *h = new_hazard();
	struct other o = { .h = h, .fno = 7, .pin = true };

	(void)state;
	on_thread(other_thread, &o);		/* pins 7 and exits */
	assert_true(o.ok);
	assert_true(hazard_busy(h, 7));
	assert_false(hazard_mine(h, 7));
	assert_false(hazard_unpin(h, 7));	/* not this thread's */
	assert_true(hazard_busy(h, 7));
	assert_true(hazard_pin(h, 7));		/* this thread's own */
	assert_true(hazard_unpin(h, 7));
	assert_true(hazard_busy(h, 7));		/* the other's is left */
	free(h);
}

/* Blocks are claimed for good: HAZARD_THREADS threads get one each (and
 * exit, leaving their pin), the next is refused (in the cache it falls
 * back to a counted pin), and so is a thread that never pinned before. */
static void test_hazard_threads_run_out(void **state)
{
	struct hazard *h = new_hazard();
	struct other o = { .h = h, .fno = 3 };

	(void)state;
	for (int i = 0; i < HAZARD_THREADS; i++) {
		o.pin = true;
		on_thread(other_thread, &o);
		assert_true(o.ok);
		assert_true(hazard_busy(h, 3));
	}
	o.pin = true;
	on_thread(other_thread, &o);
	assert_false(o.ok);
	assert_false(hazard_pin(h, 4));		/* nor this thread */
	assert_false(hazard_busy(h, 4));
	free(h);
}

/* Between hazard_wait_begin and _end, every unpin wakes the waiter; a
 * pin given back outside that window does not. */
static void test_hazard_wake(void **state)
{
	struct hazard *h = new_hazard();

	(void)state;
	wakes = 0;
	assert_true(hazard_pin(h, 1));
	assert_true(hazard_unpin(h, 1));
	assert_int_equal(wakes, 0);
	assert_true(hazard_pin(h, 1));
	assert_true(hazard_pin(h, 2));
	hazard_wait_begin(h);
	assert_true(hazard_unpin(h, 1));
	assert_int_equal(wakes, 1);
	assert_false(hazard_unpin(h, 1));	/* nothing dropped: no wake */
	assert_int_equal(wakes, 1);
	hazard_wait_end(h);
	assert_true(hazard_unpin(h, 2));
	assert_int_equal(wakes, 1);
	free(h);
}

/* Two instances: a thread's block in one says nothing of the other (the
 * thread-local cache of its block follows the instance used). */
static void test_hazard_instances_apart(void **state)
{
	struct hazard *a = new_hazard(), *b = new_hazard();

	(void)state;
	assert_true(hazard_pin(a, 9));
	assert_false(hazard_busy(b, 9));
	assert_false(hazard_mine(b, 9));
	assert_true(hazard_pin(b, 9));
	assert_true(hazard_unpin(a, 9));
	assert_false(hazard_busy(a, 9));
	assert_true(hazard_busy(b, 9));
	assert_true(hazard_mine(b, 9));
	assert_true(hazard_unpin(b, 9));
	free(a);
	free(b);
	/* A new instance at a recycled address starts empty. */
	a = new_hazard();
	assert_false(hazard_busy(a, 9));
	assert_false(hazard_unpin(a, 9));
	assert_true(hazard_pin(a, 9));
	assert_true(hazard_unpin(a, 9));
	free(a);
}

/* ---- the handshake ---------------------------------------------------- */

#define ROUNDS 20000

struct race {
	struct hazard *h;
	pthread_barrier_t start, done;
	uint32_t frozen;		/* the freer's mark; seq_cst */
	bool reader_uses;		/* pinned and saw no mark */
	bool freer_frees;		/* marked and saw no pin */
};

/* The reader's side, as the cache's hit path: publish, then look at the
 * mark; use the frame only if it is not marked. */
static void *reader(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < ROUNDS; i++) {
		bool pinned;

		pthread_barrier_wait(&r->start);
		pinned = hazard_pin(r->h, 42);
		r->reader_uses = pinned &&
				 !__atomic_load_n(&r->frozen, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&r->done);
		if (pinned)
			hazard_unpin(r->h, 42);
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

/* The freer's side, as the cache's freeze(): mark, then scan. */
static void *freer(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_barrier_wait(&r->start);
		__atomic_store_n(&r->frozen, 1, __ATOMIC_SEQ_CST);
		r->freer_frees = !hazard_busy(r->h, 42);
		pthread_barrier_wait(&r->done);
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

/* Each round the reader pins while the freer marks: either may win, but
 * never both (the reader using a frame the freer frees). */
static void test_hazard_pin_races_free(void **state)
{
	struct race r = { .h = new_hazard() };
	pthread_t tr, tf;
	int both = 0, used = 0, freed = 0;

	(void)state;
	pthread_barrier_init(&r.start, NULL, 3);
	pthread_barrier_init(&r.done, NULL, 3);
	assert_int_equal(pthread_create(&tr, NULL, reader, &r), 0);
	assert_int_equal(pthread_create(&tf, NULL, freer, &r), 0);
	for (int i = 0; i < ROUNDS; i++) {
		__atomic_store_n(&r.frozen, 0, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&r.start);
		pthread_barrier_wait(&r.done);
		both += r.reader_uses && r.freer_frees;
		used += r.reader_uses;
		freed += r.freer_frees;
		pthread_barrier_wait(&r.done);
	}
	pthread_join(tr, NULL);
	pthread_join(tf, NULL);
	pthread_barrier_destroy(&r.start);
	pthread_barrier_destroy(&r.done);
	print_message("%d rounds: reader used %d, freer freed %d\n", ROUNDS,
		      used, freed);
	assert_int_equal(both, 0);
	assert_false(hazard_busy(r.h, 42));
	free(r.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hazard_pin_unpin),
		cmocka_unit_test(test_hazard_slots_run_out),
		cmocka_unit_test(test_hazard_pins_belong_to_threads),
		cmocka_unit_test(test_hazard_threads_run_out),
		cmocka_unit_test(test_hazard_wake),
		cmocka_unit_test(test_hazard_instances_apart),
		cmocka_unit_test(test_hazard_pin_races_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
