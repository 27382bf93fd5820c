/* fs_bench.c - framefs on a real mount against libfuse's passthrough_ll and
 * the native directory, measured in one run, as ratios.
 *
 * The three targets.  One temp dir holds three copies of the same file
 * (r.dat, --size bytes, each 4 KiB page tagged with its page number):
 *   native          the file in a plain directory (/tmp);
 *   passthrough_ll  libfuse's example, compiled by this program from the
 *                   source the Debian package libfuse3-dev ships, mounted
 *                   with -o source=DIR,cache=always (keep_cache on open,
 *                   write-through, kernel default readahead);
 *   framefs         build/fs/framefs, mounted through harness/mount.c with
 *                   readahead=128 and a pool that holds r.dat and the
 *                   write file together, so no run ever evicts.
 * Both daemons run their libfuse defaults otherwise (multi-threaded, no
 * writeback cache).
 *
 * What is measured.
 *   fault   mmap(MAP_SHARED, PROT_READ) + MADV_RANDOM (no readahead on a
 *           fault) + MADV_NOHUGEPAGE, then one load from each of F pages in
 *           a seeded random order: one page in each of F distinct 64 KiB
 *           windows, so the kernel's fault-around (which maps the cached
 *           neighbours within 64 KiB) never spares a touch its fault.  The
 *           native file's page cache is refilled with 4 KiB folios first:
 *           a fault on a large folio maps all of it (1 MiB after write()).
 *           Every touch is then one fault, and the figure is ns per fault.
 *   read    read() of the whole file with 128 KiB buffers.  MB/s (1e6).
 *   write   open(O_TRUNC) of w.dat, --write-size bytes in 128 KiB write()s,
 *           fsync.  MB/s from the first write to fsync's return.
 * Every load and every page read is checked against its tag: wrong data is
 * a failure (exit 1), not a figure.
 *
 * The cases, i.e. where the data is when a run starts.  The client's kernel
 * copy is always dropped with posix_fadvise(POSIX_FADV_DONTNEED) first,
 * except for native in the "RAM" case, where the kernel copy *is* the data:
 *   RAM     native: page cache hit (a minor fault, a copy from the page
 *           cache); passthrough_ll: backing file in the host page cache;
 *           framefs: every page in a frame (frame hits).
 *   fmiss   framefs only: `drop` on .framefs/control first (no frames), the
 *           backing file in the host page cache (frame misses served by a
 *           pread from RAM).  passthrough_ll is measured again alongside,
 *           as in RAM: every one of its faults is such a pread.
 *   device  all page caches of the file dropped: native's, passthrough_ll's
 *           mount file and backing file, framefs' frames and backing file;
 *           the data comes from the block device (which the host of a
 *           virtual machine may cache).
 * The phases run in that order (RAM needs every frame loaded; the later
 * ones drop them), then the writes.
 *
 * How the figures are taken.  Runs are interleaved: in each of --reps
 * rounds every target runs once, the order of the targets rotating from
 * round to round.  A figure is the median of a target's runs; a ratio
 * (framefs over passthrough_ll, or over native) is the median over the
 * rounds of the ratio within a round, whose runs were back to back, so
 * that the drift of a shared machine cancels out.  Beside the clock, the
 * CPU time of the client and of every thread of the daemon is taken
 * (/proc/PID/task/TID/schedstat): other processes inflate it much less
 * than they inflate the wall time.  framefs' .framefs/stats are read
 * around each of its runs (outside the timing) and the counters printed,
 * so each figure says what it measured (READs per fault, frame hits, mean
 * READ size); getrusage() counts the client's faults.
 *
 * Targets (from the issue; informational: the exit status never depends on
 * timing): a frame-hit fault no slower than a passthrough_ll fault; read()
 * with readahead at least passthrough_ll's throughput.
 *
 * Exit status: 0 ok (whatever the timings; also when FUSE is not available:
 * the run is skipped), 1 failure (one line on stderr), 2 usage error.
 * Everything it mounted is unmounted, on failure and on SIGINT/SIGTERM too
 * (daemons are stopped by PID, never by name), and its temp dirs removed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "mount.h"
#include "rng.h"
#include "size.h"

#define PROG "fs_bench"
#include "prog.h"

#define PAGE_BYTES	4096u
#define IO_BYTES	(128u * 1024)	/* read() / write() size */
#define WINDOW_BYTES	(64u * 1024)	/* kernel fault-around */
#define FF_READAHEAD_KB	128
#define FF_SLACK_FRAMES	4096		/* evictor's free target, workers */
#define MAX_REPS	31
#define DEFAULT_SIZE	(1ull << 30)
#define QUICK_SIZE	(64ull << 20)
#define DEFAULT_REPS	5
#define QUICK_REPS	3
#define DEFAULT_FAULTS	20000u
#define PLL_SRC		"/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c"
#define PLL_OPTS	"cache=always"
#define FUSE_MAGIC	0x65735546
#define TAG_MAGIC	0x66666d6200000000ull	/* "ffmb" + page number */

enum tgt { T_NATIVE, T_PLL, T_FF, NTGT };
static const char *const tgt_name[NTGT] = {
	"native", "passthrough_ll", "framefs"
};

enum where { W_RAM, W_FMISS, W_DEVICE };

enum row {
	R_FAULT_RAM, R_FAULT_FMISS, R_FAULT_DEV,
	R_READ_RAM, R_READ_FMISS, R_READ_DEV,
	R_WRITE, NROWS
};

enum group { G_FAULT, G_READ, G_WRITE, NGROUPS };

/* How a row is shown. */
struct row_info {
	const char *key;	/* --json name */
	const char *label;	/* the case, in the table */
	enum group group;
	bool time;		/* ns per fault (lower is better), else MB/s */
};

static const struct row_info rows[NROWS] = {
	[R_FAULT_RAM]   = { "fault_ram", "frame hit / data in RAM",
			    G_FAULT, true },
	[R_FAULT_FMISS] = { "fault_frame_miss", "frame miss, store in RAM",
			    G_FAULT, true },
	[R_FAULT_DEV]   = { "fault_device", "from the device", G_FAULT,
			    true },
	[R_READ_RAM]    = { "read_ram", "frame hit / data in RAM", G_READ,
			    false },
	[R_READ_FMISS]  = { "read_frame_miss", "frame miss, store in RAM",
			    G_READ, false },
	[R_READ_DEV]    = { "read_device", "from the device", G_READ,
			    false },
	[R_WRITE]       = { "write_fsync", "new file, then fsync", G_WRITE,
			    false },
};

struct opts {
	uint64_t size_bytes;	/* r.dat */
	uint64_t wsize_bytes;	/* w.dat */
	unsigned reps;
	unsigned nfaults;	/* asked; clipped to the 64 KiB windows */
	uint64_t seed;
	const char *pll_src;
	const char *policy;	/* framefs' policy= */
	bool json;
};

/* framefs counters summed over the runs of one row. */
struct ff_sum {
	uint64_t reads, read_bytes, hits, misses;
};

/* Fault counts summed over the runs of one row and target: the
 * client's, and the daemon's own (its buffers, not the file's pages). */
struct flt_sum {
	uint64_t touches, majflt, minflt;
	uint64_t bytes, daemon_flt;	/* read() / write() runs */
};

struct bench {
	struct opts o;
	unsigned nfaults;		/* per fault run */
	uint64_t ff_frames;
	char tmp[128];			/* /tmp/fs_bench.XXXXXX */
	char dir[NTGT][300];		/* where the client opens files */
	char store[NTGT][256];		/* the directory underneath */
	char pll_bin[PATH_MAX + 32];
	char pll_mp[256];
	char pll_log[256];		/* its stderr */
	pid_t pll_pid;			/* 0: not running */
	struct mnt ff;			/* framefs, harness/mount.c */
	bool ff_started;
	char ra_kb[NTGT][16];		/* read_ahead_kb of each bdi */
	double load;			/* 1-min load average at the start */
	int fd;				/* the run's file, -1: none */
	void *map;			/* the run's mapping, or NULL */
	uint32_t *pages;		/* [nfaults]: this round's order */
	uint32_t *windows;		/* [size / WINDOW_BYTES] scratch */
	char *buf;			/* IO_BYTES */
	double samp[NROWS][NTGT][MAX_REPS];	/* ns/fault or MB/s */
	double cpu[NROWS][NTGT][MAX_REPS];	/* ns/fault or ms/GB */
	unsigned nsamp[NROWS][NTGT];		/* round k is sample k */
	struct ff_sum ffs[NROWS];
	struct flt_sum flt[NROWS][NTGT];
};

static struct bench *cur;		/* for the atexit cleanup */
static void cleanup(void);
static volatile sig_atomic_t interrupted;

/* ---- helpers ---------------------------------------------------------- */

/* One line on stderr, then unmount everything and exit(1). */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prog_verrf(fmt, ap);
	va_end(ap);
	cleanup();	/* before mount.c's atexit handler: files closed */
	exit(1);
}

static void check_intr(void)
{
	if (interrupted)
		fail("interrupted");
}

static uint64_t tag_of(uint64_t pgno)
{
	return TAG_MAGIC | (pgno & 0xffffffffu);
}

/* Fills buf (n bytes, whole pages) as the pages from pgno on look. */
static void fill_pages(char *buf, size_t n, uint64_t pgno)
{
	for (size_t off = 0; off < n; off += PAGE_BYTES, pgno++) {
		uint64_t tag = tag_of(pgno);

		memset(buf + off, (int)(0xa5 ^ (pgno & 0xff)), PAGE_BYTES);
		memcpy(buf + off, &tag, sizeof(tag));
	}
}

/* Checks the tags of the n bytes (whole pages) read at page pgno. */
static bool tags_ok(const char *buf, size_t n, uint64_t pgno)
{
	for (size_t off = 0; off < n; off += PAGE_BYTES, pgno++) {
		uint64_t tag;

		memcpy(&tag, buf + off, sizeof(tag));
		if (tag != tag_of(pgno))
			return false;
	}
	return true;
}

static bool fuse_mounted(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == FUSE_MAGIC;
}

static const char *path_in(const char *dir, const char *name)
{
	static char buf[2][PATH_MAX + 16];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Drops the kernel's cached pages of path (clean, unmapped ones).  On a
 * FUSE file that is the client-side copy only: the daemon is not told. */
static void drop_kernel(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	if (rc)
		fail("%s: posix_fadvise: %s", path, strerror(rc));
}

/* The 1-minute load average, or -1. */
static double loadavg(void)
{
	double v = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* CPU time of every thread of pid in ns (the run times in
 * /proc/PID/task/TID/schedstat), or 0.  Threads that exit take theirs
 * along; both daemons keep their workers. */
static uint64_t task_cpu_ns(pid_t pid)
{
	char path[64], line[128];
	unsigned long long ns;
	uint64_t sum = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/schedstat",
			 (int)pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) &&
		    sscanf(line, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* Value of a /proc/meminfo line in bytes, or 0. */
static uint64_t meminfo(const char *name)
{
	char line[128], key[64];
	unsigned long long kb;
	uint64_t out = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %llu", key, &kb) == 2 &&
		    !strcmp(key, name))
			out = (uint64_t)kb * 1024;
	fclose(f);
	return out;
}

/* read_ahead_kb of the bdi under path, as text ("?" if not found). */
static void readahead_of(const char *path, char *out, size_t len)
{
	char p[128];
	struct stat st;
	FILE *f = NULL;

	snprintf(out, len, "?");
	if (stat(path, &st) < 0)
		return;
	snprintf(p, sizeof(p), "/sys/class/bdi/%u:%u/read_ahead_kb",
		 major(st.st_dev), minor(st.st_dev));
	f = fopen(p, "r");
	if (!f) {	/* a partition: its disk's queue */
		snprintf(p, sizeof(p),
			 "/sys/dev/block/%u:%u/../queue/read_ahead_kb",
			 major(st.st_dev), minor(st.st_dev));
		f = fopen(p, "r");
	}
	if (!f) {
		snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/queue/read_ahead_kb",
			 major(st.st_dev), minor(st.st_dev));
		f = fopen(p, "r");
	}
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* ---- the passthrough_ll daemon ---------------------------------------- */

/* Compiles passthrough_ll.c next to this program (the build dir), from the
 * source of the installed libfuse, every run. */
static void pll_build(struct bench *b)
{
	char self[PATH_MAX], err[4096];
	const char *cc = getenv("CC");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int rc;

	if (access(b->o.pll_src, R_OK) < 0)
		fail("%s: %s (the Debian package libfuse3-dev ships it; or "
		     "give --pll-src)", b->o.pll_src, strerror(errno));
	if (n <= 0)
		fail("/proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		fail("/proc/self/exe: %s: not a path", self);
	*slash = '\0';
	snprintf(b->pll_bin, sizeof(b->pll_bin), "%s/passthrough_ll", self);
	if (access(self, W_OK) < 0)	/* installed read-only: use the tmp */
		snprintf(b->pll_bin, sizeof(b->pll_bin), "%s/passthrough_ll",
			 b->tmp);
	{
		char *argv[] = {
			"sh", "-c",
			"${CC:-cc} -O2 -g -o \"$1\" \"$2\" "
			"$(pkg-config --cflags --libs fuse3)",
			"sh", b->pll_bin, (char *)b->o.pll_src, NULL
		};

		prog_progress("building passthrough_ll");
		rc = run_cmd(argv, err, sizeof(err));
	}
	if (rc != 0) {
		err[strcspn(err, "\n")] = '\0';
		fail("building passthrough_ll with %s: %s", cc ? cc : "cc",
		     err[0] ? err : "failed");
	}
}

static void pll_start(struct bench *b)
{
	char opts[400];
	pid_t pid;

	snprintf(opts, sizeof(opts), "source=%s,%s", b->store[T_PLL],
		 PLL_OPTS);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		int log = open(b->pll_log, O_WRONLY | O_CREAT | O_APPEND |
			       O_CLOEXEC, 0644);

		/* Own process group: a ^C reaches us, and we unmount it.
		 * Its stderr goes to a log (libfuse 3.14 prints a harmless
		 * "Ignoring invalid max threads value" for this example). */
		setpgid(0, 0);
		if (log >= 0)
			dup2(log, STDERR_FILENO);
		execl(b->pll_bin, b->pll_bin, "-f", "-o", opts, b->pll_mp,
		      (char *)NULL);
		_exit(127);
	}
	b->pll_pid = pid;
	for (int i = 0; i < 500; i++) {
		int st;

		if (fuse_mounted(b->pll_mp))
			return;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			char line[256] = "";
			FILE *f = fopen(b->pll_log, "r");

			while (f && fgets(line, sizeof(line), f))
				;
			if (f)
				fclose(f);
			line[strcspn(line, "\n")] = '\0';
			b->pll_pid = 0;
			fail("passthrough_ll exited with %d before mounting%s%s",
			     WIFEXITED(st) ? WEXITSTATUS(st) : -1,
			     line[0] ? ": " : "", line);
		}
		sleep_ms(10);
	}
	fail("passthrough_ll did not mount %s in 5 s", b->pll_mp);
}

/* fusermount3 -u, wait for the daemon; past 10 s kill it by PID and
 * detach the mount. */
static void pll_stop(struct bench *b)
{
	char *um[] = { "fusermount3", "-u", b->pll_mp, NULL };
	char *uz[] = { "fusermount3", "-uz", b->pll_mp, NULL };
	int st;

	if (!b->pll_pid)
		return;
	for (int i = 0; fuse_mounted(b->pll_mp) && run_cmd(um, NULL, 0) != 0;
	     i++) {
		if (i == 20) {
			run_cmd(uz, NULL, 0);
			break;
		}
		sleep_ms(100);
	}
	for (int i = 0; i < 1000; i++) {
		if (waitpid(b->pll_pid, &st, WNOHANG) == b->pll_pid)
			goto out;
		sleep_ms(10);
	}
	fprintf(stderr, PROG ": passthrough_ll %d did not exit; killing it\n",
		(int)b->pll_pid);
	kill(b->pll_pid, SIGKILL);
	waitpid(b->pll_pid, NULL, 0);
out:
	if (fuse_mounted(b->pll_mp))
		run_cmd(uz, NULL, 0);
	b->pll_pid = 0;
}

/* ---- setup and teardown ----------------------------------------------- */

static void cleanup(void)
{
	struct bench *b = cur;

	if (!b)
		return;
	cur = NULL;
	prog_progress_end();
	/* A file open on a mount would make its unmount fail. */
	if (b->map)
		munmap(b->map, b->o.size_bytes);
	if (b->fd >= 0)
		close(b->fd);
	b->map = NULL;
	b->fd = -1;
	pll_stop(b);
	if (b->ff_started) {
		mnt_cleanup(&b->ff);	/* unmounts, removes its own dir */
		b->ff_started = false;
	}
	if (b->tmp[0]) {
		char *rm[] = { "rm", "-rf", b->tmp, NULL };

		if (fuse_mounted(b->pll_mp))
			fprintf(stderr, PROG ": %s still mounted; leaving "
				"%s\n", b->pll_mp, b->tmp);
		else
			run_cmd(rm, NULL, 0);
		b->tmp[0] = '\0';
	}
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Refuses sizes this machine cannot hold: the figures would measure
 * swapping or reclaim, not the file systems. */
static void check_room(struct bench *b)
{
	uint64_t size = b->o.size_bytes, wsize = b->o.wsize_bytes;
	uint64_t pool = b->ff_frames * PAGE_BYTES;
	uint64_t need_mem = pool + 2 * size + (256ull << 20);
	uint64_t need_disk = 3 * (size + wsize) + (256ull << 20);
	uint64_t avail = meminfo("MemAvailable");
	struct statvfs sv;

	if (avail && avail < need_mem)
		fail("--size %llu MiB needs about %llu MiB of memory (framefs "
		     "pool + page caches), %llu MiB available; try a smaller "
		     "--size", (unsigned long long)(size >> 20),
		     (unsigned long long)(need_mem >> 20),
		     (unsigned long long)(avail >> 20));
	if (statvfs(b->tmp, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < need_disk)
		fail("%s: %llu MiB free, --size %llu MiB needs %llu MiB (three "
		     "copies of the file and of the write file)", b->tmp,
		     (unsigned long long)((uint64_t)sv.f_bavail * sv.f_frsize
					  >> 20),
		     (unsigned long long)(size >> 20),
		     (unsigned long long)(need_disk >> 20));
}

/* Writes r.dat into dir: tagged pages, fsync'ed so that no write-back
 * runs during the measurements. */
static void make_file(struct bench *b, const char *dir)
{
	const char *path = path_in(dir, "r.dat");
	size_t chunk = 1u << 20;
	char *buf = malloc(chunk);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (!buf)
		fail("memory: %s", strerror(ENOMEM));
	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	for (uint64_t off = 0; off < b->o.size_bytes; off += chunk) {
		size_t n = b->o.size_bytes - off < chunk ?
			   (size_t)(b->o.size_bytes - off) : chunk;

		check_intr();
		fill_pages(buf, n, off / PAGE_BYTES);
		if (write(fd, buf, n) != (ssize_t)n)
			fail("%s: write: %s", path, strerror(errno));
	}
	if (fsync(fd) < 0)
		fail("%s: fsync: %s", path, strerror(errno));
	close(fd);
	free(buf);
}

static void setup(struct bench *b)
{
	static const char *const sub[NTGT] = { "native", "pll", "ff" };
	char opts[128];
	uint64_t windows = b->o.size_bytes / WINDOW_BYTES;

	b->nfaults = b->o.nfaults < windows ? b->o.nfaults : (unsigned)windows;
	b->ff_frames = (b->o.size_bytes + b->o.wsize_bytes) / PAGE_BYTES +
		       FF_SLACK_FRAMES;
	b->pages = malloc(b->nfaults * sizeof(*b->pages));
	b->windows = malloc(windows * sizeof(*b->windows));
	b->buf = aligned_alloc(PAGE_BYTES, IO_BYTES);
	if (!b->pages || !b->windows || !b->buf)
		fail("memory: %s", strerror(ENOMEM));

	snprintf(b->tmp, sizeof(b->tmp), "/tmp/" PROG ".XXXXXX");
	if (!mkdtemp(b->tmp)) {
		int err = errno;

		b->tmp[0] = '\0';
		fail("mkdtemp: %s", strerror(err));
	}
	for (int t = 0; t < NTGT; t++) {
		snprintf(b->store[t], sizeof(b->store[t]), "%s/%s", b->tmp,
			 sub[t]);
		if (mkdir(b->store[t], 0755) < 0)
			fail("%s: %s", b->store[t], strerror(errno));
	}
	snprintf(b->pll_mp, sizeof(b->pll_mp), "%s/pll-mnt", b->tmp);
	snprintf(b->pll_log, sizeof(b->pll_log), "%s/pll.log", b->tmp);
	if (mkdir(b->pll_mp, 0755) < 0)
		fail("%s: %s", b->pll_mp, strerror(errno));
	check_room(b);
	pll_build(b);

	for (int t = 0; t < NTGT; t++) {
		prog_progress("writing %s/r.dat", b->store[t]);
		make_file(b, b->store[t]);
	}

	prog_progress("mounting");
	pll_start(b);
	snprintf(b->ff.backing, sizeof(b->ff.backing), "%s", b->store[T_FF]);
	snprintf(opts, sizeof(opts), "frames=%llu,readahead=%u,policy=%s",
		 (unsigned long long)b->ff_frames, FF_READAHEAD_KB,
		 b->o.policy);
	b->ff_started = true;		/* mnt_cleanup undoes a half start */
	if (mnt_start(&b->ff, opts) != 0)
		fail("framefs did not mount (%s)", opts);
	snprintf(b->dir[T_NATIVE], sizeof(b->dir[0]), "%s", b->store[T_NATIVE]);
	snprintf(b->dir[T_PLL], sizeof(b->dir[0]), "%s", b->pll_mp);
	snprintf(b->dir[T_FF], sizeof(b->dir[0]), "%s", b->ff.mp);
	for (int t = 0; t < NTGT; t++)
		readahead_of(b->dir[t], b->ra_kb[t], sizeof(b->ra_kb[t]));
}

/* ---- the runs --------------------------------------------------------- */

/* Picks this round's fault order: nfaults distinct 64 KiB windows in
 * random order, one random page in each. */
static void pages_pick(struct bench *b, unsigned round)
{
	uint32_t nwin = (uint32_t)(b->o.size_bytes / WINDOW_BYTES);
	uint32_t per = WINDOW_BYTES / PAGE_BYTES;
	uint64_t s = (b->o.seed + round) * 0x9e3779b97f4a7c15ull + 1;

	for (uint32_t i = 0; i < nwin; i++)
		b->windows[i] = i;
	for (uint32_t i = 0; i < b->nfaults; i++) {
		uint32_t j = i + (uint32_t)(rng_xorshift64s(&s) % (nwin - i));
		uint32_t w = b->windows[j];

		b->windows[j] = b->windows[i];
		b->windows[i] = w;
		b->pages[i] = w * per + (uint32_t)(rng_xorshift64s(&s) % per);
	}
}

/* Puts t's copy of file name where case w says the data is. */
static void prepare(struct bench *b, enum tgt t, enum where w,
		    const char *name)
{
	if (t == T_FF && w != W_RAM) {
		int rc = mnt_control(&b->ff, "drop");

		if (rc < 0)
			fail("%s/.framefs/control: drop: %s", b->ff.mp,
			     strerror(-rc));
	}
	if (t != T_NATIVE || w == W_DEVICE)
		drop_kernel(path_in(b->dir[t], name));
	if (t != T_NATIVE && w == W_DEVICE)
		drop_kernel(path_in(b->store[t], name));
}

struct ff_snap {
	uint64_t reads, read_bytes, hits, misses;
};

static void ff_snap(struct bench *b, struct ff_snap *s)
{
	s->reads = mnt_stat(&b->ff, "reads");
	s->read_bytes = mnt_stat(&b->ff, "read_bytes");
	s->hits = mnt_stat(&b->ff, "frame_hits");
	s->misses = mnt_stat(&b->ff, "frame_misses");
	if (s->reads == UINT64_MAX || s->hits == UINT64_MAX ||
	    s->misses == UINT64_MAX || s->read_bytes == UINT64_MAX)
		fail("%s/.framefs/stats: unreadable", b->ff.mp);
}

static void ff_add(struct ff_sum *sum, const struct ff_snap *a,
		   const struct ff_snap *z)
{
	sum->reads += z->reads - a->reads;
	sum->read_bytes += z->read_bytes - a->read_bytes;
	sum->hits += z->hits - a->hits;
	sum->misses += z->misses - a->misses;
}

/* CPU time so far of the client (this process) and t's daemon, and the
 * daemon's page faults. */
struct cpu_snap {
	uint64_t self_ns, daemon_ns, daemon_flt;
};

/* Page faults (minor + major) of every thread of pid so far, or 0. */
static uint64_t task_faults(pid_t pid)
{
	unsigned long minflt = 0, majflt = 0;
	char path[64], line[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %lu %*u %lu",
			 &minflt, &majflt) != 2)
		return 0;
	return minflt + majflt;
}

static pid_t daemon_of(const struct bench *b, enum tgt t)
{
	return t == T_PLL ? b->pll_pid : t == T_FF ? b->ff.pid : 0;
}

/* Taken right before the clock starts ... */
static void cpu_begin(const struct bench *b, enum tgt t, struct cpu_snap *c)
{
	pid_t d = daemon_of(b, t);

	c->daemon_flt = d ? task_faults(d) : 0;
	c->daemon_ns = d ? task_cpu_ns(d) : 0;
	c->self_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/* ... and right after it stops: returns the CPU ns in between, and adds
 * the daemon's faults to *flt. */
static double cpu_end(const struct bench *b, enum tgt t,
		      const struct cpu_snap *c, struct flt_sum *flt)
{
	uint64_t self = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	pid_t d = daemon_of(b, t);
	uint64_t dm = d ? task_cpu_ns(d) : 0;

	if (d)
		flt->daemon_flt += task_faults(d) - c->daemon_flt;
	return (double)(self - c->self_ns) + (double)(dm - c->daemon_ns);
}

/* One run's figure v and its CPU cost, the next sample of row r. */
static void record(struct bench *b, enum row r, enum tgt t, double v,
		   double cpu)
{
	unsigned k = b->nsamp[r][t]++;

	b->samp[r][t][k] = v;
	b->cpu[r][t][k] = cpu;
}

/* Opens the run's file, remembered so that cleanup() can close it. */
static int run_open(struct bench *b, const char *path, int flags)
{
	b->fd = open(path, flags | O_CLOEXEC, 0644);
	if (b->fd < 0)
		fail("%s: %s", path, strerror(errno));
	return b->fd;
}

static void run_close(struct bench *b)
{
	if (b->map)
		munmap(b->map, b->o.size_bytes);
	b->map = NULL;
	close(b->fd);
	b->fd = -1;
}

/* One fault run; records ns per fault. */
static void run_fault(struct bench *b, enum tgt t, enum row r)
{
	const char *path = path_in(b->dir[t], "r.dat");
	struct rusage ru0, ru1;
	struct ff_snap s0, s1;
	struct cpu_snap c0;
	const char *map;
	double t0, t1, cpu;
	unsigned i;
	int fd;

	fd = run_open(b, path, O_RDONLY);
	map = mmap(NULL, b->o.size_bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		fail("%s: mmap: %s", path, strerror(errno));
	b->map = (void *)map;
	/* No readahead on faults, and no PMD mapping of a large folio: then
	 * one fault maps at most the 64 KiB fault-around window. */
	if (madvise((void *)map, b->o.size_bytes, MADV_RANDOM) < 0 ||
	    madvise((void *)map, b->o.size_bytes, MADV_NOHUGEPAGE) < 0)
		fail("%s: madvise: %s", path, strerror(errno));
	if (t == T_FF)
		ff_snap(b, &s0);
	getrusage(RUSAGE_SELF, &ru0);
	cpu_begin(b, t, &c0);
	t0 = now_sec(CLOCK_MONOTONIC);
	for (i = 0; i < b->nfaults; i++) {
		uint64_t pg = b->pages[i];
		uint64_t v = *(const volatile uint64_t *)(map + pg *
							     PAGE_BYTES);

		if (v != tag_of(pg))
			break;
		if ((i & 1023) == 1023 && interrupted)
			break;
	}
	t1 = now_sec(CLOCK_MONOTONIC);
	cpu = cpu_end(b, t, &c0, &b->flt[r][t]);
	getrusage(RUSAGE_SELF, &ru1);
	check_intr();
	if (i < b->nfaults)
		fail("%s: page %u: wrong data in the mapping", path,
		     b->pages[i]);
	if (t == T_FF) {
		ff_snap(b, &s1);
		ff_add(&b->ffs[r], &s0, &s1);
	}
	run_close(b);
	b->flt[r][t].touches += b->nfaults;
	b->flt[r][t].majflt += (uint64_t)(ru1.ru_majflt - ru0.ru_majflt);
	b->flt[r][t].minflt += (uint64_t)(ru1.ru_minflt - ru0.ru_minflt);
	record(b, r, t, (t1 - t0) * 1e9 / b->nfaults, cpu / b->nfaults);
}

/* One sequential read() of r.dat; records MB/s. */
static void run_read(struct bench *b, enum tgt t, enum row r)
{
	const char *path = path_in(b->dir[t], "r.dat");
	struct ff_snap s0, s1;
	struct cpu_snap c0;
	uint64_t done = 0;
	double t0, t1, cpu;
	int fd;

	fd = run_open(b, path, O_RDONLY);
	if (t == T_FF)
		ff_snap(b, &s0);
	cpu_begin(b, t, &c0);
	t0 = now_sec(CLOCK_MONOTONIC);
	for (;;) {
		ssize_t n = read(fd, b->buf, IO_BYTES);

		check_intr();
		if (n < 0)
			fail("%s: read: %s", path, strerror(errno));
		if (n == 0)
			break;
		if (n % PAGE_BYTES ||
		    !tags_ok(b->buf, (size_t)n, done / PAGE_BYTES))
			fail("%s: offset %llu: wrong data from read()", path,
			     (unsigned long long)done);
		done += (uint64_t)n;
	}
	t1 = now_sec(CLOCK_MONOTONIC);
	cpu = cpu_end(b, t, &c0, &b->flt[r][t]);
	b->flt[r][t].bytes += done;
	if (done != b->o.size_bytes)
		fail("%s: read %llu bytes of %llu", path,
		     (unsigned long long)done,
		     (unsigned long long)b->o.size_bytes);
	if (t == T_FF) {
		ff_snap(b, &s1);
		ff_add(&b->ffs[r], &s0, &s1);
	}
	run_close(b);
	record(b, r, t, (double)done / (t1 - t0) / 1e6,
	       cpu / 1e6 / ((double)done / 1e9));
}

/* One write of w.dat + fsync; records MB/s.  The pages are dropped
 * afterwards (outside the timing) so they do not crowd memory. */
static void run_write(struct bench *b, enum tgt t)
{
	const char *path = path_in(b->dir[t], "w.dat");
	struct cpu_snap c0;
	uint64_t done = 0;
	struct stat st;
	double t0, t1, cpu;
	int fd;

	fd = run_open(b, path, O_WRONLY | O_CREAT | O_TRUNC);
	cpu_begin(b, t, &c0);
	t0 = now_sec(CLOCK_MONOTONIC);
	while (done < b->o.wsize_bytes) {
		ssize_t n;

		fill_pages(b->buf, IO_BYTES, done / PAGE_BYTES);
		n = write(fd, b->buf, IO_BYTES);
		check_intr();
		if (n != (ssize_t)IO_BYTES)
			fail("%s: write: %s", path,
			     n < 0 ? strerror(errno) : "short write");
		done += IO_BYTES;
	}
	if (fsync(fd) < 0)
		fail("%s: fsync: %s", path, strerror(errno));
	t1 = now_sec(CLOCK_MONOTONIC);
	cpu = cpu_end(b, t, &c0, &b->flt[R_WRITE][t]);
	b->flt[R_WRITE][t].bytes += done;
	run_close(b);
	path = path_in(b->store[t], "w.dat");
	if (stat(path, &st) < 0)
		fail("%s: %s", path, strerror(errno));
	if ((uint64_t)st.st_size != done)
		fail("%s: %llu bytes after fsync, expected %llu", path,
		     (unsigned long long)st.st_size,
		     (unsigned long long)done);
	drop_kernel(path_in(b->dir[t], "w.dat"));
	if (t != T_NATIVE)
		drop_kernel(path);
	record(b, R_WRITE, t, (double)done / (t1 - t0) / 1e6,
	       cpu / 1e6 / ((double)done / 1e9));
}

/* Fills the native file's page cache again with 4 KiB folios.  write()
 * and readahead leave large folios (1 MiB here), and a fault on one maps
 * all of it: a touch would not be one fault, as on the FUSE mounts, whose
 * faults (MADV_RANDOM, no readahead) each bring one 4 KiB page.  Reads
 * with POSIX_FADV_RANDOM allocate order-0 folios and still batch the I/O. */
static void warm_native(struct bench *b)
{
	const char *path = path_in(b->dir[T_NATIVE], "r.dat");
	size_t chunk = 1u << 20;
	char *buf = malloc(chunk);
	int fd;

	drop_kernel(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		fail("%s: %s", path, strerror(fd < 0 ? errno : ENOMEM));
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	for (uint64_t off = 0; off < b->o.size_bytes; off += chunk) {
		ssize_t n = pread(fd, buf, chunk, (off_t)off);

		check_intr();
		if (n <= 0)
			fail("%s: read: %s", path,
			     n < 0 ? strerror(errno) : "short file");
	}
	close(fd);
	free(buf);
}

/* Loads every page into framefs' frames, the backing files into the host
 * page cache, the native file into its page cache in 4 KiB folios. */
static void warm(struct bench *b)
{
	prog_progress("warming native");
	warm_native(b);
	for (int t = 0; t < NTGT; t++) {
		prog_progress("warming %s", tgt_name[t]);
		run_read(b, (enum tgt)t, R_READ_RAM);
		b->nsamp[R_READ_RAM][t] = 0;	/* not a figure */
	}
	memset(&b->ffs[R_READ_RAM], 0, sizeof(b->ffs[R_READ_RAM]));
	memset(&b->flt[R_READ_RAM], 0, sizeof(b->flt[R_READ_RAM]));
}

/* Rounds of fault + read runs in case w, the targets in rotating order. */
static void phase(struct bench *b, enum where w, enum row fr, enum row rr,
		  const char *what)
{
	for (unsigned k = 0; k < b->o.reps; k++) {
		pages_pick(b, k);
		for (int j = 0; j < NTGT; j++) {
			enum tgt t = (enum tgt)((k + (unsigned)j) % NTGT);

			if (t == T_NATIVE && w == W_FMISS)
				continue;
			prog_progress("%s: round %u/%u, %s", what, k + 1,
				      b->o.reps, tgt_name[t]);
			prepare(b, t, w, "r.dat");
			run_fault(b, t, fr);
			prepare(b, t, w, "r.dat");
			run_read(b, t, rr);
		}
	}
}

static void writes(struct bench *b)
{
	/* A round 0 that does not count: framefs' first write takes frames
	 * the pool never used, and the first touch of each is a page fault
	 * in the daemon (32 per 128 KiB); later rounds reuse the frames the
	 * O_TRUNC of the previous round freed.  Likewise the first
	 * allocation of w.dat's blocks in each backing store. */
	for (int t = 0; t < NTGT; t++) {
		prog_progress("write + fsync: round 0 (not counted), %s",
			      tgt_name[t]);
		run_write(b, (enum tgt)t);
	}
	memset(b->nsamp[R_WRITE], 0, sizeof(b->nsamp[R_WRITE]));
	memset(b->flt[R_WRITE], 0, sizeof(b->flt[R_WRITE]));
	for (unsigned k = 0; k < b->o.reps; k++)
		for (int j = 0; j < NTGT; j++) {
			enum tgt t = (enum tgt)((k + (unsigned)j) % NTGT);

			prog_progress("write + fsync: round %u/%u, %s", k + 1,
				      b->o.reps, tgt_name[t]);
			run_write(b, t);
		}
}

/* ---- output ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(double *v, unsigned n)
{
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median of t's figures (cpu: of its CPU costs) in row r, -1 if none. */
static double median(const struct bench *b, enum row r, enum tgt t,
		     bool cpu)
{
	double v[MAX_REPS];
	unsigned n = b->nsamp[r][t];

	memcpy(v, cpu ? b->cpu[r][t] : b->samp[r][t], n * sizeof(double));
	return median_of(v, n);
}

/* Median over the rounds of x's figure / y's figure in the same round:
 * the two ran back to back, so a slow drift of the machine cancels out.
 * -1 if either has no figure. */
static double ratio(const struct bench *b, enum row r, enum tgt x, enum tgt y,
		    bool cpu)
{
	const double (*s)[NTGT][MAX_REPS] = cpu ? b->cpu : b->samp;
	unsigned n = b->nsamp[r][x] < b->nsamp[r][y] ? b->nsamp[r][x] :
		     b->nsamp[r][y];
	double v[MAX_REPS];

	for (unsigned k = 0; k < n; k++)
		v[k] = s[r][y][k] > 0 ? s[r][x][k] / s[r][y][k] : 0;
	return median_of(v, n);
}

/* Largest max/min - 1 over the targets of a row: the noise. */
static double spread(const struct bench *b, enum row r)
{
	double worst = 0;

	for (int t = 0; t < NTGT; t++) {
		unsigned n = b->nsamp[r][t];
		double lo, hi;

		if (n == 0)
			continue;
		lo = hi = b->samp[r][t][0];
		for (unsigned i = 1; i < n; i++) {
			if (b->samp[r][t][i] < lo)
				lo = b->samp[r][t][i];
			if (b->samp[r][t][i] > hi)
				hi = b->samp[r][t][i];
		}
		if (lo > 0 && hi / lo - 1 > worst)
			worst = hi / lo - 1;
	}
	return worst;
}

/* A figure as text: us (from ns) with 2 decimals for faults, else whole
 * numbers (MB/s, CPU ms per GB). */
static const char *fmt_fig(char *buf, size_t len, enum row r, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (rows[r].time)
		snprintf(buf, len, "%.2f", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static const char *fmt_ratio(char *buf, size_t len, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

static void print_header(bool cpu)
{
	printf("  %-26s %9s %15s %9s %7s %7s", "case", "native",
	       "passthrough_ll", "framefs", "ff/pll", "ff/nat");
	printf(cpu ? "\n" : " %6s\n", "noise");
}

static void print_row(const struct bench *b, enum row r, bool cpu)
{
	char f[NTGT][24], q1[16], q2[16];

	for (int t = 0; t < NTGT; t++)
		fmt_fig(f[t], sizeof(f[t]), r, median(b, r, (enum tgt)t, cpu));
	printf("  %-26s %9s %15s %9s %7s %7s", rows[r].label, f[T_NATIVE],
	       f[T_PLL], f[T_FF],
	       fmt_ratio(q1, sizeof(q1), ratio(b, r, T_FF, T_PLL, cpu)),
	       fmt_ratio(q2, sizeof(q2), ratio(b, r, T_FF, T_NATIVE, cpu)));
	if (cpu)
		printf("\n");
	else
		printf(" %5.0f%%\n", spread(b, r) * 100);
}

static void print_counters(const struct bench *b)
{
	static const enum row fr[] = { R_FAULT_RAM, R_FAULT_FMISS,
				       R_FAULT_DEV };
	static const enum row rr[] = { R_READ_RAM, R_READ_FMISS, R_READ_DEV };

	printf("\nWhat the runs did (summed over the runs of each case):\n");
	printf("  client faults per touch (1.00: every touch one fault) and "
	       "how many were major:\n");
	for (unsigned i = 0; i < 3; i++) {
		enum row r = fr[i];

		printf("    %-26s", rows[r].label);
		for (int t = 0; t < NTGT; t++) {
			const struct flt_sum *s = &b->flt[r][t];
			uint64_t all = s->majflt + s->minflt;

			if (!s->touches)
				continue;
			printf("  %s %.2f (%.0f%%)", tgt_name[t],
			       (double)all / (double)s->touches,
			       all ? 100.0 * (double)s->majflt / (double)all :
			       0);
		}
		printf("\n");
	}
	printf("  the daemon's own page faults (its buffers) per 128 KiB read "
	       "or written:\n");
	for (int r = 0; r < NROWS; r++) {
		if (rows[r].group == G_FAULT)
			continue;
		printf("    %-6s %-26s", r == R_WRITE ? "write" : "read",
		       rows[r].label);
		for (int t = T_PLL; t < NTGT; t++) {
			const struct flt_sum *s = &b->flt[r][t];

			if (s->bytes)
				printf("  %s %.1f", tgt_name[t],
				       (double)s->daemon_flt /
				       ((double)s->bytes / IO_BYTES));
		}
		printf("\n");
	}
	printf("  framefs .framefs/stats, fault runs:\n");
	for (unsigned i = 0; i < 3; i++) {
		const struct ff_sum *s = &b->ffs[fr[i]];
		uint64_t touches = b->flt[fr[i]][T_FF].touches;
		uint64_t pages = s->hits + s->misses;

		printf("    %-26s READs per fault %.2f, frame hits %.1f%% of "
		       "%llu pages\n", rows[fr[i]].label,
		       touches ? (double)s->reads / (double)touches : 0,
		       pages ? 100.0 * (double)s->hits / (double)pages : 0,
		       (unsigned long long)pages);
	}
	printf("  framefs .framefs/stats, read() runs:\n");
	for (unsigned i = 0; i < 3; i++) {
		const struct ff_sum *s = &b->ffs[rr[i]];
		uint64_t pages = s->hits + s->misses;

		printf("    %-26s mean READ %.1f KiB, frame hits %.1f%% of "
		       "%llu pages\n", rows[rr[i]].label,
		       s->reads ? (double)s->read_bytes / (double)s->reads /
		       1024 : 0,
		       pages ? 100.0 * (double)s->hits / (double)pages : 0,
		       (unsigned long long)pages);
	}
}

static void print_targets(const struct bench *b)
{
	double fq = ratio(b, R_FAULT_RAM, T_FF, T_PLL, false);
	double rq = ratio(b, R_READ_RAM, T_FF, T_PLL, false);

	printf("\nTargets (informational; the exit status does not depend "
	       "on them):\n");
	printf("  frame-hit fault no slower than a passthrough_ll fault   "
	       "ff/pll %5.2f <= 1  %s\n", fq, fq <= 1 ? "met" : "MISSED");
	printf("  read() with readahead %u KiB, at least passthrough_ll's  "
	       "ff/pll %5.2f >= 1  %s\n", FF_READAHEAD_KB, rq,
	       rq >= 1 ? "met" : "MISSED");
}

static void print_report(const struct bench *b)
{
	static const char *const what[NGROUPS] = {
		[G_FAULT] = "random 64 KiB windows, one mmap load in each",
		[G_READ] = "read() of the whole file, 128 KiB buffers",
		[G_WRITE] = "write() 128 KiB at a time, then fsync",
	};
	static const char *const unit[NGROUPS][2] = {
		[G_FAULT] = { "us per fault, lower is better",
			      "CPU us per fault, lower is better" },
		[G_READ] = { "MB/s, higher is better",
			     "CPU ms per GB, lower is better" },
		[G_WRITE] = { "MB/s, higher is better",
			      "CPU ms per GB, lower is better" },
	};
	struct utsname u;
	char fuse_ver[32] = "?";
	FILE *p = popen("pkg-config --modversion fuse3 2>/dev/null", "r");

	if (p) {
		if (fgets(fuse_ver, sizeof(fuse_ver), p))
			fuse_ver[strcspn(fuse_ver, "\n")] = '\0';
		pclose(p);
	}
	uname(&u);
	printf(PROG " " FRAMEFS_VERSION ": r.dat %llu MiB, w.dat %llu MiB, "
	       "median of %u rounds, %u faults a run\n",
	       (unsigned long long)(b->o.size_bytes >> 20),
	       (unsigned long long)(b->o.wsize_bytes >> 20), b->o.reps,
	       b->nfaults);
	printf("  Linux %s, %ld CPUs, libfuse %s; load average %.2f before "
	       "the run%s\n", u.release, sysconf(_SC_NPROCESSORS_ONLN),
	       fuse_ver, b->load, b->load > 0.5 ?
	       " (other processes running: read the noise column)" : "");
	printf("  native          %s (read_ahead_kb %s)\n", b->dir[T_NATIVE],
	       b->ra_kb[T_NATIVE]);
	printf("  passthrough_ll  -o source=DIR," PLL_OPTS " (built -O2 -g "
	       "from %s;\n                  keep_cache, write-through, "
	       "libfuse's default threads; read_ahead_kb %s)\n",
	       b->o.pll_src, b->ra_kb[T_PLL]);
	printf("  framefs         -o frames=%llu,readahead=%u,policy=%s (the "
	       "pool holds r.dat + w.dat,\n                  so nothing "
	       "is evicted; read_ahead_kb %s)\n",
	       (unsigned long long)b->ff_frames, FF_READAHEAD_KB,
	       b->o.policy, b->ra_kb[T_FF]);

	for (int g = 0; g < NGROUPS; g++) {
		printf("\n");
		if (g == G_FAULT)
			printf("%u ", b->nfaults);
		printf("%s (%s)\n", what[g], unit[g][0]);
		print_header(false);
		for (int r = 0; r < NROWS; r++)
			if ((int)rows[r].group == g)
				print_row(b, (enum row)r, false);
	}
	printf("\nFaults: mmap(MAP_SHARED) with MADV_RANDOM (no readahead) and "
	       "MADV_NOHUGEPAGE;\nevery touch is one fault (counted below).\n"
	       "The cases (every run starts with the client's kernel copy of "
	       "the file dropped,\nposix_fadvise DONTNEED, except native in "
	       "the first):\n"
	       "  frame hit / data in RAM   native: its page cache (a minor "
	       "fault; 4 KiB folios);\n"
	       "                            passthrough_ll: pread of its "
	       "backing file, in the page cache;\n"
	       "                            framefs: every page in a frame "
	       "(frame hits)\n"
	       "  frame miss, store in RAM  framefs: `drop` first, then pread "
	       "of the backing file, in the\n"
	       "                            page cache; passthrough_ll: as "
	       "above, measured again alongside\n"
	       "  from the device           every cache of the file dropped "
	       "(framefs: `drop` and the backing\n"
	       "                            file's; passthrough_ll: the "
	       "backing file's); a VM's host may cache\n"
	       "ff/pll, ff/nat: median over the rounds of framefs' figure "
	       "over passthrough_ll's / native's\nin the same round (us: < 1 "
	       "is faster; MB/s: > 1 is faster).  noise: largest max/min - 1\n"
	       "of one target's runs in that case.\n");

	printf("\nCPU time of the client and the daemon's threads during the "
	       "runs (schedstat): less\nsensitive than the clock to other "
	       "processes; ratios < 1: framefs used less CPU\n");
	print_header(true);
	for (int g = 0; g < NGROUPS; g++) {
		printf("  %s (%s)\n", g == G_FAULT ? "mmap faults" :
		       g == G_READ ? "read()" : "write() + fsync",
		       unit[g][1]);
		for (int r = 0; r < NROWS; r++)
			if ((int)rows[r].group == g)
				print_row(b, (enum row)r, true);
	}
	print_counters(b);
	print_targets(b);
}

static void print_json(const struct bench *b)
{
	printf("{\"size_bytes\": %llu, \"write_bytes\": %llu, \"rounds\": %u, "
	       "\"faults\": %u, \"framefs_frames\": %llu, "
	       "\"framefs_readahead_kb\": %u, \"passthrough_ll_opts\": \""
	       PLL_OPTS "\", \"loadavg\": %.2f,\n \"cases\": {",
	       (unsigned long long)b->o.size_bytes,
	       (unsigned long long)b->o.wsize_bytes, b->o.reps, b->nfaults,
	       (unsigned long long)b->ff_frames, FF_READAHEAD_KB, b->load);
	for (int r = 0; r < NROWS; r++) {
		printf("%s\n  \"%s\": {\"unit\": \"%s\", \"cpu_unit\": \"%s\"",
		       r ? "," : "", rows[r].key,
		       rows[r].time ? "ns_per_fault" : "MB_per_s",
		       rows[r].time ? "cpu_ns_per_fault" : "cpu_ms_per_GB");
		for (int t = 0; t < NTGT; t++) {
			unsigned n = b->nsamp[r][t];

			if (!n)
				continue;
			printf(",\n   \"%s\": {\"median\": %.1f, "
			       "\"cpu_median\": %.1f, \"runs\": [", tgt_name[t],
			       median(b, (enum row)r, (enum tgt)t, false),
			       median(b, (enum row)r, (enum tgt)t, true));
			for (unsigned i = 0; i < n; i++)
				printf("%s%.1f", i ? ", " : "",
				       b->samp[r][t][i]);
			printf("], \"cpu_runs\": [");
			for (unsigned i = 0; i < n; i++)
				printf("%s%.1f", i ? ", " : "",
				       b->cpu[r][t][i]);
			printf("]}");
		}
		printf(",\n   \"framefs_over_passthrough_ll\": %.3f}",
		       ratio(b, (enum row)r, T_FF, T_PLL, false));
	}
	printf("\n }\n}\n");
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [--quick] [--size SIZE] [--write-size SIZE] [--reps N]\n"
"                [--faults N] [--seed N] [--pll-src FILE] [--json]\n"
"\n"
"Mounts framefs and libfuse's passthrough_ll (compiled from the source\n"
"libfuse3-dev ships) over copies of one file, and measures, against them\n"
"and the native directory in the same run: random mmap page faults (frame\n"
"hits and frame misses separately), sequential read() with readahead\n"
"128 KiB, sequential write() + fsync.  Medians of several runs, ratios\n"
"framefs/passthrough_ll, and the CPU time each used.  Takes 4 to 8 minutes\n"
"at 1 GiB on a 2-CPU VM; needs about 4 x SIZE of free memory and 6 x SIZE\n"
"of disk in /tmp.  Run it on an idle machine: other load shows up as noise.\n"
"\n"
"  -q, --quick          64 MiB, 3 rounds: a smoke run (about 20 s)\n"
"  -s, --size SIZE      the read file, K/M/G (default 1G)\n"
"  -w, --write-size SIZE  the write file (default: --size)\n"
"  -r, --reps N         rounds (runs per figure, median taken; default 5,\n"
"                       max %d)\n"
"  -f, --faults N       faults per run, at most one per 64 KiB of the file\n"
"                       (default %u)\n"
"      --seed N         seed of the fault order (default 1)\n"
"      --pll-src FILE   passthrough_ll.c to build (default\n"
"                       " PLL_SRC ")\n"
"      --policy NAME    framefs' eviction policy (default lru, the\n"
"                       daemon's; clock's hits take no lock)\n"
"      --json           the figures and every run as JSON on stdout\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n"
"\n"
"examples:\n"
"  " PROG "                 the full table, 1 GiB\n"
"  " PROG " --quick         a smoke run (CI)\n"
"  " PROG " -s 256M -r 7    smaller file, more runs\n"
"\n"
"Environment: FRAMEFS, the daemon (default: the one built with this);\n"
"CC, the compiler for passthrough_ll (default cc).\n"
"Output: a table on stdout; progress on stderr when it is a terminal.\n"
"Exit status: 0 ok (timings never fail; no FUSE: skipped), 1 failure,\n"
"2 usage error.\n", MAX_REPS, DEFAULT_FAULTS);
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	enum { OPT_SEED = 256, OPT_PLL_SRC, OPT_JSON, OPT_POLICY };
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "size", required_argument, NULL, 's' },
		{ "write-size", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, 'r' },
		{ "faults", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "pll-src", required_argument, NULL, OPT_PLL_SRC },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bench bench;
	struct bench *b = &bench;
	struct sigaction sa;
	uint64_t size = 0, wsize = 0, v;
	unsigned long reps = 0, nfaults = DEFAULT_FAULTS;
	bool quick = false;
	char *end;
	int opt;

	b->o.seed = 1;
	b->o.pll_src = PLL_SRC;
	b->o.policy = "lru";
	b->fd = -1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qs:w:r:f:hV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'q':
			quick = true;
			break;
		case 's':
		case 'w':
			if (size_parse(optarg, &v) < 0 || v < (1u << 20) ||
			    v > (1ull << 40))
				return usage_error("%s: not a size from 1M "
						   "to 1T", optarg);
			*(opt == 's' ? &size : &wsize) = v;
			break;
		case 'r':
			errno = 0;
			reps = strtoul(optarg, &end, 10);
			if (errno || *end || reps < 1 || reps > MAX_REPS)
				return usage_error("--reps %s: not in 1..31",
						   optarg);
			break;
		case 'f':
			errno = 0;
			nfaults = strtoul(optarg, &end, 10);
			if (errno || *end || nfaults < 1 || nfaults > 1u << 30)
				return usage_error("--faults %s: not a "
						   "positive number", optarg);
			break;
		case OPT_SEED:
			errno = 0;
			b->o.seed = strtoull(optarg, &end, 10);
			if (errno || *end)
				return usage_error("--seed %s: not a number",
						   optarg);
			break;
		case OPT_PLL_SRC:
			b->o.pll_src = optarg;
			break;
		case OPT_POLICY:
			b->o.policy = optarg;
			break;
		case OPT_JSON:
			b->o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " " FRAMEFS_VERSION "\n");
			return 0;
		case ':':
			return usage_error("%s: needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("%s: unknown option",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("%s: unexpected argument", argv[optind]);
	b->o.size_bytes = size ? size : quick ? QUICK_SIZE : DEFAULT_SIZE;
	b->o.wsize_bytes = wsize ? wsize : b->o.size_bytes;
	b->o.size_bytes -= b->o.size_bytes % IO_BYTES;
	b->o.wsize_bytes -= b->o.wsize_bytes % IO_BYTES;
	b->o.reps = reps ? (unsigned)reps : quick ? QUICK_REPS : DEFAULT_REPS;
	b->o.nfaults = (unsigned)nfaults;

	if (!mnt_available()) {
		printf(PROG ": skipped: no /dev/fuse or fusermount3\n");
		return 0;
	}
	/* harness/mount.c starts $FRAMEFS; default to the daemon of this
	 * build. */
	setenv("FRAMEFS", FRAMEFS_BIN, 0);
	if (access(getenv("FRAMEFS"), X_OK) < 0)
		fail("%s: %s (set FRAMEFS)", getenv("FRAMEFS"),
		     strerror(errno));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;	/* a second ^C kills outright */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	cur = b;
	/* Registered before mount.c's own handler, so it runs after it. */
	atexit(cleanup);

	b->load = loadavg();
	setup(b);
	warm(b);
	phase(b, W_RAM, R_FAULT_RAM, R_READ_RAM, "data in RAM");
	phase(b, W_FMISS, R_FAULT_FMISS, R_READ_FMISS, "frame misses");
	phase(b, W_DEVICE, R_FAULT_DEV, R_READ_DEV, "from the device");
	writes(b);
	cleanup();

	prog_progress_end();
	if (b->o.json)
		print_json(b);
	else
		print_report(b);
	free(b->pages);
	free(b->windows);
	free(b->buf);
	return 0;
}
