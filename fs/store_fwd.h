/* store_fwd.h - forwarding ops for store wrappers (store_latency.c,
 * store_fault.c): each calls the same operation on s->inner through the
 * store_*() calls, so a NULL op of the inner store keeps its documented
 * errno.  A wrapper puts STORE_FWD_META in its ops table (everything but
 * the data calls, name and destroy) and the fwd_*() data calls it does not
 * wrap itself. */
#ifndef FRAMEFS_STORE_FWD_H
#define FRAMEFS_STORE_FWD_H

#include "store.h"

static inline int fwd_root(struct store *s, struct store_obj **obj,
			   struct stat *st)
{
	return store_root(s->inner, obj, st);
}

static inline int fwd_lookup(struct store *s, struct store_obj *dir,
			     const char *name, struct store_obj **obj,
			     struct stat *st)
{
	return store_lookup(s->inner, dir, name, obj, st);
}

static inline int fwd_getattr(struct store *s, struct store_obj *obj,
			      struct stat *st)
{
	return store_getattr(s->inner, obj, st);
}

static inline int fwd_chmod(struct store *s, struct store_obj *obj,
			    mode_t mode)
{
	return store_chmod(s->inner, obj, mode);
}

static inline int fwd_chown(struct store *s, struct store_obj *obj, uid_t uid,
			    gid_t gid)
{
	return store_chown(s->inner, obj, uid, gid);
}

static inline int fwd_utimens(struct store *s, struct store_obj *obj,
			      const struct timespec tv[2])
{
	return store_utimens(s->inner, obj, tv);
}

static inline ssize_t fwd_readlink(struct store *s, struct store_obj *obj,
				   char *buf, size_t len)
{
	return store_readlink(s->inner, obj, buf, len);
}

static inline int fwd_mknod(struct store *s, struct store_obj *dir,
			    const char *name, mode_t mode, dev_t rdev)
{
	return store_mknod(s->inner, dir, name, mode, rdev);
}

static inline int fwd_mkdir(struct store *s, struct store_obj *dir,
			    const char *name, mode_t mode)
{
	return store_mkdir(s->inner, dir, name, mode);
}

static inline int fwd_symlink(struct store *s, const char *target,
			      struct store_obj *dir, const char *name)
{
	return store_symlink(s->inner, target, dir, name);
}

static inline int fwd_link(struct store *s, struct store_obj *obj,
			   struct store_obj *newdir, const char *newname)
{
	return store_link(s->inner, obj, newdir, newname);
}

static inline int fwd_unlink(struct store *s, struct store_obj *dir,
			     const char *name)
{
	return store_unlink(s->inner, dir, name);
}

static inline int fwd_rmdir(struct store *s, struct store_obj *dir,
			    const char *name)
{
	return store_rmdir(s->inner, dir, name);
}

static inline int fwd_rename(struct store *s, struct store_obj *dir,
			     const char *name, struct store_obj *newdir,
			     const char *newname, unsigned int flags)
{
	return store_rename(s->inner, dir, name, newdir, newname, flags);
}

static inline int fwd_create(struct store *s, struct store_obj *dir,
			     const char *name, mode_t mode, int flags)
{
	return store_create(s->inner, dir, name, mode, flags);
}

static inline int fwd_statfs(struct store *s, struct statvfs *sv)
{
	return store_statfs(s->inner, sv);
}

static inline int fwd_opendir(struct store *s, struct store_obj *dir,
			      struct store_dir **d)
{
	return store_opendir(s->inner, dir, d);
}

static inline int fwd_readdir(struct store *s, struct store_dir *d, off_t off,
			      struct store_dirent *ent)
{
	return store_readdir(s->inner, d, off, ent);
}

static inline void fwd_closedir(struct store *s, struct store_dir *d)
{
	store_closedir(s->inner, d);
}

static inline int fwd_open(struct store *s, struct store_obj *obj, bool write)
{
	return store_open(s->inner, obj, write);
}

static inline ssize_t fwd_readv(struct store *s, struct store_obj *obj,
				const struct iovec *iov, int n, uint64_t off,
				const struct store_progress *pr)
{
	return store_readv_progress(s->inner, obj, iov, n, off, pr);
}

static inline int fwd_writev(struct store *s, struct store_obj *obj,
			     const struct iovec *iov, int n, uint64_t off)
{
	return store_writev(s->inner, obj, iov, n, off);
}

static inline int fwd_fsync(struct store *s, struct store_obj *obj,
			    bool datasync)
{
	return store_fsync(s->inner, obj, datasync);
}

static inline int fwd_truncate(struct store *s, struct store_obj *obj,
			       uint64_t size)
{
	return store_truncate(s->inner, obj, size);
}

static inline int fwd_fallocate(struct store *s, struct store_obj *obj,
				int mode, uint64_t off, uint64_t len)
{
	return store_fallocate(s->inner, obj, mode, off, len);
}

static inline int fwd_revalidate(struct store *s, struct store_obj *obj,
				 struct stat *st, bool *changed)
{
	return store_revalidate(s->inner, obj, st, changed);
}

static inline int fwd_path(struct store *s, struct store_obj *obj, char *buf,
			   size_t len)
{
	return store_path(s->inner, obj, buf, len);
}

static inline void fwd_release(struct store *s, struct store_obj *obj)
{
	store_release(s->inner, obj);
}

static inline int fwd_stats_format(struct store *s, char *buf, size_t len)
{
	return store_stats_format(s->inner, buf, len);
}

static inline const char *fwd_kind(struct store *s)
{
	return store_kind(s->inner);
}

static inline const char *fwd_where(struct store *s)
{
	return store_where(s->inner);
}

static inline uint32_t fwd_save_unwritten(struct store *s, const char *dir,
					  int *err)
{
	return store_save_unwritten(s->inner, dir, err);
}

/* Every op but the data calls (readv, writev, fsync, truncate,
 * fallocate), name and destroy, forwarded. */
#define STORE_FWD_META \
	.root = fwd_root, .lookup = fwd_lookup, .getattr = fwd_getattr, \
	.chmod = fwd_chmod, .chown = fwd_chown, .utimens = fwd_utimens, \
	.readlink = fwd_readlink, .mknod = fwd_mknod, .mkdir = fwd_mkdir, \
	.symlink = fwd_symlink, .link = fwd_link, .unlink = fwd_unlink, \
	.rmdir = fwd_rmdir, .rename = fwd_rename, .create = fwd_create, \
	.statfs = fwd_statfs, .opendir = fwd_opendir, \
	.readdir = fwd_readdir, .closedir = fwd_closedir, .open = fwd_open, \
	.revalidate = fwd_revalidate, .path = fwd_path, \
	.release = fwd_release, .stats_format = fwd_stats_format, \
	.kind = fwd_kind, .where = fwd_where, \
	.save_unwritten = fwd_save_unwritten

#endif
