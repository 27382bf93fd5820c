/* main.c - framefs: options, mount, the session loop, the final flush.
 *
 * Order matters: every check that can fail on user input runs before the
 * mount, so a bad option never leaves a half-mounted file system; the
 * threads start after fuse_daemonize() (a fork would lose them); after the
 * session ends (fusermount3 -u), every dirty frame is written back before
 * the daemon exits, and the exit status says whether that worked.
 *
 * The umask.  The kernel applies the client's umask to the mode of every
 * mknod, mkdir and create before the request reaches us (framefs does not
 * ask for FUSE_CAP_DONT_MASK), so the mode in a request is final; the
 * daemon serves with umask 0, or its own inherited umask would mask the
 * mode a second time (a client with umask 0 got 644 for 0666).  The one
 * file the daemon creates for itself, trace=FILE, is opened in fs_init()
 * while the user's umask is still in force, with 0666 like any program's
 * output.  Nothing else is created by the daemon: do that before the
 * umask(0) in main(), or with an explicit fchmod.
 */
#include "clock.h"
#include "framefs.h"
#include "policy.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_FRAMES		16384	/* 64 MiB of 4 KiB pages */
#define DEFAULT_THREADS		16

struct raw_opts {
	char *frames, *cache, *policy, *readahead, *refscan, *dirty_bg,
	     *dirty_max, *dirty_expire, *latency, *trace, *threads;
	char *backing;
};

#define O(t, f) { t, offsetof(struct raw_opts, f), 0 }
static const struct fuse_opt opt_spec[] = {
	O("frames=%s", frames), O("cache=%s", cache), O("policy=%s", policy),
	O("readahead=%s", readahead), O("refscan=%s", refscan),
	O("dirty_background=%s", dirty_bg), O("dirty_max=%s", dirty_max),
	O("dirty_expire_ms=%s", dirty_expire),
	O("store_latency=%s", latency), O("trace=%s", trace),
	O("threads=%s", threads),
	FUSE_OPT_END
};
#undef O

static void usage(FILE *out)
{
	fprintf(out,
"usage: framefs [-f] [-d] [-o OPTIONS] BACKING_DIR MOUNTPOINT\n"
"\n"
"Serves BACKING_DIR at MOUNTPOINT through a fixed pool of page frames with\n"
"its own eviction policy and write-back.  The kernel's page cache of the\n"
"mount is kept a subset of the frames, so clients' page faults are the\n"
"daemon's reads.  MOUNTPOINT/.framefs/ holds stats, frames, files, control.\n"
"Unmount with `fusermount3 -u MOUNTPOINT`: the daemon writes back every\n"
"dirty frame, then exits (non-zero if some could not be written).\n"
"\n"
"framefs options (-o, comma separated):\n"
"  frames=N               pool size in 4 KiB frames (default %u = 64 MiB)\n"
"  cache=SIZE             pool size in bytes, with K, M or G (e.g. 64M)\n"
"  policy=NAME[:K=V:...]  eviction policy and its parameters (default lru;\n"
"                         `framesim --list` lists them)\n"
"  readahead=KB           kernel readahead, 0 to 1048576 (default 0: one\n"
"                         fault = one 4 KiB READ, so client majflt ==\n"
"                         daemon reads).  Above 0, one READ carries many\n"
"                         pages and faults on pages read ahead count as\n"
"                         minor: majflt undercounts.  Every pool the mount\n"
"                         takes is safe at every value, even one smaller\n"
"                         than a READ (up to 1 MiB); readahead is held to\n"
"                         half the pool.\n"
"  refscan=PAGES_PER_S    reference sampling: invalidate this many resident\n"
"                         pages per second so re-use faults (default 0 = off)\n"
"  dirty_background=PCT   start write-back above PCT%% dirty (default 10)\n"
"  dirty_max=PCT          writers wait above PCT%% dirty (default 40)\n"
"  dirty_expire_ms=MS     write back data older than MS (default 3000)\n"
"  store_latency=MODEL    hdd (4 ms seeks, 150 MB/s), ssd (80 us, 1 GB/s),\n"
"                         or a fixed delay in microseconds (default none)\n"
"  trace=FILE             record every page reference the daemon sees:\n"
"                         \"time_us id pgno r|w h|m\" per line (the framefs\n"
"                         trace format; FILE.zst is written compressed)\n"
"  threads=N              FUSE worker threads (default %u); the pool needs\n"
"                         at least 2*N+8 frames\n"
"\n"
"examples:\n"
"  framefs -o cache=16M,policy=clock /srv/data /mnt/ff\n"
"  framefs -f -o frames=256,readahead=0,refscan=1000 ./data ./mnt\n"
"\n", DEFAULT_FRAMES, DEFAULT_THREADS);
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct raw_opts *r = data;

	(void)outargs;
	if (key == FUSE_OPT_KEY_NONOPT && !r->backing) {
		r->backing = strdup(arg);
		return 0;
	}
	return 1;
}

/* Parses an unsigned number within [lo, hi]; prints the error. */
static int parse_u32(const char *name, const char *s, uint32_t lo,
		     uint32_t hi, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "framefs: %s=%s: not a number in %u..%u\n",
			name, s, lo, hi);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Fills fs->o from the raw strings.  Returns 0 or -1 after printing. */
static int opts_check(struct raw_opts *r, struct fs_opts *o)
{
	o->nframes = DEFAULT_FRAMES;
	o->policy = r->policy ? r->policy : "lru";
	o->dirty_background_pct = 10;
	o->dirty_max_pct = 40;
	o->dirty_expire_ms = 3000;
	o->max_threads = DEFAULT_THREADS;
	o->trace_path = r->trace;
	{
		const struct policy_ops *ops;
		double param[POLICY_MAX_PARAMS];
		char err[160];

		if (policy_parse(o->policy, &ops, param, err,
				 sizeof(err)) < 0) {
			fprintf(stderr, "framefs: policy=%s\n", err);
			return -1;
		}
		if (ops->flags & POLICY_NEEDS_FUTURE) {
			fprintf(stderr, "framefs: policy=%s: needs the future "
				"references; use it in framesim\n", ops->name);
			return -1;
		}
	}
	if (r->frames && r->cache) {
		fprintf(stderr, "framefs: frames= and cache=: give one\n");
		return -1;
	}
	if (r->frames && parse_u32("frames", r->frames, 1, 1u << 28,
				   &o->nframes))
		return -1;
	if (r->cache) {
		uint64_t b;

		if (size_parse(r->cache, &b) || b / 4096 < 1 ||
		    b / 4096 > (1u << 28)) {
			fprintf(stderr, "framefs: cache=%s: not a size from 4K "
				"to 1T (e.g. 64M)\n", r->cache);
			return -1;
		}
		o->nframes = (uint32_t)(b / 4096);
	}
	if ((r->readahead && parse_u32("readahead", r->readahead, 0, 1 << 20,
				       &o->readahead_kb)) ||
	    (r->refscan && parse_u32("refscan", r->refscan, 0, 100000000,
				     &o->refscan)) ||
	    (r->dirty_bg && parse_u32("dirty_background", r->dirty_bg, 0, 100,
				      &o->dirty_background_pct)) ||
	    (r->dirty_max && parse_u32("dirty_max", r->dirty_max, 1, 100,
				       &o->dirty_max_pct)) ||
	    (r->dirty_expire && parse_u32("dirty_expire_ms", r->dirty_expire,
					  1, 86400000, &o->dirty_expire_ms)) ||
	    (r->threads && parse_u32("threads", r->threads, 2, 1024,
				     &o->max_threads)))
		return -1;
	if (o->dirty_background_pct > o->dirty_max_pct) {
		fprintf(stderr, "framefs: dirty_background=%u: above "
			"dirty_max=%u\n", o->dirty_background_pct,
			o->dirty_max_pct);
		return -1;
	}
	if (r->latency && store_latency_parse(r->latency, &o->lat_kind,
					      &o->lat_usec) < 0) {
		fprintf(stderr, "framefs: store_latency=%s: not hdd, ssd or "
			"a number of microseconds\n", r->latency);
		return -1;
	}
	/* Reading ahead more than the pool can hold would evict pages before
	 * anyone used them: at most half the pool, as the kernel's own
	 * max_sane_readahead() once held readahead to half of free memory. */
	if (o->readahead_kb > o->nframes * 2u) {
		fprintf(stderr, "framefs: readahead=%u: reading ahead %u KB, "
			"half the pool\n", o->readahead_kb, o->nframes * 2u);
		o->readahead_kb = o->nframes * 2u;
	}
	if (o->nframes < 2 * o->max_threads + 8) {
		fprintf(stderr, "framefs: frames=%u: pool too small: %u worker "
			"threads need at least %u frames\n", o->nframes,
			o->max_threads, 2 * o->max_threads + 8);
		return -1;
	}
	return 0;
}

/* The backing directory, opened; or -1 after printing. */
static int open_backing(struct fs *fs, const char *path)
{
	struct stat st;

	fs->backing = realpath(path, NULL);
	if (!fs->backing) {
		fprintf(stderr, "framefs: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fs->root.fd = open(fs->backing, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->root.fd < 0 || fstat(fs->root.fd, &st) < 0) {
		fprintf(stderr, "framefs: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fs->root.dev = st.st_dev;
	fs->root.bino = st.st_ino;
	fs->root.type = S_IFDIR;
	fs->root.rd_fd = -1;
	fs->root.rw_fd = -1;
	fs->root.nlookup = 2;
	pthread_rwlock_init(&fs->root.trunc_lock, NULL);
	pthread_mutex_init(&fs->root.flush_lock, NULL);
	pthread_mutex_init(&fs->root.io_lock, NULL);
	return 0;
}

/* A mountpoint must be a directory with nothing mounted on it yet. */
static int check_mountpoint(const char *mp, const char *backing)
{
	char parent[PATH_MAX];
	struct stat st, pst;
	char *real;

	if (stat(mp, &st) < 0) {
		fprintf(stderr, "framefs: %s: %s\n", mp, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "framefs: %s: not a directory\n", mp);
		return -1;
	}
	snprintf(parent, sizeof(parent), "%s/..", mp);
	if (stat(parent, &pst) == 0 && pst.st_dev != st.st_dev &&
	    pst.st_ino != st.st_ino) {
		fprintf(stderr, "framefs: %s: mountpoint in use (something "
			"is mounted there)\n", mp);
		return -1;
	}
	real = realpath(mp, NULL);
	if (real && !strcmp(real, backing)) {
		fprintf(stderr, "framefs: %s: mountpoint is the backing "
			"directory\n", mp);
		free(real);
		return -1;
	}
	free(real);
	return 0;
}

/* Undoes the octal escapes (\040 for a space) of a /proc mountinfo path. */
static void unescape_octal(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				    (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = '\0';
}

/* The kernel reads ahead at most its per-device read_ahead_kb (128 KB
 * unless raised), whatever max_readahead says, so readahead= above that
 * sets the mount's own (/sys/class/bdi/MAJ:MIN/read_ahead_kb, found in
 * /proc/self/mountinfo by the mountpoint's realpath mp_real, taken before
 * the mount: a stat of the mount before INIT is answered would hang).
 * Where that is not allowed, says so on stderr and goes on with 128 KB. */
static void bdi_readahead(const char *mp_real, uint32_t kb)
{
	char line[2 * PATH_MAX], mpt[PATH_MAX], dev[32] = "", path[96];
	unsigned maj, min;
	FILE *f;
	int fd, n, err = ENOENT;

	if (kb <= 128)
		return;
	if (!mp_real) {
		fprintf(stderr, "framefs: readahead=%u: the kernel reads ahead "
			"at most 128 KB here (the mountpoint has no real path)"
			"\n", kb);
		return;
	}
	f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min,
			   mpt) != 3)
			continue;
		unescape_octal(mpt);
		if (!strcmp(mpt, mp_real))	/* the last one is on top */
			snprintf(dev, sizeof(dev), "%u:%u", maj, min);
	}
	if (f)
		fclose(f);
	if (dev[0]) {
		snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb",
			 dev);
		snprintf(line, sizeof(line), "%u\n", kb);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : (int)write(fd, line, strlen(line));
		err = n < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
	}
	if (err)
		fprintf(stderr, "framefs: readahead=%u: the kernel reads ahead "
			"at most 128 KB here (read_ahead_kb of the mount: "
			"%s)\n", kb, strerror(err));
}

static int fs_init(struct fs *fs)
{
	struct cache_config cfg = {
		.nframes = fs->o.nframes,
		.page_size = 4096,
		.policy = fs->o.policy,
	};

	fs->cache = cache_new(&cfg);
	if (!fs->cache) {
		fprintf(stderr, "framefs: frames=%u: %s\n",
			fs->o.nframes, strerror(errno));
		return -1;
	}
	fs->page_size = cache_page_size(fs->cache);
	fs->store = store_new(fs->o.lat_kind, fs->o.lat_usec);
	if (!fs->store || itab_init(fs) < 0) {
		fprintf(stderr, "framefs: %s\n", strerror(ENOMEM));
		return -1;
	}
	pthread_mutex_init(&fs->wait_lock, NULL);
	pthread_mutex_init(&fs->trace_lock, NULL);
	{
		pthread_condattr_t ca;

		/* timed_wait() uses CLOCK_MONOTONIC deadlines. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&fs->evict_cv, &ca);
		pthread_cond_init(&fs->freed_cv, &ca);
		pthread_cond_init(&fs->flush_cv, &ca);
		pthread_cond_init(&fs->flushed_cv, &ca);
		pthread_cond_init(&fs->scan_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	fs->t0_ns = now_ns(CLOCK_MONOTONIC);
	if (fs->o.trace_path) {
		char header[256];
		int rc;

		snprintf(header, sizeof(header), "source=framefs page_size=%u "
			 "frames=%u policy=%s", fs->page_size, fs->o.nframes,
			 fs->o.policy);
		rc = trace_writer_open(fs->o.trace_path, header, &fs->trace);
		if (rc < 0) {
			fprintf(stderr, "framefs: trace=%s: %s\n",
				fs->o.trace_path, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

static void raw_free(struct raw_opts *r)
{
	char **f[] = { &r->frames, &r->cache, &r->policy, &r->readahead,
		       &r->refscan, &r->dirty_bg, &r->dirty_max,
		       &r->dirty_expire, &r->latency, &r->trace, &r->threads,
		       &r->backing };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		free(*f[i]);
		*f[i] = NULL;
	}
}

/* Parses the command line; returns -1 to go on, or an exit status. */
static int parse_cmdline(struct fuse_args *args, struct raw_opts *raw,
			 struct fuse_cmdline_opts *cl, struct fs_opts *o)
{
	if (fuse_opt_parse(args, raw, opt_spec, opt_proc) < 0)
		return 2;
	if (fuse_parse_cmdline(args, cl) != 0)
		return 2;
	if (cl->show_help) {
		usage(stdout);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		return 0;
	}
	if (cl->show_version) {
		printf("framefs %s (libfuse %s)\n", FRAMEFS_VERSION,
		       fuse_pkgversion());
		return 0;
	}
	if (!raw->backing || !cl->mountpoint) {
		fprintf(stderr, "framefs: need BACKING_DIR and MOUNTPOINT "
			"(framefs --help)\n");
		return 2;
	}
	if (cl->singlethread) {
		fprintf(stderr, "framefs: -s: invalidating a dirty mapped page "
			"needs a second worker; single-threaded mode would "
			"deadlock\n");
		return 2;
	}
	if (opts_check(raw, o) < 0)
		return 2;
	return -1;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cl = { 0 };
	struct fuse_loop_config *lc = NULL;
	struct raw_opts raw = { 0 };
	static struct fs fs;
	char *mp_real = NULL;
	int ret = 1;
	uint32_t left;

	ret = parse_cmdline(&args, &raw, &cl, &fs.o);
	if (ret >= 0)
		goto out_args;
	ret = 1;
	if (open_backing(&fs, raw.backing) < 0 ||
	    check_mountpoint(cl.mountpoint, fs.backing) < 0 || fs_init(&fs) < 0)
		goto out;

	fs.se = fuse_session_new(&args, &framefs_ops, sizeof(framefs_ops),
				 &fs);
	if (!fs.se)
		goto out;
	if (fuse_set_signal_handlers(fs.se) != 0)
		goto out_session;
	mp_real = realpath(cl.mountpoint, NULL);
	if (fuse_session_mount(fs.se, cl.mountpoint) != 0)
		goto out_signals;
	bdi_readahead(mp_real, fs.o.readahead_kb);
	if (fuse_daemonize(cl.foreground) != 0)
		goto out_unmount;
	ret = pager_start(&fs);
	if (ret < 0) {
		fprintf(stderr, "framefs: threads: %s\n", strerror(-ret));
		ret = 1;
		goto out_unmount;
	}
	/* From here on the daemon creates files only for clients, with
	 * the modes the kernel sent (see the umask above). */
	umask(0);
	lc = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(lc, fs.o.max_threads);
	/* Workers never retire: each keeps its hazard-pin slots (cache.c). */
	fuse_loop_cfg_set_idle_threads(lc, fs.o.max_threads);
	fuse_loop_cfg_set_clone_fd(lc, (unsigned)cl.clone_fd);
	ret = fuse_session_loop_mt(fs.se, lc) != 0;
	fuse_loop_cfg_destroy(lc);
	pager_stop(&fs);
out_unmount:
	fuse_session_unmount(fs.se);
out_signals:
	fuse_remove_signal_handlers(fs.se);
out_session:
	fuse_session_destroy(fs.se);
out:
	pager_stop(&fs);
	left = fs.cache ? pager_final_flush(&fs) : 0;
	if (left) {
		fprintf(stderr, "framefs: %u dirty frames could not be written "
			"to %s; their data is lost\n", left, fs.backing);
		ret = 1;
	}
	if (fs.trace && trace_writer_close(fs.trace) < 0) {
		fprintf(stderr, "framefs: trace=%s: could not write the whole "
			"trace\n", fs.o.trace_path);
		ret = 1;
	}
	if (fs.by_key)
		itab_release(&fs);
	if (fs.root.fd > 0)
		close(fs.root.fd);
	cache_free(fs.cache);
	store_free(fs.store);
	free(fs.backing);
out_args:
	free(mp_real);
	free(cl.mountpoint);
	raw_free(&raw);
	fuse_opt_free_args(&args);
	return ret;
}
