/* kernel_bench.c - the live kernel's page replacement beside its model
 * (the linux policy) and the textbook policies, on the same reference
 * strings, at three cache sizes: how close the model comes, as ratios.
 *
 * What it runs.  One scratch file of --pages pages (16,384; 2,048 with
 * --quick) in a new directory under --dir (default /var/tmp: a disk file
 * system, which --memcg needs), made sparse with ftruncate(): a fault on a
 * hole is still a major fault that adds one clean page to the page cache,
 * as a fault on data is, without the disk's time.  Then, for each workload
 * (zipf:0.9, zipf:0.6, a loop 1.5 times the largest size, scan-hot,
 * hotcold:10/90), all with the same --seed:
 *
 *   1. the reference string: `mmload --trace-out` in a run of its own,
 *      outside any memory cgroup.  Not in the kernel's runs: the trace
 *      file's page cache would be charged to their cgroup (page cache goes
 *      to the cgroup of the process, whichever thread writes it), take
 *      room from the file and, written a few lines at a time, be activated
 *      and so start the refault activations the kernel otherwise never
 *      makes (doc/mmload.md, --memcg).  The same seed draws the same
 *      touches, and the bench checks the trace's length against them;
 *   2. the kernel, once per size: `mmload --memcg SIZE` (MADV_RANDOM,
 *      the file's pages dropped first): its major faults, the page cache
 *      it held once full (memcg_cache_pages_full: the mean from the first
 *      sample within 64 pages of SIZE, the warm-up left out), the mean
 *      active list, the refaults;
 *   3. the simulator on the string: `framesim --csv` with linux:mapped=2
 *      (the model of a mapping without recency, which MADV_RANDOM is),
 *      linux (read() references), linux:mapped=1 (PTE young bits seen),
 *      lru, clock, arc, opt and fifo, at the nominal sizes and at the
 *      kernel's effective size (memcg_cache_pages_full, rounded) of each.
 *
 * What it prints.  Per workload and size: the kernel's major faults and
 * cache, each policy's misses at the kernel's effective size, and the
 * ratio policy / kernel; then the same ratios at the nominal sizes; then
 * a summary of the model (linux:mapped=2) at the effective size: the
 * cells within 5% of the kernel, and those where it is closer than both
 * LRU and CLOCK (a tie counts: on a loop every one of them misses every
 * time).  Fault counts do not depend on the machine's speed, so CPU noise
 * changes no figure; the kernel's own run-to-run spread (its batches of
 * 32 in reclaim, of 64 in charging) is about 1%.
 *
 * Exit status: 0 ok, whatever the ratios (they are figures, never a
 * verdict), also when the kernel cannot be measured here (not root, no
 * cgroup v1 memory controller): one SKIP line; 1 failure (a program
 * failed or printed what the bench cannot read); 2 usage error.  The
 * scratch directory is removed at the end, also after a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "kernel_bench"
#include "prog.h"

#ifndef MMLOAD_BIN
#error "MMLOAD_BIN: the path of mmload (bench/meson.build sets it)"
#endif
#ifndef FRAMESIM_BIN
#error "FRAMESIM_BIN: the path of framesim (bench/meson.build sets it)"
#endif

#define NSIZES 3
#define NWORK 5
#define OUT_MAX (1 << 20)	/* a program's standard output, at most */

/* The policies, in the order of the columns; the first is the model. */
static const struct {
	const char *spec;	/* framesim's */
	const char *label;	/* the column's */
} pol[] = {
	{ "linux:mapped=2", "model" },
	{ "linux", "lx:m=0" },
	{ "linux:mapped=1", "lx:m=1" },
	{ "lru", "lru" },
	{ "clock", "clock" },
	{ "arc", "arc" },
	{ "opt", "opt" },
	{ "fifo", "fifo" },
};
#define NPOL (sizeof(pol) / sizeof(pol[0]))
#define P_MODEL 0
#define P_LRU 3
#define P_CLOCK 4

/* One workload at one size. */
struct cell {
	uint64_t size;		/* --memcg SIZE: nominal pages */
	uint64_t majflt;	/* the kernel's major faults */
	double cache_full;	/* memcg_cache_pages_full (-1: never full) */
	double cache_mean;	/* memcg_cache_pages */
	double active;		/* memcg_active_pages */
	uint64_t refaults;	/* workingset_refault_file */
	uint64_t eff;		/* the size compared at: cache_full rounded,
				 * or the nominal size if it never filled */
	uint64_t at_eff[NPOL];	/* misses at eff */
	uint64_t at_nom[NPOL];	/* misses at size */
};

struct work {
	char pattern[64];	/* mmload --pattern */
	uint64_t ops;		/* touches */
	uint64_t distinct;	/* distinct pages, from the trace run */
	struct cell cell[NSIZES];
};

static char tmpdir[PATH_MAX];	/* removed at exit */
static char datafile[PATH_MAX + 16];
static char tracefile[PATH_MAX + 16];

static void cleanup(void)
{
	if (!tmpdir[0])
		return;
	unlink(datafile);
	unlink(tracefile);
	rmdir(tmpdir);
	tmpdir[0] = '\0';
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Runs argv with its standard output into out (NUL-terminated, at most
 * OUT_MAX - 1 bytes), and its standard error too if both, else passed
 * through.  Returns the exit status, or -1 when it could not run or was
 * killed (said on stderr). */
static int run(char *const argv[], char *out, bool both)
{
	int pfd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		prog_errf("pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		prog_errf("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		if (both)
			dup2(pfd[1], STDERR_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, PROG ": %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + len, OUT_MAX - 1 - len)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	out[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			prog_errf("waitpid: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(status)) {
		prog_errf("%s: killed by signal %d", argv[0],
			  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return -1;
	}
	return WEXITSTATUS(status);
}

/* The value of "name value" in mmload's output; false if absent. */
static bool field(const char *out, const char *name, double *v)
{
	size_t len = strlen(name);

	for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (!strncmp(p, name, len) && (p[len] == ' ' || p[len] == '\t')) {
			char *end;

			*v = strtod(p + len, &end);
			return end != p + len;
		}
	}
	return false;
}

/* Whether mmload --memcg can run here: a one-page run in the smallest
 * cgroup.  Returns 1 yes, 0 no (why, mmload's line, in why), -1 a
 * failure of another kind (said on stderr). */
static int memcg_works(char *out, char *why, size_t whylen)
{
	char *argv[] = { MMLOAD_BIN, "--memcg", "64", "--pattern", "seq",
			 "--ops", "1", datafile, NULL };
	char *nl;
	int rc = run(argv, out, true);

	if (rc == 0)
		return 1;
	if (rc != 1) {
		fputs(out, stderr);
		prog_errf("mmload --memcg on %s: exit %d", datafile, rc);
		return -1;
	}
	/* "mmload: --memcg: needs root (...)", "...: no cgroup v1 memory
	 * controller is mounted": its last line says why */
	while ((nl = strrchr(out, '\n')) && !nl[1])
		*nl = '\0';
	snprintf(why, whylen, "%s", nl ? nl + 1 : out);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [--quick] [--dir DIR] [--seed S]\n"
"\n"
"The kernel's page replacement (mmload --memcg, in a cgroup v1 memory\n"
"cgroup) beside the linux policy's model of it and lru, clock, arc, opt\n"
"and fifo in framesim, on the same reference strings: zipf:0.9, zipf:0.6,\n"
"a loop larger than the cache, scan-hot and hotcold:10/90, at three cache\n"
"sizes.  Prints each one's misses and the ratio to the kernel's major\n"
"faults, at the page cache size the kernel held and at the nominal one.\n"
"\n"
"  -q, --quick      2,048 pages, 20,000 touches, sizes 128, 256, 512: a\n"
"                   smoke run of a few seconds (default 16,384 pages,\n"
"                   200,000 touches, sizes 1024, 2048, 4096)\n"
"  -d, --dir DIR    where the scratch file goes (default /var/tmp); on a\n"
"                   disk's file system, not tmpfs\n"
"  -s, --seed S     the workloads' seed (default 1)\n"
"  -h, --help       this help\n"
"\n"
"Needs root and a cgroup v1 memory controller for the kernel's figures;\n"
"without them it prints one SKIP line and exits 0.\n"
"\n"
"examples:\n"
"  " PROG " --quick       a smoke run (CI)\n"
"  " PROG "               the table of doc/benchmarks.md\n"
"\n"
"Exit: 0 ok (whatever the ratios), 1 failure, 2 usage error.\n");
}

/* Steps 1 and 2 for one workload: the trace run, then the kernel at each
 * size.  Returns 0 or -1 (said on stderr). */
static int measure(struct work *w, uint64_t npages, const char *seed,
		   char *out)
{
	char ops[32], pages[32], size[32];
	double v;
	int rc;

	snprintf(ops, sizeof(ops), "%" PRIu64, w->ops);
	snprintf(pages, sizeof(pages), "%" PRIu64, npages);
	{
		char *argv[] = { MMLOAD_BIN, "--pattern", w->pattern, "--ops",
				 ops, "--seed", (char *)seed, "--madvise",
				 "random", "--trace-out", tracefile, datafile,
				 NULL };

		rc = run(argv, out, false);
		if (rc != 0 || !field(out, "distinct_pages", &v)) {
			prog_errf("%s: the trace run failed (exit %d)",
				  w->pattern, rc);
			return -1;
		}
		w->distinct = (uint64_t)v;
		if (!field(out, "touches", &v) || (uint64_t)v != w->ops) {
			prog_errf("%s: the trace run made %.0f touches, not "
				  "%" PRIu64, w->pattern, v, w->ops);
			return -1;
		}
	}
	for (int i = 0; i < NSIZES; i++) {
		struct cell *c = &w->cell[i];
		char *argv[] = { MMLOAD_BIN, "--memcg", size, "--pattern",
				 w->pattern, "--ops", ops, "--seed",
				 (char *)seed, datafile, NULL };

		snprintf(size, sizeof(size), "%" PRIu64, c->size);
		prog_progress("%s, the kernel with %" PRIu64 " pages",
			      w->pattern, c->size);
		rc = run(argv, out, false);
		if (rc != 0 || !field(out, "majflt", &v)) {
			prog_errf("%s: mmload --memcg %" PRIu64 " failed "
				  "(exit %d)", w->pattern, c->size, rc);
			return -1;
		}
		c->majflt = (uint64_t)v;
		c->cache_mean = field(out, "memcg_cache_pages", &v) ? v : -1;
		c->cache_full = field(out, "memcg_cache_pages_full", &v) ? v
									 : -1;
		c->active = field(out, "memcg_active_pages", &v) ? v : -1;
		c->refaults = field(out, "workingset_refault_file", &v) ?
			(uint64_t)v : 0;
		c->eff = c->cache_full > 0 ? (uint64_t)llround(c->cache_full)
					   : c->size;
	}
	return 0;
}

/* Step 3: framesim on the trace at the nominal and effective sizes. */
static int simulate(struct work *w, char *out)
{
	char specs[512] = "", sizes[256] = "";
	char *argv[] = { FRAMESIM_BIN, "--csv", "-p", specs, "-n", sizes,
			 tracefile, NULL };
	size_t got = 0;
	int rc;

	for (size_t p = 0; p < NPOL; p++)
		snprintf(specs + strlen(specs), sizeof(specs) - strlen(specs),
			 "%s%s", p ? "," : "", pol[p].spec);
	for (int i = 0; i < NSIZES; i++)
		snprintf(sizes + strlen(sizes), sizeof(sizes) - strlen(sizes),
			 "%s%" PRIu64 ",%" PRIu64, i ? "," : "",
			 w->cell[i].size, w->cell[i].eff);
	prog_progress("%s, framesim", w->pattern);
	rc = run(argv, out, false);
	if (rc != 0) {
		prog_errf("%s: framesim failed (exit %d)", w->pattern, rc);
		return -1;
	}
	/* trace,references,distinct_pages,writes,policy,frames,requests,
	 * misses,... */
	for (char *line = strchr(out, '\n'); line && line[1]; ) {
		char *next = strchr(++line, '\n');
		char *f[9];
		int nf = 0;

		if (next)
			*next = '\0';
		for (char *t = line; nf < 9 && t; nf++) {
			f[nf] = t;
			t = strchr(t, ',');
			if (t)
				*t++ = '\0';
		}
		if (nf < 9) {
			prog_errf("%s: framesim: unexpected line", w->pattern);
			return -1;
		}
		for (size_t p = 0; p < NPOL; p++) {
			if (strcmp(f[4], pol[p].spec))
				continue;
			for (int i = 0; i < NSIZES; i++) {
				uint64_t n = strtoull(f[5], NULL, 10);
				uint64_t m = strtoull(f[7], NULL, 10);

				if (n == w->cell[i].size) {
					w->cell[i].at_nom[p] = m;
					got++;
				}
				if (n == w->cell[i].eff) {
					w->cell[i].at_eff[p] = m;
					got++;
				}
			}
		}
		line = next;
	}
	if (got < 2 * NSIZES * NPOL) {
		prog_errf("%s: framesim gave %zu of %zu figures", w->pattern,
			  got, (size_t)(2 * NSIZES * NPOL));
		return -1;
	}
	return 0;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

/* Each policy's misses over the kernel's, at the kernel's cache (eff) or
 * at the nominal size. */
static void print_ratios(const struct work *w, bool eff)
{
	printf("  ratio to the kernel, at %s\n",
	       eff ? "its cache" : "the nominal size");
	for (int i = 0; i < NSIZES; i++) {
		const struct cell *c = &w->cell[i];
		const uint64_t *m = eff ? c->at_eff : c->at_nom;

		printf("  %6" PRIu64 " %7" PRIu64 " %7s %7s", c->size,
		       eff ? c->eff : c->size, "", "1");
		for (size_t p = 0; p < NPOL; p++)
			printf(" %7.3f", ratio(m[p], c->majflt));
		printf("\n");
	}
}

static void print_work(const struct work *w, uint64_t npages)
{
	printf("\n%s: %" PRIu64 " pages, %" PRIu64 " touches, %" PRIu64
	       " distinct\n", w->pattern, npages, w->ops, w->distinct);
	printf("  misses at the kernel's cache (cache: memcg_cache_pages_full;"
	       " active: mean active list)\n");
	printf("  %6s %7s %7s %7s", "size", "cache", "active", "kernel");
	for (size_t p = 0; p < NPOL; p++)
		printf(" %7s", pol[p].label);
	printf("\n");
	for (int i = 0; i < NSIZES; i++) {
		const struct cell *c = &w->cell[i];

		printf("  %6" PRIu64 " %7.1f %7.1f %7" PRIu64, c->size,
		       c->cache_full, c->active, c->majflt);
		for (size_t p = 0; p < NPOL; p++)
			printf(" %7" PRIu64, c->at_eff[p]);
		printf("\n");
	}
	print_ratios(w, true);
	print_ratios(w, false);
	fflush(stdout);
}

/* The model's closeness over every cell, at the effective size. */
static void print_summary(const struct work *w, int nwork)
{
	int cells = 0, within = 0, closer = 0;
	double worst = 0, worst_lru = 0, worst_clock = 0;

	for (int k = 0; k < nwork; k++) {
		for (int i = 0; i < NSIZES; i++) {
			const struct cell *c = &w[k].cell[i];
			double dm = fabs(ratio(c->at_eff[P_MODEL], c->majflt) -
					 1);
			double dl = fabs(ratio(c->at_eff[P_LRU], c->majflt) - 1);
			double dc = fabs(ratio(c->at_eff[P_CLOCK], c->majflt) -
					 1);

			cells++;
			within += dm <= 0.05;
			closer += dm <= dl && dm <= dc;
			worst = fmax(worst, dm);
			worst_lru = fmax(worst_lru, dl);
			worst_clock = fmax(worst_clock, dc);
		}
	}
	printf("\nsummary, at the kernel's cache: the model (linux:mapped=2) "
	       "within 5%% of the kernel in %d of %d cells (farthest %.1f%%; "
	       "lru %.1f%%, clock %.1f%%); as close as or closer than both "
	       "lru and clock in %d of %d\n", within, cells, 100 * worst,
	       100 * worst_lru, 100 * worst_clock, closer, cells);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "dir", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = "/var/tmp", *seed = "1";
	bool quick = false;
	struct work w[NWORK];
	uint64_t npages, ops, sizes[NSIZES];
	char *out, why[512];
	int opt, fd, status = 1;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qd:s:h", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'q': quick = true; break;
		case 'd': dir = optarg; break;
		case 's': {
			char *end;

			errno = 0;
			(void)strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-')
				prog_opt_fail("--seed", optarg,
					      "not a number");
			seed = optarg;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: prog_getopt_fail(opt, argv);
		}
	}
	if (optind < argc)
		prog_usage_fail(argv[optind], "unexpected argument");

	if (geteuid() != 0) {
		printf("SKIP: " PROG ": the kernel's figures need root "
		       "(mmload --memcg)\n");
		return 0;
	}

	npages = quick ? 2048 : 16384;
	ops = quick ? 20000 : 200000;
	for (int i = 0; i < NSIZES; i++)
		sizes[i] = (quick ? 128u : 1024u) << i;
	memset(w, 0, sizeof(w));
	/* zipf at two alphas, a loop 1.5 times the largest cache, a hot
	 * set an eighth of the smallest cache scanned over every 20 x
	 * smallest touches, 10% of the pages taking 90% of the touches */
	snprintf(w[0].pattern, sizeof(w[0].pattern), "zipf:0.9");
	snprintf(w[1].pattern, sizeof(w[1].pattern), "zipf:0.6");
	snprintf(w[2].pattern, sizeof(w[2].pattern), "loop:%" PRIu64,
		 sizes[NSIZES - 1] * 3 / 2);
	snprintf(w[3].pattern, sizeof(w[3].pattern),
		 "scan-hot:%" PRIu64 ",%" PRIu64, sizes[0] / 2,
		 sizes[0] * 20);
	snprintf(w[4].pattern, sizeof(w[4].pattern), "hotcold:10/90");
	for (int k = 0; k < NWORK; k++) {
		w[k].ops = ops;
		for (int i = 0; i < NSIZES; i++)
			w[k].cell[i].size = sizes[i];
	}

	out = malloc(OUT_MAX);
	if (!out)
		prog_fail("malloc", strerror(ENOMEM));
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/kernel_bench.XXXXXX", dir) >=
	    (int)sizeof(tmpdir))
		prog_opt_fail("--dir", dir, "too long");
	if (!mkdtemp(tmpdir)) {
		prog_errf("%s: %s", tmpdir, strerror(errno));
		tmpdir[0] = '\0';
		return 1;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	snprintf(datafile, sizeof(datafile), "%s/data", tmpdir);
	snprintf(tracefile, sizeof(tracefile), "%s/trace", tmpdir);
	fd = open(datafile, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)(npages * 4096)) < 0) {
		prog_errf("%s: %s", datafile, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	switch (memcg_works(out, why, sizeof(why))) {
	case 1: break;
	case 0:
		printf("SKIP: " PROG ": the kernel cannot be measured here: "
		       "%s\n", why);
		status = 0;
		goto out;
	default: goto out;
	}

	printf(PROG ": the kernel (mmload --memcg, MADV_RANDOM) beside "
	       "framesim on the same strings; seed %s%s\n", seed,
	       quick ? "; --quick" : "");
	printf("columns: model = linux:mapped=2 (a mapping without recency),"
	       " lx:m=0 = linux (read() references), lx:m=1 = "
	       "linux:mapped=1 (young bits seen)\n");
	for (int k = 0; k < NWORK; k++) {
		if (measure(&w[k], npages, seed, out) < 0 ||
		    simulate(&w[k], out) < 0)
			goto out;
		prog_progress_end();
		print_work(&w[k], npages);
	}
	print_summary(w, NWORK);
	status = 0;
out:
	prog_progress_end();
	free(out);
	cleanup();
	return status;
}
