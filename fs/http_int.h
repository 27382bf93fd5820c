/* http_int.h - what webdav.c and s3.c share inside the http protocol
 * layer: the handle, one request and its retries (webdav.c's request
 * engine), and the helpers around it.  Not for the rest of the daemon:
 * webdav.h is the interface. */
#ifndef FRAMEFS_HTTP_INT_H
#define FRAMEFS_HTTP_INT_H

#include "webdav.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define XML_MAX_BYTES	(256u << 20)	/* a PROPFIND answer larger: -EIO */
#define URL_MAX		8192

struct webdav {
	char *base;			/* normalized URL, ends in '/' */
	char *base_path;		/* its path, decoded, ends in '/' */
	struct webdav_opts o;		/* copied; o.netrc points at netrc */
	char *netrc;			/* owned copy of opts->netrc */
	char *cacert;			/* owned copy of opts->cacert */
	/* The credentials.  With S3 they may be replaced while requests
	 * run (s3_keys_again): read them under creds_lock. */
	pthread_mutex_t creds_lock;
	char *user;			/* from the environment, or NULL */
	char *password;			/* wiped at free */
	char *token_hdr;		/* S3 temporary credentials:
					 * "x-amz-security-token: TOKEN" on
					 * every request, or NULL; wiped */
	char *creds_file;		/* S3: credentials=FILE, or NULL */
	struct stat creds_st;		/* under creds_lock: the file when
					 * last read */
	uint32_t creds_gen;		/* under creds_lock: keys replaced */
	CURLSH *share;
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL **pool;			/* idle handles; under pool_lock */
	uint32_t npool;			/* under pool_lock */
	pthread_mutex_t caps_lock;	/* serializes probes */
	struct webdav_caps caps;	/* last probe; under caps_lock */
	int dav_class;			/* atomic: see the design above */
	int plain;			/* atomic */
	int partial_put;		/* atomic: -1 unknown, 0, 1 */
	uint64_t rng;			/* atomic: jitter */
	uint64_t probe_seq;		/* atomic: scratch names */
	struct webdav_stats st;		/* atomic counters */
	char last_error[CURL_ERROR_SIZE];	/* under pool_lock */
	/* The S3 dialect (s3.c): webdav_opts.s3_region set.  base is then
	 * ENDPOINT/BUCKET/PREFIX/ (path-style), user and password the
	 * access key and the secret. */
	bool s3;
	char *origin;			/* ENDPOINT, no trailing '/' */
	char *bucket;			/* decoded */
	char *key_prefix;		/* decoded, "" or ends in '/' */
	bool s3_virtual;		/* origin is BUCKET.HOST, base
					 * ORIGIN/PREFIX/ */
	char sigv4[96];			/* CURLOPT_AWS_SIGV4 */
	char region[64];		/* what requests are signed for */
	int s3_if_match;		/* atomic: S3_IF_MATCH_* (the probe) */
};

/* How an S3 server takes a PUT's If-Match, as s3_probe found. */
enum {
	S3_IF_MATCH_QUOTED,	/* as HTTP says: If-Match: "etag" */
	S3_IF_MATCH_BARE,	/* without the quotes (RGW 16) */
	S3_IF_MATCH_NONE,	/* not at all: a HEAD checks the ETag first */
};

#define ADD(dav, f, n) __atomic_add_fetch(&(dav)->st.f, (n), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* ---- one request ------------------------------------------------------ */

enum sink { SINK_NONE, SINK_IOV, SINK_FILE, SINK_MEM };

struct req {
	CURL *h;			/* during a try */
	enum webdav_method m;
	const char *path;		/* relative, not encoded */
	const char *url;		/* or a full URL (probe scratch) */
	struct curl_slist *hdrs;	/* extra request headers; owned */
	const char *range;		/* CURLOPT_RANGE or NULL */
	const char *body;		/* PROPFIND, POST request body or NULL */
	bool idempotent;
	bool own_auth;			/* S3: signed by s3.c, not by curl */
	uint32_t creds_gen;		/* S3: the keys the try was set up
					 * with (webdav.creds_gen) */
	bool creds_taken;		/* S3: creds_take ran for it */
	bool keys_retried;		/* S3: sent again with new keys */
	/* request body (PUT): iovecs or a file, up_len bytes */
	const struct iovec *up_iov;
	int up_n;
	FILE *up_file;
	uint64_t up_len;
	bool up_started;		/* this try gave curl body bytes */
	int up_i;			/* cursor: iovec index */
	size_t up_off;			/* cursor: offset in it */
	/* response body */
	enum sink sink;
	const struct iovec *dn_iov;	/* SINK_IOV */
	int dn_n;
	FILE *dn_file;			/* SINK_FILE */
	uint64_t skip;			/* bytes to drop first (a 200 to a
					 * Range request) */
	uint64_t dn_skip;		/* cursor: still to drop */
	uint64_t dn_max;		/* bytes to keep at most */
	uint64_t dn_got;		/* bytes kept */
	int dn_i;			/* SINK_IOV cursor at dn_got: iovec */
	size_t dn_off;			/* index and offset in it */
	bool dn_full;			/* stopped on purpose at dn_max */
	webdav_arrived_fn *arrived;	/* SINK_IOV: told of final bytes */
	void *arrived_arg;
	uint64_t want_start;		/* the object's offset of dn_iov */
	int trusted;			/* this try's body is for want_start:
					 * -1 not known yet, 0 no, 1 yes */
	uint64_t told;			/* bytes arrived() was told of */
	bool used;			/* arrived() used some: no retry */
	char *mem;			/* SINK_MEM, malloc'd, NUL-ended */
	size_t mem_len, mem_cap;
	/* response */
	long status;			/* 0: no response */
	bool cut;			/* a try ended with no answer of the
					 * server's own: it may have been
					 * carried out, whole or in part */
	char etag[WEBDAV_ETAG_MAX];
	int dav_class;			/* from a DAV: header, -1 none */
	bool accept_ranges;
	bool has_cr;			/* Content-Range present */
	uint64_t cr_start;
	curl_off_t clen;		/* Content-Length, -1 unknown */
	curl_off_t filetime;		/* Last-Modified, -1 unknown */
	bool redirect_dir;		/* 3xx to the same path plus '/' */
	char server[64];
};


/* One request with its retries (see webdav.c): the HTTP status, or
 * -errno when no answer came. */
int dav_do_req(struct webdav *dav, struct req *r);
/* status -> 0 or -errno for r's method; counts errors and stale 412s. */
int dav_finish(struct webdav *dav, struct req *r, int rc, bool conditional);
void dav_req_done(struct req *r);
int dav_add_hdr(struct req *r, const char *line);
/* The conditional-write header for etag (If: on DAV, If-Match else). */
int dav_add_if(struct webdav *dav, struct req *r, const char *etag);
/* base + path, each segment percent-encoded. */
int dav_make_url(struct webdav *dav, const char *path, char *out,
		 size_t outlen);
/* stat by HEAD (a plain server's; an S3 object's). */
int dav_head_stat(struct webdav *dav, const char *path,
		  struct webdav_attr *a);
void dav_say(struct webdav *dav, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* s3.c: the S3 dialect of the calls of webdav.h. */
int s3_setup(struct webdav *dav, const struct webdav_opts *o, char *err,
	     size_t errlen);
/* After the server refused the keys a try of generation gen was signed
 * with: 1 if there are other keys to try (the credentials file holds new
 * ones, now taken, or another thread took them since), else 0. */
int s3_keys_again(struct webdav *dav, uint32_t gen);
int s3_probe(struct webdav *dav, struct webdav_caps *caps);
int s3_stat(struct webdav *dav, const char *path, struct webdav_attr *a);
int s3_list(struct webdav *dav, const char *path, webdav_list_cb cb,
	    void *arg);
int s3_mkdir(struct webdav *dav, const char *path);
int s3_delete(struct webdav *dav, const char *path);
int s3_move(struct webdav *dav, const char *from, const char *to,
	    bool overwrite, bool keep_source);
int s3_put_parts(struct webdav *dav, const char *path, const void *data,
		 uint64_t size, uint64_t base, const uint8_t *dirty,
		 uint64_t part, const char *if_etag, char *new_etag);
int s3_uploads(struct webdav *dav);
/* Aborts the uploads in the journal of uploads in progress (s3.c) that a
 * framefs now gone left on this bucket: how many. */
int s3_sweep(struct webdav *dav);

#endif
