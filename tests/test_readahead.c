/* test_readahead.c - framefs with kernel readahead on, on pools that are
 * small next to what the kernel reads ahead: every READ then covers many
 * pages the kernel holds locked while the daemon looks for frames
 * (fs/pager.c, "Requests in flight").
 *
 * For every policy a mount can run, at readahead=32, 128 and the largest
 * value framefs takes (1048576 KB), on 64 frames, and on the smallest pool
 * the mount accepts (40 frames, less than one 1 MiB READ); three of the
 * four with the daemon's own fetch_ahead (256, 1024 and 4096 KB, the
 * largest: as large as the pool or larger; it takes only free frames, and
 * reads after its reply):
 *   - parallel sequential reads: four processes read one 2,000,000-byte
 *     file with different read sizes; every byte is compared, no read may
 *     come back short, and the file's size must not change;
 *   - a concurrent mmap workload: three writers store stamped pages into
 *     their own pages of a MAP_SHARED mapping and read them back (mapped
 *     and with pread) while a fourth process preads random runs of pages;
 *     no word may read as zero or as another page's, and after the run,
 *     a "drop" and an unmount, the mount and the backing file hold every
 *     writer's last stamp;
 *   - fsx (tests/fsx.c) with readahead on, once per policy, the
 *     configurations taken in turn.
 * Children carry an alarm: a stall fails the case instead of hanging it.
 * Without /dev/fuse every case reports SKIP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "need_fuse.h"
#include "policy.h"
#include "rng.h"

#define PS		4096u
#define FILE_BYTES	2000000u	/* not a whole number of pages */
#define NREADERS	4
#define NP		256u		/* pages of the mmap workload's file */
#define NWRITERS	3		/* writer w owns pages p % 4 == w */
#define WRITER_OPS	600
#define CHILD_ALARM_S	60		/* a stalled child dies of SIGALRM */

static struct mnt M;

/* The configurations every case runs, beside every policy. */
static const struct {
	unsigned frames, readahead_kb, fetch_ahead_kb;
} configs[] = {
	{ 64, 32, 1024 }, { 64, 128, 0 }, { 64, 1048576, 256 },
	{ 40, 1048576, 4096 },
};
static unsigned cur_fa;		/* the running configuration's fetch_ahead */

static void start(const char *policy, unsigned frames, unsigned ra_kb)
{
	char opts[160];

	snprintf(opts, sizeof(opts),
		 "frames=%u,policy=%s,readahead=%u,fetch_ahead=%u", frames,
		 policy, ra_kb, cur_fa);
	if (mnt_start(&M, opts) != 0)
		fail_msg("framefs did not mount with -o %s", opts);
}

static void write_all(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Waits for n children; returns how many did not exit 0, after printing
 * how each of those ended. */
static int reap(pid_t *pids, int n, const char *what)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i]) {
			bad++;
			continue;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			continue;
		bad++;
		if (WIFSIGNALED(st))
			print_error("%s %d: killed by signal %d%s\n", what, i,
				    WTERMSIG(st), WTERMSIG(st) == SIGALRM ?
				    " (stalled)" : "");
		else
			print_error("%s %d: exit %d\n", what, i,
				    WEXITSTATUS(st));
	}
	return bad;
}

/* ---- parallel sequential reads ----------------------------------------- */

/* Reads the whole file with reads of chunk bytes; compares.  In a child. */
static int read_child(const char *path, const unsigned char *want,
		      size_t chunk)
{
	unsigned char *buf = malloc(chunk);
	size_t done = 0;
	struct stat st;
	int fd;

	alarm(CHILD_ALARM_S);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf)
		return 2;
	while (done < FILE_BYTES) {
		size_t want_n = FILE_BYTES - done < chunk ? FILE_BYTES - done :
			       chunk;
		ssize_t n = read(fd, buf, want_n);

		if (n != (ssize_t)want_n) {
			fprintf(stderr, "read at %zu: %zd of %zu bytes (%s)\n",
				done, n, want_n, n < 0 ? strerror(errno) : "");
			return 1;
		}
		if (memcmp(buf, want + done, want_n)) {
			for (size_t i = 0; i < want_n; i++)
				if (buf[i] != want[done + i]) {
					fprintf(stderr, "byte %zu: %#x, not "
						"%#x\n", done + i, buf[i],
						want[done + i]);
					break;
				}
			return 1;
		}
		done += want_n;
	}
	if (read(fd, buf, 1) != 0 || fstat(fd, &st) < 0 ||
	    st.st_size != FILE_BYTES) {
		fprintf(stderr, "size changed: %lld\n",
			(long long)st.st_size);
		return 1;
	}
	close(fd);
	free(buf);
	return 0;
}

static void parallel_reads_case(const char *policy, unsigned frames,
				unsigned ra_kb)
{
	static const size_t chunks[NREADERS] = {
		65536, 131072, 7 * PS + 13, 1 << 20,
	};
	unsigned char *want = malloc(FILE_BYTES);
	uint64_t seed = ra_kb * 31u + frames;
	pid_t pids[NREADERS];

	assert_non_null(want);
	for (size_t i = 0; i < FILE_BYTES; i++)
		want[i] = (unsigned char)rng_splitmix64(&seed);
	start(policy, frames, ra_kb);
	write_all(bpath(&M, "f1"), want, FILE_BYTES);
	for (int i = 0; i < NREADERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(read_child(mpath(&M, "f1"), want, chunks[i]));
	}
	if (reap(pids, NREADERS, "reader"))
		fail_msg("parallel reads: policy=%s frames=%u readahead=%u "
			 "fetch_ahead=%u", policy, frames, ra_kb, cur_fa);
	/* Readahead made READs of many pages: the case did test them. */
	assert_true(mnt_stat(&M, "reads") <
		    mnt_stat(&M, "frame_hits") + mnt_stat(&M, "frame_misses"));
	assert_int_equal(mnt_stop(&M), 0);
	free(want);
}

/* ---- a concurrent mmap workload ---------------------------------------- */

/* Every 8-byte word of page p at version v (v >= 0) holds stamp(p, v):
 * never zero, and naming its page. */
static uint64_t stamp(uint64_t p, uint64_t v)
{
	return (p << 32) | (v + 1);
}

/* 0 if every word of page p is a stamp of p (of any version; pages that
 * another process writes meanwhile may mix versions), else prints. */
static int page_plausible(const uint64_t *w, uint64_t p, const char *how)
{
	for (unsigned i = 0; i < PS / 8; i++)
		if ((w[i] >> 32) != p || (uint32_t)w[i] == 0) {
			fprintf(stderr, "%s: page %llu word %u: %#llx\n", how,
				(unsigned long long)p, i,
				(unsigned long long)w[i]);
			return 1;
		}
	return 0;
}

static int page_is(const uint64_t *w, uint64_t p, uint64_t v,
		   const char *how)
{
	for (unsigned i = 0; i < PS / 8; i++)
		if (w[i] != stamp(p, v)) {
			fprintf(stderr, "%s: page %llu word %u: %#llx, not "
				"version %llu\n", how, (unsigned long long)p,
				i, (unsigned long long)w[i],
				(unsigned long long)v);
			return 1;
		}
	return 0;
}

static int writer_child(const char *path, int w, uint64_t *final)
{
	uint64_t ver[NP] = { 0 }, seed = 1000u + (unsigned)w;
	uint64_t buf[PS / 8];
	uint64_t *map;
	int fd;

	alarm(CHILD_ALARM_S);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return 2;
	map = mmap(NULL, NP * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 2;
	for (int op = 0; op < WRITER_OPS; op++) {
		uint64_t p = (rng_splitmix64(&seed) % (NP / 4)) * 4 +
			     (unsigned)w;
		uint64_t v = ++ver[p], *pg = map + p * (PS / 8);

		for (unsigned i = 0; i < PS / 8; i++)
			pg[i] = stamp(p, v);
		if (page_is(pg, p, v, "own page, mapped"))
			return 1;
		if (op % 8 == 0) {
			if (pread(fd, buf, PS, (off_t)(p * PS)) != PS) {
				fprintf(stderr, "pread of page %llu short\n",
					(unsigned long long)p);
				return 1;
			}
			if (page_is(buf, p, v, "own page, pread"))
				return 1;
		}
		if (op % 64 == 0)
			msync(map, NP * PS, op % 128 ? MS_ASYNC : MS_SYNC);
	}
	if (msync(map, NP * PS, MS_SYNC) < 0)
		return 1;
	for (uint64_t p = (unsigned)w; p < NP; p += 4)
		final[p] = ver[p];
	munmap(map, NP * PS);
	close(fd);
	return 0;
}

static int prober_child(const char *path, volatile int *stop)
{
	uint64_t seed = 77, *buf = malloc(64 * PS);
	int fd;

	alarm(CHILD_ALARM_S);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf)
		return 2;
	while (!*stop) {
		uint64_t first = rng_splitmix64(&seed) % NP;
		uint64_t n = 1 + rng_splitmix64(&seed) % 64;

		if (first + n > NP)
			n = NP - first;
		if (pread(fd, buf, n * PS, (off_t)(first * PS)) !=
		    (ssize_t)(n * PS)) {
			fprintf(stderr, "pread of %llu pages at %llu short\n",
				(unsigned long long)n,
				(unsigned long long)first);
			return 1;
		}
		for (uint64_t i = 0; i < n; i++)
			if (page_plausible(buf + i * (PS / 8), first + i,
					   "prober"))
				return 1;
	}
	close(fd);
	free(buf);
	return 0;
}

/* Checks every page of a whole-file image against final[]. */
static void check_image(const uint64_t *img, const uint64_t *final,
			const char *how)
{
	for (uint64_t p = 0; p < NP; p++)
		if (page_is(img + p * (PS / 8), p, final[p], how))
			fail_msg("%s: page %llu wrong", how,
				 (unsigned long long)p);
}

static void read_image(const char *path, uint64_t *img)
{
	int fd = open(path, O_RDONLY);
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, img, NP * PS, 0), (ssize_t)(NP * PS));
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, NP * PS);
	close(fd);
}

static void mmap_case(const char *policy, unsigned frames, unsigned ra_kb)
{
	uint64_t *img = malloc(NP * PS), *final;
	volatile int *stop;
	pid_t writers[NWRITERS], prober;
	int bad;

	assert_non_null(img);
	/* final[] and the prober's stop flag, shared with the children. */
	final = mmap(NULL, NP * 8 + 8, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(final != MAP_FAILED);
	stop = (volatile int *)(final + NP);
	for (uint64_t p = 0; p < NP; p++)
		for (unsigned i = 0; i < PS / 8; i++)
			img[p * (PS / 8) + i] = stamp(p, 0);
	start(policy, frames, ra_kb);
	write_all(bpath(&M, "m"), img, NP * PS);
	prober = fork();
	assert_true(prober >= 0);
	if (prober == 0)
		_exit(prober_child(mpath(&M, "m"), stop));
	for (int w = 0; w < NWRITERS; w++) {
		writers[w] = fork();
		assert_true(writers[w] >= 0);
		if (writers[w] == 0)
			_exit(writer_child(mpath(&M, "m"), w, final));
	}
	bad = reap(writers, NWRITERS, "writer");
	*stop = 1;
	bad += reap(&prober, 1, "prober");
	if (bad)
		fail_msg("mmap workload: policy=%s frames=%u readahead=%u "
			 "fetch_ahead=%u", policy, frames, ra_kb, cur_fa);
	/* Through the mount, after the kernel's copies and the frames are
	 * dropped, then in the backing file after unmount. */
	assert_int_equal(mnt_control(&M, "drop"), 0);
	read_image(mpath(&M, "m"), img);
	check_image(img, final, "mount after drop");
	assert_int_equal(mnt_stop(&M), 0);
	read_image(bpath(&M, "m"), img);
	check_image(img, final, "backing file");
	munmap(final, NP * 8 + 8);
	free(img);
}

/* ---- fsx ----------------------------------------------------------------- */

static void fsx_case(const char *policy, unsigned frames, unsigned ra_kb,
		     const char *seed)
{
	char errbuf[4096];
	const char *bin = getenv("FSX");
	char *argv[] = { (char *)bin, "--seed", (char *)seed, "--ops", "2000",
			 NULL, NULL };
	int rc;

	assert_non_null(bin);
	start(policy, frames, ra_kb);
	argv[5] = M.mp;
	rc = run_cmd(argv, errbuf, sizeof(errbuf));
	if (rc != 0)
		fail_msg("fsx (policy=%s frames=%u readahead=%u "
			 "fetch_ahead=%u) failed:\n%s", policy, frames, ra_kb,
			 cur_fa, errbuf);
	assert_int_equal(mnt_stop(&M), 0);
}

/* ---- every policy, every configuration -------------------------------- */

static void each(void (*fn)(const char *policy, unsigned frames,
			    unsigned ra_kb))
{
	for (const struct policy_ops *const *p = policy_all(); *p; p++) {
		if ((*p)->flags & POLICY_NEEDS_FUTURE)
			continue;
		for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]);
		     i++) {
			double t0 = now_sec(CLOCK_MONOTONIC);

			cur_fa = configs[i].fetch_ahead_kb;
			fn((*p)->name, configs[i].frames,
			   configs[i].readahead_kb);
			print_message("%-9s frames=%-3u readahead=%-7u "
				      "fetch_ahead=%-4u %5.0f ms\n",
				      (*p)->name, configs[i].frames,
				      configs[i].readahead_kb, cur_fa,
				      (now_sec(CLOCK_MONOTONIC) - t0) * 1e3);
			mnt_stop_all();
			mnt_cleanup(&M);
			memset(&M, 0, sizeof(M));
		}
	}
}

static void test_readahead_parallel_reads(void **s)
{
	(void)s;
	NEED_FUSE();
	each(parallel_reads_case);
}

static void test_readahead_mmap_workload(void **s)
{
	(void)s;
	NEED_FUSE();
	each(mmap_case);
}

/* fsx once per policy, the configurations taken in turn, so that each
 * policy meets readahead and each configuration several policies. */
static void test_readahead_fsx(void **s)
{
	size_t n = 0, nconf = sizeof(configs) / sizeof(configs[0]);

	(void)s;
	NEED_FUSE();
	for (const struct policy_ops *const *p = policy_all(); *p; p++) {
		char seed[32];

		if ((*p)->flags & POLICY_NEEDS_FUTURE)
			continue;
		snprintf(seed, sizeof(seed), "%zu", 100 + n);
		cur_fa = configs[n % nconf].fetch_ahead_kb;
		fsx_case((*p)->name, configs[n % nconf].frames,
			 configs[n % nconf].readahead_kb, seed);
		n++;
		mnt_stop_all();
		mnt_cleanup(&M);
		memset(&M, 0, sizeof(M));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(
			test_readahead_parallel_reads, mnt_case_setup,
			mnt_case_teardown, &M),
		cmocka_unit_test_prestate_setup_teardown(
			test_readahead_mmap_workload, mnt_case_setup,
			mnt_case_teardown, &M),
		cmocka_unit_test_prestate_setup_teardown(
			test_readahead_fsx, mnt_case_setup,
			mnt_case_teardown, &M),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
