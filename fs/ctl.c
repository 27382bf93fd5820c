/* ctl.c - MOUNT/.framefs/: the daemon's counters and frames as files.
 *
 *   stats    "name value" per line, like /proc/vmstat; counters are
 *            monotonic except across "reset"; the policy with all its
 *            parameters first, the options in force last
 *   frames   one line per resident frame: "fno id pgno state"
 *   files    one line per file with frames or reads:
 *            "id ino size resident dirty reads frame_hits frame_misses path"
 *            (path last, so it may hold spaces; ino is the st_ino clients
 *            see, id the cache key that `frames` and trace= use)
 *   control  write one command per line: drop, sync, reset, refscan N,
 *            policy SPEC, fault read|write ERRNO|off; reading it lists
 *            them, then "last: CMD: ok" or "last: CMD: why" for the last
 *            command run.  A bad command fails the write() with its errno
 *            (EINVAL for one the daemon cannot parse); the why is in that
 *            line and on the daemon's stderr, since an errno alone cannot
 *            say which parameter was wrong.
 *
 * Who may do what: control takes commands from the user who mounted and
 * root only, and files (it names paths) is theirs to read; stats and
 * frames hold counters and numbers and are for every user the mount lets
 * in.  Refused: EACCES at open, and for a write() again at the write.
 *
 * The directory is not listed in the root; lookups of it work.  Each open
 * takes a snapshot (direct_io, so st_size 0 does not stop reads): a reader
 * sees one consistent text however small its reads are.
 */
#include "framefs.h"
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	fuse_ino_t nodeid;
	mode_t mode;
} ctl_files[] = {
	{ "stats", CTL_STATS, S_IFREG | 0444 },
	{ "frames", CTL_FRAMES, S_IFREG | 0444 },
	{ "files", CTL_FILES, S_IFREG | 0400 },	/* names paths */
	{ "control", CTL_CONTROL, S_IFREG | 0644 },
};
#define NCTL (sizeof(ctl_files) / sizeof(ctl_files[0]))

static const char control_help[] =
	"# commands, one per line (echo CMD > control):\n"
	"# drop                   evict every clean frame (kernel copies too)\n"
	"# sync                   write back every dirty frame now\n"
	"# reset                  counters in stats start again from 0\n"
	"# refscan N              reference scan at N pages/s (0 = off)\n"
	"# policy NAME[:K=V,...]  switch the eviction policy now; it starts\n"
	"#                        with the resident pages in frame order\n"
	"# fault read|write ERR   the store fails with ERR (EIO, ENOSPC, ...)\n"
	"# fault read|write off   the store works again\n"
	"# the line below is the last command's result: ok, or why not\n";

struct ctl_fh {
	char *buf;
	size_t len;
};

/* Whether the caller of req may command the daemon or list the paths it
 * serves: the user who mounted, and root.  The kernel's check of the modes
 * above comes first (allow_other brings default_permissions); this one
 * also sees the writer of a descriptor that was opened by the owner and
 * handed on, which the kernel checked only at open. */
static bool ctl_owner(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	return ctx->uid == 0 || ctx->uid == getuid();
}

bool ctl_is(fuse_ino_t nodeid)
{
	return nodeid >= CTL_DIR && nodeid < CTL__END;
}

static void ctl_stat(fuse_ino_t nodeid, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = nodeid;
	st->st_nlink = 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (nodeid == CTL_DIR) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return;
	}
	for (size_t i = 0; i < NCTL; i++)
		if (ctl_files[i].nodeid == nodeid)
			st->st_mode = ctl_files[i].mode;
}

void ctl_lookup(struct fs *fs, fuse_req_t req, fuse_ino_t parent,
		const char *name)
{
	struct fuse_entry_param e = { 0 };

	(void)fs;
	if (parent == FUSE_ROOT_ID && !strcmp(name, CTL_DIRNAME)) {
		e.ino = CTL_DIR;
	} else if (parent == CTL_DIR) {
		for (size_t i = 0; i < NCTL; i++)
			if (!strcmp(name, ctl_files[i].name))
				e.ino = ctl_files[i].nodeid;
	}
	if (!e.ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	ctl_stat(e.ino, &e.attr);
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	fuse_reply_entry(req, &e);
}

void ctl_getattr(struct fs *fs, fuse_req_t req, fuse_ino_t nodeid)
{
	struct stat st;

	(void)fs;
	ctl_stat(nodeid, &st);
	fuse_reply_attr(req, &st, 1.0);
}

void ctl_readdir(struct fs *fs, fuse_req_t req, size_t size, off_t off,
		 bool plus)
{
	char *buf = calloc(1, size);
	size_t used = 0;

	(void)fs;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = (size_t)off; i < NCTL + 2; i++) {
		const char *name = i == 0 ? "." : i == 1 ? ".." :
				   ctl_files[i - 2].name;
		fuse_ino_t nodeid = i == 0 ? CTL_DIR : i == 1 ? FUSE_ROOT_ID :
				    ctl_files[i - 2].nodeid;
		struct fuse_entry_param e = { 0 };
		size_t n;

		ctl_stat(nodeid, &e.attr);
		if (plus) {
			/* "." and ".." get no lookup count (ino 0 = none). */
			e.ino = i < 2 ? 0 : nodeid;
			e.attr.st_ino = nodeid;
			e.attr_timeout = e.entry_timeout = 1.0;
			n = fuse_add_direntry_plus(req, buf + used, size - used,
						   name, &e, (off_t)i + 1);
		} else {
			n = fuse_add_direntry(req, buf + used, size - used,
					      name, &e.attr, (off_t)i + 1);
		}
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/* ---- contents --------------------------------------------------------- */

#define D(f) ((unsigned long long)(n.f - b.f))

/* Copies counters field by field with atomic loads and stores: requests
 * move them meanwhile, and "reset" may write the base. */
static void counters_copy(struct fs_counters *dst,
			  const struct fs_counters *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		__atomic_store_n(&d[i], __atomic_load_n(&s[i],
							__ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
}

static void ctl_stats_print(struct fs *fs, FILE *out)
{
	struct fs_counters n, b;
	struct cache_stats cs;
	struct store_stats ss;

	cache_stats(fs->cache, &cs);
	store_stats(fs->store, &ss);
	counters_copy(&b, &fs->base);
	counters_copy(&n, &fs->n);
	pthread_mutex_lock(&fs->ctl_lock);
	fprintf(out, "policy %s\n", fs->policy_spec);
	pthread_mutex_unlock(&fs->ctl_lock);
	fprintf(out, "page_size %u\n", fs->page_size);
	fprintf(out, "frames_total %u\nframes_free %u\nframes_resident %u\n"
		"frames_dirty %u\nfiles %u\n", cs.frames_total, cs.frames_free,
		cs.frames_resident, cs.frames_dirty, cs.files);
	fprintf(out, "reads %llu\nread_bytes %llu\nframe_hits %llu\n"
		"frame_misses %llu\nwrites %llu\nwrite_bytes %llu\n"
		"writepages %llu\nwrite_throttles %llu\nframe_waits %llu\n"
		"frame_steals %llu\ninval_deferred %llu\n",
		D(reads), D(read_bytes), D(frame_hits), D(frame_misses),
		D(writes), D(write_bytes), D(writepages), D(write_throttles),
		D(frame_waits), D(frame_steals), D(inval_deferred));
	fprintf(out, "inval_calls %llu\nrefscan_invalidations %llu\n"
		"flushes %llu\nflush_errors %llu\nfsyncs %llu\n",
		D(inval_calls), D(refscan_invalidations), D(flushes),
		D(flush_errors), D(fsyncs));
	fprintf(out, "cache_lookups %llu\ncache_hits %llu\ncache_misses %llu\n"
		"evictions %llu\nevictions_dirty %llu\nevict_aborts %llu\n"
		"dirty_marks %llu\nwritebacks %llu\nwriteback_errors %llu\n"
		"load_errors %llu\ndrops %llu\nframes_fetched_ahead %llu\n",
		(unsigned long long)cs.lookups, (unsigned long long)cs.hits,
		(unsigned long long)cs.misses, (unsigned long long)cs.evictions,
		(unsigned long long)cs.evictions_dirty,
		(unsigned long long)cs.evict_aborts,
		(unsigned long long)cs.dirty_marks,
		(unsigned long long)cs.writebacks,
		(unsigned long long)cs.writeback_errors,
		(unsigned long long)cs.load_errors,
		(unsigned long long)cs.drops,
		(unsigned long long)cs.inserts_ahead);
	fprintf(out, "store_reads %llu\nstore_writes %llu\nstore_fsyncs %llu\n"
		"store_fallocates %llu\nstore_errors %llu\n"
		"store_read_bytes %llu\nstore_write_bytes %llu\n"
		"store_delay_us %llu\n",
		(unsigned long long)ss.store_reads,
		(unsigned long long)ss.store_writes,
		(unsigned long long)ss.store_fsyncs,
		(unsigned long long)ss.store_fallocates,
		(unsigned long long)ss.store_errors,
		(unsigned long long)ss.store_read_bytes,
		(unsigned long long)ss.store_write_bytes,
		(unsigned long long)ss.store_delay_us);
	fprintf(out, "refscan_pages_per_s %u\nreadahead_kb %u\n"
		"dirty_background_pct %u\ndirty_max_pct %u\n"
		"dirty_expire_ms %u\nstore_latency %s\n",
		__atomic_load_n(&fs->refscan, __ATOMIC_RELAXED),
		fs->o.readahead_kb, fs->o.dirty_background_pct,
		fs->o.dirty_max_pct, fs->o.dirty_expire_ms,
		store_latency_name(fs->o.lat_kind));
	/* The rest of the options in force, after every older line, so
	 * that readers that stop at a name they know keep working.  A path
	 * is the rest of its line (it may hold spaces). */
	fprintf(out, "store_latency_us %u\nthreads %u\nclone_fd %u\n"
		"trace %s\nstore %s\nstore_path %s\n", fs->o.lat_usec,
		fs->o.max_threads, fs->o.clone_fd ? 1u : 0u,
		fs->trace_real ? fs->trace_real :
		fs->o.trace_path ? fs->o.trace_path : "none",
		store_kind(fs->store), store_where(fs->store));
	fprintf(out, "reclaim %s\nfetch_ahead_kb %u\nfetch_streams %u\n",
		fs->o.reclaim_direct ? "direct" : "background",
		fs->o.fetch_ahead_kb, fs->o.fetch_streams);
	/* The store's own lines, if it has any (the http store's), last. */
	{
		char small[1024], *extra = small;
		int len = store_stats_format(fs->store, small, sizeof(small));

		if (len >= (int)sizeof(small)) {
			extra = malloc((size_t)len + 1);
			if (extra)
				len = store_stats_format(fs->store, extra,
							 (size_t)len + 1);
		}
		if (extra && len > 0)
			fprintf(out, "%s%s", extra,
				extra[len - 1] != '\n' ? "\n" : "");
		if (extra != small)
			free(extra);
	}
}
#undef D

static void frame_line(void *arg, uint32_t fno, uint64_t ino, uint64_t pgno,
		       enum frame_state s)
{
	fprintf(arg, "%u %llu %llu %s\n", fno, (unsigned long long)ino,
		(unsigned long long)pgno, frame_state_name(s));
}

struct files_arg {
	struct fs *fs;
	FILE *out;
};

static void file_line(void *arg, struct inode *in)
{
	struct files_arg *a = arg;
	uint32_t res = cache_file_nresident(a->fs->cache, in->id);
	char path[4096];
	uint64_t reads = __atomic_load_n(&in->reads, __ATOMIC_RELAXED);

	if (!res && !reads)
		return;
	/* Under itab_lock: the dir store answers from /proc/self/fd
	 * without blocking. */
	if (!inode_path(a->fs, in, path, sizeof(path)))
		strcpy(path, "?");
	fprintf(a->out, "%llu %llu %llu %u %u %llu %llu %llu %s\n",
		(unsigned long long)in->id, (unsigned long long)in->bino,
		(unsigned long long)inode_size(in), res,
		cache_file_ndirty(a->fs->cache, in->id),
		(unsigned long long)reads,
		(unsigned long long)__atomic_load_n(&in->frame_hits,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&in->frame_misses,
						    __ATOMIC_RELAXED),
		path);
}

void ctl_open(struct fs *fs, fuse_req_t req, fuse_ino_t nodeid,
	      struct fuse_file_info *fi)
{
	struct ctl_fh *fh = calloc(1, sizeof(*fh));
	FILE *out;

	if (!fh || nodeid == CTL_DIR) {
		free(fh);
		fuse_reply_err(req, fh ? EISDIR : ENOMEM);
		return;
	}
	if ((nodeid != CTL_CONTROL && (fi->flags & O_ACCMODE) != O_RDONLY) ||
	    (nodeid == CTL_CONTROL && (fi->flags & O_ACCMODE) != O_RDONLY &&
	     !ctl_owner(req)) ||
	    (nodeid == CTL_FILES && !ctl_owner(req))) {
		free(fh);
		fuse_reply_err(req, EACCES);
		return;
	}
	out = open_memstream(&fh->buf, &fh->len);
	if (!out) {
		free(fh);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	switch (nodeid) {
	case CTL_STATS:
		ctl_stats_print(fs, out);
		break;
	case CTL_FRAMES:
		cache_foreach_frame(fs->cache, frame_line, out);
		break;
	case CTL_FILES: {
		struct files_arg a = { fs, out };

		inode_foreach(fs, file_line, &a);
		break;
	}
	case CTL_CONTROL:
		fputs(control_help, out);
		pthread_mutex_lock(&fs->ctl_lock);
		fprintf(out, "last: %s\n",
			fs->ctl_last[0] ? fs->ctl_last : "none");
		pthread_mutex_unlock(&fs->ctl_lock);
		break;
	}
	fclose(out);
	fi->fh = (uint64_t)(uintptr_t)fh;
	fi->direct_io = 1;
	fi->nonseekable = 0;
	fuse_reply_open(req, fi);
}

void ctl_read(struct fs *fs, fuse_req_t req, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	struct ctl_fh *fh = (struct ctl_fh *)(uintptr_t)fi->fh;
	char *copy;

	(void)fs;
	if ((size_t)off >= fh->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > fh->len - (size_t)off)
		size = fh->len - (size_t)off;
	/* Reply from a copy: the kernel completes the read inside our
	 * writev, so the reader's close (and the RELEASE that frees fh) may
	 * run before fuse_reply_buf returns. */
	copy = malloc(size);
	if (!copy) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(copy, fh->buf + off, size);
	fuse_reply_buf(req, copy, size);
	free(copy);
}

/* Writes spec with every parameter the policy has, in its order, each
 * value in the fewest digits that read back the same: "clock" becomes
 * "clock:bits=1", so stats shows what runs, defaults included.  Parameters
 * are joined with ':', which both -o policy= and control accept. */
static void policy_spec_full(const char *spec, char *buf, size_t len)
{
	const struct policy_ops *ops;
	double param[POLICY_MAX_PARAMS];
	char err[160];
	size_t n;

	if (policy_parse(spec, &ops, param, err, sizeof(err)) < 0) {
		snprintf(buf, len, "%s", spec);	/* checked before: unseen */
		return;
	}
	n = (size_t)snprintf(buf, len, "%s", ops->name);
	for (int i = 0; ops->params && ops->params[i].key && n < len; i++) {
		char num[32];

		for (int prec = 1; prec <= 17; prec++) {
			snprintf(num, sizeof(num), "%.*g", prec, param[i]);
			if (strtod(num, NULL) == param[i])
				break;
		}
		n += (size_t)snprintf(buf + n, len - n, ":%s=%s",
				      ops->params[i].key, num);
	}
}

static int parse_errno(const char *s)
{
	static const struct { const char *name; int err; } errs[] = {
		{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EROFS", EROFS },
		{ "EDQUOT", EDQUOT }, { "EACCES", EACCES }, { "EFBIG", EFBIG },
		{ "off", 0 },
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (!strcmp(s, errs[i].name))
			return errs[i].err;
	return -1;
}

/* Each command with the arguments it takes, as a refusal quotes it. */
static const struct {
	const char *name;
	int argc;
	const char *usage;
} ctl_cmds[] = {
	{ "drop", 1, "drop" },
	{ "sync", 1, "sync" },
	{ "reset", 1, "reset" },
	{ "refscan", 2, "refscan N" },
	{ "policy", 2, "policy NAME[:K=V:...]" },
	{ "fault", 3, "fault read|write ERRNO|off" },
};

/* Runs one command (argv[0] a name of ctl_cmds, with its argc); returns
 * 0 or -errno, with the reason in why. */
static int ctl_run(struct fs *fs, int argc, char **argv, char *why,
		   size_t whylen)
{
	(void)argc;
	if (!strcmp(argv[0], "drop") || !strcmp(argv[0], "sync")) {
		int rc = argv[0][0] == 'd' ? pager_drop_all(fs) :
					     pager_sync_all(fs);

		if (rc < 0)
			snprintf(why, whylen, "%s", strerror(-rc));
		return rc;
	}
	if (!strcmp(argv[0], "reset")) {
		counters_copy(&fs->base, &fs->n);
		return 0;
	}
	if (!strcmp(argv[0], "refscan")) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 10);

		if (*end || end == argv[1] || argv[1][0] == '-' ||
		    v > 100000000) {
			snprintf(why, whylen, "not in 0..100000000");
			return -EINVAL;
		}
		__atomic_store_n(&fs->refscan, (uint32_t)v, __ATOMIC_RELAXED);
		return 0;
	}
	if (!strcmp(argv[0], "fault")) {
		int err = parse_errno(argv[2]);

		if (strcmp(argv[1], "read") && strcmp(argv[1], "write")) {
			snprintf(why, whylen, "%s: not read or write",
				 argv[1]);
			return -EINVAL;
		}
		if (err < 0) {
			snprintf(why, whylen, "not EIO, ENOSPC, EROFS, "
				 "EDQUOT, EACCES, EFBIG or off");
			return -EINVAL;
		}
		if (store_fault(fs->store, !strcmp(argv[1], "write"),
				err) < 0) {
			snprintf(why, whylen, "this store has no fault "
				 "injection");
			return -ENOSYS;
		}
		return 0;
	}
	/* policy */
	{
		char err[160];
		size_t nlen = strcspn(argv[1], ":");
		int rc = cache_set_policy(fs->cache, argv[1], err,
					  sizeof(err));

		char full[sizeof(fs->policy_spec)];

		if (rc < 0) {
			/* err starts with the policy's name: said once. */
			const char *e = err;

			if (!strncmp(err, argv[1], nlen) &&
			    !strncmp(err + nlen, ": ", 2))
				e = err + nlen + 2;
			snprintf(why, whylen, "%s", e);
			return rc;
		}
		/* Under ctl_cmd_lock: no other switch runs in between. */
		policy_spec_full(argv[1], full, sizeof(full));
		pthread_mutex_lock(&fs->ctl_lock);
		memcpy(fs->policy_spec, full, sizeof(full));
		pthread_mutex_unlock(&fs->ctl_lock);
		return 0;
	}
}

/* Runs one command line and records its result for a reader of control
 * (and the daemon's stderr when it failed).  Returns 0 or -errno. */
static int ctl_command(struct fs *fs, char *line)
{
	char *argv[4] = { 0 }, *save = NULL, cmd[160] = "", why[160] = "";
	int argc = 0, rc = -EINVAL;
	size_t i;

	for (char *t = strtok_r(line, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (argc < 4)
			argv[argc] = t;
		argc++;
		/* The command as the result line quotes it: words joined by
		 * one space, cut short if long. */
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s",
			 argc > 1 ? " " : "", t);
	}
	if (argc == 0 || argv[0][0] == '#')
		return 0;
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(argv[0], ctl_cmds[i].name))
			break;
	if (i == sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))
		snprintf(why, sizeof(why), "unknown command (read control "
			 "for the list)");
	else if (argc != ctl_cmds[i].argc)
		snprintf(why, sizeof(why), "expected \"%s\"",
			 ctl_cmds[i].usage);
	else
		rc = ctl_run(fs, argc, argv, why, sizeof(why));
	if (rc < 0 && !why[0])
		snprintf(why, sizeof(why), "%s", strerror(-rc));
	pthread_mutex_lock(&fs->ctl_lock);
	snprintf(fs->ctl_last, sizeof(fs->ctl_last), "%s: %s", cmd,
		 rc < 0 ? why : "ok");
	pthread_mutex_unlock(&fs->ctl_lock);
	if (rc < 0)
		fprintf(stderr, "framefs: control: %s: %s\n", cmd, why);
	return rc;
}

void ctl_init(struct fs *fs, const char *spec)
{
	pthread_mutex_init(&fs->ctl_cmd_lock, NULL);
	pthread_mutex_init(&fs->ctl_lock, NULL);
	policy_spec_full(spec, fs->policy_spec, sizeof(fs->policy_spec));
}

/* A write of one or more command lines: they run in order, one writer's
 * at a time, and the first that fails ends the write with its errno. */
void ctl_write(struct fs *fs, fuse_req_t req, const char *buf, size_t size,
	       struct fuse_file_info *fi)
{
	char *text = malloc(size + 1), *save = NULL;
	int rc = 0;

	(void)fi;
	if (!text || !ctl_owner(req)) {
		free(text);
		fuse_reply_err(req, text ? EACCES : ENOMEM);
		return;
	}
	memcpy(text, buf, size);
	text[size] = '\0';
	pthread_mutex_lock(&fs->ctl_cmd_lock);
	for (char *l = strtok_r(text, "\n", &save); l && !rc;
	     l = strtok_r(NULL, "\n", &save))
		rc = ctl_command(fs, l);
	pthread_mutex_unlock(&fs->ctl_cmd_lock);
	free(text);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_write(req, size);
}

void ctl_release(struct fs *fs, fuse_req_t req, struct fuse_file_info *fi)
{
	struct ctl_fh *fh = (struct ctl_fh *)(uintptr_t)fi->fh;

	(void)fs;
	if (fh) {
		free(fh->buf);
		free(fh);
	}
	fuse_reply_err(req, 0);
}
