/* test_store_http.c - the http store (fs/store_http.c) through the
 * store_*() calls of store.h, against real servers: Apache httpd with
 * mod_dav_fs and nginx serving static files (harness/httpd.c, on
 * 127.0.0.1, stopped by PID).
 *
 * What the server holds is checked in its served directory directly.
 * Without apache2 or nginx the cases that need one report SKIP.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "httpd.h"
#include "store.h"
#include "store_http.h"

static struct httpd apache = { .auth = true };
static struct httpd nginx;

static struct httpd *need_apache(void)
{
	if (!httpd_available(HTTPD_APACHE)) {
		print_message("no apache2 with mod_dav_fs\n");
		skip();
	}
	if (!apache.pid) {
		apache.auth = true;
		assert_int_equal(httpd_start(&apache, HTTPD_APACHE), 0);
	}
	return &apache;
}

static struct httpd *need_nginx(void)
{
	if (!httpd_available(HTTPD_NGINX)) {
		print_message("no nginx\n");
		skip();
	}
	if (!nginx.pid)
		assert_int_equal(httpd_start(&nginx, HTTPD_NGINX), 0);
	return &nginx;
}

/* The store's log lines, kept for the cases that look for one. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[8192];

static void log_line(void *arg, const char *line)
{
	size_t n;

	(void)arg;
	pthread_mutex_lock(&log_lock);
	if (getenv("STORE_HTTP_LOG"))
		fprintf(stderr, "log: %s\n", line);
	n = strlen(log_text);
	snprintf(log_text + n, sizeof(log_text) - n, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

static bool logged(const char *what)
{
	bool yes;

	pthread_mutex_lock(&log_lock);
	yes = strstr(log_text, what) != NULL;
	pthread_mutex_unlock(&log_lock);
	return yes;
}

static void quick_opts(struct webdav_opts *o)
{
	webdav_opts_default(o);
	o->retries = 2;
	o->backoff_ms = 20;
	o->backoff_max_ms = 100;
	o->connect_timeout_ms = 1000;
	o->no_env_credentials = true;
	o->log = log_line;
}

static struct store *open_store(const char *url)
{
	struct webdav_opts o;
	char err[256];
	struct store *st;

	quick_opts(&o);
	st = store_http_new(url, &o, err, sizeof(err));
	if (!st)
		fail_msg("store_http_new %s: %s", url, err);
	return st;
}

static void local_path(struct httpd *h, const char *name, char *out,
		       size_t len)
{
	snprintf(out, len, "%s/%s", h->root, name);
}

/* A file in the served directory, owned by the server's user. */
static void put_local(struct httpd *h, const char *name, const void *data,
		      size_t len)
{
	char path[700];
	struct passwd *pw = getpwnam("www-data");
	int fd;

	local_path(h, name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	if (pw && geteuid() == 0)
		assert_int_equal(chown(path, pw->pw_uid, pw->pw_gid), 0);
}

static void mkdir_local(struct httpd *h, const char *name)
{
	char path[700];
	struct passwd *pw = getpwnam("www-data");

	local_path(h, name, path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	if (pw && geteuid() == 0)
		assert_int_equal(chown(path, pw->pw_uid, pw->pw_gid), 0);
}

/* The whole of a served file (NULL if none); its length in *len. */
static char *get_local(struct httpd *h, const char *name, size_t *len)
{
	char path[700], *buf;
	struct stat st;
	int fd;

	local_path(h, name, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Puts the served file's mtime in the past: out of Apache's one-second
 * window of weak ETags, and surely another ETag than before. */
static void age_local(struct httpd *h, const char *name, int sec)
{
	char path[700];
	struct timeval tv[2];

	local_path(h, name, path, sizeof(path));
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= sec;
	tv[1] = tv[0];
	assert_int_equal(utimes(path, tv), 0);
}

static void pattern(char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (i * 7 + seed + i / 4096) % 26);
}

static struct store_obj *lookup(struct store *st, struct store_obj *dir,
				const char *name, struct stat *sb)
{
	struct store_obj *o = NULL;
	struct stat tmp;

	assert_int_equal(store_lookup(st, dir, name, &o, sb ? sb : &tmp), 0);
	assert_non_null(o);
	return o;
}

static struct store_obj *root(struct store *st, struct stat *sb)
{
	struct store_obj *o = NULL;
	struct stat tmp;

	assert_int_equal(store_root(st, &o, sb ? sb : &tmp), 0);
	return o;
}

static int writes(struct store *st, struct store_obj *o, const void *p,
		  size_t len, uint64_t off)
{
	struct iovec v = { (void *)p, len };

	return store_writev(st, o, &v, 1, off);
}

static void test_store_http_root_lookup(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);
	struct store_obj *r, *f, *f2, *x = NULL;
	struct stat sr, sf, sf2, sg;
	char buf[8192], text[4096];

	(void)state;
	pattern(buf, 5000, 1);
	put_local(h, "rl file", buf, 5000);
	mkdir_local(h, "rl dir");
	assert_string_equal(store_kind(st), "http");
	assert_string_equal(store_where(st), h->url);
	assert_true(store_caps(st) & STORE_CAP_REVALIDATE);
	assert_false(store_caps(st) & STORE_CAP_READONLY);
	r = root(st, &sr);
	assert_int_equal(sr.st_ino, 1);
	assert_true(S_ISDIR(sr.st_mode));
	assert_int_equal(sr.st_uid, geteuid());
	f = lookup(st, r, "rl file", &sf);
	assert_true(S_ISREG(sf.st_mode));
	assert_int_equal(sf.st_mode & 07777, 0644);
	assert_int_equal(sf.st_size, 5000);
	assert_int_equal(sf.st_nlink, 1);
	assert_int_equal(sf.st_dev, sr.st_dev);
	assert_true(sf.st_ino >= 2);
	assert_true(sf.st_mtime > 0);
	assert_int_equal(sf.st_blocks, (5000 + 511) / 512);
	/* a second handle: the same identity */
	f2 = lookup(st, r, "rl file", &sf2);
	assert_int_equal(sf2.st_ino, sf.st_ino);
	store_release(st, f2);
	assert_int_equal(store_getattr(st, f, &sg), 0);
	assert_int_equal(sg.st_ino, sf.st_ino);
	assert_int_equal(sg.st_size, 5000);
	/* after the 1 s of trust, getattr asks the server again */
	sleep_ms(1100);
	put_local(h, "rl file", buf, 6000);
	assert_int_equal(store_getattr(st, f, &sg), 0);
	assert_int_equal(sg.st_size, 6000);
	f2 = lookup(st, r, "rl dir", &sf2);
	assert_true(S_ISDIR(sf2.st_mode));
	assert_int_not_equal(sf2.st_ino, sf.st_ino);
	assert_int_equal(store_lookup(st, r, "no such", &x, &sg), -ENOENT);
	assert_int_equal(store_lookup(st, f2, "no such", &x, &sg), -ENOENT);
	assert_int_equal(store_lookup(st, f, "x", &x, &sg), -ENOTDIR);
	assert_null(x);
	assert_int_equal(store_path(st, f, text, sizeof(text)), 8);
	assert_string_equal(text, "/rl file");
	assert_int_equal(store_path(st, r, text, sizeof(text)), 1);
	assert_string_equal(text, "/");
	/* chmod and utimens are kept for the mount's life; chown only to
	 * ourselves */
	struct timespec tv[2] = { { 1000, 0 }, { 2000, 5 } };

	assert_int_equal(store_chmod(st, f, 0600), 0);
	assert_int_equal(store_utimens(st, f, tv), 0);
	assert_int_equal(store_getattr(st, f, &sg), 0);
	assert_int_equal(sg.st_mode & 07777, 0600);
	assert_int_equal(sg.st_mtim.tv_sec, 2000);
	assert_int_equal(sg.st_atim.tv_sec, 1000);
	assert_int_equal(store_chown(st, f, geteuid(), (gid_t)-1), 0);
	assert_int_equal(store_chown(st, f, geteuid() + 1, (gid_t)-1), -EPERM);
	assert_int_equal(store_link(st, f, r, "l"), -EPERM);
	assert_int_equal(store_symlink(st, "t", r, "s"), -EPERM);
	int k = store_stats_format(st, text, sizeof(text));

	assert_int_equal(k, (int)strlen(text));
	assert_non_null(strstr(text, "http_partial_put 1\n"));
	assert_non_null(strstr(text, "http_server Apache"));
	assert_non_null(strstr(text, "http_requests_propfind "));
	store_release(st, f2);
	store_release(st, f);
	store_release(st, r);
	store_free(st);
}

static void test_store_http_write_read(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);
	struct store_obj *r = root(st, NULL), *f;
	enum { N = 20000 };
	char *want = calloc(1, N), *data = malloc(N), *buf = malloc(N), *got;
	struct stat sb;
	size_t len;

	(void)state;
	pattern(data, N, 2);
	assert_int_equal(store_create(st, r, "wr file", 0644, O_EXCL), 0);
	assert_int_equal(store_create(st, r, "wr file", 0644, O_EXCL),
			 -EEXIST);
	assert_int_equal(store_create(st, r, "wr file", 0644, 0), 0);
	f = lookup(st, r, "wr file", &sb);
	assert_int_equal(sb.st_size, 0);
	/* partial PUTs: in the middle, past the end (a gap of zeros), two
	 * buffers in one request, over the start */
	struct {
		uint64_t off;
		size_t len;
	} w[] = { { 4096, 5000 }, { 15000, 5000 }, { 100, 3000 }, { 0, 50 } };

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct iovec v[2] = {
			{ data + w[i].off, w[i].len / 3 },
			{ data + w[i].off + w[i].len / 3,
			  w[i].len - w[i].len / 3 },
		};

		assert_int_equal(store_writev(st, f, v, 2, w[i].off), 0);
		memcpy(want + w[i].off, data + w[i].off, w[i].len);
	}
	got = get_local(h, "wr file", &len);
	assert_int_equal(len, N);
	assert_memory_equal(got, want, N);
	free(got);
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_size, N);
	/* read back: all, in three buffers, short at the end, at EOF */
	struct iovec v[3] = { { buf, 4096 }, { buf + 4096, 4096 },
			      { buf + 8192, 8192 } };

	assert_int_equal(store_readv(st, f, v, 3, 0), 16384);
	assert_memory_equal(buf, want, 16384);
	assert_int_equal(store_readv(st, f, v, 3, N - 5000), 5000);
	assert_memory_equal(buf, want + N - 5000, 5000);
	assert_int_equal(store_read(st, f, buf, 10, N), 0);
	assert_int_equal(store_read(st, f, buf, 10, N + 100000), 0);
	/* own writes are not changes by someone else */
	bool changed = true;

	assert_int_equal(store_revalidate(st, f, &sb, &changed), 0);
	assert_false(changed);
	assert_int_equal(sb.st_size, N);
	assert_int_equal(store_fsync(st, f, false), 0);
	store_release(st, f);
	store_release(st, r);
	store_free(st);
	free(want);
	free(data);
	free(buf);
}

#define NDIR 1200

static void test_store_http_readdir_1200(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);
	struct store_obj *r = root(st, NULL), *d, *f;
	struct store_dirent *e = calloc(NDIR + 10, sizeof(*e));
	struct store_dir *sd;
	char name[64], path[700];
	unsigned char *seen = calloc(NDIR, 1);
	struct stat sb, sd_st;
	int n = 0, rc;

	(void)state;
	mkdir_local(h, "many");
	for (int i = 0; i < NDIR; i++) {
		snprintf(name, sizeof(name), "many/entry %04d%s", i,
			 i % 2 ? " #%" : "");
		put_local(h, name, "x", 1);
	}
	mkdir_local(h, "many/sub");
	d = lookup(st, r, "many", &sd_st);
	assert_int_equal(store_opendir(st, d, &sd), 0);
	for (off_t off = 0; (rc = store_readdir(st, sd, off, &e[n])) == 1;
	     off = e[n++].next)
		assert_true(n < NDIR + 5);
	assert_int_equal(rc, 0);
	assert_int_equal(n, NDIR + 3);
	assert_string_equal(e[0].name, ".");
	assert_int_equal(e[0].ino, sd_st.st_ino);
	assert_string_equal(e[1].name, "..");
	assert_int_equal(e[1].ino, 1);
	int subs = 0;

	for (int i = 2; i < n; i++) {
		int k;

		if (!strcmp(e[i].name, "sub")) {
			assert_int_equal(e[i].type, S_IFDIR);
			subs++;
			continue;
		}
		assert_int_equal(sscanf(e[i].name, "entry %4d", &k), 1);
		assert_true(k >= 0 && k < NDIR);
		snprintf(name, sizeof(name), "entry %04d%s", k,
			 k % 2 ? " #%" : "");
		assert_string_equal(e[i].name, name);
		assert_int_equal(e[i].type, S_IFREG);
		assert_true(e[i].ino >= 2);
		seen[k]++;
	}
	assert_int_equal(subs, 1);
	for (int i = 0; i < NDIR; i++)
		assert_int_equal(seen[i], 1);
	/* inode numbers are unique, and what lookup says */
	for (int i = 1; i < n; i++)
		for (int j = i + 1; j < n; j += 97)
			assert_int_not_equal(e[i].ino, e[j].ino);
	f = lookup(st, d, e[700].name, &sb);
	assert_int_equal(sb.st_ino, e[700].ino);
	store_release(st, f);
	/* resume from the middle */
	struct store_dirent x;

	assert_int_equal(store_readdir(st, sd, e[600].next, &x), 1);
	assert_string_equal(x.name, e[601].name);
	assert_int_equal(x.ino, e[601].ino);
	assert_int_equal(x.next, e[601].next);
	assert_int_equal(store_readdir(st, sd, e[n - 1].next, &x), 0);
	store_closedir(st, sd);
	/* a second listing gives the same numbers */
	assert_int_equal(store_opendir(st, d, &sd), 0);
	assert_int_equal(store_readdir(st, sd, e[999].next, &x), 1);
	assert_string_equal(x.name, e[1000].name);
	assert_int_equal(x.ino, e[1000].ino);
	store_closedir(st, sd);
	/* a file is not a directory to open */
	snprintf(path, sizeof(path), "%s", e[5].name);
	f = lookup(st, d, path, NULL);
	assert_int_equal(store_opendir(st, f, &sd), -ENOTDIR);
	store_release(st, f);
	store_release(st, d);
	store_release(st, r);
	store_free(st);
	free(e);
	free(seen);
}

static void test_store_http_rename_held(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);
	struct store_obj *r = root(st, NULL), *d1, *f, *d2, *f2;
	char buf[64], path[256], *got;
	struct stat sf, sb;
	size_t len;

	(void)state;
	assert_int_equal(store_mkdir(st, r, "rn d1", 0755), 0);
	assert_int_equal(store_mkdir(st, r, "rn d1", 0755), -EEXIST);
	d1 = lookup(st, r, "rn d1", NULL);
	assert_int_equal(store_mkdir(st, d1, "deeper", 0755), 0);
	assert_int_equal(store_create(st, d1, "f", 0644, O_EXCL), 0);
	f = lookup(st, d1, "f", &sf);
	assert_int_equal(writes(st, f, "held data", 9, 0), 0);
	/* the directory moves; the held handle of the file follows it */
	assert_int_equal(store_rename(st, r, "rn d1", r, "rn d2", 0), 0);
	assert_int_equal(store_path(st, f, path, sizeof(path)),
			 (int)strlen("/rn d2/f"));
	assert_string_equal(path, "/rn d2/f");
	assert_int_equal(store_path(st, d1, path, sizeof(path)), 6);
	assert_string_equal(path, "/rn d2");
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 9);
	assert_memory_equal(buf, "held data", 9);
	assert_int_equal(writes(st, f, "HELD", 4, 0), 0);
	got = get_local(h, "rn d2/f", &len);
	assert_non_null(got);
	assert_int_equal(len, 9);
	assert_memory_equal(got, "HELD data", 9);
	free(got);
	assert_null(get_local(h, "rn d1/f", &len));
	d2 = lookup(st, r, "rn d2", NULL);
	f2 = lookup(st, d2, "f", &sb);
	assert_int_equal(sb.st_ino, sf.st_ino);
	store_release(st, f2);
	/* a file renamed within the directory, then POSIX's refusals */
	assert_int_equal(store_rename(st, d2, "f", d2, "g", 0), 0);
	assert_int_equal(store_path(st, f, path, sizeof(path)), 8);
	assert_string_equal(path, "/rn d2/g");
	assert_int_equal(store_create(st, d2, "h", 0644, O_EXCL), 0);
	assert_int_equal(store_rename(st, d2, "g", d2, "h", RENAME_NOREPLACE),
			 -EEXIST);
	assert_int_equal(store_rename(st, d2, "g", d2, "h", RENAME_EXCHANGE),
			 -EINVAL);
	assert_int_equal(store_rename(st, d2, "g", d2, "deeper", 0), -EISDIR);
	assert_int_equal(store_rename(st, d2, "deeper", d2, "h", 0), -ENOTDIR);
	assert_int_equal(store_rename(st, r, "rn d2", d2, "deeper", 0),
			 -EINVAL);
	assert_int_equal(store_mkdir(st, r, "rn full", 0755), 0);
	put_local(h, "rn full/x", "x", 1);
	assert_int_equal(store_rename(st, d2, "deeper", r, "rn full", 0),
			 -ENOTEMPTY);
	/* over an existing file: the old one is gone, the handle follows */
	assert_int_equal(store_rename(st, d2, "g", d2, "h", 0), 0);
	assert_int_equal(store_path(st, f, path, sizeof(path)), 8);
	assert_string_equal(path, "/rn d2/h");
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 9);
	assert_memory_equal(buf, "HELD data", 9);
	/* a directory over an empty one */
	assert_int_equal(store_mkdir(st, r, "rn empty", 0755), 0);
	assert_int_equal(store_rename(st, d2, "deeper", r, "rn empty", 0), 0);
	store_release(st, f);
	store_release(st, d2);
	store_release(st, d1);
	store_release(st, r);
	store_free(st);
}

static void test_store_http_unlink(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);
	struct store_obj *r = root(st, NULL), *f, *f2, *d;
	char path[64];
	struct stat sb, sb2;
	size_t len;

	(void)state;
	assert_int_equal(store_create(st, r, "ul file", 0644, O_EXCL), 0);
	f = lookup(st, r, "ul file", &sb);
	assert_int_equal(store_unlink(st, r, "ul file"), 0);
	assert_null(get_local(h, "ul file", &len));
	assert_int_equal(store_getattr(st, f, &sb2), 0);
	assert_int_equal(sb2.st_nlink, 0);
	assert_int_equal(sb2.st_ino, sb.st_ino);
	assert_int_equal(store_path(st, f, path, sizeof(path)), -ENOENT);
	assert_int_equal(store_unlink(st, r, "ul file"), -ENOENT);
	/* a new object at that name is a new inode */
	assert_int_equal(store_create(st, r, "ul file", 0644, O_EXCL), 0);
	f2 = lookup(st, r, "ul file", &sb2);
	assert_int_not_equal(sb2.st_ino, sb.st_ino);
	assert_int_equal(sb2.st_nlink, 1);
	store_release(st, f2);
	store_release(st, f);
	/* directories */
	assert_int_equal(store_mkdir(st, r, "ul dir", 0755), 0);
	assert_int_equal(store_unlink(st, r, "ul dir"), -EISDIR);
	put_local(h, "ul dir/member", "m", 1);
	assert_int_equal(store_rmdir(st, r, "ul dir"), -ENOTEMPTY);
	assert_int_equal(store_rmdir(st, r, "ul file"), -ENOTDIR);
	d = lookup(st, r, "ul dir", NULL);
	assert_int_equal(store_unlink(st, d, "member"), 0);
	assert_int_equal(store_rmdir(st, r, "ul dir"), 0);
	assert_int_equal(store_getattr(st, d, &sb), 0);
	assert_int_equal(sb.st_nlink, 0);
	assert_int_equal(store_create(st, d, "x", 0644, 0), -ENOENT);
	assert_int_equal(store_rmdir(st, r, "ul dir"), -ENOENT);
	store_release(st, d);
	store_release(st, r);
	store_free(st);
}

static void test_store_http_changed(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);
	struct store_obj *r = root(st, NULL), *f;
	struct stat sb;
	bool changed = true;
	char *got;
	size_t len;

	(void)state;
	log_text[0] = '\0';
	assert_int_equal(store_create(st, r, "ch file", 0644, O_EXCL), 0);
	f = lookup(st, r, "ch file", NULL);
	assert_int_equal(writes(st, f, "ours ours", 9, 0), 0);
	assert_int_equal(store_revalidate(st, f, &sb, &changed), 0);
	assert_false(changed);
	/* someone else writes the file on the server */
	sleep_ms(10);
	put_local(h, "ch file", "theirs!!!", 9);
	age_local(h, "ch file", 30);
	/* a write on the version we saw is refused, and said once */
	assert_int_equal(writes(st, f, "XX", 2, 3), -EIO);
	assert_true(logged("/ch file changed on the server; not overwritten; "
			   "dirty pages kept"));
	got = get_local(h, "ch file", &len);
	assert_int_equal(len, 9);
	assert_memory_equal(got, "theirs!!!", 9);
	free(got);
	assert_int_equal(store_truncate(st, f, 2), -EIO);
	/* close-to-open sees the change, and from then on writes go */
	assert_int_equal(store_revalidate(st, f, &sb, &changed), 0);
	assert_true(changed);
	assert_int_equal(sb.st_size, 9);
	assert_int_equal(store_revalidate(st, f, &sb, &changed), 0);
	assert_false(changed);
	assert_int_equal(writes(st, f, "XX", 2, 3), 0);
	got = get_local(h, "ch file", &len);
	assert_memory_equal(got, "theXXs!!!", 9);
	free(got);
	assert_null(strstr(log_text, h->password));
	store_release(st, f);
	store_release(st, r);
	store_free(st);
}

static void test_store_http_truncate(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);
	struct store_obj *r = root(st, NULL), *f;
	char data[10000], *got;
	struct stat sb;
	size_t len;

	(void)state;
	pattern(data, sizeof(data), 3);
	assert_int_equal(store_create(st, r, "tr file", 0644, O_EXCL), 0);
	f = lookup(st, r, "tr file", NULL);
	assert_int_equal(writes(st, f, data, sizeof(data), 0), 0);
	assert_int_equal(store_truncate(st, f, 3000), 0);
	got = get_local(h, "tr file", &len);
	assert_int_equal(len, 3000);
	assert_memory_equal(got, data, 3000);
	free(got);
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_size, 3000);
	assert_int_equal(store_truncate(st, f, 6000), 0);
	got = get_local(h, "tr file", &len);
	assert_int_equal(len, 6000);
	assert_memory_equal(got, data, 3000);
	for (size_t i = 3000; i < 6000; i++)
		assert_int_equal(got[i], 0);
	free(got);
	/* fallocate: a hole reads as zeros; mode 0 makes it longer */
	assert_int_equal(store_fallocate(st, f, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 1000, 100000),
			 0);
	got = get_local(h, "tr file", &len);
	assert_int_equal(len, 6000);
	assert_memory_equal(got, data, 1000);
	for (size_t i = 1000; i < 6000; i++)
		assert_int_equal(got[i], 0);
	free(got);
	assert_int_equal(store_fallocate(st, f, FALLOC_FL_KEEP_SIZE, 0, 1 << 20),
			 0);
	assert_int_equal(store_fallocate(st, f, 0, 0, 7000), 0);
	assert_int_equal(store_fallocate(st, f, FALLOC_FL_PUNCH_HOLE, 0, 10),
			 -EOPNOTSUPP);
	got = get_local(h, "tr file", &len);
	assert_int_equal(len, 7000);
	free(got);
	assert_int_equal(store_truncate(st, f, 0), 0);
	got = get_local(h, "tr file", &len);
	assert_int_equal(len, 0);
	free(got);
	store_release(st, f);
	store_release(st, r);
	store_free(st);
}

/* A server without partial PUT, as store_http_spool_always makes one. */
static void test_store_http_spool(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);
	struct store_obj *r, *f;
	char data[9000], buf[9000], *got;
	struct stat sb;
	size_t len;

	(void)state;
	log_text[0] = '\0';
	assert_int_equal(store_http_spool_always(st), 0);
	r = root(st, NULL);
	pattern(data, sizeof(data), 4);
	put_local(h, "sp file", data, 5000);
	f = lookup(st, r, "sp file", NULL);
	assert_int_equal(writes(st, f, "SPOOL", 5, 100), 0);
	assert_int_equal(writes(st, f, data + 6000, 3000, 6000), 0);
	memcpy(data + 100, "SPOOL", 5);
	memset(data + 5000, 0, 1000);
	/* nothing on the server yet; reads come from the spool */
	got = get_local(h, "sp file", &len);
	assert_int_equal(len, 5000);
	free(got);
	assert_int_equal(store_read(st, f, buf, sizeof(buf), 0), 9000);
	assert_memory_equal(buf, data, 9000);
	assert_int_equal(store_read(st, f, buf, 100, 8950), 50);
	assert_int_equal(store_getattr(st, f, &sb), 0);
	assert_int_equal(sb.st_size, 9000);
	/* fsync puts it back whole */
	assert_int_equal(store_fsync(st, f, false), 0);
	got = get_local(h, "sp file", &len);
	assert_int_equal(len, 9000);
	assert_memory_equal(got, data, 9000);
	free(got);
	assert_int_equal(store_truncate(st, f, 4000), 0);
	assert_int_equal(store_fsync(st, f, true), 0);
	got = get_local(h, "sp file", &len);
	assert_int_equal(len, 4000);
	free(got);
	/* changed under a dirty spool: the write-back is refused, kept */
	assert_int_equal(writes(st, f, "Z", 1, 0), 0);
	sleep_ms(10);
	put_local(h, "sp file", "theirs", 6);
	age_local(h, "sp file", 30);
	assert_int_equal(store_fsync(st, f, false), -EIO);
	assert_true(logged("/sp file changed on the server; not overwritten"));
	got = get_local(h, "sp file", &len);
	assert_int_equal(len, 6);
	free(got);
	assert_int_equal(store_fsync(st, f, false), -EIO);
	/* release of the last handle writes back (here: fails again and
	 * keeps it); a new file's spool goes back at release */
	store_release(st, f);
	assert_int_equal(store_create(st, r, "sp new", 0644, O_EXCL), 0);
	f = lookup(st, r, "sp new", NULL);
	assert_int_equal(writes(st, f, "abc", 3, 2), 0);
	store_release(st, f);
	got = get_local(h, "sp new", &len);
	assert_int_equal(len, 5);
	assert_memory_equal(got, "\0\0abc", 5);
	free(got);
	store_release(st, r);
	store_free(st);
}

static void test_store_http_nginx(void **state)
{
	struct httpd *h = need_nginx();
	struct store *st = open_store(h->url);
	struct store_obj *r = root(st, NULL), *f, *d;
	struct store_dir *sd;
	char data[10000], buf[4096 * 3], text[2048];
	struct stat sb;

	(void)state;
	pattern(data, sizeof(data), 6);
	put_local(h, "static file", data, sizeof(data));
	mkdir_local(h, "sub");
	assert_true(store_caps(st) & STORE_CAP_READONLY);
	f = lookup(st, r, "static file", &sb);
	assert_int_equal(sb.st_size, sizeof(data));
	assert_int_equal(sb.st_mode & 07777, 0444);
	d = lookup(st, r, "sub", &sb);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0555);
	/* ranges, the last at EOF */
	struct iovec v[3] = { { buf, 4096 }, { buf + 4096, 4096 },
			      { buf + 8192, 4096 } };

	assert_int_equal(store_readv(st, f, v, 2, 0), 4096 * 2);
	assert_memory_equal(buf, data, 4096 * 2);
	assert_int_equal(store_readv(st, f, v, 3, 0), 10000);
	assert_memory_equal(buf, data, 10000);
	assert_int_equal(store_readv(st, f, v, 3, 4096), 10000 - 4096);
	assert_memory_equal(buf, data + 4096, 10000 - 4096);
	assert_int_equal(store_read(st, f, buf, 4096, 8192), 10000 - 8192);
	assert_int_equal(store_read(st, f, buf, 4096, 10000), 0);
	/* read-only */
	assert_int_equal(store_create(st, r, "new", 0644, 0), -EROFS);
	assert_int_equal(store_mkdir(st, r, "newdir", 0755), -EROFS);
	assert_int_equal(writes(st, f, "x", 1, 0), -EROFS);
	assert_int_equal(store_truncate(st, f, 0), -EROFS);
	assert_int_equal(store_unlink(st, r, "static file"), -EROFS);
	assert_int_equal(store_chmod(st, f, 0600), -EROFS);
	assert_int_equal(store_open(st, f, true), -EROFS);
	assert_int_equal(store_open(st, f, false), 0);
	/* no listing on a plain server */
	assert_int_equal(store_opendir(st, r, &sd), -EOPNOTSUPP);
	store_stats_format(st, text, sizeof(text));
	assert_non_null(strstr(text, "http_partial_put 0\n"));
	assert_non_null(strstr(text, "http_server nginx"));
	store_release(st, d);
	store_release(st, f);
	store_release(st, r);
	store_free(st);
}

static void test_store_http_server_down(void **state)
{
	struct httpd h = { 0 };
	struct store *st;
	struct store_obj *r, *f;
	char buf[16];
	uint64_t t0, ms;

	(void)state;
	if (!httpd_available(HTTPD_APACHE))
		skip();
	assert_int_equal(httpd_start(&h, HTTPD_APACHE), 0);
	put_local(&h, "f", "0123456789", 10);
	st = open_store(h.url);
	r = root(st, NULL);
	f = lookup(st, r, "f", NULL);
	assert_int_equal(store_read(st, f, buf, 10, 0), 10);
	assert_int_equal(httpd_stop(&h), 0);
	t0 = now_ms(CLOCK_MONOTONIC);
	assert_int_equal(store_read(st, f, buf, 10, 0), -EIO);
	ms = now_ms(CLOCK_MONOTONIC) - t0;
	print_message("readv with the server down: -EIO after %llu ms\n",
		      (unsigned long long)ms);
	assert_true(ms < 3000);
	assert_int_equal(httpd_start_again(&h), 0);
	assert_int_equal(store_read(st, f, buf, 3, 2), 3);
	assert_memory_equal(buf, "234", 3);
	store_release(st, f);
	store_release(st, r);
	store_free(st);
	httpd_cleanup(&h);
}

static void test_store_http_bad_new(void **state)
{
	struct httpd *h = need_apache();
	struct webdav_opts o;
	char url[300], err[256];

	(void)state;
	quick_opts(&o);
	/* a file, not a collection */
	put_local(h, "plain file", "data", 4);
	snprintf(url, sizeof(url), "%splain%%20file", h->url);
	err[0] = '\0';
	assert_null(store_http_new(url, &o, err, sizeof(err)));
	assert_int_equal(errno, ENOTDIR);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "not a WebDAV collection"));
	/* nothing there at all */
	snprintf(url, sizeof(url), "%sno%%20such/", h->url);
	assert_null(store_http_new(url, &o, err, sizeof(err)));
	print_message("%s\n", err);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "not found"));
	/* nothing listening */
	err[0] = '\0';
	assert_null(store_http_new("http://127.0.0.1:1/dav/", &o, err,
				   sizeof(err)));
	print_message("%s\n", err);
	assert_int_equal(errno, EIO);
	assert_non_null(strstr(err, "no answer"));
	/* wrong credentials, none, and a netrc with the wrong password */
	setenv("FRAMEFS_HTTP_USER", h->user, 1);
	setenv("FRAMEFS_HTTP_PASSWORD", "wrong-password", 1);
	o.no_env_credentials = false;
	assert_null(store_http_new(h->auth_url, &o, err, sizeof(err)));
	print_message("%s\n", err);
	assert_int_equal(errno, EACCES);
	assert_non_null(strstr(err, "access denied"));
	assert_null(strstr(err, "wrong-password"));
	unsetenv("FRAMEFS_HTTP_USER");
	unsetenv("FRAMEFS_HTTP_PASSWORD");
	o.no_env_credentials = true;
	assert_null(store_http_new(h->auth_url, &o, err, sizeof(err)));
	assert_int_equal(errno, EACCES);
	char netrc[400];
	FILE *f;

	snprintf(netrc, sizeof(netrc), "%s/netrc-bad", h->dir);
	f = fopen(netrc, "w");
	assert_non_null(f);
	fprintf(f, "machine 127.0.0.1 login %s password nope\n", h->user);
	fclose(f);
	chmod(netrc, 0600);
	o.netrc = netrc;
	assert_null(store_http_new(h->auth_url, &o, err, sizeof(err)));
	assert_int_equal(errno, EACCES);
	/* the right ones work */
	f = fopen(netrc, "w");
	assert_non_null(f);
	fprintf(f, "machine 127.0.0.1 login %s password %s\n", h->user,
		h->password);
	fclose(f);
	struct store *st = store_http_new(h->auth_url, &o, err, sizeof(err));

	if (!st)
		fail_msg("%s", err);
	assert_null(strstr(store_where(st), h->password));
	store_free(st);
	/* a bad URL */
	assert_null(store_http_new("ftp://x/", &o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
}

static void test_store_http_bad_new_nginx(void **state)
{
	struct httpd *h = need_nginx();
	struct webdav_opts o;
	char url[300], err[256];

	(void)state;
	quick_opts(&o);
	put_local(h, "nfile", "data", 4);
	snprintf(url, sizeof(url), "%snfile", h->url);
	assert_null(store_http_new(url, &o, err, sizeof(err)));
	print_message("%s\n", err);
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(err, "not a WebDAV collection"));
}

/* Calls in parallel: each thread writes and reads its own file, all read
 * one shared handle, and one renames the directory they are in (for
 * TSan; the data is checked too). */
struct thr {
	struct store *st;
	struct store_obj *dir, *shared;
	const char *data;
	int id, bad;
};

static void *worker(void *arg)
{
	struct thr *t = arg;
	char name[32], buf[4096];
	struct store_obj *f = NULL;
	struct stat sb;
	bool changed;

	snprintf(name, sizeof(name), "t%d", t->id);
	if (store_create(t->st, t->dir, name, 0644, O_EXCL) < 0 ||
	    store_lookup(t->st, t->dir, name, &f, &sb) < 0) {
		t->bad++;
		return NULL;
	}
	for (int i = 0; i < 20; i++) {
		uint64_t off = (uint64_t)(i % 4) * 4096;

		if (writes(t->st, f, t->data + off, 4096, off) < 0 ||
		    store_read(t->st, f, buf, 4096, off) != 4096 ||
		    memcmp(buf, t->data + off, 4096) ||
		    store_read(t->st, t->shared, buf, 4096, off) != 4096 ||
		    memcmp(buf, t->data + off, 4096) ||
		    store_revalidate(t->st, f, &sb, &changed) < 0 || changed ||
		    store_getattr(t->st, f, &sb) < 0)
			t->bad++;
		store_path(t->st, f, name, sizeof(name));
	}
	store_release(t->st, f);
	return NULL;
}

static void threads_on(struct store *st, struct httpd *h, const char *dname)
{
	struct store_obj *r = root(st, NULL), *d, *shared;
	char *data = malloc(4 * 4096), path[300];
	pthread_t th[6];
	struct thr t[6];

	pattern(data, 4 * 4096, 9);
	assert_int_equal(store_mkdir(st, r, dname, 0755), 0);
	d = lookup(st, r, dname, NULL);
	snprintf(path, sizeof(path), "%s/shared", dname);
	put_local(h, path, data, 4 * 4096);
	shared = lookup(st, d, "shared", NULL);
	for (int i = 0; i < 6; i++) {
		t[i] = (struct thr){ st, d, shared, data, i, 0 };
		pthread_create(&th[i], NULL, worker, &t[i]);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].bad, 0);
	}
	snprintf(path, sizeof(path), "%s moved", dname);
	assert_int_equal(store_rename(st, r, dname, r, path, 0), 0);
	assert_int_equal(store_read(st, shared, data, 10, 0), 10);
	store_release(st, shared);
	store_release(st, d);
	store_release(st, r);
	free(data);
}

static void test_store_http_threads(void **state)
{
	struct httpd *h = need_apache();
	struct store *st = open_store(h->url);

	(void)state;
	threads_on(st, h, "thr");
	store_free(st);
	st = open_store(h->url);
	assert_int_equal(store_http_spool_always(st), 0);
	threads_on(st, h, "thr spool");
	store_free(st);
}

static int teardown_all(void **state)
{
	(void)state;
	httpd_cleanup(&apache);
	httpd_cleanup(&nginx);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_http_root_lookup),
		cmocka_unit_test(test_store_http_write_read),
		cmocka_unit_test(test_store_http_readdir_1200),
		cmocka_unit_test(test_store_http_rename_held),
		cmocka_unit_test(test_store_http_unlink),
		cmocka_unit_test(test_store_http_changed),
		cmocka_unit_test(test_store_http_truncate),
		cmocka_unit_test(test_store_http_spool),
		cmocka_unit_test(test_store_http_threads),
		cmocka_unit_test(test_store_http_nginx),
		cmocka_unit_test(test_store_http_server_down),
		cmocka_unit_test(test_store_http_bad_new),
		cmocka_unit_test(test_store_http_bad_new_nginx),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
