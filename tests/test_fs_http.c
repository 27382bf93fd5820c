/* test_fs_http.c - framefs mounting a web server: Apache httpd with
 * mod_dav_fs (read-write) and nginx (read-only), both real, on 127.0.0.1,
 * started and stopped by PID (harness/httpd.c).
 *
 * What only a network store has: names and data through WebDAV checked on
 * the server's disk; close-to-open against a file changed on the server;
 * a write-back that finds the file changed (refused, EIO, dirty pages
 * kept); the server stopped during write-back and started again (nothing
 * lost); a flaky server (503s, connections cut mid-answer, slow answers,
 * from a fault-injecting proxy in front of Apache) under a workload whose
 * data must come through whole; an unmount with the server gone (the pages saved locally, the
 * count said); URLs that are not a collection, nothing listening, bad and
 * good credentials (never on the command line, never in stats).
 * tests/test_fs.c runs the data cases (eviction and fsx for every policy,
 * mmap, ...) on Apache too, with FRAMEFS_TEST_STORE=webdav.
 *
 * Every case SKIPs without /dev/fuse or without the server it needs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpd.h"
#include "need_fuse.h"
#include "proxy.h"

#define PS 4096u

static struct mnt M;
static struct httpd H;		/* the case's server */
static char log_path[64];	/* the daemon's stdout and stderr */
static char dump_dir[128];	/* unwritten pages the daemon saved */
static char netrc_path[64];
static char planted[2][128];	/* a link at the save dir's name, its target */
static struct proxy *P;		/* the flaky server's proxy, or NULL */

static int setup(void **state)
{
	(void)state;
	memset(&M, 0, sizeof(M));
	memset(&H, 0, sizeof(H));
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	(void)state;
	mnt_stop_all();
	mnt_cleanup(&M);
	proxy_stop(P);
	P = NULL;
	httpd_cleanup(&H);
	if (log_path[0])
		unlink(log_path);
	log_path[0] = '\0';
	if (netrc_path[0])
		unlink(netrc_path);
	netrc_path[0] = '\0';
	if (dump_dir[0])
		nftw(dump_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	dump_dir[0] = '\0';
	if (planted[0][0]) {
		unlink(planted[0]);
		nftw(planted[1], rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	planted[0][0] = '\0';
	return 0;
}

static void need_server(enum httpd_kind kind, bool auth)
{
	NEED_FUSE();
	if (!httpd_available(kind)) {
		print_message("%s is not installed\n",
			      kind == HTTPD_APACHE ? "apache2" : "nginx");
		skip();
	}
	H.auth = auth;
	if (httpd_start(&H, kind) != 0)
		fail_msg("server did not start: %s", H.why);
}

/* Mounts url (H.url if NULL) with its daemon's output in log_path. */
static int start_url(const char *url, const char *opts)
{
	int fd;

	snprintf(M.source, sizeof(M.source), "%s", url ? url : H.url);
	if (log_path[0])	/* a case's earlier mount's (teardown: the last) */
		unlink(log_path);
	snprintf(log_path, sizeof(log_path), "/tmp/framefs-log.XXXXXX");
	fd = mkstemp(log_path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(M.log, sizeof(M.log), "%s", log_path);
	M.quiet = true;
	return mnt_start(&M, opts);
}

static void start(const char *opts)
{
	if (start_url(NULL, opts) != 0)
		fail_msg("framefs did not mount %s: %s", H.url, M.why);
}

/* A whole file, read to its end (the control files say st_size 0). */
static char *slurp_path(const char *path, size_t *len)
{
	size_t done = 0, cap = 65536;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_non_null(buf);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + done, cap - done)) > 0) {
		done += (size_t)n;
		if (done == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	assert_true(n == 0);
	buf[done] = '\0';
	close(fd);
	if (len)
		*len = done;
	return buf;
}

static char *daemon_log(void)
{
	char *s = slurp_path(log_path, NULL);

	return s ? s : strdup("");
}

/* The daemon's log and the server's error and access logs, whole, on
 * stderr (a failure message is cut short). */
static void server_logs(void)
{
	char path[400], *s;

	s = daemon_log();
	fprintf(stderr, "---- the daemon's log:\n%s", s);
	free(s);
	s = slurp_path(H.errlog, NULL);
	fprintf(stderr, "---- the server's error log:\n%s", s ? s : "");
	free(s);
	snprintf(path, sizeof(path), "%s/logs/access.log", H.dir);
	s = slurp_path(path, NULL);
	fprintf(stderr, "---- the server's access log:\n%s----\n", s ? s : "");
	free(s);
}

/* A file in the served directory, owned by the server's user, with its
 * mtime set back a few seconds (Apache's ETags are weak, and change
 * without notice, within a second of a write). */
static void put_server(const char *name, const void *data, size_t len,
		       int age_s)
{
	char path[600];
	struct passwd *pw = getpwnam("www-data");
	struct timespec tv[2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", H.root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	clock_gettime(CLOCK_REALTIME, &tv[0]);
	tv[0].tv_sec -= age_s;
	tv[1] = tv[0];
	assert_int_equal(futimens(fd, tv), 0);
	close(fd);
	if (pw && geteuid() == 0)
		assert_int_equal(chown(path, pw->pw_uid, pw->pw_gid), 0);
}

static char *get_server(const char *name, size_t *len)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", H.root, name);
	return slurp_path(path, len);
}

static void fill(char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (i * 7 + seed + i / PS) % 26);
}

static int write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Runs framefs in the foreground on url and mp with opts and returns its
 * exit status, its stderr in err; for the refusals, which must come before
 * anything is mounted. */
static int run_framefs(const char *opts, const char *url, const char *mp,
		       char *err, size_t errlen)
{
	const char *bin = getenv("FRAMEFS");
	/* timeout: a framefs that mounted after all is stopped, and the
	 * case fails instead of hanging. */
	char *argv[] = { "timeout", "30", (char *)bin, "-f", "-o",
			 (char *)opts, (char *)url, (char *)mp, NULL };

	assert_non_null(bin);
	return run_cmd(argv, err, errlen);
}

/* ---- names and data ------------------------------------------------------ */

static void test_fs_http_apache_basics(void **s)
{
	enum { N = 80 };
	char *buf = malloc(N * PS), *back, names[4096];
	size_t len, nl = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	(void)s;
	need_server(HTTPD_APACHE, false);
	start("frames=48");
	fill(buf, N * PS, 1);
	/* Bigger than the pool: written back while still being written. */
	assert_int_equal(write_file(mpath(&M, "f"), buf, N * PS), 0);
	assert_int_equal(mkdir(mpath(&M, "dir"), 0755), 0);
	assert_int_equal(write_file(mpath(&M, "dir/small"), "hello", 5), 0);
	assert_int_equal(rename(mpath(&M, "dir"), mpath(&M, "dir2")), 0);
	assert_int_equal(stat(mpath(&M, "dir2/small"), &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(mkdir(mpath(&M, "gone"), 0755), 0);
	assert_int_equal(rmdir(mpath(&M, "gone")), 0);
	assert_int_equal(rmdir(mpath(&M, "dir2")), -1);
	assert_int_equal(errno, ENOTEMPTY);
	d = opendir(M.mp);
	assert_non_null(d);
	while ((de = readdir(d)))
		nl += (size_t)snprintf(names + nl, sizeof(names) - nl, "%s ",
				       de->d_name);
	closedir(d);
	assert_non_null(strstr(names, "f "));
	assert_non_null(strstr(names, "dir2 "));
	assert_null(strstr(names, "gone"));
	/* Read back through the frames after a drop: from the server. */
	assert_int_equal(mnt_control(&M, "drop"), 0);
	fd = open(mpath(&M, "f"), O_RDONLY);
	assert_true(fd >= 0);
	back = malloc(N * PS);
	assert_int_equal(pread(fd, back, N * PS, 0), (ssize_t)(N * PS));
	assert_memory_equal(back, buf, N * PS);
	free(back);
	close(fd);
	assert_true(mnt_stat(&M, "http_requests_get") >= 1);
	assert_true(mnt_stat(&M, "http_requests_put") >= 1);
	{
		char *stats = slurp_path(mpath(&M, ".framefs/stats"), NULL);
		char want[200];

		assert_non_null(stats);
		assert_non_null(strstr(stats, "store http\n"));
		snprintf(want, sizeof(want), "store_path %s\n", H.url);
		assert_non_null(strstr(stats, want));
		free(stats);
	}
	assert_int_equal(mnt_stop(&M), 0);
	back = get_server("f", &len);
	assert_non_null(back);
	assert_int_equal(len, N * PS);
	assert_memory_equal(back, buf, N * PS);
	free(back);
	back = get_server("dir2/small", &len);
	assert_non_null(back);
	assert_string_equal(back, "hello");
	free(back);
	free(buf);
}

/* nginx: a plain HTTP server, read-only; pages by Range GET, mmap too. */
static void test_fs_http_nginx_readonly(void **s)
{
	enum { N = 20 };
	char *buf = malloc(N * PS + 100), *p;
	int fd;

	(void)s;
	need_server(HTTPD_NGINX, false);
	fill(buf, N * PS + 100, 2);
	put_server("data", buf, N * PS + 100, 5);
	start("frames=64");
	fd = open(mpath(&M, "data"), O_RDONLY);
	assert_true(fd >= 0);
	p = mmap(NULL, N * PS + 100, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_memory_equal(p, buf, N * PS + 100);
	munmap(p, N * PS + 100);
	close(fd);
	assert_true(mnt_stat(&M, "frame_misses") >= N + 1);
	assert_int_equal(open(mpath(&M, "data"), O_WRONLY), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(open(mpath(&M, "new"), O_WRONLY | O_CREAT, 0644), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(mkdir(mpath(&M, "d"), 0755), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(mnt_stop(&M), 0);
	free(buf);
}

/* The request counters of .framefs/stats for the methods that write. */
static const char *const write_methods[] = {
	"http_requests_put", "http_requests_delete", "http_requests_mkcol",
	"http_requests_move", "http_requests_copy", "http_requests_post",
};

/* -o ro on a writable collection: the mount makes no request that
 * writes, the probe's scratch object included (the served directory's
 * mtime stays as it was), and writes are refused (EROFS).  The last of ro and rw counts: "rw,ro" is read-only, "ro,rw"
 * a writable mount, whose probe writes and which writes a file. */
static void test_fs_http_apache_ro(void **s)
{
	enum { N = 8 };
	char *buf = malloc(N * PS), *back = malloc(N * PS), *back2;
	struct stat before, after;
	struct timespec tv[2];
	uint64_t puts_;
	size_t len;
	int fd;

	(void)s;
	need_server(HTTPD_APACHE, false);
	fill(buf, N * PS, 3);
	put_server("data", buf, N * PS, 5);
	clock_gettime(CLOCK_REALTIME, &tv[0]);
	tv[0].tv_sec -= 10;
	tv[1] = tv[0];
	assert_int_equal(utimensat(AT_FDCWD, H.root, tv, 0), 0);
	assert_int_equal(stat(H.root, &before), 0);
	start("frames=64,ro");
	fd = open(mpath(&M, "data"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, back, N * PS, 0), (ssize_t)(N * PS));
	assert_memory_equal(back, buf, N * PS);
	close(fd);
	assert_int_equal(open(mpath(&M, "data"), O_WRONLY), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(mkdir(mpath(&M, "d"), 0755), -1);
	assert_int_equal(errno, EROFS);
	assert_true(mnt_stat(&M, "http_requests_get") >= 1);
	for (size_t i = 0; i < sizeof(write_methods) / sizeof(*write_methods);
	     i++)
		if (mnt_stat(&M, write_methods[i]) != 0)
			fail_msg("-o ro: %s is %llu", write_methods[i],
				 (unsigned long long)mnt_stat(&M,
							write_methods[i]));
	assert_int_equal(mnt_stop(&M), 0);
	assert_int_equal(stat(H.root, &after), 0);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

	/* rw,ro: read-only too, to the kernel and to the store */
	start("frames=64,rw,ro");
	assert_int_equal(mkdir(mpath(&M, "d"), 0755), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(mnt_stat(&M, "http_requests_put"), 0);
	assert_int_equal(mnt_stop(&M), 0);
	assert_int_equal(stat(H.root, &after), 0);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

	/* ro,rw: writable, the probe's scratch object and a new file */
	start("frames=64,ro,rw");
	puts_ = mnt_stat(&M, "http_requests_put");
	assert_true(puts_ != UINT64_MAX && puts_ >= 1);
	assert_int_equal(write_file(mpath(&M, "new"), "x", 1), 0);
	assert_int_equal(mnt_stop(&M), 0);
	back2 = get_server("new", &len);
	assert_non_null(back2);
	assert_int_equal(len, 1);
	free(back2);
	free(back);
	free(buf);
}

/* ---- consistency ----------------------------------------------------- */

/* Close-to-open: a file changed on the server is seen whole at the next
 * open, not mixed with pages the frames or the kernel kept. */
static void test_fs_http_close_to_open(void **s)
{
	enum { N = 8 };
	char a[N * PS], b[N * PS + 10], got[N * PS + 10];
	int fd;

	(void)s;
	need_server(HTTPD_APACHE, false);
	fill(a, sizeof(a), 3);
	fill(b, sizeof(b), 4);
	put_server("c2o", a, sizeof(a), 10);
	start("frames=64");
	fd = open(mpath(&M, "c2o"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got)), (ssize_t)sizeof(a));
	assert_memory_equal(got, a, sizeof(a));
	close(fd);
	/* Another writer changes it on the server. */
	put_server("c2o", b, sizeof(b), 5);
	fd = open(mpath(&M, "c2o"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got)), (ssize_t)sizeof(b));
	assert_memory_equal(got, b, sizeof(b));
	close(fd);
	assert_true(mnt_stat(&M, "http_revalidate_changed") >= 1);
	assert_int_equal(mnt_stop(&M), 0);
}

/* Unmounts M, which cannot write some dirty pages and must save them:
 * exit 1, and the dir its log names in dump_dir (teardown removes it). */
static void stop_saving(void)
{
	char *log, *at;

	assert_int_equal(mnt_stop(&M), 1);
	log = daemon_log();
	at = strstr(log, "saved under ");
	if (!at || sscanf(at, "saved under %127s", dump_dir) != 1)
		fail_msg("no 'saved under' in the daemon's log:\n%s", log);
	free(log);
	if (dump_dir[strlen(dump_dir) - 1] == '/')
		dump_dir[strlen(dump_dir) - 1] = '\0';
}

/* A file changed on the server while this mount has dirty pages of it:
 * the write-back is refused (If: on the ETag), fsync says EIO, the log
 * says why, the other writer's bytes stay, our pages stay dirty and are
 * saved at the unmount. */
static void test_fs_http_changed_under_dirty(void **s)
{
	char a[2 * PS], other[3 * PS], mine[PS], *back, *log, path[400];
	size_t len;
	int fd;

	(void)s;
	need_server(HTTPD_APACHE, false);
	fill(a, sizeof(a), 5);
	fill(other, sizeof(other), 6);
	memset(mine, 'M', sizeof(mine));
	put_server("conflict", a, sizeof(a), 10);
	start("frames=64,dirty_expire_ms=600000,dirty_background=100,"
	      "dirty_max=100");
	fd = open(mpath(&M, "conflict"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, mine, PS, 0), (ssize_t)PS);
	put_server("conflict", other, sizeof(other), 5);
	assert_int_equal(fsync(fd), -1);
	assert_int_equal(errno, EIO);
	assert_true(mnt_stat(&M, "frames_dirty") >= 1);
	back = get_server("conflict", &len);
	assert_int_equal(len, sizeof(other));
	assert_memory_equal(back, other, sizeof(other));
	free(back);
	log = daemon_log();
	if (!strstr(log, "changed on the server"))
		fail_msg("no conflict line in the daemon's log:\n%s", log);
	free(log);
	close(fd);
	/* The unmount cannot write them either: it saves them. */
	stop_saving();
	snprintf(path, sizeof(path), "%s/conflict", dump_dir);
	back = slurp_path(path, &len);
	assert_non_null(back);
	assert_true(len >= PS);
	assert_memory_equal(back, mine, PS);
	free(back);
	back = get_server("conflict", &len);
	assert_memory_equal(back, other, sizeof(other));
	free(back);
}

/* A file that cannot be written back (changed on the server under its
 * dirty page) does not hold back the others: it stayed the oldest dirty
 * file, the flusher tried it first each round and stopped at its error,
 * and a file written later reached the server only at its fsync, close
 * or the unmount.  Now the flusher writes the later file back on its own
 * (dirty_expire_ms, the file still open, no fsync), and keeps the
 * conflicted page, which the unmount saves. */
static void test_fs_http_conflict_not_blocking(void **s)
{
	char a[PS], other[PS], mine[PS], fresh[PS], *back = NULL, *log;
	char path[400];
	size_t len = 0;
	int fd, fd2;
	bool there = false, met = false;

	(void)s;
	need_server(HTTPD_APACHE, false);
	fill(a, sizeof(a), 7);
	fill(other, sizeof(other), 8);
	memset(mine, 'M', sizeof(mine));
	memset(fresh, 'F', sizeof(fresh));
	put_server("stuck", a, sizeof(a), 10);
	start("frames=64,dirty_expire_ms=200");
	fd = open(mpath(&M, "stuck"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, mine, PS, 0), (ssize_t)PS);
	put_server("stuck", other, sizeof(other), 5);
	for (int i = 0; i < 200 && !met; i++) {	/* the flusher meets it */
		log = daemon_log();
		met = strstr(log, "changed on the server") != NULL;
		free(log);
		if (!met)
			usleep(50 * 1000);
	}
	assert_true(met);
	fd2 = open(mpath(&M, "fresh"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd2 >= 0);
	assert_int_equal(pwrite(fd2, fresh, PS, 0), (ssize_t)PS);
	for (int i = 0; i < 200 && !there; i++) {
		free(back);
		back = get_server("fresh", &len);
		there = back && len == PS && !memcmp(back, fresh, PS);
		if (!there)
			usleep(50 * 1000);
	}
	free(back);
	if (!there)
		fail_msg("a file written after the conflict did not reach the "
			 "server in 10 s (frames_dirty %llu)",
			 (unsigned long long)mnt_stat(&M, "frames_dirty"));
	back = get_server("stuck", &len);
	assert_int_equal(len, sizeof(other));
	assert_memory_equal(back, other, sizeof(other));
	free(back);
	assert_int_equal(mnt_stat(&M, "frames_dirty"), 1);
	close(fd2);
	close(fd);
	/* The unmount cannot write the conflicted page: it saves it. */
	stop_saving();
	snprintf(path, sizeof(path), "%s/stuck", dump_dir);
	back = slurp_path(path, &len);
	assert_non_null(back);
	assert_true(len >= PS);
	assert_memory_equal(back, mine, PS);
	free(back);
}

/* ---- the server going away --------------------------------------------- */

/* Stopped during write-back: fsync reports the error, nothing is dropped,
 * and once the server is back the data reaches it. */
static void test_fs_http_server_restart(void **s)
{
	enum { N = 64 };
	char *buf = malloc(N * PS), *back;
	size_t len;
	int fd, rc;

	(void)s;
	need_server(HTTPD_APACHE, false);
	start("frames=256,dirty_expire_ms=600000,dirty_background=100,"
	      "dirty_max=100,http_retries=1");
	fill(buf, N * PS, 7);
	fd = open(mpath(&M, "r"), O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, N * PS), (ssize_t)(N * PS));
	assert_int_equal(mnt_stat(&M, "frames_dirty"), N);
	assert_int_equal(httpd_stop(&H), 0);
	assert_int_equal(fsync(fd), -1);
	assert_int_equal(errno, EIO);
	assert_true(mnt_stat(&M, "frames_dirty") > 0);
	assert_true(mnt_stat(&M, "http_transport_errors") >= 1);
	assert_int_equal(httpd_start_again(&H), 0);
	/* The error was reported once; the next fsync writes. */
	rc = fsync(fd);
	if (rc != 0)
		rc = fsync(fd);
	assert_int_equal(rc, 0);
	assert_int_equal(mnt_stat(&M, "frames_dirty"), 0);
	close(fd);
	back = get_server("r", &len);
	assert_int_equal(len, N * PS);
	assert_memory_equal(back, buf, N * PS);
	free(back);
	rc = mnt_stop(&M);
	if (rc != 0)
		fail_msg("the daemon's exit was %d:\n%s", rc, daemon_log());
	free(buf);
}

/* The server gone at the unmount: the daemon says how many pages it
 * could not write, saves them where it says, and exits non-zero.  With
 * plant, /var/tmp/framefs-unwritten.PID is there already, a link to a
 * directory of someone else's choosing: the daemon saves beside it, under
 * a name of its own, and writes nothing through the link. */
static void unmount_server_down(bool plant)
{
	enum { N = 12 };
	char buf[N * PS], *log, *at, path[400], *back;
	char *own = planted[0], *trap = planted[1];
	unsigned n = 0;
	size_t len;

	need_server(HTTPD_APACHE, false);
	start("frames=64,dirty_expire_ms=600000,dirty_background=100,"
	      "dirty_max=100,http_retries=0");
	fill(buf, sizeof(buf), 8);
	assert_int_equal(mkdir(mpath(&M, "sub"), 0755), 0);
	{
		int fd = open(mpath(&M, "sub/late"), O_RDWR | O_CREAT, 0644);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, buf, sizeof(buf)),
				 (ssize_t)sizeof(buf));
		/* no close yet: a close writes back */
		assert_int_equal(httpd_stop(&H), 0);
		close(fd);
	}
	snprintf(own, sizeof(planted[0]), "/var/tmp/framefs-unwritten.%d",
		 (int)M.pid);
	if (plant) {
		snprintf(trap, sizeof(planted[1]),
			 "/var/tmp/framefs-test-trap.XXXXXX");
		assert_non_null(mkdtemp(trap));
		if (symlink(trap, own) != 0)
			fail_msg("%s: %s", own, strerror(errno));
	}
	assert_int_equal(mnt_stop(&M), 1);
	log = daemon_log();
	at = strstr(log, "dirty pages could not be written");
	if (!at)
		fail_msg("no count of unwritten pages:\n%s", log);
	while (at > log && at[-1] != '\n')
		at--;
	assert_int_equal(sscanf(at, "framefs: %u dirty pages", &n), 1);
	assert_int_equal(n, N);
	at = strstr(at, "saved under ");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "saved under %127s", dump_dir), 1);
	free(log);
	if (dump_dir[strlen(dump_dir) - 1] == '/')
		dump_dir[strlen(dump_dir) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/sub/late", dump_dir);
	back = slurp_path(path, &len);
	assert_non_null(back);
	assert_int_equal(len, sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));
	free(back);
	if (plant) {
		struct stat st;
		int empty = rmdir(trap);	/* fails if anything went in */

		if (empty != 0)
			fail_msg("the daemon wrote through the link into %s",
				 trap);
		if (strncmp(dump_dir, own, strlen(own)) ||
		    dump_dir[strlen(own)] != '.')
			fail_msg("saved under %s, not beside %s", dump_dir,
				 own);
		assert_int_equal(lstat(dump_dir, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 077, 0);
	} else {
		assert_string_equal(dump_dir, own);
		own[0] = '\0';
	}
}

static void test_fs_http_unmount_server_down(void **s)
{
	(void)s;
	unmount_server_down(false);
}

static void test_fs_http_unmount_save_dir_taken(void **s)
{
	(void)s;
	unmount_server_down(true);
}

/* ---- a flaky server: a fault-injecting proxy in front of Apache --------- */

/* 503s at new connections, connections cut mid-answer every 100 ms, and
 * 2 ms before each chunk of an answer, while a file is written, written
 * back, dropped and read back: the data is whole, and the counters show
 * what the retries went through. */
static void test_fs_http_flaky_server(void **s)
{
	enum { N = 512 };
	char *buf = malloc(N * PS), *back, url[128];
	uint64_t n5xx, retries;
	size_t len;
	int fd;

	(void)s;
	need_server(HTTPD_APACHE, false);
	P = proxy_start(H.port);
	assert_non_null(P);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/dav/", proxy_port(P));
	if (start_url(url, "frames=128,http_retries=8,dirty_expire_ms=100")
	    != 0)
		fail_msg("framefs did not mount %s: %s", url, M.why);
	proxy_delay(P, 2);
	fill(buf, N * PS, 9);
	{
		pid_t chaos = fork();

		assert_true(chaos >= 0);
		if (chaos == 0) {
			/* the proxy's knobs live in this process: the
			 * child only writes and reads */
			int rc = write_file(mpath(&M, "flaky"), buf, N * PS);

			if (rc < 0)
				_exit(2);
			if (mnt_control(&M, "drop") != 0)
				_exit(3);
			back = malloc(N * PS);
			fd = open(mpath(&M, "flaky"), O_RDONLY);
			if (fd < 0)
				_exit(4);
			if (read(fd, back, N * PS) != (ssize_t)(N * PS))
				_exit(5);
			_exit(memcmp(back, buf, N * PS) ? 6 : 0);
		}
		for (int st, i = 0;; i++) {
			if (waitpid(chaos, &st, WNOHANG) == chaos) {
				if (!WIFEXITED(st) || WEXITSTATUS(st)) {
					server_logs();
					fail_msg("the client failed (step %d), "
						 "%u 503s sent; logs above",
						 WIFEXITED(st) ? WEXITSTATUS(st)
							       : -1,
						 proxy_refused(P));
				}
				break;
			}
			assert_true(i < 3000);	/* 2 minutes */
			/* a cut every 100 ms; every third one, the next
			 * connection is refused (a retry's backoff, from
			 * 100 ms, then finds the server back) */
			if (i % 10 == 0)
				proxy_cut_all(P);
			if (i % 30 == 0)
				proxy_refuse(P, 1);
			usleep(10000);
		}
	}
	proxy_refuse(P, 0);
	n5xx = mnt_stat(&M, "http_status_5xx");
	retries = mnt_stat(&M, "http_retries");
	print_message("503s sent %u, seen %llu, retries %llu, writes "
		      "confirmed after a lost answer %llu, sent again after "
		      "a cut %llu\n",
		      proxy_refused(P), (unsigned long long)n5xx,
		      (unsigned long long)retries,
		      (unsigned long long)mnt_stat(&M, "http_writes_confirmed"),
		      (unsigned long long)mnt_stat(&M, "http_writes_resent"));
	assert_true(proxy_refused(P) >= 1);
	assert_true(n5xx >= 1);
	assert_true(retries >= n5xx);
	assert_int_equal(mnt_stat(&M, "frames_dirty"), 0);
	assert_int_equal(mnt_stop(&M), 0);
	proxy_stop(P);
	P = NULL;
	back = get_server("flaky", &len);
	assert_non_null(back);
	assert_int_equal(len, N * PS);
	assert_memory_equal(back, buf, N * PS);
	free(back);
	free(buf);
}

/* ---- fetch_ahead: a window's pages ready as they arrive ---------------- */

/* A miss on page 0 with fetch_ahead=1024 fetches pages 1..255 in one GET
 * after its reply; the proxy holds that answer after its first 128 KiB.
 * Pages that came in before the hold are read while the rest waits: from
 * frames (no second miss), with their data.  Then the held connection is
 * cut: the GET fails after its first pages were used, so it is not tried
 * again (it would write them anew); the pages it did not bring are
 * loaded again when read, and the whole file reads back byte for byte. */
static void test_fs_http_ahead_pages_early(void **s)
{
	enum { N = 256 };
	char *buf = malloc(N * PS), *back = malloc(N * PS), url[128],
	     page[PS];
	uint64_t misses, gets, gets0;
	int fd;

	(void)s;
	need_server(HTTPD_APACHE, false);
	fill(buf, N * PS, 3);
	put_server("win", buf, N * PS, 5);
	P = proxy_start(H.port);
	assert_non_null(P);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/dav/", proxy_port(P));
	if (start_url(url, "frames=512,readahead=0,fetch_ahead=1024") != 0)
		fail_msg("framefs did not mount %s: %s", url, M.why);
	fd = open(mpath(&M, "win"), O_RDONLY);
	assert_true(fd >= 0);
	gets0 = mnt_stat(&M, "http_requests_get");	/* the mount's probe */
	proxy_hold(P, 128 * 1024);
	assert_int_equal(pread(fd, page, PS, 0), PS);
	assert_memory_equal(page, buf, PS);
	for (int i = 0; !proxy_holding(P); i++) {
		if (i == 1000)
			fail_msg("the window's GET never passed 128 KiB");
		usleep(10000);
	}
	/* 128 KiB of answer on that connection: at least pages 1..16 are
	 * in, whatever the miss's answer took of it */
	for (int p = 1; p <= 16; p += 5) {
		assert_int_equal(pread(fd, page, PS, (off_t)p * PS), PS);
		assert_memory_equal(page, buf + (size_t)p * PS, PS);
	}
	misses = mnt_stat(&M, "frame_misses");
	gets = mnt_stat(&M, "http_requests_get");
	if (!proxy_holding(P))
		fail_msg("the early pages waited for the whole window");
	assert_int_equal(misses, 1);
	assert_int_equal(gets - gets0, 2);	/* the miss, the window */
	proxy_cut_all(P);
	assert_int_equal(pread(fd, back, N * PS, 0), N * PS);
	assert_memory_equal(back, buf, N * PS);
	print_message("after the cut: %llu misses, %llu GETs, %llu retries\n",
		      (unsigned long long)mnt_stat(&M, "frame_misses"),
		      (unsigned long long)mnt_stat(&M, "http_requests_get"),
		      (unsigned long long)mnt_stat(&M, "http_retries"));
	assert_true(mnt_stat(&M, "frame_misses") > 1);
	assert_int_equal(mnt_stat(&M, "http_retries"), 0);
	close(fd);
	assert_int_equal(mnt_stop(&M), 0);
	free(buf);
	free(back);
}

/* fetch_streams=4 with 256 KB windows on Apache and on nginx: loads at
 * random through a shared mapping of a 6 MiB file (MADV_RANDOM, one load
 * a page, every page), each checked; a miss fetches the 4 windows of its
 * group in GETs side by side, so the file comes in a few misses: far
 * fewer GETs than pages.  Then the whole file reads back byte for byte. */
static void streams_on(enum httpd_kind kind)
{
	enum { NPG = 1536, SIZE = NPG * PS };
	char *model = malloc(SIZE), *back = malloc(SIZE);
	uint64_t gets0, gets, misses;
	unsigned char *p;
	int fd;

	need_server(kind, false);
	assert_non_null(model);
	assert_non_null(back);
	fill(model, SIZE, 9);
	put_server("streams", model, SIZE, 5);
	if (start_url(NULL, "frames=2048,readahead=0,fetch_ahead=256,"
		      "fetch_streams=4") != 0)
		fail_msg("framefs did not mount %s: %s", H.url, M.why);
	fd = open(mpath(&M, "streams"), O_RDONLY);
	assert_true(fd >= 0);
	gets0 = mnt_stat(&M, "http_requests_get");
	p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(madvise(p, SIZE, MADV_RANDOM), 0);
	for (unsigned i = 0; i < NPG; i++) {
		unsigned pg = (i * 997u) % NPG;	/* every page, scattered */
		size_t at = (size_t)pg * PS + 11;

		if (p[at] != (unsigned char)model[at])
			fail_msg("page %u: wrong byte through the mapping", pg);
	}
	munmap(p, SIZE);
	gets = mnt_stat(&M, "http_requests_get") - gets0;
	misses = mnt_stat(&M, "frame_misses");
	print_message("%s: %u pages at random: %llu misses, %llu GETs\n",
		      kind == HTTPD_APACHE ? "Apache" : "nginx", (unsigned)NPG,
		      (unsigned long long)misses, (unsigned long long)gets);
	/* 24 windows in 6 groups of 4 */
	assert_true(misses >= 6 && misses <= 24);
	assert_true(gets < NPG / 10);
	assert_int_equal(mnt_stat(&M, "frames_fetched_ahead"), NPG - misses);
	assert_int_equal(pread(fd, back, SIZE, 0), SIZE);
	assert_memory_equal(back, model, SIZE);
	close(fd);
	assert_int_equal(mnt_stop(&M), 0);
	free(model);
	free(back);
}

static void test_fs_http_fetch_streams(void **s)
{
	(void)s;
	streams_on(HTTPD_APACHE);
}

static void test_fs_http_fetch_streams_nginx(void **s)
{
	(void)s;
	streams_on(HTTPD_NGINX);
}

/* ---- refusals: one line, exit non-zero, nothing mounted -------------- */

static void refused(const char *opts, const char *url, const char *want)
{
	char err[2048], mp[] = "/tmp/framefs-mp.XXXXXX";
	int rc;

	assert_non_null(mkdtemp(mp));
	rc = run_framefs(opts, url, mp, err, sizeof(err));
	rmdir(mp);
	if (rc == 0 || !strstr(err, want))
		fail_msg("framefs -o %s %s: exit %d, wanted '%s' in:\n%s",
			 opts, url, rc, want, err);
	if (strchr(err, '\n') != strrchr(err, '\n'))
		fail_msg("more than one line for %s:\n%s", url, err);
	print_message("%s", err);
}

static void test_fs_http_refusals(void **s)
{
	char url[300];

	(void)s;
	need_server(HTTPD_APACHE, true);
	put_server("afile", "x", 1, 5);
	snprintf(url, sizeof(url), "%safile", H.url);
	refused("frames=64", url, "not a");
	refused("frames=64", "http://127.0.0.1:9/dav/", "framefs: http://");
	refused("frames=64", H.auth_url, "access denied");
	refused("frames=64,netrc=/nonexistent/netrc", H.url, "netrc");
	refused("frames=64,http_retries=x", H.url, "http_retries");
	snprintf(url, sizeof(url), "http://%s:%s@127.0.0.1:%d/auth/", H.user,
		 H.password, H.port);
	refused("frames=64", url, "credentials");
}

/* Good credentials from a netrc file: the mount works, and the password
 * is nowhere the daemon shows (stats, files, its command line, its log). */
static void test_fs_http_netrc(void **s)
{
	char line[300], *txt;
	int fd;

	(void)s;
	need_server(HTTPD_APACHE, true);
	snprintf(netrc_path, sizeof(netrc_path), "/tmp/framefs-netrc.XXXXXX");
	fd = mkstemp(netrc_path);
	assert_true(fd >= 0);
	snprintf(line, sizeof(line), "machine 127.0.0.1 login %s password %s\n",
		 H.user, H.password);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	snprintf(line, sizeof(line), "frames=64,netrc=%s", netrc_path);
	if (start_url(H.auth_url, line) != 0)
		fail_msg("framefs did not mount %s with a netrc: %s",
			 H.auth_url, M.why);
	assert_int_equal(write_file(mpath(&M, "secretive"), "data", 4), 0);
	txt = slurp_path(mpath(&M, ".framefs/stats"), NULL);
	assert_null(strstr(txt, H.password));
	free(txt);
	snprintf(line, sizeof(line), "/proc/%d/cmdline", (int)M.pid);
	fd = open(line, O_RDONLY);
	assert_true(fd >= 0);	/* the daemon's command line: checked */
	{
		char cmd[8192];
		ssize_t n = read(fd, cmd, sizeof(cmd));

		close(fd);
		/* NULs separate the arguments: memmem, not strstr. */
		assert_true(n > 0);
		assert_null(memmem(cmd, (size_t)n, H.password,
				   strlen(H.password)));
	}
	assert_int_equal(mnt_stop(&M), 0);
	txt = daemon_log();
	assert_null(strstr(txt, H.password));
	free(txt);
	txt = get_server("secretive", NULL);
	assert_string_equal(txt, "data");
	free(txt);
}

/* netrc=FILE as a relative path, the daemon in the background: it goes to
 * "/" there, and curl, which reads the file for each request, found none
 * after the mount and sent no credentials (401 on every request after the
 * probe).  The path is made absolute at mount: a file written through the
 * mount reaches the server. */
static void test_fs_http_netrc_relative(void **s)
{
	char line[300], opts[200], mp[] = "/tmp/framefs-mp.XXXXXX", cwd[512];
	char *bin = getenv("FRAMEFS"), *txt, err[1024];
	char *argv[] = { bin, "-o", opts, H.auth_url, mp, NULL };
	char *uz[] = { "fusermount3", "-u", mp, NULL };
	struct statfs sf;
	int fd, rc, wrc;

	(void)s;
	need_server(HTTPD_APACHE, true);
	assert_non_null(bin);
	snprintf(netrc_path, sizeof(netrc_path), "/tmp/framefs-netrc.XXXXXX");
	fd = mkstemp(netrc_path);
	assert_true(fd >= 0);
	snprintf(line, sizeof(line), "machine 127.0.0.1 login %s password %s\n",
		 H.user, H.password);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	assert_non_null(mkdtemp(mp));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(opts, sizeof(opts), "frames=64,netrc=%s",
		 netrc_path + strlen("/tmp/"));
	assert_int_equal(chdir("/tmp"), 0);
	rc = run_cmd(argv, err, sizeof(err));	/* no -f: it forks */
	assert_int_equal(chdir(cwd), 0);
	if (rc != 0) {
		rmdir(mp);
		fail_msg("framefs -o %s %s: exit %d: %s", opts, H.auth_url, rc,
			 err);
	}
	snprintf(line, sizeof(line), "%s/relative", mp);
	wrc = write_file(line, "netrc", 5);
	/* unmounted, the daemon writes back and exits on its own */
	rc = run_cmd(uz, err, sizeof(err));
	for (int i = 0; i < 100 && statfs(mp, &sf) == 0 &&
	     sf.f_type == 0x65735546; i++)
		usleep(50 * 1000);
	rmdir(mp);
	assert_int_equal(rc, 0);
	assert_int_equal(wrc, 0);
	txt = get_server("relative", NULL);
	assert_string_equal(txt, "netrc");
	free(txt);
}

/* ---- https -------------------------------------------------------------- */

/* Apache over TLS with a certificate of a CA made for the test: with
 * cacert=FILE the mount reads and writes; without it the system's CAs do
 * not know that CA, and the mount is refused with one line that says so. */
static void test_fs_http_https(void **s)
{
	char a[3 * PS], *back, opts[400], *log;
	size_t len;
	int fd;

	(void)s;
	NEED_FUSE();
	if (!httpd_available(HTTPD_APACHE)) {
		print_message("apache2 is not installed\n");
		skip();
	}
	H.tls = true;
	if (httpd_start(&H, HTTPD_APACHE) != 0)
		fail_msg("server did not start: %s", H.why);
	assert_int_equal(strncmp(H.url, "https://", 8), 0);
	/* the system's CAs: refused, nothing mounted */
	assert_int_not_equal(start_url(NULL, "frames=64"), 0);
	log = daemon_log();
	if (!strstr(log, "SSL certificate problem"))
		fail_msg("no word of the certificate in:\n%s", log);
	free(log);
	unlink(log_path);
	log_path[0] = '\0';
	mnt_cleanup(&M);
	memset(&M, 0, sizeof(M));
	/* the test's CA */
	snprintf(opts, sizeof(opts), "frames=64,cacert=%s", H.cacert);
	if (start_url(NULL, opts) != 0)
		fail_msg("framefs did not mount %s: %s", H.url, M.why);
	fill(a, sizeof(a), 21);
	fd = open(mpath(&M, "tls"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, a, sizeof(a)), (ssize_t)sizeof(a));
	assert_int_equal(close(fd), 0);
	back = get_server("tls", &len);
	assert_int_equal(len, sizeof(a));
	assert_memory_equal(back, a, sizeof(a));
	free(back);
	assert_int_equal(mnt_control(&M, "drop"), 0);
	memset(a, 0, sizeof(a));
	fd = open(mpath(&M, "tls"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, a, sizeof(a)), (ssize_t)sizeof(a));
	close(fd);
	back = get_server("tls", &len);
	assert_memory_equal(back, a, sizeof(a));
	free(back);
	assert_true(mnt_stat(&M, "http_requests_get") > 0);
}

int main(void)
{
#define CASE(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		CASE(test_fs_http_apache_basics),
		CASE(test_fs_http_nginx_readonly),
		CASE(test_fs_http_apache_ro),
		CASE(test_fs_http_close_to_open),
		CASE(test_fs_http_changed_under_dirty),
		CASE(test_fs_http_conflict_not_blocking),
		CASE(test_fs_http_server_restart),
		CASE(test_fs_http_unmount_server_down),
		CASE(test_fs_http_unmount_save_dir_taken),
		CASE(test_fs_http_flaky_server),
		CASE(test_fs_http_ahead_pages_early),
		CASE(test_fs_http_fetch_streams),
		CASE(test_fs_http_fetch_streams_nginx),
		CASE(test_fs_http_refusals),
		CASE(test_fs_http_netrc),
		CASE(test_fs_http_netrc_relative),
		CASE(test_fs_http_https),
	};
#undef CASE

	signal(SIGPIPE, SIG_IGN);
	if (getenv("TEST_FS_ONLY"))
		cmocka_set_test_filter(getenv("TEST_FS_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
