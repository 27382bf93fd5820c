/* webdav.c - WebDAV and plain HTTP through libcurl (see webdav.h).
 *
 * Design.  One struct webdav per mount, shared by every daemon worker.
 * A request borrows an easy handle from a small pool, sets it up from
 * scratch (curl_easy_reset on return keeps its connection and caches but
 * drops every option, so no option of one request leaks into the next),
 * performs, reads what it needs from the response headers with
 * curl_easy_header(), and gives the handle back.  All handles sit in one
 * curl share handle that holds the DNS cache, the TLS session cache and
 * the connection cache: a keep-alive connection opened by one worker is
 * reused by whichever worker asks next, and the number of open connections
 * follows the number of requests in flight, not the number of threads.
 * TCP_NODELAY, since a page miss is one small request that must not wait
 * for Nagle.
 *
 * A call is a struct req: method, path, headers, where the request body
 * comes from (iovecs or a file) and where the response body goes (iovecs,
 * a file, a bounded memory buffer for XML, or nowhere).  dav_do_req() runs the
 * tries: a try that got no response (connect refused, reset, timeout) or
 * a 5xx other than 501/505 is retried after a backoff of backoff_ms * 2^k
 * (capped), of which a random half is jitter so that workers that failed
 * together do not retry together.  Every try rewinds its body cursors.
 * Methods that are not idempotent (MKCOL, MOVE, COPY) are retried only
 * when the server cannot have acted: no connection, or 503.
 *
 * What the server is, found by webdav_probe() and kept in three ints read
 * with relaxed atomics (written once at mount, read by every request):
 * dav_class (If: header rather than If-Match for conditional writes, see
 * webdav.h for the measured reason), plain (stat by HEAD, writes refused
 * with EROFS, no listing) and partial_put (-1 unknown, 0 no, 1 yes).
 *
 * No HTTP or XML is parsed by hand: headers come from curl_easy_header(),
 * dates from curl_getdate(), hrefs are resolved against the request URL
 * and percent-decoded by curl's URL API, and PROPFIND bodies are parsed by
 * libxml2, matching elements by namespace URI ("DAV:") and local name so
 * that any prefix works.  Paths are percent-encoded a segment at a time
 * with curl_easy_escape().
 *
 * Credentials live in the struct (from the environment) or in a netrc file
 * curl reads; they are handed to curl and nothing else: log lines name
 * the method and the relative path, never the URL's userinfo (refused at
 * webdav_new) or the password.  The password is wiped at webdav_free.
 *
 * Counters are relaxed atomics: each is exact, a snapshot of several is
 * not.  Locks: pool_lock (the idle handles) and the share's per-data
 * locks, each a leaf; no lock is held across a request.
 */
#include "webdav.h"
#include "http_int.h"

#include "clock.h"
#include "rng.h"

#include <curl/curl.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FRAMEFS_VERSION
#define FRAMEFS_VERSION "0"
#endif

#define WEBDAV_RECV_BUF	(128L * 1024)	/* libcurl's receive buffer */

static const char *const method_names[WEBDAV_NMETHODS] = {
	[WEBDAV_GET] = "GET",		[WEBDAV_HEAD] = "HEAD",
	[WEBDAV_PUT] = "PUT",		[WEBDAV_PROPFIND] = "PROPFIND",
	[WEBDAV_MKCOL] = "MKCOL",	[WEBDAV_DELETE] = "DELETE",
	[WEBDAV_MOVE] = "MOVE",		[WEBDAV_COPY] = "COPY",
	[WEBDAV_OPTIONS] = "OPTIONS",	[WEBDAV_POST] = "POST",
};

const char *webdav_method_name(enum webdav_method m)
{
	return (unsigned)m < WEBDAV_NMETHODS ? method_names[m] : "?";
}

void dav_say(struct webdav *dav, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!dav->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dav->o.log(dav->o.log_arg, line);
}

/* ---- one request ------------------------------------------------------ */

static size_t read_cb(char *out, size_t size, size_t nmemb, void *arg)
{
	struct req *r = arg;
	size_t want = size * nmemb, n = 0;

	if (r->up_file) {
		n = fread(out, 1, want, r->up_file);
		r->up_started |= n > 0;
		return n;
	}
	while (n < want && r->up_i < r->up_n) {
		const struct iovec *v = &r->up_iov[r->up_i];
		size_t k = v->iov_len - r->up_off;

		if (k > want - n)
			k = want - n;
		memcpy(out + n, (const char *)v->iov_base + r->up_off, k);
		n += k;
		r->up_off += k;
		if (r->up_off == v->iov_len) {
			r->up_i++;
			r->up_off = 0;
		}
	}
	r->up_started |= n > 0;
	return n;
}

/* Rewinds (curl asks when it resends a body, e.g. on a dead reused
 * connection: it tries again on a new one within the same perform, and
 * what the first try did on the server is as unknown as after a cut we
 * see, so it counts as one). */
static int seek_cb(void *arg, curl_off_t off, int origin)
{
	struct req *r = arg;
	uint64_t left;

	if (origin != SEEK_SET || off < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	if (r->up_started)
		r->cut = true;
	if (r->up_file)
		return fseeko(r->up_file, off, SEEK_SET) ? CURL_SEEKFUNC_FAIL
							 : CURL_SEEKFUNC_OK;
	left = (uint64_t)off;
	r->up_i = 0;
	r->up_off = 0;
	while (r->up_i < r->up_n && left >= r->up_iov[r->up_i].iov_len) {
		left -= r->up_iov[r->up_i].iov_len;
		r->up_i++;
	}
	if (r->up_i == r->up_n && left)
		return CURL_SEEKFUNC_FAIL;
	r->up_off = left;
	return CURL_SEEKFUNC_OK;
}

/* Whether this try's body is the object's bytes from want_start on (see
 * webdav_getv): a 206 whose Content-Range starts there, or a 200 (the
 * object from its start) whose dropped bytes end there.  The headers are
 * all in before the first body byte. */
static bool body_trusted(struct req *r, long code)
{
	struct curl_header *hv;
	unsigned long long a;

	if (code == 200)
		return r->skip == r->want_start;
	return code == 206 && !r->skip &&
	       curl_easy_header(r->h, "Content-Range", 0, CURLH_HEADER, -1,
				&hv) == CURLHE_OK &&
	       sscanf(hv->value, "bytes %llu-", &a) == 1 &&
	       a == r->want_start;
}

static size_t write_cb(char *in, size_t size, size_t nmemb, void *arg)
{
	struct req *r = arg;
	size_t n = size * nmemb, used = 0;

	long code = 0;

	/* Only a 2xx body is data; an error page is dropped. */
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
	if (r->sink == SINK_NONE || code < 200 || code >= 300)
		return n;
	if (code == 206)
		r->dn_skip = 0;	/* a 206 to a try that expected the 200 of
				 * a server without ranges: it starts where
				 * it says (checked after) */
	if (r->dn_skip) {
		size_t k = r->dn_skip < n ? (size_t)r->dn_skip : n;

		r->dn_skip -= k;
		used = k;
	}
	while (used < n) {
		size_t k = n - used;

		if (r->dn_got >= r->dn_max) {
			r->dn_full = true;
			return 0;	/* enough: curl stops the transfer */
		}
		if (k > r->dn_max - r->dn_got)
			k = (size_t)(r->dn_max - r->dn_got);
		switch (r->sink) {
		case SINK_IOV: {
			/* the cursor, not a walk from the first iovec: a
			 * 4 MiB GET fills 1024 of them */
			const struct iovec *v = &r->dn_iov[r->dn_i];

			while (r->dn_off >= v->iov_len) {
				r->dn_off -= v->iov_len;
				v = &r->dn_iov[++r->dn_i];
			}
			if (k > v->iov_len - r->dn_off)
				k = v->iov_len - r->dn_off;
			memcpy((char *)v->iov_base + r->dn_off, in + used, k);
			r->dn_off += k;
			break;
		}
		case SINK_FILE:
			if (fwrite(in + used, 1, k, r->dn_file) != k)
				return 0;
			break;
		case SINK_MEM:
			if (r->mem_len + k + 1 > r->mem_cap) {
				size_t cap = r->mem_cap ? r->mem_cap * 2
							: 65536;
				char *p;

				while (cap < r->mem_len + k + 1)
					cap *= 2;
				p = realloc(r->mem, cap);
				if (!p)
					return 0;
				r->mem = p;
				r->mem_cap = cap;
			}
			memcpy(r->mem + r->mem_len, in + used, k);
			r->mem_len += k;
			r->mem[r->mem_len] = '\0';
			break;
		case SINK_NONE:
			break;
		}
		r->dn_got += k;
		used += k;
	}
	if (r->arrived && r->dn_got > r->told) {
		if (r->trusted < 0)
			r->trusted = body_trusted(r, code);
		if (r->trusted) {
			r->told = r->dn_got;
			r->used |= r->arrived(r->arrived_arg, r->told);
		}
	}
	return n;
}

/* The body callback sees the status only through this: headers are
 * complete before the first body byte. */
static size_t header_cb(char *in, size_t size, size_t nmemb, void *arg)
{
	(void)in;
	(void)arg;
	return size * nmemb;
}

/* Percent-encodes path a segment at a time onto the base: the URL in out,
 * or -ENAMETOOLONG / -ENOMEM. */
int dav_make_url(struct webdav *dav, const char *path, char *out,
		    size_t outlen)
{
	size_t n = strlen(dav->base);
	const char *p = path;

	if (n >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, dav->base, n + 1);
	while (*p == '/')
		p++;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t seg = slash ? (size_t)(slash - p) : strlen(p);
		char *enc;
		size_t k;

		if (seg) {
			enc = curl_easy_escape(NULL, p, (int)seg);
			if (!enc)
				return -ENOMEM;
			k = strlen(enc);
			if (n + k + 2 > outlen) {
				curl_free(enc);
				return -ENAMETOOLONG;
			}
			memcpy(out + n, enc, k);
			n += k;
			curl_free(enc);
		}
		if (slash && n > 0 && out[n - 1] != '/') {
			if (n + 2 > outlen)
				return -ENAMETOOLONG;
			out[n++] = '/';
		}
		out[n] = '\0';
		p += seg;
		while (*p == '/')
			p++;
	}
	return 0;
}

static CURL *handle_get(struct webdav *dav)
{
	CURL *h = NULL;

	pthread_mutex_lock(&dav->pool_lock);
	if (dav->npool)
		h = dav->pool[--dav->npool];
	pthread_mutex_unlock(&dav->pool_lock);
	return h ? h : curl_easy_init();
}

static void handle_put(struct webdav *dav, CURL *h)
{
	curl_easy_reset(h);
	pthread_mutex_lock(&dav->pool_lock);
	if (dav->npool < dav->o.pool_size) {
		dav->pool[dav->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&dav->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

static void header_str(CURL *h, const char *name, char *out, size_t len)
{
	struct curl_header *hv;

	out[0] = '\0';
	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hv) ==
		    CURLHE_OK &&
	    strlen(hv->value) < len)
		strcpy(out, hv->value);
}

/* The highest class number among the DAV: headers ("1,2", "1, 2, 3",
 * "<http://...>"), -1 if there is none. */
static int header_dav_class(CURL *h)
{
	struct curl_header *hv;
	int best = -1;

	for (size_t i = 0;; i++) {
		const char *p;

		if (curl_easy_header(h, "DAV", i, CURLH_HEADER, -1, &hv) !=
		    CURLHE_OK)
			break;
		if (best < 0)
			best = 0;
		for (p = hv->value; *p; p++) {
			if (*p >= '1' && *p <= '9' &&
			    (p == hv->value || p[-1] == ',' || p[-1] == ' ') &&
			    (p[1] == '\0' || p[1] == ',' || p[1] == ' ')) {
				if (*p - '0' > best)
					best = *p - '0';
			}
		}
		if (i + 1 >= hv->amount)
			break;
	}
	return best;
}

/* After a response: the headers the callers use. */
static void take_headers(struct req *r, CURL *h, const char *url)
{
	struct curl_header *hv;
	char *loc = NULL;

	header_str(h, "ETag", r->etag, sizeof(r->etag));
	header_str(h, "Server", r->server, sizeof(r->server));
	r->dav_class = header_dav_class(h);
	r->accept_ranges = false;
	if (curl_easy_header(h, "Accept-Ranges", 0, CURLH_HEADER, -1, &hv) ==
	    CURLHE_OK)
		r->accept_ranges = strstr(hv->value, "bytes") != NULL;
	r->has_cr = false;
	if (curl_easy_header(h, "Content-Range", 0, CURLH_HEADER, -1, &hv) ==
	    CURLHE_OK) {
		unsigned long long a;

		if (sscanf(hv->value, "bytes %llu-", &a) == 1) {
			r->has_cr = true;
			r->cr_start = a;
		}
	}
	r->clen = -1;
	curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &r->clen);
	r->filetime = -1;
	curl_easy_getinfo(h, CURLINFO_FILETIME_T, &r->filetime);
	r->redirect_dir = false;
	if (r->status >= 300 && r->status < 400 &&
	    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK &&
	    loc) {
		size_t n = strlen(url), k = strlen(loc);

		/* nginx: "dir" -> 301 "http://host/.../dir/" */
		r->redirect_dir = k == n + 1 && loc[k - 1] == '/' &&
				  !strncmp(loc, url, n);
	}
}

static bool retryable(const struct req *r, CURLcode cc)
{
	if (r->status == 0) {
		if (r->idempotent)
			return true;
		return cc == CURLE_COULDNT_CONNECT ||
		       cc == CURLE_COULDNT_RESOLVE_HOST;
	}
	if (r->status == 503)
		return true;
	return r->idempotent && r->status >= 500 && r->status != 501 &&
	       r->status != 505;
}

static void backoff(struct webdav *dav, uint32_t attempt)
{
	uint64_t d = dav->o.backoff_ms, seed, x;

	for (uint32_t i = 0; i < attempt && d < dav->o.backoff_max_ms; i++)
		d *= 2;
	if (d > dav->o.backoff_max_ms)
		d = dav->o.backoff_max_ms;
	seed = __atomic_add_fetch(&dav->rng, 0x9e3779b97f4a7c15ull,
				  __ATOMIC_RELAXED);
	x = rng_splitmix64(&seed);
	d = d / 2 + (d / 2 ? x % (d / 2 + 1) : 0);
	sleep_ms(d);
}

static int rtt_bucket(uint64_t us)
{
	int b = 0;

	while (us > 1 && b < WEBDAV_RTT_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

/* Sets up h for one try of r. */
static CURLcode setup(struct webdav *dav, CURL *h, struct req *r,
		      const char *url, char *errbuf)
{
	CURLcode cc = CURLE_OK;

#define SET(opt, val)                                                        \
	do {                                                                 \
		if (cc == CURLE_OK)                                          \
			cc = curl_easy_setopt(h, opt, val);                  \
	} while (0)
	SET(CURLOPT_SHARE, dav->share);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TCP_NODELAY, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	/* A body comes in 128 KiB recv()s, not libcurl's default 16 KiB:
	 * 8 times fewer recv and poll calls on a long GET (a stream read
	 * at readahead=1024 on Apache: about 850 against 720 MB/s).  Up to
	 * pool_size handles hold one such buffer each. */
	SET(CURLOPT_BUFFERSIZE, WEBDAV_RECV_BUF);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)dav->o.connect_timeout_ms);
	SET(CURLOPT_LOW_SPEED_LIMIT, (long)dav->o.low_speed_bytes);
	SET(CURLOPT_LOW_SPEED_TIME, (long)dav->o.low_speed_time_s);
	if (dav->o.timeout_ms)
		SET(CURLOPT_TIMEOUT_MS, (long)dav->o.timeout_ms);
	SET(CURLOPT_USERAGENT, "framefs/" FRAMEFS_VERSION);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_FILETIME, 1L);
	if (dav->cacert)
		SET(CURLOPT_CAINFO, dav->cacert);
	if (dav->s3 && r->own_auth) {
		/* signed by s3.c: Authorization is among r->hdrs */
	} else if (dav->s3) {
		/* the keys: creds_take */
		SET(CURLOPT_AWS_SIGV4, dav->sigv4);
	} else if (dav->user) {
		SET(CURLOPT_USERNAME, dav->user);
		SET(CURLOPT_PASSWORD, dav->password ? dav->password : "");
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	} else if (dav->netrc) {
		SET(CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		SET(CURLOPT_NETRC_FILE, dav->netrc);
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	SET(CURLOPT_HTTPHEADER, r->hdrs);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, r);
	if (r->range)
		SET(CURLOPT_RANGE, r->range);
	switch (r->m) {
	case WEBDAV_GET:
		SET(CURLOPT_HTTPGET, 1L);
		break;
	case WEBDAV_HEAD:
		SET(CURLOPT_NOBODY, 1L);
		break;
	case WEBDAV_PUT:
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_READFUNCTION, read_cb);
		SET(CURLOPT_READDATA, r);
		SET(CURLOPT_SEEKFUNCTION, seek_cb);
		SET(CURLOPT_SEEKDATA, r);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->up_len);
		break;
	case WEBDAV_POST:
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, r->body ? r->body : "");
		SET(CURLOPT_POSTFIELDSIZE, r->body ? (long)strlen(r->body) : 0L);
		break;
	case WEBDAV_PROPFIND:
		SET(CURLOPT_CUSTOMREQUEST, "PROPFIND");
		SET(CURLOPT_POSTFIELDS, r->body);
		SET(CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
		break;
	default:
		SET(CURLOPT_CUSTOMREQUEST, method_names[r->m]);
		break;
	}
#undef SET
	return cc;
}

/* Frees a request's headers, a session token among them wiped first. */
static void hdrs_free(struct curl_slist *l)
{
	for (struct curl_slist *n = l; n; n = n->next)
		if (!strncmp(n->data, "x-amz-security-token:", 21))
			explicit_bzero(n->data, strlen(n->data));
	curl_slist_free_all(l);
}

/* S3: r's session-token header set to hdr (NULL: none).  It is never the
 * list's first (x-amz-content-sha256 is), so the list curl holds stays
 * r->hdrs. */
static int token_set(struct req *r, const char *hdr)
{
	static const char name[] = "x-amz-security-token:";
	struct curl_slist *prev = r->hdrs, *n;

	for (n = prev ? prev->next : NULL; n; prev = n, n = n->next) {
		if (strncmp(n->data, name, sizeof(name) - 1))
			continue;
		prev->next = n->next;
		n->next = NULL;
		hdrs_free(n);
		break;
	}
	if (hdr && r->hdrs && !curl_slist_append(r->hdrs, hdr))
		return -ENOMEM;
	return 0;
}

/* S3: the keys a try is signed with, taken as one under creds_lock, as
 * s3_keys_again may replace them: the access key and the secret for
 * curl's SigV4 (curl copies them), the session token's header in r->hdrs
 * (signed with the rest). */
static int creds_take(struct webdav *dav, CURL *h, struct req *r)
{
	CURLcode cc = CURLE_OK;
	int rc = 0;

	pthread_mutex_lock(&dav->creds_lock);
	if (!r->own_auth) {
		cc = curl_easy_setopt(h, CURLOPT_USERNAME, dav->user);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(h, CURLOPT_PASSWORD,
					      dav->password);
	}
	if (cc == CURLE_OK && !r->own_auth &&	/* own: sign_here's token */
	    (!r->creds_taken || r->creds_gen != dav->creds_gen))
		rc = token_set(r, dav->token_hdr);
	if (!r->own_auth)	/* own: the keys sign_here signed with */
		r->creds_gen = dav->creds_gen;
	r->creds_taken = true;
	pthread_mutex_unlock(&dav->creds_lock);
	return cc != CURLE_OK ? -EINVAL : rc;
}

/* Runs r with retries.  Returns the final HTTP status (also in
 * r->status), or -errno when no try got a usable response.  S3: a try the
 * server refuses (403, or 400 as to an expired session token) is sent
 * once more if the credentials file holds new keys (s3_keys_again): keys
 * rotated, or a session renewed, under a running mount. */
int dav_do_req(struct webdav *dav, struct req *r)
{
	char url[URL_MAX + 1200], errbuf[CURL_ERROR_SIZE];	/* S3's
						 * query strings come on top */
	uint32_t attempt = 0;
	int rc;

	if (r->url && strlen(r->url) >= sizeof(url))
		return -ENAMETOOLONG;	/* cut, it would be another request */
	if (r->url)
		snprintf(url, sizeof(url), "%s", r->url);
	else if ((rc = dav_make_url(dav, r->path, url, sizeof(url))) < 0)
		return rc;
	/* No "Expect: 100-continue" on large PUTs (a round trip) on a DAV
	 * server; S3: curl would sign the empty header that removes it and
	 * not send it (403), and the payload is unsigned (see s3.c). */
	/* r may be sent again */
	r->creds_taken = r->keys_retried = false;
	if (dav->s3)
		r->hdrs = curl_slist_append(r->hdrs, "x-amz-content-sha256: "
						     "UNSIGNED-PAYLOAD");
	else
		r->hdrs = curl_slist_append(r->hdrs, "Expect:");
	if (!r->hdrs)
		return -ENOMEM;
	for (;;) {
		CURL *h = handle_get(dav);
		CURLcode cc;
		curl_off_t t_us = 0, up = 0, down = 0;

		if (!h)
			return -ENOMEM;
		errbuf[0] = '\0';
		r->status = 0;
		r->up_i = 0;
		r->up_off = 0;
		r->up_started = false;
		if (r->up_file)
			rewind(r->up_file);
		r->dn_got = 0;
		r->dn_i = 0;
		r->dn_off = 0;
		r->dn_skip = r->skip;
		r->dn_full = false;
		r->trusted = -1;
		r->mem_len = 0;
		if (r->dn_file) {
			rewind(r->dn_file);
			if (ftruncate(fileno(r->dn_file), 0) < 0) {
				handle_put(dav, h);
				return -errno;
			}
		}
		cc = setup(dav, h, r, url, errbuf);
		if (cc != CURLE_OK) {
			handle_put(dav, h);
			return -EINVAL;
		}
		if (dav->s3 && (rc = creds_take(dav, h, r)) < 0) {
			handle_put(dav, h);
			return rc;
		}
		ADD(dav, requests[r->m], 1);
		r->h = h;
		cc = curl_easy_perform(h);
		r->h = NULL;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &t_us);
		curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
		curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &down);
		ADD(dav, bytes_out, (uint64_t)up);
		ADD(dav, bytes_in, (uint64_t)down);
		if (cc == CURLE_WRITE_ERROR && r->dn_full)
			cc = CURLE_OK;	/* we stopped it: had enough */
		if (cc != CURLE_OK && r->status && r->status < 300 &&
		    r->sink == SINK_MEM && !r->mem)
			cc = CURLE_OUT_OF_MEMORY;
		if (r->status && cc == CURLE_OK) {
			ADD(dav, rtt_us[rtt_bucket((uint64_t)t_us)], 1);
			take_headers(r, h, url);
		} else {
			r->status = 0;
			ADD(dav, transport_errors, 1);
		}
		if (r->status == 0 || r->status == 502 || r->status == 504)
			r->cut = true;	/* a gateway's too */
		handle_put(dav, h);
		if (r->status >= 500)
			ADD(dav, status_5xx, 1);
		/* (a request signed by s3.c is signed again there) */
		if (dav->s3 && (r->status == 403 || r->status == 400) &&
		    !r->own_auth && !r->keys_retried && !r->used &&
		    s3_keys_again(dav, r->creds_gen)) {
			r->keys_retried = true;
			continue;
		}
		if (r->status && r->status < 500)
			return (int)r->status;
		/* Bytes told arrived are the reader's now: a new try would
		 * write them again. */
		if (!retryable(r, cc) || attempt >= dav->o.retries ||
		    r->used) {
			if (r->status)
				return (int)r->status;
			dav_say(dav, "%s /%s: %s", method_names[r->m],
			    r->path ? r->path : "",
			    errbuf[0] ? errbuf : curl_easy_strerror(cc));
			pthread_mutex_lock(&dav->pool_lock);
			snprintf(dav->last_error, sizeof(dav->last_error),
				 "%s", errbuf[0] ? errbuf
						 : curl_easy_strerror(cc));
			pthread_mutex_unlock(&dav->pool_lock);
			return cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
		}
		dav_say(dav, "%s /%s: %s; retry %u of %u", method_names[r->m],
		    r->path ? r->path : "",
		    r->status ? "server error"
			      : (errbuf[0] ? errbuf : curl_easy_strerror(cc)),
		    attempt + 1, dav->o.retries);
		if (r->status)
			dav_say(dav, "%s /%s: HTTP %ld", method_names[r->m],
			    r->path ? r->path : "", r->status);
		ADD(dav, retries, 1);
		backoff(dav, attempt++);
	}
}

void webdav_last_error(struct webdav *dav, char *buf, size_t len)
{
	pthread_mutex_lock(&dav->pool_lock);
	snprintf(buf, len, "%s", dav->last_error);
	pthread_mutex_unlock(&dav->pool_lock);
}

void dav_req_done(struct req *r)
{
	hdrs_free(r->hdrs);
	free(r->mem);
}

/* HTTP status -> errno, for the method (see webdav.h). */
static int status_errno(struct webdav *dav, enum webdav_method m,
			long status, bool conditional)
{
	if (status >= 200 && status < 300)
		return 0;
	switch (status) {
	case 400:
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 405:
		if (m == WEBDAV_MKCOL)
			return -EEXIST;
		if (LOAD(&dav->plain) && m != WEBDAV_GET && m != WEBDAV_HEAD)
			return -EROFS;
		return -EOPNOTSUPP;
	case 409:
		return -ENOENT;
	case 412:
		if (m == WEBDAV_MOVE || m == WEBDAV_COPY)
			return -EEXIST;
		return conditional ? -ESTALE : -EEXIST;
	case 413:
	case 507:
		return -ENOSPC;
	case 414:
		return -ENAMETOOLONG;
	case 423:
		return -EBUSY;
	case 501:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

int dav_finish(struct webdav *dav, struct req *r, int rc,
		  bool conditional)
{
	if (rc > 0)
		rc = status_errno(dav, r->m, rc, conditional);
	if (rc == -ESTALE) {
		ADD(dav, stale, 1);
		dav_say(dav, "%s /%s: 412: the object changed on the server",
		    method_names[r->m], r->path);
	}
	if (rc < 0)
		ADD(dav, errors, 1);
	return rc;
}

/* The conditional-write header for etag: If: on a DAV server (weak
 * comparison, see webdav.h), If-Match elsewhere. */
int dav_add_if(struct webdav *dav, struct req *r, const char *etag)
{
	char line[URL_MAX + WEBDAV_ETAG_MAX + 32], url[URL_MAX];
	struct curl_slist *l;
	int rc;

	if (!etag || !*etag)
		return 0;
	/* Tagged with the object's URL: an untagged list applies to every
	 * resource the request touches, and a DELETE also checks the
	 * parent collection against it (424, measured). */
	if (LOAD(&dav->dav_class) > 0) {
		if ((rc = dav_make_url(dav, r->path, url, sizeof(url))) < 0)
			return rc;
		snprintf(line, sizeof(line), "If: <%s> ([%s])", url, etag);
	} else if (dav->s3 && LOAD(&dav->s3_if_match) == S3_IF_MATCH_BARE) {
		size_t n = strlen(etag);

		/* RGW 16 compares a PUT's If-Match without its quotes */
		if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
			snprintf(line, sizeof(line), "If-Match: %.*s",
				 (int)(n - 2), etag + 1);
		else
			snprintf(line, sizeof(line), "If-Match: %s", etag);
	} else
		snprintf(line, sizeof(line), "If-Match: %s", etag);
	l = curl_slist_append(r->hdrs, line);
	if (!l)
		return -ENOMEM;
	r->hdrs = l;
	return 0;
}

int dav_add_hdr(struct req *r, const char *line)
{
	struct curl_slist *l = curl_slist_append(r->hdrs, line);

	if (!l)
		return -ENOMEM;
	r->hdrs = l;
	return 0;
}

/* ---- PROPFIND --------------------------------------------------------- */

static const char propfind_body[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<D:propfind xmlns:D=\"DAV:\"><D:prop>"
	"<D:resourcetype/><D:getcontentlength/><D:getlastmodified/>"
	"<D:getetag/></D:prop></D:propfind>\n";

static bool is_dav(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, "DAV:") &&
	       !strcmp((const char *)n->name, name);
}

static char *text_of(const xmlNode *n)
{
	return (char *)xmlNodeGetContent(n);
}

/* Trims ASCII blanks in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The props of one DAV:response that came with status 200. */
static void parse_props(const xmlNode *resp, struct webdav_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->mtime = -1;
	for (const xmlNode *ps = resp->children; ps; ps = ps->next) {
		const xmlNode *prop = NULL;
		bool ok = false;

		if (!is_dav(ps, "propstat"))
			continue;
		for (const xmlNode *c = ps->children; c; c = c->next) {
			if (is_dav(c, "prop"))
				prop = c;
			if (is_dav(c, "status")) {
				char *s = text_of(c);
				int code = 0;

				if (s && sscanf(trim(s), "HTTP/%*s %d", &code) ==
						 1)
					ok = code >= 200 && code < 300;
				xmlFree(s);
			}
		}
		if (!ok || !prop)
			continue;
		for (const xmlNode *p = prop->children; p; p = p->next) {
			char *s;

			if (is_dav(p, "resourcetype")) {
				for (const xmlNode *t = p->children; t;
				     t = t->next)
					if (is_dav(t, "collection"))
						a->is_dir = true;
				continue;
			}
			if (p->type != XML_ELEMENT_NODE)
				continue;
			s = text_of(p);
			if (!s)
				continue;
			if (is_dav(p, "getcontentlength"))
				a->size = strtoull(trim(s), NULL, 10);
			else if (is_dav(p, "getlastmodified")) {
				time_t t = curl_getdate(trim(s), NULL);

				a->mtime = t == (time_t)-1 ? -1 : (int64_t)t;
			} else if (is_dav(p, "getetag")) {
				char *e = trim(s);

				if (strlen(e) < sizeof(a->etag))
					strcpy(a->etag, e);
			}
			xmlFree(s);
		}
	}
	if (a->is_dir)
		a->size = 0;
}

/* The decoded path of href resolved against url, malloc'd, or NULL. */
static char *href_path(const char *url, const char *href)
{
	CURLU *u = curl_url();
	char *path = NULL, *out = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, href, CURLU_ALLOW_SPACE) ==
		    CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) ==
		    CURLUE_OK) {
		out = strdup(path);
		curl_free(path);
	}
	curl_url_cleanup(u);
	return out;
}

struct pf_out {
	webdav_list_cb cb;		/* Depth 1 */
	void *arg;
	struct webdav_attr *self;	/* Depth 0 */
	bool self_seen;
};

/* Parses a multistatus answer to a PROPFIND of `path` at `url`. */
static int parse_multistatus(const char *url, const char *dirpath,
			     const char *xml, size_t len, struct pf_out *o)
{
	xmlDoc *doc;
	const xmlNode *root;
	size_t dlen = strlen(dirpath);
	int rc = 0;

	doc = xmlReadMemory(xml, (int)len, "propfind.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc)
		return -EIO;
	root = xmlDocGetRootElement(doc);
	if (!root || !is_dav(root, "multistatus")) {
		rc = -EIO;
		goto out;
	}
	for (const xmlNode *r = root->children; r && !rc; r = r->next) {
		struct webdav_attr a;
		char *href = NULL, *path, *name;
		size_t plen;

		if (!is_dav(r, "response"))
			continue;
		for (const xmlNode *c = r->children; c; c = c->next)
			if (is_dav(c, "href") && !href)
				href = text_of(c);
		if (!href)
			continue;
		path = href_path(url, trim(href));
		xmlFree(href);
		if (!path)
			continue;
		plen = strlen(path);
		while (plen > 1 && path[plen - 1] == '/')
			path[--plen] = '\0';
		parse_props(r, &a);
		/* dirpath is decoded and ends in '/'; path has none. */
		if (plen + 1 == dlen && !strncmp(path, dirpath, plen)) {
			if (o->self) {
				*o->self = a;
				o->self_seen = true;
			}
		} else if (o->cb) {
			if (plen > dlen && !strncmp(path, dirpath, dlen))
				name = path + dlen;
			else
				name = strrchr(path, '/') ? strrchr(path, '/') + 1
							  : path;
			if (*name && !strchr(name, '/'))
				rc = o->cb(o->arg, name, &a);
		} else if (o->self && !o->self_seen) {
			/* Depth 0 answered with another spelling of the
			 * path: it is the only response. */
			*o->self = a;
			o->self_seen = true;
		}
		free(path);
	}
out:
	xmlFreeDoc(doc);
	return rc;
}

/* The decoded absolute path of the relative path, ending in '/'. */
static char *dir_path(struct webdav *dav, const char *path)
{
	size_t n = strlen(dav->base_path) + strlen(path) + 2;
	char *s = malloc(n);
	size_t k;

	if (!s)
		return NULL;
	while (*path == '/')
		path++;
	snprintf(s, n, "%s%s", dav->base_path, path);
	k = strlen(s);
	while (k > 1 && s[k - 1] == '/' && s[k - 2] == '/')
		s[--k] = '\0';
	if (s[k - 1] != '/')
		strcat(s, "/");
	return s;
}

static int propfind(struct webdav *dav, const char *path, int depth,
		    struct pf_out *o)
{
	struct req r = { .m = WEBDAV_PROPFIND, .path = path,
			 .body = propfind_body, .idempotent = true,
			 .sink = SINK_MEM, .dn_max = XML_MAX_BYTES };
	char url[URL_MAX], *dp = NULL;
	int rc;

	if ((rc = dav_make_url(dav, path, url, sizeof(url))) < 0)
		goto out;
	if ((rc = dav_add_hdr(&r, depth ? "Depth: 1" : "Depth: 0")) < 0 ||
	    (rc = dav_add_hdr(&r, "Content-Type: application/xml; "
			      "charset=utf-8")) < 0)
		goto out;
	rc = dav_do_req(dav, &r);
	if (rc == 207) {
		if (r.dn_full) {
			rc = -EFBIG;
			goto out;
		}
		dp = dir_path(dav, path);
		if (!dp) {
			rc = -ENOMEM;
			goto out;
		}
		rc = parse_multistatus(url, dp, r.mem ? r.mem : "",
				       r.mem_len, o);
	} else if (rc >= 200 && rc < 300) {
		rc = -EIO;	/* a server that does not speak DAV */
	} else if (rc == 405 || rc == 501) {
		rc = -EOPNOTSUPP;
	}
out:
	rc = dav_finish(dav, &r, rc, false);
	free(dp);
	dav_req_done(&r);
	return rc;
}

/* ---- public calls ----------------------------------------------------- */

void webdav_opts_default(struct webdav_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = 5000;
	o->low_speed_bytes = 1;
	o->low_speed_time_s = 10;
	o->retries = 3;
	o->backoff_ms = 100;
	o->backoff_max_ms = 2000;
	o->pool_size = 32;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK ? 0 : -1;
	xmlInitParser();
}

static void lock_cb(CURL *h, curl_lock_data data, curl_lock_access a,
		    void *arg)
{
	struct webdav *dav = arg;

	(void)h;
	(void)a;
	pthread_mutex_lock(&dav->share_lock[data]);
}

static void unlock_cb(CURL *h, curl_lock_data data, void *arg)
{
	struct webdav *dav = arg;

	(void)h;
	pthread_mutex_unlock(&dav->share_lock[data]);
}

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Checks and normalizes url into dav->base and dav->base_path. */
static int parse_base(struct webdav *dav, const char *url, char *err,
		      size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *user = NULL, *pass = NULL, *host = NULL;
	char *query = NULL, *frag = NULL, *path = NULL, *full = NULL;
	size_t n;
	int rc = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		set_err(err, errlen, "%s: not an http:// or https:// URL",
			url);
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		set_err(err, errlen, "%s: not a valid URL", url);
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	if (user || pass) {
		/* The URL is on the command line: no secrets there.  Do not
		 * echo it back either. */
		set_err(err, errlen,
			"credentials in the URL are refused: use netrc=FILE "
			"or FRAMEFS_HTTP_USER and FRAMEFS_HTTP_PASSWORD");
		goto out;
	}
	if (!host || !*host) {
		set_err(err, errlen, "%s: no host", url);
		goto out;
	}
	if (query || frag) {
		set_err(err, errlen, "%s: a query or fragment is not a "
			"collection", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		set_err(err, errlen, "%s: no path", url);
		goto out;
	}
	n = strlen(path);
	if (n == 0 || path[n - 1] != '/') {
		char *p = malloc(n + 2);

		if (!p) {
			rc = -ENOMEM;
			goto out;
		}
		snprintf(p, n + 2, "%s/", path);
		if (curl_url_set(u, CURLUPART_PATH, p, 0) != CURLUE_OK) {
			free(p);
			set_err(err, errlen, "%s: bad path", url);
			goto out;
		}
		free(p);
	}
	curl_free(path);
	path = NULL;
	if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) !=
		    CURLUE_OK) {
		set_err(err, errlen, "%s: not a valid URL", url);
		goto out;
	}
	dav->base = strdup(full);
	dav->base_path = strdup(path);
	rc = dav->base && dav->base_path ? 0 : -ENOMEM;
out:
	curl_free(scheme);
	curl_free(user);
	curl_free(pass);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_free(path);
	curl_free(full);
	curl_url_cleanup(u);
	return rc;
}

struct webdav *webdav_new(const char *url, const struct webdav_opts *opts,
			  char *err, size_t errlen)
{
	struct webdav *dav;
	const char *u, *p;
	int rc = -ENOMEM;

	set_err(err, errlen, "%s", "");
	pthread_once(&global_once, global_init);
	if (global_rc) {
		set_err(err, errlen, "curl_global_init failed");
		errno = EIO;
		return NULL;
	}
	dav = calloc(1, sizeof(*dav));
	if (!dav)
		goto fail;
	if (opts)
		dav->o = *opts;
	else
		webdav_opts_default(&dav->o);
	dav->o.netrc = NULL;
	dav->o.cacert = NULL;
	dav->o.s3_access_key = dav->o.s3_secret_key = NULL;	/* copies */
	dav->o.s3_session_token = NULL;
	if (!dav->o.backoff_max_ms)
		dav->o.backoff_max_ms = dav->o.backoff_ms;
	dav->partial_put = -1;
	dav->rng = (uint64_t)getpid() ^ now_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&dav->share_lock[i], NULL);
	pthread_mutex_init(&dav->pool_lock, NULL);
	pthread_mutex_init(&dav->caps_lock, NULL);
	pthread_mutex_init(&dav->creds_lock, NULL);
	rc = parse_base(dav, url, err, errlen);
	if (rc < 0)
		goto fail;
	rc = -ENOMEM;
	if (opts && opts->netrc) {
		if (access(opts->netrc, R_OK) < 0) {
			rc = -errno;
			set_err(err, errlen, "netrc %s: %s", opts->netrc,
				strerror(errno));
			goto fail;
		}
		dav->netrc = strdup(opts->netrc);
		if (!dav->netrc)
			goto fail;
		dav->o.netrc = dav->netrc;
	}
	if (opts && opts->cacert) {
		if (access(opts->cacert, R_OK) < 0) {
			rc = -errno;
			set_err(err, errlen, "cacert %s: %s", opts->cacert,
				strerror(errno));
			goto fail;
		}
		dav->cacert = strdup(opts->cacert);
		if (!dav->cacert)
			goto fail;
		dav->o.cacert = dav->cacert;
	}
	u = getenv("FRAMEFS_HTTP_USER");
	p = getenv("FRAMEFS_HTTP_PASSWORD");
	if (opts && opts->s3_region) {
		rc = s3_setup(dav, opts, err, errlen);
		if (rc < 0)
			goto fail;
		rc = -ENOMEM;
	} else if (!dav->o.no_env_credentials && u && *u) {
		dav->user = strdup(u);
		dav->password = strdup(p ? p : "");
		if (!dav->user || !dav->password)
			goto fail;
	}
	dav->pool = calloc(dav->o.pool_size ? dav->o.pool_size : 1,
			   sizeof(*dav->pool));
	dav->share = curl_share_init();
	if (!dav->pool || !dav->share)
		goto fail;
	if (curl_share_setopt(dav->share, CURLSHOPT_LOCKFUNC, lock_cb) ||
	    curl_share_setopt(dav->share, CURLSHOPT_UNLOCKFUNC, unlock_cb) ||
	    curl_share_setopt(dav->share, CURLSHOPT_USERDATA, dav) ||
	    curl_share_setopt(dav->share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_DNS) ||
	    curl_share_setopt(dav->share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_SSL_SESSION) ||
	    curl_share_setopt(dav->share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_CONNECT)) {
		set_err(err, errlen, "curl share handle: not supported");
		rc = -EOPNOTSUPP;
		goto fail;
	}
	return dav;
fail:
	if (err && errlen && !err[0])
		set_err(err, errlen, "%s", strerror(-rc));
	webdav_free(dav);
	errno = -rc;
	return NULL;
}

void webdav_free(struct webdav *dav)
{
	if (!dav)
		return;
	for (uint32_t i = 0; i < dav->npool; i++)
		curl_easy_cleanup(dav->pool[i]);
	free(dav->pool);
	if (dav->share)
		curl_share_cleanup(dav->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&dav->share_lock[i]);
	pthread_mutex_destroy(&dav->pool_lock);
	pthread_mutex_destroy(&dav->caps_lock);
	pthread_mutex_destroy(&dav->creds_lock);
	free(dav->creds_file);
	if (dav->password) {
		explicit_bzero(dav->password, strlen(dav->password));
		free(dav->password);
	}
	if (dav->token_hdr) {
		explicit_bzero(dav->token_hdr, strlen(dav->token_hdr));
		free(dav->token_hdr);
	}
	free(dav->user);
	free(dav->netrc);
	free(dav->cacert);
	free(dav->base);
	free(dav->base_path);
	free(dav->origin);
	free(dav->bucket);
	free(dav->key_prefix);
	free(dav);
}

const char *webdav_url(const struct webdav *dav)
{
	return dav->base;
}

bool webdav_is_s3(const struct webdav *dav)
{
	return dav->s3;
}

ssize_t webdav_getv(struct webdav *dav, const char *path, uint64_t off,
		    const struct iovec *iov, int niov, char *etag,
		    webdav_arrived_fn *arrived, void *arg)
{
	struct req r = { .m = WEBDAV_GET, .path = path, .idempotent = true,
			 .sink = SINK_IOV, .dn_iov = iov, .dn_n = niov,
			 .arrived = arrived, .arrived_arg = arg,
			 .want_start = off };
	char range[64];
	uint64_t len = 0;
	ssize_t n = 0;
	int st;

	if (etag)
		etag[0] = '\0';
	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	if (len == 0)
		return 0;
	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + len - 1));
	r.range = range;
	r.dn_max = len;
	st = dav_do_req(dav, &r);
	if (st == 200 && off) {
		/* The server ignored Range and sent the whole object from
		 * its start (servers without ranges): the first off bytes
		 * were kept as if they were ours.  Once more, dropping them
		 * (the object may be large: this costs what it costs).  The
		 * first try told arrived nothing: a 200 is trusted only from
		 * the object's start (body_trusted). */
		r.skip = off;
		st = dav_do_req(dav, &r);
	}
	if (st == 206 && (!r.has_cr || r.cr_start != off)) {
		dav_say(dav, "GET /%s: 206 for other bytes than asked", path);
		st = -EIO;
	}
	if (st == 200 || st == 206) {
		n = (ssize_t)r.dn_got;
		st = 0;
	} else if (st == 416) {
		st = 0;	/* at or past the end: no bytes */
	}
	if (st == 0 && etag)
		snprintf(etag, WEBDAV_ETAG_MAX, "%s", r.etag);
	st = dav_finish(dav, &r, st, false);
	dav_req_done(&r);
	return st < 0 ? st : n;
}

ssize_t webdav_get(struct webdav *dav, const char *path, uint64_t off,
		   size_t len, void *buf, char *etag)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };

	return webdav_getv(dav, path, off, &v, 1, etag, NULL, NULL);
}

/* HEAD: a plain HTTP server's stat. */
int dav_head_stat(struct webdav *dav, const char *path,
		     struct webdav_attr *a)
{
	struct req r = { .m = WEBDAV_HEAD, .path = path, .idempotent = true };
	size_t n = strlen(path);
	bool dirish = n == 0 || path[n - 1] == '/';
	int st;

	memset(a, 0, sizeof(*a));
	a->mtime = -1;
	st = dav_do_req(dav, &r);
	if (st >= 200 && st < 300) {
		a->is_dir = dirish;
		a->size = dirish || r.clen < 0 ? 0 : (uint64_t)r.clen;
		a->mtime = r.filetime;
		snprintf(a->etag, sizeof(a->etag), "%s", r.etag);
		st = 0;
	} else if ((st > 300 && st < 400 && r.redirect_dir) ||
		   (st == 403 && dirish)) {
		/* nginx: "dir" redirects to "dir/"; "dir/" without an
		 * index is 403 */
		a->is_dir = true;
		st = 0;
	}
	st = dav_finish(dav, &r, st, false);
	dav_req_done(&r);
	return st;
}

int webdav_stat(struct webdav *dav, const char *path,
		struct webdav_attr *attr)
{
	struct pf_out o = { .self = attr };
	int rc;

	if (dav->s3)
		return s3_stat(dav, path, attr);
	if (LOAD(&dav->plain))
		return dav_head_stat(dav, path, attr);
	rc = propfind(dav, path, 0, &o);
	if (rc == -EOPNOTSUPP && LOAD(&dav->dav_class) == 0)
		return dav_head_stat(dav, path, attr);	/* not probed yet */
	if (rc == 0 && !o.self_seen) {
		dav_say(dav, "PROPFIND /%s: no response for the object", path);
		rc = -EIO;
	}
	return rc;
}

int webdav_list(struct webdav *dav, const char *path, webdav_list_cb cb,
		void *arg)
{
	struct webdav_attr self;
	struct pf_out o = { .cb = cb, .arg = arg, .self = &self };
	int rc;

	if (dav->s3)
		return s3_list(dav, path, cb, arg);
	if (LOAD(&dav->plain))
		return -EOPNOTSUPP;
	rc = propfind(dav, path, 1, &o);
	if (rc == 0 && o.self_seen && !self.is_dir)
		rc = -ENOTDIR;
	return rc;
}

bool webdav_etag_same(const char *a, const char *b)
{
	if (!strncmp(a, "W/", 2))
		a += 2;
	if (!strncmp(b, "W/", 2))
		b += 2;
	return !strcmp(a, b);
}

/* n bytes of r's request body from byte at on, into out. */
static int body_bytes(const struct req *r, uint64_t at, char *out, size_t n)
{
	size_t done = 0;

	if (r->up_file) {
		while (done < n) {
			ssize_t k = pread(fileno(r->up_file), out + done,
					  n - done, (off_t)(at + done));

			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			done += (size_t)k;
		}
		return 0;
	}
	for (int i = 0; i < r->up_n && done < n; i++) {
		size_t l = r->up_iov[i].iov_len;

		if (at >= l) {
			at -= l;
			continue;
		}
		l -= (size_t)at;
		if (l > n - done)
			l = n - done;
		memcpy(out + done, (const char *)r->up_iov[i].iov_base + at, l);
		done += l;
		at = 0;
	}
	return done == n ? 0 : -EIO;
}

/* After a 412 to a conditional PUT one of whose tries was cut: how much of
 * its body the server holds at off.  *k: bytes from the start of the body
 * that are on the server as sent; etag: the ETag they came with.  whole:
 * the object must also be exactly the body's length (else *k is 0).
 * 0, or -errno (also when the object changed while it was read). */
static int body_on_server(struct webdav *dav, const struct req *r, uint64_t off,
			  bool whole, uint64_t *k, char *etag)
{
	enum { CHUNK = 1 << 20 };
	char tag[WEBDAV_ETAG_MAX];
	char *theirs = NULL, *mine = NULL;
	uint64_t len = r->up_len;
	int rc = 0;

	*k = 0;
	etag[0] = '\0';
	if (whole) {
		struct webdav_attr a;

		if ((rc = webdav_stat(dav, r->path, &a)) < 0)
			return rc;
		if (a.is_dir || a.size != len)
			return 0;
		snprintf(etag, WEBDAV_ETAG_MAX, "%s", a.etag);
	}
	if (len && (!(theirs = malloc(len < CHUNK ? len : CHUNK)) ||
		    !(mine = malloc(len < CHUNK ? len : CHUNK)))) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint64_t at = 0; at < len;) {
		size_t n = len - at < CHUNK ? (size_t)(len - at) : CHUNK, m = 0;
		ssize_t got =
			webdav_get(dav, r->path, off + at, n, theirs, tag);

		if (got < 0) {
			rc = (int)got;
			goto out;
		}
		if (etag[0] && tag[0] && !webdav_etag_same(etag, tag)) {
			rc = -ESTALE;	/* changed again meanwhile */
			goto out;
		}
		if (!etag[0])
			snprintf(etag, WEBDAV_ETAG_MAX, "%s", tag);
		if ((rc = body_bytes(r, at, mine, n)) < 0)
			goto out;
		while (m < (size_t)got && theirs[m] == mine[m])
			m++;
		*k += m;
		if (m < n)
			break;
		at += n;
	}
out:
	free(theirs);
	free(mine);
	if (rc < 0)
		*k = 0;
	return rc;
}

/* r's headers for a PUT with If: etag. */
static int put_headers(struct webdav *dav, struct req *r,
		       const char *content_range, bool excl, const char *etag)
{
	char line[96];
	int rc = 0;

	hdrs_free(r->hdrs);
	r->hdrs = NULL;
	if (content_range) {
		snprintf(line, sizeof(line), "Content-Range: %s",
			 content_range);
		rc = dav_add_hdr(r, line);
	}
	if (rc == 0 && excl)
		rc = dav_add_hdr(r, "If-None-Match: *");
	if (rc == 0)
		rc = dav_add_if(dav, r, etag);
	return rc;
}

/* One PUT: body from iov or f (len bytes) for the object's bytes from off
 * on; content_range NULL for a whole object; excl: If-None-Match: *.
 *
 * A 412 to a conditional PUT can be this PUT's own doing: a try the
 * server carried out whose answer was lost is tried again with the ETag
 * that try changed, and a try cut while its body was on the way leaves
 * the bytes that got there (mod_dav_fs writes a Content-Range PUT in
 * place as it reads it).  So when a try was cut, the 412 is checked
 * against the server's bytes: all of the body there as sent, the PUT
 * landed (the ETag they came with is the new one); a part of it from its
 * start, the cut try wrote that part, and the PUT is sent again on the
 * version that made (at most retries times); none of it, someone else
 * changed the object, and the 412 stands.  Never when no try was cut. */
static int put_req(struct webdav *dav, const char *path,
		   const struct iovec *iov, int niov, FILE *f, uint64_t off,
		   uint64_t len, const char *content_range, const char *if_etag,
		   bool excl, char *new_etag)
{
	struct req r = { .m = WEBDAV_PUT, .path = path, .idempotent = true,
			 .up_iov = iov, .up_n = niov, .up_file = f,
			 .up_len = len };
	bool conditional = if_etag && *if_etag;
	char cur[WEBDAV_ETAG_MAX];
	uint32_t again = 0;
	int rc;

	if (LOAD(&dav->plain)) {
		if (new_etag)
			new_etag[0] = '\0';
		return -EROFS;
	}
	if (conditional && dav->s3 &&
	    LOAD(&dav->s3_if_match) == S3_IF_MATCH_NONE) {
		struct webdav_attr a;

		/* a server without If-Match on PUT: the ETag is checked
		 * first (a race with another writer remains, see s3.c) */
		rc = dav_head_stat(dav, path, &a);
		if (rc == -ENOENT || (rc == 0 && !webdav_etag_same(a.etag,
								   if_etag)))
			rc = 412;
		if (rc != 0)
			goto out;
		if_etag = NULL;
	}
	if ((rc = put_headers(dav, &r, content_range, excl, if_etag)) < 0)
		goto out;
	rc = dav_do_req(dav, &r);
	while (rc == 412 && conditional && r.cut) {
		uint64_t k;

		r.cut = false;
		if (body_on_server(dav, &r, off, !content_range, &k, cur) < 0)
			break;
		if (k == len) {
			ADD(dav, confirmed, 1);
			snprintf(r.etag, sizeof(r.etag), "%s", cur);
			rc = 200;
			break;
		}
		if (k == 0 || !cur[0] || again++ >= dav->o.retries)
			break;
		ADD(dav, rewritten, 1);
		dav_say(dav,
		    "PUT /%s: a cut try wrote %llu of its %llu bytes; "
		    "sending them again",
		    path, (unsigned long long)k, (unsigned long long)len);
		if ((rc = put_headers(dav, &r, content_range, excl, cur)) < 0)
			break;
		rc = dav_do_req(dav, &r);
	}
out:
	rc = dav_finish(dav, &r, rc, conditional);
	if (new_etag && rc < 0)
		new_etag[0] = '\0';	/* not before: it may be if_etag */
	if (rc == 0 && new_etag) {
		if (r.etag[0]) {
			snprintf(new_etag, WEBDAV_ETAG_MAX, "%s", r.etag);
		} else {
			struct webdav_attr a;

			/* Apache sends no ETag with a PUT's answer. */
			if (webdav_stat(dav, path, &a) == 0)
				snprintf(new_etag, WEBDAV_ETAG_MAX, "%s",
					 a.etag);
			else
				new_etag[0] = '\0';
		}
	}
	dav_req_done(&r);
	return rc;
}

int webdav_put(struct webdav *dav, const char *path, const struct iovec *iov,
	       int niov, uint64_t off, int64_t total, const char *if_etag,
	       char *new_etag)
{
	char cr[80];
	uint64_t len = 0;

	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	if (total >= 0 && off == 0 && (uint64_t)total == len)
		return put_req(dav, path, iov, niov, NULL, 0, len, NULL,
			       if_etag, false, new_etag);
	if (LOAD(&dav->plain))
		return -EROFS;
	if (LOAD(&dav->partial_put) == 0)
		return -EOPNOTSUPP;
	if (len == 0)
		return -EINVAL;	/* a Content-Range cannot say "none" */
	if (total >= 0)
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%lld",
			 (unsigned long long)off,
			 (unsigned long long)(off + len - 1), (long long)total);
	else
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/*",
			 (unsigned long long)off,
			 (unsigned long long)(off + len - 1));
	return put_req(dav, path, iov, niov, NULL, off, len, cr, if_etag, false,
		       new_etag);
}

int webdav_create(struct webdav *dav, const char *path,
		  const struct iovec *iov, int niov, char *new_etag)
{
	uint64_t len = 0;

	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	return put_req(dav, path, iov, niov, NULL, 0, len, NULL, NULL, true,
		       new_etag);
}

int webdav_truncate(struct webdav *dav, const char *path, uint64_t size,
		    const char *if_etag, char *new_etag)
{
	struct webdav_attr a;
	struct req r = { .m = WEBDAV_GET, .path = path, .idempotent = true,
			 .sink = SINK_FILE };
	char range[64], cr[80];
	uint64_t keep;
	FILE *f = NULL;
	int rc;

	if (LOAD(&dav->plain))
		return -EROFS;
	if (size == 0)
		return put_req(dav, path, NULL, 0, NULL, 0, 0, NULL, if_etag,
			       false, new_etag);
	rc = webdav_stat(dav, path, &a);
	if (rc < 0)
		return rc;
	if (a.is_dir)
		return -EISDIR;
	if (if_etag && *if_etag && !webdav_etag_same(if_etag, a.etag)) {
		ADD(dav, stale, 1);
		ADD(dav, errors, 1);
		return -ESTALE;
	}
	if (size == a.size) {
		if (new_etag)
			snprintf(new_etag, WEBDAV_ETAG_MAX, "%s", a.etag);
		return 0;
	}
	if (size > a.size && LOAD(&dav->partial_put) == 1) {
		/* One zero byte at the new end; the server fills the gap
		 * with zeros (it seeks past the end and writes). */
		static const char zero;
		struct iovec v = { .iov_base = (void *)&zero, .iov_len = 1 };

		snprintf(cr, sizeof(cr), "bytes %llu-%llu/*",
			 (unsigned long long)(size - 1),
			 (unsigned long long)(size - 1));
		return put_req(dav, path, &v, 1, NULL, size - 1, 1, cr, if_etag,
			       false, new_etag);
	}
	/* Read back what stays into a temporary file, pad, PUT whole. */
	f = tmpfile();
	if (!f)
		return -errno;
	keep = size < a.size ? size : a.size;
	if (keep) {
		snprintf(range, sizeof(range), "0-%llu",
			 (unsigned long long)(keep - 1));
		r.range = range;
		r.dn_file = f;
		r.dn_max = keep;
		rc = dav_do_req(dav, &r);
		if (rc == 200 || rc == 206)
			rc = r.dn_got == keep ? 0 : -ESTALE;
		rc = dav_finish(dav, &r, rc, false);
		if (rc < 0)
			goto out;
		if (!if_etag || !*if_etag)
			if_etag = r.etag[0] ? r.etag : a.etag;
		if (fflush(f) != 0) {
			rc = -errno;
			goto out;
		}
	}
	if (ftruncate(fileno(f), (off_t)size) < 0) {
		rc = -errno;
		goto out;
	}
	rc = put_req(dav, path, NULL, 0, f, 0, size, NULL, if_etag, false,
		     new_etag);
out:
	dav_req_done(&r);
	fclose(f);
	return rc;
}

int webdav_mkcol(struct webdav *dav, const char *path)
{
	size_t n = strlen(path);
	char *p = malloc(n + 2);
	struct req r = { .m = WEBDAV_MKCOL };
	int rc;

	if (dav->s3) {
		free(p);
		return s3_mkdir(dav, path);
	}
	if (!p)
		return -ENOMEM;
	snprintf(p, n + 2, "%s%s", path, n && path[n - 1] == '/' ? "" : "/");
	r.path = p;
	rc = LOAD(&dav->plain) ? -EROFS : dav_do_req(dav, &r);
	rc = dav_finish(dav, &r, rc, false);
	dav_req_done(&r);
	free(p);
	return rc;
}

int webdav_delete(struct webdav *dav, const char *path, const char *if_etag)
{
	struct req r = { .m = WEBDAV_DELETE, .path = path, .idempotent = true };
	int rc;

	if (dav->s3)
		return s3_delete(dav, path);	/* unconditional: see s3.c */
	if (LOAD(&dav->plain))
		return -EROFS;
	rc = dav_add_if(dav, &r, if_etag);
	if (rc == 0)
		rc = dav_do_req(dav, &r);
	rc = dav_finish(dav, &r, rc, if_etag && *if_etag);
	dav_req_done(&r);
	return rc;
}

/* The parent of path, relative ("" for a top-level name); malloc'd. */
static char *parent_of(const char *path)
{
	char *p = strdup(path), *s;
	size_t n;

	if (!p)
		return NULL;
	n = strlen(p);
	while (n && p[n - 1] == '/')
		p[--n] = '\0';
	s = strrchr(p, '/');
	if (s)
		s[1] = '\0';
	else
		p[0] = '\0';
	return p;
}

static int move_or_copy(struct webdav *dav, enum webdav_method m,
			const char *from, const char *to, bool overwrite)
{
	struct req r = { .m = m, .path = from };
	char *line = NULL, dest[URL_MAX];
	int rc;

	if (LOAD(&dav->plain))
		return -EROFS;
	rc = dav_make_url(dav, to, dest, sizeof(dest));
	if (rc < 0)
		goto out;
	line = malloc(strlen(dest) + 16);
	if (!line) {
		rc = -ENOMEM;
		goto out;
	}
	sprintf(line, "Destination: %s", dest);
	if ((rc = dav_add_hdr(&r, line)) < 0 ||
	    (rc = dav_add_hdr(&r, overwrite ? "Overwrite: T" : "Overwrite: F")) <
		    0 ||
	    (m == WEBDAV_COPY && (rc = dav_add_hdr(&r, "Depth: infinity")) < 0))
		goto out;
	rc = dav_do_req(dav, &r);
	if (rc == 500) {
		/* mod_dav answers 500 when the destination's parent is
		 * missing (measured): say ENOENT when that is why. */
		char *par = parent_of(to);
		struct webdav_attr a;

		if (par && webdav_stat(dav, par, &a) == -ENOENT)
			rc = -ENOENT;
		free(par);
	}
out:
	rc = dav_finish(dav, &r, rc, false);
	dav_req_done(&r);
	free(line);
	return rc;
}

int webdav_put_parts(struct webdav *dav, const char *path, const void *data,
		     uint64_t size, uint64_t base, const uint8_t *dirty,
		     uint64_t part, const char *if_etag, char *new_etag)
{
	if (!dav->s3)
		return -EOPNOTSUPP;
	return s3_put_parts(dav, path, data, size, base, dirty, part, if_etag,
			    new_etag);
}

int webdav_uploads(struct webdav *dav)
{
	return dav->s3 ? s3_uploads(dav) : -EOPNOTSUPP;
}

int webdav_sweep(struct webdav *dav)
{
	return dav->s3 ? s3_sweep(dav) : 0;
}

int webdav_move(struct webdav *dav, const char *from, const char *to,
		bool overwrite)
{
	if (dav->s3)
		return s3_move(dav, from, to, overwrite, false);
	return move_or_copy(dav, WEBDAV_MOVE, from, to, overwrite);
}

int webdav_copy(struct webdav *dav, const char *from, const char *to,
		bool overwrite)
{
	if (dav->s3)
		return s3_move(dav, from, to, overwrite, true);
	return move_or_copy(dav, WEBDAV_COPY, from, to, overwrite);
}

/* ---- probe ------------------------------------------------------------ */

/* Is partial PUT real?  Writes a scratch object, overwrites two bytes in
 * the middle and one past the end, reads it back, deletes it.  Sets
 * c->writable, c->partial_put, c->ranges. */
static void probe_writes(struct webdav *dav, struct webdav_caps *c)
{
	static const char want[] = "0123ab6789\0\0z";
	struct iovec v;
	char name[96], etag[WEBDAV_ETAG_MAX];
	struct req r = { .m = WEBDAV_GET, .idempotent = true, .sink = SINK_MEM,
			 .dn_max = 64, .range = "0-63" };
	int rc;

	snprintf(name, sizeof(name), ".framefs-probe-%d-%llu", (int)getpid(),
		 (unsigned long long)__atomic_add_fetch(&dav->probe_seq, 1,
							__ATOMIC_RELAXED));
	v.iov_base = (void *)"0123456789";
	v.iov_len = 10;
	if (put_req(dav, name, &v, 1, NULL, 0, 10, NULL, NULL, false, NULL) < 0)
		return;
	c->writable = true;
	v.iov_base = (void *)"ab";
	v.iov_len = 2;
	rc = put_req(dav, name, &v, 1, NULL, 4, 2, "bytes 4-5/*", NULL, false,
		     NULL);
	v.iov_base = (void *)"z";
	v.iov_len = 1;
	if (rc == 0)
		rc = put_req(dav, name, &v, 1, NULL, 12, 1, "bytes 12-12/*",
			     NULL, false, NULL);
	r.path = name;
	if (dav_do_req(dav, &r) == 206)
		c->ranges = true;
	c->partial_put = rc == 0 && r.mem && r.dn_got == sizeof(want) - 1 &&
			 !memcmp(r.mem, want, sizeof(want) - 1);
	dav_req_done(&r);
	(void)etag;
	if (webdav_delete(dav, name, NULL) < 0)
		dav_say(dav, "probe: could not delete the scratch object %s",
		    name);
}

int webdav_probe(struct webdav *dav, struct webdav_caps *caps)
{
	struct webdav_caps c = { 0 };
	struct req r = { .m = WEBDAV_OPTIONS, .path = "", .idempotent = true };
	int st;

	if (dav->s3)
		return s3_probe(dav, caps);
	pthread_mutex_lock(&dav->caps_lock);
	st = dav_do_req(dav, &r);
	if (st < 0)
		goto out;
	snprintf(c.server, sizeof(c.server), "%s", r.server);
	c.dav_class = r.dav_class > 0 ? r.dav_class : 0;
	if (st == 401 || st == 403) {
		st = -EACCES;
		goto out;
	}
	if (c.dav_class == 0) {
		struct req h = { .m = WEBDAV_HEAD, .path = "",
				 .idempotent = true };

		st = dav_do_req(dav, &h);
		c.ranges = h.accept_ranges;
		if (!c.server[0])
			snprintf(c.server, sizeof(c.server), "%s", h.server);
		dav_req_done(&h);
		if (st < 0)
			goto out;
		if (st == 401 || st == 404) {
			st = status_errno(dav, WEBDAV_HEAD, st, false);
			goto out;
		}
		c.plain = true;
		STORE(&dav->dav_class, 0);
		STORE(&dav->plain, 1);
		STORE(&dav->partial_put, 0);
		st = 0;
	} else {
		struct webdav_attr a;

		STORE(&dav->dav_class, c.dav_class);
		STORE(&dav->plain, 0);
		st = webdav_stat(dav, "", &a);
		if (st == 0 && !a.is_dir)
			st = -ENOTDIR;
		if (st < 0)
			goto out;
		if (!dav->o.readonly)	/* a read-only mount writes nothing */
			probe_writes(dav, &c);
		STORE(&dav->partial_put, c.partial_put ? 1 : 0);
	}
	if (!c.plain && dav->o.readonly)	/* nothing written, read */
		dav_say(dav, "probe: %s, DAV class %d, mounted read-only "
		    "(partial PUT and ranges not probed)",
		    c.server[0] ? c.server : "unknown server", c.dav_class);
	else
		dav_say(dav, "probe: %s, DAV class %d, %s, partial PUT %s, "
		    "ranges %s", c.server[0] ? c.server : "unknown server",
		    c.dav_class, c.plain ? "plain HTTP (read-only)" :
		    c.writable ? "writable" : "not writable",
		    c.partial_put ? "yes" : "no", c.ranges ? "yes" : "no");
	dav->caps = c;
	if (caps)
		*caps = c;
out:
	pthread_mutex_unlock(&dav->caps_lock);
	if (st > 0)
		st = status_errno(dav, WEBDAV_OPTIONS, st, false);
	dav_req_done(&r);
	return st;
}

/* ---- stats ------------------------------------------------------------ */

void webdav_stats(struct webdav *dav, struct webdav_stats *out)
{
	const uint64_t *src = (const uint64_t *)&dav->st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = LOAD(&src[i]);
}

uint64_t webdav_rtt_quantile_us(const struct webdav_stats *s, double p)
{
	uint64_t total = 0, want, seen = 0;

	for (int i = 0; i < WEBDAV_RTT_BUCKETS; i++)
		total += s->rtt_us[i];
	if (!total)
		return 0;
	want = (uint64_t)(p * (double)total + 0.999999);
	if (want < 1)
		want = 1;
	for (int i = 0; i < WEBDAV_RTT_BUCKETS; i++) {
		seen += s->rtt_us[i];
		if (seen >= want)
			return 2ull << i;
	}
	return 2ull << (WEBDAV_RTT_BUCKETS - 1);
}

int webdav_stats_format(const struct webdav_stats *s, char *buf, size_t len)
{
	size_t n = 0;
	int k;

#define OUT(...)                                                            \
	do {                                                                \
		k = snprintf(buf + (n < len ? n : len),                    \
			     n < len ? len - n : 0, __VA_ARGS__);           \
		n += k > 0 ? (size_t)k : 0;                                 \
	} while (0)
	for (int m = 0; m < WEBDAV_NMETHODS; m++) {
		char lower[16];
		int i;

		for (i = 0; method_names[m][i] && i < 15; i++)
			lower[i] = (char)(method_names[m][i] | 0x20);
		lower[i] = '\0';
		OUT("http_requests_%s %llu\n", lower,
		    (unsigned long long)s->requests[m]);
	}
	OUT("http_bytes_in %llu\n", (unsigned long long)s->bytes_in);
	OUT("http_bytes_out %llu\n", (unsigned long long)s->bytes_out);
	OUT("http_retries %llu\n", (unsigned long long)s->retries);
	OUT("http_errors %llu\n", (unsigned long long)s->errors);
	OUT("http_transport_errors %llu\n",
	    (unsigned long long)s->transport_errors);
	OUT("http_status_5xx %llu\n", (unsigned long long)s->status_5xx);
	OUT("http_stale %llu\n", (unsigned long long)s->stale);
	OUT("http_writes_confirmed %llu\n", (unsigned long long)s->confirmed);
	OUT("http_writes_resent %llu\n", (unsigned long long)s->rewritten);
	OUT("http_multipart_uploads %llu\n",
	    (unsigned long long)s->multipart);
	OUT("http_multipart_aborted %llu\n",
	    (unsigned long long)s->multipart_aborted);
	OUT("http_parts_uploaded %llu\n", (unsigned long long)s->parts_put);
	OUT("http_parts_copied %llu\n", (unsigned long long)s->parts_copied);
	OUT("http_keys_reread %llu\n", (unsigned long long)s->keys_reread);
	OUT("http_rtt_p50_us %llu\n",
	    (unsigned long long)webdav_rtt_quantile_us(s, 0.50));
	OUT("http_rtt_p90_us %llu\n",
	    (unsigned long long)webdav_rtt_quantile_us(s, 0.90));
	OUT("http_rtt_p99_us %llu\n",
	    (unsigned long long)webdav_rtt_quantile_us(s, 0.99));
#undef OUT
	return (int)n;
}
