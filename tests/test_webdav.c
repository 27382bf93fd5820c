/* test_webdav.c - fs/webdav.c against real servers: Apache httpd with
 * mod_dav_fs (as www-data) and nginx serving static files, both started
 * by harness/httpd.c on 127.0.0.1 and stopped by PID; plus a tiny
 * in-process server that answers 503 before it answers 200, for retries,
 * and harness/proxy.c in front of Apache for PUTs whose tries are cut.
 *
 * What the server holds is checked in its served directory directly, not
 * through the module under test.  Without apache2 or nginx the cases that
 * need one report SKIP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "httpd.h"
#include "proxy.h"
#include "webdav.h"

static struct httpd apache = { .auth = true };
static struct httpd nginx;

/* The shared Apache, started by the first case that needs it. */
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

static struct webdav *dav_open(const char *url, const struct webdav_opts *o)
{
	char err[256];
	struct webdav *dav = webdav_new(url, o, err, sizeof(err));

	if (!dav)
		fail_msg("webdav_new %s: %s", url, err);
	return dav;
}

/* A file in the served directory, owned by the server's user. */
static void put_local(struct httpd *h, const char *name, const void *data,
		      size_t len)
{
	char path[600];
	struct passwd *pw = getpwnam("www-data");
	int fd;

	snprintf(path, sizeof(path), "%s/%s", h->root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	if (pw && geteuid() == 0)
		assert_int_equal(chown(path, pw->pw_uid, pw->pw_gid), 0);
}

/* The whole of a served file; its length in *len. */
static char *get_local(struct httpd *h, const char *name, size_t *len)
{
	char path[600], *buf;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", h->root, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void pattern(char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (i * 7 + seed + i / 4096) % 26);
}

static void test_webdav_bad_url(void **state)
{
	static const char *const bad[] = {
		"ftp://host/dav/", "127.0.0.1/dav/", "http://", "http://h:99999/d/",
		"http://u:secret@127.0.0.1/dav/", "http://h/dav/?q=1", "",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(webdav_new(bad[i], NULL, err, sizeof(err)));
		assert_int_equal(errno, EINVAL);
		assert_true(err[0]);
		assert_null(strstr(err, "secret"));
	}
	struct webdav *dav = dav_open("http://127.0.0.1:9/dav", NULL);

	assert_string_equal(webdav_url(dav), "http://127.0.0.1:9/dav/");
	webdav_free(dav);
	webdav_free(NULL);
}

static void test_webdav_probe_apache(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	struct webdav_caps caps;

	(void)state;
	assert_int_equal(webdav_probe(dav, &caps), 0);
	assert_true(caps.dav_class >= 1);
	assert_false(caps.plain);
	assert_true(caps.writable);
	/* mod_dav_fs applies Content-Range PUTs in place (measured). */
	assert_true(caps.partial_put);
	assert_true(caps.ranges);
	assert_non_null(strstr(caps.server, "Apache"));
	/* The scratch object is gone. */
	struct webdav_attr a;
	int found = 0;

	assert_int_equal(webdav_stat(dav, "", &a), 0);
	assert_true(a.is_dir);
	(void)found;
	webdav_free(dav);
}

static void test_webdav_stat(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	struct webdav_attr a;
	char buf[5000], path[600];
	struct stat st;

	(void)state;
	pattern(buf, sizeof(buf), 1);
	put_local(h, "stat file", buf, sizeof(buf));
	snprintf(path, sizeof(path), "%s/stat-dir", h->root);
	mkdir(path, 0755);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	assert_int_equal(webdav_stat(dav, "stat file", &a), 0);
	assert_false(a.is_dir);
	assert_int_equal(a.size, sizeof(buf));
	snprintf(path, sizeof(path), "%s/stat file", h->root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(a.mtime, st.st_mtime);
	assert_true(a.etag[0] == '"' || !strncmp(a.etag, "W/\"", 3));
	assert_int_equal(webdav_stat(dav, "stat-dir", &a), 0);
	assert_true(a.is_dir);
	assert_int_equal(webdav_stat(dav, "stat-dir/", &a), 0);
	assert_true(a.is_dir);
	assert_int_equal(webdav_stat(dav, "no such", &a), -ENOENT);
	assert_int_equal(webdav_stat(dav, "no/such/thing", &a), -ENOENT);
	webdav_free(dav);
}

#define NBIG 1500

static void big_name(char *out, size_t len, int i)
{
	/* spaces, UTF-8, '%', '#', '&', '+' and '?' in names */
	snprintf(out, len, "%s%04d %s", i % 3 == 0 ? "Grüße " : "f",
		 i, i % 2 ? "100% & more#+?" : "plain");
}

struct seen {
	unsigned char hit[NBIG];
	int files, dirs, other;
};

static int list_cb(void *arg, const char *name, const struct webdav_attr *a)
{
	struct seen *s = arg;
	char want[128];
	int i;

	if (a->is_dir) {
		s->dirs++;
		return strcmp(name, "sub dir") ? -EBADMSG : 0;
	}
	if (sscanf(name + (strncmp(name, "Grüße ", 7) ? 1 : 7), "%4d",
		   &i) != 1 || i < 0 || i >= NBIG) {
		s->other++;
		return 0;
	}
	big_name(want, sizeof(want), i);
	if (strcmp(name, want) || a->size != (uint64_t)(i % 10) ||
	    !a->etag[0] || a->mtime <= 0) {
		print_message("bad entry '%s' (want '%s') size %llu\n", name,
			      want, (unsigned long long)a->size);
		s->other++;
		return 0;
	}
	s->hit[i]++;
	s->files++;
	return 0;
}

static void test_webdav_list_1500(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	char name[128], path[700];
	struct seen s = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/big dir%%", h->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/big dir%%/sub dir", h->root);
	assert_int_equal(mkdir(path, 0755), 0);
	for (int i = 0; i < NBIG; i++) {
		big_name(name, sizeof(name), i);
		snprintf(path, sizeof(path), "big dir%%/%s", name);
		put_local(h, path, "0123456789", (size_t)(i % 10));
	}
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);

	assert_int_equal(webdav_list(dav, "big dir%", list_cb, &s), 0);
	print_message("PROPFIND Depth 1 of %d entries: %.1f ms\n", NBIG,
		      (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
	assert_int_equal(s.files, NBIG);
	assert_int_equal(s.dirs, 1);
	assert_int_equal(s.other, 0);
	for (int i = 0; i < NBIG; i++)
		assert_int_equal(s.hit[i], 1);
	/* the same with a trailing slash, and a name read back through
	 * stat */
	memset(&s, 0, sizeof(s));
	assert_int_equal(webdav_list(dav, "big dir%/", list_cb, &s), 0);
	assert_int_equal(s.files, NBIG);
	struct webdav_attr a;

	big_name(name, sizeof(name), 3);
	snprintf(path, sizeof(path), "big dir%%/%s", name);
	assert_int_equal(webdav_stat(dav, path, &a), 0);
	assert_int_equal(a.size, 3);
	assert_int_equal(webdav_list(dav, path, list_cb, &s), -ENOTDIR);
	assert_int_equal(webdav_list(dav, "nope/", list_cb, &s), -ENOENT);
	webdav_free(dav);
}

static void test_webdav_range_get(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	enum { N = 10000 };
	char *data = malloc(N), *buf = malloc(3 * 4096);
	char etag[WEBDAV_ETAG_MAX];
	struct webdav_attr a;

	(void)state;
	pattern(data, N, 2);
	put_local(h, "range", data, N);
	assert_int_equal(webdav_get(dav, "range", 0, 4096, buf, etag), 4096);
	assert_memory_equal(buf, data, 4096);
	assert_int_equal(webdav_stat(dav, "range", &a), 0);
	assert_true(etag[0]);
	assert_int_equal(webdav_get(dav, "range", 4096, 4096, buf, NULL),
			 4096);
	assert_memory_equal(buf, data + 4096, 4096);
	/* short at EOF, nothing at and after it */
	assert_int_equal(webdav_get(dav, "range", 8192, 4096, buf, NULL),
			 N - 8192);
	assert_memory_equal(buf, data + 8192, N - 8192);
	assert_int_equal(webdav_get(dav, "range", N, 4096, buf, NULL), 0);
	assert_int_equal(webdav_get(dav, "range", N + 5000, 10, buf, NULL),
			 0);
	assert_int_equal(webdav_get(dav, "range", 1, 0, buf, NULL), 0);
	/* three pages in one request, the last short */
	struct webdav_stats s0, s1;
	struct iovec v[3] = { { buf, 4096 }, { buf + 4096, 4096 },
			      { buf + 8192, 4096 } };

	memset(buf, 0, 3 * 4096);
	webdav_stats(dav, &s0);
	assert_int_equal(webdav_getv(dav, "range", 1000, v, 3, NULL, NULL,
				     NULL), N - 1000);
	webdav_stats(dav, &s1);
	assert_int_equal(s1.requests[WEBDAV_GET] - s0.requests[WEBDAV_GET], 1);
	assert_memory_equal(buf, data + 1000, N - 1000);
	assert_int_equal(webdav_get(dav, "no such", 0, 10, buf, NULL),
			 -ENOENT);
	free(data);
	free(buf);
	webdav_free(dav);
}

/* A server that answers a Range GET with 200 and the whole object, and,
 * in mode 1, the next GET with the 206 it was asked for (a balancer in
 * front of two servers, one with ranges): one thread, one request at a
 * time, on as many connections as the client opens. */
struct fake {
	int lfd, mode, gets;
	const char *body;
	size_t len;
	pthread_t t;
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	for (int done = 0; done < 2;) {
		int cfd = accept(f->lfd, NULL, NULL);
		char req[4096];
		size_t got = 0;

		if (cfd < 0)
			break;
		for (;;) {
			char head[256], *end;
			unsigned long long a = 0, b = 0;
			ssize_t n = read(cfd, req + got, sizeof(req) - 1 - got);
			int k;

			if (n <= 0)
				break;
			got += (size_t)n;
			req[got] = '\0';
			if (!(end = strstr(req, "\r\n\r\n")))
				continue;
			f->gets++;
			if (f->mode == 1 && f->gets == 2 &&
			    sscanf(strstr(req, "Range: bytes=") ?
				   strstr(req, "Range: bytes=") : "",
				   "Range: bytes=%llu-%llu", &a, &b) == 2) {
				if (b >= f->len)
					b = f->len - 1;
				k = snprintf(head, sizeof(head),
					     "HTTP/1.1 206 Partial Content\r\n"
					     "Content-Range: bytes %llu-%llu/%zu"
					     "\r\nContent-Length: %llu\r\n\r\n",
					     a, b, f->len, b - a + 1);
				(void)!send(cfd, head, (size_t)k,
					    MSG_NOSIGNAL);
				(void)!send(cfd, f->body + a, b - a + 1,
					    MSG_NOSIGNAL);
			} else {
				k = snprintf(head, sizeof(head),
					     "HTTP/1.1 200 OK\r\n"
					     "Content-Length: %zu\r\n\r\n",
					     f->len);
				(void)!send(cfd, head, (size_t)k, MSG_NOSIGNAL);
				(void)!send(cfd, f->body, f->len, MSG_NOSIGNAL);
			}
			got = 0;
			if (++done == 2)
				break;
		}
		close(cfd);
	}
	return NULL;
}

/* A Range GET answered with 200 (the whole object) is sent again,
 * dropping the bytes before the offset; if that second try is answered
 * with the 206 asked for, its bytes start where it says: the data is the
 * object's from the offset, either way. */
static void test_webdav_range_ignored(void **state)
{
	enum { N = 10000, OFF = 1000, LEN = 4096 };
	char *body = malloc(N), buf[LEN], url[64];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sa);

	(void)state;
	pattern(body, N, 5);
	for (int mode = 0; mode < 2; mode++) {
		struct fake f = { .mode = mode, .body = body, .len = N };
		struct webdav *dav;
		ssize_t n;

		f.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = 0;
		assert_int_equal(bind(f.lfd, (struct sockaddr *)&sa,
				      sizeof(sa)), 0);
		assert_int_equal(listen(f.lfd, 4), 0);
		assert_int_equal(getsockname(f.lfd, (struct sockaddr *)&sa,
					     &slen), 0);
		assert_int_equal(pthread_create(&f.t, NULL, fake_main, &f), 0);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/",
			 ntohs(sa.sin_port));
		dav = dav_open(url, NULL);
		memset(buf, 0, sizeof(buf));
		n = webdav_get(dav, "obj", OFF, LEN, buf, NULL);
		webdav_free(dav);
		shutdown(f.lfd, SHUT_RDWR);
		pthread_join(f.t, NULL);	/* then f.gets is its last */
		close(f.lfd);
		assert_int_equal(n, LEN);
		assert_int_equal(f.gets, 2);
		if (memcmp(buf, body + OFF, LEN))
			fail_msg("mode %d: not the object's bytes from %d",
				 mode, OFF);
	}
	free(body);
}

static void test_webdav_put(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	char data[9000], buf[9000], etag[WEBDAV_ETAG_MAX], *got;
	size_t len;
	struct iovec v[2] = { { data, 5000 }, { data + 5000, 4000 } };

	(void)state;
	assert_int_equal(webdav_probe(dav, NULL), 0);
	pattern(data, sizeof(data), 3);
	assert_int_equal(webdav_put(dav, "put file", v, 2, 0, 9000, NULL,
				    etag), 0);
	assert_true(etag[0]);
	assert_int_equal(webdav_get(dav, "put file", 0, 9000, buf, NULL),
			 9000);
	assert_memory_equal(buf, data, 9000);
	got = get_local(h, "put file", &len);
	assert_int_equal(len, 9000);
	assert_memory_equal(got, data, 9000);
	free(got);
	/* replace with a shorter one */
	assert_int_equal(webdav_put(dav, "put file", v, 1, 0, 5000, NULL,
				    NULL), 0);
	got = get_local(h, "put file", &len);
	assert_int_equal(len, 5000);
	free(got);
	/* partial: two bytes in the middle, then past the end */
	struct iovec p = { "XY", 2 };

	assert_int_equal(webdav_put(dav, "put file", &p, 1, 100, -1, NULL,
				    NULL), 0);
	got = get_local(h, "put file", &len);
	assert_int_equal(len, 5000);
	assert_memory_equal(got, data, 100);
	assert_memory_equal(got + 100, "XY", 2);
	assert_memory_equal(got + 102, data + 102, 5000 - 102);
	free(got);
	assert_int_equal(webdav_put(dav, "put file", &p, 1, 6000, -1, NULL,
				    NULL), 0);
	got = get_local(h, "put file", &len);
	assert_int_equal(len, 6002);
	for (size_t i = 5000; i < 6000; i++)
		assert_int_equal(got[i], 0);
	assert_memory_equal(got + 6000, "XY", 2);
	free(got);
	/* into a missing collection */
	assert_int_equal(webdav_put(dav, "no dir/x", v, 1, 0, 5000, NULL,
				    NULL), -ENOENT);
	/* create-exclusive */
	assert_int_equal(webdav_create(dav, "put file", v, 1, NULL), -EEXIST);
	assert_int_equal(webdav_create(dav, "put new", v, 1, etag), 0);
	assert_true(etag[0]);
	/* truncate: shorter, longer (partial PUT), to zero */
	assert_int_equal(webdav_truncate(dav, "put file", 50, NULL, NULL), 0);
	got = get_local(h, "put file", &len);
	assert_int_equal(len, 50);
	assert_memory_equal(got, data, 50);
	free(got);
	assert_int_equal(webdav_truncate(dav, "put file", 70, NULL, NULL), 0);
	got = get_local(h, "put file", &len);
	assert_int_equal(len, 70);
	assert_memory_equal(got, data, 50);
	for (size_t i = 50; i < 70; i++)
		assert_int_equal(got[i], 0);
	free(got);
	assert_int_equal(webdav_truncate(dav, "put file", 0, NULL, NULL), 0);
	got = get_local(h, "put file", &len);
	assert_int_equal(len, 0);
	free(got);
	webdav_free(dav);
}

static void test_webdav_namespace(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	struct webdav_attr a;
	char path[600], *got;
	size_t len;
	struct stat st;

	(void)state;
	assert_int_equal(webdav_probe(dav, NULL), 0);
	assert_int_equal(webdav_mkcol(dav, "ns dir"), 0);
	snprintf(path, sizeof(path), "%s/ns dir", h->root);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(webdav_mkcol(dav, "ns dir"), -EEXIST);
	assert_int_equal(webdav_mkcol(dav, "ns nope/sub"), -ENOENT);
	put_local(h, "ns dir/a", "aaa", 3);
	put_local(h, "ns dir/b", "bbbb", 4);
	/* MOVE without overwrite onto an existing name */
	assert_int_equal(webdav_move(dav, "ns dir/a", "ns dir/b", false),
			 -EEXIST);
	got = get_local(h, "ns dir/b", &len);
	assert_int_equal(len, 4);
	free(got);
	assert_int_equal(webdav_move(dav, "ns dir/a", "ns dir/b", true), 0);
	got = get_local(h, "ns dir/b", &len);
	assert_int_equal(len, 3);
	free(got);
	assert_null(get_local(h, "ns dir/a", &len));
	assert_int_equal(webdav_move(dav, "ns dir/b", "ns dir/c d", false),
			 0);
	assert_int_equal(webdav_move(dav, "ns dir/missing", "ns dir/x", false),
			 -ENOENT);
	assert_int_equal(webdav_move(dav, "ns dir/c d", "nowhere/x", false),
			 -ENOENT);
	assert_int_equal(webdav_copy(dav, "ns dir/c d", "ns dir/e", false), 0);
	got = get_local(h, "ns dir/e", &len);
	assert_int_equal(len, 3);
	free(got);
	/* a collection moves with its contents */
	assert_int_equal(webdav_move(dav, "ns dir", "ns dir 2", false), 0);
	assert_int_equal(webdav_stat(dav, "ns dir 2/e", &a), 0);
	assert_int_equal(webdav_delete(dav, "ns dir 2/e", NULL), 0);
	assert_int_equal(webdav_delete(dav, "ns dir 2/e", NULL), -ENOENT);
	assert_int_equal(webdav_delete(dav, "ns dir 2", NULL), 0);
	snprintf(path, sizeof(path), "%s/ns dir 2", h->root);
	assert_int_equal(stat(path, &st), -1);
	webdav_free(dav);
}

static void test_webdav_if_match(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	struct webdav_attr a;
	struct webdav_stats s;
	char etag[WEBDAV_ETAG_MAX], etag2[WEBDAV_ETAG_MAX], *got;
	size_t len;
	struct iovec v = { "hello", 5 };

	(void)state;
	assert_int_equal(webdav_probe(dav, NULL), 0);
	assert_int_equal(webdav_put(dav, "cond", &v, 1, 0, 5, NULL, etag), 0);
	/* Right after a write, Apache's ETag is weak; a conditional write
	 * with it must still go through (the If: header). */
	v.iov_base = "HELLO";
	assert_int_equal(webdav_put(dav, "cond", &v, 1, 0, 5, etag, etag2), 0);
	assert_string_not_equal(etag, etag2);
	/* a partial write with the current ETag */
	v.iov_base = "J";
	v.iov_len = 1;
	assert_int_equal(webdav_put(dav, "cond", &v, 1, 0, -1, etag2, etag),
			 0);
	/* someone else writes: our ETag is stale */
	sleep_ms(5);
	put_local(h, "cond", "other", 5);
	assert_int_equal(webdav_put(dav, "cond", &v, 1, 0, 5, etag, NULL),
			 -ESTALE);
	v.iov_base = "Z";
	assert_int_equal(webdav_put(dav, "cond", &v, 1, 2, -1, etag, NULL),
			 -ESTALE);
	assert_int_equal(webdav_truncate(dav, "cond", 1, etag, NULL),
			 -ESTALE);
	assert_int_equal(webdav_delete(dav, "cond", etag), -ESTALE);
	got = get_local(h, "cond", &len);
	assert_int_equal(len, 5);
	assert_memory_equal(got, "other", 5);
	free(got);
	webdav_stats(dav, &s);
	assert_int_equal(s.stale, 4);
	assert_int_equal(webdav_stat(dav, "cond", &a), 0);
	assert_int_equal(webdav_delete(dav, "cond", a.etag), 0);
	webdav_free(dav);
}

/* ---- a PUT whose try was cut (harness/proxy.c in front of Apache) ------ */

/* A handle through a fresh proxy in front of Apache, probed, with every
 * pooled connection closed again: the next request connects anew. */
static struct webdav *dav_via(struct httpd *h, struct proxy **p)
{
	struct webdav_opts o;
	struct webdav *dav;
	char url[128];

	*p = proxy_start(h->port);
	assert_non_null(*p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/dav/", proxy_port(*p));
	webdav_opts_default(&o);
	o.backoff_ms = 20;
	dav = dav_open(url, &o);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	return dav;
}

static void assert_served(struct httpd *h, const char *name, const char *want,
			  size_t len)
{
	size_t got_len;
	char *got = get_local(h, name, &got_len);

	assert_non_null(got);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, want, len);
	free(got);
}

/* The server carried a conditional PUT out and its answer was lost: the
 * try again meets a 412 of the PUT's own making.  The bytes on the server
 * are the PUT's, so it landed, and its ETag is the server's: on a reused
 * connection (curl itself sends the request again on a new one), on a
 * fresh one (framefs's retry), and for a whole object. */
static void test_webdav_put_answer_lost(void **state)
{
	enum { LEN = 64 * 1024 };
	struct httpd *h = need_apache();
	struct proxy *p;
	struct webdav *dav = dav_via(h, &p);
	char *obj = malloc(LEN), etag[WEBDAV_ETAG_MAX];
	struct iovec v;
	struct webdav_attr a;
	struct webdav_stats s;

	(void)state;
	pattern(obj, LEN, 1);
	put_local(h, "lost", obj, LEN);
	assert_int_equal(webdav_stat(dav, "lost", &a), 0);
	/* reused connection */
	pattern(obj + 4096, 8192, 2);
	v = (struct iovec){ obj + 4096, 8192 };
	proxy_drop_answer(p);
	assert_int_equal(webdav_put(dav, "lost", &v, 1, 4096, -1, a.etag, etag),
			 0);
	assert_int_equal(proxy_faults(p), 1);
	assert_served(h, "lost", obj, LEN);
	assert_int_equal(webdav_stat(dav, "lost", &a), 0);
	assert_true(webdav_etag_same(etag, a.etag));
	/* fresh connection */
	proxy_cut_all(p);
	pattern(obj, 4096, 3);
	v = (struct iovec){ obj, 4096 };
	proxy_drop_answer(p);
	assert_int_equal(webdav_put(dav, "lost", &v, 1, 0, -1, etag, etag), 0);
	assert_int_equal(proxy_faults(p), 2);
	assert_served(h, "lost", obj, LEN);
	/* a whole object */
	pattern(obj, LEN, 4);
	v = (struct iovec){ obj, LEN };
	proxy_drop_answer(p);
	assert_int_equal(webdav_put(dav, "lost", &v, 1, 0, LEN, etag, etag), 0);
	assert_int_equal(proxy_faults(p), 3);
	assert_served(h, "lost", obj, LEN);
	webdav_stats(dav, &s);
	assert_int_equal(s.confirmed, 3);
	assert_int_equal(s.stale, 0);
	assert_int_equal(s.rewritten, 0);
	/* and the ETag it came back with is the server's */
	v = (struct iovec){ obj, 1 };
	assert_int_equal(webdav_put(dav, "lost", &v, 1, 0, -1, etag, NULL), 0);
	webdav_free(dav);
	proxy_stop(p);
	free(obj);
}

/* A conditional PUT cut while its body was on the way: mod_dav_fs wrote
 * the part that got there, in place, and the try again meets a 412.  The
 * server holds the start of the body: the cut try's doing, so the PUT is
 * sent again on the version it made, and the object ends whole. */
static void test_webdav_put_cut_midway(void **state)
{
	enum { LEN = 256 * 1024, PUT = 128 * 1024 };
	struct httpd *h = need_apache();
	struct proxy *p;
	struct webdav *dav = dav_via(h, &p);
	char *obj = malloc(LEN);
	struct iovec v = { obj + 4096, PUT };
	struct webdav_attr a;
	struct webdav_stats s;

	(void)state;
	pattern(obj, LEN, 1);
	put_local(h, "cut", obj, LEN);
	assert_int_equal(webdav_stat(dav, "cut", &a), 0);
	pattern(obj + 4096, PUT, 2);
	proxy_cut_request(p, 40000);	/* the head and ~39 KB of body */
	assert_int_equal(webdav_put(dav, "cut", &v, 1, 4096, -1, a.etag, NULL),
			 0);
	assert_int_equal(proxy_faults(p), 1);
	assert_served(h, "cut", obj, LEN);
	webdav_stats(dav, &s);
	assert_int_equal(s.rewritten, 1);
	assert_int_equal(s.confirmed, 0);
	assert_int_equal(s.stale, 0);
	webdav_free(dav);
	proxy_stop(p);
	free(obj);
}

/* The same cut, and someone else writes the object before the try again:
 * the server's bytes are not the PUT's, and the 412 stands (-ESTALE);
 * the other writer's data is what the server keeps. */
struct other_write {
	struct httpd *h;
	char *data;
	size_t len;
};

static void write_other(void *arg)
{
	struct other_write *w = arg;

	sleep_ms(5);	/* a new mtime, so a new ETag */
	put_local(w->h, "cut2", w->data, w->len);
}

static void test_webdav_put_cut_conflict(void **state)
{
	enum { LEN = 256 * 1024, PUT = 128 * 1024 };
	struct httpd *h = need_apache();
	struct proxy *p;
	struct webdav *dav = dav_via(h, &p);
	char *obj = malloc(LEN), *other = malloc(LEN);
	struct other_write w = { h, other, LEN };
	struct iovec v = { obj + 4096, PUT };
	struct webdav_attr a;
	struct webdav_stats s;

	(void)state;
	pattern(obj, LEN, 1);
	put_local(h, "cut2", obj, LEN);
	assert_int_equal(webdav_stat(dav, "cut2", &a), 0);
	pattern(obj + 4096, PUT, 2);
	pattern(other, LEN, 3);
	proxy_on_fault(p, write_other, &w);
	proxy_cut_request(p, 40000);
	assert_int_equal(webdav_put(dav, "cut2", &v, 1, 4096, -1, a.etag, NULL),
			 -ESTALE);
	assert_int_equal(proxy_faults(p), 1);
	assert_served(h, "cut2", other, LEN);
	webdav_stats(dav, &s);
	assert_int_equal(s.stale, 1);
	assert_int_equal(s.rewritten, 0);
	assert_int_equal(s.confirmed, 0);
	webdav_free(dav);
	proxy_stop(p);
	free(obj);
	free(other);
}

static void test_webdav_auth(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav;
	struct webdav_opts o;
	struct webdav_attr a;
	char netrc[300], err[256];
	FILE *f;

	(void)state;
	put_local(h, "authfile", "secret data", 11);
	/* no credentials */
	webdav_opts_default(&o);
	o.no_env_credentials = true;
	dav = dav_open(h->auth_url, &o);
	assert_int_equal(webdav_stat(dav, "authfile", &a), -EACCES);
	webdav_free(dav);
	/* a wrong password from the environment */
	setenv("FRAMEFS_HTTP_USER", h->user, 1);
	setenv("FRAMEFS_HTTP_PASSWORD", "wrong", 1);
	dav = dav_open(h->auth_url, NULL);
	assert_int_equal(webdav_probe(dav, NULL), -EACCES);
	assert_int_equal(webdav_stat(dav, "authfile", &a), -EACCES);
	webdav_free(dav);
	/* the right one */
	setenv("FRAMEFS_HTTP_PASSWORD", h->password, 1);
	dav = dav_open(h->auth_url, NULL);
	assert_int_equal(webdav_stat(dav, "authfile", &a), 0);
	webdav_free(dav);
	unsetenv("FRAMEFS_HTTP_USER");
	unsetenv("FRAMEFS_HTTP_PASSWORD");
	/* from a netrc file */
	snprintf(netrc, sizeof(netrc), "%s/netrc", h->dir);
	f = fopen(netrc, "w");
	assert_non_null(f);
	fprintf(f, "machine 127.0.0.1 login %s password %s\n", h->user,
		h->password);
	fclose(f);
	chmod(netrc, 0600);
	webdav_opts_default(&o);
	o.netrc = netrc;
	dav = dav_open(h->auth_url, &o);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	assert_int_equal(webdav_stat(dav, "authfile", &a), 0);
	assert_int_equal(a.size, 11);
	webdav_free(dav);
	/* a netrc that is not there */
	o.netrc = "/nonexistent/netrc";
	assert_null(webdav_new(h->auth_url, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "netrc"));
}

static void test_webdav_stats(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	struct webdav_stats s;
	struct webdav_attr a;
	char buf[4096], text[2048];
	struct iovec v = { buf, 1000 };

	(void)state;
	pattern(buf, sizeof(buf), 4);
	put_local(h, "statsfile", buf, 4096);
	for (int i = 0; i < 3; i++)
		assert_int_equal(webdav_get(dav, "statsfile", 0, 4096, buf,
					    NULL), 4096);
	assert_int_equal(webdav_put(dav, "statsfile2", &v, 1, 0, 1000, NULL,
				    NULL), 0);
	assert_int_equal(webdav_stat(dav, "statsfile", &a), 0);
	assert_int_equal(webdav_stat(dav, "nothing", &a), -ENOENT);
	webdav_stats(dav, &s);
	assert_int_equal(s.requests[WEBDAV_GET], 3);
	assert_int_equal(s.requests[WEBDAV_PUT], 1);
	assert_int_equal(s.requests[WEBDAV_PROPFIND], 2);
	assert_int_equal(s.requests[WEBDAV_HEAD], 0);
	/* the PUT's body and the two PROPFINDs' */
	assert_true(s.bytes_out > 1000 && s.bytes_out < 1000 + 2 * 400);
	assert_true(s.bytes_in >= 3 * 4096);
	assert_int_equal(s.retries, 0);
	assert_int_equal(s.errors, 1);
	uint64_t n = 0;

	for (int i = 0; i < WEBDAV_RTT_BUCKETS; i++)
		n += s.rtt_us[i];
	assert_int_equal(n, 6);
	assert_true(webdav_rtt_quantile_us(&s, 0.5) > 0);
	webdav_stats_format(&s, text, sizeof(text));
	assert_non_null(strstr(text, "http_requests_get 3\n"));
	assert_non_null(strstr(text, "http_rtt_p99_us "));
	webdav_free(dav);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The round trip of a 4 KiB Range GET on a reused connection. */
static void test_webdav_rtt_4k(void **state)
{
	struct httpd *h = need_apache();
	struct webdav *dav = dav_open(h->url, NULL);
	enum { N = 2000 };
	static uint64_t t[N];
	char *data = malloc(1 << 20), buf[4096];
	struct webdav_stats s;

	(void)state;
	pattern(data, 1 << 20, 5);
	put_local(h, "rtt", data, 1 << 20);
	for (int i = 0; i < N; i++) {
		uint64_t off = (uint64_t)(i * 37 % 256) * 4096,
			 t0 = now_ns(CLOCK_MONOTONIC);

		assert_int_equal(webdav_get(dav, "rtt", off, 4096, buf, NULL),
				 4096);
		t[i] = now_ns(CLOCK_MONOTONIC) - t0;
		if (i < 8)
			assert_memory_equal(buf, data + off, 4096);
	}
	qsort(t, N, sizeof(t[0]), cmp_u64);
	webdav_stats(dav, &s);
	print_message("4 KiB Range GET on Apache, %d requests: median %.1f us, "
		      "p90 %.1f us, p99 %.1f us (histogram p50 <= %llu us)\n",
		      N, (double)t[N / 2] / 1e3, (double)t[N * 9 / 10] / 1e3,
		      (double)t[N * 99 / 100] / 1e3,
		      (unsigned long long)webdav_rtt_quantile_us(&s, 0.5));
	free(data);
	webdav_free(dav);
}

struct thr {
	struct webdav *dav;
	const char *data;
	int bad;
};

static void *reader(void *arg)
{
	struct thr *t = arg;
	char buf[4096];

	for (int i = 0; i < 200; i++) {
		uint64_t off = (uint64_t)((i * 13 + (intptr_t)t) % 256) * 4096;

		if (webdav_get(t->dav, "rtt", off, 4096, buf, NULL) != 4096 ||
		    memcmp(buf, t->data + off, 4096))
			t->bad++;
	}
	return NULL;
}

static void test_webdav_threads(void **state)
{
	struct httpd *h = need_apache();
	struct webdav_opts o;
	struct webdav *dav;
	char *data = malloc(1 << 20);
	pthread_t th[8];
	struct thr t[8];

	(void)state;
	webdav_opts_default(&o);
	o.pool_size = 4;	/* fewer idle handles than threads */
	dav = dav_open(h->url, &o);
	pattern(data, 1 << 20, 5);
	put_local(h, "rtt", data, 1 << 20);
	for (int i = 0; i < 8; i++) {
		t[i] = (struct thr){ dav, data, 0 };
		pthread_create(&th[i], NULL, reader, &t[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].bad, 0);
	}
	free(data);
	webdav_free(dav);
}

static void test_webdav_nginx(void **state)
{
	struct httpd *h = need_nginx();
	struct webdav *dav = dav_open(h->url, NULL);
	struct webdav_caps caps;
	struct webdav_attr a;
	char data[10000], buf[4096], path[1400];
	struct iovec v = { data, 10 };
	FILE *f;

	(void)state;
	pattern(data, sizeof(data), 6);
	snprintf(path, sizeof(path), "%s/static file", h->root);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(data, 1, sizeof(data), f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/sub", h->root);
	mkdir(path, 0755);
	/* stat by HEAD works before the probe (PROPFIND gets 405) */
	assert_int_equal(webdav_stat(dav, "static file", &a), 0);
	assert_int_equal(a.size, sizeof(data));
	assert_int_equal(webdav_probe(dav, &caps), 0);
	assert_true(caps.plain);
	assert_int_equal(caps.dav_class, 0);
	assert_false(caps.partial_put);
	assert_non_null(strstr(caps.server, "nginx"));
	assert_int_equal(webdav_stat(dav, "static file", &a), 0);
	assert_false(a.is_dir);
	assert_int_equal(a.size, sizeof(data));
	assert_true(a.mtime > 0);
	assert_true(a.etag[0]);
	assert_int_equal(webdav_stat(dav, "sub", &a), 0);
	assert_true(a.is_dir);
	assert_int_equal(webdav_stat(dav, "nope", &a), -ENOENT);
	assert_int_equal(webdav_get(dav, "static file", 8192, 4096, buf, NULL),
			 10000 - 8192);
	assert_memory_equal(buf, data + 8192, 10000 - 8192);
	assert_int_equal(webdav_get(dav, "static file", 10000, 10, buf, NULL),
			 0);
	assert_int_equal(webdav_list(dav, "", list_cb, NULL), -EOPNOTSUPP);
	assert_int_equal(webdav_put(dav, "x", &v, 1, 0, 10, NULL, NULL),
			 -EROFS);
	assert_int_equal(webdav_mkcol(dav, "d"), -EROFS);
	webdav_free(dav);
}

/* A server of our own stopped under the client, then started again. */
static void test_webdav_server_down(void **state)
{
	struct httpd h = { 0 };
	struct webdav_opts o;
	struct webdav_stats s;
	struct webdav *dav;
	char buf[16];
	uint64_t t0, ms;

	(void)state;
	if (!httpd_available(HTTPD_APACHE))
		skip();
	assert_int_equal(httpd_start(&h, HTTPD_APACHE), 0);
	put_local(&h, "f", "0123456789", 10);
	webdav_opts_default(&o);
	o.retries = 3;
	o.backoff_ms = 50;
	o.backoff_max_ms = 200;
	o.connect_timeout_ms = 1000;
	dav = dav_open(h.url, &o);
	assert_int_equal(webdav_get(dav, "f", 0, 10, buf, NULL), 10);
	assert_int_equal(httpd_stop(&h), 0);
	t0 = now_ms(CLOCK_MONOTONIC);
	assert_int_equal(webdav_get(dav, "f", 0, 10, buf, NULL), -EIO);
	ms = now_ms(CLOCK_MONOTONIC) - t0;
	webdav_stats(dav, &s);
	print_message("GET with the server down: -EIO after %llu ms\n",
		      (unsigned long long)ms);
	assert_int_equal(s.retries, 3);
	assert_int_equal(s.transport_errors, 4);
	assert_true(ms < 3000);
	assert_int_equal(httpd_start_again(&h), 0);
	assert_int_equal(webdav_get(dav, "f", 2, 3, buf, NULL), 3);
	assert_memory_equal(buf, "234", 3);
	webdav_free(dav);
	httpd_cleanup(&h);
}

/* A server that answers 503 to its first `fails` requests, then 200. */
struct flaky {
	int fd;
	int port;
	int fails;			/* atomic: read by the thread */
	int served;			/* atomic */
	pthread_t th;
};

static void *flaky_main(void *arg)
{
	struct flaky *f = arg;

	for (;;) {
		char req[4096];
		size_t n = 0;
		ssize_t k;
		int c = accept(f->fd, NULL, NULL);

		if (c < 0)
			return NULL;
		while (n < sizeof(req) - 1 &&
		       (k = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
			n += (size_t)k;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		if (__atomic_fetch_add(&f->served, 1, __ATOMIC_SEQ_CST) <
		    __atomic_load_n(&f->fails, __ATOMIC_SEQ_CST))
			dprintf(c, "HTTP/1.1 503 Service Unavailable\r\n"
				   "Content-Length: 0\r\nConnection: close"
				   "\r\n\r\n");
		else
			dprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
				   "Connection: close\r\n\r\nhello");
		close(c);
	}
}

static void test_webdav_retry_503(void **state)
{
	struct flaky f = { .fails = 2 };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct webdav_opts o;
	struct webdav_stats s;
	struct webdav *dav;
	char url[64], buf[16];

	(void)state;
	f.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f.fd >= 0);
	assert_int_equal(bind(f.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f.fd, 8), 0);
	getsockname(f.fd, (struct sockaddr *)&a, &len);
	f.port = ntohs(a.sin_port);
	pthread_create(&f.th, NULL, flaky_main, &f);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x/", f.port);
	webdav_opts_default(&o);
	o.backoff_ms = 20;
	dav = dav_open(url, &o);
	assert_int_equal(webdav_get(dav, "obj", 0, 5, buf, NULL), 5);
	assert_memory_equal(buf, "hello", 5);
	webdav_stats(dav, &s);
	assert_int_equal(s.retries, 2);
	assert_int_equal(s.status_5xx, 2);
	assert_int_equal(s.requests[WEBDAV_GET], 3);
	assert_int_equal(s.errors, 0);
	/* more 503s than retries: -EIO */
	__atomic_store_n(&f.fails, 10, __ATOMIC_SEQ_CST);
	__atomic_store_n(&f.served, 0, __ATOMIC_SEQ_CST);
	o.retries = 1;
	webdav_free(dav);
	dav = dav_open(url, &o);
	assert_int_equal(webdav_get(dav, "obj", 0, 5, buf, NULL), -EIO);
	webdav_stats(dav, &s);
	assert_int_equal(s.retries, 1);
	assert_int_equal(s.errors, 1);
	webdav_free(dav);
	shutdown(f.fd, SHUT_RDWR);
	close(f.fd);
	pthread_join(f.th, NULL);
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
		cmocka_unit_test(test_webdav_bad_url),
		cmocka_unit_test(test_webdav_probe_apache),
		cmocka_unit_test(test_webdav_stat),
		cmocka_unit_test(test_webdav_list_1500),
		cmocka_unit_test(test_webdav_range_get),
		cmocka_unit_test(test_webdav_range_ignored),
		cmocka_unit_test(test_webdav_put),
		cmocka_unit_test(test_webdav_namespace),
		cmocka_unit_test(test_webdav_if_match),
		cmocka_unit_test(test_webdav_put_answer_lost),
		cmocka_unit_test(test_webdav_put_cut_midway),
		cmocka_unit_test(test_webdav_put_cut_conflict),
		cmocka_unit_test(test_webdav_auth),
		cmocka_unit_test(test_webdav_stats),
		cmocka_unit_test(test_webdav_rtt_4k),
		cmocka_unit_test(test_webdav_threads),
		cmocka_unit_test(test_webdav_nginx),
		cmocka_unit_test(test_webdav_server_down),
		cmocka_unit_test(test_webdav_retry_503),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
