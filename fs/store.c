/* store.c - calls through a store's ops table.
 *
 * Each store_*() call is the op of the outermost store in a chain, or,
 * where the store left the op NULL, the errno store.h gives for it.  The
 * stores themselves are in store_dir.c, store_http.c, and the wrappers in
 * store_latency.c and store_fault.c.
 */
#include "store.h"

#include <errno.h>
#include <string.h>

#define CALL(s, op, dflt, ...) \
	((s)->ops->op ? (s)->ops->op((s), __VA_ARGS__) : (dflt))

int store_root(struct store *s, struct store_obj **obj, struct stat *st)
{
	return CALL(s, root, -EOPNOTSUPP, obj, st);
}

int store_lookup(struct store *s, struct store_obj *dir, const char *name,
		 struct store_obj **obj, struct stat *st)
{
	return CALL(s, lookup, -EOPNOTSUPP, dir, name, obj, st);
}

int store_getattr(struct store *s, struct store_obj *obj, struct stat *st)
{
	return CALL(s, getattr, -EOPNOTSUPP, obj, st);
}

static int ro_or(struct store *s, int err)
{
	return (s->caps & STORE_CAP_READONLY) ? -EROFS : err;
}

int store_chmod(struct store *s, struct store_obj *obj, mode_t mode)
{
	return CALL(s, chmod, ro_or(s, -EOPNOTSUPP), obj, mode);
}

int store_chown(struct store *s, struct store_obj *obj, uid_t uid, gid_t gid)
{
	return CALL(s, chown, ro_or(s, -EOPNOTSUPP), obj, uid, gid);
}

int store_utimens(struct store *s, struct store_obj *obj,
		  const struct timespec tv[2])
{
	return CALL(s, utimens, ro_or(s, -EOPNOTSUPP), obj, tv);
}

ssize_t store_readlink(struct store *s, struct store_obj *obj, char *buf,
		       size_t len)
{
	return CALL(s, readlink, -EINVAL, obj, buf, len);
}

int store_mknod(struct store *s, struct store_obj *dir, const char *name,
		mode_t mode, dev_t rdev)
{
	return CALL(s, mknod, ro_or(s, -EPERM), dir, name, mode, rdev);
}

int store_mkdir(struct store *s, struct store_obj *dir, const char *name,
		mode_t mode)
{
	return CALL(s, mkdir, ro_or(s, -EOPNOTSUPP), dir, name, mode);
}

int store_symlink(struct store *s, const char *target, struct store_obj *dir,
		  const char *name)
{
	return CALL(s, symlink, ro_or(s, -EPERM), target, dir, name);
}

int store_link(struct store *s, struct store_obj *obj,
	       struct store_obj *newdir, const char *newname)
{
	return CALL(s, link, ro_or(s, -EPERM), obj, newdir, newname);
}

int store_unlink(struct store *s, struct store_obj *dir, const char *name)
{
	return CALL(s, unlink, ro_or(s, -EOPNOTSUPP), dir, name);
}

int store_rmdir(struct store *s, struct store_obj *dir, const char *name)
{
	return CALL(s, rmdir, ro_or(s, -EOPNOTSUPP), dir, name);
}

int store_rename(struct store *s, struct store_obj *dir, const char *name,
		 struct store_obj *newdir, const char *newname,
		 unsigned int flags)
{
	return CALL(s, rename, ro_or(s, -EOPNOTSUPP), dir, name, newdir,
		    newname, flags);
}

int store_create(struct store *s, struct store_obj *dir, const char *name,
		 mode_t mode, int flags)
{
	return CALL(s, create, ro_or(s, -EOPNOTSUPP), dir, name, mode, flags);
}

int store_statfs(struct store *s, struct statvfs *sv)
{
	if (!s->ops->statfs) {
		memset(sv, 0, sizeof(*sv));
		sv->f_bsize = sv->f_frsize = 4096;
		sv->f_namemax = 255;
		return 0;
	}
	return s->ops->statfs(s, sv);
}

int store_opendir(struct store *s, struct store_obj *dir,
		  struct store_dir **d)
{
	return CALL(s, opendir, -EOPNOTSUPP, dir, d);
}

int store_readdir(struct store *s, struct store_dir *d, off_t off,
		  struct store_dirent *ent)
{
	return CALL(s, readdir, -EOPNOTSUPP, d, off, ent);
}

void store_closedir(struct store *s, struct store_dir *d)
{
	if (s->ops->closedir)
		s->ops->closedir(s, d);
}

int store_open(struct store *s, struct store_obj *obj, bool write)
{
	if (write && (s->caps & STORE_CAP_READONLY))
		return -EROFS;
	return CALL(s, open, 0, obj, write);
}

ssize_t store_read(struct store *s, struct store_obj *obj, void *buf,
		   size_t len, uint64_t off)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return store_readv(s, obj, &iov, 1, off);
}

ssize_t store_readv(struct store *s, struct store_obj *obj,
		    const struct iovec *iov, int n, uint64_t off)
{
	return CALL(s, readv, -EOPNOTSUPP, obj, iov, n, off, NULL);
}

ssize_t store_readv_progress(struct store *s, struct store_obj *obj,
			     const struct iovec *iov, int n, uint64_t off,
			     const struct store_progress *pr)
{
	return CALL(s, readv, -EOPNOTSUPP, obj, iov, n, off, pr);
}

int store_writev(struct store *s, struct store_obj *obj,
		 const struct iovec *iov, int n, uint64_t off)
{
	return CALL(s, writev, ro_or(s, -EOPNOTSUPP), obj, iov, n, off);
}

int store_fsync(struct store *s, struct store_obj *obj, bool datasync)
{
	return CALL(s, fsync, 0, obj, datasync);
}

int store_truncate(struct store *s, struct store_obj *obj, uint64_t size)
{
	return CALL(s, truncate, ro_or(s, -EOPNOTSUPP), obj, size);
}

int store_fallocate(struct store *s, struct store_obj *obj, int mode,
		    uint64_t off, uint64_t len)
{
	return CALL(s, fallocate, ro_or(s, -EOPNOTSUPP), obj, mode, off, len);
}

int store_revalidate(struct store *s, struct store_obj *obj, struct stat *st,
		     bool *changed)
{
	*changed = false;
	if (!s->ops->revalidate)
		return store_getattr(s, obj, st);
	return s->ops->revalidate(s, obj, st, changed);
}

int store_path(struct store *s, struct store_obj *obj, char *buf, size_t len)
{
	return CALL(s, path, -EOPNOTSUPP, obj, buf, len);
}

void store_release(struct store *s, struct store_obj *obj)
{
	if (obj && s->ops->release)
		s->ops->release(s, obj);
}

int store_stats_format(struct store *s, char *buf, size_t len)
{
	if (!s->ops->stats_format) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return s->ops->stats_format(s, buf, len);
}

const char *store_kind(struct store *s)
{
	return s->ops->kind ? s->ops->kind(s) : s->ops->name;
}

const char *store_where(struct store *s)
{
	return s->ops->where ? s->ops->where(s) : "";
}

unsigned int store_caps(struct store *s)
{
	return s->caps;
}

uint32_t store_save_unwritten(struct store *s, const char *dir, int *err)
{
	*err = 0;
	return s->ops->save_unwritten ? s->ops->save_unwritten(s, dir, err)
				      : 0;
}

void store_free(struct store *s)
{
	if (s && s->ops->destroy)
		s->ops->destroy(s);
}
