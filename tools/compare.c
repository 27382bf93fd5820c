/* compare.c - eviction policies side by side: a matrix of real framefs
 * mounts (workload x policy x frames x refscan x store latency x repeat),
 * and, with --sim, the same workloads in the simulator, with OPT.
 *
 * One cell is one mount: a scratch copy of the workload's backing
 * directory, framefs started on it with the cell's options, the workload
 * run on the mount (mmload, or any command for a cmd: workload), the
 * daemon's .framefs/stats read before and after (and every 100 ms between,
 * into a time series), the mount stopped (the daemon writes back and must
 * exit 0), the scratch copy removed.  Each cell's row is appended to
 * OUT/results.csv and flushed as soon as the cell ends, so an interrupted
 * matrix keeps what it measured and --resume goes on from there.
 *
 * The workload's data.  For an mmload workload, compare makes one file,
 * `data`, of the size its options imply (--create SIZE, else --pages N
 * pages, else 64 MiB), sparse, in a pristine directory; a cmd: workload's
 * pristine directory is what its --setup command leaves there.  A cell
 * whose workload may store (a cmd:, or mmload with --write or a trace:
 * pattern) gets a fresh copy of the pristine directory, so every cell
 * starts from the same bytes; one that only loads uses the pristine
 * directory as it is.
 *
 * The simulator (--sim).  mmload's patterns are seeded, so the page string
 * a workload touches is the same in every cell: it is recorded once, on the
 * native file (mmload --trace-out), and replayed by framesim through every
 * policy and OPT at every size, and as the one-pass LRU and OPT curves
 * ("what happened").  Each live cell also records the references its daemon
 * saw (-o trace=), which framesim replays through the cell's policy and
 * OPT at the cell's size ("what the OS saw"): with readahead 0 and no
 * refscan the replay of a policy equals the mount, miss for miss.
 *
 * The kernel (--kernel).  mmload --memcg runs the workload on a copy of the
 * native file in a memory cgroup holding `frames` pages of page cache: the
 * Linux kernel's own replacement as one more row (doc/mmload.md).
 *
 * Children run in process groups of their own, so a terminal's Ctrl-C
 * reaches compare alone: it stops the running workload by PID, unmounts,
 * removes the scratch, writes the report over the rows it has, and exits
 * 130.  Nothing is ever killed by name.
 */
#define _GNU_SOURCE
#define PROG "compare"

#include "clock.h"
#include "mount.h"
#include "policy.h"
#include "prog.h"
#include "report.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

/* snprintf that says nothing of truncation: compare's paths and lines fit
 * their buffers, and a cut one shows in the row it lands in. */
static int sfmt(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sfmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n;
}

#define MAX_LIST 64		/* values per axis, workloads */
#define PS 4096
#define DEFAULT_BYTES (64ull << 20)
#define SAMPLE_MS 100
#define TMPFS_MAGIC 0x01021994

/* ---- options ----------------------------------------------------------- */

struct workload {
	const char *text;	/* as given, for the rows */
	const char *cmd;	/* cmd: the command, or NULL for mmload */
	const char *setup;	/* --setup command, or NULL */
	char **argv;		/* mmload: --pattern P and the options */
	int argc;
	uint64_t bytes;		/* mmload: the data file's size */
	bool stores;		/* may change the backing files */
	char pristine[PATH_MAX];	/* the prepared backing dir */
	char trace[PATH_MAX];	/* --sim: the true trace, or "" */
};

struct opts {
	struct workload wl[MAX_LIST];
	unsigned nwl;
	char *policy[MAX_LIST];		/* specs, parameters after ':' */
	unsigned npolicy;
	uint64_t frames[MAX_LIST];
	unsigned nframes;
	uint64_t refscan[MAX_LIST];
	unsigned nrefscan;
	const char *latency[MAX_LIST];
	unsigned nlatency;
	unsigned repeat;
	bool sim, kernel, resume;
	const char *out;
	const char *scratch_in;		/* where the scratch dir goes */
	const char *fs_opts;		/* more -o for every mount */
};

static const char usage_text[] =
"usage: compare [OPTIONS] --workload W [--workload W ...] --out DIR\n"
"\n"
"Runs every workload on a real framefs mount for each policy, pool size,\n"
"refscan rate and store latency (and each repeat), collects the client's\n"
"faults and the daemon's counters, and writes DIR/results.csv (one row per\n"
"run), DIR/summary.md, plots (PNG, gnuplot) and DIR/report.html, one page\n"
"with the tables and plots.\n"
"\n"
"      --workload W     a workload: an mmload pattern followed by mmload's\n"
"                       own options, e.g. \"zipf:0.9 --pages 20000 --ops\n"
"                       200000\" (the file is made by compare: --create SIZE,\n"
"                       else --pages N pages, else 64M); or cmd:COMMAND, a\n"
"                       shell command run on the mount, where {mnt} is the\n"
"                       mountpoint, e.g. \"cmd:sort {mnt}/words >/dev/null\"\n"
"      --setup COMMAND  for the cmd: workload before it: a shell command\n"
"                       run once in the backing directory ({dir}) before\n"
"                       the matrix, e.g. \"sqlite3 {dir}/db < schema.sql\";\n"
"                       every cell starts from what it leaves there\n"
"  -p, --policy LIST    policies, comma separated, each name[:key=value...]\n"
"                       (default lru; `framesim --list`); not opt: OPT\n"
"                       needs the future, and --sim adds it\n"
"  -n, --frames LIST    pool sizes in 4 KiB frames (default 1024)\n"
"      --refscan LIST   framefs refscan rates, pages/s (default 0)\n"
"      --store-latency LIST   none, ssd, hdd or microseconds (default none)\n"
"      --repeat N       run each cell N times, 1..100 (default 1): the\n"
"                       summary gives median (min-max)\n"
"      --sim            also replay each mmload workload's page string and\n"
"                       each cell's daemon trace through framesim, with OPT\n"
"                       and the one-pass LRU and OPT curves\n"
"      --kernel         also run each mmload workload under the Linux\n"
"                       kernel's own replacement (mmload --memcg FRAMES):\n"
"                       needs root and the cgroup v1 memory controller\n"
"  -o, --fs-opts OPTS   more framefs -o options for every mount, e.g.\n"
"                       readahead=128,threads=4.  The mounts use\n"
"                       reclaim=direct, so that F frames hold F pages as\n"
"                       in framesim; reclaim=background measures framefs's\n"
"                       default, a few frames kept free\n"
"      --out DIR        where the results go; must not exist, unless\n"
"      --resume         DIR holds an earlier run of the same matrix: its\n"
"                       finished cells are kept and skipped\n"
"      --scratch DIR    where the scratch copies go (default $TMPDIR or\n"
"                       /var/tmp); removed at the end\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n"
"\n"
"A progress line (cell i of n, elapsed, ETA) goes to stderr when it is a\n"
"terminal.  Ctrl-C stops the running cell, unmounts, keeps the rows\n"
"written, writes the report over them and exits 130.\n"
"\n"
"examples:\n"
"  compare --workload \"zipf:0.9 --pages 20000 --ops 200000\"\n"
"      --workload \"loop:5000 --ops 100000\" -p fifo,lru,clock,arc,s3fifo\n"
"      -n 1000,2000,4000 --sim --out r\n"
"  compare --workload \"scan-hot:500,2000 --pages 8000 --ops 100000\"\n"
"      -p clock,lru -n 1000 --refscan 0,2000,20000 --out refscan\n"
"  compare --setup \"sqlite3 {dir}/db.sqlite < schema.sql\"\n"
"      --workload \"cmd:sqlite3 {mnt}/db.sqlite < queries.sql\"\n"
"      -p lru,arc -n 256,1024 --store-latency none,ssd,hdd --out sql\n"
"\n"
"Exit status: 0 every cell ran; 1 some cell failed (the summary says which)\n"
"or the report could not be written; 2 a refused command line (nothing is\n"
"mounted then); 130 interrupted.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Splits a comma-separated list into at most MAX_LIST fields (in place). */
static unsigned split_commas(const char *opt, char *s, char **out)
{
	unsigned n = 0;

	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		if (n == MAX_LIST)
			prog_opt_fail(opt, s, "more than 64 values");
		out[n++] = tok;
	}
	if (n == 0)
		prog_opt_fail(opt, "''", "an empty list");
	return n;
}

static uint64_t parse_num(const char *opt, const char *s, uint64_t lo,
			  uint64_t hi)
{
	char *end, why[80];
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
		sfmt(why, sizeof(why), "not in %llu..%llu",
			 (unsigned long long)lo, (unsigned long long)hi);
		prog_opt_fail(opt, s, why);
	}
	return v;
}

static void parse_list_u64(const char *opt, const char *arg, uint64_t *out,
			   unsigned *n, uint64_t lo, uint64_t hi)
{
	char *copy = strdup(arg), *f[MAX_LIST];

	if (!copy)
		prog_fail(opt, strerror(ENOMEM));
	*n = split_commas(opt, copy, f);
	for (unsigned i = 0; i < *n; i++)
		out[i] = parse_num(opt, f[i], lo, hi);
	free(copy);
}

/* The policies: framesim's list syntax (a token with '=' and no ':'
 * continues the spec before it), each checked by the policy registry and
 * kept with ':' between its parameters, the form -o policy= takes. */
static void parse_policies(struct opts *o, const char *arg)
{
	char **specs, err[256];
	int n = policy_split_list(arg, &specs);

	if (n < 0)
		prog_fail("--policy", strerror(-n));
	if (n == 0)
		prog_opt_fail("--policy", "''", "an empty list");
	if (n > MAX_LIST)
		prog_opt_fail("--policy", arg, "more than 64 policies");
	for (int i = 0; i < n; i++) {
		const struct policy_ops *ops;
		double param[POLICY_MAX_PARAMS];

		if (policy_parse(specs[i], &ops, param, err, sizeof(err)) < 0)
			prog_opt_fail("--policy", specs[i], err);
		if (ops->flags & POLICY_NEEDS_FUTURE)
			prog_opt_fail("--policy", specs[i], "needs the future, "
				      "so no mount can run it: --sim adds OPT "
				      "to the simulated rows");
		for (char *c = specs[i]; *c; c++)
			if (*c == ',')
				*c = ':';
		o->policy[o->npolicy++] = specs[i];
	}
	free(specs);
}

static void parse_latencies(struct opts *o, const char *arg)
{
	char *copy = strdup(arg), *f[MAX_LIST];

	if (!copy)
		prog_fail("--store-latency", strerror(ENOMEM));
	o->nlatency = split_commas("--store-latency", copy, f);
	for (unsigned i = 0; i < o->nlatency; i++) {
		if (strcmp(f[i], "none") && strcmp(f[i], "ssd") &&
		    strcmp(f[i], "hdd"))
			parse_num("--store-latency", f[i], 0, 10000000);
		o->latency[i] = f[i];
	}
}

/* Does an mmload option list store into the file?  --write above 0, or a
 * trace: pattern (which replays the trace's writes). */
static bool mmload_stores(char **argv, int argc)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (!strcmp(a, "--write") || !strcmp(a, "-w"))
			v = i + 1 < argc ? argv[i + 1] : NULL;
		else if (!strncmp(a, "--write=", 8))
			v = a + 8;
		if (v && strtod(v, NULL) > 0)
			return true;
		if (!strcmp(a, "--pattern") && i + 1 < argc &&
		    !strncmp(argv[i + 1], "trace:", 6))
			return true;
	}
	return false;
}

/* The value of an mmload option in ARGV (last one wins), or NULL. */
static const char *mmload_opt(char **argv, int argc, const char *lng,
			      const char *shrt)
{
	const char *v = NULL;
	size_t n = strlen(lng);

	for (int i = 0; i < argc; i++) {
		if ((!strcmp(argv[i], lng) || (shrt && !strcmp(argv[i], shrt)))
		    && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(argv[i], lng, n) && argv[i][n] == '=')
			v = argv[i] + n + 1;
	}
	return v;
}

/* mmload options compare sets itself, per cell. */
static const char *const reserved[] = {
	"--trace-out", "--json", "--memcg", "--repeat", "--hold", "-H",
	"--help", "-h", "--version", "-V", "--check", "--pattern",
	NULL,
};

static void parse_workload(struct workload *w, const char *text)
{
	wordexp_t we;
	const char *pages, *create;
	int rc;

	w->text = text;
	if (!strncmp(text, "cmd:", 4)) {
		w->cmd = text + 4;
		while (*w->cmd == ' ')
			w->cmd++;
		if (!*w->cmd)
			prog_opt_fail("--workload", text, "an empty command");
		w->stores = true;
		return;
	}
	rc = wordexp(text, &we, WRDE_NOCMD | WRDE_UNDEF);
	if (rc != 0 || we.we_wordc == 0) {
		if (rc == 0)
			wordfree(&we);
		prog_opt_fail("--workload", text, rc == WRDE_CMDSUB ?
			      "no command substitution in a workload" :
			      "not a pattern and mmload options (a quote "
			      "left open, or nothing given?)");
	}
	if (we.we_wordv[0][0] == '-')
		prog_opt_fail("--workload", text, "starts with an option: "
			      "give the pattern first (e.g. zipf:0.9 --ops "
			      "100000)");
	w->argc = (int)we.we_wordc + 1;
	w->argv = calloc((size_t)w->argc + 1, sizeof(char *));
	if (!w->argv)
		prog_fail("--workload", strerror(ENOMEM));
	w->argv[0] = "--pattern";
	for (size_t i = 0; i < we.we_wordc; i++) {
		w->argv[i + 1] = strdup(we.we_wordv[i]);
		if (i > 0)
			for (int r = 0; reserved[r]; r++) {
				size_t n = strlen(reserved[r]);

				if (!strncmp(we.we_wordv[i], reserved[r], n) &&
				    (we.we_wordv[i][n] == '\0' ||
				     we.we_wordv[i][n] == '='))
					prog_opt_fail("--workload", text,
						      "compare sets --trace-out,"
						      " --json, --memcg, "
						      "--repeat and --hold "
						      "itself");
			}
	}
	wordfree(&we);
	create = mmload_opt(w->argv, w->argc, "--create", "-c");
	pages = mmload_opt(w->argv, w->argc, "--pages", NULL);
	w->bytes = DEFAULT_BYTES;
	if (create) {
		if (size_parse(create, &w->bytes) < 0 || w->bytes < PS)
			prog_opt_fail("--workload", text, "--create: not a "
				      "size of at least 4K");
	} else if (pages) {
		uint64_t n;
		char *end;

		errno = 0;
		n = strtoull(pages, &end, 10);
		if (errno || end == pages || *end || n == 0 ||
		    n > (1ull << 40) / PS)
			prog_opt_fail("--workload", text, "--pages: not in "
				      "1..268435456");
		w->bytes = n * PS;
	}
	w->stores = mmload_stores(w->argv, w->argc);
}

/* ---- the programs compare runs ----------------------------------------- */

static char bin_framefs[PATH_MAX], bin_mmload[PATH_MAX],
	bin_framesim[PATH_MAX];

/* $ENV, else the build tree's place beside compare (tools/../fs/framefs),
 * else the installed one beside it (bin/framefs). */
static void find_bin(char *out, const char *env, const char *in_tree,
		     const char *name)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (getenv(env) && *getenv(env)) {
		sfmt(out, PATH_MAX, "%s", getenv(env));
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		sfmt(out, PATH_MAX, "%s/%s", self, in_tree);
		if (access(out, X_OK) == 0)
			return;
		sfmt(out, PATH_MAX, "%s/%s", self, name);
		if (access(out, X_OK) == 0)
			return;
	}
	sfmt(out, PATH_MAX, "%s", name);	/* from PATH */
}

/* ---- signals ----------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a wait or read in progress returns EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- running a child --------------------------------------------------- */

struct run {
	int status;		/* exit status, 128+signal, or -1 */
	struct rusage ru;	/* the child's (and its waited children) */
	double wall_s;		/* fork to reap */
	char *out;		/* captured stdout (NUL-terminated), or NULL */
};

/* Stops a child's whole process group by PID: SIGTERM, then SIGKILL
 * after 2 s. */
static void stop_child(pid_t pid, int *st, struct rusage *ru)
{
	kill(-pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (wait4(pid, st, WNOHANG, ru) == pid)
			return;
		sleep_ms(10);
	}
	kill(-pid, SIGKILL);
	while (wait4(pid, st, 0, ru) < 0 && errno == EINTR)
		;
}

/* Runs ARGV in CWD (or here), in a process group of its own, stdin from
 * /dev/null, stderr appended to LOG, stdout captured when CAPTURE (else to
 * LOG too).  Returns 0 with R filled, or -EINTR after stopping the child
 * when compare was interrupted, or a negative errno. */
static int run_child(char *const argv[], const char *cwd, const char *log,
		     bool capture, struct run *r)
{
	int pfd[2] = { -1, -1 }, logfd, st = 0;
	size_t len = 0, cap = 0;
	double t0 = now_sec(CLOCK_MONOTONIC);
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return -errno;
	if (capture && pipe2(pfd, O_CLOEXEC) < 0) {
		close(logfd);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(logfd);
		if (capture) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return -e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(capture ? pfd[1] : logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		if (cwd && chdir(cwd) < 0)
			_exit(126);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "compare: %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);	/* also here: no race with a fast signal */
	close(logfd);
	if (capture) {
		close(pfd[1]);
		for (;;) {
			ssize_t n;

			if (len + 4096 + 1 > cap) {
				char *p = realloc(r->out, cap ? cap * 2 : 16384);

				if (!p)
					break;
				r->out = p;
				cap = cap ? cap * 2 : 16384;
			}
			n = read(pfd[0], r->out + len, cap - len - 1);
			if (n > 0) {
				len += (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR && !interrupted)
				continue;
			break;
		}
		if (r->out)
			r->out[len] = '\0';
		close(pfd[0]);
	}
	for (;;) {
		if (interrupted) {
			stop_child(pid, &st, &r->ru);
			r->status = -1;
			return -EINTR;
		}
		if (wait4(pid, &st, 0, &r->ru) == pid)
			break;
		if (errno != EINTR)
			return -errno;
	}
	r->wall_s = now_sec(CLOCK_MONOTONIC) - t0;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

/* The last non-empty line of a log file, for a cell's error. */
static void last_line(const char *log, char *out, size_t outlen)
{
	char line[512];
	FILE *f = fopen(log, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			sfmt(out, outlen, "%s", line);
	}
	fclose(f);
}

/* A shell command with each {KEY} replaced by VAL. */
static char *subst(const char *cmd, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), n = 0;
	char *out, *o;

	for (const char *p = strstr(cmd, key); p; p = strstr(p + kl, key))
		n++;
	out = malloc(strlen(cmd) + n * vl + 1);
	if (!out)
		return NULL;
	o = out;
	while (*cmd) {
		if (!strncmp(cmd, key, kl)) {
			memcpy(o, val, vl);
			o += vl;
			cmd += kl;
		} else {
			*o++ = *cmd++;
		}
	}
	*o = '\0';
	return out;
}

/* ---- .framefs/stats ---------------------------------------------------- */

/* The daemon's counters, as deltas over a run, in the rows as fs_NAME.
 * Gauges (frames_free, the options) are left out: a delta of them says
 * nothing.  The order is the stats file's. */
static const char *const counters[] = {
	"reads", "read_bytes", "frame_hits", "frame_misses", "writes",
	"write_bytes", "writepages", "write_throttles", "frame_waits",
	"frame_steals", "inval_deferred", "inval_calls",
	"refscan_invalidations", "flushes", "flush_errors", "fsyncs",
	"cache_lookups", "cache_hits", "cache_misses", "evictions",
	"evictions_dirty", "evict_aborts", "dirty_marks", "writebacks",
	"writeback_errors", "load_errors", "drops", "store_reads",
	"store_writes", "store_fsyncs", "store_fallocates", "store_errors",
	"store_read_bytes", "store_write_bytes", "store_delay_us",
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

enum { C_READS = 0, C_FRAME_HITS = 2, C_FRAME_MISSES = 3,
       C_EVICTIONS = 19, C_WRITEBACKS = 23 };

/* Reads the stats file into V (counters[] order).  0, or -errno. */
static int read_stats(const char *mp, uint64_t v[NCOUNTERS])
{
	char path[PATH_MAX], buf[8192], *line, *save;
	ssize_t n;
	int fd;

	sfmt(path, sizeof(path), "%s/.framefs/stats", mp);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	memset(v, 0, NCOUNTERS * sizeof(v[0]));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		for (size_t i = 0; i < NCOUNTERS; i++)
			if (!strcmp(line, counters[i]))
				v[i] = strtoull(sp + 1, NULL, 10);
	}
	return 0;
}

/* Samples the mount's counters every 100 ms into a time series while a
 * workload runs: the data of the "faults over time" plot. */
struct sampler {
	pthread_t thread;
	atomic_bool stop;
	const char *mp;
	FILE *out;
	uint64_t base[NCOUNTERS];
	double t0;
};

static void sample_one(struct sampler *s)
{
	uint64_t v[NCOUNTERS];

	if (read_stats(s->mp, v) < 0)
		return;
	fprintf(s->out, "%.3f,%llu,%llu,%llu,%llu\n",
		now_sec(CLOCK_MONOTONIC) - s->t0,
		(unsigned long long)(v[C_READS] - s->base[C_READS]),
		(unsigned long long)(v[C_FRAME_MISSES] -
				     s->base[C_FRAME_MISSES]),
		(unsigned long long)(v[C_EVICTIONS] - s->base[C_EVICTIONS]),
		(unsigned long long)(v[C_WRITEBACKS] -
				     s->base[C_WRITEBACKS]));
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;

	while (!atomic_load(&s->stop)) {
		sleep_ms(SAMPLE_MS);
		if (!atomic_load(&s->stop))
			sample_one(s);
	}
	return NULL;
}

/* 0 with the thread running, or -errno (no series then). */
static int sampler_start(struct sampler *s, const char *mp,
			 const char *path, const uint64_t base[NCOUNTERS])
{
	memset(s, 0, sizeof(*s));
	s->mp = mp;
	memcpy(s->base, base, sizeof(s->base));
	s->out = fopen(path, "w");
	if (!s->out)
		return -errno;
	fputs("t_s,reads,frame_misses,evictions,writebacks\n", s->out);
	s->t0 = now_sec(CLOCK_MONOTONIC);
	fprintf(s->out, "0.000,0,0,0,0\n");
	if (pthread_create(&s->thread, NULL, sampler_main, s) != 0) {
		fclose(s->out);
		s->out = NULL;
		return -EAGAIN;
	}
	return 0;
}

static void sampler_stop(struct sampler *s)
{
	if (!s->out)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	sample_one(s);		/* the end, after the workload */
	fclose(s->out);
	s->out = NULL;
}

/* ---- rows -------------------------------------------------------------- */

/* One row of results.csv.  Numbers are kept as text: an empty field is a
 * figure the row's kind does not have. */
struct row {
	unsigned wl;
	const char *workload;
	const char *kind;	/* live, sim, seen, kernel */
	char policy[256];
	uint64_t frames;
	char refscan[32];
	char latency[32];
	unsigned repeat;
	char status[512];
	char elapsed_s[32], touches[32], minflt[32], majflt[32];
	char requests[32], misses[32], miss_ratio[32], evictions[32],
	     writebacks[32], mem_pages[32];
	bool has_fs;
	uint64_t fs[NCOUNTERS];
	char series[PATH_MAX];
	char *command;		/* owned */
};

static FILE *csv;
static unsigned rows_failed;

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_header(FILE *f)
{
	fputs("wl,workload,kind,policy,frames,refscan,store_latency,repeat,"
	      "status,elapsed_s,touches,minflt,majflt,requests,misses,"
	      "miss_ratio,evictions,writebacks,mem_pages", f);
	for (size_t i = 0; i < NCOUNTERS; i++)
		fprintf(f, ",fs_%s", counters[i]);
	fputs(",series,command\n", f);
}

static void row_write(struct row *r)
{
	const char *texts[] = { r->elapsed_s, r->touches, r->minflt,
				r->majflt, r->requests, r->misses,
				r->miss_ratio, r->evictions, r->writebacks,
				r->mem_pages };

	fprintf(csv, "%u,", r->wl);
	csv_field(csv, r->workload);
	fprintf(csv, ",%s,", r->kind);
	csv_field(csv, r->policy);
	fprintf(csv, ",%llu,%s,%s,%u,", (unsigned long long)r->frames,
		r->refscan, r->latency, r->repeat);
	csv_field(csv, r->status);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		fprintf(csv, ",%s", texts[i]);
	for (size_t i = 0; i < NCOUNTERS; i++) {
		if (r->has_fs)
			fprintf(csv, ",%llu", (unsigned long long)r->fs[i]);
		else
			fputc(',', csv);
	}
	fputc(',', csv);
	csv_field(csv, r->series);
	fputc(',', csv);
	csv_field(csv, r->command ? r->command : "");
	fputc('\n', csv);
	fflush(csv);
	fsync(fileno(csv));
	if (strcmp(r->status, "ok"))
		rows_failed++;
}

static void row_fail(struct row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void row_fail(struct row *r, const char *fmt, ...)
{
	va_list ap;
	int n = sfmt(r->status, sizeof(r->status), "error: ");

	va_start(ap, fmt);
	vsnprintf(r->status + n, sizeof(r->status) - (size_t)n, fmt, ap);
	va_end(ap);
	for (char *c = r->status; *c; c++)
		if (*c == '\n')
			*c = ' ';
}

/* Appends ARGV, shell-quoted where needed, to the row's command text. */
static void command_add(struct row *r, char *const argv[])
{
	size_t len = r->command ? strlen(r->command) : 0, need = len + 4;
	char *s;

	for (int i = 0; argv[i]; i++)
		need += strlen(argv[i]) * 4 + 3;
	s = realloc(r->command, need);
	if (!s)
		return;
	r->command = s;
	s += len;
	if (len) {
		strcpy(s, " ; ");
		s += 3;
	}
	for (int i = 0; argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a && !strpbrk(a, " \t\n'\"\\$`;&|<>(){}*?[]#~!");

		if (i)
			*s++ = ' ';
		if (plain) {
			s = stpcpy(s, a);
			continue;
		}
		*s++ = '\'';
		for (; *a; a++) {
			if (*a == '\'')
				s = stpcpy(s, "'\\''");
			else
				*s++ = *a;
		}
		*s++ = '\'';
	}
	*s = '\0';
}

/* A number after "KEY": in mmload's JSON (its first occurrence after
 * FROM), as text; "" when absent. */
static void json_num(const char *json, const char *from, const char *key,
		     char *out, size_t outlen)
{
	char pat[64];
	const char *p = json ? strstr(json, from) : NULL;
	size_t n;

	out[0] = '\0';
	if (!p)
		return;
	sfmt(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(p, pat);
	if (!p)
		return;
	p += strlen(pat);
	n = strspn(p, "0123456789.eE+-");
	if (n == 0 || n >= outlen)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* mmload's --json figures of its run into ROW. */
static void row_mmload(struct row *row, const char *json)
{
	json_num(json, "\"result\"", "elapsed_s", row->elapsed_s,
		 sizeof(row->elapsed_s));
	json_num(json, "\"result\"", "touches", row->touches,
		 sizeof(row->touches));
	json_num(json, "\"result\"", "minflt", row->minflt,
		 sizeof(row->minflt));
	json_num(json, "\"result\"", "majflt", row->majflt,
		 sizeof(row->majflt));
}

static void ratio(char *out, size_t outlen, const char *num, const char *den)
{
	double d = strtod(den, NULL);

	out[0] = '\0';
	if (*num && *den && d > 0)
		sfmt(out, outlen, "%.6f", strtod(num, NULL) / d);
}

/* ---- the matrix -------------------------------------------------------- */

static struct opts O;
static char scratch[PATH_MAX];	/* compare.XXXXXX, removed at the end */
static unsigned cells_done, cells_total, cells_skipped;
static double t_start;

/* Keys of the rows an earlier run left (--resume): "wl|kind|policy|
 * frames|refscan|latency|repeat" of every ok row. */
static char **done_keys;
static size_t ndone;

static void key_of(char *out, size_t len, unsigned wl, const char *kind,
		   const char *policy, uint64_t frames, const char *refscan,
		   const char *latency, unsigned repeat)
{
	sfmt(out, len, "%u|%s|%s|%llu|%s|%s|%u", wl, kind, policy,
		 (unsigned long long)frames, refscan, latency, repeat);
}

static bool is_done(const char *key)
{
	for (size_t i = 0; i < ndone; i++)
		if (!strcmp(done_keys[i], key))
			return true;
	return false;
}

static int rm_rf(const char *path)
{
	char *argv[] = { "rm", "-rf", "--one-file-system", (char *)path,
			 NULL };

	return run_cmd(argv, NULL, 0);
}

static int copy_tree(const char *from, const char *to)
{
	char src[PATH_MAX + 2];
	char *argv[] = { "cp", "-a", src, (char *)to, NULL };

	sfmt(src, sizeof(src), "%s/.", from);
	if (mkdir(to, 0755) < 0 && errno != EEXIST)
		return -1;
	return run_cmd(argv, NULL, 0) == 0 ? 0 : -1;
}

static void progress(const char *what)
{
	double el = now_sec(CLOCK_MONOTONIC) - t_start;
	unsigned ran = cells_done - cells_skipped;

	if (ran)
		prog_progress("cell %u of %u: %s, %.0f s elapsed, about "
			      "%.0f s left", cells_done + 1, cells_total,
			      what, el, el / ran * (cells_total - cells_done));
	else
		prog_progress("cell %u of %u: %s, %.0f s elapsed",
			      cells_done + 1, cells_total, what, el);
}

/* mmload's argv for workload W on FILE, with EXTRA options first. */
static char **mmload_argv(const struct workload *w, const char *file,
			  const char *const extra[])
{
	int n = 0, k = 0;
	char **argv;

	while (extra && extra[n])
		n++;
	argv = calloc((size_t)(w->argc + n + 3), sizeof(char *));
	if (!argv)
		return NULL;
	argv[k++] = bin_mmload;
	for (int i = 0; i < n; i++)
		argv[k++] = (char *)extra[i];
	for (int i = 0; i < w->argc; i++)
		argv[k++] = w->argv[i];
	argv[k++] = (char *)file;
	argv[k] = NULL;
	return argv;
}

/* Runs framesim with ARGS on TRACE and appends a row of KIND per line of
 * its CSV: policies[i / nframes] at frames[i % nframes].  0, or -1 with
 * the why in WHY. */
static int simulate(unsigned wl, const char *kind, const char *trace,
		    char **pols, unsigned npol, const uint64_t *frames,
		    unsigned nfr, const char *refscan, const char *latency,
		    const char *log, char *why, size_t whylen)
{
	char plist[8192] = "", flist[1024] = "";
	char *argv[] = { bin_framesim, "--csv", "--policy", plist,
			 "--frames", flist, (char *)trace, NULL };
	struct run r;
	char *line, *save;
	unsigned i = 0;
	int rc;

	for (unsigned p = 0; p < npol; p++)
		sfmt(plist + strlen(plist), sizeof(plist) - strlen(plist),
			 "%s%s", p ? "," : "", pols[p]);
	for (unsigned f = 0; f < nfr; f++)
		sfmt(flist + strlen(flist), sizeof(flist) - strlen(flist),
			 "%s%llu", f ? "," : "", (unsigned long long)frames[f]);
	rc = run_child(argv, NULL, log, true, &r);
	if (rc < 0 || r.status != 0) {
		if (rc == -EINTR)
			sfmt(why, whylen, "interrupted");
		else
			last_line(log, why, whylen);
		if (!why[0])
			sfmt(why, whylen, "framesim: exit status %d",
				 r.status);
		free(r.out);
		return -1;
	}
	/* trace,references,distinct_pages,writes,policy,frames,requests,
	 * misses,miss_ratio,evictions,dirty_evictions,seconds: the policy
	 * may hold commas, so the fields are taken from both ends. */
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[7], *end = line + strlen(line);
		struct row row = { .wl = wl, .workload = O.wl[wl - 1].text,
				   .kind = kind, .repeat = 1 };
		int k;

		if (!strncmp(line, "trace,", 6) || i >= npol * nfr)
			continue;
		for (k = 6; k >= 0; k--) {
			char *c = memrchr(line, ',', (size_t)(end - line));

			if (!c)
				break;
			*c = '\0';
			f[k] = c + 1;
			end = c;
		}
		if (k >= 0)
			continue;
		sfmt(row.policy, sizeof(row.policy), "%s",
			 pols[i / nfr]);
		row.frames = frames[i % nfr];
		sfmt(row.refscan, sizeof(row.refscan), "%s", refscan);
		sfmt(row.latency, sizeof(row.latency), "%s", latency);
		sfmt(row.status, sizeof(row.status), "ok");
		sfmt(row.touches, sizeof(row.touches), "%s", f[1]);
		sfmt(row.requests, sizeof(row.requests), "%s", f[1]);
		sfmt(row.misses, sizeof(row.misses), "%s", f[2]);
		sfmt(row.miss_ratio, sizeof(row.miss_ratio), "%s", f[3]);
		sfmt(row.evictions, sizeof(row.evictions), "%s", f[4]);
		sfmt(row.writebacks, sizeof(row.writebacks), "%s", f[5]);
		command_add(&row, argv);
		row_write(&row);
		free(row.command);
		i++;
	}
	free(r.out);
	if (i != npol * nfr) {
		sfmt(why, whylen, "framesim gave %u rows, not %u", i,
			 npol * nfr);
		return -1;
	}
	return 0;
}

/* Step 0 for each workload: the pristine backing directory, and with
 * --sim the true page string.  0, or -1 with the why. */
static int prepare(unsigned wi, char *why, size_t whylen)
{
	struct workload *w = &O.wl[wi];
	char log[PATH_MAX], path[PATH_MAX];
	struct run r;
	int rc;

	sfmt(w->pristine, sizeof(w->pristine), "%s/w%u", scratch, wi + 1);
	sfmt(log, sizeof(log), "%s/logs/w%u-setup.log", O.out, wi + 1);
	if (mkdir(w->pristine, 0755) < 0) {
		sfmt(why, whylen, "%s: %s", w->pristine, strerror(errno));
		return -1;
	}
	if (w->cmd) {
		char *cmd;
		char *argv[] = { "sh", "-c", NULL, NULL };

		if (!w->setup)
			return 0;
		cmd = subst(w->setup, "{dir}", w->pristine);
		if (!cmd)
			return sfmt(why, whylen, "%s", strerror(ENOMEM)), -1;
		argv[2] = cmd;
		rc = run_child(argv, NULL, log, false, &r);
		free(cmd);
		if (rc < 0 || r.status != 0) {
			last_line(log, why, whylen);
			if (rc == -EINTR)
				sfmt(why, whylen, "interrupted");
			else if (!why[0])
				sfmt(why, whylen, "--setup: exit status "
					 "%d", r.status);
			return -1;
		}
		return 0;
	}
	sfmt(path, sizeof(path), "%s/data", w->pristine);
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0644);

		if (fd < 0 || ftruncate(fd, (off_t)w->bytes) < 0) {
			sfmt(why, whylen, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	if (!O.sim)
		return 0;
	/* The true page string, recorded on a native copy (a storing
	 * workload must not change the pristine file). */
	{
		char copy[PATH_MAX], tracerel[64];
		const char *extra[] = { "--json", "--overwrite", "--trace-out",
					w->trace, NULL };
		char **argv;

		sfmt(w->trace, sizeof(w->trace), "%s/w%u.trace", scratch,
			 wi + 1);
		sfmt(copy, sizeof(copy), "%s/w%u-native", scratch, wi + 1);
		sfmt(tracerel, sizeof(tracerel), "%s/data", copy);
		if (copy_tree(w->pristine, copy) < 0) {
			sfmt(why, whylen, "copying %s failed", w->pristine);
			return -1;
		}
		argv = mmload_argv(w, tracerel, extra);
		if (!argv)
			return sfmt(why, whylen, "%s", strerror(ENOMEM)), -1;
		rc = run_child(argv, NULL, log, true, &r);
		free(argv);
		free(r.out);
		rm_rf(copy);
		if (rc < 0 || r.status != 0) {
			last_line(log, why, whylen);
			if (rc == -EINTR)
				sfmt(why, whylen, "interrupted");
			else if (!why[0])
				sfmt(why, whylen, "mmload: exit status %d",
					 r.status);
			w->trace[0] = '\0';
			return -1;
		}
	}
	return 0;
}

/* --sim, once per mmload workload: every policy and OPT at every size on
 * the true string, and the one-pass curves into OUT/curves/. */
static void simulate_true(unsigned wi)
{
	struct workload *w = &O.wl[wi];
	char *pols[MAX_LIST + 1], why[512] = "", key[512], log[PATH_MAX];
	const char *kinds[] = { "lru", "opt" };

	if (!w->trace[0])
		return;
	key_of(key, sizeof(key), wi + 1, "sim", "opt", O.frames[0], "", "",
	       1);
	sfmt(log, sizeof(log), "%s/logs/w%u-sim.log", O.out, wi + 1);
	if (!is_done(key)) {
		memcpy(pols, O.policy, O.npolicy * sizeof(char *));
		pols[O.npolicy] = "opt";
		if (simulate(wi + 1, "sim", w->trace, pols, O.npolicy + 1,
			     O.frames, O.nframes, "", "", log, why,
			     sizeof(why)) < 0)
			prog_errf("workload %u: the simulator: %s", wi + 1, why);
	}
	for (int k = 0; k < 2; k++) {
		char path[PATH_MAX];
		char *argv[] = { bin_framesim, "--csv", "--mrc",
				 (char *)kinds[k], w->trace, NULL };
		struct run r;
		FILE *f;

		if (run_child(argv, NULL, log, true, &r) < 0 ||
		    r.status != 0 || !r.out) {
			free(r.out);
			continue;
		}
		sfmt(path, sizeof(path), "%s/curves/w%u-%s.csv", O.out,
			 wi + 1, kinds[k]);
		f = fopen(path, "w");
		if (f) {
			fputs(r.out, f);
			fclose(f);
		}
		free(r.out);
	}
}

/* One live cell.  Fills ROW (status ok or error) and writes it, and with
 * --sim the seen rows after it.  Returns -EINTR when interrupted. */
static int run_cell(unsigned wi, const char *policy, uint64_t frames,
		    uint64_t refscan, const char *latency, unsigned rep)
{
	struct workload *w = &O.wl[wi];
	struct mnt m = { .own_pgrp = true, .quiet = true };
	struct row row = { .wl = wi + 1, .workload = w->text, .kind = "live",
			   .frames = frames, .repeat = rep };
	char cell[PATH_MAX], log[PATH_MAX], opts[1024], seen[PATH_MAX] = "";
	char series[PATH_MAX], file[PATH_MAX], why[512] = "";
	char *fsargv[8];
	uint64_t before[NCOUNTERS], after[NCOUNTERS];
	struct sampler smp = { 0 };
	struct run r = { 0 };
	bool mounted = false;
	int rc = 0, st;

	sfmt(row.policy, sizeof(row.policy), "%s", policy);
	sfmt(row.refscan, sizeof(row.refscan), "%llu",
		 (unsigned long long)refscan);
	sfmt(row.latency, sizeof(row.latency), "%s", latency);
	sfmt(cell, sizeof(cell), "w%u-%s-f%llu-r%llu-%s-%u", wi + 1,
		 policy, (unsigned long long)frames,
		 (unsigned long long)refscan, latency, rep);
	for (char *c = cell; *c; c++)
		if (*c == ':' || *c == '/' || *c == '=' || *c == ' ')
			*c = '_';
	sfmt(log, sizeof(log), "%s/logs/%s.log", O.out, cell);
	unlink(log);

	/* Step 1: the backing directory. */
	if (w->stores) {
		sfmt(m.backing, sizeof(m.backing), "%s/cell", scratch);
		rm_rf(m.backing);
		if (copy_tree(w->pristine, m.backing) < 0) {
			row_fail(&row, "copying the backing directory failed");
			goto out_row;
		}
	} else {
		sfmt(m.backing, sizeof(m.backing), "%s", w->pristine);
	}
	sfmt(m.dir, sizeof(m.dir), "%s/mnt.XXXXXX", scratch);
	sfmt(m.log, sizeof(m.log), "%s", log);

	/* Step 2: the mount. */
	sfmt(opts, sizeof(opts), "frames=%llu,policy=%s,refscan=%llu,"
	     "store_latency=%s", (unsigned long long)frames, policy,
	     (unsigned long long)refscan, latency);
	/* Direct reclaim unless the user chose: then every frame holds
	 * data, and F frames on the mount are F pages in framesim. */
	if (!O.fs_opts || !strstr(O.fs_opts, "reclaim="))
		sfmt(opts + strlen(opts), sizeof(opts) - strlen(opts),
		     ",reclaim=direct");
	if (O.sim) {
		sfmt(seen, sizeof(seen), "%s/seen.trace", scratch);
		unlink(seen);
		sfmt(opts + strlen(opts), sizeof(opts) - strlen(opts),
			 ",trace=%s", seen);
	}
	if (O.fs_opts)
		sfmt(opts + strlen(opts), sizeof(opts) - strlen(opts),
			 ",%s", O.fs_opts);
	fsargv[0] = bin_framefs;
	fsargv[1] = "-f";
	fsargv[2] = "-o";
	fsargv[3] = opts;
	fsargv[4] = m.backing;
	fsargv[5] = "MNT";
	fsargv[6] = NULL;
	command_add(&row, fsargv);
	if (mnt_start(&m, opts) < 0) {
		char daemon[300] = "";

		last_line(log, daemon, sizeof(daemon));
		row_fail(&row, "mount: %s", daemon[0] ? daemon : m.why);
		goto out_clean;
	}
	mounted = true;
	if (read_stats(m.mp, before) < 0) {
		row_fail(&row, "%s/.framefs/stats: %s", m.mp, strerror(errno));
		goto out_unmount;
	}

	/* Step 3: the workload, sampled. */
	sfmt(series, sizeof(series), "%s/series/%s.csv", O.out, cell);
	if (sampler_start(&smp, m.mp, series, before) == 0)
		sfmt(row.series, sizeof(row.series), "series/%s.csv",
			 cell);
	if (w->cmd) {
		char *cmd = subst(w->cmd, "{mnt}", m.mp);
		char *argv[] = { "sh", "-c", cmd, NULL };

		if (!cmd) {
			row_fail(&row, "%s", strerror(ENOMEM));
			goto out_sampler;
		}
		{
			char *shown = subst(w->cmd, "{mnt}", "MNT");
			char *sargv[] = { "sh", "-c", shown, NULL };

			if (shown)
				command_add(&row, sargv);
			free(shown);
		}
		rc = run_child(argv, NULL, log, false, &r);
		free(cmd);
	} else {
		const char *extra[] = { "--json", w->stores ? "--overwrite" :
					NULL, NULL };
		char **argv;

		sfmt(file, sizeof(file), "%s/data", m.mp);
		argv = mmload_argv(w, file, extra);
		if (!argv) {
			row_fail(&row, "%s", strerror(ENOMEM));
			goto out_sampler;
		}
		{
			char **shown = mmload_argv(w, "MNT/data", extra);

			if (shown)
				command_add(&row, shown);
			free(shown);
		}
		rc = run_child(argv, NULL, log, true, &r);
		free(argv);
	}
out_sampler:
	sampler_stop(&smp);
	if (rc == -EINTR) {
		row_fail(&row, "interrupted");
		goto out_unmount;
	}
	if (row.status[0])
		goto out_unmount;
	if (rc < 0 || r.status != 0) {
		last_line(log, why, sizeof(why));
		if (rc < 0)
			row_fail(&row, "running the workload: %s",
				 strerror(-rc));
		else
			row_fail(&row, "the workload exited with status %d%s%s",
				 r.status, why[0] ? ": " : "", why);
		goto out_unmount;
	}
	if (read_stats(m.mp, after) < 0) {
		row_fail(&row, "%s/.framefs/stats: %s", m.mp, strerror(errno));
		goto out_unmount;
	}
	row.has_fs = true;
	for (size_t i = 0; i < NCOUNTERS; i++)
		row.fs[i] = after[i] - before[i];
	if (w->cmd) {
		sfmt(row.elapsed_s, sizeof(row.elapsed_s), "%.6f",
			 r.wall_s);
		sfmt(row.minflt, sizeof(row.minflt), "%ld",
			 r.ru.ru_minflt);
		sfmt(row.majflt, sizeof(row.majflt), "%ld",
			 r.ru.ru_majflt);
	} else {
		row_mmload(&row, r.out);
	}
	sfmt(row.requests, sizeof(row.requests), "%llu",
		 (unsigned long long)(row.fs[C_FRAME_HITS] +
				      row.fs[C_FRAME_MISSES]));
	sfmt(row.misses, sizeof(row.misses), "%llu",
		 (unsigned long long)row.fs[C_FRAME_MISSES]);
	sfmt(row.evictions, sizeof(row.evictions), "%llu",
		 (unsigned long long)row.fs[C_EVICTIONS]);
	sfmt(row.writebacks, sizeof(row.writebacks), "%llu",
		 (unsigned long long)row.fs[C_WRITEBACKS]);
	ratio(row.miss_ratio, sizeof(row.miss_ratio), row.misses,
	      row.touches[0] ? row.touches : row.requests);
	sfmt(row.status, sizeof(row.status), "ok");

out_unmount:
	/* Step 4: unmount; the daemon writes back and must exit 0. */
	st = mnt_stop(&m);
	mounted = false;
	if (st != 0 && !strcmp(row.status, "ok")) {
		last_line(log, why, sizeof(why));
		row_fail(&row, "framefs exited with status %d%s%s", st,
			 why[0] ? ": " : "", why);
	}
out_clean:
	(void)mounted;
	if (m.dir[0] && !strstr(m.dir, "XXXXXX"))
		rmdir(m.mp), rmdir(m.dir);
	if (w->stores)
		rm_rf(m.backing);
out_row:
	if (!row.status[0])
		row_fail(&row, "%s", why[0] ? why : "failed");
	row_write(&row);
	free(row.command);
	free(r.out);

	/* Step 5: what the OS saw, replayed. */
	if (O.sim && !strcmp(row.status, "ok") && !interrupted) {
		char *pols[2] = { (char *)policy, "opt" };
		char slog[PATH_MAX];
		uint64_t fr[1] = { frames };

		sfmt(slog, sizeof(slog), "%s/logs/%s-seen.log", O.out,
			 cell);
		if (simulate(wi + 1, "seen", seen, pols, 2, fr, 1, row.refscan,
			     latency, slog, why, sizeof(why)) < 0)
			prog_errf("%s: the daemon's trace: %s", cell, why);
	}
	if (seen[0])
		unlink(seen);
	return interrupted ? -EINTR : 0;
}

/* --kernel: the workload in a memory cgroup of FRAMES pages. */
static int run_kernel(unsigned wi, uint64_t frames, unsigned rep)
{
	struct workload *w = &O.wl[wi];
	struct row row = { .wl = wi + 1, .workload = w->text, .kind = "kernel",
			   .frames = frames, .repeat = rep };
	char copy[PATH_MAX], file[PATH_MAX], log[PATH_MAX], pages[32];
	char why[300] = "";
	const char *extra[] = { "--json", "--overwrite", "--memcg", pages,
				NULL };
	struct run r = { 0 };
	char **argv;
	int rc;

	sfmt(row.policy, sizeof(row.policy), "kernel");
	sfmt(row.latency, sizeof(row.latency), "none");
	sfmt(row.refscan, sizeof(row.refscan), "0");
	sfmt(pages, sizeof(pages), "%llu", (unsigned long long)frames);
	sfmt(log, sizeof(log), "%s/logs/w%u-kernel-f%llu-%u.log", O.out,
		 wi + 1, (unsigned long long)frames, rep);
	sfmt(copy, sizeof(copy), "%s/kernel", scratch);
	rm_rf(copy);
	if (copy_tree(w->pristine, copy) < 0) {
		row_fail(&row, "copying the data file failed");
		goto out;
	}
	sfmt(file, sizeof(file), "%s/data", copy);
	argv = mmload_argv(w, file, extra);
	if (!argv) {
		row_fail(&row, "%s", strerror(ENOMEM));
		goto out;
	}
	command_add(&row, argv);
	rc = run_child(argv, NULL, log, true, &r);
	free(argv);
	if (rc < 0 || r.status != 0) {
		last_line(log, why, sizeof(why));
		row_fail(&row, "%s", rc == -EINTR ? "interrupted" :
			 why[0] ? why : "mmload --memcg failed");
		goto out;
	}
	row_mmload(&row, r.out);
	/* The size replacement worked at, the warm-up left out; the mean
	 * of the whole run when the cache never filled. */
	json_num(r.out, "\"", "memcg_cache_pages_full", row.mem_pages,
		 sizeof(row.mem_pages));
	if (!row.mem_pages[0])
		json_num(r.out, "\"", "memcg_cache_pages", row.mem_pages,
			 sizeof(row.mem_pages));
	sfmt(row.requests, sizeof(row.requests), "%s", row.touches);
	sfmt(row.misses, sizeof(row.misses), "%s", row.majflt);
	ratio(row.miss_ratio, sizeof(row.miss_ratio), row.majflt,
	      row.touches);
	sfmt(row.status, sizeof(row.status), "ok");
out:
	rm_rf(copy);
	row_write(&row);
	free(row.command);
	free(r.out);
	return interrupted ? -EINTR : 0;
}

/* ---- the command line -------------------------------------------------- */

/* --fs-opts: framefs's -o, less what compare sets per cell. */
static void check_fs_opts(const char *arg)
{
	static const char *const own[] = { "frames", "cache", "policy",
					   "refscan", "store_latency", "trace",
					   NULL };
	char *copy = strdup(arg), *save, *tok;

	if (!copy)
		prog_fail("--fs-opts", strerror(ENOMEM));
	if (!*arg || strpbrk(arg, " \t\n"))
		prog_opt_fail("--fs-opts", arg, "not OPT[,OPT...] (framefs "
			      "--help)");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		for (int i = 0; own[i]; i++) {
			size_t n = strlen(own[i]);

			if (!strncmp(tok, own[i], n) && tok[n] == '=')
				prog_opt_fail("--fs-opts", arg, "compare sets "
					      "frames, policy, refscan, "
					      "store_latency and trace itself "
					      "(--frames, --policy, --refscan, "
					      "--store-latency, --sim)");
		}
	free(copy);
}

enum { OPT_WORKLOAD = 256, OPT_REPEAT, OPT_SETUP, OPT_REFSCAN, OPT_LATENCY, OPT_SIM, OPT_KERNEL,
       OPT_OUT, OPT_RESUME, OPT_SCRATCH };

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "workload", required_argument, NULL, OPT_WORKLOAD },
		{ "setup", required_argument, NULL, OPT_SETUP },
		{ "policy", required_argument, NULL, 'p' },
		{ "frames", required_argument, NULL, 'n' },
		{ "refscan", required_argument, NULL, OPT_REFSCAN },
		{ "store-latency", required_argument, NULL, OPT_LATENCY },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "sim", no_argument, NULL, OPT_SIM },
		{ "kernel", no_argument, NULL, OPT_KERNEL },
		{ "fs-opts", required_argument, NULL, 'o' },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "scratch", required_argument, NULL, OPT_SCRATCH },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *setup = NULL;
	int opt;

	*o = (struct opts){ .repeat = 1 };
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:n:o:hV", lo,
				  NULL)) != -1) {
		switch (opt) {
		case OPT_WORKLOAD:
			if (o->nwl == MAX_LIST)
				prog_opt_fail("--workload", optarg,
					      "more than 64 workloads");
			parse_workload(&o->wl[o->nwl], optarg);
			if (setup) {
				if (!o->wl[o->nwl].cmd)
					prog_opt_fail("--setup", setup,
						      "only for a cmd: "
						      "workload");
				o->wl[o->nwl].setup = setup;
				setup = NULL;
			}
			o->nwl++;
			break;
		case OPT_SETUP:
			if (setup)
				prog_opt_fail("--setup", optarg, "two --setup "
					      "before one --workload");
			if (!*optarg)
				prog_opt_fail("--setup", "''",
					      "an empty command");
			setup = optarg;
			break;
		case 'p': parse_policies(o, optarg); break;
		case 'n':
			parse_list_u64("--frames", optarg, o->frames,
				       &o->nframes, 1, 268435456);
			break;
		case OPT_REFSCAN:
			parse_list_u64("--refscan", optarg, o->refscan,
				       &o->nrefscan, 0, 100000000);
			break;
		case OPT_LATENCY: parse_latencies(o, optarg); break;
		case OPT_REPEAT:
			o->repeat = (unsigned)parse_num("--repeat", optarg, 1,
							100);
			break;
		case OPT_SIM: o->sim = true; break;
		case OPT_KERNEL: o->kernel = true; break;
		case 'o': check_fs_opts(optarg); o->fs_opts = optarg; break;
		case OPT_OUT:
			if (!*optarg)
				prog_opt_fail("--out", "''", "an empty path");
			o->out = optarg;
			break;
		case OPT_RESUME: o->resume = true; break;
		case OPT_SCRATCH: o->scratch_in = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf(PROG " " FRAMEFS_VERSION "\n"); exit(0);
		default: prog_getopt_fail(opt, argv);
		}
	}
	if (optind < argc)
		prog_usage_fail(argv[optind], "not an option (workloads go "
				"after --workload; " PROG " --help)");
	if (setup)
		prog_opt_fail("--setup", setup, "no --workload after it");
	if (o->nwl == 0) {
		prog_errf("--workload: none given (" PROG " --help)");
		exit(2);
	}
	if (!o->out) {
		prog_errf("--out: none given: where the results go (" PROG
			  " --help)");
		exit(2);
	}
	if (o->npolicy == 0)
		o->policy[o->npolicy++] = "lru";
	if (o->nframes == 0)
		o->frames[o->nframes++] = 1024;
	if (o->nrefscan == 0)
		o->refscan[o->nrefscan++] = 0;
	if (o->nlatency == 0)
		o->latency[o->nlatency++] = "none";
}

/* What can be refused before anything is mounted: the workloads (mmload
 * --check), framefs's options (framefs itself, on a throw-away mount is
 * too late: the pool's minimum is checked here), the output directory,
 * --kernel's needs. */
static void check_matrix(struct opts *o)
{
	struct stat st;

	for (unsigned i = 0; i < o->nwl; i++) {
		struct workload *w = &o->wl[i];
		char size[32], err[512] = "";
		const char *extra[] = { "--check", "--create", size, NULL };
		char **argv;
		int pfd[2], status;
		pid_t pid;

		if (w->cmd)
			continue;
		sfmt(size, sizeof(size), "%llu",
			 (unsigned long long)w->bytes);
		argv = mmload_argv(w, "/nonexistent/data", extra);
		if (!argv || pipe(pfd) < 0)
			prog_fail("--workload", strerror(errno));
		pid = fork();
		if (pid == 0) {
			dup2(pfd[1], STDERR_FILENO);
			close(pfd[0]);
			close(pfd[1]);
			execvp(argv[0], argv);
			dprintf(STDERR_FILENO, "mmload: %s: %s\n", argv[0],
				strerror(errno));
			_exit(127);
		}
		close(pfd[1]);
		{
			/* To the end: stderr may come in several writes. */
			size_t len = 0;
			ssize_t n;

			while ((n = read(pfd[0], err + len,
					 sizeof(err) - 1 - len)) > 0 ||
			       (n < 0 && errno == EINTR))
				if (n > 0)
					len += (size_t)n;
			err[len] = '\0';
			err[strcspn(err, "\n")] = '\0';
		}
		close(pfd[0]);
		if (pid < 0 || waitpid(pid, &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			const char *why = err;

			if (!strncmp(why, "mmload: ", 8))
				why += 8;
			prog_opt_fail("--workload", w->text, why[0] ? why :
				      "mmload refused it");
		}
		free(argv);
	}
	{
		/* framefs's own floor, 2*threads+8, checked here so that no
		 * cell fails on it. */
		const char *t = o->fs_opts ? strstr(o->fs_opts, "threads=") :
				NULL;
		uint64_t threads = t ? strtoull(t + 8, NULL, 10) : 16;

		for (unsigned i = 0; i < o->nframes; i++)
			if (o->frames[i] < 2 * threads + 8) {
				char v[32], why[160];

				sfmt(v, sizeof(v), "%llu",
					 (unsigned long long)o->frames[i]);
				sfmt(why, sizeof(why), "below %llu: a "
					 "mount's pool needs 2*threads+8 "
					 "frames (threads=%llu; framesim "
					 "takes any size)",
					 (unsigned long long)(2 * threads + 8),
					 (unsigned long long)threads);
				prog_opt_fail("--frames", v, why);
			}
	}
	if (stat(o->out, &st) == 0) {
		char csvp[PATH_MAX];

		if (!o->resume)
			prog_opt_fail("--out", o->out, "exists (--resume goes "
				      "on with the runs in it; or choose a new "
				      "directory)");
		sfmt(csvp, sizeof(csvp), "%s/results.csv", o->out);
		if (access(csvp, R_OK | W_OK) < 0)
			prog_opt_fail("--resume", o->out, "has no results.csv "
				      "of an earlier run");
	} else if (errno != ENOENT) {
		prog_opt_fail("--out", o->out, strerror(errno));
	}
	if (o->kernel) {
		if (geteuid() != 0)
			prog_usage_fail("--kernel", "needs root (it makes a "
					"memory cgroup)");
		if (access("/sys/fs/cgroup/memory/cgroup.procs", W_OK) < 0)
			prog_usage_fail("--kernel", "no cgroup v1 memory "
					"controller at /sys/fs/cgroup/memory");
	}
	if (!mnt_available())
		prog_usage_fail("/dev/fuse", "framefs cannot mount here (no "
				"/dev/fuse or fusermount3)");
}

/* --resume: keep the ok rows, drop the failed ones (their cells run
 * again), remember the keys of what is done. */
static void load_done(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, tmp[PATH_MAX];
	size_t cap = 0;
	FILE *out;
	bool header = true;

	if (!f)
		prog_fail(path, strerror(errno));
	sfmt(tmp, sizeof(tmp), "%s.new", path);
	out = fopen(tmp, "w");
	if (!out)
		prog_fail(tmp, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char *field[10], *p = line;
		int n = 0;

		if (header) {
			if (strncmp(line, "wl,workload,kind,", 17))
				prog_opt_fail("--resume", path, "not compare's "
					      "results.csv");
			fputs(line, out);
			header = false;
			continue;
		}
		/* wl,workload,kind,policy,frames,refscan,latency,repeat,
		 * status: the workload (and a policy) may be quoted. */
		while (n < 9 && *p) {
			if (*p == '"') {
				char *w = ++p;

				field[n++] = w;
				while (*p && !(*p == '"' && p[1] != '"')) {
					if (*p == '"')
						p++;
					*w++ = *p++;
				}
				if (*p)
					p++;
				*w = '\0';
				if (*p == ',')
					p++;
			} else {
				field[n++] = p;
				p += strcspn(p, ",\n");
				if (*p)
					*p++ = '\0';
			}
		}
		if (n < 9)
			continue;
		if (strcmp(field[8], "ok"))
			continue;	/* a failed cell: it runs again */
		{
			char key[1024];

			key_of(key, sizeof(key),
			       (unsigned)strtoul(field[0], NULL, 10), field[2],
			       field[3], strtoull(field[4], NULL, 10),
			       field[5], field[6],
			       (unsigned)strtoul(field[7], NULL, 10));
			done_keys = realloc(done_keys, (ndone + 1) *
					    sizeof(char *));
			done_keys[ndone++] = strdup(key);
		}
	}
	/* Second pass (the first cut its lines up): the ok rows, as they
	 * were. */
	rewind(f);
	header = true;
	while (getline(&line, &cap, f) > 0) {
		char *q = line;
		int commas = 0;
		bool quoted = false;

		if (header) {
			header = false;
			continue;
		}
		/* the status is the 9th field */
		for (; *q && commas < 8; q++) {
			if (*q == '"')
				quoted = !quoted;
			else if (*q == ',' && !quoted)
				commas++;
		}
		if (commas == 8 && !strncmp(q, "ok,", 3))
			fputs(line, out);
	}
	free(line);
	fclose(f);
	if (fclose(out) != 0 || rename(tmp, path) < 0)
		prog_fail(path, strerror(errno));
}

static void write_command(int argc, char **argv)
{
	char path[PATH_MAX];
	struct row r = { 0 };
	FILE *f;

	sfmt(path, sizeof(path), "%s/command.txt", O.out);
	f = fopen(path, "a");
	if (!f)
		return;
	(void)argc;
	command_add(&r, argv);
	fprintf(f, "%s\n", r.command ? r.command : "");
	fclose(f);
	free(r.command);
}

static void make_dirs(void)
{
	const char *subs[] = { "", "/logs", "/series", "/curves" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		sfmt(path, sizeof(path), "%s%s", O.out, subs[i]);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			prog_fail(path, strerror(errno));
	}
}

static void make_scratch(void)
{
	const char *parent = O.scratch_in ? O.scratch_in :
			     getenv("TMPDIR") && *getenv("TMPDIR") ?
			     getenv("TMPDIR") : "/var/tmp";
	struct statfs sf;

	sfmt(scratch, sizeof(scratch), "%s/compare.XXXXXX", parent);
	if (!mkdtemp(scratch)) {
		char what[PATH_MAX + 16];

		sfmt(what, sizeof(what), "--scratch: %s", parent);
		prog_fail(what, strerror(errno));
	}
	if (O.kernel && statfs(scratch, &sf) == 0 && sf.f_type == TMPFS_MAGIC)
		prog_usage_fail("--kernel", "the scratch directory is on "
				"tmpfs, whose pages the kernel does not "
				"reclaim like a disk file's (--scratch DIR on "
				"a disk)");
}

static void cleanup_scratch(void)
{
	if (scratch[0]) {
		mnt_stop_all();
		rm_rf(scratch);
		scratch[0] = '\0';
	}
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], why[512] = "";
	bool fresh;
	int status = 0, rc;

	parse_opts(argc, argv, &O);
	find_bin(bin_framefs, "FRAMEFS", "../fs/framefs", "framefs");
	find_bin(bin_mmload, "MMLOAD", "../workloads/mmload", "mmload");
	find_bin(bin_framesim, "FRAMESIM", "framesim", "framesim");
	setenv("FRAMEFS", bin_framefs, 1);
	check_matrix(&O);

	fresh = access(O.out, F_OK) < 0;
	make_dirs();
	sfmt(path, sizeof(path), "%s/results.csv", O.out);
	if (!fresh)
		load_done(path);
	csv = fopen(path, "a");
	if (!csv)
		prog_fail(path, strerror(errno));
	if (fresh)
		csv_header(csv);
	write_command(argc, argv);
	catch_signals();
	make_scratch();
	atexit(cleanup_scratch);

	cells_total = O.nwl * O.repeat * O.nlatency * O.nrefscan * O.nframes *
		      O.npolicy;
	if (O.kernel)
		for (unsigned i = 0; i < O.nwl; i++)
			if (!O.wl[i].cmd)
				cells_total += O.nframes * O.repeat;
	t_start = now_sec(CLOCK_MONOTONIC);

	for (unsigned wi = 0; wi < O.nwl && !interrupted; wi++) {
		struct workload *w = &O.wl[wi];

		if (prepare(wi, why, sizeof(why)) < 0) {
			if (interrupted)
				break;
			prog_errf("workload %u: %s", wi + 1, why);
			/* Every cell of it fails with that why. */
			for (unsigned k = 0; k < O.repeat * O.nlatency *
			     O.nrefscan * O.nframes * O.npolicy; k++) {
				struct row r = { .wl = wi + 1,
						 .workload = w->text,
						 .kind = "live" };

				sfmt(r.policy, sizeof(r.policy), "%s",
					 O.policy[k % O.npolicy]);
				r.frames = O.frames[k / O.npolicy % O.nframes];
				sfmt(r.refscan, sizeof(r.refscan), "%llu",
					 (unsigned long long)O.refscan[
					 k / O.npolicy / O.nframes %
					 O.nrefscan]);
				sfmt(r.latency, sizeof(r.latency), "%s",
					 O.latency[k / O.npolicy / O.nframes /
					 O.nrefscan % O.nlatency]);
				r.repeat = k / O.npolicy / O.nframes /
					   O.nrefscan / O.nlatency + 1;
				row_fail(&r, "preparing the workload: %s",
					 why);
				row_write(&r);
				cells_done++;
			}
			continue;
		}
		if (O.sim && !w->cmd)
			simulate_true(wi);
		for (unsigned rep = 1; rep <= O.repeat; rep++)
		for (unsigned li = 0; li < O.nlatency; li++)
		for (unsigned ri = 0; ri < O.nrefscan; ri++)
		for (unsigned fi = 0; fi < O.nframes; fi++)
		for (unsigned pi = 0; pi < O.npolicy && !interrupted; pi++) {
			char key[1024], rs[32], what[512];

			sfmt(rs, sizeof(rs), "%llu",
				 (unsigned long long)O.refscan[ri]);
			key_of(key, sizeof(key), wi + 1, "live", O.policy[pi],
			       O.frames[fi], rs, O.latency[li], rep);
			if (is_done(key)) {
				cells_done++;
				cells_skipped++;
				continue;
			}
			sfmt(what, sizeof(what), "workload %u, %s, %llu "
				 "frames", wi + 1, O.policy[pi],
				 (unsigned long long)O.frames[fi]);
			progress(what);
			run_cell(wi, O.policy[pi], O.frames[fi],
				 O.refscan[ri], O.latency[li], rep);
			cells_done++;
		}
		if (O.kernel && !w->cmd)
			for (unsigned rep = 1; rep <= O.repeat; rep++)
			for (unsigned fi = 0; fi < O.nframes && !interrupted;
			     fi++) {
				char key[1024], what[256];

				key_of(key, sizeof(key), wi + 1, "kernel",
				       "kernel", O.frames[fi], "0", "none",
				       rep);
				if (is_done(key)) {
					cells_done++;
					cells_skipped++;
					continue;
				}
				sfmt(what, sizeof(what), "workload %u, "
					 "the kernel, %llu pages", wi + 1,
					 (unsigned long long)O.frames[fi]);
				progress(what);
				run_kernel(wi, O.frames[fi], rep);
				cells_done++;
			}
		if (w->pristine[0])
			rm_rf(w->pristine);
		if (w->trace[0])
			unlink(w->trace);
	}
	prog_progress_end();
	fclose(csv);
	csv = NULL;
	cleanup_scratch();

	rc = report_write(O.out, why, sizeof(why));
	if (rc < 0) {
		prog_errf("%s: the report: %s", O.out, why);
		status = 1;
	}
	if (interrupted) {
		prog_errf("interrupted: %u of %u cells done; the rows are in "
			  "%s/results.csv (--resume goes on)", cells_done,
			  cells_total, O.out);
		return 130;
	}
	if (rows_failed) {
		prog_errf("%u row%s failed (%s/summary.md lists them)",
			  rows_failed, rows_failed == 1 ? "" : "s", O.out);
		status = 1;
	}
	return status;
}
