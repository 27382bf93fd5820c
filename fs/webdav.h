/* webdav.h - WebDAV (and plain HTTP) objects through libcurl, thread-safe.
 *
 *   dav = webdav_new("http://host/dav/", &opts, err, sizeof(err))
 *   webdav_probe(dav, &caps)                 once at mount: DAV class,
 *                                            partial PUT, plain HTTP
 *   n = webdav_get(dav, "a/b", off, len, buf, etag)   Range GET
 *   n = webdav_getv(dav, "a/b", off, iov, niov, etag) one GET, many buffers
 *   webdav_stat(dav, "a/b", &attr)           PROPFIND Depth 0 (HEAD if plain)
 *   webdav_list(dav, "a/", cb, arg)          PROPFIND Depth 1, per child
 *   webdav_put(dav, "a/b", iov, n, off, total, if_etag, new_etag)
 *   webdav_create(dav, "a/b", iov, n, new_etag)       fails if it exists
 *   webdav_truncate(dav, "a/b", size, if_etag, new_etag)
 *   webdav_mkcol / webdav_delete / webdav_move / webdav_copy
 *   webdav_stats(dav, &stats)                counters and an RTT histogram
 *   webdav_free(dav)
 *
 * Paths are relative to the base URL, '/'-separated, as the file system
 * names them (no percent-encoding: this module encodes them, and decodes
 * the hrefs a server sends back).  "" or "/" is the base collection.
 * Every call returns 0 (or a byte count) or a negative errno:
 *   404 -ENOENT; 401 (bad credentials) and 403 -EACCES; 412 on a write
 *   with an ETag -ESTALE (the object changed on the server; nothing was
 *   written); 413, 507 -ENOSPC; 405 on MKCOL -EEXIST; 409 (missing parent)
 *   -ENOENT; 405/501 elsewhere -EOPNOTSUPP (-EROFS for writes to a plain
 *   HTTP server); 414 -ENAMETOOLONG; anything else -EIO.
 * Connection errors, timeouts and 5xx are retried (opts.retries times,
 * exponential backoff with jitter) before -EIO; a call never waits longer
 * than about (retries + 1) * (connect or low-speed timeout) + backoffs.
 * MOVE, COPY and MKCOL, which are not idempotent, are retried only when
 * the server cannot have acted (no connection, 503).
 *
 * Credentials: a netrc file (opts.netrc) or FRAMEFS_HTTP_USER and
 * FRAMEFS_HTTP_PASSWORD in the environment, sent as Basic auth.  A URL
 * with user:password@ in it is refused.  Credentials appear in no log
 * line, error string or statistic.
 *
 * Conditional writes: `if_etag` is an ETag from webdav_stat/list/get.
 * On a DAV server it is sent as the WebDAV `If: <url> (["etag"])` header
 * (tagged: an untagged one is checked against the parent too), which
 * mod_dav compares weakly, not as If-Match: Apache marks the ETag of a file
 * modified less than a second ago weak (W/"..."), and If-Match's strong
 * comparison then fails every write in that second (measured, Apache
 * 2.4.71).  On a server the probe did not find to be DAV, If-Match.
 * Apache sends no ETag in a PUT's response; new_etag is then filled by a
 * PROPFIND after the write (one more round trip, only when new_etag is not
 * NULL).
 */
#ifndef FRAMEFS_WEBDAV_H
#define FRAMEFS_WEBDAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct webdav;

#define WEBDAV_ETAG_MAX 128	/* ETags longer than this are dropped */

struct webdav_opts {
	uint32_t connect_timeout_ms;	/* TCP (+TLS) connect, per try */
	uint32_t low_speed_time_s;	/* abort a try that moves less than */
	uint32_t low_speed_bytes;	/* ... this many bytes/s for that long */
	uint32_t timeout_ms;		/* whole try; 0: none (low-speed rules) */
	uint32_t retries;		/* tries after the first */
	uint32_t backoff_ms;		/* first backoff, doubled each retry */
	uint32_t backoff_max_ms;	/* cap of one backoff */
	uint32_t pool_size;		/* idle easy handles kept */
	const char *netrc;		/* netrc file for credentials, or NULL */
	const char *cacert;		/* CAs to trust (PEM) instead of the
					 * system's, or NULL (copied) */
	/* S3 (s3.c): a region makes the base URL ENDPOINT/BUCKET/PREFIX/
	 * an S3 bucket, signed with SigV4 by the access key and secret
	 * (copied; never logged). */
	const char *s3_region;
	const char *s3_access_key;
	const char *s3_secret_key;
	const char *s3_session_token;	/* temporary credentials' token
					 * (AWS_SESSION_TOKEN), or NULL:
					 * sent, signed, as
					 * x-amz-security-token (copied;
					 * never logged) */
	const char *s3_credentials;	/* the credentials=FILE the keys
					 * came from, or NULL: read again
					 * when the server refuses them
					 * (s3_keys_read; copied) */
	bool s3_virtual;		/* virtual-host addressing: the
					 * bucket goes into the host name */
	uint32_t s3_part_mib;		/* MiB per part of a multipart upload
					 * (store_http), 0: 8 */
	bool no_env_credentials;	/* ignore FRAMEFS_HTTP_USER/_PASSWORD */
	bool readonly;			/* a read-only mount: webdav_probe
					 * writes no scratch object (caps say
					 * not writable) */
	/* Optional: one line per notable event (a retry, a 412, a probe
	 * result), no trailing newline.  Called from any thread. */
	void (*log)(void *arg, const char *line);
	void *log_arg;
};

/* What webdav_probe() found. */
struct webdav_caps {
	int dav_class;		/* highest class in OPTIONS' DAV: header, 0:
				 * none (plain HTTP) */
	bool plain;		/* no WebDAV: read-only, stat by HEAD, no
				 * listing */
	bool writable;		/* a scratch object could be PUT (not
				 * tried for a read-only mount) */
	bool partial_put;	/* PUT with Content-Range writes in place
				 * (verified by reading back) */
	bool ranges;		/* DAV: a Range GET of the scratch object
				 * was answered 206; plain: the base said
				 * Accept-Ranges (nginx does not for a
				 * directory: false, and ranges work) */
	char server[64];	/* the Server: header, for logs */
};

struct webdav_attr {
	bool is_dir;		/* a collection */
	uint64_t size;		/* bytes; 0 for a collection */
	int64_t mtime;		/* seconds since the epoch; -1 if unknown */
	char etag[WEBDAV_ETAG_MAX];	/* "" if the server sent none */
};

/* Requests by method, for webdav_stats. */
enum webdav_method {
	WEBDAV_GET,
	WEBDAV_HEAD,
	WEBDAV_PUT,
	WEBDAV_PROPFIND,
	WEBDAV_MKCOL,
	WEBDAV_DELETE,
	WEBDAV_MOVE,
	WEBDAV_COPY,
	WEBDAV_OPTIONS,
	WEBDAV_POST,		/* S3: multipart uploads */
	WEBDAV_NMETHODS
};

#define WEBDAV_RTT_BUCKETS 32	/* bucket i: [2^i, 2^(i+1)) us; 0 also <1 */

struct webdav_stats {
	uint64_t requests[WEBDAV_NMETHODS];	/* sent, retries included */
	uint64_t bytes_in;		/* response bodies */
	uint64_t bytes_out;		/* request bodies */
	uint64_t retries;		/* tries after a first that failed */
	uint64_t errors;		/* calls that returned an error */
	uint64_t transport_errors;	/* tries with no HTTP response */
	uint64_t status_5xx;		/* tries answered 5xx */
	uint64_t stale;			/* 412s to a conditional write that
					 * stood (changed by someone else) */
	uint64_t confirmed;		/* 412s to a PUT whose cut try had
					 * landed after all (see put_req) */
	uint64_t rewritten;		/* PUTs sent again after a cut try
					 * wrote a part of their body */
	uint64_t multipart;		/* S3: multipart uploads completed */
	uint64_t multipart_aborted;	/* S3: multipart uploads aborted */
	uint64_t parts_put;		/* S3: parts uploaded (UploadPart) */
	uint64_t parts_copied;		/* S3: parts copied on the server
					 * (UploadPartCopy) */
	uint64_t keys_reread;		/* S3: new keys taken from the
					 * credentials file after a refusal */
	uint64_t rtt_us[WEBDAV_RTT_BUCKETS];	/* tries that got a response */
};

/* The longest session token taken (AWS_SESSION_TOKEN or aws_session_token:
 * STS does not fix one; theirs run to 1 or 2 KB). */
#define S3_TOKEN_MAX 8192

/* The S3 keys: from file (the AWS shared-credentials format, profile
 * $AWS_PROFILE or "default"), else (file NULL) AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY; with temporary credentials, their session token
 * too (aws_session_token, AWS_SESSION_TOKEN; "" without).  0, or -1 with
 * the reason in why (never a key). */
int s3_keys_read(const char *file, char *key, size_t klen, char *secret,
		 size_t slen, char *token, size_t tlen, char *why,
		 size_t wlen);

/* Defaults: connect 5 s, low speed 1 byte/s for 10 s, no whole-try limit,
 * 3 retries, backoff 100 ms up to 2 s, 32 pooled handles. */
void webdav_opts_default(struct webdav_opts *o);

/* url: http:// or https://, a collection (a missing trailing '/' is
 * added).  opts NULL: defaults.  Returns NULL with errno set (EINVAL for
 * a bad URL) and, if err is not NULL, a one-line reason in err.  Sends
 * nothing: a server that is not there is found by webdav_probe(). */
struct webdav *webdav_new(const char *url, const struct webdav_opts *opts,
			  char *err, size_t errlen);
void webdav_free(struct webdav *dav);
/* The normalized base URL (never with credentials). */
const char *webdav_url(const struct webdav *dav);
/* An S3 bucket (webdav_opts.s3_region was set). */
bool webdav_is_s3(const struct webdav *dav);

/* OPTIONS on the base: DAV class and Server; then, on a DAV server, a
 * scratch object ".framefs-probe-PID-N" is PUT, partially overwritten with
 * Content-Range, read back and deleted, to see whether partial PUT really
 * works (a server that ignores Content-Range replaces the whole object).
 * On a plain server, a HEAD and a Range GET of the base.  Remembers the
 * result: later calls use HEAD for stat on a plain server and refuse
 * partial PUT where it does not work.  0 or -errno (base unreachable:
 * -EIO; base not a collection: -ENOTDIR). */
int webdav_probe(struct webdav *dav, struct webdav_caps *caps);

/* Bytes [off, off+len) into buf: bytes read, short only at end of object
 * (0 at or past it), or -errno.  etag (WEBDAV_ETAG_MAX bytes, or NULL)
 * receives the object's ETag as the server sent it with the data. */
ssize_t webdav_get(struct webdav *dav, const char *path, uint64_t off,
		   size_t len, void *buf, char *etag);
/* The same into niov buffers from off on: one request for the lot.
 * arrived, if not NULL, is called as the body comes in with the count of
 * bytes from off that are in the buffers and final (the server's answer
 * is for these bytes: a 206 for off, or a 200 for the object's start
 * with off 0), and returns whether it used any (made them the reader's);
 * once it has, the GET is not tried again, it fails instead (a retry
 * would write the buffers anew). */
typedef bool webdav_arrived_fn(void *arg, uint64_t bytes);
ssize_t webdav_getv(struct webdav *dav, const char *path, uint64_t off,
		    const struct iovec *iov, int niov, char *etag,
		    webdav_arrived_fn *arrived, void *arg);

/* PROPFIND Depth 0 (HEAD on a plain HTTP server). */
int webdav_stat(struct webdav *dav, const char *path,
		struct webdav_attr *attr);

/* Calls cb once per member of the collection path (not for the
 * collection itself) with its decoded name.  cb returns 0 to go on;
 * anything else stops the walk and is returned.  -ENOTDIR if path is not
 * a collection; -EOPNOTSUPP on a plain HTTP server. */
typedef int (*webdav_list_cb)(void *arg, const char *name,
			      const struct webdav_attr *attr);
int webdav_list(struct webdav *dav, const char *path, webdav_list_cb cb,
		void *arg);

/* ETags a and b name the same version, compared weakly (a "W/" prefix
 * ignored, as Apache's own If: check does). */
bool webdav_etag_same(const char *a, const char *b);

/* Writes the bytes of iov[0..niov) at off.  total >= 0 with off == 0 and
 * total equal to the bytes given: a whole-object PUT (creates or
 * replaces).  Otherwise a partial PUT, `Content-Range: bytes
 * off-END/total` (total "*" when total < 0); it writes in place and extends
 * the object past its end with zeros in between on Apache mod_dav_fs,
 * which ignores total (never shortens); -EOPNOTSUPP without a request if
 * the probe found partial PUT does not work.  if_etag (NULL: none): write
 * only if the object still has this ETag, else -ESTALE.  new_etag
 * (WEBDAV_ETAG_MAX bytes, or NULL; it may be if_etag) receives the ETag
 * after the write.  0 or -errno; -ENOENT if the parent collection is
 * missing.  A 412 after a try that may have reached the server (cut, or
 * sent again by curl on a new connection) is checked against the bytes
 * there first: the write may have landed, or landed in part (see
 * put_req in webdav.c); only a change that is not its own is -ESTALE. */
int webdav_put(struct webdav *dav, const char *path, const struct iovec *iov,
	       int niov, uint64_t off, int64_t total, const char *if_etag,
	       char *new_etag);
/* A whole-object PUT with If-None-Match: *: -EEXIST if path exists. */
int webdav_create(struct webdav *dav, const char *path,
		  const struct iovec *iov, int niov, char *new_etag);
/* Makes the object size bytes long.  HTTP has no truncate: to 0, an empty
 * PUT; longer, with partial PUT, a zero byte PUT at size-1 (the server
 * fills the gap with zeros); otherwise, the first min(size, old) bytes
 * are read into a temporary file and PUT back whole, padded with zeros
 * (streamed, O(size) traffic; the PUT is conditional on the ETag of that
 * read when if_etag is NULL, so a concurrent write is not undone: -ESTALE).
 * if_etag and new_etag as for webdav_put. */
int webdav_truncate(struct webdav *dav, const char *path, uint64_t size,
		    const char *if_etag, char *new_etag);

/* S3: writes path as a multipart upload of the size bytes at data, in
 * parts of part bytes (the last one shorter): part i is uploaded if
 * dirty[i], else copied on the server (UploadPartCopy) from the version
 * if_etag of the object, which must hold those same bytes and base bytes
 * in all (a part that reaches past base is uploaded).  The copies are
 * conditional on if_etag (x-amz-copy-source-if-match): -ESTALE if the
 * object changed.  Any failure aborts the upload, so none is left behind
 * on the server.  new_etag as for webdav_put.  -EOPNOTSUPP on a DAV or
 * plain HTTP server. */
int webdav_put_parts(struct webdav *dav, const char *path, const void *data,
		     uint64_t size, uint64_t base, const uint8_t *dirty,
		     uint64_t part, const char *if_etag, char *new_etag);
/* S3: how many multipart uploads are in progress under the base (one
 * listing page: at most 1,000), or -errno. */
int webdav_uploads(struct webdav *dav);
/* S3: aborts the multipart uploads that a framefs, killed during them,
 * left under the base, as its journal of uploads in progress on this
 * machine names them (s3.c): how many.  0 elsewhere. */
int webdav_sweep(struct webdav *dav);

/* MKCOL: -EEXIST if anything is there, -ENOENT if the parent is not. */
int webdav_mkcol(struct webdav *dav, const char *path);
/* DELETE: an object, or a collection with everything in it (DAV deletes
 * collections recursively: a caller that wants rmdir's ENOTEMPTY lists
 * first).  if_etag as for webdav_put. */
int webdav_delete(struct webdav *dav, const char *path, const char *if_etag);
/* MOVE / COPY (Depth infinity) to another path under the same base.
 * overwrite false: -EEXIST if to exists; true: to is replaced (a
 * collection with its contents).  -ENOENT if from or to's parent is
 * missing. */
int webdav_move(struct webdav *dav, const char *from, const char *to,
		bool overwrite);
int webdav_copy(struct webdav *dav, const char *from, const char *to,
		bool overwrite);

/* The text of the last request that got no answer (curl's: "SSL
 * certificate problem: ...", "Could not resolve host: ..."), "" if none,
 * into buf. */
void webdav_last_error(struct webdav *dav, char *buf, size_t len);

/* A snapshot of the counters (each exact, the set not atomic). */
void webdav_stats(struct webdav *dav, struct webdav_stats *out);
/* The upper bound in us of the bucket holding the p-quantile (0 < p <= 1)
 * of round trips; 0 if none. */
uint64_t webdav_rtt_quantile_us(const struct webdav_stats *s, double p);
/* "GET", "PUT", ... */
const char *webdav_method_name(enum webdav_method m);
/* The stats as `name value` lines (http_requests_get, http_bytes_in,
 * http_retries, http_rtt_p50_us, ...), as .framefs/stats lists them.
 * Returns the length snprintf would have written. */
int webdav_stats_format(const struct webdav_stats *s, char *buf,
			size_t len);

#endif
