/* test_store.c - the stores without FUSE: store_dir on a fresh temp
 * directory (names, links, directories read in pieces, data, paths after
 * renames, errors), the latency wrapper (its delays and counters), the
 * fault wrapper (failures until switched off), and a whole chain
 * dir -> latency -> fault forwarding every namespace call.
 *
 * Each test gets its own directory under the group's temp dir, removed
 * with everything in it when the group ends. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"	/* tmpdir_make; the tree is removed here */

#include "store.h"

static char dir[256];

static int group_setup(void **s)
{
	(void)s;
	return tmpdir_make(dir, sizeof(dir), "test_store");
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* The tests make subdirectories: removed depth first, symlinks not
 * followed. */
static int group_teardown(void **s)
{
	(void)s;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A store of a new directory DIR/name, its root handle in *root. */
static struct store *dir_store(const char *name, struct store_obj **root)
{
	char path[512], err[160];
	struct store *st;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
	st = store_dir_new(path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_root(st, root, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	return st;
}

/* Looks name up in d; the handle, its stat in *sb. */
static struct store_obj *lookup(struct store *st, struct store_obj *d,
				const char *name, struct stat *sb)
{
	struct store_obj *o = NULL;
	struct stat tmp;

	assert_int_equal(store_lookup(st, d, name, &o, sb ? sb : &tmp), 0);
	assert_non_null(o);
	return o;
}

static ino_t ino_of(struct store *st, struct store_obj *d, const char *name)
{
	struct stat sb;
	struct store_obj *o = lookup(st, d, name, &sb);

	store_release(st, o);
	return sb.st_ino;
}

static ssize_t put(struct store *st, struct store_obj *o, const char *s,
		   uint64_t off)
{
	struct iovec iov = { (void *)s, strlen(s) };

	return store_writev(st, o, &iov, 1, off);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- store_dir: names ------------------------------------------------- */

static void test_store_dir_names(void **s)
{
	struct store_obj *root, *a, *f;
	struct store *st = dir_store("names", &root);
	struct stat sb;
	ino_t fi, gi;

	(void)s;
	assert_string_equal(store_kind(st), "dir");
	assert_true(store_caps(st) & STORE_CAP_HARDLINK);
	assert_true(store_caps(st) & STORE_CAP_EXCHANGE);
	assert_true(store_caps(st) & STORE_CAP_PUNCH);
	assert_false(store_caps(st) & STORE_CAP_READONLY);
	assert_int_equal(store_create(st, root, "f", 0644, O_EXCL), 0);
	assert_int_equal(store_create(st, root, "f", 0644, O_EXCL), -EEXIST);
	assert_int_equal(store_create(st, root, "f", 0644, 0), 0);
	assert_int_equal(store_mkdir(st, root, "a", 0755), 0);
	assert_int_equal(store_mkdir(st, root, "a", 0755), -EEXIST);
	assert_int_equal(store_create(st, root, "a", 0644, 0), -EISDIR);
	f = lookup(st, root, "f", &sb);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0644);
	fi = sb.st_ino;
	a = lookup(st, root, "a", &sb);
	assert_true(S_ISDIR(sb.st_mode));
	/* Plain rename: the handle follows the object. */
	assert_int_equal(store_rename(st, root, "f", a, "g", 0), 0);
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_ino, fi);
	assert_int_equal(ino_of(st, a, "g"), fi);
	/* NOREPLACE over an existing name. */
	assert_int_equal(store_create(st, root, "h", 0600, O_EXCL), 0);
	gi = ino_of(st, root, "h");
	assert_int_equal(store_rename(st, root, "h", a, "g",
				      RENAME_NOREPLACE), -EEXIST);
	/* EXCHANGE swaps the two names. */
	assert_int_equal(store_rename(st, root, "h", a, "g", RENAME_EXCHANGE),
			 0);
	assert_int_equal(ino_of(st, a, "g"), gi);
	assert_int_equal(ino_of(st, root, "h"), fi);
	/* chmod, chown (to what it is), utimens on the handle. */
	assert_int_equal(store_chmod(st, f, 0600), 0);
	assert_int_equal(store_chown(st, f, (uid_t)-1, (gid_t)-1), 0);
	{
		struct timespec tv[2] = { { 1000, 0 }, { 2000, 5 } };

		assert_int_equal(store_utimens(st, f, tv), 0);
	}
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_mtim.tv_sec, 2000);
	/* rmdir of a non-empty dir, then empty. */
	assert_int_equal(store_rmdir(st, root, "a"), -ENOTEMPTY);
	assert_int_equal(store_unlink(st, a, "g"), 0);
	assert_int_equal(store_rmdir(st, root, "a"), 0);
	{
		struct statvfs sv;

		assert_int_equal(store_statfs(st, &sv), 0);
		assert_true(sv.f_bsize > 0);
	}
	store_release(st, a);
	store_release(st, f);
	store_release(st, root);
	store_free(st);
}

static void test_store_dir_link_unlink(void **s)
{
	struct store_obj *root, *f, *g;
	struct store *st = dir_store("link", &root);
	struct stat sf, sg;
	char buf[64];

	(void)s;
	assert_int_equal(store_create(st, root, "f", 0644, O_EXCL), 0);
	f = lookup(st, root, "f", &sf);
	assert_int_equal(store_link(st, f, root, "g"), 0);
	assert_int_equal(store_link(st, f, root, "g"), -EEXIST);
	g = lookup(st, root, "g", &sg);
	assert_int_equal(sg.st_ino, sf.st_ino);
	assert_int_equal(sg.st_dev, sf.st_dev);
	assert_int_equal(sg.st_nlink, 2);
	/* Both names gone: the held handle says nlink 0, and no path. */
	assert_int_equal(store_unlink(st, root, "f"), 0);
	assert_int_equal(store_unlink(st, root, "g"), 0);
	assert_int_equal(store_unlink(st, root, "g"), -ENOENT);
	assert_int_equal(store_getattr(st, f, &sf), 0);
	assert_int_equal(sf.st_nlink, 0);
	assert_int_equal(store_path(st, f, buf, sizeof(buf)), -ENOENT);
	store_release(st, g);
	store_release(st, f);
	store_release(st, root);
	store_free(st);
}

static void test_store_dir_symlink_special(void **s)
{
	struct store_obj *root, *l;
	struct store *st = dir_store("symlink", &root);
	char buf[64];
	struct stat sb;
	ssize_t n;

	(void)s;
	assert_int_equal(store_symlink(st, "no/such/target", root, "l"), 0);
	assert_int_equal(store_symlink(st, "x", root, "l"), -EEXIST);
	l = lookup(st, root, "l", &sb);	/* never followed */
	assert_true(S_ISLNK(sb.st_mode));
	n = store_readlink(st, l, buf, sizeof(buf));
	assert_int_equal(n, strlen("no/such/target"));
	buf[n] = '\0';
	assert_string_equal(buf, "no/such/target");
	{
		struct timespec tv[2] = { { 0, UTIME_OMIT }, { 3000, 0 } };

		assert_int_equal(store_utimens(st, l, tv), 0);
		assert_int_equal(store_getattr(st, l, &sb), 0);
		assert_int_equal(sb.st_mtim.tv_sec, 3000);
	}
	assert_int_equal(store_mknod(st, root, "p", S_IFIFO | 0644, 0), 0);
	store_release(st, lookup(st, root, "p", &sb));
	assert_true(S_ISFIFO(sb.st_mode));
	/* create over an existing fifo does not block */
	assert_int_equal(store_create(st, root, "p", 0644, 0), 0);
	store_release(st, l);
	store_release(st, root);
	store_free(st);
}

/* ---- store_dir: directories ------------------------------------------- */

#define NFILES 150

static void test_store_dir_readdir(void **s)
{
	struct store_obj *root;
	struct store *st = dir_store("readdir", &root);
	static struct store_dirent all[NFILES + 8];
	struct store_dir *d;
	bool seen[NFILES] = { false };
	int n = 0, rc, mid;

	(void)s;
	for (int i = 0; i < NFILES; i++) {
		char name[32];

		snprintf(name, sizeof(name), "file-%03d", i);
		assert_int_equal(store_create(st, root, name, 0644, O_EXCL),
				 0);
	}
	/* Every entry once, each offset the next one's. */
	assert_int_equal(store_opendir(st, root, &d), 0);
	for (off_t off = 0;; off = all[n++].next) {
		assert_true(n < NFILES + 8);
		rc = store_readdir(st, d, off, &all[n]);
		assert_true(rc >= 0);
		if (rc == 0)
			break;
	}
	assert_int_equal(n, NFILES + 2);	/* "." and ".." */
	for (int i = 0; i < n; i++) {
		int k;

		if (!strcmp(all[i].name, ".") || !strcmp(all[i].name, ".."))
			continue;
		assert_int_equal(sscanf(all[i].name, "file-%d", &k), 1);
		assert_false(seen[k]);
		seen[k] = true;
		assert_int_equal(all[i].type, S_IFREG);
		assert_int_equal(all[i].ino, ino_of(st, root, all[i].name));
	}
	/* Resume from the middle, on this handle (backwards) and on a new
	 * one. */
	mid = n / 2;
	for (int pass = 0; pass < 2; pass++) {
		struct store_dir *d2 = d;
		struct store_dirent e;
		off_t off = all[mid].next;

		if (pass == 1)
			assert_int_equal(store_opendir(st, root, &d2), 0);
		for (int i = mid + 1; i < n; i++) {
			assert_int_equal(store_readdir(st, d2, off, &e), 1);
			assert_string_equal(e.name, all[i].name);
			off = e.next;
		}
		assert_int_equal(store_readdir(st, d2, off, &e), 0);
		if (pass == 1)
			store_closedir(st, d2);
	}
	store_closedir(st, d);
	store_release(st, root);
	store_free(st);
}

/* ---- store_dir: data -------------------------------------------------- */

static void test_store_dir_data(void **s)
{
	struct store_obj *root, *f;
	struct store *st = dir_store("data", &root);
	char buf[64], a[] = "hello ", b[] = "world";
	struct iovec iov[2] = { { a, 6 }, { b, 5 } };
	struct stat sb;
	ssize_t n;

	(void)s;
	assert_int_equal(store_create(st, root, "f", 0644, O_EXCL), 0);
	f = lookup(st, root, "f", NULL);
	assert_int_equal(store_open(st, f, true), 0);
	assert_int_equal(store_writev(st, f, iov, 2, 0), 0);
	memset(buf, 0, sizeof(buf));
	n = store_read(st, f, buf, sizeof(buf), 0);	/* short at EOF */
	assert_int_equal(n, 11);
	assert_string_equal(buf, "hello world");
	{
		char x[3], y[4];
		struct iovec r[2] = { { x, 3 }, { y, 4 } };

		assert_int_equal(store_readv(st, f, r, 2, 2), 7);
		assert_memory_equal(x, "llo", 3);
		assert_memory_equal(y, " wor", 4);
	}
	assert_int_equal(store_fsync(st, f, false), 0);
	assert_int_equal(store_fsync(st, f, true), 0);
	/* truncate down and up */
	assert_int_equal(store_truncate(st, f, 5), 0);
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 5);
	assert_int_equal(store_truncate(st, f, 8192), 0);
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_size, 8192);
	/* ZERO_RANGE, with and without KEEP_SIZE */
	memset(buf, 'x', sizeof(buf));
	{
		struct iovec w = { buf, 64 };

		assert_int_equal(store_writev(st, f, &w, 1, 100), 0);
	}
	assert_int_equal(store_fallocate(st, f, FALLOC_FL_ZERO_RANGE, 110, 10),
			 0);
	assert_int_equal(store_read(st, f, buf, 64, 100), 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf[i], i >= 10 && i < 20 ? 0 : 'x');
	assert_int_equal(store_fallocate(st, f, FALLOC_FL_ZERO_RANGE, 8000,
					 1000), 0);
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_size, 9000);
	assert_int_equal(store_fallocate(st, f, FALLOC_FL_ZERO_RANGE |
					 FALLOC_FL_KEEP_SIZE, 8500, 1000), 0);
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_size, 9000);
	/* PUNCH_HOLE | KEEP_SIZE over the x's (tmpfs and ext4 both punch) */
	assert_int_equal(store_fallocate(st, f, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 100, 5), 0);
	assert_int_equal(store_read(st, f, buf, 64, 100), 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf[i], i < 5 || (i >= 10 && i < 20) ? 0 :
				 'x');
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_size, 9000);
	/* allocation alone */
	assert_int_equal(store_fallocate(st, f, 0, 9000, 100), 0);
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_size, 9100);
	store_release(st, f);
	store_release(st, root);
	store_free(st);
}

/* A read-only file opens for reading only; a write open fails. */
static void test_store_dir_open_modes(void **s)
{
	struct store_obj *root, *f;
	struct store *st = dir_store("modes", &root);
	char buf[8];

	(void)s;
	assert_int_equal(store_create(st, root, "ro", 0444, O_EXCL), 0);
	f = lookup(st, root, "ro", NULL);
	assert_int_equal(store_open(st, f, false), 0);
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 0);
	if (geteuid() != 0) {
		assert_int_equal(store_open(st, f, true), -EACCES);
		assert_int_equal(put(st, f, "x", 0), -EACCES);
	}
	store_release(st, f);
	store_release(st, root);
	store_free(st);
}

/* ---- store_dir: paths ------------------------------------------------- */

static void test_store_dir_path(void **s)
{
	struct store_obj *root, *a, *f;
	struct store *st = dir_store("path", &root);
	char buf[256];

	(void)s;
	assert_int_equal(store_path(st, root, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "/");
	assert_int_equal(store_mkdir(st, root, "a", 0755), 0);
	a = lookup(st, root, "a", NULL);
	assert_int_equal(store_create(st, a, "f", 0644, O_EXCL), 0);
	f = lookup(st, a, "f", NULL);
	assert_int_equal(store_path(st, f, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "/a/f");
	/* the parent renamed: the handle's path follows */
	assert_int_equal(store_rename(st, root, "a", root, "b c", 0), 0);
	assert_int_equal(store_path(st, f, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "/b c/f");
	assert_int_equal(store_path(st, a, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "/b c");
	{
		char where[512];

		snprintf(where, sizeof(where), "%s/path", dir);
		/* dir may hold a symlink (TMPDIR): compare real paths */
		{
			char *real = realpath(where, NULL);

			assert_non_null(real);
			assert_string_equal(store_where(st), real);
			free(real);
		}
	}
	store_release(st, f);
	store_release(st, a);
	store_release(st, root);
	store_free(st);
}

/* ---- store_dir: errors ------------------------------------------------ */

static void test_store_dir_errors(void **s)
{
	struct store_obj *root, *f, *d, *o = NULL;
	struct store *st = dir_store("errors", &root);
	char path[512], err[160] = "";
	struct stat sb;
	char buf[8];

	(void)s;
	assert_int_equal(store_lookup(st, root, "nosuch", &o, &sb), -ENOENT);
	assert_null(o);
	assert_int_equal(store_create(st, root, "f", 0644, O_EXCL), 0);
	assert_int_equal(store_mkdir(st, root, "d", 0755), 0);
	f = lookup(st, root, "f", NULL);
	d = lookup(st, root, "d", NULL);
	assert_int_equal(store_lookup(st, f, "x", &o, &sb), -ENOTDIR);
	assert_int_equal(store_create(st, f, "x", 0644, 0), -ENOTDIR);
	assert_int_equal(store_open(st, d, true), -EISDIR);
	assert_int_equal(store_read(st, d, buf, sizeof(buf), 0), -EISDIR);
	assert_int_equal(store_unlink(st, root, "d"), -EISDIR);
	assert_int_equal(store_rmdir(st, root, "f"), -ENOTDIR);
	assert_int_equal(store_rename(st, root, "nosuch", root, "y", 0),
			 -ENOENT);
	{
		struct store_dir *sd = NULL;

		assert_int_equal(store_opendir(st, f, &sd), -ENOTDIR);
	}
	/* not a link: what readlinkat(fd, "") says (ENOENT here) */
	assert_true(store_readlink(st, f, buf, sizeof(buf)) < 0);
	/* store_dir_new: a file, nothing there */
	snprintf(path, sizeof(path), "%s/errors/f", dir);
	errno = 0;
	assert_null(store_dir_new(path, err, sizeof(err)));
	assert_int_equal(errno, ENOTDIR);
	assert_string_equal(err, "not a directory");
	snprintf(path, sizeof(path), "%s/errors/nosuch", dir);
	assert_null(store_dir_new(path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	/* no fault wrapper in the chain */
	assert_int_equal(store_fault(st, false, EIO), -ENOSYS);
	store_release(st, d);
	store_release(st, f);
	store_release(st, root);
	store_free(st);
}

/* ---- the latency wrapper ---------------------------------------------- */

static void test_store_latency_fixed(void **s)
{
	struct store_obj *root, *f, *d;
	struct store *st = dir_store("lat_fixed", &root);
	struct store_stats ss;
	char buf[100];
	uint64_t t0;

	(void)s;
	store_stats(st, &ss);			/* none in the chain: zeros */
	assert_int_equal(ss.store_reads, 0);
	st = store_latency_new(st, STORE_LAT_FIXED, 2000);
	assert_non_null(st);
	assert_string_equal(store_kind(st), "dir");
	assert_int_equal(store_create(st, root, "f", 0644, O_EXCL), 0);
	assert_int_equal(store_mkdir(st, root, "d", 0755), 0);
	f = lookup(st, root, "f", NULL);
	d = lookup(st, root, "d", NULL);
	assert_int_equal(put(st, f, "0123456789", 0), 0);
	t0 = now_us();
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 10);
	assert_true(now_us() - t0 >= 2000);
	assert_int_equal(store_read(st, d, buf, sizeof(buf), 0), -EISDIR);
	assert_int_equal(store_fsync(st, f, false), 0);
	assert_int_equal(store_fallocate(st, f, 0, 0, 4096), 0);
	assert_int_equal(store_truncate(st, d, 0), -EISDIR);
	store_stats(st, &ss);
	assert_int_equal(ss.store_reads, 2);
	assert_int_equal(ss.store_read_bytes, 10);
	assert_int_equal(ss.store_writes, 1);
	assert_int_equal(ss.store_write_bytes, 10);
	assert_int_equal(ss.store_fsyncs, 1);
	assert_int_equal(ss.store_fallocates, 1);
	assert_int_equal(ss.store_errors, 2);
	/* reads, write and fallocate each sleep 2 ms */
	assert_int_equal(ss.store_delay_us, 4 * 2000);
	store_release(st, d);
	store_release(st, f);
	store_release(st, root);
	store_free(st);
}

/* The hdd model: a read that starts where the last ended on the same
 * object pays no seek; another object, or a jump, does. */
static void test_store_latency_hdd(void **s)
{
	struct store_obj *root, *f, *g;
	struct store *st = dir_store("lat_hdd", &root);
	static char buf[4096];
	struct store_stats a, b;
	uint64_t xfer = sizeof(buf) / 150;	/* 150 MB/s: us */

	(void)s;
	st = store_latency_new(st, STORE_LAT_HDD, 0);
	assert_non_null(st);
	assert_int_equal(store_create(st, root, "f", 0644, O_EXCL), 0);
	assert_int_equal(store_create(st, root, "g", 0644, O_EXCL), 0);
	f = lookup(st, root, "f", NULL);
	g = lookup(st, root, "g", NULL);
	assert_int_equal(store_truncate(st, f, 4 * sizeof(buf)), 0);
	assert_int_equal(store_truncate(st, g, 4 * sizeof(buf)), 0);
	store_stats(st, &a);
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 4096);
	store_stats(st, &b);
	assert_int_equal(b.store_delay_us - a.store_delay_us, 4000 + xfer);
	a = b;		/* continues: no seek */
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 4096), 4096);
	store_stats(st, &b);
	assert_int_equal(b.store_delay_us - a.store_delay_us, xfer);
	a = b;		/* same offset, another object: a seek */
	assert_int_equal(store_read(st, g, buf, sizeof(buf), 8192), 4096);
	store_stats(st, &b);
	assert_int_equal(b.store_delay_us - a.store_delay_us, 4000 + xfer);
	a = b;		/* back on f, not where it ended: a seek */
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 4096);
	store_stats(st, &b);
	assert_int_equal(b.store_delay_us - a.store_delay_us, 4000 + xfer);
	store_release(st, g);
	store_release(st, f);
	store_release(st, root);
	store_free(st);
}

static void test_store_latency_parse(void **s)
{
	enum store_latency_kind k;
	uint32_t us;

	(void)s;
	assert_int_equal(store_latency_parse("hdd", &k, &us), 0);
	assert_int_equal(k, STORE_LAT_HDD);
	assert_int_equal(store_latency_parse("ssd", &k, &us), 0);
	assert_int_equal(k, STORE_LAT_SSD);
	assert_int_equal(store_latency_parse("none", &k, &us), 0);
	assert_int_equal(k, STORE_LAT_NONE);
	assert_int_equal(store_latency_parse("250", &k, &us), 0);
	assert_int_equal(k, STORE_LAT_FIXED);
	assert_int_equal(us, 250);
	assert_int_equal(store_latency_parse("fast", &k, &us), -EINVAL);
	assert_string_equal(store_latency_name(STORE_LAT_HDD), "hdd");
}

/* ---- the fault wrapper ------------------------------------------------ */

static struct store *chain(const char *name, struct store_obj **root)
{
	struct store *st = dir_store(name, root);

	st = store_latency_new(st, STORE_LAT_NONE, 0);
	assert_non_null(st);
	st = store_fault_new(st);
	assert_non_null(st);
	return st;
}

static void test_store_fault(void **s)
{
	struct store_obj *root, *f;
	struct store *st = chain("fault", &root);
	struct store_stats ss;
	char buf[16];

	(void)s;
	assert_int_equal(store_create(st, root, "f", 0644, O_EXCL), 0);
	f = lookup(st, root, "f", NULL);
	assert_int_equal(put(st, f, "data", 0), 0);
	/* reads fail until switched off; writes go on */
	assert_int_equal(store_fault(st, false, EIO), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_read(st, f, buf, sizeof(buf), 0),
				 -EIO);
	assert_int_equal(put(st, f, "DATA", 0), 0);
	store_stats(st, &ss);
	assert_int_equal(ss.store_reads, 3);
	assert_int_equal(ss.store_errors, 3);
	assert_int_equal(store_fault(st, false, 0), 0);
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "DATA", 4);
	/* writes fail: writev, truncate, fsync, fallocate; reads go on */
	assert_int_equal(store_fault(st, true, ENOSPC), 0);
	assert_int_equal(put(st, f, "xxxx", 0), -ENOSPC);
	assert_int_equal(store_truncate(st, f, 0), -ENOSPC);
	assert_int_equal(store_fsync(st, f, false), -ENOSPC);
	assert_int_equal(store_fallocate(st, f, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 0, 4), -ENOSPC);
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "DATA", 4);	/* nothing changed */
	store_stats(st, &ss);
	assert_int_equal(ss.store_errors, 7);
	assert_int_equal(ss.store_writes, 3);	/* two put()s, one failed */
	assert_int_equal(ss.store_fsyncs, 1);
	assert_int_equal(ss.store_fallocates, 1);
	assert_int_equal(store_fault(st, true, 0), 0);
	assert_int_equal(store_truncate(st, f, 2), 0);
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 2);
	store_release(st, f);
	store_release(st, root);
	store_free(st);
}

/* Every namespace call through dir -> latency -> fault reaches the
 * directory, and the chain reports the directory's kind, place and caps. */
static void test_store_chain_forwards(void **s)
{
	struct store_obj *root, *droot, *a, *f;
	struct store *st = chain("chain", &root);
	struct store *inner = st->inner->inner;
	struct stat sb, db;
	char buf[64];
	int n = 0, rc;

	(void)s;
	assert_string_equal(store_kind(st), "dir");
	assert_string_equal(store_where(st), store_where(inner));
	assert_int_equal(store_caps(st), store_caps(inner));
	assert_int_equal(store_root(inner, &droot, &db), 0);
	assert_int_equal(store_mkdir(st, root, "a", 0700), 0);
	a = lookup(st, root, "a", &sb);
	assert_int_equal(ino_of(inner, droot, "a"), sb.st_ino);
	assert_int_equal(store_create(st, a, "f", 0600, O_EXCL), 0);
	f = lookup(st, a, "f", &sb);
	assert_int_equal(store_getattr(st, f, &db), 0);
	assert_int_equal(db.st_ino, sb.st_ino);
	assert_int_equal(store_open(st, f, true), 0);
	assert_int_equal(store_chmod(st, f, 0640), 0);
	assert_int_equal(store_chown(st, f, (uid_t)-1, (gid_t)-1), 0);
	{
		struct timespec tv[2] = { { 5, 0 }, { 7, 0 } };

		assert_int_equal(store_utimens(st, f, tv), 0);
	}
	assert_int_equal(store_getattr(inner, f, &db), 0);
	assert_int_equal(db.st_mode & 07777, 0640);
	assert_int_equal(db.st_mtim.tv_sec, 7);
	{
		bool changed = true;

		assert_int_equal(store_revalidate(st, f, &db, &changed), 0);
		assert_false(changed);
		assert_int_equal(db.st_ino, sb.st_ino);
	}
	assert_int_equal(store_link(st, f, root, "hard"), 0);
	assert_int_equal(ino_of(inner, droot, "hard"), sb.st_ino);
	assert_int_equal(store_symlink(st, "a/f", root, "sym"), 0);
	{
		struct store_obj *l = lookup(st, root, "sym", NULL);
		ssize_t len = store_readlink(st, l, buf, sizeof(buf));

		assert_int_equal(len, 3);
		store_release(st, l);
	}
	assert_int_equal(store_mknod(st, root, "fifo", S_IFIFO | 0600, 0), 0);
	assert_int_equal(store_rename(st, root, "hard", a, "g",
				      RENAME_NOREPLACE), 0);
	assert_int_equal(store_rename(st, a, "g", root, "sym",
				      RENAME_EXCHANGE), 0);
	assert_int_equal(ino_of(inner, droot, "sym"), sb.st_ino);
	assert_int_equal(store_path(st, f, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "/a/f");
	{
		struct store_dir *d;
		struct store_dirent e;
		off_t off = 0;

		assert_int_equal(store_opendir(st, root, &d), 0);
		while ((rc = store_readdir(st, d, off, &e)) == 1) {
			n++;
			off = e.next;
		}
		assert_int_equal(rc, 0);
		store_closedir(st, d);
		assert_int_equal(n, 2 + 3);	/* a, sym, fifo */
	}
	{
		struct statvfs sv;

		assert_int_equal(store_statfs(st, &sv), 0);
		assert_true(sv.f_blocks > 0);
	}
	assert_int_equal(store_unlink(st, a, "g"), 0);
	assert_int_equal(store_unlink(st, root, "sym"), 0);
	assert_int_equal(store_unlink(st, root, "fifo"), 0);
	assert_int_equal(store_unlink(st, a, "f"), 0);
	assert_int_equal(store_rmdir(st, root, "a"), 0);
	assert_int_equal(store_getattr(st, f, &db), 0);
	assert_int_equal(db.st_nlink, 0);
	assert_int_equal(store_stats_format(st, buf, sizeof(buf)), 0);
	store_release(st, f);
	store_release(st, a);
	store_release(inner, droot);
	store_release(st, root);
	store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_dir_names),
		cmocka_unit_test(test_store_dir_link_unlink),
		cmocka_unit_test(test_store_dir_symlink_special),
		cmocka_unit_test(test_store_dir_readdir),
		cmocka_unit_test(test_store_dir_data),
		cmocka_unit_test(test_store_dir_open_modes),
		cmocka_unit_test(test_store_dir_path),
		cmocka_unit_test(test_store_dir_errors),
		cmocka_unit_test(test_store_latency_fixed),
		cmocka_unit_test(test_store_latency_hdd),
		cmocka_unit_test(test_store_latency_parse),
		cmocka_unit_test(test_store_fault),
		cmocka_unit_test(test_store_chain_forwards),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
