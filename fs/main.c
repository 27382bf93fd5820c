/* main.c - framefs: options, mount, the session loop, the final flush.
 *
 * Order matters: every check that can fail on user input runs before the
 * mount, so a bad option never leaves a half-mounted file system (the
 * command line is framefs's own, and libfuse gets only what framefs
 * checked; the directories are checked for nesting and access as the
 * daemon will use them); the threads start after fuse_daemonize() (a fork
 * would lose them); after the session ends (fusermount3 -u), every dirty
 * frame is written back before the daemon exits, and the exit status says
 * whether that worked.
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

#define PROG "framefs"
#include "prog.h"
#include "store_http.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_FRAMES		16384	/* 64 MiB of 4 KiB pages */
#define DEFAULT_THREADS		16

/* The command line as framefs reads it.  framefs owns it: its own -o
 * options, and the few of libfuse's it passes on because the kernel or
 * libfuse applies them without changing what the daemon does.  Anything
 * else is refused before a mount is tried, with the one refusal shape of
 * the kit (doc/options.md); libfuse never sees an option framefs did not
 * check. */
struct cmdline {
	char *frames, *cache, *policy, *readahead, *refscan, *dirty_bg,
	     *dirty_max, *dirty_expire, *latency, *trace, *threads, *reclaim,
	     *netrc, *http_retries, *fetch_ahead, *s3_endpoint, *s3_region,
	     *credentials, *s3_addressing, *cacert, *s3_part_size,
	     *fetch_streams;
	const char *backing, *mountpoint;	/* as given */
	bool foreground, debug, clone_fd;
	bool subtype;		/* subtype= given */
	bool allow_other, default_permissions;
	bool readonly;		/* ro given after any rw */
	char *fuse_opts;	/* libfuse's -o options passed on, joined */
};

/* framefs's own -o options; each takes a value. */
#define O(n, f) { n, offsetof(struct cmdline, f) }
static const struct {
	const char *name;
	size_t off;
} ff_opts[] = {
	O("frames", frames), O("cache", cache), O("policy", policy),
	O("readahead", readahead), O("refscan", refscan),
	O("dirty_background", dirty_bg), O("dirty_max", dirty_max),
	O("dirty_expire_ms", dirty_expire), O("store_latency", latency),
	O("trace", trace), O("threads", threads), O("reclaim", reclaim),
	O("netrc", netrc), O("http_retries", http_retries),
	O("fetch_ahead", fetch_ahead), O("s3_endpoint", s3_endpoint),
	O("s3_region", s3_region), O("credentials", credentials),
	O("s3_addressing", s3_addressing), O("cacert", cacert),
	O("s3_part_size", s3_part_size), O("fetch_streams", fetch_streams),
};
#undef O

/* libfuse's mount options framefs passes on: the kernel (or libfuse, for
 * allow_root and auto_unmount) applies them.  A trailing '=' takes a
 * value. */
static const char *const fuse_passed[] = {
	"allow_other", "allow_root", "default_permissions", "auto_unmount",
	"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
	"fsname=", "subtype=",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void usage(FILE *out)
{
	fprintf(out,
"usage: framefs [-f] [-d] [-o OPTIONS] BACKING_DIR|URL MOUNTPOINT\n"
"\n"
"Serves BACKING_DIR, the WebDAV collection (or plain HTTP server,\n"
"read-only) at an http:// or https:// URL, or the S3 bucket of an\n"
"s3://BUCKET[/PREFIX] URL, at MOUNTPOINT through a fixed pool of page\n"
"frames with\n"
"its own eviction policy and write-back.  The kernel's page cache of the\n"
"mount is kept a subset of the frames, so clients' page faults are the\n"
"daemon's reads.  MOUNTPOINT/.framefs/ holds stats, frames, files, control.\n"
"Unmount with `fusermount3 -u MOUNTPOINT`: the daemon writes back every\n"
"dirty frame, then exits (non-zero if some could not be written).\n"
"\n"
"  -f, --foreground       stay in the foreground (errors and the unmount's\n"
"                         write-back on stderr)\n"
"  -d, --debug            libfuse's log of every request; implies -f\n"
"  -o OPT[,OPT...]        the options below, comma separated\n"
"  -h, --help             this text\n"
"  -V, --version          framefs's and libfuse's versions\n"
"\n"
"framefs options (-o):\n"
"  frames=N               pool size in 4 KiB frames, 1..268435456 (default\n"
"                         %u = 64 MiB)\n"
"  cache=SIZE             pool size in bytes, with K, M or G (e.g. 64M)\n"
"  policy=NAME[:K=V:...]  eviction policy and its parameters (default lru;\n"
"                         `framesim --list` lists them)\n"
"  readahead=KB           kernel readahead, 0..1048576 (default 0: one\n"
"                         fault = one 4 KiB READ, so client majflt ==\n"
"                         daemon reads).  Above 0, one READ carries many\n"
"                         pages and faults on pages read ahead count as\n"
"                         minor: majflt undercounts.  Every pool the mount\n"
"                         takes is safe at every value, even one smaller\n"
"                         than a READ (up to 1 MiB); readahead is held to\n"
"                         half the pool.\n"
"  fetch_ahead=KB         the daemon's own reading ahead, 0..4096, in 4 KB\n"
"                         steps (default 0: a frame miss reads the missing\n"
"                         pages of its READ and no more).  Above 0, a miss\n"
"                         also fetches the rest of its window (the KB that\n"
"                         start at a multiple of KB) after the reply, into\n"
"                         free frames only (never evicting for them),\n"
"                         and a READ of its first page taken after the\n"
"                         miss fetches the next, each twice the last up\n"
"                         to 4 MiB:\n"
"                         fewer, larger store reads (a network store's\n"
"                         round trips), at the price of frames the\n"
"                         workload may never use.\n"
"  fetch_streams=N        with fetch_ahead above 4: a miss fetches the N\n"
"                         windows of its group (the N windows that start\n"
"                         at a multiple of N windows), each in a store\n"
"                         read of its own, side by side, 1..16 (default\n"
"                         1); for loads at random all over a large file\n"
"                         on a network store (as s3fs's parallel ranges)\n"
"  refscan=PAGES_PER_S    reference sampling: invalidate this many resident\n"
"                         pages per second so re-use faults (default 0 = off)\n"
"  dirty_background=PCT   start write-back above PCT%% dirty (default 10)\n"
"  dirty_max=PCT          writers wait above PCT%% dirty (default 40)\n"
"  dirty_expire_ms=MS     write back data older than MS (default 3000)\n"
"  store_latency=MODEL    hdd (4 ms seeks, 150 MB/s), ssd (80 us, 1 GB/s),\n"
"                         or a fixed delay in microseconds (default none)\n"
"  reclaim=MODE           background (default): evictor threads keep a\n"
"                         few frames free (1/64 to 1/32 of the pool), as\n"
"                         kswapd does; direct: a miss that finds no free\n"
"                         frame evicts the policy's victim itself, so\n"
"                         every frame holds data and the mount misses\n"
"                         exactly as framesim does at the same size\n"
"  trace=FILE             record every page reference the daemon sees:\n"
"                         \"time_us id pgno r|w h|m\" per line (the framefs\n"
"                         trace format; FILE.zst is written compressed)\n"
"  threads=N              FUSE worker threads, 2..1024 (default %u); they\n"
"                         never retire; the pool needs 2*N+8 frames\n"
"  netrc=FILE             a URL's credentials (machine HOST login USER\n"
"                         password PASS); else FRAMEFS_HTTP_USER and\n"
"                         FRAMEFS_HTTP_PASSWORD; never on the command line\n"
"  cacert=FILE            trust the certificate authorities in FILE (PEM)\n"
"                         for an https:// or s3:// store's server, instead\n"
"                         of the system's (/etc/ssl/certs)\n"
"  http_retries=N         a URL's requests are tried again N times, 0..20,\n"
"                         with backoff, after no answer, a timeout or a 5xx\n"
"                         (default 3)\n"
"  s3_endpoint=URL        an s3://BUCKET[/PREFIX] store's server\n"
"                         (default https://s3.amazonaws.com)\n"
"  s3_addressing=path|virtual  the bucket in the URL's path (default:\n"
"                         ENDPOINT/BUCKET/KEY) or in its host name\n"
"                         (BUCKET.HOST/KEY)\n"
"  s3_region=NAME         the region its requests are signed for (default\n"
"                         us-east-1)\n"
"  s3_part_size=MIB       a large object is written back in parts of MIB,\n"
"                         5..5120 (default 8: objects up to 78 GiB)\n"
"  credentials=FILE       its keys, AWS shared-credentials format; else\n"
"                         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
"                         (and AWS_SESSION_TOKEN, temporary ones); the\n"
"                         FILE is read again when the server refuses\n"
"                         the keys, so they may be rotated or renewed\n"
"\n"
"libfuse's options framefs passes on (-o):\n"
"  allow_other                 let other users use the mount; brings\n"
"                              default_permissions with it (below)\n"
"  allow_root                  let root use the mount\n"
"  default_permissions         the kernel checks each caller against the\n"
"                              modes and owners of the backing files\n"
"  auto_unmount                unmount when the daemon dies\n"
"  ro, rw, nosuid, suid, nodev, dev, noexec, exec   mount flags (ro on\n"
"                              a URL: no request that writes, the\n"
"                              probe's included)\n"
"  fsname=NAME, subtype=NAME   what /proc/mounts shows\n"
"  clone_fd                    one /dev/fuse descriptor per worker\n"
"  debug                       the same as -d\n"
"Refused: -s (single-threaded mode would deadlock), max_threads= and\n"
"max_idle_threads= (threads= sets the workers, and they never retire).\n"
"On a shared mount (allow_other), .framefs/control takes commands only\n"
"from the user who mounted and root; .framefs/files, which names paths,\n"
"is theirs to read; stats and frames (counters and numbers) are for all.\n"
"\n"
"examples:\n"
"  framefs -o cache=16M,policy=clock /srv/data /mnt/ff\n"
"  framefs -f -o frames=256,readahead=0,refscan=1000 ./data ./mnt\n"
"  framefs -o policy=clock:bits=2,allow_other /srv/data /mnt/ff\n"
"  framefs -o frames=4096,netrc=$HOME/.netrc https://host/dav/ /mnt/ff\n"
"  framefs -o s3_endpoint=http://127.0.0.1:7480,s3_region=default \\\n"
"          s3://bucket/prefix /mnt/ff\n"
"  framefs -o s3_region=eu-west-1,s3_addressing=virtual s3://bucket /mnt/ff\n"
"\n", DEFAULT_FRAMES, DEFAULT_THREADS);
}

/* Where the unmount saves what it cannot write: /var/tmp/framefs-unwritten.
 * PID, made here, 0700.  /var/tmp is everyone's: a name that is there
 * already and is not our own directory (a link someone made, say) is not
 * used; a mkdtemp name next to it is.  The saves write into it with the
 * daemon's rights, so it must be ours. */
static void dump_dir(char *dump, size_t len)
{
	struct stat st;

	snprintf(dump, len, "/var/tmp/framefs-unwritten.%d", (int)getpid());
	if (mkdir(dump, 0700) == 0)
		return;
	if (errno == EEXIST && lstat(dump, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && !(st.st_mode & 077))
		return;		/* ours, from a daemon of the same PID */
	snprintf(dump, len, "/var/tmp/framefs-unwritten.%d.XXXXXX",
		 (int)getpid());
	if (!mkdtemp(dump))
		snprintf(dump, len, "/var/tmp/framefs-unwritten.%d",
			 (int)getpid());	/* the saves will say why */
}

/* The host of URL (scheme://HOST[:PORT]/...) is an IPv4 or IPv6 address. */
static bool ip_host(const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;

	if (!h)
		return false;
	h += 3;
	if (*h == '[')
		return true;
	n = strcspn(h, ":/");
	return n && strspn(h, "0123456789.") == n;
}

/* A -o option the command line cannot run with: "framefs: -o NAME=VALUE:
 * why", exit 2. */
static _Noreturn void opt_fail(const char *name, const char *val,
			       const char *why)
{
	prog_errf("-o %s%s%s: %s", name, val ? "=" : "", val ? val : "", why);
	exit(2);
}

/* One item of -o, unescaped ("\," is a comma that does not split). */
static void cmdline_opt(struct cmdline *cl, char *item)
{
	char *eq = strchr(item, '=');
	size_t nlen = eq ? (size_t)(eq - item) : strlen(item);
	const char *val = eq ? eq + 1 : NULL;

	if (eq)
		*eq = '\0';
	for (size_t i = 0; i < NELEM(ff_opts); i++) {
		char **field = (char **)((char *)cl + ff_opts[i].off);

		if (strcmp(item, ff_opts[i].name))
			continue;
		if (!val) {
			prog_errf("-o %s: needs a value (framefs --help)",
				  item);
			exit(2);
		}
		free(*field);		/* the last one given counts */
		*field = strdup(val);
		if (!*field)
			prog_fail("-o", strerror(ENOMEM));
		return;
	}
	if ((!strcmp(item, "debug") || !strcmp(item, "clone_fd")) && val)
		opt_fail(item, val, "takes no value");
	if (!strcmp(item, "debug")) {
		cl->debug = cl->foreground = true;
		return;
	}
	if (!strcmp(item, "clone_fd")) {
		cl->clone_fd = true;
		return;
	}
	if (!strcmp(item, "max_threads"))
		opt_fail(item, val, "not a framefs option; threads=N sets the "
			 "workers");
	if (!strcmp(item, "max_idle_threads"))
		opt_fail(item, val, "framefs's workers never retire (each "
			 "keeps its hazard-pin slots); threads=N sets them");
	for (size_t i = 0; i < NELEM(fuse_passed); i++) {
		const char *f = fuse_passed[i];
		bool takes = f[strlen(f) - 1] == '=';

		if (strncmp(item, f, nlen) || strlen(f) != nlen + takes)
			continue;
		if (takes && !val) {
			prog_errf("-o %s: needs a value (framefs --help)",
				  item);
			exit(2);
		}
		if (!takes && val)
			opt_fail(item, val, "takes no value");
		if (!strcmp(f, "subtype="))
			cl->subtype = true;
		if (!strcmp(f, "allow_other"))
			cl->allow_other = true;
		if (!strcmp(f, "default_permissions"))
			cl->default_permissions = true;
		if (!strcmp(f, "ro") || !strcmp(f, "rw"))
			cl->readonly = f[1] == 'o';
		if (eq)
			*eq = '=';
		if (fuse_opt_add_opt_escaped(&cl->fuse_opts, item) < 0)
			prog_fail("-o", strerror(ENOMEM));
		return;
	}
	prog_errf("-o %s%s%s: unknown option (framefs --help)", item,
		  val ? "=" : "", val ? val : "");
	exit(2);
}

/* Splits a -o argument at commas not escaped with a backslash, as
 * libfuse does. */
static void cmdline_opts(struct cmdline *cl, const char *arg)
{
	char *item = malloc(strlen(arg) + 1), *d = item;

	if (!item)
		prog_fail("-o", strerror(ENOMEM));
	for (const char *s = arg;; s++) {
		if (*s == '\\' && s[1]) {
			*d++ = *++s;
		} else if (*s == ',' || !*s) {
			*d = '\0';
			if (d != item)
				cmdline_opt(cl, item);
			d = item;
			if (!*s)
				break;
		} else {
			*d++ = *s;
		}
	}
	free(item);
}

/* Reads the command line into cl; exits on --help, --version and every
 * refusal (status 2). */
static void cmdline_parse(int argc, char *argv[], struct cmdline *cl)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hVfdso:", longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("framefs %s (libfuse %s)\n", FRAMEFS_VERSION,
			       fuse_pkgversion());
			exit(0);
		case 'f':
			cl->foreground = true;
			break;
		case 'd':
			cl->debug = cl->foreground = true;
			break;
		case 's':
			prog_usage_fail("-s", "single-threaded mode would "
					"deadlock (invalidating a dirty mapped "
					"page needs a second worker)");
		case 'o':
			cmdline_opts(cl, optarg);
			break;
		default:
			prog_getopt_fail(c, argv);
		}
	}
	if (argc - optind > 2)
		prog_usage_fail(argv[optind + 2], "unexpected argument "
				"(framefs --help)");
	if (argc - optind < 2) {
		prog_errf("need BACKING_DIR and MOUNTPOINT (framefs --help)");
		exit(2);
	}
	cl->backing = argv[optind];
	cl->mountpoint = argv[optind + 1];
}

/* Parses an unsigned number within [lo, hi]; refuses it otherwise. */
static uint32_t parse_u32(const char *name, const char *s, uint32_t lo,
			  uint32_t hi)
{
	unsigned long long v;
	char range[48];
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		snprintf(range, sizeof(range), "not in %u..%u", lo, hi);
		opt_fail(name, s, range);
	}
	return (uint32_t)v;
}

static bool is_s3(const char *s)
{
	return s && !strncasecmp(s, "s3://", 5);
}

/* An http://, https:// or s3:// URL rather than a directory. */
static bool is_url(const char *s)
{
	return s && (!strncasecmp(s, "http://", 7) ||
		     !strncasecmp(s, "https://", 8) || is_s3(s));
}

/* SCHEME://..., for the refusal of a URL framefs cannot mount (ftp://). */
static bool looks_like_url(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	return n > 0 && !strncmp(s + n, "://", 3);
}

/* Fills o from the -o strings, refusing (exit 2) what cannot run. */
/* netrc= and credentials=, made absolute (opts_check). */
static char netrc_abs[PATH_MAX], credentials_abs[PATH_MAX];

static void opts_check(struct cmdline *r, struct fs_opts *o)
{
	o->nframes = DEFAULT_FRAMES;
	o->policy = r->policy ? r->policy : "lru";
	o->dirty_background_pct = 10;
	o->dirty_max_pct = 40;
	o->dirty_expire_ms = 3000;
	o->max_threads = DEFAULT_THREADS;
	o->fetch_streams = 1;
	o->trace_path = r->trace;
	{
		const struct policy_ops *ops;
		double param[POLICY_MAX_PARAMS];
		char err[160];
		const char *why = err;
		size_t nlen = strcspn(o->policy, ":");

		if (policy_parse(o->policy, &ops, param, err,
				 sizeof(err)) < 0) {
			/* err starts with the policy's name: said once. */
			if (!strncmp(err, o->policy, nlen) &&
			    !strncmp(err + nlen, ": ", 2))
				why = err + nlen + 2;
			opt_fail("policy", o->policy, why);
		}
		if (ops->flags & POLICY_NEEDS_FUTURE)
			opt_fail("policy", o->policy, "needs the future "
				 "references; use it in framesim");
	}
	if (r->frames && r->cache)
		opt_fail("cache", r->cache, "frames= gives the pool size too; "
			 "give one");
	if (r->frames)
		o->nframes = parse_u32("frames", r->frames, 1, 1u << 28);
	if (r->cache) {
		uint64_t b;

		if (size_parse(r->cache, &b) || b / 4096 < 1 ||
		    b / 4096 > (1u << 28))
			opt_fail("cache", r->cache, "not a size in 4K..1T "
				 "(e.g. 64M)");
		o->nframes = (uint32_t)(b / 4096);
	}
	if (r->readahead)
		o->readahead_kb = parse_u32("readahead", r->readahead, 0,
					    1 << 20);
	if (r->fetch_ahead) {
		o->fetch_ahead_kb = parse_u32("fetch_ahead", r->fetch_ahead, 0,
					      4096);
		if (o->fetch_ahead_kb % 4)
			opt_fail("fetch_ahead", r->fetch_ahead,
				 "not a multiple of 4 (KB of 4 KiB pages)");
	}
	if (r->fetch_streams) {
		o->fetch_streams = parse_u32("fetch_streams", r->fetch_streams,
					     1, FS_FETCH_STREAMS_MAX);
		if (o->fetch_streams > 1 && o->fetch_ahead_kb <= 4)
			opt_fail("fetch_streams", r->fetch_streams,
				 "reads windows of fetch_ahead=KB side by "
				 "side; set fetch_ahead above 4");
	}
	if (r->refscan)
		o->refscan = parse_u32("refscan", r->refscan, 0, 100000000);
	if (r->dirty_bg)
		o->dirty_background_pct = parse_u32("dirty_background",
						    r->dirty_bg, 0, 100);
	if (r->dirty_max)
		o->dirty_max_pct = parse_u32("dirty_max", r->dirty_max, 1,
					     100);
	if (r->dirty_expire)
		o->dirty_expire_ms = parse_u32("dirty_expire_ms",
					       r->dirty_expire, 1, 86400000);
	if (r->threads)
		o->max_threads = parse_u32("threads", r->threads, 2, 1024);
	if (r->reclaim) {
		if (strcmp(r->reclaim, "background") &&
		    strcmp(r->reclaim, "direct"))
			opt_fail("reclaim", r->reclaim, "not background or "
				 "direct");
		o->reclaim_direct = !strcmp(r->reclaim, "direct");
	}
	if (o->dirty_background_pct > o->dirty_max_pct) {
		char why[48];

		snprintf(why, sizeof(why), "above dirty_max=%u",
			 o->dirty_max_pct);
		opt_fail("dirty_background", r->dirty_bg, why);
	}
	if (r->latency && store_latency_parse(r->latency, &o->lat_kind,
					      &o->lat_usec) < 0)
		opt_fail("store_latency", r->latency, "not hdd, ssd, none or "
			 "microseconds in 0..10000000");
	if (r->trace && !r->trace[0])
		opt_fail("trace", r->trace, "needs a file name");
	o->http_retries = 3;
	if (r->http_retries)
		o->http_retries = parse_u32("http_retries", r->http_retries, 0,
					    20);
	/* Both are read again after the daemon has gone to the background
	 * (curl reads netrc for each request, the S3 store its credentials
	 * when the server refuses them), where the working directory is
	 * "/": a relative path is made absolute here. */
	if (r->netrc && (access(r->netrc, R_OK) < 0 ||
			 !realpath(r->netrc, netrc_abs)))
		opt_fail("netrc", r->netrc, strerror(errno));
	o->netrc = r->netrc ? netrc_abs : NULL;
	if (r->credentials && (access(r->credentials, R_OK) < 0 ||
			       !realpath(r->credentials, credentials_abs)))
		opt_fail("credentials", r->credentials, strerror(errno));
	o->credentials = r->credentials ? credentials_abs : NULL;
	o->s3_endpoint = r->s3_endpoint;
	o->s3_region = r->s3_region;
	if (r->s3_addressing && strcmp(r->s3_addressing, "path") &&
	    strcmp(r->s3_addressing, "virtual"))
		opt_fail("s3_addressing", r->s3_addressing,
			 "not path or virtual");
	o->s3_virtual = r->s3_addressing &&
			!strcmp(r->s3_addressing, "virtual");
	/* S3: parts of 5 MiB at least (but the last), 5 GiB at most */
	if (r->s3_part_size)
		o->s3_part_mib = parse_u32("s3_part_size", r->s3_part_size, 5,
					   5120);
	if (o->s3_virtual && ip_host(r->s3_endpoint ? r->s3_endpoint :
				     "https://s3.amazonaws.com"))
		opt_fail("s3_addressing", r->s3_addressing, "the bucket "
			 "cannot go into an IP address: give s3_endpoint a "
			 "host name");
	if (r->s3_endpoint && strncasecmp(r->s3_endpoint, "http://", 7) &&
	    strncasecmp(r->s3_endpoint, "https://", 8))
		opt_fail("s3_endpoint", r->s3_endpoint, "not an http:// or "
			 "https:// URL");
	if (!is_s3(r->backing) &&
	    (r->s3_endpoint || r->s3_region || r->credentials ||
	     r->s3_addressing || r->s3_part_size))
		opt_fail(r->s3_endpoint ? "s3_endpoint" :
			 r->s3_region ? "s3_region" :
			 r->credentials ? "credentials" :
			 r->s3_addressing ? "s3_addressing" : "s3_part_size",
			 r->s3_endpoint ? r->s3_endpoint :
			 r->s3_region ? r->s3_region :
			 r->credentials ? r->credentials :
			 r->s3_addressing ? r->s3_addressing : r->s3_part_size,
			 "only for an s3:// store");
	if (is_s3(r->backing) && r->netrc)
		opt_fail("netrc", r->netrc, "not for an s3:// store "
			 "(credentials=FILE)");
	if (!is_url(r->backing) && (r->netrc || r->http_retries))
		opt_fail(r->netrc ? "netrc" : "http_retries",
			 r->netrc ? r->netrc : r->http_retries,
			 "only for an http:// or https:// store");
	if (r->cacert && !is_url(r->backing))
		opt_fail("cacert", r->cacert, "only for an https:// store or "
			 "an s3:// one");
	if (r->cacert && access(r->cacert, R_OK) < 0)
		opt_fail("cacert", r->cacert, strerror(errno));
	o->cacert = r->cacert;
	/* Reading ahead more than the pool can hold would evict pages before
	 * anyone used them: at most half the pool, as the kernel's own
	 * max_sane_readahead() once held readahead to half of free memory. */
	if (o->readahead_kb > o->nframes * 2u) {
		prog_errf("-o readahead=%u: reading ahead %u KB, half the pool",
			  o->readahead_kb, o->nframes * 2u);
		o->readahead_kb = o->nframes * 2u;
	}
	if (o->nframes < 2 * o->max_threads + 8) {
		char why[96], val[16];

		snprintf(why, sizeof(why), "pool too small: %u worker threads "
			 "need at least %u frames", o->max_threads,
			 2 * o->max_threads + 8);
		snprintf(val, sizeof(val), "%u", o->nframes);
		if (r->cache)
			opt_fail("cache", r->cache, why);
		opt_fail("frames", r->frames ? r->frames : val, why);
	}
}

/* Puts the latency wrapper (with the data-path counters) and fault
 * injection in front of fs->store and makes the root inode; or -1 after
 * printing. */
static int store_chain(struct fs *fs, const char *what)
{
	struct stat st;
	int rc;

	fs->store = store_latency_new(fs->store, fs->o.lat_kind,
				      fs->o.lat_usec);
	if (fs->store)
		fs->store = store_fault_new(fs->store);
	if (!fs->store) {
		prog_errf("%s", strerror(errno));
		return -1;
	}
	rc = store_root(fs->store, &fs->root.obj, &st);
	if (rc < 0) {
		prog_errf("%s: %s", what, strerror(-rc));
		return -1;
	}
	fs->root.dev = st.st_dev;
	fs->root.bino = st.st_ino;
	fs->root.type = S_IFDIR;
	fs->root.nlookup = 2;
	pthread_rwlock_init(&fs->root.trunc_lock, NULL);
	pthread_mutex_init(&fs->root.flush_lock, NULL);
	return 0;
}

/* The backing directory, as the store chain fs->store (dir, then the
 * latency wrapper with its counters, then fault injection outermost) and
 * the root inode; or -1 after printing.  Refused when the daemon, as it
 * runs now (its effective ids), cannot read and search it: such a mount
 * would come up and then fail every access with EACCES.  Root passes the
 * permission bits, so for root this is opendir() alone (an LSM or a dead
 * mount can still say no). */
static int open_backing(struct fs *fs, const char *path)
{
	char why[160];
	DIR *d;

	fs->backing = realpath(path, NULL);
	if (!fs->backing) {
		fprintf(stderr, "framefs: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fs->store = store_dir_new(fs->backing, why, sizeof(why));
	if (!fs->store) {
		fprintf(stderr, "framefs: %s: %s\n", path, strerror(errno));
		return -1;
	}
	d = NULL;
	if (faccessat(AT_FDCWD, fs->backing, R_OK | X_OK, AT_EACCESS) < 0 ||
	    !(d = opendir(fs->backing))) {
		fprintf(stderr, "framefs: %s: %s (the daemon, uid %u, must "
			"read and search the backing directory)\n", path,
			strerror(errno), (unsigned)geteuid());
		return -1;
	}
	closedir(d);
	return store_chain(fs, path);
}

/* The daemon's log lines from the http store (a retry, a write refused on
 * a changed file).  While the mount is being set up they are held back:
 * a refusal is one line, the store's reason, and the probe's retries of a
 * server that does not answer would come before it. */
static bool http_log_on;		/* atomic */

static void http_log(void *arg, const char *line)
{
	(void)arg;
	if (__atomic_load_n(&http_log_on, __ATOMIC_RELAXED))
		fprintf(stderr, "framefs: %s\n", line);
}

/* s3://BUCKET[/PREFIX] -> ENDPOINT/BUCKET/PREFIX/ (path-style). */
static char *s3_base(const char *url, const char *endpoint, char *why,
		     size_t wlen)
{
	const char *b = url + 5;
	size_t n = strlen(endpoint);
	char *base;

	while (n && endpoint[n - 1] == '/')
		n--;
	if (!*b || *b == '/') {
		snprintf(why, wlen, "%s: no bucket (s3://BUCKET[/PREFIX])",
			 url);
		return NULL;
	}
	if (asprintf(&base, "%.*s/%s%s", (int)n, endpoint, b,
		     b[strlen(b) - 1] == '/' ? "" : "/") < 0)
		return NULL;
	return base;
}

/* A WebDAV collection or a plain HTTP server as the store, probed here:
 * one line and -1 if it does not answer, is not a collection, or refuses
 * the credentials. */
static int open_url(struct fs *fs, const char *url)
{
	struct webdav_opts wo;
	char why[400], key[128], secret[256], token[S3_TOKEN_MAX];
	char *s3url = NULL;

	webdav_opts_default(&wo);
	if (is_s3(url)) {
		wo.s3_region = fs->o.s3_region ? fs->o.s3_region
					       : "us-east-1";
		s3url = s3_base(url, fs->o.s3_endpoint ? fs->o.s3_endpoint :
				"https://s3.amazonaws.com", why, sizeof(why));
		if (!s3url ||
		    s3_keys_read(fs->o.credentials, key, sizeof(key), secret,
			    sizeof(secret), token, sizeof(token), why,
			    sizeof(why)) < 0) {
			prog_errf("%s", s3url ? why : why[0] ? why :
				  strerror(ENOMEM));
			free(s3url);
			return -1;
		}
		wo.s3_access_key = key;
		wo.s3_secret_key = secret;
		wo.s3_session_token = token[0] ? token : NULL;
		wo.s3_credentials = fs->o.credentials;
		wo.s3_virtual = fs->o.s3_virtual;
		wo.s3_part_mib = fs->o.s3_part_mib;
	}
	wo.retries = fs->o.http_retries;
	wo.netrc = fs->o.netrc;
	wo.cacert = fs->o.cacert;
	wo.readonly = fs->o.readonly;
	wo.log = http_log;
	fs->backing = strdup(url);
	if (!fs->backing) {
		prog_errf("%s", strerror(ENOMEM));
		return -1;
	}
	fs->store = store_http_new(s3url ? s3url : url, &wo, why, sizeof(why));
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(token, sizeof(token));
	free(s3url);
	if (!fs->store) {
		/* why names the URL (never its credentials) */
		prog_errf("%s", why);
		return -1;
	}
	/* store_http_new keeps what it needs of wo; the URL it speaks is
	 * normalized (a trailing '/'): messages name that one. */
	free(fs->backing);
	fs->backing = strdup(store_where(fs->store));
	if (!fs->backing) {
		prog_errf("%s", strerror(ENOMEM));
		return -1;
	}
	return store_chain(fs, url);
}

/* Is the directory (dev, ino) the directory real or one of its ancestors?
 * real is a realpath (no symlink, no "..", no "."), so cutting it at each
 * '/' walks its true ancestors; comparing identities rather than strings
 * also finds the directory when it is reached through a bind mount. */
static bool dir_is_under(const char *real, dev_t dev, ino_t ino)
{
	char buf[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(buf, sizeof(buf), "%s", real);
	for (;;) {
		if (stat(buf, &st) == 0 && st.st_dev == dev &&
		    st.st_ino == ino)
			return true;
		slash = strrchr(buf, '/');
		if (!slash || !buf[1])
			return false;		/* "/" was the last */
		slash[slash == buf] = '\0';	/* "/a" -> "/", "/a/b" -> "/a" */
	}
}

/* A mountpoint must be a directory with nothing mounted on it yet, and
 * neither inside the backing tree (the daemon would serve, and hold busy,
 * its own mount) nor above it (the mount would hide the directory it
 * serves from everyone else). */
static int check_mountpoint(const char *mp, const char *backing_arg,
			    const struct fs *fs)
{
	char parent[PATH_MAX];
	struct stat st, pst;
	char *real;
	int rc = -1;

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
	if (!real) {
		fprintf(stderr, "framefs: %s: %s\n", mp, strerror(errno));
		return -1;
	}
	if (!fs->backing)
		rc = 0;		/* a URL: the store is not a directory here */
	else if (st.st_dev == fs->root.dev && st.st_ino == fs->root.bino)
		fprintf(stderr, "framefs: %s: mountpoint is the backing "
			"directory\n", mp);
	else if (dir_is_under(real, fs->root.dev, fs->root.bino))
		fprintf(stderr, "framefs: %s: mountpoint inside the backing "
			"directory %s (the daemon would hold its own mount "
			"busy)\n", mp, backing_arg);
	else if (dir_is_under(fs->backing, st.st_dev, st.st_ino))
		fprintf(stderr, "framefs: %s: backing directory inside the "
			"mountpoint %s (the mount would hide it)\n",
			backing_arg, mp);
	else
		rc = 0;
	free(real);
	return rc;
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
		fprintf(stderr, "framefs: -o readahead=%u: the kernel reads ahead "
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
		fprintf(stderr, "framefs: -o readahead=%u: the kernel reads ahead "
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
		fprintf(stderr, "framefs: -o frames=%u: %s\n",
			fs->o.nframes, strerror(errno));
		return -1;
	}
	fs->page_size = cache_page_size(fs->cache);
	if (itab_init(fs) < 0) {
		fprintf(stderr, "framefs: %s\n", strerror(ENOMEM));
		return -1;
	}
	pthread_mutex_init(&fs->wait_lock, NULL);
	pthread_mutex_init(&fs->trace_lock, NULL);
	ctl_init(fs, fs->o.policy);
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
			fprintf(stderr, "framefs: -o trace=%s: %s\n",
				fs->o.trace_path, strerror(-rc));
			return -1;
		}
		/* For stats: the daemon leaves its working directory. */
		fs->trace_real = realpath(fs->o.trace_path, NULL);
	}
	return 0;
}

static void cmdline_free(struct cmdline *cl)
{
	char **f[] = { &cl->frames, &cl->cache, &cl->policy, &cl->readahead,
		       &cl->refscan, &cl->dirty_bg, &cl->dirty_max,
		       &cl->dirty_expire, &cl->latency, &cl->trace,
		       &cl->threads, &cl->reclaim, &cl->netrc,
		       &cl->http_retries, &cl->fetch_ahead, &cl->s3_endpoint,
		       &cl->s3_region, &cl->credentials, &cl->s3_addressing,
		       &cl->cacert, &cl->s3_part_size, &cl->fetch_streams,
		       &cl->fuse_opts };

	for (size_t i = 0; i < NELEM(f); i++) {
		free(*f[i]);
		*f[i] = NULL;
	}
}

/* What libfuse's session gets: the options framefs passes on, and -d.
 * The mount's type is fuse.framefs unless subtype= says otherwise, as
 * libfuse's own command-line parser made it.
 *
 * allow_other brings default_permissions with it.  The daemon reads and
 * writes the store with its own rights, so without the kernel checking
 * each caller against the modes and owners the mount reports (the store's
 * own), any user could read a 0600 file of the user who mounted.  The
 * kernel's check is the one the store's filesystem would make, with no
 * second implementation of it in the daemon to drift apart. */
static int session_args(struct cmdline *cl, const char *argv0,
			struct fuse_args *args)
{
	if ((cl->allow_other && !cl->default_permissions &&
	     fuse_opt_add_opt(&cl->fuse_opts, "default_permissions") < 0) ||
	    (!cl->subtype &&
	     fuse_opt_add_opt(&cl->fuse_opts, "subtype=framefs") < 0) ||
	    fuse_opt_add_arg(args, argv0) < 0 ||
	    (cl->debug && fuse_opt_add_arg(args, "-d") < 0) ||
	    (cl->fuse_opts && (fuse_opt_add_arg(args, "-o") < 0 ||
			       fuse_opt_add_arg(args, cl->fuse_opts) < 0))) {
		prog_errf("%s", strerror(ENOMEM));
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *lc = NULL;
	struct cmdline cl = { 0 };
	static struct fs fs;
	char *mp_real = NULL;
	int ret = 1;
	uint32_t left;
	char dump[64];

	cmdline_parse(argc, argv, &cl);
	opts_check(&cl, &fs.o);
	fs.o.clone_fd = cl.clone_fd;
	fs.o.readonly = cl.readonly;
	if (is_url(cl.backing)) {
		/* The mountpoint first: no request for a mount that
		 * cannot be made. */
		if (check_mountpoint(cl.mountpoint, cl.backing, &fs) < 0 ||
		    open_url(&fs, cl.backing) < 0)
			goto out;
	} else if (looks_like_url(cl.backing) &&
		   access(cl.backing, F_OK) < 0) {
		prog_errf("%s: not a directory, nor an http:// or https:// "
			  "URL", cl.backing);
		goto out;
	} else if (open_backing(&fs, cl.backing) < 0 ||
		   check_mountpoint(cl.mountpoint, cl.backing, &fs) < 0) {
		goto out;
	}
	/* The mount is made, and later unmounted, by its real path: the
	 * daemon leaves its working directory in fuse_daemonize(). */
	mp_real = realpath(cl.mountpoint, NULL);
	if (!mp_real) {
		prog_errf("%s: %s", cl.mountpoint, strerror(errno));
		goto out;
	}
	if (fs_init(&fs) < 0 || session_args(&cl, argv[0], &args) < 0)
		goto out;

	fs.se = fuse_session_new(&args, &framefs_ops, sizeof(framefs_ops),
				 &fs);
	if (!fs.se)
		goto out;
	if (fuse_set_signal_handlers(fs.se) != 0)
		goto out_session;
	if (fuse_session_mount(fs.se, mp_real) != 0)
		goto out_signals;
	bdi_readahead(mp_real, fs.o.readahead_kb);
	__atomic_store_n(&http_log_on, true, __ATOMIC_RELAXED);
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
	fuse_loop_cfg_set_clone_fd(lc, cl.clone_fd);
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
	if (fs.cache) {
		struct cache_stats cs;

		/* A big pool of dirty frames can take a while to write back:
		 * say what the wait is for (seen with -f; in the background
		 * stderr is gone). */
		cache_stats(fs.cache, &cs);
		if (cs.frames_dirty)
			prog_errf("unmount: writing back %u dirty pages to %s",
				  cs.frames_dirty, fs.backing);
	}
	left = fs.cache ? pager_final_flush(&fs) : 0;
	/* Never dropped: saved where the user can take them back.  First
	 * what the store holds itself (an object store's spool, whole),
	 * then the frames over it, each page at its offset. */
	dump_dir(dump, sizeof(dump));
	if (fs.store) {
		int err;
		uint32_t files = store_save_unwritten(fs.store, dump, &err);

		if (files) {
			fprintf(stderr, "framefs: %u file%s could not be "
				"written to %s; saved under %s/ whole (each "
				"at its path)\n", files, files == 1 ? "" : "s",
				fs.backing, dump);
			ret = 1;
		}
		if (err) {
			fprintf(stderr, "framefs: files could not be written "
				"to %s nor saved under %s/ (%s); their data is "
				"lost\n", fs.backing, dump, strerror(-err));
			ret = 1;
		}
	}
	if (left) {
		uint32_t saved;
		int err = 0;

		saved = pager_save_unwritten(&fs, dump, &err);
		if (saved)
			fprintf(stderr, "framefs: %u dirty pages could not be "
				"written to %s; saved under %s/ (each file at "
				"its path, the pages at their offsets)\n", saved,
				fs.backing, dump);
		if (saved < left)
			fprintf(stderr, "framefs: %u dirty pages could not be "
				"written to %s nor saved under %s/ (%s); their "
				"data is lost\n", left - saved, fs.backing,
				dump, strerror(err ? -err : EIO));
		ret = 1;
	}
	rmdir(dump);	/* if nothing was saved in it */
	if (fs.trace && trace_writer_close(fs.trace) < 0) {
		fprintf(stderr, "framefs: -o trace=%s: could not write the whole "
			"trace\n", fs.o.trace_path);
		ret = 1;
	}
	if (fs.by_key)
		itab_release(&fs);
	if (fs.root.obj)
		store_release(fs.store, fs.root.obj);
	cache_free(fs.cache);
	store_free(fs.store);
	free(fs.backing);
	free(fs.trace_real);
	free(mp_real);
	cmdline_free(&cl);
	fuse_opt_free_args(&args);
	return ret;
}
