/* store_http.c - the store on a WebDAV collection or a plain HTTP server
 * (store.h's ops table over webdav.h).
 *
 * Identity.  HTTP has names, not inode numbers, so the store makes them:
 * a per-store table maps a path (relative to the base URL, "" the root)
 * to a node {path, ino, is_dir, size, mtime, etag, unlinked, refs}.  Inode
 * numbers count up from 2 (the root is 1) and are never reused while the
 * store lives; st_dev is a constant.  An object handle (struct store_obj)
 * IS a node, and each handle is one reference (refs).  A node stays in
 * the table when its last handle goes, so a name keeps its inode number
 * for the life of the mount, as readdir and lookup must agree.
 *   - A rename by this mount rewrites the path of the node and of every
 *     node under it (a prefix walk over all nodes), so held handles keep
 *     reaching their objects.
 *   - An unlink or rmdir, a rename over a name, or finding that the server
 *     no longer has (or has another kind of) object at a path *detaches*
 *     the node: it leaves the table and is marked unlinked; a getattr
 *     through a held handle gives st_nlink 0 and path() -ENOENT.  An
 *     object created at that path later is a new node with a new number.
 *     A detached node is freed with its last handle.
 * Mode bits are 0755/0644 (0555/0444 on a read-only store), uid and gid
 * the mounting process's.  chmod, utimens and chown (to the mount's own
 * uid/gid only, else -EPERM) are kept in the node for the mount's life
 * and never reach the server: HTTP has no place to keep them.
 *
 * Attributes.  lookup is a PROPFIND Depth 0 (HEAD on a plain server);
 * getattr answers from the node when its attributes were fetched or
 * written less than STALE_MS ago, else asks again.  The daemon keeps the
 * size of a file it has open itself; getattr's matters for the others.
 *
 * ETags and changes by others.  node->etag is the version of the object
 * whose data this mount last saw: set by create, by our own writes (the
 * new ETag webdav_put returns), by revalidate, and by the first read or
 * lookup of a node nobody holds.  A getattr or a read that meets another
 * ETag while the node is held does NOT adopt it: the daemon may hold pages
 * of the old version, so the next revalidate must report the change, and
 * the next write must be refused.  Writes are conditional on node->etag
 * (the If: header on DAV, see webdav.h); a 412 (-ESTALE: someone else
 * changed the object) becomes -EIO and one log line "PATH changed on the
 * server; not overwritten; dirty pages kept" (the pager keeps the pages
 * dirty and reports the error to fsync/close).  revalidate compares ETags
 * (weak and strong alike: Apache marks an ETag weak for a second after a
 * write); a server that sends none is compared by size and mtime.
 *
 * Data.  readv is one Range GET for all the buffers; with a
 * store_progress it tells the reader of each chunk of the body as it is
 * in (the pages of a fetch_ahead window are ready one by one, not when
 * the whole window is), and then fails rather than tries again.  On a
 * server whose probe found partial PUT (Content-Range) to work in place
 * (Apache mod_dav_fs), writev is one partial PUT, and fsync has nothing
 * to do.
 * Where partial PUT does not work (or store_http_spool_always), writes go
 * into a spool: on the first write or truncate the whole object is
 * downloaded once into an unnamed file (O_TMPFILE in $TMPDIR, else
 * /var/tmp), writes and truncates change that file, reads of a spooled
 * object come from it, and fsync, the release of the last handle and the
 * store's destroy PUT it back whole, conditional on the ETag it was
 * downloaded at.  A failed write-back keeps the spool (and its dirty
 * state) for the next try; an unlinked object's spool is dropped.  A
 * clean spool is dropped when revalidate finds the object changed.  The
 * spool costs a full download per written object and O(size) per
 * write-back: the price of a server that can only replace objects whole.
 * Except on S3, whose multipart upload can copy a part on the server: the
 * spool remembers which parts (8 MiB, or -o s3_part_size) its writes and
 * truncates touched since the version it was downloaded at (spool_base
 * bytes), and
 * an object of two parts or more is written back as a multipart upload
 * that sends the touched parts and copies the others (webdav_put_parts),
 * so a page changed in a large object costs one part, not the object.
 * truncate without a spool is webdav_truncate, conditional on the ETag.
 * fallocate: modes 0 and KEEP_SIZE allocate nothing (there is nothing to
 * allocate over HTTP; mode 0 extends the size); PUNCH_HOLE and ZERO_RANGE
 * write zeros through writev, 16 MiB a request (STORE_CAP_PUNCH: the
 * result reads as POSIX says, only no space is freed).
 *
 * Directories.  opendir snapshots the listing (PROPFIND Depth 1) with "."
 * and ".."; each entry's inode number comes from the table (new nodes for
 * new names); `next` is the index + 1.  A plain HTTP server (nginx) has
 * no listing a program can read in general (autoindex is off by default,
 * and its HTML differs between servers): readdir there is -EOPNOTSUPP;
 * lookup and getattr work by HEAD, so known paths can be opened and read.
 * rmdir lists first (DAV deletes collections recursively): -ENOTEMPTY,
 * -ENOTDIR.  rename is MOVE with Overwrite: T unless RENAME_NOREPLACE,
 * after the POSIX checks (a directory onto a non-empty one: -ENOTEMPTY;
 * onto a file: -ENOTDIR; a file onto a directory: -EISDIR);
 * RENAME_EXCHANGE is -EINVAL.  link, symlink, mknod, readlink: NULL.
 *
 * Locks.  h->lock (a mutex) guards the table, the list of all nodes and
 * every node field marked so.  node->io_lock (a rwlock) orders the writes,
 * truncates, fallocates and spool changes of one object (exclusive); in
 * spool mode, reads take it shared so that they never see a spool half
 * made.  Lock order: io_lock, then h->lock.  h->lock is never held
 * across a request; io_lock is (a write and its ETag must stay a chain).
 */
#include "store_http.h"

#include "clock.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HTTP_DEV ((dev_t)0x68747470)	/* "http": st_dev of every object */
#define ROOT_INO 1
#define STALE_MS 1000			/* getattr trusts the node this long */
#define SPOOL_CHUNK (1u << 20)		/* bytes per GET of a spool download */
#define ZERO_CHUNK 65536		/* bytes per iovec of fallocate's zeros */
#define ZERO_IOVS 256		/* iovecs per request: 16 MiB */
#define S3_PART_MIB 8			/* MiB per part of a multipart upload,
					 * by default (s3_part_size) */

struct store_obj {
	char *path;			/* under h->lock: from the base, no
					 * leading '/', "" for the root */
	ino_t ino;			/* constant */
	bool is_dir;			/* under h->lock */
	bool unlinked;			/* under h->lock: not in the table */
	uint64_t size;			/* under h->lock: bytes */
	int64_t mtime;			/* under h->lock: server's, s; -1 */
	char etag[WEBDAV_ETAG_MAX];	/* under h->lock: the version this
					 * mount last saw, "" unknown */
	uint64_t fresh_ms;		/* under h->lock: attributes fetched or
					 * written then (monotonic); 0 never */
	int perm;			/* under h->lock: chmod's, or -1 */
	struct timespec atime, mtime_set;	/* under h->lock: utimens' */
	bool has_atime, has_mtime;	/* under h->lock */
	uint32_t refs;			/* under h->lock: handles */
	pthread_rwlock_t io_lock;	/* see Locks above */
	int spool_fd;			/* under io_lock (written also under
					 * h->lock): the spool, or -1 */
	bool spool_dirty;		/* under io_lock and h->lock */
	uint64_t spool_base;		/* under io_lock: the size of the
					 * version the spool began at */
	uint8_t *parts;			/* under io_lock: h->part parts that
					 * changed since, 1 each; NULL none */
	uint64_t nparts;		/* under io_lock: parts' length */
	struct store_obj *hnext;	/* under h->lock: hash chain */
	struct store_obj *prev, *next;	/* under h->lock: all nodes */
};

struct store_dir {
	size_t n;			/* entries */
	struct store_dirent *ents;	/* next already set */
};

struct http {
	struct store base;		/* first: struct store * casts here */
	struct webdav *dav;		/* thread-safe on its own */
	struct webdav_caps caps;	/* the probe's; constant */
	bool spool;			/* writes through spools; set before
					 * any data call */
	uid_t uid;			/* the mounting process's; constant */
	gid_t gid;
	void (*log)(void *arg, const char *line);	/* or NULL: stderr */
	void *log_arg;
	char tmpdir[PATH_MAX];		/* where spools live */
	uint64_t part;			/* S3: bytes per part of a multipart
					 * upload; constant */
	pthread_mutex_t lock;		/* the table, the list, node fields */
	struct store_obj **buckets;	/* under lock: by path hash */
	size_t nbuckets;		/* under lock: a power of two */
	size_t count;			/* under lock: nodes in the table */
	struct store_obj *all;		/* under lock: every node, detached
					 * ones with handles included */
	ino_t next_ino;			/* under lock */
	uint64_t revalidations;		/* atomic: revalidate calls that got
					 * an answer */
	uint64_t revalidate_changed;	/* atomic: of those, objects another
					 * writer had changed */
};

static const struct store_ops http_ops;

static struct http *H(struct store *s)
{
	return (struct http *)s;
}

static void say(struct http *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct http *h, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (h->log)
		h->log(h->log_arg, line);
	else
		fprintf(stderr, "framefs: %s\n", line);
}

static bool readonly(struct http *h)
{
	return h->base.caps & STORE_CAP_READONLY;
}

/* ---- the table -------------------------------------------------------- */

static size_t hash_path(const char *p)
{
	uint64_t x = 14695981039346656037ull;	/* FNV-1a */

	for (; *p; p++)
		x = (x ^ (unsigned char)*p) * 1099511628211ull;
	return (size_t)x;
}

/* Caller holds h->lock. */
static struct store_obj *table_find(struct http *h, const char *path)
{
	struct store_obj *n = h->buckets[hash_path(path) & (h->nbuckets - 1)];

	while (n && strcmp(n->path, path))
		n = n->hnext;
	return n;
}

static void table_link(struct http *h, struct store_obj *n)
{
	struct store_obj **b = &h->buckets[hash_path(n->path) &
					   (h->nbuckets - 1)];

	n->hnext = *b;
	*b = n;
}

static void table_unlink(struct http *h, struct store_obj *n)
{
	struct store_obj **p = &h->buckets[hash_path(n->path) &
					   (h->nbuckets - 1)];

	while (*p != n) {
		assert(*p);
		p = &(*p)->hnext;
	}
	*p = n->hnext;
	n->hnext = NULL;
}

/* Doubles the buckets when the table is full; on ENOMEM keeps the old
 * ones (longer chains, still correct).  Caller holds h->lock. */
static void table_grow(struct http *h)
{
	size_t nb = h->nbuckets * 2;
	struct store_obj **b, **old = h->buckets;

	if (h->count < h->nbuckets || !(b = calloc(nb, sizeof(*b))))
		return;
	h->buckets = b;
	h->nbuckets = nb;
	for (size_t i = 0; i < nb / 2; i++)
		for (struct store_obj *n = old[i], *nx; n; n = nx) {
			nx = n->hnext;
			table_link(h, n);
		}
	free(old);
}

static void node_free(struct store_obj *n)
{
	if (n->spool_fd >= 0)
		close(n->spool_fd);
	free(n->parts);
	pthread_rwlock_destroy(&n->io_lock);
	free(n->path);
	free(n);
}

/* A new node at path, in the table, with no handle.  NULL on ENOMEM.
 * Caller holds h->lock and has made sure path is not in the table. */
static struct store_obj *node_new(struct http *h, const char *path,
				  bool is_dir)
{
	struct store_obj *n = calloc(1, sizeof(*n));

	if (!n || !(n->path = strdup(path))) {
		free(n);
		return NULL;
	}
	assert(!table_find(h, path));
	pthread_rwlock_init(&n->io_lock, NULL);
	n->ino = h->next_ino++;
	n->is_dir = is_dir;
	n->mtime = -1;
	n->perm = -1;
	n->spool_fd = -1;
	n->next = h->all;
	if (h->all)
		h->all->prev = n;
	h->all = n;
	table_link(h, n);
	h->count++;
	table_grow(h);
	return n;
}

/* Out of the table: an object that is gone.  Frees the node if nobody
 * holds it.  Caller holds h->lock. */
static void node_detach(struct http *h, struct store_obj *n)
{
	assert(n->ino != ROOT_INO);
	if (n->unlinked)
		return;
	table_unlink(h, n);
	h->count--;
	n->unlinked = true;	/* a spool of it is dropped at release */
	if (n->refs)
		return;
	if (n->prev)
		n->prev->next = n->next;
	else
		h->all = n->next;
	if (n->next)
		n->next->prev = n->prev;
	node_free(n);
}

/* Is path prefix itself or under it? */
static bool under(const char *path, const char *prefix)
{
	size_t k = strlen(prefix);

	return !strncmp(path, prefix, k) && (path[k] == '\0' || path[k] == '/');
}

/* Detaches path and every node under it.  Caller holds h->lock. */
static void detach_tree(struct http *h, const char *path)
{
	for (struct store_obj *n = h->all, *nx; n; n = nx) {
		nx = n->next;
		if (!n->unlinked && n->ino != ROOT_INO && under(n->path, path))
			node_detach(h, n);
	}
}

/* Renames from and every node under it to `to`.  0 or -ENOMEM (then
 * nothing has moved).  Caller holds h->lock and has detached `to`. */
static int move_tree(struct http *h, const char *from, const char *to)
{
	size_t k = strlen(from), nmov = 0, i = 0;
	struct store_obj **mov;
	char **paths;
	int rc = 0;

	for (struct store_obj *n = h->all; n; n = n->next)
		nmov += !n->unlinked && under(n->path, from);
	mov = calloc(nmov + 1, sizeof(*mov));
	paths = calloc(nmov + 1, sizeof(*paths));
	if (!mov || !paths) {
		rc = -ENOMEM;
		goto out;
	}
	for (struct store_obj *n = h->all; n; n = n->next) {
		if (n->unlinked || !under(n->path, from))
			continue;
		if (asprintf(&paths[i], "%s%s", to, n->path + k) < 0) {
			paths[i] = NULL;
			rc = -ENOMEM;
			goto out;
		}
		mov[i++] = n;
	}
	for (i = 0; i < nmov; i++)
		table_unlink(h, mov[i]);
	for (i = 0; i < nmov; i++) {
		free(mov[i]->path);
		mov[i]->path = paths[i];
		paths[i] = NULL;
		table_link(h, mov[i]);
	}
out:
	if (paths)
		for (i = 0; i < nmov; i++)
			free(paths[i]);
	free(paths);
	free(mov);
	return rc;
}

/* The node at path, made or updated from what the server said (a):
 * attributes always, the ETag only when nobody holds the node or it had
 * none (see the design).  A node of the other kind is an object that was
 * replaced: detached, and a new one made.  NULL on ENOMEM.  Caller holds
 * h->lock. */
static struct store_obj *node_get(struct http *h, const char *path,
				  const struct webdav_attr *a)
{
	struct store_obj *n = table_find(h, path);

	if (n && n->is_dir != a->is_dir && n->ino != ROOT_INO) {
		node_detach(h, n);
		n = NULL;
	}
	if (!n && !(n = node_new(h, path, a->is_dir)))
		return NULL;
	if (!n->spool_dirty) {
		n->size = a->size;
		n->mtime = a->mtime;
	}
	if (!n->refs || !n->etag[0])
		snprintf(n->etag, sizeof(n->etag), "%s", a->etag);
	n->fresh_ms = now_ms(CLOCK_MONOTONIC);
	return n;
}

/* The attributes of n.  Caller holds h->lock. */
static void fill_stat(struct http *h, const struct store_obj *n,
		      struct stat *st)
{
	mode_t perm = n->is_dir ? 0755 : 0644;

	if (readonly(h))
		perm &= ~0222u;
	if (n->perm >= 0)
		perm = (mode_t)n->perm;
	memset(st, 0, sizeof(*st));
	st->st_dev = HTTP_DEV;
	st->st_ino = n->ino;
	st->st_mode = (n->is_dir ? S_IFDIR : S_IFREG) | perm;
	st->st_nlink = n->unlinked ? 0 : (n->is_dir ? 2 : 1);
	st->st_uid = h->uid;
	st->st_gid = h->gid;
	st->st_size = (off_t)n->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	st->st_mtim.tv_sec = n->mtime > 0 ? (time_t)n->mtime : 0;
	if (n->has_mtime)
		st->st_mtim = n->mtime_set;
	st->st_ctim = st->st_mtim;
	st->st_atim = n->has_atime ? n->atime : st->st_mtim;
}

/* ---- paths ------------------------------------------------------------ */

/* A copy of n's path (and etag, if not NULL), or NULL: *rc -ENOENT if n
 * is detached, -ENOMEM. */
static char *path_of(struct http *h, struct store_obj *n, char *etag,
		     int *rc)
{
	char *p = NULL;

	pthread_mutex_lock(&h->lock);
	*rc = -ENOENT;
	if (!n->unlinked) {
		p = strdup(n->path);
		*rc = p ? 0 : -ENOMEM;
		if (etag)
			memcpy(etag, n->etag, WEBDAV_ETAG_MAX);
	}
	pthread_mutex_unlock(&h->lock);
	return p;
}

/* The path of name in dir, or NULL with *rc: -ENOTDIR, -ENOENT (dir
 * detached), -EINVAL (a name with '/', "", "." or ".."), -ENAMETOOLONG. */
static char *child_of(struct http *h, struct store_obj *dir, const char *name,
		      int *rc)
{
	char *p = NULL;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		*rc = -EINVAL;
		return NULL;
	}
	if (strlen(name) > 255) {
		*rc = -ENAMETOOLONG;
		return NULL;
	}
	pthread_mutex_lock(&h->lock);
	if (dir->unlinked)
		*rc = -ENOENT;
	else if (!dir->is_dir)
		*rc = -ENOTDIR;
	else if (asprintf(&p, "%s%s%s", dir->path, dir->path[0] ? "/" : "",
			  name) < 0) {
		p = NULL;
		*rc = -ENOMEM;
	} else
		*rc = 0;
	pthread_mutex_unlock(&h->lock);
	return p;
}

/* The parent of a path ("" for a top-level name). */
static char *parent_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return strndup(path, s ? (size_t)(s - path) : 0);
}

/* The server no longer has an object at path: its node goes. */
static void forget(struct http *h, const char *path)
{
	struct store_obj *n;

	pthread_mutex_lock(&h->lock);
	n = table_find(h, path);
	if (n && n->ino != ROOT_INO)
		node_detach(h, n);
	pthread_mutex_unlock(&h->lock);
}

static void stale(struct http *h, const char *path, const char *what)
{
	say(h, "/%s changed on the server; %s", path, what);
}

/* ---- namespace -------------------------------------------------------- */

/* A handle of the node at path, after a stat of it. */
static int hold(struct http *h, const char *path, struct store_obj **obj,
		struct stat *st)
{
	struct webdav_attr a;
	struct store_obj *n;
	int rc = webdav_stat(h->dav, path, &a);

	if (rc == -ENOENT)
		forget(h, path);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&h->lock);
	n = node_get(h, path, &a);
	if (n) {
		n->refs++;
		fill_stat(h, n, st);
		*obj = n;
	}
	pthread_mutex_unlock(&h->lock);
	return n ? 0 : -ENOMEM;
}

static int http_root(struct store *s, struct store_obj **obj, struct stat *st)
{
	return hold(H(s), "", obj, st);
}

static int http_lookup(struct store *s, struct store_obj *dir,
		       const char *name, struct store_obj **obj,
		       struct stat *st)
{
	struct http *h = H(s);
	char *path;
	int rc;

	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		char *p = path_of(h, dir, NULL, &rc);

		if (!p)
			return rc;
		path = name[1] ? parent_of(p) : strdup(p);
		free(p);
		rc = path ? 0 : -ENOMEM;
	} else
		path = child_of(h, dir, name, &rc);
	if (path)
		rc = hold(h, path, obj, st);
	free(path);
	return rc;
}

static int http_getattr(struct store *s, struct store_obj *obj,
			struct stat *st)
{
	struct http *h = H(s);
	struct webdav_attr a;
	char *path;
	int rc;

	pthread_mutex_lock(&h->lock);
	if (obj->unlinked || obj->spool_dirty ||
	    now_ms(CLOCK_MONOTONIC) - obj->fresh_ms < STALE_MS) {
		fill_stat(h, obj, st);
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	pthread_mutex_unlock(&h->lock);
	if (!(path = path_of(h, obj, NULL, &rc)))
		return rc == -ENOENT ? http_getattr(s, obj, st) : rc;
	rc = webdav_stat(h->dav, path, &a);
	if (rc == -ENOENT)
		forget(h, path);	/* gone: nlink 0 from now on */
	pthread_mutex_lock(&h->lock);
	if (rc == 0 && !obj->unlinked && a.is_dir == obj->is_dir) {
		if (!obj->spool_dirty) {
			obj->size = a.size;
			obj->mtime = a.mtime;
		}
		if (!obj->etag[0])
			snprintf(obj->etag, sizeof(obj->etag), "%s", a.etag);
		obj->fresh_ms = now_ms(CLOCK_MONOTONIC);
	}
	if (rc == 0 || rc == -ENOENT) {
		fill_stat(h, obj, st);
		rc = 0;
	}
	pthread_mutex_unlock(&h->lock);
	free(path);
	return rc;
}

static int http_chmod(struct store *s, struct store_obj *obj, mode_t mode)
{
	struct http *h = H(s);

	if (readonly(h))
		return -EROFS;
	pthread_mutex_lock(&h->lock);
	obj->perm = (int)(mode & 07777);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* Only to the mount's own owner: there is nobody else on HTTP. */
static int http_chown(struct store *s, struct store_obj *obj, uid_t uid,
		      gid_t gid)
{
	struct http *h = H(s);

	(void)obj;
	if (readonly(h))
		return -EROFS;
	if ((uid != (uid_t)-1 && uid != h->uid) ||
	    (gid != (gid_t)-1 && gid != h->gid))
		return -EPERM;
	return 0;
}

static int http_utimens(struct store *s, struct store_obj *obj,
			const struct timespec tv[2])
{
	struct http *h = H(s);
	struct timespec now;

	if (readonly(h))
		return -EROFS;
	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&h->lock);
	if (tv[0].tv_nsec != UTIME_OMIT) {
		obj->atime = tv[0].tv_nsec == UTIME_NOW ? now : tv[0];
		obj->has_atime = true;
	}
	if (tv[1].tv_nsec != UTIME_OMIT) {
		obj->mtime_set = tv[1].tv_nsec == UTIME_NOW ? now : tv[1];
		obj->has_mtime = true;
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* A new object at path (the server had none): a new node, with what is
 * known of it. */
static void made(struct http *h, const char *path, bool is_dir,
		 const char *etag)
{
	struct webdav_attr a = { .is_dir = is_dir, .mtime = time(NULL) };
	struct store_obj *n;

	snprintf(a.etag, sizeof(a.etag), "%s", etag ? etag : "");
	pthread_mutex_lock(&h->lock);
	n = table_find(h, path);
	if (n && n->ino != ROOT_INO)
		node_detach(h, n);	/* a node of an object gone */
	node_get(h, path, &a);		/* ENOMEM: made at the next lookup */
	pthread_mutex_unlock(&h->lock);
}

static int http_mkdir(struct store *s, struct store_obj *dir,
		      const char *name, mode_t mode)
{
	struct http *h = H(s);
	char *path;
	int rc;

	(void)mode;
	if (readonly(h))
		return -EROFS;
	if (!(path = child_of(h, dir, name, &rc)))
		return rc;
	rc = webdav_mkcol(h->dav, path);
	if (rc == 0)
		made(h, path, true, NULL);
	free(path);
	return rc;
}

static int http_create(struct store *s, struct store_obj *dir,
		       const char *name, mode_t mode, int flags)
{
	struct http *h = H(s);
	char *path, etag[WEBDAV_ETAG_MAX];
	struct webdav_attr a;
	int rc;

	(void)mode;
	if (readonly(h))
		return -EROFS;
	if (!(path = child_of(h, dir, name, &rc)))
		return rc;
	rc = webdav_create(h->dav, path, NULL, 0, etag);
	if (rc == 0) {
		made(h, path, false, etag);
	} else if (rc == -EEXIST && !(flags & O_EXCL)) {
		/* there already: fine, unless it is a directory */
		rc = webdav_stat(h->dav, path, &a);
		if (rc == 0 && a.is_dir)
			rc = -EISDIR;
	}
	free(path);
	return rc;
}

static int http_unlink(struct store *s, struct store_obj *dir,
		       const char *name)
{
	struct http *h = H(s);
	struct webdav_attr a;
	char *path;
	int rc;

	if (readonly(h))
		return -EROFS;
	if (!(path = child_of(h, dir, name, &rc)))
		return rc;
	rc = webdav_stat(h->dav, path, &a);
	if (rc == 0 && a.is_dir)
		rc = -EISDIR;
	if (rc == 0)
		rc = webdav_delete(h->dav, path, NULL);
	if (rc == 0 || rc == -ENOENT)
		forget(h, path);
	free(path);
	return rc;
}

static int any_member(void *arg, const char *name,
		      const struct webdav_attr *a)
{
	(void)arg;
	(void)name;
	(void)a;
	return -ENOTEMPTY;	/* one is enough: stop (a positive value
				 * would be taken for an HTTP status) */
}

/* 0 if the collection at path is empty, -ENOTEMPTY, or -errno. */
static int empty_dir(struct http *h, const char *path)
{
	return webdav_list(h->dav, path, any_member, NULL);
}

static int http_rmdir(struct store *s, struct store_obj *dir,
		      const char *name)
{
	struct http *h = H(s);
	char *path;
	int rc;

	if (readonly(h))
		return -EROFS;
	if (!(path = child_of(h, dir, name, &rc)))
		return rc;
	rc = empty_dir(h, path);
	if (rc == 0)
		rc = webdav_delete(h->dav, path, NULL);
	if (rc == 0 || rc == -ENOENT) {
		pthread_mutex_lock(&h->lock);
		detach_tree(h, path);
		pthread_mutex_unlock(&h->lock);
	}
	free(path);
	return rc;
}

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1u << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1u << 1)
#endif

/* renameat2's checks that MOVE does not make: 0 or -errno. */
static int rename_check(struct http *h, const char *from, const char *to,
			unsigned int flags)
{
	struct webdav_attr fa, ta;
	int rc;

	if (under(to, from) && strcmp(to, from))
		return -EINVAL;	/* into itself */
	if ((rc = webdav_stat(h->dav, from, &fa)) < 0)
		return rc;
	if (flags & RENAME_NOREPLACE)
		return 0;	/* MOVE with Overwrite: F says EEXIST */
	rc = webdav_stat(h->dav, to, &ta);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (fa.is_dir && !ta.is_dir)
		return -ENOTDIR;
	if (!fa.is_dir && ta.is_dir)
		return -EISDIR;
	return fa.is_dir ? empty_dir(h, to) : 0;
}

static int http_rename(struct store *s, struct store_obj *dir,
		       const char *name, struct store_obj *newdir,
		       const char *newname, unsigned int flags)
{
	struct http *h = H(s);
	char *from = NULL, *to = NULL;
	int rc;

	if (readonly(h))
		return -EROFS;
	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;	/* RENAME_EXCHANGE: not over HTTP */
	if (!(from = child_of(h, dir, name, &rc)) ||
	    !(to = child_of(h, newdir, newname, &rc)))
		goto out;
	if (!strcmp(from, to)) {
		struct webdav_attr a;

		rc = webdav_stat(h->dav, from, &a);
		if (rc == 0 && (flags & RENAME_NOREPLACE))
			rc = -EEXIST;
		goto out;
	}
	if ((rc = rename_check(h, from, to, flags)) < 0)
		goto out;
	rc = webdav_move(h->dav, from, to, !(flags & RENAME_NOREPLACE));
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&h->lock);
	detach_tree(h, to);
	if (move_tree(h, from, to) < 0)
		detach_tree(h, from);	/* found again by lookup */
	pthread_mutex_unlock(&h->lock);
out:
	free(from);
	free(to);
	return rc;
}

/* ---- directories ------------------------------------------------------ */

struct listing {
	size_t n, cap;
	char **names;
	struct webdav_attr *attrs;
	int err;
};

static int list_add(void *arg, const char *name, const struct webdav_attr *a)
{
	struct listing *l = arg;

	if (strlen(name) > 255 || !*name || strchr(name, '/'))
		return 0;	/* not a name this file system can show */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **nn = realloc(l->names, cap * sizeof(*nn));

		if (nn)
			l->names = nn;
		struct webdav_attr *na = realloc(l->attrs, cap * sizeof(*na));

		if (na)
			l->attrs = na;
		if (!nn || !na)
			return -ENOMEM;
		l->cap = cap;
	}
	if (!(l->names[l->n] = strdup(name)))
		return -ENOMEM;
	l->attrs[l->n++] = *a;
	return 0;
}

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->attrs);
}

static void dirent_set(struct store_dirent *e, const char *name, ino_t ino,
		       bool is_dir, off_t next)
{
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->ino = ino;
	e->type = is_dir ? S_IFDIR : S_IFREG;
	e->next = next;
}

static int http_opendir(struct store *s, struct store_obj *dir,
			struct store_dir **d)
{
	struct http *h = H(s);
	struct listing l = { 0 };
	struct store_dir *sd = NULL;
	char *path, *parent = NULL;
	int rc;

	if (!(path = path_of(h, dir, NULL, &rc)))
		return rc;
	rc = webdav_list(h->dav, path, list_add, &l);
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	if (!(parent = parent_of(path)) || !(sd = calloc(1, sizeof(*sd))) ||
	    !(sd->ents = calloc(l.n + 2, sizeof(*sd->ents))))
		goto out;
	pthread_mutex_lock(&h->lock);
	struct store_obj *up = path[0] ? table_find(h, parent) : dir;

	dirent_set(&sd->ents[0], ".", dir->ino, true, 1);
	dirent_set(&sd->ents[1], "..", up ? up->ino : 0, true, 2);
	sd->n = 2;
	rc = 0;
	for (size_t i = 0; i < l.n; i++) {
		char *cp;
		struct store_obj *n = NULL;

		if (asprintf(&cp, "%s%s%s", path, path[0] ? "/" : "",
			     l.names[i]) >= 0) {
			n = node_get(h, cp, &l.attrs[i]);
			free(cp);
		}
		if (!n) {
			rc = -ENOMEM;
			break;
		}
		dirent_set(&sd->ents[sd->n], l.names[i], n->ino, n->is_dir,
			   (off_t)sd->n + 1);
		sd->n++;
	}
	pthread_mutex_unlock(&h->lock);
out:
	if (rc < 0 && sd) {
		free(sd->ents);
		free(sd);
	} else if (rc == 0)
		*d = sd;
	listing_free(&l);
	free(parent);
	free(path);
	return rc;
}

static int http_readdir(struct store *s, struct store_dir *d, off_t off,
			struct store_dirent *ent)
{
	(void)s;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= d->n)
		return 0;
	*ent = d->ents[off];
	return 1;
}

static void http_closedir(struct store *s, struct store_dir *d)
{
	(void)s;
	if (d) {
		free(d->ents);
		free(d);
	}
}

/* ---- the spool (servers without partial PUT) -------------------------- */

static int tmp_open(struct http *h)
{
	char tmpl[PATH_MAX + 32];
	int fd;

	fd = open(h->tmpdir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* a file system without O_TMPFILE: a name, unlinked at once */
	snprintf(tmpl, sizeof(tmpl), "%s/framefs-spool-XXXXXX", h->tmpdir);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(tmpl);
	return fd;
}

static int pwrite_all(int fd, const struct iovec *iov, int n, uint64_t off)
{
	for (int i = 0; i < n; i++) {
		const char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left) {
			ssize_t w = pwrite(fd, p, left, (off_t)off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			p += w;
			left -= (size_t)w;
			off += (uint64_t)w;
		}
	}
	return 0;
}

/* The whole object into fd; its ETag into etag.  Bytes or -errno.  A
 * change between two chunks (another ETag) starts over, three times. */
static int64_t download(struct http *h, const char *path, int fd, char *etag)
{
	char *buf = malloc(SPOOL_CHUNK), et[WEBDAV_ETAG_MAX];
	int64_t rc = -EIO;

	if (!buf)
		return -ENOMEM;
	for (int tries = 0; tries < 3; tries++) {
		uint64_t off = 0;
		ssize_t k;

		etag[0] = '\0';
		if (ftruncate(fd, 0) < 0) {
			rc = -errno;
			break;
		}
		for (;;) {
			struct iovec v = { buf, SPOOL_CHUNK };

			k = webdav_get(h->dav, path, off, SPOOL_CHUNK, buf, et);
			if (k < 0)
				break;
			if (off == 0 || !etag[0])
				snprintf(etag, WEBDAV_ETAG_MAX, "%s", et);
			else if (et[0] && !webdav_etag_same(et, etag)) {
				k = -ESTALE;
				break;
			}
			v.iov_len = (size_t)k;
			if (k && (k = pwrite_all(fd, &v, 1, off)) < 0)
				break;
			off += v.iov_len;
			if (v.iov_len < SPOOL_CHUNK) {
				k = 0;
				break;
			}
		}
		rc = k < 0 ? k : (int64_t)off;
		if (k != -ESTALE)
			break;
	}
	if (rc == -ESTALE)
		rc = -EIO;
	free(buf);
	return rc;
}

/* The spool is the version of base bytes it was downloaded at, or that
 * was written back last.  Caller holds n->io_lock for writing. */
static void spool_parts_clear(struct store_obj *n, uint64_t base)
{
	free(n->parts);
	n->parts = NULL;
	n->nparts = 0;
	n->spool_base = base;
}

/* Bytes [from, to) of the spool changed.  Caller holds n->io_lock for
 * writing. */
static void spool_parts_mark(struct http *h, struct store_obj *n,
			     uint64_t from, uint64_t to)
{
	uint64_t part = h->part, first = from / part,
		 end = (to + part - 1) / part;

	if (to <= from || first >= n->spool_base / part + 1)
		return;		/* past the base: uploaded anyway */
	if (end > n->spool_base / part + 1)
		end = n->spool_base / part + 1;	/* the same */
	if (end > n->nparts) {
		uint8_t *p = realloc(n->parts, end);

		if (!p) {
			/* no memory for the map: the whole object changed */
			n->spool_base = 0;
			return;
		}
		memset(p + n->nparts, 0, end - n->nparts);
		n->parts = p;
		n->nparts = end;
	}
	memset(n->parts + first, 1, end - first);
}

/* Makes n's spool if it has none.  Caller holds n->io_lock for writing. */
static int spool_make(struct http *h, struct store_obj *n)
{
	char *path, seen[WEBDAV_ETAG_MAX], etag[WEBDAV_ETAG_MAX];
	struct webdav_attr a;
	int64_t size;
	int fd, rc;

	if (n->spool_fd >= 0)
		return 0;
	if (!(path = path_of(h, n, seen, &rc)))
		return rc;
	if ((fd = tmp_open(h)) < 0) {
		rc = fd;
		say(h, "/%s: no spool file in %s: %s", path, h->tmpdir,
		    strerror(-rc));
		goto out;
	}
	size = download(h, path, fd, etag);
	if (size < 0) {
		rc = (int)size;
		goto out_close;
	}
	if (!etag[0] && webdav_stat(h->dav, path, &a) == 0)
		snprintf(etag, sizeof(etag), "%s", a.etag);
	if (seen[0] && etag[0] && !webdav_etag_same(seen, etag)) {
		/* the daemon's pages are of the version it saw */
		stale(h, path, "not overwritten; dirty pages kept");
		rc = -EIO;
		goto out_close;
	}
	spool_parts_clear(n, (uint64_t)size);
	pthread_mutex_lock(&h->lock);
	n->spool_fd = fd;
	n->size = (uint64_t)size;
	if (!n->etag[0])
		snprintf(n->etag, sizeof(n->etag), "%s", etag);
	pthread_mutex_unlock(&h->lock);
	rc = 0;
	goto out;
out_close:
	close(fd);
out:
	free(path);
	return rc;
}

/* The spool's bytes v to the server, conditional on etag: on S3 as a
 * multipart upload when the object has two parts or more and one of them
 * can be copied on the server, else one PUT.  Caller holds n->io_lock
 * for writing. */
static int spool_put(struct http *h, struct store_obj *n, const char *path,
		     const struct iovec *v, const char *etag, char *new_etag)
{
	uint64_t size = v->iov_len, part = h->part,
		 np = (size + part - 1) / part;
	uint8_t *dirty;
	bool copy = false;
	int rc;

	if (!webdav_is_s3(h->dav) || !etag[0] || np < 2 || np > 10000)
		goto whole;
	if (!(dirty = calloc(np, 1)))
		goto whole;
	for (uint64_t i = 0; i < np; i++) {
		uint64_t end = i * part + part < size ? i * part + part
						      : size;

		dirty[i] = i < n->nparts ? n->parts[i] : 0;
		copy |= !dirty[i] && end <= n->spool_base;
	}
	if (copy)
		rc = webdav_put_parts(h->dav, path, v->iov_base, size,
				      n->spool_base, dirty, part, etag,
				      new_etag);
	free(dirty);
	/* a server without UploadPartCopy (or any other failure but a
	 * change by someone else): the whole object, one PUT */
	if (copy && (rc == 0 || rc == -ESTALE))
		return rc;
whole:
	return webdav_put(h->dav, path, v, size ? 1 : 0, 0, (int64_t)size,
			  etag[0] ? etag : NULL, new_etag);
}

/* PUTs n's spool back whole if it is dirty, conditional on the ETag it
 * was downloaded at.  Caller holds n->io_lock for writing. */
static int spool_flush(struct http *h, struct store_obj *n)
{
	char *path, etag[WEBDAV_ETAG_MAX], new_etag[WEBDAV_ETAG_MAX];
	struct iovec v = { NULL, 0 };
	struct stat st;
	int rc;

	if (n->spool_fd < 0 || !n->spool_dirty)
		return 0;
	if (!(path = path_of(h, n, etag, &rc)))
		return rc == -ENOENT ? 0 : rc;	/* unlinked: nothing to do */
	if (fstat(n->spool_fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	v.iov_len = (size_t)st.st_size;
	if (v.iov_len) {
		v.iov_base = mmap(NULL, v.iov_len, PROT_READ, MAP_SHARED,
				  n->spool_fd, 0);
		if (v.iov_base == MAP_FAILED) {
			rc = -errno;
			goto out;
		}
	}
	rc = spool_put(h, n, path, &v, etag, new_etag);
	if (v.iov_len)
		munmap(v.iov_base, v.iov_len);
	if (rc == -ESTALE) {
		stale(h, path, "not overwritten; dirty pages kept");
		rc = -EIO;
	}
	if (rc == 0) {
		spool_parts_clear(n, (uint64_t)st.st_size);
		pthread_mutex_lock(&h->lock);
		n->spool_dirty = false;
		snprintf(n->etag, sizeof(n->etag), "%s", new_etag);
		n->fresh_ms = now_ms(CLOCK_MONOTONIC);
		n->mtime = time(NULL);
		pthread_mutex_unlock(&h->lock);
	}
out:
	free(path);
	return rc;
}

/* Drops n's spool (a clean one, or the object is gone).  Caller holds
 * n->io_lock for writing. */
static void spool_drop(struct http *h, struct store_obj *n)
{
	int fd;

	pthread_mutex_lock(&h->lock);
	fd = n->spool_fd;
	n->spool_fd = -1;
	n->spool_dirty = false;
	pthread_mutex_unlock(&h->lock);
	spool_parts_clear(n, 0);
	if (fd >= 0)
		close(fd);
}

/* ---- data ------------------------------------------------------------- */

static ssize_t spool_read(int fd, const struct iovec *iov, int n,
			  uint64_t off)
{
	ssize_t got = 0;

	for (int i = 0; i < n; i++) {
		char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left) {
			ssize_t r = pread(fd, p, left, (off_t)off);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return got;	/* end of the object */
			p += r;
			left -= (size_t)r;
			off += (uint64_t)r;
			got += r;
		}
	}
	return got;
}

static ssize_t http_readv(struct store *s, struct store_obj *obj,
			  const struct iovec *iov, int n, uint64_t off,
			  const struct store_progress *pr)
{
	struct http *h = H(s);
	char etag[WEBDAV_ETAG_MAX], *path;
	ssize_t got;
	int rc;

	if (n < 0 || n > STORE_IOV_MAX)
		return -EINVAL;
	if (h->spool)
		pthread_rwlock_rdlock(&obj->io_lock);
	if (obj->spool_fd >= 0) {
		got = spool_read(obj->spool_fd, iov, n, off);
		goto out;
	}
	if (!(path = path_of(h, obj, NULL, &rc))) {
		got = rc;
		goto out;
	}
	got = webdav_getv(h->dav, path, off, iov, n, etag, pr ? pr->fn : NULL,
			  pr ? pr->arg : NULL);
	if (got >= 0 && etag[0]) {
		/* adopted only by a node that knew no version yet */
		pthread_mutex_lock(&h->lock);
		if (!obj->etag[0])
			memcpy(obj->etag, etag, sizeof(etag));
		pthread_mutex_unlock(&h->lock);
	}
	free(path);
out:
	if (h->spool)
		pthread_rwlock_unlock(&obj->io_lock);
	return got;
}

/* writev with n's io_lock held for writing. */
static int writev_locked(struct http *h, struct store_obj *obj,
			 const struct iovec *iov, int n, uint64_t off,
			 uint64_t len)
{
	char etag[WEBDAV_ETAG_MAX], new_etag[WEBDAV_ETAG_MAX], *path;
	int rc;

	if (h->spool) {
		if ((rc = spool_make(h, obj)) < 0)
			return rc;
		/* marked first: a failed pwrite may have written a part */
		spool_parts_mark(h, obj, off, off + len);
		if ((rc = pwrite_all(obj->spool_fd, iov, n, off)) < 0)
			return rc;
		pthread_mutex_lock(&h->lock);
		obj->spool_dirty = true;
		if (off + len > obj->size)
			obj->size = off + len;
		obj->mtime = time(NULL);
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	if (!(path = path_of(h, obj, etag, &rc)))
		return rc;
	rc = webdav_put(h->dav, path, iov, n, off, -1, etag[0] ? etag : NULL,
			new_etag);
	if (rc == -ESTALE) {
		stale(h, path, "not overwritten; dirty pages kept");
		rc = -EIO;
	} else if (rc == 0) {
		pthread_mutex_lock(&h->lock);
		snprintf(obj->etag, sizeof(obj->etag), "%s", new_etag);
		if (off + len > obj->size)
			obj->size = off + len;
		obj->mtime = time(NULL);
		pthread_mutex_unlock(&h->lock);
	}
	free(path);
	return rc;
}

static int http_writev(struct store *s, struct store_obj *obj,
		       const struct iovec *iov, int n, uint64_t off)
{
	struct http *h = H(s);
	uint64_t len = 0;
	int rc;

	if (readonly(h))
		return -EROFS;
	if (n < 0 || n > STORE_IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (len == 0)
		return 0;
	pthread_rwlock_wrlock(&obj->io_lock);
	rc = writev_locked(h, obj, iov, n, off, len);
	pthread_rwlock_unlock(&obj->io_lock);
	return rc;
}

static int http_fsync(struct store *s, struct store_obj *obj, bool datasync)
{
	struct http *h = H(s);
	int rc;

	(void)datasync;
	if (!h->spool)
		return 0;	/* every writev is on the server already */
	pthread_rwlock_wrlock(&obj->io_lock);
	rc = spool_flush(h, obj);
	pthread_rwlock_unlock(&obj->io_lock);
	return rc;
}

static int truncate_locked(struct http *h, struct store_obj *obj,
			   uint64_t size)
{
	char etag[WEBDAV_ETAG_MAX], new_etag[WEBDAV_ETAG_MAX], *path;
	int rc;

	if (h->spool) {
		uint64_t old;

		if ((rc = spool_make(h, obj)) < 0)
			return rc;
		pthread_mutex_lock(&h->lock);
		old = obj->size;
		pthread_mutex_unlock(&h->lock);
		/* what lies between the two ends changed (zeros, or gone) */
		spool_parts_mark(h, obj, old < size ? old : size,
				 old < size ? size : old);
		if (ftruncate(obj->spool_fd, (off_t)size) < 0)
			return -errno;
		pthread_mutex_lock(&h->lock);
		obj->spool_dirty = true;
		obj->size = size;
		obj->mtime = time(NULL);
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	if (!(path = path_of(h, obj, etag, &rc)))
		return rc;
	rc = webdav_truncate(h->dav, path, size, etag[0] ? etag : NULL,
			     new_etag);
	if (rc == -ESTALE) {
		stale(h, path, "not truncated");
		rc = -EIO;
	} else if (rc == 0) {
		pthread_mutex_lock(&h->lock);
		snprintf(obj->etag, sizeof(obj->etag), "%s", new_etag);
		obj->size = size;
		obj->mtime = time(NULL);
		obj->fresh_ms = now_ms(CLOCK_MONOTONIC);
		pthread_mutex_unlock(&h->lock);
	}
	free(path);
	return rc;
}

static int http_truncate(struct store *s, struct store_obj *obj,
			 uint64_t size)
{
	struct http *h = H(s);
	int rc;

	if (readonly(h))
		return -EROFS;
	pthread_rwlock_wrlock(&obj->io_lock);
	rc = truncate_locked(h, obj, size);
	pthread_rwlock_unlock(&obj->io_lock);
	return rc;
}

/* The object's size now: the spool's, else the server's.  Caller holds
 * obj->io_lock. */
static int size_now(struct http *h, struct store_obj *obj, uint64_t *size)
{
	struct webdav_attr a;
	char *path;
	int rc;

	if (obj->spool_fd >= 0) {
		pthread_mutex_lock(&h->lock);
		*size = obj->size;
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	if (!(path = path_of(h, obj, NULL, &rc)))
		return rc;
	rc = webdav_stat(h->dav, path, &a);
	free(path);
	if (rc == 0)
		*size = a.size;
	return rc;
}

static int http_fallocate(struct store *s, struct store_obj *obj, int mode,
			  uint64_t off, uint64_t len)
{
	static const char zeros[ZERO_CHUNK];
	struct http *h = H(s);
	const int keep = FALLOC_FL_KEEP_SIZE, punch = FALLOC_FL_PUNCH_HOLE,
		  zero = FALLOC_FL_ZERO_RANGE;
	uint64_t size = 0, end = off + len;
	int rc;

	if (readonly(h))
		return -EROFS;
	if (mode & ~(keep | punch | zero))
		return -EOPNOTSUPP;
	if ((mode & punch) && (mode & zero))
		return -EINVAL;
	if ((mode & punch) && !(mode & keep))
		return -EOPNOTSUPP;	/* as fallocate(2) says */
	if (len == 0 || end < off)
		return -EINVAL;
	pthread_rwlock_wrlock(&obj->io_lock);
	if ((rc = size_now(h, obj, &size)) < 0)
		goto out;
	if (!(mode & (punch | zero))) {
		/* nothing to allocate on HTTP; mode 0 makes it longer */
		if (!(mode & keep) && end > size)
			rc = truncate_locked(h, obj, end);
		goto out;
	}
	if ((mode & keep) && end > size)
		end = size;
	while (off < end && rc == 0) {
		struct iovec v[ZERO_IOVS];
		uint64_t done = 0;
		int k = 0;

		for (; k < ZERO_IOVS && off + done < end; k++) {
			uint64_t l = end - off - done;

			v[k].iov_base = (void *)zeros;
			v[k].iov_len = l < ZERO_CHUNK ? (size_t)l : ZERO_CHUNK;
			done += v[k].iov_len;
		}
		rc = writev_locked(h, obj, v, k, off, done);
		off += done;
	}
out:
	pthread_rwlock_unlock(&obj->io_lock);
	return rc;
}

static int http_revalidate(struct store *s, struct store_obj *obj,
			   struct stat *st, bool *changed)
{
	struct http *h = H(s);
	struct webdav_attr a;
	char *path;
	bool drop = false;
	int rc;

	*changed = false;
	if (!(path = path_of(h, obj, NULL, &rc))) {
		if (rc != -ENOENT)
			return rc;
		pthread_mutex_lock(&h->lock);
		fill_stat(h, obj, st);	/* unlinked: nlink 0 */
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	rc = webdav_stat(h->dav, path, &a);
	if (rc == -ENOENT)
		forget(h, path);
	if (rc < 0)
		goto out;
	pthread_rwlock_wrlock(&obj->io_lock);
	pthread_mutex_lock(&h->lock);
	if (a.is_dir != obj->is_dir)
		*changed = true;
	else if (a.etag[0] && obj->etag[0])
		*changed = !webdav_etag_same(a.etag, obj->etag);
	else
		*changed = a.size != obj->size || a.mtime != obj->mtime;
	if (!obj->spool_dirty) {
		/* what the handle sees from now on; a dirty spool keeps
		 * its ETag, so that its write-back is refused */
		snprintf(obj->etag, sizeof(obj->etag), "%s", a.etag);
		obj->size = a.size;
		obj->mtime = a.mtime;
		drop = *changed && obj->spool_fd >= 0;
	}
	obj->fresh_ms = now_ms(CLOCK_MONOTONIC);
	fill_stat(h, obj, st);
	pthread_mutex_unlock(&h->lock);
	__atomic_add_fetch(&h->revalidations, 1, __ATOMIC_RELAXED);
	if (*changed)
		__atomic_add_fetch(&h->revalidate_changed, 1,
				   __ATOMIC_RELAXED);
	if (drop)
		spool_drop(h, obj);
	pthread_rwlock_unlock(&obj->io_lock);
out:
	free(path);
	return rc;
}

static int http_path(struct store *s, struct store_obj *obj, char *buf,
		     size_t len)
{
	struct http *h = H(s);
	int rc, k;

	pthread_mutex_lock(&h->lock);
	if (obj->unlinked) {
		rc = -ENOENT;
	} else {
		k = snprintf(buf, len, "/%s", obj->path);
		rc = (size_t)k < len ? k : -ENAMETOOLONG;
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

static void http_release(struct store *s, struct store_obj *obj)
{
	struct http *h = H(s);
	bool last;

	if (h->spool) {
		/* the last handle writes the spool back and drops it; a
		 * spool that could not be written stays (destroy tries
		 * again) */
		pthread_rwlock_wrlock(&obj->io_lock);
		pthread_mutex_lock(&h->lock);
		last = obj->refs == 1;
		pthread_mutex_unlock(&h->lock);
		if (last && obj->spool_fd >= 0 &&
		    (spool_flush(h, obj) == 0 || !obj->spool_dirty))
			spool_drop(h, obj);
		pthread_rwlock_unlock(&obj->io_lock);
	}
	pthread_mutex_lock(&h->lock);
	assert(obj->refs > 0);
	if (--obj->refs == 0 && obj->unlinked) {
		if (obj->prev)
			obj->prev->next = obj->next;
		else
			h->all = obj->next;
		if (obj->next)
			obj->next->prev = obj->prev;
		node_free(obj);
	}
	pthread_mutex_unlock(&h->lock);
}

/* ---- the store -------------------------------------------------------- */

/* The spool of n, whole, at dir + "/" + n's path. */
static int spool_save(struct http *h, struct store_obj *n, const char *dir)
{
	char path[PATH_MAX + 128], *buf;
	struct stat st;
	off_t in = 0;
	int fd, rc = 0;

	pthread_mutex_lock(&h->lock);
	snprintf(path, sizeof(path), "%s/%s", dir, n->path);
	pthread_mutex_unlock(&h->lock);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			rc = -errno;
		*p = '/';
	}
	if (rc < 0 || fstat(n->spool_fd, &st) < 0)
		return rc < 0 ? rc : -errno;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* read and write: the spool ($TMPDIR) and dir may be on two file
	 * systems, where copy_file_range says EXDEV */
	if (!(buf = malloc(SPOOL_CHUNK)))
		rc = -ENOMEM;
	while (rc == 0 && in < st.st_size) {
		ssize_t k = pread(n->spool_fd, buf, SPOOL_CHUNK, in);
		struct iovec v = { buf, k > 0 ? (size_t)k : 0 };

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			rc = k < 0 ? -errno : -EIO;
		else if ((rc = pwrite_all(fd, &v, 1, (uint64_t)in)) == 0)
			in += k;
	}
	free(buf);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static uint32_t http_save_unwritten(struct store *s, const char *dir,
				    int *err)
{
	struct http *h = H(s);
	uint32_t saved = 0;
	bool made = false;

	*err = 0;
	for (struct store_obj *n = h->all; n; n = n->next) {
		int rc;

		pthread_rwlock_wrlock(&n->io_lock);
		if (!n->spool_dirty || spool_flush(h, n) == 0) {
			pthread_rwlock_unlock(&n->io_lock);
			continue;
		}
		if (!made && mkdir(dir, 0700) < 0 && errno != EEXIST)
			rc = -errno;
		else {
			made = true;
			rc = spool_save(h, n, dir);
		}
		if (rc == 0) {
			saved++;
			spool_drop(h, n);	/* the user's now, under dir */
		} else {
			say(h, "/%s: written data not saved under %s: %s",
			    n->path, dir, strerror(-rc));
			if (!*err)
				*err = rc;
		}
		pthread_rwlock_unlock(&n->io_lock);
	}
	return saved;
}

static int http_stats_format(struct store *s, char *buf, size_t len)
{
	struct http *h = H(s);
	struct webdav_stats st;
	size_t n;
	int k;

	webdav_stats(h->dav, &st);
	n = (size_t)webdav_stats_format(&st, buf, len);
	k = snprintf(buf ? buf + (n < len ? n : len) : NULL,
		     n < len ? len - n : 0,
		     "http_revalidations %llu\nhttp_revalidate_changed %llu\n"
		     "http_partial_put %d\nhttp_spool %d\nhttp_server %s\n",
		     (unsigned long long)__atomic_load_n(&h->revalidations,
							 __ATOMIC_RELAXED),
		     (unsigned long long)__atomic_load_n(&h->revalidate_changed,
							 __ATOMIC_RELAXED),
		     h->caps.partial_put, h->spool,
		     h->caps.server[0] ? h->caps.server : "unknown");
	return (int)(n + (size_t)(k > 0 ? k : 0));
}

static const char *http_kind(struct store *s)
{
	return webdav_is_s3(H(s)->dav) ? "s3" : "http";
}

static const char *http_where(struct store *s)
{
	return webdav_url(H(s)->dav);
}

static void http_destroy(struct store *s)
{
	struct http *h = H(s);

	for (struct store_obj *n = h->all, *nx; n; n = nx) {
		nx = n->next;
		if (n->spool_dirty && spool_flush(h, n) < 0)
			say(h, "/%s: written data lost: the spool could not "
			    "be written back nor saved", n->path);
		node_free(n);
	}
	webdav_free(h->dav);
	free(h->buckets);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static const struct store_ops http_ops = {
	.name = "http",
	.root = http_root,
	.lookup = http_lookup,
	.getattr = http_getattr,
	.chmod = http_chmod,
	.chown = http_chown,
	.utimens = http_utimens,
	.mkdir = http_mkdir,
	.unlink = http_unlink,
	.rmdir = http_rmdir,
	.rename = http_rename,
	.create = http_create,
	.opendir = http_opendir,
	.readdir = http_readdir,
	.closedir = http_closedir,
	.readv = http_readv,
	.writev = http_writev,
	.fsync = http_fsync,
	.truncate = http_truncate,
	.fallocate = http_fallocate,
	.revalidate = http_revalidate,
	.path = http_path,
	.release = http_release,
	.stats_format = http_stats_format,
	.save_unwritten = http_save_unwritten,
	.kind = http_kind,
	.where = http_where,
	.destroy = http_destroy,
};

static const char *probe_why(int rc)
{
	switch (rc) {
	case -EIO:
		return "no answer from the server";
	case -ENOTDIR:
		return "not a WebDAV collection or directory listing";
	case -ENOENT:
		return "not found (404)";
	case -EACCES:
		return "access denied (wrong or missing credentials)";
	default:
		return strerror(-rc);
	}
}

/* The probe found nothing at url (404, as servers answer for a file's
 * URL with a '/' added): is url a file?  -ENOTDIR if it is, else
 * -ENOENT.  Asks the parent collection about the last segment. */
static int probe_file(const char *url, const struct webdav_opts *o)
{
	size_t n = strlen(url);
	struct webdav_attr a;
	struct webdav *dav;
	char *parent, *name;
	const char *slash;
	int rc = -ENOENT, len;

	while (n && url[n - 1] == '/')
		n--;
	if (!(parent = strndup(url, n)))
		return rc;
	slash = strrchr(parent, '/');
	if (!slash || slash[-1] == '/' || !slash[1]) {
		free(parent);
		return rc;	/* "http://host": no parent */
	}
	name = curl_easy_unescape(NULL, slash + 1, 0, &len);
	parent[slash + 1 - parent] = '\0';
	dav = name ? webdav_new(parent, o, NULL, 0) : NULL;
	if (dav && webdav_stat(dav, name, &a) == 0 && !a.is_dir)
		rc = -ENOTDIR;
	webdav_free(dav);
	curl_free(name);
	free(parent);
	return rc;
}

struct store *store_http_new(const char *url, const struct webdav_opts *opts,
			     char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));
	struct webdav_opts o;
	const char *tmp = getenv("TMPDIR");
	char why[CURL_ERROR_SIZE];
	int rc;

	if (!h) {
		snprintf(err, errlen, "%s: out of memory", url);
		errno = ENOMEM;
		return NULL;
	}
	if (opts)
		o = *opts;
	else
		webdav_opts_default(&o);
	h->log = o.log;
	h->log_arg = o.log_arg;
	h->part = (uint64_t)(o.s3_part_mib ? o.s3_part_mib : S3_PART_MIB)
		  << 20;
	h->dav = webdav_new(url, &o, err, errlen);
	if (!h->dav) {
		rc = -errno;
		goto out_free;
	}
	rc = webdav_probe(h->dav, &h->caps);
	if (rc < 0) {
		if (rc == -ENOENT && !o.s3_region)
			rc = probe_file(url, &o);
		/* url has no credentials in it: webdav_new refuses those */
		webdav_last_error(h->dav, why, sizeof(why));
		/* a token the server cannot read is a 400 (Ceph's
		 * InvalidArgument, AWS's InvalidToken or ExpiredToken) */
		snprintf(err, errlen, "%s: %s%s%s%s", url,
			 rc == -ENOENT && o.s3_region ? "no such bucket" :
			 rc == -EINVAL && o.s3_session_token ?
			 "the session token was refused (expired, or not "
			 "this server's)" : probe_why(rc),
			 rc == -EIO && why[0] ? " (" : "",
			 rc == -EIO ? why : "", rc == -EIO && why[0] ? ")" : "");
		goto out_dav;
	}
	/* Uploads a killed daemon left are ended by a writable mount only
	 * (a read-only one writes nothing: its probe did not try, so
	 * writable is false). */
	if (h->caps.writable)
		webdav_sweep(h->dav);
	h->base.ops = &http_ops;
	h->base.caps = STORE_CAP_REVALIDATE;
	if (h->caps.plain || !h->caps.writable)
		h->base.caps |= STORE_CAP_READONLY;
	else
		h->base.caps |= STORE_CAP_PUNCH;
	h->spool = !readonly(h) && !h->caps.partial_put;
	h->uid = geteuid();
	h->gid = getegid();
	snprintf(h->tmpdir, sizeof(h->tmpdir), "%s",
		 tmp && *tmp ? tmp : "/var/tmp");
	pthread_mutex_init(&h->lock, NULL);
	h->nbuckets = 256;
	h->next_ino = ROOT_INO;
	h->buckets = calloc(h->nbuckets, sizeof(*h->buckets));
	if (!h->buckets || !node_new(h, "", true)) {
		snprintf(err, errlen, "%s: out of memory", webdav_url(h->dav));
		rc = -ENOMEM;
		free(h->buckets);
		pthread_mutex_destroy(&h->lock);
		goto out_dav;
	}
	return &h->base;
out_dav:
	webdav_free(h->dav);
out_free:
	free(h);
	errno = -rc;
	return NULL;
}

int store_http_spool_always(struct store *s)
{
	struct http *h = H(s);

	if (s->ops != &http_ops)
		return -EINVAL;
	if (readonly(h))
		return -EROFS;
	h->spool = true;
	return 0;
}
