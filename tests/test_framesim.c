/* test_framesim.c - the simulator's command line, run as a program ($FRAMESIM,
 * set by meson): Belady's anomaly on --refs, a trace and its .zst giving the
 * same results, -j 2 giving the results of -j 1 for every registered
 * policy, --warmup, write-backs on a hand-worked trace, --frac, the CSV and
 * JSON outputs, --plot's pictures (SKIPPED without gnuplot), and the errors
 * (message and exit status) of bad input.
 *
 * Trace files are written into a fresh directory under $TMPDIR (or /tmp),
 * removed with everything in it when the group ends. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "plot.h"
#include "policy.h"
#include "trace.h"

#define OUT_BYTES (256u << 10)

static char dir[256];
static char *out, *err;		/* the last run's stdout and stderr */
static const char *stdin_file;	/* the next run's stdin, through a pipe;
				 * NULL: none */

static int group_setup(void **s)
{
	(void)s;
	if (!getenv("FRAMESIM")) {
		fprintf(stderr, "test_framesim: set FRAMESIM to the framesim "
			"binary (meson test does)\n");
		return -1;
	}
	out = malloc(OUT_BYTES);
	err = malloc(OUT_BYTES);
	return out && err &&
	       tmpdir_make(dir, sizeof(dir), "test_framesim") == 0 ? 0 : -1;
}

static int group_teardown(void **s)
{
	(void)s;
	free(out);
	free(err);
	return tmpdir_remove(dir);
}

static char *tpath(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* Runs framesim with args (NULL-terminated, without argv[0]); its stdout
 * and stderr into out and err.  Returns its exit status. */
static int framesim(const char *first, ...)
{
	const char *argv[64];
	int po[2], pe[2], st, n = 1;
	size_t no = 0, ne = 0;
	va_list ap;
	pid_t pid;

	argv[0] = "framesim";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		assert_true(n < 63);
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (stdin_file) {
			/* A pipe, as from "zstd -c t | framesim -": no
			 * name and no size to go by. */
			int pi[2], fd;
			char buf[4096];
			ssize_t k;

			if (pipe(pi) < 0)
				_exit(127);
			if (fork() == 0) {
				close(pi[0]);
				fd = open(stdin_file, O_RDONLY);
				while (fd >= 0 &&
				       (k = read(fd, buf, sizeof(buf))) > 0)
					if (write(pi[1], buf, (size_t)k) != k)
						break;
				_exit(0);
			}
			close(pi[1]);
			dup2(pi[0], 0);
			close(pi[0]);
		}
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		execv(getenv("FRAMESIM"), (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* Both pipes at once: a child blocked on a full stderr pipe would
	 * never close stdout. */
	for (int open = 2; open > 0;) {
		struct pollfd pf[2] = { { po[0], POLLIN, 0 },
					{ pe[0], POLLIN, 0 } };
		ssize_t r;

		assert_true(poll(pf, 2, -1) > 0);
		for (int k = 0; k < 2; k++) {
			char *buf = k ? err : out;
			size_t *len = k ? &ne : &no;

			if (pf[k].fd < 0 || !(pf[k].revents & (POLLIN |
								 POLLHUP)))
				continue;
			r = read(pf[k].fd, buf + *len, OUT_BYTES - 1 - *len);
			if (r <= 0) {
				close(k ? pe[0] : po[0]);
				if (k)
					pe[0] = -1;
				else
					po[0] = -1;
				open--;
			} else {
				*len += (size_t)r;
			}
		}
	}
	out[no] = '\0';
	err[ne] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	stdin_file = NULL;
	return WEXITSTATUS(st);
}

/* Runs framesim with args on a terminal (a pseudo-terminal: stdout and
 * stderr both), so that it shows its progress line; what it wrote into
 * out.  Returns its exit status. */
static int framesim_tty(const char *first, ...)
{
	const char *argv[64];
	int master, st, n = 1;
	size_t no = 0;
	va_list ap;
	pid_t pid;

	argv[0] = "framesim";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		assert_true(n < 63);
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	pid = forkpty(&master, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		execv(getenv("FRAMESIM"), (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		ssize_t r = read(master, out + no, OUT_BYTES - 1 - no);

		if (r <= 0)		/* EIO once the child is gone */
			break;
		no += (size_t)r;
	}
	out[no] = '\0';
	close(master);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* The CSV data lines of out without the trace and seconds columns (those
 * differ between files and runs), for comparing results. */
static char *csv_results(const char *text)
{
	char *copy = strdup(text), *res = calloc(1, strlen(text) + 1);
	char *line, *save = NULL;

	assert_non_null(copy);
	assert_non_null(res);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *first = strchr(line, ','), *last = strrchr(line, ',');

		if (strncmp(line, "trace,", 6) == 0)
			continue;
		assert_non_null(first);
		*last = '\0';
		strcat(res, first + 1);
		strcat(res, "\n");
	}
	free(copy);
	return res;
}

/* Field k (0-based) of the CSV line for policy at frames in out. */
static long long csv_field(const char *policy, unsigned frames, int k)
{
	char pat[128];
	const char *line;

	snprintf(pat, sizeof(pat), ",%s,%u,", policy, frames);
	line = strstr(out, pat);
	if (!line)
		fail_msg("no %s at %u frames in:\n%s", policy, frames, out);
	while (line > out && line[-1] != '\n')
		line--;
	for (int i = 0; i < k; i++) {
		line = strchr(line, ',');
		assert_non_null(line);
		line++;
	}
	return strtoll(line, NULL, 10);
}

enum { F_REFS = 1, F_PAGES, F_WRITES, F_POLICY, F_FRAMES, F_REQUESTS,
       F_MISSES, F_RATIO, F_EVICTIONS, F_DIRTY };

/* A seeded pseudo-random trace of n references over npages pages, about a
 * fifth of them writes, in the framefs format. */
static void write_trace(const char *path, int n, uint32_t npages)
{
	struct trace_writer *w;
	uint64_t x = 88172645463325252ull;

	assert_int_equal(trace_writer_open(path, "source=test", &w), 0);
	for (int i = 0; i < n; i++) {
		struct trace_ref ref;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Skewed: half the references to an eighth of the pages. */
		ref = (struct trace_ref){
			.time_us = (uint64_t)i * 10,
			.file = x >> 63,
			.pgno = (x & 1) ? (x >> 8) % (npages / 8) :
					  (x >> 8) % npages,
			.write = (x >> 40) % 5 == 0,
		};
		assert_int_equal(trace_write(w, &ref), 0);
	}
	assert_int_equal(trace_writer_close(w), 0);
}

static void put_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---- cases ------------------------------------------------------------ */

/* FIFO on 1 2 3 4 1 2 5 1 2 3 4 5: 9 faults with 3 frames, 10 with 4;
 * the textbook table of --refs. */
static void test_framesim_belady(void **s)
{
	unsigned frames, req, faults, ev;
	char pol[16];
	double ratio;
	int seen = 0;

	(void)s;
	assert_int_equal(framesim("--policy", "fifo", "--frames", "3,4",
				  "--refs", "1,2,3,4,1,2,5,1,2,3,4,5", NULL),
			 0);
	assert_non_null(strstr(out, "policy     frames   requests     faults"));
	for (char *l = strchr(out, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		if (sscanf(l + 1, "%15s %u %u %u %lf %u", pol, &frames, &req,
			   &faults, &ratio, &ev) != 6)
			continue;
		assert_string_equal(pol, "fifo");
		assert_int_equal(req, 12);
		assert_int_equal(faults, frames == 3 ? 9 : 10);
		assert_int_equal(ev, faults - frames);
		seen |= 1 << (frames - 3);
	}
	assert_int_equal(seen, 3);
	/* The same in CSV. */
	assert_int_equal(framesim("-p", "fifo", "-n", "3,4", "--csv", "-r",
				  "1 2 3 4 1 2 5 1 2 3 4 5", NULL), 0);
	assert_int_equal(csv_field("fifo", 3, F_MISSES), 9);
	assert_int_equal(csv_field("fifo", 4, F_MISSES), 10);
}

/* framesim -p linux: the hand-worked string of tests/test_policy_linux.c
 * (13 faults on 4 frames), with parameters too, and a bad value refused
 * with exit 2. */
static void test_framesim_linux(void **s)
{
	static const char refs[] = "1 2 1 2 3 4 5 3 6 4 1 7 8 2 9 3";

	(void)s;
	assert_int_equal(framesim("-p", "linux,linux:mapped=1", "-n", "4",
				  "--csv", "-r", refs, NULL), 0);
	assert_int_equal(csv_field("linux", 4, F_MISSES), 13);
	assert_true(csv_field("linux:mapped=1", 4, F_MISSES) > 0);
	/* mapped=2 (MADV_RANDOM) sees no hit: FIFO's faults, 12 of 16 */
	assert_int_equal(framesim("-p", "linux:mapped=2,fifo", "-n", "4",
				  "--csv", "-r", refs, NULL), 0);
	assert_int_equal(csv_field("linux:mapped=2", 4, F_MISSES),
			 csv_field("fifo", 4, F_MISSES));
	assert_int_equal(framesim("-p", "linux:shadows=nan", "-r", refs, NULL),
			 2);
	assert_non_null(strstr(err, "shadows=nan"));
}

/* A trace file and the same trace compressed: the same results. */
static void test_framesim_zst_same(void **s)
{
	char *plain = tpath("t.trace"), *zst = tpath("t.trace.zst");
	char *a, *b;

	(void)s;
	write_trace(plain, 20000, 800);
	write_trace(zst, 20000, 800);
	assert_int_equal(framesim("-p", "fifo,lru,clock", "-n", "20,100",
				  "--csv", plain, NULL), 0);
	a = csv_results(out);
	assert_true(csv_field("lru", 100, F_MISSES) > 100);
	assert_int_equal(csv_field("lru", 100, F_REQUESTS), 20000);
	assert_int_equal(framesim("-p", "fifo,lru,clock", "-n", "20,100",
				  "--csv", zst, NULL), 0);
	b = csv_results(out);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a) > 0, 1);
	/* And in the same order: 6 lines. */
	assert_int_equal(strchr(a, '\n') != NULL, 1);
	free(a);
	free(b);
	free(plain);
	free(zst);
}

/* -j 2 prints what -j 1 prints, for every registered policy at several
 * sizes. */
static void test_framesim_jobs(void **s)
{
	char *path = tpath("j.trace"), list[1024] = "", *a, *b;
	int npol = 0;

	(void)s;
	for (const struct policy_ops *const *p = policy_all(); *p; p++) {
		strcat(list, npol++ ? "," : "");
		strcat(list, (*p)->name);
	}
	write_trace(path, 30000, 2000);
	assert_int_equal(framesim("-p", list, "-n", "7,64,500,3000", "-j", "1",
				  "--csv", path, NULL), 0);
	a = csv_results(out);
	assert_int_equal(framesim("-p", list, "-n", "7,64,500,3000", "-j", "2",
				  "--csv", path, NULL), 0);
	b = csv_results(out);
	assert_string_equal(a, b);
	/* One line per policy and size. */
	int lines = 0;

	for (const char *c = a; (c = strchr(c, '\n')); c++)
		lines++;
	assert_int_equal(lines, npol * 4);
	free(a);
	free(b);
	free(path);
}

/* --warmup N: the first N references are not counted.
 *   FIFO, 3 frames, 1 2 3 1 2 3 4 1:
 *   warm-up 3: 1 2 3 fill the frames; counted: 1 2 3 hit, 4 faults
 *   (evicts 1), 1 faults (evicts 2): 5 requests, 2 faults, 2 evictions.
 *   warm-up 5: counted 3 (hit) 4 1: 3 requests, 2 faults, 2 evictions.
 *   warm-up 8 (everything): 0 requests. */
static void test_framesim_warmup(void **s)
{
	const char *refs = "1 2 3 1 2 3 4 1";

	(void)s;
	assert_int_equal(framesim("-p", "fifo", "-n", "3", "--csv", "-r",
				  refs, NULL), 0);
	assert_int_equal(csv_field("fifo", 3, F_REQUESTS), 8);
	assert_int_equal(csv_field("fifo", 3, F_MISSES), 5);
	assert_int_equal(framesim("-p", "fifo", "-n", "3", "--csv", "-r",
				  refs, "--warmup", "3", NULL), 0);
	assert_int_equal(csv_field("fifo", 3, F_REQUESTS), 5);
	assert_int_equal(csv_field("fifo", 3, F_MISSES), 2);
	assert_int_equal(csv_field("fifo", 3, F_EVICTIONS), 2);
	assert_int_equal(framesim("-p", "fifo", "-n", "3", "--csv", "-r",
				  refs, "--warmup", "5", NULL), 0);
	assert_int_equal(csv_field("fifo", 3, F_REQUESTS), 3);
	assert_int_equal(csv_field("fifo", 3, F_MISSES), 2);
	/* Nothing left to measure: said, with no 0/0 miss ratio. */
	assert_int_equal(framesim("-p", "fifo", "-n", "3", "--csv", "-r",
				  refs, "--warmup", "8", NULL), 1);
	assert_string_equal(err, "framesim: refs: --warmup 8: the trace has "
			    "8 references, none left to measure\n");
	assert_int_equal(framesim("-p", "fifo", "-n", "3", "-r", refs,
				  "--warmup", "9", NULL), 1);
	assert_null(strstr(out, "fifo"));
	assert_int_equal(framesim("--warmup", "x", "-r", refs, NULL), 2);
}

/* An empty trace (or one of comments only) is a failure that says so,
 * not a table of 0 requests and a miss ratio of 0.0000; a trace the
 * warm-up covers whole is the same.  The other traces still run. */
static void test_framesim_nothing_measured(void **s)
{
	char *empty = tpath("empty.trace"), *ok = tpath("ok.trace");

	(void)s;
	put_text(empty, "");
	assert_int_equal(framesim("-n", "2", "-F", "csv:page", empty, NULL),
			 1);
	assert_true(strstr(err, ": no references read (an empty trace, or "
			   "only comments and a header)\n") != NULL);
	assert_null(strstr(out, "0.0000"));
	put_text(empty, "# framefs trace v1\n# nothing\n");
	assert_int_equal(framesim("-n", "2", empty, NULL), 1);
	assert_non_null(strstr(err, "no references read"));
	put_text(ok, "# framefs trace v1\n1 0 1 r\n2 0 2 r\n3 0 1 r\n");
	assert_int_equal(framesim("-p", "lru", "-n", "2", "--csv", empty, ok,
				  NULL), 1);
	assert_int_equal(csv_field("lru", 2, F_REQUESTS), 3);
	assert_int_equal(framesim("-p", "lru", "-n", "2", "--csv", "--warmup",
				  "3", ok, NULL), 1);
	assert_non_null(strstr(err, "ok.trace: --warmup 3: the trace has 3 "
			       "references, none left to measure"));
	assert_int_equal(framesim("-p", "lru", "-n", "2", "--csv", "--warmup",
				  "2", ok, NULL), 0);
	assert_int_equal(csv_field("lru", 2, F_REQUESTS), 1);
	free(empty);
	free(ok);
}

/* Write-backs, 2 frames (* = dirty):
 *   ref   FIFO (oldest first)     LRU (least recent first)
 *   1w    miss [1*]               miss [1*]
 *   2r    miss [1* 2]             miss [1* 2]
 *   3r    miss, evicts 1*: wb 1   miss, evicts 1*: wb 1
 *         [2 3]                   [2 3]
 *   1r    miss, evicts 2 [3 1]    miss, evicts 2 [3 1]
 *   1w    hit [3 1*]              hit [3 1*]
 *   4r    miss, evicts 3 [1* 4]   miss, evicts 3 [1* 4]
 *   5r    miss, evicts 1*: wb 2   miss, evicts 1*: wb 2
 *         [4 5]                   [4 5]
 *   4w    hit [4* 5]              hit [5 4*]
 *   6w    miss, evicts 4*: wb 3   miss, evicts 5 [4* 6*]
 *         [5 6*]
 * FIFO: 7 misses, 5 evictions, 3 write-backs; LRU: 7, 5, 2.  The page 1
 * loaded again at "1r" is clean: the write-back of its old copy was
 * counted when it left. */
static void test_framesim_dirty(void **s)
{
	char *path = tpath("dirty.trace");

	(void)s;
	put_text(path, "# framefs trace v1 source=hand\n"
		 "0 0 1 w\n1 0 2 r\n2 0 3 r\n3 0 1 r\n4 0 1 w\n"
		 "5 0 4 r\n6 0 5 r\n7 0 4 w\n8 0 6 w\n");
	assert_int_equal(framesim("-p", "fifo,lru", "-n", "2", "--csv", path,
				  NULL), 0);
	assert_int_equal(csv_field("fifo", 2, F_REFS), 9);
	assert_int_equal(csv_field("fifo", 2, F_PAGES), 6);
	assert_int_equal(csv_field("fifo", 2, F_WRITES), 4);
	assert_int_equal(csv_field("fifo", 2, F_MISSES), 7);
	assert_int_equal(csv_field("fifo", 2, F_EVICTIONS), 5);
	assert_int_equal(csv_field("fifo", 2, F_DIRTY), 3);
	assert_int_equal(csv_field("lru", 2, F_MISSES), 7);
	assert_int_equal(csv_field("lru", 2, F_EVICTIONS), 5);
	assert_int_equal(csv_field("lru", 2, F_DIRTY), 2);
	/* The table says the same. */
	assert_int_equal(framesim("-p", "fifo", "-n", "2", path, NULL), 0);
	assert_non_null(strstr(out, "9 references (4 writes), 6 distinct "
			       "pages"));
	assert_non_null(strstr(out, "write-backs"));
	free(path);
}

/* --frac: shares of the distinct pages (100 here), rounded, at least 1. */
static void test_framesim_frac(void **s)
{
	char *path = tpath("frac.csv"), text[2000];
	size_t n = 0;

	(void)s;
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%d\n",
				      (i * 37) % 100);
	put_text(path, text);
	assert_int_equal(framesim("-p", "lru", "--frac", "0.1,0.5,0.001,1",
				  "-F", "csv:page", "--csv", path, NULL), 0);
	assert_int_equal(csv_field("lru", 10, F_PAGES), 100);
	assert_int_equal(csv_field("lru", 10, F_REQUESTS), 300);
	assert_int_equal(csv_field("lru", 50, F_REQUESTS), 300);
	assert_int_equal(csv_field("lru", 1, F_REQUESTS), 300);
	/* All pages fit: only the cold misses. */
	assert_int_equal(csv_field("lru", 100, F_MISSES), 100);
	assert_int_equal(csv_field("lru", 100, F_EVICTIONS), 0);
	assert_int_equal(framesim("--frac", "0", path, NULL), 2);
	assert_non_null(strstr(err, "framesim: --frac: 0: not a share"));
	assert_int_equal(framesim("--frac", "1.5", path, NULL), 2);
	assert_int_equal(framesim("--frac", "0.1", "--frames", "3", path,
				  NULL), 2);
	free(path);
}

/* --csv: a header and one line per run; --json: an array of one object
 * per run, with the same numbers. */
static void test_framesim_machine_output(void **s)
{
	char *path = tpath("m.trace");
	long long misses;
	int objects = 0;

	(void)s;
	write_trace(path, 5000, 300);
	assert_int_equal(framesim("-p", "fifo,clock", "-n", "10,30", "--csv",
				  path, NULL), 0);
	assert_true(strncmp(out, "trace,references,distinct_pages,writes,"
			    "policy,frames,requests,misses,miss_ratio,"
			    "evictions,dirty_evictions,seconds\n", 100) == 0);
	assert_non_null(strstr(out, path));
	misses = csv_field("clock", 30, F_MISSES);
	assert_true(misses > 0 && misses <= 5000);
	assert_int_equal(framesim("-p", "fifo,clock", "-n", "10,30", "--json",
				  path, NULL), 0);
	assert_true(out[0] == '[');
	assert_non_null(strstr(out, "\n]\n"));
	for (const char *c = out; (c = strstr(c, "\n{\"trace\": ")); c++) {
		const char *end = strchr(c + 1, '\n');

		objects++;
		assert_non_null(end);
		assert_true(end[-1] == '}' || end[-2] == '}');
	}
	/* The line of clock at 30 frames has the misses CSV gave. */
	{
		const char *c = strstr(out, "\"policy\": \"clock\", "
				       "\"frames\": 30,");
		char want[64];

		assert_non_null(c);
		snprintf(want, sizeof(want), "\"misses\": %lld,", misses);
		assert_non_null(strstr(c, want));
		assert_true(strstr(c, want) < strchr(c, '\n'));
	}
	assert_int_equal(objects, 4);
	assert_int_equal(framesim("--json", "--csv", path, NULL), 2);
	free(path);
}

/* Bad input: one line on stderr, exit 2 for the command line, 1 for the
 * data. */
/* --mrc: the one-pass curves equal the simulated policies at every size
 * given (LRU and OPT are stack algorithms); SHARDS at rate 1 is the exact
 * curve; the default is a curve of at most 100 sizes from 1 page. */
static void test_framesim_mrc(void **s)
{
	char *path = tpath("m.trace");
	static const char *const sizes = "1,7,64,500,1999,3000";
	static const unsigned frames[] = { 1, 7, 64, 500, 1999, 3000 };

	(void)s;
	write_trace(path, 30000, 2000);
	for (int k = 0; k < 2; k++) {
		const char *pol = k ? "opt" : "lru";
		char curve[32];

		snprintf(curve, sizeof(curve), "%s (mrc)", pol);
		assert_int_equal(framesim("--mrc", pol, "-p", pol, "-n", sizes,
					  "--csv", path, NULL), 0);
		for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]);
		     i++) {
			assert_int_equal(csv_field(curve, frames[i], F_MISSES),
					 csv_field(pol, frames[i], F_MISSES));
			assert_int_equal(csv_field(curve, frames[i],
						   F_EVICTIONS),
					 csv_field(pol, frames[i],
						   F_EVICTIONS));
		}
	}
	assert_int_equal(framesim("--mrc", "lru", "--shards", "1", "-n", sizes,
				  "--csv", path, NULL), 0);
	assert_non_null(strstr(out, ",lru (mrc),64,"));
	assert_int_equal(framesim("--mrc", "lru", "--csv", path, NULL), 0);
	{
		int lines = 0;

		for (const char *c = out; (c = strchr(c, '\n')); c++)
			lines++;
		assert_true(lines > 50 && lines <= 101);
		assert_non_null(strstr(out, ",lru (mrc),1,"));
	}
	assert_int_equal(framesim("--mrc", "lru", "--shards", "0.5", "-n",
				  "500", "--csv", path, NULL), 0);
	assert_non_null(strstr(out, ",lru (shards 0.5),500,"));
	assert_int_equal(framesim("--mrc", "fifo", path, NULL), 2);
	assert_int_equal(framesim("--mrc", "opt", "--shards", "0.1", path,
				  NULL), 2);
	assert_int_equal(framesim("--shards", "0.1", path, NULL), 2);
	assert_int_equal(framesim("--mrc", "lru", "--shards", "0", path,
				  NULL), 2);
	assert_int_equal(framesim("--mrc", "lru", "--warmup", "5", path,
				  NULL), 2);
	free(path);
}

static void test_framesim_bad_input(void **s)
{
	char *path = tpath("bad.trace"), *missing = tpath("missing.trace");
	char want[700];

	(void)s;
	assert_int_equal(framesim("-p", "nosuch", "-r", "1 2", NULL), 2);
	assert_non_null(strstr(err, "framesim: --policy: nosuch: unknown "
			       "policy"));
	assert_int_equal(framesim("-p", "lru:x=1", "-r", "1 2", NULL), 2);
	assert_non_null(strstr(err, "framesim: --policy: lru: x: unknown "
			       "parameter"));
	assert_int_equal(framesim("-n", "0", "-r", "1 2", NULL), 2);
	assert_int_equal(framesim("-r", "1 x 2", NULL), 2);
	assert_int_equal(framesim("-j", "0", "-r", "1", NULL), 2);
	assert_int_equal(framesim(NULL), 2);
	assert_int_equal(framesim("-F", "bogus", path, NULL), 2);
	assert_non_null(strstr(err, "framesim: --format: bogus: unknown"));
	assert_int_equal(framesim("-F", "csv:page,colour", path, NULL), 2);
	assert_int_equal(framesim("--shards", "0.01", path, NULL), 2);

	/* Data: a missing file, a malformed line (named file:line). */
	assert_int_equal(framesim("-n", "4", missing, NULL), 1);
	snprintf(want, sizeof(want), "framesim: %s: No such file", missing);
	assert_non_null(strstr(err, want));
	assert_string_equal(out, "");
	put_text(path, "# framefs trace v1\n1 0 1 r\n2 0 2 r\n3 zero 3 r\n");
	assert_int_equal(framesim("-n", "4", path, NULL), 1);
	snprintf(want, sizeof(want), "framesim: %s:4: expected", path);
	assert_non_null(strstr(err, want));
	/* One bad trace does not stop the next. */
	assert_int_equal(framesim("-p", "lru", "-n", "4", "--csv", path,
				  missing, NULL), 1);
	assert_non_null(strstr(err, "bad.trace:4:"));
	assert_non_null(strstr(err, "missing.trace: No such file"));
	free(path);
	free(missing);
}

/* A record's byte range becomes one reference per page, so one line of
 * 1 TiB or 2^64 - 1 bytes would be 2^28 or 2^52 references: a record
 * larger than --max-record (1G by default) is an error naming its line,
 * at once. */
static void test_framesim_max_record(void **s)
{
	char *path = tpath("big.csv"), *msr = tpath("big_msr.csv");
	char want[700];

	(void)s;
	put_text(path, "0,4096\n0,1099511627776\n");
	assert_int_equal(framesim("-p", "lru", "-n", "4", "-F", "csv:off,size",
				  path, NULL), 1);
	snprintf(want, sizeof(want), "framesim: %s:2: record of "
		 "1099511627776 bytes is larger than --max-record 1G: ", path);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	put_text(path, "0,18446744073709551615\n");
	assert_int_equal(framesim("-F", "csv:off,size", path, NULL), 1);
	assert_non_null(strstr(err, ":1: record of 18446744073709551615 "
			       "bytes is larger than --max-record 1G"));
	put_text(msr, "128166372003061629,hm,0,Write,0,1099511627776,1\n");
	assert_int_equal(framesim(msr, NULL), 1);
	assert_non_null(strstr(err, "big_msr.csv:1: record of 1099511627776 "
			       "bytes is larger"));
	/* The limit is the user's: 8K takes two pages, not three. */
	put_text(path, "0,8192\n4096,8192\n");
	assert_int_equal(framesim("-p", "lru", "-n", "4", "--csv",
				  "--max-record", "8K", "-F", "csv:off,size",
				  path, NULL), 0);
	assert_int_equal(csv_field("lru", 4, F_REFS), 4);
	put_text(path, "0,8192\n0,12288\n");
	assert_int_equal(framesim("--max-record", "8K", "-F", "csv:off,size",
				  path, NULL), 1);
	assert_non_null(strstr(err, ":2: record of 12288 bytes is larger "
			       "than --max-record 8K"));
	assert_int_equal(framesim("--max-record", "0", path, NULL), 2);
	assert_string_equal(err, "framesim: --max-record: 0: not a size in "
			    "1..16384G\n");
	free(path);
	free(msr);
}

/* Standard input compressed with zstd, from a pipe (no name, no size):
 * read through the decompressor, with the results of the plain file. */
static void test_framesim_zstd_stdin(void **s)
{
	char *plain = tpath("in.trace"), *zst = tpath("in.trace.zst");
	char *a, *b;

	(void)s;
	write_trace(plain, 5000, 300);
	write_trace(zst, 5000, 300);
	assert_int_equal(framesim("-p", "lru,clock", "-n", "10,50", "--csv",
				  plain, NULL), 0);
	a = csv_results(out);
	stdin_file = zst;
	assert_int_equal(framesim("-p", "lru,clock", "-n", "10,50", "--csv",
				  "-", NULL), 0);
	b = csv_results(out);
	assert_string_equal(a, b);
	assert_int_equal(csv_field("lru", 10, F_REFS), 5000);
	free(a);
	free(b);
	free(plain);
	free(zst);
}

/* On a terminal the loading line counts references (a block trace's
 * record can be many of them while the bytes stand still), and says how
 * much of the file is read. */
static void test_framesim_progress(void **s)
{
	char *path = tpath("p.trace");

	(void)s;
	write_trace(path, 300000, 5000);
	assert_int_equal(framesim_tty("-p", "fifo", "-n", "100", path, NULL),
			 0);
	assert_non_null(strstr(out, "framesim: "));
	assert_non_null(strstr(out, ": loading: "));
	assert_non_null(strstr(out, " M references, "));
	assert_non_null(strstr(out, "% of the file"));
	assert_non_null(strstr(out, "300000 references"));
	free(path);
}

/* ---- --plot ----------------------------------------------------------- */

/* Is path a PNG image of more than min_bytes? */
static void assert_png(const char *path, long min_bytes)
{
	static const unsigned char magic[8] = { 0x89, 'P', 'N', 'G',
						'\r', '\n', 0x1a, '\n' };
	unsigned char head[8];
	struct stat st;
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("%s: no picture written", path);
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	assert_memory_equal(head, magic, sizeof(magic));
	assert_int_equal(stat(path, &st), 0);
	if (st.st_size <= min_bytes)
		fail_msg("%s: %lld bytes, a blank picture?", path,
			 (long long)st.st_size);
}

/* Runs framesim with TMPDIR set to a fresh directory, and checks that the
 * run left nothing there (the points of a picture go to a temporary file
 * that is removed). */
static char *plot_tmp;

static void plot_tmp_begin(void)
{
	plot_tmp = tpath("plot-tmp");
	assert_int_equal(mkdir(plot_tmp, 0700), 0);
	assert_int_equal(setenv("TMPDIR", plot_tmp, 1), 0);
}

static void plot_tmp_end(void)
{
	unsetenv("TMPDIR");
	if (rmdir(plot_tmp) < 0)
		fail_msg("%s: a temporary file left behind", plot_tmp);
	free(plot_tmp);
}

/* The text table without its last line (load and replay times). */
static char *without_times(const char *text)
{
	char *t = strdup(text), *times;

	assert_non_null(t);
	times = strstr(t, "loaded in ");
	assert_non_null(times);
	*times = '\0';
	return t;
}

/* --mrc with --plot: a PNG from gnuplot exit 0, alone and with policies
 * beside the curve; the table is the one printed without --plot. */
static void test_framesim_plot_mrc(void **s)
{
	char *path = tpath("pm.trace"), *png = tpath("mrc.png");
	char *plain, *drawn;

	(void)s;
	if (!plot_available())
		skip();			/* gnuplot-nox is not installed */
	write_trace(path, 20000, 1500);
	plot_tmp_begin();
	assert_int_equal(framesim("--mrc", "lru", path, NULL), 0);
	plain = without_times(out);
	assert_int_equal(framesim("--mrc", "lru", "--plot", png, path, NULL),
			 0);
	drawn = without_times(out);
	assert_string_equal(err, "");
	assert_string_equal(plain, drawn);
	assert_png(png, 8000);
	assert_int_equal(unlink(png), 0);
	assert_int_equal(framesim("--mrc", "opt", "-p", "lru,clock,opt",
				  "--plot", png, path, NULL), 0);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "opt (mrc)"));
	assert_png(png, 8000);
	plot_tmp_end();
	free(plain);
	free(drawn);
	free(png);
	free(path);
}

/* Policies x sizes with --plot: a PNG, and the same table; a reference
 * string draws too, its textbook table byte for byte as without --plot. */
static void test_framesim_plot_policies(void **s)
{
	char *path = tpath("pp.trace"), *png = tpath("grid.png");
	char *belady = tpath("belady.png"), *plain, *drawn;

	(void)s;
	if (!plot_available())
		skip();
	write_trace(path, 20000, 1500);
	plot_tmp_begin();
	assert_int_equal(framesim("-p", "fifo,lru,opt", "-n", "300,30,3",
				  "--csv", path, NULL), 0);
	plain = csv_results(out);
	assert_int_equal(framesim("-p", "fifo,lru,opt", "-n", "300,30,3",
				  "--csv", "--plot", png, path, NULL), 0);
	drawn = csv_results(out);
	assert_string_equal(err, "");
	assert_string_equal(plain, drawn);
	assert_png(png, 8000);
	free(plain);
	free(drawn);
	assert_int_equal(framesim("-p", "fifo", "-n", "1,2,3,4,5,6", "--refs",
				  "1,2,3,4,1,2,5,1,2,3,4,5", NULL), 0);
	plain = strdup(out);
	assert_int_equal(framesim("-p", "fifo", "-n", "1,2,3,4,5,6", "--plot",
				  belady, "--refs", "1,2,3,4,1,2,5,1,2,3,4,5",
				  NULL), 0);
	assert_string_equal(err, "");
	assert_string_equal(plain, out);
	assert_png(belady, 5000);
	plot_tmp_end();
	free(plain);
	free(belady);
	free(png);
	free(path);
}

/* Without gnuplot: refused before anything is simulated, exit 1.  A
 * gnuplot that fails: the table, then its complaint, exit 1.  (A stand-in
 * gnuplot on PATH: neither needs the real one.) */
static void test_framesim_plot_gnuplot(void **s)
{
	char *bin = tpath("fake-bin"), *fake, *png = tpath("never.png");
	char *saved = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	char want[700];
	FILE *f;
	int rc;

	(void)s;
	assert_non_null(saved);
	assert_int_equal(mkdir(bin, 0700), 0);
	setenv("PATH", bin, 1);
	rc = framesim("--plot", png, "-r", "1,2,1", NULL);
	setenv("PATH", saved, 1);
	assert_int_equal(rc, 1);
	assert_string_equal(out, "");
	assert_string_equal(err, "framesim: --plot: gnuplot: not found "
			    "(apt-get install gnuplot-nox)\n");

	assert_true(asprintf(&fake, "%s/gnuplot", bin) > 0);
	f = fopen(fake, "w");
	assert_non_null(f);
	/* What gnuplot 5.4 says on a script from standard input, and a
	 * picture on standard output (after a failed "set output"). */
	fputs("#!/bin/sh\necho 'not a picture'\n"
	      "echo \"gnuplot> set output 'x.png'\" >&2\n"
	      "echo '                 ^' >&2\n"
	      "echo '   line 0:    cannot open file; output not changed' >&2\n"
	      "echo 'system error: Permission denied' >&2\nexit 1\n", f);
	fclose(f);
	assert_int_equal(chmod(fake, 0755), 0);
	setenv("PATH", bin, 1);
	rc = framesim("--plot", png, "-p", "lru", "-r", "1,2,1", NULL);
	setenv("PATH", saved, 1);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "lru             3          3          2"));
	assert_null(strstr(out, "not a picture"));
	snprintf(want, sizeof(want), "framesim: --plot: %s: gnuplot: cannot "
		 "open file; output not changed\n", png);
	assert_string_equal(err, want);
	assert_int_equal(access(png, F_OK), -1);
	assert_int_equal(unlink(fake), 0);
	assert_int_equal(rmdir(bin), 0);
	free(saved);
	free(fake);
	free(png);
	free(bin);
}

/* --list is the registry's listing; --help has the examples. */
static void test_framesim_list_help(void **s)
{
	(void)s;
	assert_int_equal(framesim("--list", NULL), 0);
	for (const struct policy_ops *const *p = policy_all(); *p; p++)
		assert_non_null(strstr(out, (*p)->name));
	assert_int_equal(framesim("--help", NULL), 0);
	assert_non_null(strstr(out, "Belady"));
	assert_non_null(strstr(out, "--frac"));
	assert_non_null(strstr(out, "--warmup"));
	assert_non_null(strstr(out, "--plot belady.png"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framesim_belady),
		cmocka_unit_test(test_framesim_linux),
		cmocka_unit_test(test_framesim_zst_same),
		cmocka_unit_test(test_framesim_jobs),
		cmocka_unit_test(test_framesim_warmup),
		cmocka_unit_test(test_framesim_dirty),
		cmocka_unit_test(test_framesim_frac),
		cmocka_unit_test(test_framesim_machine_output),
		cmocka_unit_test(test_framesim_mrc),
		cmocka_unit_test(test_framesim_bad_input),
		cmocka_unit_test(test_framesim_list_help),
		cmocka_unit_test(test_framesim_max_record),
		cmocka_unit_test(test_framesim_zstd_stdin),
		cmocka_unit_test(test_framesim_progress),
		cmocka_unit_test(test_framesim_nothing_measured),
		cmocka_unit_test(test_framesim_plot_mrc),
		cmocka_unit_test(test_framesim_plot_policies),
		cmocka_unit_test(test_framesim_plot_gnuplot),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
