/* test_pattern.c - mmload's reference strings: for fixed seeds, each
 * pattern has the structure and the statistics its spec promises. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pattern.h"

static struct pattern *mk(const char *spec, uint64_t npages, uint64_t seed)
{
	char err[256] = "";
	struct pattern *p = pattern_new(spec, npages, seed, err, sizeof(err));

	if (!p)
		fail_msg("%s: %s", spec, err);
	return p;
}

static uint64_t next(struct pattern *p)
{
	bool w = false;

	return pattern_next(p, &w);
}

static void test_pattern_seq_and_loop_cycle(void **state)
{
	struct pattern *seq = mk("seq", 7, 1), *loop = mk("loop:5", 100, 1);

	(void)state;
	assert_int_equal(pattern_period(seq), 7);
	assert_int_equal(pattern_period(loop), 5);
	for (uint64_t i = 0; i < 70; i++) {
		assert_int_equal(next(seq), i % 7);
		assert_int_equal(next(loop), i % 5);
	}
	pattern_free(seq);
	pattern_free(loop);
}

/* hotcold:20/80 on 1000 pages: pages 0..199 get 80% of 10^6 touches
 * (within 1%), and each part is uniform (chi-square, 999 classes). */
static void test_pattern_hotcold_fraction(void **state)
{
	struct pattern *p = mk("hotcold:20/80", 1000, 7);
	static uint32_t count[1000];
	uint64_t hot = 0, n = 1000000;
	double chi_hot = 0, chi_cold = 0;

	(void)state;
	memset(count, 0, sizeof(count));
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = next(p);

		assert_true(x < 1000);
		count[x]++;
		hot += x < 200;
	}
	assert_true(fabs((double)hot / (double)n - 0.80) < 0.01);
	for (int i = 0; i < 1000; i++) {
		double e = i < 200 ? (double)hot / 200 :
			   (double)(n - hot) / 800;
		double d = count[i] - e;

		if (i < 200)
			chi_hot += d * d / e;
		else
			chi_cold += d * d / e;
	}
	/* 199 and 799 degrees of freedom; these bounds are p < 1e-4. */
	assert_true(chi_hot < 290);
	assert_true(chi_cold < 960);
	pattern_free(p);
}

static void test_pattern_rand_uniform(void **state)
{
	struct pattern *p = mk("rand", 100, 3);
	uint32_t count[100] = { 0 };
	double chi = 0;

	(void)state;
	for (int i = 0; i < 1000000; i++)
		count[next(p)]++;
	for (int i = 0; i < 100; i++) {
		double d = count[i] - 10000.0;

		chi += d * d / 10000.0;
	}
	assert_true(chi < 160);		/* 99 dof: p < 1e-4 */
	pattern_free(p);
}

static int cmp_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Zipf: the sorted page frequencies follow k^-ALPHA (the top ranks within
 * 4 sigma of the exact probability, the slope of the log-log fit over the
 * top 100 ranks within 0.02 of -ALPHA), and the hot pages are scattered. */
static void check_zipf(double alpha)
{
	enum { N = 1000, DRAWS = 2000000 };
	static uint32_t count[N], sorted[N];
	char spec[32];
	struct pattern *p;
	double h = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, slope;
	uint64_t top1 = 0, top2 = 0;

	snprintf(spec, sizeof(spec), "zipf:%g", alpha);
	p = mk(spec, N, 11);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < DRAWS; i++)
		count[next(p)]++;
	for (int k = 1; k <= N; k++)
		h += pow(k, -alpha);
	memcpy(sorted, count, sizeof(count));
	qsort(sorted, N, sizeof(sorted[0]), cmp_desc);
	for (int k = 1; k <= 5; k++) {
		double pk = pow(k, -alpha) / h, e = pk * DRAWS;
		double sigma = sqrt(DRAWS * pk * (1 - pk));

		assert_true(fabs(sorted[k - 1] - e) < 4 * sigma);
	}
	for (int k = 1; k <= 100; k++) {
		double x = log(k), y = log(sorted[k - 1]);

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	slope = (100 * sxy - sx * sy) / (100 * sxx - sx * sx);
	assert_true(fabs(slope + alpha) < 0.02);
	for (int i = 0; i < N; i++) {
		if (count[i] > count[top1]) {
			top2 = top1;
			top1 = (uint64_t)i;
		} else if (i != (int)top1 && count[i] > count[top2]) {
			top2 = (uint64_t)i;
		}
	}
	assert_true(top1 != 0);
	assert_true(top1 > top2 ? top1 - top2 > 1 : top2 - top1 > 1);
	pattern_free(p);
}

static void test_pattern_zipf_exact(void **state)
{
	(void)state;
	check_zipf(1.0);
	check_zipf(0.8);
}

/* scan-hot:10,50 on 100 pages: 50 touches among pages 0..9, then pages
 * 10..99 in order, then again. */
static void test_pattern_scan_hot_structure(void **state)
{
	struct pattern *p = mk("scan-hot:10,50", 100, 5);

	(void)state;
	assert_int_equal(pattern_period(p), 140);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 50; i++)
			assert_true(next(p) < 10);
		for (uint64_t pg = 10; pg < 100; pg++)
			assert_int_equal(next(p), pg);
	}
	pattern_free(p);
}

/* phases: each phase runs for its length and resumes where it stopped. */
static void test_pattern_phases_switch(void **state)
{
	struct pattern *p = mk("phases:seq@5,loop:3@6", 100, 1);
	static const uint64_t want[] = { 0, 1, 2, 3, 4, 0, 1, 2, 0, 1, 2,
					 5, 6, 7, 8, 9, 0, 1, 2 };

	(void)state;
	assert_int_equal(pattern_period(p), 11);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(next(p), want[i]);
	pattern_free(p);
	p = mk("phases:scan-hot:4,2@6,seq@2", 8, 1);	/* the comma inside */
	assert_int_equal(pattern_period(p), 8);
	pattern_free(p);
}

/* The same (spec, pages, seed) gives the same string; these values are the
 * string on every machine (they pin the generator and Zipf's table). */
static void test_pattern_reproducible(void **state)
{
	static const struct {
		const char *spec;
		uint64_t want[8];
	} golden[] = {
		{ "zipf:1.0", { 371, 160, 793, 68, 68, 331, 595, 783 } },
		{ "rand", { 702, 520, 574, 391, 697, 143, 71, 381 } },
		{ "hotcold:20/80", { 104, 78, 28, 76, 641, 965, 735, 178 } },
	};
	int differ = 0;

	(void)state;
	for (size_t g = 0; g < sizeof(golden) / sizeof(golden[0]); g++) {
		struct pattern *a = mk(golden[g].spec, 1000, 1);
		struct pattern *b = mk(golden[g].spec, 1000, 1);
		struct pattern *c = mk(golden[g].spec, 1000, 2);

		for (int i = 0; i < 8; i++) {
			assert_int_equal(next(a), golden[g].want[i]);
			assert_int_equal(next(b), golden[g].want[i]);
			differ += next(c) != golden[g].want[i];
		}
		for (int i = 0; i < 1000; i++) {
			uint64_t x = next(b);

			assert_int_equal(next(a), x);
			differ += next(c) != x;
		}
		pattern_free(a);
		pattern_free(b);
		pattern_free(c);
	}
	assert_true(differ > 2500);
}

static void test_pattern_bad_specs(void **state)
{
	static const char *const bad[] = { "zipf", "zipf:-1", "zipf:x",
		"loop:0", "loop:101", "scan-hot:10", "scan-hot:100,5",
		"hotcold:20", "hotcold:0/50", "hotcold:20/101", "phases:",
		"phases:seq@0", "phases:phases:seq", "seqq", "rand:3",
		"trace:/nonexistent/trace", NULL };
	char err[256];

	(void)state;
	for (int i = 0; bad[i]; i++) {
		err[0] = '\0';
		assert_null(pattern_new(bad[i], 100, 1, err, sizeof(err)));
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
	}
	assert_null(pattern_new("seq", 0, 1, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_seq_and_loop_cycle),
		cmocka_unit_test(test_pattern_hotcold_fraction),
		cmocka_unit_test(test_pattern_rand_uniform),
		cmocka_unit_test(test_pattern_zipf_exact),
		cmocka_unit_test(test_pattern_scan_hot_structure),
		cmocka_unit_test(test_pattern_phases_switch),
		cmocka_unit_test(test_pattern_reproducible),
		cmocka_unit_test(test_pattern_bad_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
