/* test_mmload.c - mmload on a real framefs mount: its fault counts are the
 * ones the kernel charges and the daemon sees, its writes land (or, for
 * MAP_PRIVATE, do not), and its --fork shows copy on write.
 *
 * The cases named _nomount need no FUSE: they run mmload on files in a
 * scratch directory (what it refuses, what recording a trace costs, the
 * progress line, --hold, --repeat, --memcg).
 *
 * The mount uses readahead 0 and the frames are dropped before each cold
 * run, so nothing is in the page cache beforehand and every first touch is
 * exactly one major fault and one READ of the daemon.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "need_fuse.h"
#include "tmpdir.h"

#define PS 4096u
#define NPAGES 32

static struct mnt M, fifo_mnt;
static char out[1 << 16];
static char T[256];		/* scratch dir of the cases without a mount */
static char tpath[512];

static int setup(void **state)
{
	(void)state;
	if (!mnt_available())
		return 0;
	if (mnt_start(&M, "frames=256,readahead=0") != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return mnt_case_teardown(&(void *){ &M });
}

/* Runs mmload with the NULL-terminated args; stdout into out, stderr into
 * err (if given).  Returns the exit status. */
static int mmload(char *err, size_t errlen, ...)
{
	char *argv[32] = { "mmload" };
	int pfd[2], efd[2], st, argc = 1;
	size_t n = 0, ne = 0;
	ssize_t r;
	va_list ap;
	pid_t pid;

	va_start(ap, errlen);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pipe(efd), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(efd[1], 2);
		close(pfd[0]);
		close(efd[0]);
		execv(getenv("MMLOAD"), argv);
		_exit(127);
	}
	close(pfd[1]);
	close(efd[1]);
	while (n + 1 < sizeof(out) &&
	       (r = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	if (err) {
		while (ne + 1 < errlen &&
		       (r = read(efd[0], err + ne, errlen - 1 - ne)) > 0)
			ne += (size_t)r;
		err[ne] = '\0';
	}
	close(pfd[0]);
	close(efd[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The value of a "name value" line of mmload's output; the parent's, or
 * with child the one after "# the child". */
static long long val(const char *name, bool child)
{
	const char *p = out, *mark = strstr(out, "# the child");
	size_t n = strlen(name);

	if (child) {
		if (!mark)
			fail_msg("no child section in:\n%s", out);
		p = mark;
	}
	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!child && mark && p >= mark)
			break;
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtoll(p + n, NULL, 10);
	}
	fail_msg("no %s in:\n%s", name, out);
	return -1;
}

/* Makes a fresh file of NPAGES zero pages through the mount, and drops
 * every frame and kernel copy, so the next run starts cold. */
static const char *fresh_file(const char *name)
{
	const char *path = mpath(&M, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, NPAGES * PS), 0);
	close(fd);
	assert_int_equal(mnt_control(&M, "drop"), 0);
	return path;
}

/* Byte off of each page of the file, read with pread through the mount:
 * how many pages hold v there. */
static int pages_holding(const char *path, unsigned off, unsigned char v)
{
	int fd = open(path, O_RDONLY), n = 0;

	assert_true(fd >= 0);
	for (unsigned pg = 0; pg < NPAGES; pg++) {
		unsigned char b;

		assert_int_equal(pread(fd, &b, 1, (off_t)(pg * PS + off)), 1);
		n += b == v;
	}
	close(fd);
	return n;
}

/* Cold: one major fault and one daemon READ per page.  Warm: the pages
 * are in the kernel's page cache, so no major fault and no READ at all
 * (kernel hits are invisible to the daemon). */
static void test_mmload_shared_read_faults(void **state)
{
	const char *f;
	uint64_t reads;

	(void)state;
	NEED_FUSE();
	f = fresh_file("read.dat");
	reads = mnt_stat(&M, "reads");
	assert_int_equal(mmload(NULL, 0, "--pattern", "seq", f, NULL), 0);
	assert_int_equal(val("touches", false), NPAGES);
	assert_int_equal(val("distinct_pages", false), NPAGES);
	assert_int_equal(val("majflt", false), NPAGES);
	assert_int_equal(mnt_stat(&M, "reads") - reads, NPAGES);

	reads = mnt_stat(&M, "reads");
	assert_int_equal(mmload(NULL, 0, "--pattern", "seq", f, NULL), 0);
	assert_int_equal(val("majflt", false), 0);
	/* Mapping the cached pages costs minor faults (no upper bound is
	 * checked: a sanitizer's shadow memory faults in the same process). */
	assert_true(val("minflt", false) >= 1);
	assert_int_equal(mnt_stat(&M, "reads") - reads, 0);
}

/* Writes through MAP_PRIVATE: warm pages cost one minor fault each (the
 * copy), and the file never sees them.  Through MAP_SHARED: one minor
 * fault each (made writable), and the file holds the writer's mark. */
static void test_mmload_private_vs_shared_writes(void **state)
{
	const char *f;

	(void)state;
	NEED_FUSE();
	f = fresh_file("write.dat");
	assert_int_equal(mmload(NULL, 0, f, NULL), 0);	/* warm it */

	assert_int_equal(mmload(NULL, 0, "--map", "private", "--write", "1",
				f, NULL), 0);
	assert_int_equal(val("writes", false), NPAGES);
	assert_int_equal(val("majflt", false), 0);
	assert_true(val("minflt", false) >= NPAGES);
	assert_int_equal(pages_holding(f, 0, 0x80), 0);

	assert_int_equal(mmload(NULL, 0, "--map", "shared", "--write", "1",
				"--overwrite", f, NULL), 0);
	assert_int_equal(val("majflt", false), 0);
	assert_true(val("minflt", false) >= NPAGES);
	assert_true(val("msync_ms", false) >= 0);
	assert_int_equal(pages_holding(f, 0, 0x80), NPAGES);

	/* Cold private writes: the read and the copy are one major fault. */
	assert_int_equal(mnt_control(&M, "drop"), 0);
	assert_int_equal(mmload(NULL, 0, "--map", "private", "--write", "1",
				"--pages", "8", f, NULL), 0);
	assert_int_equal(val("majflt", false), 8);
}

/* --fork: the child writes byte 64 of every page.  With MAP_PRIVATE the
 * parent sees none of it and neither does the file; with MAP_SHARED both
 * see all of it. */
static void test_mmload_fork_cow(void **state)
{
	const char *f;

	(void)state;
	NEED_FUSE();
	f = fresh_file("fork.dat");
	assert_int_equal(mmload(NULL, 0, "--fork", "--map", "private",
				"--write", "1", f, NULL), 0);
	assert_int_equal(val("pages_written", true), NPAGES);
	assert_int_equal(val("child_writes_seen_by_parent", false), 0);
	assert_int_equal(pages_holding(f, 64, 0xc0), 0);
	assert_int_equal(pages_holding(f, 0, 0x80), 0);

	assert_int_equal(mmload(NULL, 0, "--fork", "--map", "shared",
				"--write", "1", "--overwrite", f, NULL), 0);
	assert_int_equal(val("child_writes_seen_by_parent", false), NPAGES);
	assert_int_equal(pages_holding(f, 64, 0xc0), NPAGES);
	assert_int_equal(pages_holding(f, 0, 0x80), NPAGES);
	/* And it is on the backing store once the daemon writes back. */
	assert_int_equal(mnt_control(&M, "sync"), 0);
	{
		int fd = open(bpath(&M, "fork.dat"), O_RDONLY);
		unsigned char b;

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &b, 1, 5 * PS + 64), 1);
		assert_int_equal(b, 0xc0);
		close(fd);
	}
}

/* Threads: each has its own pattern; their touches add up, and the
 * per-thread fault counts add up to no more than the process's. */
static void test_mmload_threads(void **state)
{
	const char *f;
	long long t0, t1;
	uint64_t reads;

	(void)state;
	NEED_FUSE();
	f = fresh_file("threads.dat");
	reads = mnt_stat(&M, "reads");
	assert_int_equal(mmload(NULL, 0, "--threads", "2", "--pattern", "rand",
				"--ops", "5001", f, NULL), 0);
	assert_int_equal(val("touches", false), 5001);
	assert_true(val("distinct_pages", false) <= NPAGES);
	assert_non_null(strstr(out, "parent_thread1"));
	assert_int_equal(sscanf(strstr(out, "parent_thread0"),
				"parent_thread0 touches %lld", &t0), 1);
	assert_int_equal(sscanf(strstr(out, "parent_thread1"),
				"parent_thread1 touches %lld", &t1), 1);
	assert_int_equal(t0 + t1, 5001);
	assert_true(val("majflt", false) >= NPAGES);
	assert_int_equal(mnt_stat(&M, "reads") - reads, NPAGES);
}

static int count_lines(const char *path, char *first_ref, size_t len)
{
	FILE *fp = fopen(path, "r");
	char line[256];
	int n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		if (line[0] == '#')
			continue;
		if (n++ == 0 && first_ref)
			snprintf(first_ref, len, "%s", line);
	}
	fclose(fp);
	return n;
}

/* --trace-out records every touch, in order, in the framefs trace format;
 * the same seed records the same pages. */
static void test_mmload_trace_out(void **state)
{
	char trace[300], first[256];
	const char *f;
	FILE *fp;
	char line[256];
	unsigned long long t, file, pg;
	char op;
	int i = 0;

	(void)state;
	NEED_FUSE();
	f = fresh_file("trace.dat");
	snprintf(trace, sizeof(trace), "%s/loop.trace", M.dir);
	assert_int_equal(mmload(NULL, 0, "--pattern", "loop:8", "--ops", "40",
				"--write", "0.5", "--overwrite", "--trace-out",
				trace, f, NULL), 0);
	assert_int_equal(count_lines(trace, first, sizeof(first)), 40);
	fp = fopen(trace, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "# framefs trace v1"));
	assert_non_null(strstr(line, "source=mmload"));
	while (fgets(line, sizeof(line), fp)) {
		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%llu %llu %llu %c", &t, &file,
					&pg, &op), 4);
		assert_int_equal(pg, (unsigned long long)(i++ % 8));
		assert_true(op == 'r' || op == 'w');
	}
	fclose(fp);
	assert_int_equal(i, 40);
	assert_int_equal(val("writes", false) > 0, 1);
	remove(trace);
}

static void test_mmload_bad_input(void **state)
{
	char err[1024];
	const char *f;

	(void)state;
	NEED_FUSE();
	f = fresh_file("bad.dat");
	assert_int_equal(mmload(err, sizeof(err), mpath(&M, "nonexistent"),
				NULL), 1);
	assert_non_null(strstr(err, "mmload: "));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(mmload(err, sizeof(err), "--pages", "33", f, NULL),
			 2);
	assert_non_null(strstr(err, "has 32 pages"));
	assert_int_equal(mmload(err, sizeof(err), "--pattern", "zipf:x", f,
				NULL), 2);
	assert_non_null(strstr(err, "mmload: --pattern: zipf:x"));
	assert_int_equal(mmload(err, sizeof(err), "--write", "2", f, NULL), 2);
	assert_int_equal(mmload(err, sizeof(err), "--ops", "5", "--seconds",
				"1", f, NULL), 2);
	assert_int_equal(mmload(err, sizeof(err), NULL), 2);
	/* One line each, no crash. */
	assert_int_equal(strchr(err, '\n') - err + 1, (long)strlen(err));
}


/* ---- without a mount -------------------------------------------------- */

/* T/name: npages pages of byte v, made here (so not by mmload). */
static const char *tfile(const char *name, unsigned npages, unsigned char v)
{
	static char buf[PS];
	int fd;

	snprintf(tpath, sizeof(tpath), "%s/%s", T, name);
	fd = open(tpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	memset(buf, v, sizeof(buf));
	for (unsigned i = 0; i < npages; i++)
		assert_int_equal(write(fd, buf, PS), PS);
	close(fd);
	return tpath;
}

/* Every byte of the file is v, and it has npages pages. */
static bool file_is(const char *path, unsigned npages, unsigned char v)
{
	unsigned char buf[PS];
	struct stat st;
	bool same = true;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	if (st.st_size != (off_t)npages * PS)
		same = false;
	for (unsigned i = 0; same && i < npages; i++) {
		assert_int_equal(pread(fd, buf, PS, (off_t)i * PS), PS);
		for (unsigned k = 0; k < PS; k++)
			same &= buf[k] == v;
	}
	close(fd);
	return same;
}

/* A file mmload did not create is changed only with --overwrite: --write
 * through a shared mapping, and --create's extension, are refused before
 * anything is written, and the file's bytes stay what they were. */
static void test_mmload_overwrite_nomount(void **state)
{
	char err[1024], f[512], nf[600], bad[600];

	(void)state;
	snprintf(f, sizeof(f), "%s", tfile("keep.dat", 4, 0x5a));
	assert_int_equal(mmload(err, sizeof(err), "--write", "1", f, NULL), 2);
	assert_non_null(strstr(err, "mmload: --write: 1: "));
	assert_non_null(strstr(err, "--overwrite"));
	assert_true(file_is(f, 4, 0x5a));
	assert_int_equal(mmload(err, sizeof(err), "--create", "32K", "--write",
				"0.5", f, NULL), 2);
	assert_true(file_is(f, 4, 0x5a));
	assert_int_equal(mmload(err, sizeof(err), "--create", "32K", f, NULL),
			 2);
	assert_non_null(strstr(err, "mmload: --create: 32K: "));
	assert_true(file_is(f, 4, 0x5a));
	/* Private writes are copies: the file is safe without the flag. */
	assert_int_equal(mmload(NULL, 0, "--write", "1", "--map", "private",
				f, NULL), 0);
	assert_int_equal(val("writes", false), 4);
	assert_true(file_is(f, 4, 0x5a));
	/* A trace that cannot be written is refused before the touches. */
	snprintf(bad, sizeof(bad), "%s/nodir/t", T);
	assert_int_equal(mmload(err, sizeof(err), "--write", "1",
				"--overwrite", "--trace-out", bad, f, NULL), 1);
	assert_non_null(strstr(err, "mmload: --trace-out: "));
	assert_true(file_is(f, 4, 0x5a));
	/* Asked for, it writes. */
	assert_int_equal(mmload(NULL, 0, "--write", "1", "--overwrite", f,
				NULL), 0);
	assert_false(file_is(f, 4, 0x5a));
	/* A file --create makes is mmload's own scratch file. */
	snprintf(nf, sizeof(nf), "%s/new.dat", T);
	unlink(nf);
	assert_int_equal(mmload(NULL, 0, "--create", "16K", "--write", "1",
				nf, NULL), 0);
	assert_int_equal(val("pages_written", false), 4);
	unlink(nf);
	unlink(f);
}

/* Reads a framefs trace: references, writes among them, and whether the
 * times never go back; every page below npages. */
static long trace_check(const char *path, long *writes, uint64_t npages)
{
	FILE *fp = fopen(path, "r");
	unsigned long long t, file, pg, last = 0;
	char line[256], op;
	long n = 0;

	assert_non_null(fp);
	*writes = 0;
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "# framefs trace v1 source=mmload"));
	while (fgets(line, sizeof(line), fp)) {
		assert_int_equal(sscanf(line, "%llu %llu %llu %c", &t, &file,
					&pg, &op), 4);
		assert_true(t >= last);
		assert_true(pg < npages);
		assert_true(op == 'r' || op == 'w');
		last = t;
		*writes += op == 'w';
		n++;
	}
	fclose(fp);
	return n;
}

/* The trace of threads and a --fork child, streamed while they run: every
 * touch of every thread, in time order, the writes marked. */
static void test_mmload_trace_merged_nomount(void **state)
{
	char tr[300];
	const char *f;
	long n, w;

	(void)state;
	f = tfile("merge.dat", 64, 0);
	snprintf(tr, sizeof(tr), "%s/merge.trace", T);
	/* Threads that store race with the loads of the others, on purpose
	 * (the workload); reads only here, so a TSan build stays quiet. */
	assert_int_equal(mmload(NULL, 0, "--threads", "3", "--fork",
				"--pattern", "rand", "--ops", "30001",
				"--trace-out", tr, f, NULL), 0);
	n = trace_check(tr, &w, 64);
	assert_int_equal(n, val("touches", false) + val("touches", true));
	assert_int_equal(n, 60002);
	assert_int_equal(w, 0);
	assert_int_equal(mmload(NULL, 0, "--fork", "--map", "private",
				"--write", "0.3", "--pattern", "zipf:0.8",
				"--ops", "20000", "--trace-out", tr, f, NULL),
			 0);
	n = trace_check(tr, &w, 64);
	assert_int_equal(n, 40000);
	assert_int_equal(w, val("writes", false) + val("writes", true));
	assert_true(w > 0);
	unlink(tr);
	unlink(f);
}

/* Recording costs a fixed buffer, not memory per touch: a million touches
 * of 32 warm pages fault about as often recorded as not (it was thousands
 * of minor faults more, 16 bytes per touch held until the end). */
static void test_mmload_trace_minflt_nomount(void **state)
{
	char tr[300];
	const char *f;
	long long without, with;
	long w;

	(void)state;
	f = tfile("flt.dat", 32, 0);
	snprintf(tr, sizeof(tr), "%s/flt.trace", T);
	assert_int_equal(mmload(NULL, 0, "--ops", "1000000", f, NULL), 0);
	without = val("minflt", false);
	assert_int_equal(mmload(NULL, 0, "--ops", "1000000", "--trace-out",
				tr, f, NULL), 0);
	with = val("minflt", false);
	print_message("minflt: %lld without --trace-out, %lld with\n",
		      without, with);
	assert_true(with <= 3 * without + 1000);
	assert_int_equal(trace_check(tr, &w, 32), 1000000);
	unlink(tr);
	unlink(f);
}

/* Starts mmload with stdout into a pipe (*outfd) and stderr to errfd (or
 * /dev/null), in a process group of its own so the --fork child can be
 * stopped with it.  Returns the PID. */
static pid_t mmload_spawn(int *outfd, int errfd, char *const argv[])
{
	int pfd[2];
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		dup2(pfd[1], 1);
		dup2(errfd >= 0 ? errfd : nul, 2);
		close(pfd[0]);
		execv(getenv("MMLOAD"), argv);
		_exit(127);
	}
	close(pfd[1]);
	*outfd = pfd[0];
	return pid;
}

/* Reads fd into buf until it holds want, fd ends or secs pass. */
static bool read_until(int fd, char *buf, size_t len, const char *want,
		       double secs)
{
	size_t n = strlen(buf);
	time_t end = time(NULL) + (time_t)secs;

	while (!strstr(buf, want) && time(NULL) <= end && n + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 200) <= 0)
			continue;
		r = read(fd, buf + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
	}
	return strstr(buf, want) != NULL;
}

/* --hold prints the results first: they can be read (here from a pipe)
 * while the process still holds its mapping, the --fork child's too. */
static void test_mmload_hold_prints_first_nomount(void **state)
{
	char *argv[] = { "mmload", "--hold", "60", "--fork", "--pages", "4",
			 tpath, NULL };
	char buf[8192] = "";
	bool got, alive;
	int fd, st;
	pid_t pid;

	(void)state;
	tfile("hold.dat", 4, 0);
	pid = mmload_spawn(&fd, -1, argv);
	got = read_until(fd, buf, sizeof(buf), "# the child", 20) &&
	      read_until(fd, buf, sizeof(buf), "\nmunmap_ms", 1) == false &&
	      strstr(strstr(buf, "# the child"), "touches_per_s");
	alive = waitpid(pid, &st, WNOHANG) == 0;
	kill(-pid, SIGKILL);		/* the group: parent and child */
	waitpid(pid, &st, 0);
	close(fd);
	if (!got)
		fail_msg("no results while holding; stdout:\n%s", buf);
	assert_true(alive);
	assert_non_null(strstr(buf, "child_writes_seen_by_parent"));
	unlink(tpath);
}

/* The counts are the file's, not mmload's own: a page of mmload's code
 * that the kernel dropped while nothing mapped it (cold unmapped file
 * pages are reclaimed first, and some machines page them out
 * proactively) faulted, major, when the run first executed it, and a
 * cold read of 32 pages counted 33.  Each page of the binary is dropped
 * in turn before a run over 1,024 pages of a memfd (faults there are
 * always minor): the run counts no major fault.  (Which pages the run
 * alone executes depends on the build: in the TSan build one, executed
 * only past the 32nd touch.) */
static void test_mmload_own_pages_nomount(void **state)
{
	const char *bin = getenv("MMLOAD");
	int mfd = memfd_create("mmload-own", 0), bfd;
	char path[64];
	struct stat st;

	(void)state;
	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 1024 * PS), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	bfd = open(bin, O_RDONLY);
	assert_true(bfd >= 0);
	assert_int_equal(fstat(bfd, &st), 0);
	for (off_t off = 0; off < st.st_size; off += PS) {
		assert_int_equal(posix_fadvise(bfd, off, PS,
					       POSIX_FADV_DONTNEED), 0);
		assert_int_equal(mmload(NULL, 0, "--pattern", "seq", path,
					NULL), 0);
		assert_int_equal(val("touches", false), 1024);
		if (val("majflt", false) != 0)
			fail_msg("page %lld of %s dropped: %lld major faults",
				 (long long)(off / PS), bin,
				 val("majflt", false));
	}
	close(bfd);
	close(mfd);
}

/* A run of more than half a second shows a progress line when stderr is
 * a terminal, and none when it is not. */
static void test_mmload_progress_nomount(void **state)
{
	char *argv[] = { "mmload", "--seconds", "1.5", "--pattern", "rand",
			 tpath, NULL };
	char buf[8192] = "", err[1024];
	int m, s, fd, st;
	pid_t pid;

	(void)state;
	tfile("progress.dat", 16, 0);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	pid = mmload_spawn(&fd, s, argv);
	close(s);
	read_until(m, buf, sizeof(buf), "ETA", 20);
	waitpid(pid, &st, 0);
	close(fd);
	close(m);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(strstr(buf, "mmload: "));
	assert_non_null(strstr(buf, " touches/s, "));
	assert_non_null(strstr(buf, " faults/s, ETA "));

	assert_int_equal(mmload(err, sizeof(err), "--seconds", "0.8", tpath,
				NULL), 0);
	assert_string_equal(err, "");
	unlink(tpath);
}

/* --repeat N: N runs, min, median and max of each figure. */
static void test_mmload_repeat_nomount(void **state)
{
	const char *f;
	const char *p;
	int n = 0;

	(void)state;
	f = tfile("repeat.dat", 8, 0);
	assert_int_equal(mmload(NULL, 0, "--repeat", "3", "--pages", "5", f,
				NULL), 0);
	assert_int_equal(val("repeat", false), 3);
	assert_non_null(strstr(out, "\ntouches                5 5 5\n"));
	assert_non_null(strstr(out, "\ndistinct_pages         5 5 5\n"));
	assert_non_null(strstr(out, "min median max"));
	assert_int_equal(mmload(NULL, 0, "--repeat", "4", "--write", "1",
				"--map", "private", "--json", f, NULL), 0);
	assert_non_null(strstr(out, "\"repeat\": 4"));
	assert_non_null(strstr(out, "\"touches\": {\"min\": 8, \"median\": 8, "
				    "\"max\": 8}"));
	assert_non_null(strstr(out, "\"elapsed_s\": {\"min\": "));
	for (p = strstr(out, "\"runs\": ["); p && (p = strstr(p, "{\"elapsed_s"));
	     p++)
		n++;
	assert_int_equal(n, 4);
	unlink(f);
}

/* "latency_KIND touches N ..." of the last output: N, 0 without the line. */
static long long lat_touches(const char *kind)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\nlatency_%s ", kind);
	p = strstr(out, key);
	return p ? strtoll(strstr(p, " touches ") + 9, NULL, 10) : 0;
}

/* The latency_hist rows: the touches of column col (0: no fault, 1: minor,
 * 2: major) added up. */
static long long hist_sum(int col)
{
	long long sum = 0, v[3];
	const char *p = out;

	while ((p = strstr(p, "\nlatency_hist "))) {
		p += 14;
		assert_int_equal(sscanf(p, "%*s %lld %lld %lld", &v[0], &v[1],
					&v[2]), 3);
		sum += v[col];
	}
	return sum;
}

/* --latency sorts every touch by what it cost: writes into a private
 * mapping take one minor fault each (the copy), then none. */
static void test_mmload_latency_nomount(void **state)
{
	const char *f;

	(void)state;
	f = tfile("lat.dat", 8, 0);
	assert_int_equal(mmload(NULL, 0, "--latency", "--map", "private",
				"--write", "1", "--pattern", "loop:4", "--ops",
				"400", f, NULL), 0);
	assert_int_equal(lat_touches("all"), 400);
	assert_int_equal(lat_touches("major_fault"), 0);
	assert_int_equal(lat_touches("minor_fault") + lat_touches("no_fault"),
			 400);
	assert_int_equal(hist_sum(0), lat_touches("no_fault"));
	assert_int_equal(hist_sum(1), lat_touches("minor_fault"));
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* A sanitizer's runtime faults in its own shadow pages beside the
	 * touches (getrusage and clock_gettime write through interceptors):
	 * the exact count is the plain build's. */
	assert_true(lat_touches("minor_fault") >= 4);
#else
	assert_int_equal(lat_touches("minor_fault"), 4);
#endif
	assert_non_null(strstr(out, "\nlatency_all            touches 400 p50 "));
	assert_int_equal(mmload(NULL, 0, "--latency", "--json", "--pages", "2",
				f, NULL), 0);
	assert_non_null(strstr(out, "\"latency\": {\"all\": {\"touches\": 2, "
				    "\"p50_ns\": "));
	assert_non_null(strstr(out, "\"histogram\": [{\"from_ns\": "));
	assert_int_equal(mmload(NULL, 0, "--latency", "--json", "--fork",
				"--pages", "2", f, NULL), 0);
	assert_non_null(strstr(out, "\"child_latency\": {\"all\": "
				    "{\"touches\": 2, "));
	unlink(f);
}

/* On framefs, cold: every touch is a major fault (a READ of the daemon);
 * warm: none is. */
static void test_mmload_latency_kinds(void **state)
{
	const char *f;

	(void)state;
	NEED_FUSE();
	f = fresh_file("latency.dat");
	assert_int_equal(mmload(NULL, 0, "--latency", f, NULL), 0);
	assert_int_equal(lat_touches("major_fault"), NPAGES);
	assert_int_equal(hist_sum(2), NPAGES);
	assert_int_equal(mmload(NULL, 0, "--latency", f, NULL), 0);
	assert_int_equal(lat_touches("major_fault"), 0);
	assert_int_equal(lat_touches("all"), NPAGES);
}

/* Busy processes beside the runs of the case below, stopped by PID in its
 * teardown whatever the case did. */
#define BURNERS 3
static pid_t burner[BURNERS];

static void burners_start(void)
{
	for (int i = 0; i < BURNERS; i++) {
		burner[i] = fork();
		if (burner[i] == 0)
			for (volatile unsigned long x = 0;; x++)
				;
		assert_true(burner[i] > 0);
	}
}

static int fifo_loop_teardown(void **state)
{
	for (int i = 0; i < BURNERS; i++)
		if (burner[i] > 0) {
			kill(burner[i], SIGKILL);
			waitpid(burner[i], NULL, 0);
			burner[i] = 0;
		}
	return mnt_case_teardown(state);
}

/* The client's faults are the policy's misses, exactly, also on a loaded
 * machine: a loop over 80 pages on 64 FIFO frames faults on every touch.
 * A READ once replied from its frame while still pinning it; a client
 * that ran on before the worker unpinned had the evictor pass over that
 * frame and evict a page FIFO keeps, and a later touch of it hit the
 * kernel's copy (a fault short in about one run in four, with CPUs busy
 * beside it).
 * And an evictor descheduled between choosing its victim and recording it
 * for rule 6 had the other evictors free the frames of later victims
 * first, leaving its page in the kernel (2,999 in about one run in 40
 * under TSan, with no steal and no deferred invalidation); choosing and
 * recording are now one step (fs/pager.c, choose_lock). */
static void test_mmload_fifo_loop_exact(void **state)
{
	struct mnt *m = *state;
	char arg[512];
	int fd;

	NEED_FUSE();
	assert_int_equal(mnt_start(m, "frames=64,readahead=0,policy=fifo"), 0);
	snprintf(arg, sizeof(arg), "%s", mpath(m, "loop.dat"));
	fd = open(arg, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 256 * PS), 0);
	close(fd);
	burners_start();
	for (int run = 0; run < 12; run++) {
		assert_int_equal(mnt_control(m, "drop"), 0);
		assert_int_equal(mmload(NULL, 0, "--pattern", "loop:80", "--ops",
					"3000", "--pages", "256", arg, NULL), 0);
		/* The counters that say which path bent inclusion, if one
		 * did: steals (rule 2), deferred invalidations (rule 1). */
		if (val("majflt", false) != 3000)
			fail_msg("run %d: majflt %lld of 3000 touches "
				 "(frame_steals %llu, inval_deferred %llu so "
				 "far)", run, val("majflt", false),
				 (unsigned long long)mnt_stat(m,
							      "frame_steals"),
				 (unsigned long long)mnt_stat(m,
							      "inval_deferred"));
	}
}

/* ---- --memcg: the kernel's own replacement in a memory cgroup ---------- */

#define TMPFS_MAGIC_ 0x01021994

/* The v1 memory hierarchy's mount point, or false. */
static bool memcg_mount(char *mnt, size_t len)
{
	FILE *fp = fopen("/proc/self/mountinfo", "r");
	char line[4096], point[1024], type[64], src[256], opts[1024];
	bool found = false;

	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp)) {
		char *sep = strstr(line, " - ");

		if (sep && sscanf(line, "%*s %*s %*s %*s %1023s", point) == 1 &&
		    sscanf(sep + 3, "%63s %255s %1023s", type, src, opts) == 3 &&
		    !strcmp(type, "cgroup") &&
		    (strstr(opts, ",memory") || !strncmp(opts, "memory", 6))) {
			snprintf(mnt, len, "%s", point);
			found = true;
		}
	}
	fclose(fp);
	return found;
}

/* SKIP (not pass) where --memcg cannot run: not root, or no v1 memory
 * controller. */
#define NEED_MEMCG(mnt)                                                    \
	do {                                                               \
		if (geteuid() != 0 || !memcg_mount(mnt, sizeof(mnt))) {    \
			print_message("SKIP: --memcg needs root and a cgroup " \
				      "v1 memory controller\n");           \
			skip();                                            \
		}                                                          \
		NEED_NO_SANITIZER();                                            \
	} while (0)

/* A sanitizer build allocates shadow memory (and ASan its quarantine) as
 * the workload runs, charged to the cgroup it has entered: more than a
 * few hundred pages' limit leaves room for, and the kernel's OOM killer
 * ends the run.  The plain build (make test) runs these cases. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define NEED_NO_SANITIZER()                                                     \
	do {                                                               \
		print_message("SKIP: a sanitizer build's shadow memory does "  \
			      "not fit in a small memory cgroup\n");        \
		skip();                                                    \
	} while (0)
#else
#define NEED_NO_SANITIZER() do { } while (0)
#endif

/* mmload.* directories anywhere under the hierarchy: the cgroups --memcg
 * made and did not remove. */
static int memcg_dirs(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char sub[2048];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (!strncmp(de->d_name, "mmload.", 7))
			n++;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (depth < 4)
			n += memcg_dirs(sub, depth + 1);
	}
	closedir(d);
	return n;
}

/* A file of npages zero pages on a disk's filesystem: tmpfs pages are
 * shared memory on the anon lists, not page cache, and mmload refuses
 * them.  $TMPDIR (T) if it is not tmpfs, else /var/tmp, else the working
 * directory (meson's build directory). */
static char memcg_dir[300];

static const char *disk_file(const char *name, unsigned npages)
{
	const char *cand[] = { "/var/tmp", "." };
	static char path[700];
	static char buf[PS];
	struct statfs sf;
	int fd;

	memcg_dir[0] = '\0';
	if (statfs(T, &sf) == 0 && sf.f_type != TMPFS_MAGIC_)
		snprintf(memcg_dir, sizeof(memcg_dir), "%s", T);
	for (size_t i = 0; i < 2 && !memcg_dir[0]; i++) {
		if (statfs(cand[i], &sf) < 0 || sf.f_type == TMPFS_MAGIC_)
			continue;
		snprintf(memcg_dir, sizeof(memcg_dir), "%s/mmload_memcg.XXXXXX",
			 cand[i]);
		if (!mkdtemp(memcg_dir))
			memcg_dir[0] = '\0';
	}
	if (!memcg_dir[0])
		skip();
	snprintf(path, sizeof(path), "%s/%s", memcg_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < npages; i++)
		assert_int_equal(write(fd, buf, PS), PS);
	close(fd);
	return path;
}

/* The teardown of the --memcg cases, also after a failure. */
static int disk_done(void **state)
{
	(void)state;
	if (memcg_dir[0] && strcmp(memcg_dir, T))
		tmpdir_remove(memcg_dir);
	memcg_dir[0] = '\0';
	return 0;
}

/* A value of a "name value" line that may be fractional. */
static double dval(const char *name)
{
	const char *p = strstr(out, name);

	if (!p)
		fail_msg("no %s in:\n%s", name, out);
	return strtod(p + strlen(name), NULL);
}

/* A loop over 512 pages in a cgroup with room for 256: no replacement
 * that keeps what it saw last can keep a loop larger than its memory, and
 * (nearly) every touch is a major fault, every pass.  Nearly: the kernel's
 * workingset detection sees the refaults come back within the size of its
 * lists and activates some of them, which then stay a while: measured
 * here 2001..2048 major faults of 2048 touches.  With room for 1024, the
 * second pass is all hits.  The sampled page cache sits near the limit,
 * and the cgroup is gone afterwards. */
static void test_mmload_memcg_loop_nomount(void **state)
{
	char mnt[1024], err[1024], trace_path[400];
	const char *f;
	int before;
	double cache, full;

	(void)state;
	NEED_MEMCG(mnt);
	f = disk_file("loop.dat", 512);
	before = memcg_dirs(mnt, 0);
	assert_int_equal(mmload(NULL, 0, "--memcg", "256", "--pattern",
				"loop:512", "--ops", "2048", f, NULL), 0);
	assert_int_equal(val("touches", false), 2048);
	if (val("majflt", false) < 2048 * 95 / 100)
		fail_msg("majflt %lld of 2048 touches:\n%s",
			 val("majflt", false), out);
	assert_int_equal(val("memcg_limit_pages", false), 256);
	cache = dval("memcg_cache_pages ");
	if (cache < 0.6 * 256 || cache > 1.3 * 256)
		fail_msg("memcg_cache_pages %.1f, not near 256:\n%s", cache,
			 out);
	assert_true(val("memcg_cache_pages_max", false) <= 512);
	/* Full from the first sample near the limit on: the warm-up left
	 * out, so not below the mean over the whole run. */
	full = dval("memcg_cache_pages_full ");
	if (full < 256 - 64 || full > 1.3 * 256 || full < cache - 0.05)
		fail_msg("memcg_cache_pages_full %.1f (mean %.1f):\n%s", full,
			 cache, out);
	assert_true(dval("memcg_active_pages ") >= 0);
	assert_true(val("memcg_samples", false) >= 1);
	assert_int_equal(memcg_dirs(mnt, 0), before);

	/* --trace-out with --memcg: the trace's page cache lands in the
	 * cgroup too, and mmload says so. */
	snprintf(trace_path, sizeof(trace_path), "%s/loop.trace", memcg_dir);
	assert_int_equal(mmload(err, sizeof(err), "--memcg", "256",
				"--pattern", "loop:512", "--ops", "512",
				"--trace-out", trace_path, f, NULL), 0);
	assert_non_null(strstr(err, "--memcg: warning: --trace-out's file"));
	assert_int_equal(memcg_dirs(mnt, 0), before);

	/* Room for all: the first pass reads, the second hits. */
	assert_int_equal(mmload(NULL, 0, "--memcg", "1024", "--pattern",
				"loop:512", "--ops", "1024", "--json", f,
				NULL), 0);
	assert_non_null(strstr(out, "\"majflt\": 512,"));
	assert_non_null(strstr(out, "\"memcg_limit_pages\": 1024"));
	assert_non_null(strstr(out, "\"memcg_cache_pages\": "));
	assert_int_equal(memcg_dirs(mnt, 0), before);
}

/* SIGTERM and SIGINT in the middle of a run: the process dies of the
 * signal, and its cgroup is gone. */
static void test_mmload_memcg_signal_nomount(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT };
	char mnt[1024];
	const char *f;
	int before;

	(void)state;
	NEED_MEMCG(mnt);
	f = disk_file("sig.dat", 64);
	before = memcg_dirs(mnt, 0);
	for (size_t i = 0; i < 2; i++) {
		struct timespec ts = { 0, 50 * 1000000 };
		int st, tries = 0;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			int nul = open("/dev/null", O_WRONLY);

			dup2(nul, 1);
			execl(getenv("MMLOAD"), "mmload", "--memcg", "32",
			      "--pattern", "rand", "--seconds", "10", f,
			      (char *)NULL);
			_exit(127);
		}
		/* Until its cgroup is there (it enters before touching). */
		while (memcg_dirs(mnt, 0) == before && tries++ < 100)
			nanosleep(&ts, NULL);
		assert_int_equal(memcg_dirs(mnt, 0), before + 1);
		nanosleep(&ts, NULL);
		kill(pid, sigs[i]);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), sigs[i]);
		assert_int_equal(memcg_dirs(mnt, 0), before);
	}
}

/* tmpfs pages are not page cache: refused, exit 2, nothing made. */
/* A cgroup an earlier run could not remove (the OOM killer or SIGKILL
 * ended it) goes at the next run: mmload.PID with no such process.  PIDs
 * stay below pid_max, at most 4194304, so that one can never be alive. */
static char stale_cg[1100];

static int stale_teardown(void **state)
{
	(void)state;
	if (stale_cg[0])
		rmdir(stale_cg);
	stale_cg[0] = '\0';
	return 0;
}

static void test_mmload_memcg_sweeps_stale_nomount(void **state)
{
	char mnt[1024];
	const char *f;

	(void)state;
	NEED_MEMCG(mnt);
	f = disk_file("stale.dat", 16);
	snprintf(stale_cg, sizeof(stale_cg), "%s/mmload.4194304", mnt);
	assert_int_equal(mkdir(stale_cg, 0755), 0);
	assert_int_equal(mmload(NULL, 0, "--memcg", "64", "--pattern", "seq",
				f, NULL), 0);
	assert_int_equal(access(stale_cg, F_OK), -1);
	stale_cg[0] = '\0';
}

static void test_mmload_memcg_tmpfs_nomount(void **state)
{
	char err[1024], path[256];
	struct statfs sf;
	int fd;

	(void)state;
	if (statfs("/dev/shm", &sf) < 0 || sf.f_type != TMPFS_MAGIC_)
		skip();
	snprintf(path, sizeof(path), "/dev/shm/test_mmload.%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 * PS), 0);
	close(fd);
	assert_int_equal(mmload(err, sizeof(err), "--memcg", "4", path, NULL),
			 2);
	unlink(path);
	assert_non_null(strstr(err, "mmload: --memcg: 4: "));
	assert_non_null(strstr(err, "tmpfs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmload_shared_read_faults),
		cmocka_unit_test(test_mmload_private_vs_shared_writes),
		cmocka_unit_test(test_mmload_fork_cow),
		cmocka_unit_test(test_mmload_threads),
		cmocka_unit_test(test_mmload_trace_out),
		cmocka_unit_test(test_mmload_bad_input),
		cmocka_unit_test(test_mmload_overwrite_nomount),
		cmocka_unit_test(test_mmload_trace_merged_nomount),
		cmocka_unit_test(test_mmload_trace_minflt_nomount),
		cmocka_unit_test(test_mmload_hold_prints_first_nomount),
		cmocka_unit_test(test_mmload_own_pages_nomount),
		cmocka_unit_test(test_mmload_progress_nomount),
		cmocka_unit_test(test_mmload_repeat_nomount),
		cmocka_unit_test(test_mmload_latency_nomount),
		cmocka_unit_test(test_mmload_latency_kinds),
		cmocka_unit_test_teardown(test_mmload_memcg_loop_nomount,
					  disk_done),
		cmocka_unit_test_teardown(test_mmload_memcg_signal_nomount,
					  disk_done),
		cmocka_unit_test(test_mmload_memcg_tmpfs_nomount),
		cmocka_unit_test_teardown(test_mmload_memcg_sweeps_stale_nomount,
					  stale_teardown),
		cmocka_unit_test_prestate_setup_teardown(
			test_mmload_fifo_loop_exact, mnt_case_setup,
			fifo_loop_teardown, &fifo_mnt),
	};
	int rc;

	/* TEST_MMLOAD_ONLY=test_mmload_memcg* runs the cases matching it. */
	if (getenv("TEST_MMLOAD_ONLY"))
		cmocka_set_test_filter(getenv("TEST_MMLOAD_ONLY"));
	if (tmpdir_make(T, sizeof(T), "test_mmload") < 0) {
		perror("test_mmload: scratch dir");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, setup, teardown);
	tmpdir_remove(T);
	return rc;
}
