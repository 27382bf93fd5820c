/* test_s3.c - the S3 dialect of fs/webdav.c (fs/s3.c) against a real Ceph
 * RADOS Gateway: a single-node cluster (one monitor, one memstore OSD,
 * radosgw on 127.0.0.1) that tests/ceph-cluster.sh brings up once for
 * the file (about 13 s) and stops by PID at the end.  What the gateway
 * holds is checked through a second handle or a signed request, never only
 * through the call under test's own view.  Without Ceph's packages every
 * case reports SKIP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "ceph.h"
#include "proxy.h"
#include "webdav.h"

static struct ceph C;
static bool tried;

static void need_ceph(void)
{
	if (!ceph_available()) {
		print_message("no Ceph (ceph-mon, ceph-osd, radosgw) or no "
			      "CEPH_CLUSTER script\n");
		skip();
	}
	if (!tried) {
		tried = true;
		if (ceph_start(&C) != 0)
			fail_msg("Ceph: %s", C.why);
		assert_int_equal(ceph_bucket(&C, "ftest"), 0);
		/* the journal of uploads in progress: in the cluster's dir,
		 * not the user's home */
		setenv("XDG_STATE_HOME", C.dir, 1);
	}
	if (!C.up)
		fail_msg("Ceph did not come up: %s", C.why);
}

/* A handle on bucket "ftest" (and prefix, "" or "p/"). */
static void log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "webdav: %s\n", line);
}

static struct webdav *s3_open(const char *prefix, const char *secret)
{
	struct webdav_opts o;
	struct webdav *dav;
	char url[256], err[256];

	webdav_opts_default(&o);
	o.backoff_ms = 20;
	o.log = log_line;
	o.s3_region = C.region;
	o.s3_access_key = C.access_key;
	o.s3_secret_key = secret ? secret : C.secret_key;
	snprintf(url, sizeof(url), "%s/ftest/%s", C.endpoint, prefix);
	dav = webdav_new(url, &o, err, sizeof(err));
	if (!dav)
		fail_msg("webdav_new %s: %s", url, err);
	return dav;
}

static void pattern(char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (i * 7 + seed + i / 4096) % 26);
}

static int put_whole(struct webdav *dav, const char *path, const char *buf,
		     size_t len, char *etag)
{
	struct iovec v = { (void *)buf, len };

	return webdav_put(dav, path, &v, len ? 1 : 0, 0, (int64_t)len, NULL,
			  etag);
}

static void test_s3_probe(void **state)
{
	struct webdav_caps caps;
	struct webdav *dav;
	struct webdav_opts o;
	char url[256], err[256];

	(void)state;
	need_ceph();
	dav = s3_open("", NULL);
	assert_int_equal(webdav_probe(dav, &caps), 0);
	assert_false(caps.partial_put);	/* objects are written whole */
	assert_false(caps.plain);
	webdav_free(dav);
	/* a wrong secret: access denied */
	dav = s3_open("", "not-the-secret");
	assert_int_equal(webdav_probe(dav, NULL), -EACCES);
	webdav_free(dav);
	/* no such bucket */
	webdav_opts_default(&o);
	o.s3_region = C.region;
	o.s3_access_key = C.access_key;
	o.s3_secret_key = C.secret_key;
	snprintf(url, sizeof(url), "%s/nosuchbucket/", C.endpoint);
	dav = webdav_new(url, &o, err, sizeof(err));
	assert_non_null(dav);
	assert_int_equal(webdav_probe(dav, NULL), -ENOENT);
	webdav_free(dav);
	/* no credentials: refused before anything is sent */
	o.s3_access_key = NULL;
	assert_null(webdav_new(url, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "no S3 credentials"));
	/* no bucket in the URL */
	o.s3_access_key = C.access_key;
	snprintf(url, sizeof(url), "%s/", C.endpoint);
	assert_null(webdav_new(url, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "no bucket"));
}

/* Objects: a whole PUT, HEAD, ranged GETs, names that need encoding, a
 * second handle sees the same bytes. */
static void test_s3_objects(void **state)
{
	enum { LEN = 300000 };
	struct webdav *dav, *other;
	struct webdav_attr a;
	char *buf = malloc(LEN), *back = malloc(LEN), etag[WEBDAV_ETAG_MAX];
	static const char *const names[] = { "plain.bin", "with space.bin",
					     "ünï+cøde&=?.bin" };

	(void)state;
	need_ceph();
	dav = s3_open("", NULL);
	other = s3_open("", NULL);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	assert_int_equal(webdav_probe(other, NULL), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pattern(buf, LEN, (unsigned)i);
		assert_int_equal(put_whole(dav, names[i], buf, LEN, etag), 0);
		assert_true(etag[0]);
		assert_int_equal(webdav_stat(other, names[i], &a), 0);
		assert_false(a.is_dir);
		assert_int_equal(a.size, LEN);
		assert_true(a.mtime > 0);
		assert_true(webdav_etag_same(a.etag, etag));
		assert_int_equal(webdav_get(other, names[i], 4096, 8192, back,
					    NULL), 8192);
		assert_memory_equal(back, buf + 4096, 8192);
		/* past the end: short, then nothing */
		assert_int_equal(webdav_get(other, names[i], LEN - 100, 4096,
					    back, NULL), 100);
		assert_memory_equal(back, buf + LEN - 100, 100);
		assert_int_equal(webdav_get(other, names[i], LEN, 4096, back,
					    NULL), 0);
	}
	assert_int_equal(webdav_stat(dav, "nothing here", &a), -ENOENT);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(webdav_delete(dav, names[i], NULL), 0);
	assert_int_equal(webdav_stat(other, names[0], &a), -ENOENT);
	webdav_free(dav);
	webdav_free(other);
	free(buf);
	free(back);
}

struct seen {
	char names[8][64];
	bool dir[8];
	int n;
	long count;
};

static int seen_cb(void *arg, const char *name, const struct webdav_attr *a)
{
	struct seen *s = arg;

	s->count++;
	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		s->dir[s->n++] = a->is_dir;
	}
	return 0;
}

static int seen_has(const struct seen *s, const char *name, bool dir)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return s->dir[i] == dir;
	return 0;
}

/* Directories: a marker from mkdir, common prefixes in listings, rmdir
 * only when empty, a file is not a directory. */
static void test_s3_directories(void **state)
{
	struct webdav *dav = NULL;
	struct webdav_attr a;
	struct seen s = { 0 };

	(void)state;
	need_ceph();
	dav = s3_open("dirs/", NULL);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	assert_int_equal(webdav_mkcol(dav, "d"), 0);
	assert_int_equal(webdav_mkcol(dav, "d"), -EEXIST);
	assert_int_equal(webdav_mkcol(dav, "no/such/parent"), -ENOENT);
	assert_int_equal(webdav_stat(dav, "d", &a), 0);
	assert_true(a.is_dir);
	/* an empty directory lists empty (its marker is not a member) */
	assert_int_equal(webdav_list(dav, "d", seen_cb, &s), 0);
	assert_int_equal(s.count, 0);
	assert_int_equal(put_whole(dav, "d/x", "x", 1, NULL), 0);
	assert_int_equal(put_whole(dav, "d/sub/y", "yy", 2, NULL), 0);
	assert_int_equal(put_whole(dav, "top", "t", 1, NULL), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(webdav_list(dav, "", seen_cb, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(seen_has(&s, "d", true));
	assert_true(seen_has(&s, "top", false));
	memset(&s, 0, sizeof(s));
	assert_int_equal(webdav_list(dav, "d", seen_cb, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(seen_has(&s, "x", false));
	assert_true(seen_has(&s, "sub", true));	/* no marker: a prefix */
	assert_int_equal(webdav_stat(dav, "d/sub", &a), 0);
	assert_true(a.is_dir);
	assert_int_equal(webdav_list(dav, "top", seen_cb, &s), -ENOTDIR);
	assert_int_equal(webdav_list(dav, "gone", seen_cb, &s), -ENOENT);
	assert_int_equal(webdav_delete(dav, "d", NULL), -ENOTEMPTY);
	assert_int_equal(webdav_delete(dav, "d/x", NULL), 0);
	assert_int_equal(webdav_delete(dav, "d/sub/y", NULL), 0);
	assert_int_equal(webdav_stat(dav, "d/sub", &a), -ENOENT);
	assert_int_equal(webdav_delete(dav, "d", NULL), 0);
	assert_int_equal(webdav_stat(dav, "d", &a), -ENOENT);
	assert_int_equal(webdav_delete(dav, "top", NULL), 0);
	webdav_free(dav);
}

/* More than a page of keys: the continuation tokens are followed. */
static void test_s3_list_1500(void **state)
{
	enum { N = 1500 };
	struct webdav *dav;
	struct seen s = { 0 };
	char name[32];

	(void)state;
	need_ceph();
	dav = s3_open("many/", NULL);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%04d", i);
		assert_int_equal(put_whole(dav, name, name, 5, NULL), 0);
	}
	assert_int_equal(webdav_list(dav, "", seen_cb, &s), 0);
	assert_int_equal(s.count, N);
	webdav_free(dav);
}

/* rename is a copy and a delete; of a directory, EXDEV. */
static void test_s3_move(void **state)
{
	struct webdav *dav;
	struct webdav_attr a;
	char back[16];

	(void)state;
	need_ceph();
	dav = s3_open("mv/", NULL);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	assert_int_equal(put_whole(dav, "from", "hello", 5, NULL), 0);
	assert_int_equal(put_whole(dav, "busy", "other", 5, NULL), 0);
	assert_int_equal(webdav_move(dav, "from", "busy", false), -EEXIST);
	assert_int_equal(webdav_move(dav, "from", "to name", false), 0);
	assert_int_equal(webdav_stat(dav, "from", &a), -ENOENT);
	assert_int_equal(webdav_get(dav, "to name", 0, sizeof(back), back,
				    NULL), 5);
	assert_memory_equal(back, "hello", 5);
	assert_int_equal(webdav_move(dav, "to name", "busy", true), 0);
	assert_int_equal(webdav_get(dav, "busy", 0, sizeof(back), back, NULL),
			 5);
	assert_memory_equal(back, "hello", 5);
	assert_int_equal(webdav_mkcol(dav, "dir"), 0);
	assert_int_equal(webdav_move(dav, "dir", "dir2", false), -EXDEV);
	assert_int_equal(webdav_move(dav, "nothing", "x", false), -ENOENT);
	assert_int_equal(webdav_delete(dav, "busy", NULL), 0);
	assert_int_equal(webdav_delete(dav, "dir", NULL), 0);
	webdav_free(dav);
}

/* Writes conditional on the ETag: a changed object is not overwritten. */
static void test_s3_if_match(void **state)
{
	struct webdav *dav, *other;
	char etag[WEBDAV_ETAG_MAX], etag2[WEBDAV_ETAG_MAX], back[8];
	struct iovec v = { "HELLO", 5 };

	(void)state;
	need_ceph();
	dav = s3_open("cond/", NULL);
	other = s3_open("cond/", NULL);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	assert_int_equal(webdav_probe(other, NULL), 0);
	assert_int_equal(put_whole(dav, "c", "hello", 5, etag), 0);
	assert_int_equal(webdav_put(dav, "c", &v, 1, 0, 5, etag, etag2), 0);
	/* someone else writes */
	assert_int_equal(put_whole(other, "c", "other", 5, NULL), 0);
	assert_int_equal(webdav_put(dav, "c", &v, 1, 0, 5, etag2, NULL),
			 -ESTALE);
	assert_int_equal(webdav_get(dav, "c", 0, 5, back, NULL), 5);
	assert_memory_equal(back, "other", 5);
	/* create refuses what exists */
	assert_int_equal(webdav_create(dav, "c", &v, 1, NULL), -EEXIST);
	assert_int_equal(webdav_delete(dav, "c", NULL), 0);
	webdav_free(dav);
	webdav_free(other);
}

static int teardown_all(void **state)
{
	(void)state;
	ceph_cleanup(&C);
	return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POST KEY?uploads= signed by curl itself: the HTTP status. */
static long start_upload(const char *key)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = curl_slist_append(
		NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	char url[256], sig[128], userpwd[256];
	long status = 0;

	snprintf(url, sizeof(url), "%s/ftest/%s?uploads=", C.endpoint, key);
	snprintf(sig, sizeof(sig), "aws:amz:%s:s3", C.region);
	snprintf(userpwd, sizeof(userpwd), "%s:%s", C.access_key,
		 C.secret_key);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sig);
	curl_easy_setopt(h, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	return status;
}

/* Multipart: of a 20 MiB object in 8 MiB parts, one part sent and two
 * copied on the gateway (SigV4 signed by s3.c for UploadPartCopy); a part
 * with a name that needs encoding; an object changed under the copies:
 * -ESTALE, the upload aborted (none left), the other writer's bytes stay.
 * The gateway's bytes are read back through a second handle. */
static void test_s3_multipart(void **state)
{
	enum { PART = 8 << 20, SIZE = 20 << 20 };
	char *a = malloc(SIZE), *b = malloc(SIZE), *got = malloc(SIZE + 1);
	char etag[WEBDAV_ETAG_MAX], etag2[WEBDAV_ETAG_MAX];
	uint8_t dirty[3] = { 0, 1, 0 };
	struct webdav_stats st;
	struct webdav *dav, *other;
	struct webdav_attr at;
	uint64_t out0;

	(void)state;
	need_ceph();
	dav = s3_open("mp/", NULL);
	other = s3_open("mp/", NULL);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	pattern(a, SIZE, 1);
	memcpy(b, a, SIZE);
	memset(b + PART + 4096, 'X', 4096);	/* part 1 changes */
	assert_int_equal(put_whole(dav, "dir one/big file", a, SIZE, etag), 0);
	webdav_stats(dav, &st);
	out0 = st.bytes_out;
	assert_int_equal(webdav_put_parts(dav, "dir one/big file", b, SIZE,
					  SIZE, dirty, PART, etag, etag2), 0);
	assert_false(webdav_etag_same(etag, etag2));
	webdav_stats(dav, &st);
	assert_int_equal(st.multipart, 1);
	assert_int_equal(st.parts_put, 1);
	assert_int_equal(st.parts_copied, 2);
	assert_true(st.bytes_out - out0 >= (uint64_t)PART);
	assert_true(st.bytes_out - out0 < (uint64_t)PART + 65536);
	assert_int_equal(webdav_stat(other, "dir one/big file", &at), 0);
	assert_int_equal(at.size, SIZE);
	assert_true(webdav_etag_same(at.etag, etag2));
	assert_int_equal(webdav_get(other, "dir one/big file", 0, SIZE + 1,
				    got, NULL), SIZE);
	assert_memory_equal(got, b, SIZE);

	/* longer, and the last part copied whole from the old end: 3 parts
	 * of the old 20 MiB, the new bytes past it sent */
	{
		char *c = malloc(SIZE + 5000);
		uint8_t d2[3] = { 0, 0, 0 };

		memcpy(c, b, SIZE);
		memset(c + SIZE, 'Z', 5000);
		assert_int_equal(webdav_put_parts(dav, "dir one/big file", c,
						  SIZE + 5000, SIZE, d2, PART,
						  etag2, etag), 0);
		assert_int_equal(webdav_get(other, "dir one/big file", 0,
					    SIZE + 1, got, NULL), SIZE + 1);
		assert_int_equal(webdav_get(other, "dir one/big file", 0,
					    SIZE, got, NULL), SIZE);
		assert_memory_equal(got, c, SIZE);
		assert_int_equal(webdav_get(other, "dir one/big file", SIZE,
					    5001, got, NULL), 5000);
		assert_memory_equal(got, c + SIZE, 5000);
		free(c);
	}

	/* someone else's write in between: refused before any upload */
	assert_int_equal(put_whole(other, "dir one/big file", a, SIZE,
				   NULL), 0);
	assert_int_equal(webdav_put_parts(dav, "dir one/big file", b, SIZE,
					  SIZE, dirty, PART, etag, etag2),
			 -ESTALE);
	assert_int_equal(webdav_get(other, "dir one/big file", 0, SIZE + 1,
				    got, NULL), SIZE);
	assert_memory_equal(got, a, SIZE);

	/* a part that fails (its range is past the object's end): the
	 * upload is aborted, none is left, the object stays */
	assert_int_equal(put_whole(other, "dir one/big file", a, SIZE / 2,
				   etag), 0);
	assert_true(webdav_put_parts(dav, "dir one/big file", b, SIZE, SIZE,
				     dirty, PART, etag, etag2) < 0);
	webdav_stats(dav, &st);
	assert_int_equal(st.multipart, 2);
	assert_int_equal(st.multipart_aborted, 1);
	assert_int_equal(webdav_uploads(other), 0);
	assert_int_equal(webdav_stat(other, "dir one/big file", &at), 0);
	assert_int_equal(at.size, SIZE / 2);
	assert_true(webdav_etag_same(at.etag, etag));
	webdav_free(dav);

	/* and webdav_uploads sees one that is left: started by hand */
	dav = s3_open("mp2/", NULL);
	assert_int_equal(webdav_uploads(dav), 0);
	assert_int_equal(start_upload("mp2/orphan"), 200);
	assert_int_equal(webdav_uploads(dav), 1);
	webdav_free(dav);
	webdav_free(other);
	free(a);
	free(b);
	free(got);
}

/* 503 SlowDown (the fault proxy in front of the gateway): retried with
 * backoff, the calls succeed; with no retries allowed, -EIO. */
static void test_s3_slowdown(void **state)
{
	struct webdav_opts o;
	struct webdav_stats st;
	struct webdav *dav;
	struct proxy *p;
	char url[256], err[256], buf[64], etag[WEBDAV_ETAG_MAX];
	const char *port;

	(void)state;
	need_ceph();
	port = strrchr(C.endpoint, ':');
	assert_non_null(port);
	p = proxy_start(atoi(port + 1));
	assert_non_null(p);
	webdav_opts_default(&o);
	o.backoff_ms = 20;
	o.log = log_line;
	o.s3_region = C.region;
	o.s3_access_key = C.access_key;
	o.s3_secret_key = C.secret_key;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ftest/slow/",
		 proxy_port(p));
	dav = webdav_new(url, &o, err, sizeof(err));
	assert_non_null(dav);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	webdav_free(dav);
	/* a new handle: new connections, the first one refused (the proxy
	 * refuses only after one it relayed) */
	dav = webdav_new(url, &o, err, sizeof(err));
	assert_non_null(dav);
	proxy_refuse(p, 1);
	assert_int_equal(put_whole(dav, "s", "slow down", 9, etag), 0);
	assert_int_equal(webdav_get(dav, "s", 0, sizeof(buf), buf, NULL), 9);
	assert_memory_equal(buf, "slow down", 9);
	webdav_stats(dav, &st);
	assert_int_equal(proxy_refused(p), 1);
	assert_true(st.status_5xx >= 1);
	assert_true(st.retries >= 1);
	webdav_free(dav);
	/* no retries: the 503 is the answer */
	o.retries = 0;
	dav = webdav_new(url, &o, err, sizeof(err));
	assert_non_null(dav);
	proxy_refuse(p, 1);
	assert_int_equal(webdav_get(dav, "s", 0, sizeof(buf), buf, NULL),
			 -EIO);
	assert_int_equal(proxy_refused(p), 2);
	webdav_free(dav);
	proxy_stop(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_probe),
		cmocka_unit_test(test_s3_objects),
		cmocka_unit_test(test_s3_directories),
		cmocka_unit_test(test_s3_list_1500),
		cmocka_unit_test(test_s3_move),
		cmocka_unit_test(test_s3_if_match),
		cmocka_unit_test(test_s3_multipart),
		cmocka_unit_test(test_s3_slowdown),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
