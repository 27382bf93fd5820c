/* store_dir.c - the store as a local directory, the way a careful
 * passthrough reaches it (libfuse's passthrough_ll is the model).
 *
 * An object is an O_PATH descriptor of the file, so a rename in the
 * directory never leaves a stale path behind, plus the data descriptors a
 * regular file needs, opened on first use and kept:
 *
 *   fd      O_PATH | O_NOFOLLOW handle, from lookup (or root)
 *   rw_fd   O_RDWR, opened through /proc/self/fd/FD on the first data call
 *           or open that may write; kept until release
 *   rd_fd   O_RDONLY, only when the file cannot be opened for writing
 *           (its mode, a running executable) and the caller only reads
 *
 * The data descriptors are published with release stores and read with
 * acquire loads; io_lock, a leaf, is held only to open them.  Every other
 * operation is one *at() call on the handles: names are never resolved
 * from the root, and lookups never follow a symlink.  Identity is the
 * directory's own (st_dev, st_ino).
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dir_store {
	struct store s;			/* first: a struct store * is one */
	char *path;			/* realpath of the directory */
	size_t plen;			/* strlen(path) */
	int root_fd;			/* O_PATH handle of the directory */
};

struct store_obj {
	int fd;				/* O_PATH handle */
	int rd_fd;			/* data fds: -1 until opened; */
	int rw_fd;			/* set once under io_lock */
	mode_t type;			/* S_IFMT bits */
	pthread_mutex_t io_lock;	/* opens rd_fd, rw_fd; a leaf */
};

struct store_dir {
	DIR *dp;
	off_t pos;			/* where readdir(dp) would go on */
};

static struct dir_store *ds_of(struct store *s)
{
	return (struct dir_store *)s;
}

static void proc_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* A new object of the O_PATH fd (consumed), with its stat in *st.  0 or
 * -errno. */
static int obj_new(int fd, struct store_obj **obj, struct stat *st)
{
	struct store_obj *o;
	int err;

	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		close(fd);
		return -ENOMEM;
	}
	o->fd = fd;
	o->rd_fd = -1;
	o->rw_fd = -1;
	o->type = st->st_mode & S_IFMT;
	pthread_mutex_init(&o->io_lock, NULL);
	*obj = o;
	return 0;
}

static void dir_release(struct store *s, struct store_obj *o)
{
	(void)s;
	if (o->rd_fd >= 0)
		close(o->rd_fd);
	if (o->rw_fd >= 0)
		close(o->rw_fd);
	close(o->fd);
	pthread_mutex_destroy(&o->io_lock);
	free(o);
}

/* ---- namespace -------------------------------------------------------- */

static int dir_root(struct store *s, struct store_obj **obj, struct stat *st)
{
	int fd = open(ds_of(s)->path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return obj_new(fd, obj, st);
}

static int dir_lookup(struct store *s, struct store_obj *dir,
		      const char *name, struct store_obj **obj,
		      struct stat *st)
{
	int fd;

	(void)s;
	fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return obj_new(fd, obj, st);
}

static int dir_getattr(struct store *s, struct store_obj *obj,
		       struct stat *st)
{
	(void)s;
	return fstatat(obj->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) <
	       0 ? -errno : 0;
}

static int dir_chmod(struct store *s, struct store_obj *obj, mode_t mode)
{
	char path[64];

	(void)s;
	proc_path(path, sizeof(path), obj->fd);
	return chmod(path, mode) < 0 ? -errno : 0;
}

static int dir_chown(struct store *s, struct store_obj *obj, uid_t uid,
		     gid_t gid)
{
	(void)s;
	return fchownat(obj->fd, "", uid, gid, AT_EMPTY_PATH |
			AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int dir_utimens(struct store *s, struct store_obj *obj,
		       const struct timespec tv[2])
{
	char path[64];

	(void)s;
	if (obj->type == S_IFLNK)
		return utimensat(obj->fd, "", tv, AT_EMPTY_PATH) < 0 ? -errno :
									 0;
	proc_path(path, sizeof(path), obj->fd);
	return utimensat(AT_FDCWD, path, tv, 0) < 0 ? -errno : 0;
}

static ssize_t dir_readlink(struct store *s, struct store_obj *obj, char *buf,
			    size_t len)
{
	ssize_t n;

	(void)s;
	n = readlinkat(obj->fd, "", buf, len);
	return n < 0 ? -errno : n;
}

static int dir_mknod(struct store *s, struct store_obj *dir, const char *name,
		     mode_t mode, dev_t rdev)
{
	(void)s;
	return mknodat(dir->fd, name, mode, rdev) < 0 ? -errno : 0;
}

static int dir_mkdir(struct store *s, struct store_obj *dir, const char *name,
		     mode_t mode)
{
	(void)s;
	return mkdirat(dir->fd, name, mode) < 0 ? -errno : 0;
}

static int dir_symlink(struct store *s, const char *target,
		       struct store_obj *dir, const char *name)
{
	(void)s;
	return symlinkat(target, dir->fd, name) < 0 ? -errno : 0;
}

static int dir_link(struct store *s, struct store_obj *obj,
		    struct store_obj *newdir, const char *newname)
{
	char path[64];

	(void)s;
	proc_path(path, sizeof(path), obj->fd);
	return linkat(AT_FDCWD, path, newdir->fd, newname,
		      AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
}

static int dir_unlink(struct store *s, struct store_obj *dir,
		      const char *name)
{
	(void)s;
	return unlinkat(dir->fd, name, 0) < 0 ? -errno : 0;
}

static int dir_rmdir(struct store *s, struct store_obj *dir, const char *name)
{
	(void)s;
	return unlinkat(dir->fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int dir_rename(struct store *s, struct store_obj *dir,
		      const char *name, struct store_obj *newdir,
		      const char *newname, unsigned int flags)
{
	(void)s;
	return renameat2(dir->fd, name, newdir->fd, newname, flags) < 0 ?
		       -errno : 0;
}

/* Opened read-only and non-blocking only to create: an existing fifo
 * must not block the daemon, and whether the file can be written is
 * store_open's question (the caller's open comes next). */
static int dir_create(struct store *s, struct store_obj *dir,
		      const char *name, mode_t mode, int flags)
{
	int fd;

	(void)s;
	fd = openat(dir->fd, name, O_CREAT | O_RDONLY | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC | (flags & O_EXCL), mode);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int dir_statfs(struct store *s, struct statvfs *sv)
{
	return fstatvfs(ds_of(s)->root_fd, sv) < 0 ? -errno : 0;
}

/* ---- directories ------------------------------------------------------ */

static int dir_opendir(struct store *s, struct store_obj *dir,
		       struct store_dir **d)
{
	struct store_dir *sd;
	int fd, err;

	(void)s;
	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return -ENOMEM;
	fd = openat(dir->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(sd->dp = fdopendir(fd))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		free(sd);
		return err;
	}
	*d = sd;
	return 0;
}

/* Offsets are telldir's (d_off): seekdir goes back to any of them. */
static int dir_readdir(struct store *s, struct store_dir *d, off_t off,
		       struct store_dirent *ent)
{
	struct dirent *de;

	(void)s;
	if (off != d->pos) {
		seekdir(d->dp, off);
		d->pos = off;
	}
	errno = 0;
	de = readdir(d->dp);
	if (!de)
		return errno ? -errno : 0;
	snprintf(ent->name, sizeof(ent->name), "%s", de->d_name);
	ent->ino = de->d_ino;
	ent->type = de->d_type == DT_UNKNOWN ? 0 : (mode_t)de->d_type << 12;
	ent->next = de->d_off;
	d->pos = de->d_off;
	return 1;
}

static void dir_closedir(struct store *s, struct store_dir *d)
{
	(void)s;
	closedir(d->dp);
	free(d);
}

/* ---- data ------------------------------------------------------------- */

/* A data fd: with write, the read-write one; without, any (read-only if
 * that is all the file allows).  Opened on first use and kept; a failure
 * is not remembered.  Returns fd or -errno. */
static int io_fd(struct store_obj *obj, bool write)
{
	char path[64];
	int fd;

	fd = __atomic_load_n(&obj->rw_fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	if (!write) {
		fd = __atomic_load_n(&obj->rd_fd, __ATOMIC_ACQUIRE);
		if (fd >= 0)
			return fd;
	}
	pthread_mutex_lock(&obj->io_lock);
	proc_path(path, sizeof(path), obj->fd);
	fd = obj->rw_fd;
	if (fd < 0) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			__atomic_store_n(&obj->rw_fd, fd, __ATOMIC_RELEASE);
		else
			fd = -errno;
	}
	if (fd < 0 && !write) {
		/* A file we may only read (mode, a running executable). */
		fd = obj->rd_fd;
		if (fd < 0) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				__atomic_store_n(&obj->rd_fd, fd,
						 __ATOMIC_RELEASE);
			else
				fd = -errno;
		}
	}
	pthread_mutex_unlock(&obj->io_lock);
	return fd;
}

static int dir_open(struct store *s, struct store_obj *obj, bool write)
{
	int fd;

	(void)s;
	fd = io_fd(obj, write);
	return fd < 0 ? fd : 0;
}

/* Moves *v / *cnt past done bytes, after a short preadv/pwritev. */
static void iov_advance(struct iovec **v, int *cnt, size_t done)
{
	while (done > 0 && done >= (*v)->iov_len) {
		done -= (*v)->iov_len;
		(*v)++;
		(*cnt)--;
	}
	if (done > 0) {
		(*v)->iov_base = (char *)(*v)->iov_base + done;
		(*v)->iov_len -= done;
	}
}

static size_t iov_copy(struct iovec *local, const struct iovec *iov, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		local[i] = iov[i];
		len += iov[i].iov_len;
	}
	return len;
}

static ssize_t dir_readv(struct store *s, struct store_obj *obj,
			 const struct iovec *iov, int n, uint64_t off,
			 const struct store_progress *pr)
{
	struct iovec local[STORE_IOV_MAX], *v = local;
	size_t len, done = 0;
	int fd, cnt = n;
	ssize_t r;

	(void)s;
	(void)pr;		/* one preadv: nothing arrives early */
	if (n < 0 || n > STORE_IOV_MAX)
		return -EINVAL;
	fd = io_fd(obj, false);
	if (fd < 0)
		return fd;
	len = iov_copy(local, iov, n);
	/* preadv may stop short of EOF (a signal): go on from there. */
	while (done < len && cnt > 0) {
		r = preadv(fd, v, cnt, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
		iov_advance(&v, &cnt, (size_t)r);
	}
	return (ssize_t)done;
}

static int dir_writev(struct store *s, struct store_obj *obj,
		      const struct iovec *iov, int n, uint64_t off)
{
	struct iovec local[STORE_IOV_MAX], *v = local;
	size_t len;
	int fd, cnt = n;

	(void)s;
	if (n < 0 || n > STORE_IOV_MAX)
		return -EINVAL;
	fd = io_fd(obj, true);
	if (fd < 0)
		return fd;
	len = iov_copy(local, iov, n);
	/* pwritev may write less than asked (a signal, a full disk): go on
	 * from where it stopped until all is written or it fails. */
	while (len > 0) {
		ssize_t w = pwritev(fd, v, cnt, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		off += (uint64_t)w;
		len -= (size_t)w;
		iov_advance(&v, &cnt, (size_t)w);
	}
	return 0;
}

static int dir_fsync(struct store *s, struct store_obj *obj, bool datasync)
{
	int fd;

	(void)s;
	fd = io_fd(obj, false);
	if (fd < 0)
		return fd;
	return (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

static int dir_truncate(struct store *s, struct store_obj *obj, uint64_t size)
{
	int fd;

	(void)s;
	fd = io_fd(obj, true);
	if (fd < 0)
		return fd;
	return ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
}

/* Writes zeros over [off, end) of fd.  Returns 0 or -errno. */
static int write_zeros(int fd, uint64_t off, uint64_t end)
{
	static const char zeros[64 * 1024];

	while (off < end) {
		size_t n = end - off < sizeof(zeros) ? (size_t)(end - off) :
						       sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		off += (uint64_t)w;
	}
	return 0;
}

/* ZERO_RANGE on a file system that has none (tmpfs answers EOPNOTSUPP):
 * the bytes the file has in the range are overwritten with zeros (bytes
 * past its end read as zeros already), and without KEEP_SIZE the file is
 * extended to the range's end.  Writing costs what it costs, but it works
 * on any file system; punch-then-allocate would be cheaper where punching
 * works, and is two calls that can fail in between.  The range is
 * allocated first where fallocate can, so that a full file system fails
 * before any byte has changed. */
static int zero_by_writing(int fd, int mode, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, size;
	struct stat sb;
	int rc;

	if (fstat(fd, &sb) < 0)
		return -errno;
	size = (uint64_t)sb.st_size;
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0 &&
	    errno != EOPNOTSUPP)
		return -errno;
	rc = write_zeros(fd, off, end < size ? end : size);
	if (!rc && !(mode & FALLOC_FL_KEEP_SIZE) && end > size &&
	    ftruncate(fd, (off_t)end) < 0)
		rc = -errno;
	return rc;
}

static int dir_fallocate(struct store *s, struct store_obj *obj, int mode,
			 uint64_t off, uint64_t len)
{
	int fd, rc = 0;

	(void)s;
	fd = io_fd(obj, true);
	if (fd < 0)
		return fd;
	while (fallocate(fd, mode, (off_t)off, (off_t)len) < 0) {
		if (errno == EINTR)
			continue;
		rc = -errno;
		if (rc == -EOPNOTSUPP && (mode & FALLOC_FL_ZERO_RANGE))
			rc = zero_by_writing(fd, mode, off, len);
		break;
	}
	return rc;
}

/* ---- the store -------------------------------------------------------- */

/* The path /proc/self/fd gives, less the directory's own; -ENOENT once
 * the last link is gone. */
static int dir_path(struct store *s, struct store_obj *obj, char *buf,
		    size_t len)
{
	struct dir_store *ds = ds_of(s);
	char link[64];
	struct stat st;
	ssize_t n;

	if (len < 2)
		return -ERANGE;
	if (fstatat(obj->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ==
	    0 && st.st_nlink == 0)
		return -ENOENT;
	proc_path(link, sizeof(link), obj->fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (!strncmp(buf, ds->path, ds->plen) &&
	    (buf[ds->plen] == '/' || buf[ds->plen] == '\0')) {
		memmove(buf, buf + ds->plen, (size_t)n - ds->plen + 1);
		n -= (ssize_t)ds->plen;
		if (!buf[0]) {
			strcpy(buf, "/");
			n = 1;
		}
	}
	return (int)n;
}

static const char *dir_where(struct store *s)
{
	return ds_of(s)->path;
}

static void dir_destroy(struct store *s)
{
	struct dir_store *ds = ds_of(s);

	if (ds->root_fd >= 0)
		close(ds->root_fd);
	free(ds->path);
	free(ds);
}

static const struct store_ops dir_ops = {
	.name		= "dir",
	.root		= dir_root,
	.lookup		= dir_lookup,
	.getattr	= dir_getattr,
	.chmod		= dir_chmod,
	.chown		= dir_chown,
	.utimens	= dir_utimens,
	.readlink	= dir_readlink,
	.mknod		= dir_mknod,
	.mkdir		= dir_mkdir,
	.symlink	= dir_symlink,
	.link		= dir_link,
	.unlink		= dir_unlink,
	.rmdir		= dir_rmdir,
	.rename		= dir_rename,
	.create		= dir_create,
	.statfs		= dir_statfs,
	.opendir	= dir_opendir,
	.readdir	= dir_readdir,
	.closedir	= dir_closedir,
	.open		= dir_open,
	.readv		= dir_readv,
	.writev		= dir_writev,
	.fsync		= dir_fsync,
	.truncate	= dir_truncate,
	.fallocate	= dir_fallocate,
	.path		= dir_path,
	.release	= dir_release,
	.where		= dir_where,
	.destroy	= dir_destroy,
};

struct store *store_dir_new(const char *path, char *err, size_t errlen)
{
	struct dir_store *ds;
	struct stat st;
	int e;

	ds = calloc(1, sizeof(*ds));
	if (!ds) {
		e = ENOMEM;
		goto fail;
	}
	ds->s.ops = &dir_ops;
	ds->s.caps = STORE_CAP_HARDLINK | STORE_CAP_SYMLINK |
		     STORE_CAP_SPECIAL | STORE_CAP_OWNER | STORE_CAP_EXCHANGE |
		     STORE_CAP_PUNCH;
	ds->root_fd = -1;
	ds->path = realpath(path, NULL);
	if (!ds->path) {
		e = errno;
		goto fail;
	}
	ds->plen = strlen(ds->path);
	ds->root_fd = open(ds->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ds->root_fd < 0 || fstat(ds->root_fd, &st) < 0) {
		e = errno;
		goto fail;
	}
	return &ds->s;
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", e == ENOTDIR ? "not a directory" :
			 strerror(e));
	if (ds)
		dir_destroy(&ds->s);
	errno = e;
	return NULL;
}
