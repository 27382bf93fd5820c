/* ops.c - the FUSE low-level operations of framefs.
 *
 * Names, attributes and directories pass through to the store (store.h)
 * on the inodes' object handles, one store call per operation; file data
 * goes through pager.c and never touches the store outside it.  The one
 * change to attributes: st_size of a regular file is inode->size, which is
 * ahead of the store while extending writes sit in dirty frames.
 *
 * Each handler replies exactly once; helpers return 0 or a negative errno.
 * Handlers never call fuse_lowlevel_notify_*: the evictor and the scanner
 * do, from their own threads (DESIGN.md, "Protocols that must hold").
 */
#include "framefs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define TIMEOUT_S 1.0

/* An open regular file. */
struct fh {
	struct inode *in;
	uint32_t err_since;	/* errseq sample: write-back errors seen */
};

/* An open directory: the store's, and the entry read but not yet sent
 * (it did not fit in the last reply). */
struct dirp {
	struct store_dir *sd;
	struct store_dirent ent;
	bool have_ent;			/* ent is the entry at offset */
	off_t offset;			/* where the next reply starts */
};

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct inode *req_inode(fuse_req_t req, fuse_ino_t nodeid)
{
	return inode_of(fs_of(req), nodeid);
}

/* ---- lifecycle -------------------------------------------------------- */

static void op_init(void *data, struct fuse_conn_info *conn)
{
	struct fs *fs = data;

	/* Inclusion (DESIGN.md): the kernel's copy changes only when the
	 * daemon says so. */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	if (conn->capable & FUSE_CAP_EXPLICIT_INVAL_DATA)
		conn->want |= FUSE_CAP_EXPLICIT_INVAL_DATA;
	else
		fprintf(stderr, "framefs: kernel lacks EXPLICIT_INVAL_DATA; "
			"mtime changes may drop cached pages\n");
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* O_TRUNC as a SETATTR the kernel sends under the inode lock, not as
	 * a flag of OPEN: an atomic O_TRUNC open runs beside write(), and the
	 * kernel's size it sets to 0 after our reply can be raised again by a
	 * write that landed in the daemon before the cut, leaving a size
	 * above ours over a page that reads back as zeros.  The daemon still
	 * handles O_TRUNC in OPEN and CREATE, for kernels that send it. */
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	conn->max_readahead = fs->o.readahead_kb * 1024;
}

/* ---- names ------------------------------------------------------------ */

/* Looks name up in parent and fills e; adds a kernel reference. */
static int do_lookup(struct fs *fs, struct inode *parent, const char *name,
		     struct fuse_entry_param *e)
{
	struct store_obj *obj;
	struct inode *in;
	int err;

	memset(e, 0, sizeof(*e));
	err = store_lookup(fs->store, parent->obj, name, &obj, &e->attr);
	if (err < 0)
		return err;
	in = inode_get_obj(fs, obj, &e->attr, &err);
	if (!in)
		return err;
	if (in->type == S_IFREG)
		e->attr.st_size = (off_t)inode_size(in);
	e->ino = inode_nodeid(fs, in);
	e->attr_timeout = TIMEOUT_S;
	e->entry_timeout = TIMEOUT_S;
	return 0;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int rc;

	if (ctl_is(parent) || (parent == FUSE_ROOT_ID &&
			       !strcmp(name, CTL_DIRNAME))) {
		ctl_lookup(fs_of(req), req, parent, name);
		return;
	}
	rc = do_lookup(fs_of(req), req_inode(req, parent), name, &e);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t nodeid, uint64_t nlookup)
{
	if (!ctl_is(nodeid))
		inode_forget(fs_of(req), req_inode(req, nodeid), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		if (!ctl_is(forgets[i].ino))
			inode_forget(fs_of(req), req_inode(req, forgets[i].ino),
				     forgets[i].nlookup);
	fuse_reply_none(req);
}

static int do_getattr(struct fs *fs, struct inode *in, struct stat *st)
{
	int rc = store_getattr(fs->store, in->obj, st);

	if (rc < 0)
		return rc;
	if (in->type == S_IFREG)
		st->st_size = (off_t)inode_size(in);
	return 0;
}

static void op_getattr(fuse_req_t req, fuse_ino_t nodeid,
		       struct fuse_file_info *fi)
{
	struct stat st;
	int rc;

	(void)fi;
	if (ctl_is(nodeid)) {
		ctl_getattr(fs_of(req), req, nodeid);
		return;
	}
	rc = do_getattr(fs_of(req), req_inode(req, nodeid), &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, TIMEOUT_S);
}

static int set_times(struct fs *fs, struct inode *in,
		     const struct stat *attr, int valid)
{
	struct timespec tv[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };

	if (valid & FUSE_SET_ATTR_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_ATIME)
		tv[0] = attr->st_atim;
	if (valid & FUSE_SET_ATTR_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_MTIME)
		tv[1] = attr->st_mtim;
	return store_utimens(fs->store, in->obj, tv);
}

static void op_setattr(fuse_req_t req, fuse_ino_t nodeid, struct stat *attr,
		       int valid, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct inode *in;
	struct stat st;
	int rc = 0;

	(void)fi;
	if (ctl_is(nodeid)) {
		/* "echo cmd > control" truncates first: nothing to do. */
		ctl_getattr(fs, req, nodeid);
		return;
	}
	in = inode_of(fs, nodeid);
	if (valid & FUSE_SET_ATTR_MODE)
		rc = store_chmod(fs->store, in->obj, attr->st_mode);
	if (!rc && (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))) {
		uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid :
							 (uid_t)-1;
		gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid :
							 (gid_t)-1;

		rc = store_chown(fs->store, in->obj, uid, gid);
	}
	if (!rc && (valid & FUSE_SET_ATTR_SIZE)) {
		if (in->type != S_IFREG)
			rc = in->type == S_IFDIR ? -EISDIR : -EINVAL;
		else if (attr->st_size < 0)
			rc = -EINVAL;
		else
			rc = pager_truncate(fs, in, (uint64_t)attr->st_size);
	}
	if (!rc && (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)))
		rc = set_times(fs, in, attr, valid);
	if (!rc)
		rc = do_getattr(fs, in, &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, TIMEOUT_S);
}

static void op_readlink(fuse_req_t req, fuse_ino_t nodeid)
{
	char buf[PATH_MAX + 1];
	ssize_t n;

	n = store_readlink(fs_of(req)->store, req_inode(req, nodeid)->obj, buf,
			   sizeof(buf));
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (n == (ssize_t)sizeof(buf))
		fuse_reply_err(req, ENAMETOOLONG);
	else {
		buf[n] = '\0';
		fuse_reply_readlink(req, buf);
	}
}

/* Replies with the entry of a name just made in parent. */
static void reply_made(fuse_req_t req, struct inode *parent, const char *name,
		       int rc)
{
	struct fuse_entry_param e;

	if (rc == 0)
		rc = do_lookup(fs_of(req), parent, name, &e);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

static bool ctl_name(fuse_ino_t parent, const char *name)
{
	return ctl_is(parent) ||
	       (parent == FUSE_ROOT_ID && !strcmp(name, CTL_DIRNAME));
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct inode *p = req_inode(req, parent);
	int rc;

	if (ctl_name(parent, name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	rc = store_mknod(fs_of(req)->store, p->obj, name, mode, rdev);
	reply_made(req, p, name, rc);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct inode *p = req_inode(req, parent);
	int rc;

	if (ctl_name(parent, name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	rc = store_mkdir(fs_of(req)->store, p->obj, name, mode);
	reply_made(req, p, name, rc);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	struct inode *p = req_inode(req, parent);
	int rc;

	if (ctl_name(parent, name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	rc = store_symlink(fs_of(req)->store, link, p->obj, name);
	reply_made(req, p, name, rc);
}

static void op_link(fuse_req_t req, fuse_ino_t nodeid, fuse_ino_t newparent,
		    const char *newname)
{
	struct inode *in, *p;
	int rc;

	if (ctl_is(nodeid) || ctl_name(newparent, newname)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	in = req_inode(req, nodeid);
	p = req_inode(req, newparent);
	rc = store_link(fs_of(req)->store, in->obj, p->obj, newname);
	reply_made(req, p, newname, rc);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (ctl_name(parent, name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	fuse_reply_err(req, -store_unlink(fs_of(req)->store,
					  req_inode(req, parent)->obj, name));
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (ctl_name(parent, name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	fuse_reply_err(req, -store_rmdir(fs_of(req)->store,
					 req_inode(req, parent)->obj, name));
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	if (ctl_name(parent, name) || ctl_name(newparent, newname)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	fuse_reply_err(req, -store_rename(fs_of(req)->store,
					  req_inode(req, parent)->obj, name,
					  req_inode(req, newparent)->obj,
					  newname, flags));
}

/* ---- directories ------------------------------------------------------ */

static void op_opendir(fuse_req_t req, fuse_ino_t nodeid,
		       struct fuse_file_info *fi)
{
	struct dirp *d;
	int rc;

	if (ctl_is(nodeid)) {
		fi->fh = 0;
		fuse_reply_open(req, fi);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = store_opendir(fs_of(req)->store, req_inode(req, nodeid)->obj,
			   &d->sd);
	if (rc < 0) {
		free(d);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	fuse_reply_open(req, fi);
}

static bool is_dot(const char *n)
{
	return n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]));
}

static void do_readdir(fuse_req_t req, fuse_ino_t nodeid, size_t size,
		       off_t off, struct fuse_file_info *fi, bool plus)
{
	struct dirp *d = (struct dirp *)(uintptr_t)fi->fh;
	struct fs *fs = fs_of(req);
	char *buf;
	size_t rem = size;
	int err = 0;

	if (ctl_is(nodeid)) {
		ctl_readdir(fs, req, size, off, plus);
		return;
	}
	buf = calloc(1, size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->offset) {
		d->have_ent = false;
		d->offset = off;
	}
	for (;;) {
		struct fuse_entry_param e;
		fuse_ino_t got = 0;
		const char *name;
		size_t n;

		if (!d->have_ent) {
			int rc = store_readdir(fs->store, d->sd, d->offset,
					       &d->ent);

			if (rc <= 0) {
				err = -rc;
				break;
			}
			d->have_ent = true;
		}
		name = d->ent.name;
		if (plus && !is_dot(name)) {
			err = -do_lookup(fs, inode_of(fs, nodeid), name, &e);
			if (err)
				break;
			got = e.ino;
		} else {
			memset(&e, 0, sizeof(e));
			e.attr.st_ino = d->ent.ino;
			e.attr.st_mode = d->ent.type;
		}
		if (plus)
			n = fuse_add_direntry_plus(req, buf + size - rem, rem,
						   name, &e, d->ent.next);
		else
			n = fuse_add_direntry(req, buf + size - rem, rem, name,
					      &e.attr, d->ent.next);
		if (n > rem) {
			if (got)
				inode_forget(fs, inode_of(fs, got), 1);
			break;
		}
		rem -= n;
		d->offset = d->ent.next;
		d->have_ent = false;
	}
	/* Entries already in buf carry lookup counts: report an error only
	 * when there are none. */
	if (err && rem == size)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, size - rem);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t nodeid, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, nodeid, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t nodeid, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, nodeid, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t nodeid,
			  struct fuse_file_info *fi)
{
	struct dirp *d = (struct dirp *)(uintptr_t)fi->fh;

	if (!ctl_is(nodeid) && d) {
		store_closedir(fs_of(req)->store, d->sd);
		free(d);
	}
	fuse_reply_err(req, 0);
}

/* ---- files ------------------------------------------------------------ */

/* Sets up fi for an open of in (a reference for the handle). */
static int open_fh(struct fs *fs, struct inode *in, struct fuse_file_info *fi)
{
	struct fh *fh;
	int rc;

	if (in->type != S_IFREG)
		return in->type == S_IFDIR ? -EISDIR : -ENXIO;
	/* An open that writes needs a store that can take the write-back,
	 * or its data would sit in frames that can never be cleaned. */
	rc = store_open(fs->store, in->obj, (fi->flags & O_ACCMODE) !=
			O_RDONLY || (fi->flags & O_TRUNC));
	if (rc < 0)
		return rc;
	fh = calloc(1, sizeof(*fh));
	if (!fh)
		return -ENOMEM;
	inode_hold(fs, in);
	fh->in = in;
	fh->err_since = cache_file_error_seq(fs->cache, in->id);
	fi->fh = (uint64_t)(uintptr_t)fh;
	fi->keep_cache = 1;	/* inclusion: only the daemon drops pages */
	fi->direct_io = 0;
	return 0;
}

/* Close-to-open on a store others may change (a web server): an open
 * asks the store whether the file changed since this mount last read or
 * wrote it.  If so, its frames go (pager_revalidate), the open tells the
 * kernel to drop its pages of the file (keep_cache = 0: the kernel
 * invalidates them before the open returns), and its attributes, so the
 * new size is read.  That one notify is for attributes only (offset -1):
 * it touches no page and waits for no page lock, so unlike a data
 * invalidation it is safe from a handler (DESIGN.md, "Protocols"). */
static int revalidate(struct fs *fs, fuse_ino_t nodeid, struct inode *in,
		      struct fuse_file_info *fi)
{
	struct stat st;
	bool changed;
	int rc;

	rc = store_revalidate(fs->store, in->obj, &st, &changed);
	if (rc < 0 || !changed)
		return rc;
	if (pager_revalidate(fs, in, (uint64_t)st.st_size)) {
		fi->keep_cache = 0;
		fuse_lowlevel_notify_inval_inode(fs->se, nodeid, -1, 0);
	}
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t nodeid,
		    struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct inode *in;
	int rc;

	if (ctl_is(nodeid)) {
		ctl_open(fs, req, nodeid, fi);
		return;
	}
	in = inode_of(fs, nodeid);
	rc = open_fh(fs, in, fi);
	if (rc == 0 && (store_caps(fs->store) & STORE_CAP_REVALIDATE)) {
		rc = revalidate(fs, nodeid, in, fi);
		if (rc < 0) {
			inode_put(fs, in);
			free((void *)(uintptr_t)fi->fh);
		}
	}
	if (rc == 0 && (fi->flags & O_TRUNC)) {
		rc = pager_truncate(fs, in, 0);
		if (rc < 0) {
			inode_put(fs, in);
			free((void *)(uintptr_t)fi->fh);
		}
	}
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fuse_reply_open(req, fi);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct inode *p = req_inode(req, parent), *in;
	struct fuse_entry_param e;
	int rc;

	if (ctl_name(parent, name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* O_TRUNC goes through pager_truncate, so frames of an existing file
	 * go with its bytes. */
	rc = store_create(fs->store, p->obj, name, mode, fi->flags & O_EXCL);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	rc = do_lookup(fs, p, name, &e);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	in = inode_of(fs, e.ino);
	fi->fh = 0;
	rc = open_fh(fs, in, fi);
	if (rc == 0 && (fi->flags & O_TRUNC) && inode_size(in)) {
		rc = pager_truncate(fs, in, 0);
		e.attr.st_size = 0;
		if (rc < 0) {
			inode_put(fs, in);
			free((void *)(uintptr_t)fi->fh);
		}
	}
	if (rc < 0) {
		inode_forget(fs, in, 1);
		fuse_reply_err(req, -rc);
		return;
	}
	fuse_reply_create(req, &e, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t nodeid, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fh *fh;

	if (ctl_is(nodeid)) {
		ctl_read(fs, req, size, off, fi);
		return;
	}
	fh = (struct fh *)(uintptr_t)fi->fh;
	pager_read_reply(fs, req, fh->in, size, (uint64_t)off);
}

static void op_write(fuse_req_t req, fuse_ino_t nodeid, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fh *fh;
	ssize_t n;

	if (ctl_is(nodeid)) {
		ctl_write(fs, req, buf, size, fi);
		return;
	}
	fh = (struct fh *)(uintptr_t)fi->fh;
	n = pager_write(fs, fh->in, buf, size, (uint64_t)off,
			fi->writepage != 0);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

/* Writes back the file and returns the newest write-back error this open
 * file has not seen yet. */
static int sync_fh(struct fs *fs, struct fh *fh, bool store_sync,
		   bool datasync)
{
	int rc = pager_flush_file(fs, fh->in), err;

	if (rc == 0 && store_sync)
		rc = store_fsync(fs->store, fh->in->obj, datasync);
	err = cache_file_error(fs->cache, fh->in->id, &fh->err_since);
	return err ? err : rc;
}

static void op_flush(fuse_req_t req, fuse_ino_t nodeid,
		     struct fuse_file_info *fi)
{
	if (ctl_is(nodeid)) {
		fuse_reply_err(req, 0);
		return;
	}
	/* A close writes back; on a store others share (close-to-open), the
	 * store's own buffering too (a spool is PUT). */
	fuse_reply_err(req, -sync_fh(fs_of(req),
				     (struct fh *)(uintptr_t)fi->fh,
				     store_caps(fs_of(req)->store) &
					     STORE_CAP_REVALIDATE,
				     false));
}

static void op_fsync(fuse_req_t req, fuse_ino_t nodeid, int datasync,
		     struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);

	if (ctl_is(nodeid)) {
		fuse_reply_err(req, 0);
		return;
	}
	FS_ADD(fs, fsyncs, 1);
	fuse_reply_err(req, -sync_fh(fs, (struct fh *)(uintptr_t)fi->fh, true,
				     datasync != 0));
}

static void op_release(fuse_req_t req, fuse_ino_t nodeid,
		       struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fh *fh;

	if (ctl_is(nodeid)) {
		ctl_release(fs, req, fi);
		return;
	}
	fh = (struct fh *)(uintptr_t)fi->fh;
	inode_put(fs, fh->in);
	free(fh);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t nodeid)
{
	struct statvfs sv;
	int rc;

	(void)nodeid;
	rc = store_statfs(fs_of(req)->store, &sv);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_statfs(req, &sv);
}

/* fallocate.  What reaches us was measured on Linux 6.18 (a probe calling
 * fallocate(2) on a mount under `framefs -d`): mode 0, KEEP_SIZE,
 * PUNCH_HOLE | KEEP_SIZE, ZERO_RANGE and ZERO_RANGE | KEEP_SIZE.  The
 * kernel's fuse_file_fallocate answers EOPNOTSUPP itself to every other
 * mode (COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE, WRITE_ZEROES), and the
 * VFS to PUNCH_HOLE without KEEP_SIZE, so those never reach a FUSE daemon:
 * they answer EOPNOTSUPP here too.  (Collapsing or inserting a range would
 * move every page after it, frames and kernel pages alike.)  For PUNCH_HOLE
 * and ZERO_RANGE the kernel writes back its dirty pages from the range on
 * first and drops its pages of the range after our reply; pager_zero_range
 * keeps the frames right in between. */
static void op_fallocate(fuse_req_t req, fuse_ino_t nodeid, int mode,
			 off_t off, off_t len, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct inode *in;
	int rc = 0;

	(void)fi;
	if (ctl_is(nodeid)) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (off < 0 || len <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (off > INT64_MAX - len) {
		fuse_reply_err(req, EFBIG);
		return;
	}
	in = inode_of(fs, nodeid);
	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
		rc = pager_zero_range(fs, in, mode, (uint64_t)off,
				      (uint64_t)len);
	} else if (mode & ~FALLOC_FL_KEEP_SIZE) {
		rc = -EOPNOTSUPP;
	} else {
		/* Allocation only; the size moves like a growing truncate. */
		rc = store_fallocate(fs->store, in->obj, FALLOC_FL_KEEP_SIZE,
				     (uint64_t)off, (uint64_t)len);
		if (!rc && !(mode & FALLOC_FL_KEEP_SIZE) &&
		    (uint64_t)(off + len) > inode_size(in))
			rc = pager_truncate(fs, in, (uint64_t)(off + len));
	}
	fuse_reply_err(req, -rc);
}

const struct fuse_lowlevel_ops framefs_ops = {
	.init		= op_init,
	.lookup		= op_lookup,
	.forget		= op_forget,
	.forget_multi	= op_forget_multi,
	.getattr	= op_getattr,
	.setattr	= op_setattr,
	.readlink	= op_readlink,
	.mknod		= op_mknod,
	.mkdir		= op_mkdir,
	.symlink	= op_symlink,
	.link		= op_link,
	.unlink		= op_unlink,
	.rmdir		= op_rmdir,
	.rename		= op_rename,
	.opendir	= op_opendir,
	.readdir	= op_readdir,
	.readdirplus	= op_readdirplus,
	.releasedir	= op_releasedir,
	.open		= op_open,
	.create		= op_create,
	.read		= op_read,
	.write		= op_write,
	.flush		= op_flush,
	.fsync		= op_fsync,
	.release	= op_release,
	.statfs		= op_statfs,
	.fallocate	= op_fallocate,
};
