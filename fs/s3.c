/* s3.c - the S3 dialect of the http protocol layer (webdav.h's calls on an
 * S3 bucket), over webdav.c's request engine: the same pooled handles,
 * retries with backoff and jitter (503 SlowDown among them), counters and
 * conditional writes (If-Match: an S3 server is not a DAV server).
 *
 * A bucket, path-style: the base URL is ENDPOINT/BUCKET/PREFIX/ (with
 * virtual-host addressing, SCHEME://BUCKET.HOST/PREFIX/, and requests on
 * the bucket itself go to SCHEME://BUCKET.HOST/) and an
 * object's URL the base plus its path, each segment percent-encoded as
 * SigV4's canonical URI wants it (curl_easy_escape keeps exactly the
 * unreserved characters).  Requests are signed by libcurl
 * (CURLOPT_AWS_SIGV4, set up in webdav.c) with the payload unsigned:
 * curl 7.88 does not send x-amz-content-sha256, without which RGW answers
 * 403 SignatureDoesNotMatch, so every request carries
 * "x-amz-content-sha256: UNSIGNED-PAYLOAD".  curl 7.88 signs the query
 * string as it is, so a query is built here already in SigV4's canonical
 * form: keys sorted, values percent-encoded ('/' too).
 *
 * Directories are what S3 has instead: a name is a directory if objects
 * lie under NAME/ (a common prefix of a delimited listing), or if the
 * empty marker object NAME/ exists (mkdir makes one, so that an empty
 * directory survives).  A listing is ListObjectsV2 with delimiter '/',
 * page after page (continuation tokens), parsed with libxml2.  rename of
 * a file is a server-side copy then a delete, not atomic; of a directory,
 * EXDEV (mv then copies and deletes, file by file).  Objects have no
 * partial writes: the store writes them whole through its spool.
 */
#include "http_int.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define LIST_MAX_BYTES (16u << 20)	/* one page is ~1,000 keys */

/* ---- set up ----------------------------------------------------------- */

/* See webdav.h. */
int s3_keys_read(const char *file, char *key, size_t klen, char *secret,
		 size_t slen, char *token, size_t tlen, char *why,
		 size_t wlen)
{
	const char *profile = getenv("AWS_PROFILE");
	char line[S3_TOKEN_MAX + 64], want[160], iobuf[4096];
	bool in = false;
	int rc = 0;
	FILE *f;

	key[0] = secret[0] = token[0] = '\0';
	if (!file) {
		const char *k = getenv("AWS_ACCESS_KEY_ID");
		const char *s = getenv("AWS_SECRET_ACCESS_KEY");
		const char *t = getenv("AWS_SESSION_TOKEN");

		if (!k || !*k || !s || !*s) {
			snprintf(why, wlen, "no S3 credentials: set "
				 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
				 " or -o credentials=FILE");
			return -1;
		}
		if (t && strlen(t) >= tlen) {
			snprintf(why, wlen, "AWS_SESSION_TOKEN: longer than "
				 "%zu bytes", tlen - 1);
			return -1;
		}
		snprintf(key, klen, "%s", k);
		snprintf(secret, slen, "%s", s);
		snprintf(token, tlen, "%s", t ? t : "");
		return 0;
	}
	snprintf(want, sizeof(want), "[%s]", profile && *profile ? profile :
		 "default");
	f = fopen(file, "r");
	if (!f) {
		snprintf(why, wlen, "-o credentials=%s: %s", file,
			 strerror(errno));
		return -1;
	}
	/* stdio's buffer holds the file too: ours, to be wiped */
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	while (fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t"), *eq, *v, *end;
		char *to = NULL;
		size_t cap = 0;

		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(why, wlen, "-o credentials=%s: a line longer "
				 "than %zu bytes", file, sizeof(line) - 2);
			rc = -1;
			break;
		}
		s[strcspn(s, "\r\n")] = '\0';
		if (*s == '[') {
			in = !strcmp(s, want);
			continue;
		}
		if (!in || !(eq = strchr(s, '=')))
			continue;
		for (end = eq; end > s && (end[-1] == ' ' || end[-1] == '\t');)
			end--;
		*end = '\0';
		v = eq + 1 + strspn(eq + 1, " \t");
		for (end = v + strlen(v);
		     end > v && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';	/* as the AWS tools read it */
		if (!strcmp(s, "aws_access_key_id"))
			to = key, cap = klen;
		else if (!strcmp(s, "aws_secret_access_key"))
			to = secret, cap = slen;
		else if (!strcmp(s, "aws_session_token"))
			to = token, cap = tlen;
		if (!to)
			continue;
		if (strlen(v) >= cap) {
			snprintf(why, wlen, "-o credentials=%s: %s longer "
				 "than %zu bytes", file, s, cap - 1);
			rc = -1;
			break;
		}
		memcpy(to, v, strlen(v) + 1);
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	explicit_bzero(iobuf, sizeof(iobuf));
	if (rc < 0) {
		explicit_bzero(secret, slen);
		explicit_bzero(token, tlen);
		key[0] = '\0';
		return -1;
	}
	if (!key[0] || !secret[0]) {
		snprintf(why, wlen, "-o credentials=%s: no aws_access_key_id "
			 "and aws_secret_access_key under %s", file, want);
		return -1;
	}
	return 0;
}


int s3_setup(struct webdav *dav, const struct webdav_opts *o, char *err,
	     size_t errlen)
{
	const char *path = dav->base_path, *slash, *scheme_end, *host_end;

	if (!o->s3_access_key || !*o->s3_access_key || !o->s3_secret_key) {
		snprintf(err, errlen, "no S3 credentials: set "
			 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
			 "credentials=FILE");
		return -EINVAL;
	}
	while (*path == '/')
		path++;
	slash = strchr(path, '/');
	if (!slash || slash == path) {
		snprintf(err, errlen, "%s: no bucket", dav->base);
		return -EINVAL;
	}
	scheme_end = strstr(dav->base, "://");
	host_end = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
	if (!host_end)
		return -EINVAL;
	dav->origin = strndup(dav->base, (size_t)(host_end - dav->base));
	dav->bucket = strndup(path, (size_t)(slash - path));
	dav->key_prefix = strdup(slash + 1);
	free(dav->user);
	dav->user = strdup(o->s3_access_key);
	if (dav->password) {
		explicit_bzero(dav->password, strlen(dav->password));
		free(dav->password);
	}
	dav->password = strdup(o->s3_secret_key);
	if (o->s3_session_token && *o->s3_session_token &&
	    asprintf(&dav->token_hdr, "x-amz-security-token: %s",
		     o->s3_session_token) < 0)
		dav->token_hdr = NULL;
	if (o->s3_credentials) {
		dav->creds_file = strdup(o->s3_credentials);
		if (stat(o->s3_credentials, &dav->creds_st) < 0)
			memset(&dav->creds_st, 0, sizeof(dav->creds_st));
	}
	if (!dav->origin || !dav->bucket || !dav->key_prefix || !dav->user ||
	    !dav->password || (o->s3_session_token &&
			       *o->s3_session_token && !dav->token_hdr) ||
	    (o->s3_credentials && !dav->creds_file))
		return -ENOMEM;
	if (o->s3_virtual) {
		/* BUCKET.HOST: the base loses /BUCKET, the origin gains it */
		const char *rest = dav->base + strlen(dav->origin) + 1;
		char *origin, *base;

		rest = strchr(rest, '/');	/* past the encoded bucket */
		if (!rest || asprintf(&origin, "%.*s%s.%s",
				      (int)(scheme_end + 3 - dav->base),
				      dav->base, dav->bucket,
				      scheme_end + 3) < 0)
			return -ENOMEM;
		origin[strlen(origin) - strlen(host_end)] = '\0';
		if (asprintf(&base, "%s%s", origin, rest) < 0) {
			free(origin);
			return -ENOMEM;
		}
		free(dav->origin);
		free(dav->base);
		dav->origin = origin;
		dav->base = base;
		dav->s3_virtual = true;
	}
	snprintf(dav->region, sizeof(dav->region), "%s",
		 o->s3_region && *o->s3_region ? o->s3_region : "us-east-1");
	snprintf(dav->sigv4, sizeof(dav->sigv4), "aws:amz:%s:s3",
		 dav->region);
	dav->s3 = true;
	return 0;
}

/* The file's identity and times, to tell whether it changed. */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The refused keys' replacement, if the credentials file has one: keys
 * rotated by their owner, or temporary credentials renewed by whatever
 * writes the file (aws sso, a credential helper).  The file is read only
 * if it changed since it was last read (many refusals are not about the
 * keys: a bucket policy, a HEAD without ListBucket), and never under
 * creds_lock, which every request takes.  See http_int.h. */
int s3_keys_again(struct webdav *dav, uint32_t gen)
{
	char key[128], secret[256], why[400], *token, *hdr = NULL;
	char *nuser = NULL, *npass = NULL;
	struct stat st;
	bool same;
	int rc = 0;

	if (!dav->creds_file)
		return 0;
	if (stat(dav->creds_file, &st) < 0)
		memset(&st, 0, sizeof(st));	/* "changed": read, and say */
	pthread_mutex_lock(&dav->creds_lock);
	rc = dav->creds_gen != gen;	/* another request took new keys */
	same = same_file(&st, &dav->creds_st);
	if (!rc && !same)
		dav->creds_st = st;	/* read once per change */
	pthread_mutex_unlock(&dav->creds_lock);
	if (rc || same || !(token = malloc(S3_TOKEN_MAX)))
		return rc;
	if (s3_keys_read(dav->creds_file, key, sizeof(key), secret,
			 sizeof(secret), token, S3_TOKEN_MAX, why,
			 sizeof(why)) < 0) {
		dav_say(dav, "the server refused the S3 keys; %s", why);
		goto out;
	}
	if (token[0] && asprintf(&hdr, "x-amz-security-token: %s", token) < 0) {
		hdr = NULL;
		goto out;
	}
	if (!(nuser = strdup(key)) || !(npass = strdup(secret)))
		goto out;
	pthread_mutex_lock(&dav->creds_lock);
	if (dav->creds_gen != gen) {
		rc = 1;		/* another request took new keys */
	} else if (strcmp(key, dav->user) || strcmp(secret, dav->password) ||
		   strcmp(hdr ? hdr : "",
			  dav->token_hdr ? dav->token_hdr : "")) {
		char *old_pass = dav->password, *old_hdr = dav->token_hdr;

		free(dav->user);
		dav->user = nuser;
		dav->password = npass;
		dav->token_hdr = hdr;
		nuser = npass = hdr = NULL;
		dav->creds_gen++;
		rc = 2;
		npass = old_pass;	/* wiped below, out of the lock */
		hdr = old_hdr;
	}
	pthread_mutex_unlock(&dav->creds_lock);
	if (rc == 2) {
		ADD(dav, keys_reread, 1);
		dav_say(dav, "the server refused the S3 keys; took the new ones "
			"in %s", dav->creds_file);
		rc = 1;
	}
	/* else the same keys: the refusal stands */
out:
	free(nuser);
	if (npass) {
		explicit_bzero(npass, strlen(npass));
		free(npass);
	}
	if (hdr) {
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
	}
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(token, S3_TOKEN_MAX);
	free(token);
	return rc;
}

/* ---- listing ---------------------------------------------------------- */

/* s, percent-encoded whole ('/' too), appended to out at *n. */
static int append_enc(char *out, size_t len, size_t *n, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	size_t k;

	if (!e)
		return -ENOMEM;
	k = strlen(e);
	if (*n + k + 1 > len) {
		curl_free(e);
		return -ENAMETOOLONG;
	}
	memcpy(out + *n, e, k + 1);
	*n += k;
	curl_free(e);
	return 0;
}

/* The bucket's URL, for a request on the bucket itself (a listing),
 * into out; its length in *n. */
static int bucket_url(struct webdav *dav, char *out, size_t len, size_t *n)
{
	*n = (size_t)snprintf(out, len, "%s/", dav->origin);
	if (*n >= len)
		return -ENAMETOOLONG;
	return dav->s3_virtual ? 0 : append_enc(out, len, n, dav->bucket);
}

static bool is_s3(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       (!n->ns || !n->ns->href ||
		!strcmp((const char *)n->ns->href, S3_NS)) &&
	       !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (is_s3(c, name))
			return c;
	return NULL;
}

/* The text of n's child name, or "" (xmlFree it unless it is ""). */
static char *child_text(const xmlNode *n, const char *name)
{
	const xmlNode *c = child(n, name);
	char *t = c ? (char *)xmlNodeGetContent(c) : NULL;

	if (t && !*t) {
		xmlFree(t);	/* <ETag></ETag>: "" is never freed */
		t = NULL;
	}
	return t ? t : (char *)"";
}

static void text_free(char *t)
{
	if (t && *t)
		xmlFree(t);
}

/* "2026-12-06T03:38:31.459Z" -> seconds, or -1. */
static int64_t iso_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	return end ? (int64_t)timegm(&tm) : -1;
}

struct listing {
	const char *prefix;	/* the listed prefix, decoded */
	webdav_list_cb cb;
	void *arg;
	bool any;		/* any key or common prefix, marker included */
	int stop;		/* what cb returned, if not 0 */
};

/* One page: calls l->cb for each member; *token gets the continuation
 * token of the next page ("" for the last). */
static int parse_page(struct listing *l, const char *xml, size_t len,
		      char *token, size_t toklen)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOBLANKS |
					    XML_PARSE_NOERROR |
					    XML_PARSE_NOWARNING);
	const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	size_t plen = strlen(l->prefix);
	char *trunc, *next;

	token[0] = '\0';
	if (!root || !is_s3(root, "ListBucketResult")) {
		xmlFreeDoc(doc);
		return -EIO;
	}
	for (const xmlNode *c = root->children; c && !l->stop; c = c->next) {
		struct webdav_attr a = { .mtime = -1 };
		char *key, *t;
		size_t k;

		if (is_s3(c, "Contents")) {
			key = child_text(c, "Key");
			if (strncmp(key, l->prefix, plen) ||
			    strchr(key + plen, '/')) {
				text_free(key);
				continue;
			}
			l->any = true;
			if (!key[plen]) {	/* the directory's marker */
				text_free(key);
				continue;
			}
			t = child_text(c, "Size");
			a.size = strtoull(t, NULL, 10);
			text_free(t);
			t = child_text(c, "LastModified");
			a.mtime = iso_time(t);
			text_free(t);
			t = child_text(c, "ETag");
			snprintf(a.etag, sizeof(a.etag), "%s", t);
			text_free(t);
			l->stop = l->cb(l->arg, key + plen, &a);
			text_free(key);
		} else if (is_s3(c, "CommonPrefixes")) {
			key = child_text(c, "Prefix");
			k = strlen(key);
			l->any = true;
			if (strncmp(key, l->prefix, plen) || k <= plen + 1 ||
			    key[k - 1] != '/') {
				text_free(key);
				continue;
			}
			key[k - 1] = '\0';
			a.is_dir = true;
			l->stop = l->cb(l->arg, key + plen, &a);
			text_free(key);
		}
	}
	trunc = child_text(root, "IsTruncated");
	next = child_text(root, "NextContinuationToken");
	if (!strcmp(trunc, "true"))
		snprintf(token, toklen, "%s", next);
	text_free(trunc);
	text_free(next);
	xmlFreeDoc(doc);
	return 0;
}

/* ListObjectsV2 of prefix (decoded, relative to the bucket) with
 * delimiter '/'; max 0: every page, else one page of at most max keys. */
static int list_prefix(struct webdav *dav, struct listing *l, unsigned max)
{
	char url[URL_MAX], token[1024] = "", num[32];
	int rc;

	do {
		struct req r = { .m = WEBDAV_GET, .idempotent = true,
				 .sink = SINK_MEM, .dn_max = LIST_MAX_BYTES };
		size_t n;

		/* SigV4's canonical query: keys in order, values encoded */
		if ((rc = bucket_url(dav, url, sizeof(url), &n)) < 0)
			return rc;
		n += (size_t)snprintf(url + n, sizeof(url) - n, "?");
		if (token[0]) {
			n += (size_t)snprintf(url + n, sizeof(url) - n,
					      "continuation-token=");
			if ((rc = append_enc(url, sizeof(url), &n, token)) < 0)
				return rc;
			n += (size_t)snprintf(url + n, sizeof(url) - n, "&");
		}
		n += (size_t)snprintf(url + n, sizeof(url) - n,
				      "delimiter=%%2F&list-type=2&");
		if (max) {
			snprintf(num, sizeof(num), "max-keys=%u&", max);
			n += (size_t)snprintf(url + n, sizeof(url) - n, "%s",
					      num);
		}
		n += (size_t)snprintf(url + n, sizeof(url) - n, "prefix=");
		if (n >= sizeof(url) ||
		    (rc = append_enc(url, sizeof(url), &n, l->prefix)) < 0)
			return n >= sizeof(url) ? -ENAMETOOLONG : rc;
		r.url = url;
		r.path = l->prefix;
		rc = dav_do_req(dav, &r);
		if (rc == 200)
			rc = r.mem ? parse_page(l, r.mem, r.mem_len, token,
						sizeof(token))
				   : -EIO;
		if (rc == -EIO)
			dav_say(dav, "GET /?list-type=2&prefix=%s: not a "
				"listing", l->prefix);
		rc = dav_finish(dav, &r, rc, false);
		dav_req_done(&r);
	} while (rc == 0 && token[0] && !max && !l->stop);
	return rc;
}

/* key_prefix + path + "/" ("" + key_prefix for the root); malloc'd. */
static char *dir_prefix(struct webdav *dav, const char *path)
{
	size_t n = strlen(dav->key_prefix) + strlen(path) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s%s", dav->key_prefix, path,
			 *path ? "/" : "");
	return p;
}

static int count_cb(void *arg, const char *name,
		    const struct webdav_attr *a)
{
	(void)arg;
	(void)name;
	(void)a;
	return 1;	/* one is enough */
}

/* Is there anything under path/ (a marker or members)?  1, 0, -errno. */
static int dir_exists(struct webdav *dav, const char *path, bool members)
{
	char *p = dir_prefix(dav, path);
	struct listing l = { .cb = count_cb };
	int rc;

	if (!p)
		return -ENOMEM;
	l.prefix = p;
	rc = list_prefix(dav, &l, members ? 2 : 1);
	free(p);
	if (rc < 0)
		return rc;
	return members ? l.stop != 0 : l.any;
}

int s3_list(struct webdav *dav, const char *path, webdav_list_cb cb,
	    void *arg)
{
	char *p = dir_prefix(dav, path);
	struct listing l = { .cb = cb, .arg = arg };
	struct webdav_attr a;
	int rc;

	if (!p)
		return -ENOMEM;
	l.prefix = p;
	rc = list_prefix(dav, &l, 0);
	free(p);
	if (rc < 0)
		return rc;
	if (l.stop)
		return l.stop;
	if (!l.any && *path) {
		/* nothing under it: a file, or nothing at all */
		rc = dav_head_stat(dav, path, &a);
		return rc == 0 ? -ENOTDIR : rc;
	}
	return 0;
}

/* ---- objects ---------------------------------------------------------- */

int s3_stat(struct webdav *dav, const char *path, struct webdav_attr *a)
{
	int rc;

	memset(a, 0, sizeof(*a));
	a->mtime = -1;
	if (!*path) {
		a->is_dir = true;	/* the bucket's prefix: the probe
					 * saw it */
		return 0;
	}
	rc = dav_head_stat(dav, path, a);
	if (rc != -ENOENT)
		return rc;
	rc = dir_exists(dav, path, false);
	if (rc < 0)
		return rc;
	if (!rc)
		return -ENOENT;
	memset(a, 0, sizeof(*a));
	a->is_dir = true;
	a->mtime = -1;
	return 0;
}

/* An empty PUT of path (with extra header line, or NULL). */
static int put_empty(struct webdav *dav, const char *path, const char *line,
		     bool check_body)
{
	struct req r = { .m = WEBDAV_PUT, .path = path, .idempotent = true,
			 .sink = check_body ? SINK_MEM : SINK_NONE,
			 .dn_max = 1 << 16 };
	int rc = line ? dav_add_hdr(&r, line) : 0;

	if (rc == 0)
		rc = dav_do_req(dav, &r);
	/* a copy can fail after its 200 has gone out: the body says */
	if (rc == 200 && check_body && r.mem && strstr(r.mem, "<Error>")) {
		dav_say(dav, "PUT /%s: the copy failed: %.200s", path, r.mem);
		rc = -EIO;
	}
	rc = dav_finish(dav, &r, rc, false);
	dav_req_done(&r);
	return rc;
}

static int delete_key(struct webdav *dav, const char *path)
{
	struct req r = { .m = WEBDAV_DELETE, .path = path,
			 .idempotent = true };
	int rc = dav_do_req(dav, &r);

	if (rc == 404)
		rc = 204;	/* gone is gone */
	rc = dav_finish(dav, &r, rc, false);
	dav_req_done(&r);
	return rc;
}

/* The parent directory of path exists (the root does). */
static int parent_exists(struct webdav *dav, const char *path)
{
	const char *s = strrchr(path, '/');
	struct webdav_attr a;
	char *par;
	int rc;

	if (!s)
		return 0;
	par = strndup(path, (size_t)(s - path));
	if (!par)
		return -ENOMEM;
	rc = s3_stat(dav, par, &a);
	free(par);
	if (rc == 0 && !a.is_dir)
		rc = -ENOTDIR;
	return rc;
}

int s3_mkdir(struct webdav *dav, const char *path)
{
	struct webdav_attr a;
	size_t n = strlen(path);
	char *marker;
	int rc;

	while (n && path[n - 1] == '/')
		n--;
	rc = s3_stat(dav, path, &a);
	if (rc == 0)
		return -EEXIST;
	if (rc != -ENOENT)
		return rc;
	if ((rc = parent_exists(dav, path)) < 0)
		return rc;
	marker = malloc(n + 2);
	if (!marker)
		return -ENOMEM;
	memcpy(marker, path, n);
	memcpy(marker + n, "/", 2);
	rc = put_empty(dav, marker, NULL, false);
	free(marker);
	return rc;
}

int s3_delete(struct webdav *dav, const char *path)
{
	struct webdav_attr a;
	char *marker;
	int rc = s3_stat(dav, path, &a);

	if (rc < 0)
		return rc;
	if (!a.is_dir)
		return delete_key(dav, path);
	rc = dir_exists(dav, path, true);
	if (rc < 0)
		return rc;
	if (rc)
		return -ENOTEMPTY;
	if (asprintf(&marker, "%s/", path) < 0)
		return -ENOMEM;
	rc = delete_key(dav, marker);
	free(marker);
	return rc;
}

/* x-amz-copy-source of path: /BUCKET/KEY, each segment encoded. */
static int copy_source(struct webdav *dav, const char *path, char *src,
		       size_t len)
{
	char *key = NULL, *seg, *save = NULL;
	size_t n = 1;
	int rc = 0;

	src[0] = '/';
	src[1] = '\0';
	if ((rc = append_enc(src, len, &n, dav->bucket)) < 0)
		return rc;
	if (asprintf(&key, "%s%s", dav->key_prefix, path) < 0)
		return -ENOMEM;
	for (seg = strtok_r(key, "/", &save); seg && rc == 0;
	     seg = strtok_r(NULL, "/", &save)) {
		if (n + 2 > len) {
			rc = -ENAMETOOLONG;
			break;
		}
		src[n++] = '/';
		src[n] = '\0';
		rc = append_enc(src, len, &n, seg);
	}
	free(key);
	return rc;
}

int s3_move(struct webdav *dav, const char *from, const char *to,
	    bool overwrite, bool keep_source)
{
	char src[URL_MAX], line[URL_MAX + 32];
	struct webdav_attr a;
	int rc;

	if ((rc = s3_stat(dav, from, &a)) < 0)
		return rc;
	if (a.is_dir)
		return -EXDEV;	/* one copy per object: mv does it */
	rc = s3_stat(dav, to, &a);
	if (rc == 0 && (!overwrite || a.is_dir))
		return a.is_dir ? -EISDIR : -EEXIST;
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if ((rc = parent_exists(dav, to)) < 0)
		return rc;
	if ((rc = copy_source(dav, from, src, sizeof(src))) < 0)
		return rc;
	snprintf(line, sizeof(line), "x-amz-copy-source: %s", src);
	rc = put_empty(dav, to, line, true);
	if (rc == 0 && !keep_source)
		rc = delete_key(dav, from);
	return rc;
}

/* ---- multipart uploads ------------------------------------------------ */

/* SigV4 by hand, for the one request curl 7.88 signs wrongly: it orders
 * the signed headers by their whole "name:value" lines, and the ':' after
 * x-amz-copy-source sorts after the '-' of x-amz-copy-source-range, where
 * SigV4 orders by name (403 SignatureDoesNotMatch, measured).  hdrs:
 * n "name:value" lines, names lowercase, in SigV4's order, none of them
 * host, x-amz-content-sha256 or x-amz-date (added here, with
 * Authorization).  The payload is unsigned, as for every request. */
static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void hmac(const void *key, size_t klen, const char *msg,
		 unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	     strlen(msg), out, &n);
}

static int sign_here(struct webdav *dav, struct req *r, const char *method,
		     const char *url, const char *const *hdrs, int n)
{
	const char *host = strstr(dav->origin, "://") + 3;
	const char *upath = url + strlen(dav->origin), *q = strchr(upath, '?');
	char date[32], day[16], line[512], hash[65], sig[65], key[128];
	char *creq = NULL, *names = NULL, *canon = NULL, *sts = NULL;
	char *token = NULL;
	unsigned char k[32], d[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t clen = 0, nlen = 0;
	bool had_token;
	FILE *f;
	int rc = -ENOMEM;

	/* The keys, as one (s3_keys_again may replace them).  A session
	 * token is signed too (S3 wants every x-amz-* header signed), and
	 * its header added here, the very one signed: creds_take leaves a
	 * request signed here alone. */
	pthread_mutex_lock(&dav->creds_lock);
	snprintf(line, sizeof(line), "AWS4%s", dav->password);
	snprintf(key, sizeof(key), "%s", dav->user);
	had_token = dav->token_hdr != NULL;
	if (had_token)
		token = strdup(dav->token_hdr +
			       strlen("x-amz-security-token: "));
	r->creds_gen = dav->creds_gen;	/* the keys signed with */
	pthread_mutex_unlock(&dav->creds_lock);
	if (had_token && !token)
		goto out;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	/* the canonical headers and their names, in order */
	if (!(f = open_memstream(&canon, &clen)))
		goto out;
	fprintf(f, "host:%s\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n", host);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s\n", hdrs[i]);
	fprintf(f, "x-amz-date:%s\n", date);
	if (token)
		fprintf(f, "x-amz-security-token:%s\n", token);
	fclose(f);
	if (!(f = open_memstream(&names, &nlen)))
		goto out;
	fprintf(f, "host;x-amz-content-sha256");
	for (int i = 0; i < n; i++)
		fprintf(f, ";%.*s", (int)strcspn(hdrs[i], ":"), hdrs[i]);
	fprintf(f, ";x-amz-date%s", token ? ";x-amz-security-token" : "");
	fclose(f);
	if (asprintf(&creq, "%s\n%.*s\n%s\n%s\n%s\nUNSIGNED-PAYLOAD", method,
		     q ? (int)(q - upath) : (int)strlen(upath), upath,
		     q ? q + 1 : "", canon, names) < 0) {
		creq = NULL;
		goto out;
	}
	SHA256((const unsigned char *)creq, strlen(creq), d);
	hex(d, 32, hash);
	if (asprintf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s",
		     date, day, dav->region, hash) < 0) {
		sts = NULL;
		goto out;
	}
	hmac(line, strlen(line), day, k);
	explicit_bzero(line, sizeof(line));
	hmac(k, 32, dav->region, k);
	hmac(k, 32, "s3", k);
	hmac(k, 32, "aws4_request", k);
	hmac(k, 32, sts, d);
	explicit_bzero(k, sizeof(k));
	hex(d, 32, sig);
	r->own_auth = true;
	snprintf(line, sizeof(line), "Host: %s", host);
	if ((rc = dav_add_hdr(r, line)) < 0)
		goto out;
	snprintf(line, sizeof(line), "x-amz-date: %s", date);
	if ((rc = dav_add_hdr(r, line)) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		size_t k2 = strcspn(hdrs[i], ":");
		char *h;

		/* as long as the value signed: a key's path can be long */
		if (asprintf(&h, "%.*s: %s", (int)k2, hdrs[i],
			     hdrs[i] + k2 + 1) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		rc = dav_add_hdr(r, h);
		free(h);
		if (rc < 0)
			goto out;
	}
	{
		char *auth;

		if (asprintf(&auth, "Authorization: AWS4-HMAC-SHA256 "
			     "Credential=%s/%s/%s/s3/aws4_request, "
			     "SignedHeaders=%s, Signature=%s", key, day,
			     dav->region, names, sig) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		rc = dav_add_hdr(r, auth);
		free(auth);
	}
	if (rc == 0 && token) {
		char *h;

		if (asprintf(&h, "x-amz-security-token: %s", token) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		rc = dav_add_hdr(r, h);
		explicit_bzero(h, strlen(h));
		free(h);
	}
out:
	explicit_bzero(line, sizeof(line));
	if (creq)
		explicit_bzero(creq, strlen(creq));
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	if (canon)
		explicit_bzero(canon, clen);
	free(canon);
	free(names);
	free(creq);
	free(sts);
	return rc;
}

/* The text of the child name of xml's root element, if the root is
 * root_name, into out ("" if it has none); -EIO with a log line for an <Error> (an S3 server
 * can answer 200 and fail afterwards) or anything else. */
static int result_text(struct webdav *dav, const struct req *r,
		       const char *root_name, const char *name, char *out,
		       size_t outlen)
{
	xmlDoc *doc;
	const xmlNode *root;
	int rc = -EIO;

	if (!r->mem)
		return -EIO;
	doc = xmlReadMemory(r->mem, (int)r->mem_len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOBLANKS |
				    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root && is_s3(root, root_name)) {
		char *t = child_text(root, name);

		snprintf(out, outlen, "%s", t);
		text_free(t);
		rc = 0;
	} else if (root && is_s3(root, "Error")) {
		char *code = child_text(root, "Code");

		rc = !strcmp(code, "PreconditionFailed") ? -ESTALE : -EIO;
		dav_say(dav, "%s /%s: %s", webdav_method_name(r->m), r->path,
			*code ? code : "an error");
		text_free(code);
	}
	if (rc == -EIO && !(root && is_s3(root, "Error")))
		dav_say(dav, "%s /%s: no %s in the answer: %.600s",
			webdav_method_name(r->m), r->path, root_name, r->mem);
	xmlFreeDoc(doc);
	return rc;
}

struct upload {
	struct webdav *dav;
	const char *path;
	char url[URL_MAX];		/* the object's */
	char id[1024];			/* UploadId, encoded */
	char src[URL_MAX];		/* x-amz-copy-source */
	char (*etags)[WEBDAV_ETAG_MAX];	/* per part */
	char jpath[64];			/* its journal entry's name, or "" */
};

/* ---- the journal of uploads in progress --------------------------------
 *
 * A multipart upload keeps its parts on the server, unseen by listings,
 * until it is completed or aborted.  A failed one is aborted at once
 * (s3_put_parts); a daemon killed during one cannot abort it, so each
 * upload is written down, while it runs, in a journal entry on this
 * machine, and the next writable mount of the bucket aborts those whose
 * daemon is gone (s3_sweep, from store_http_new).  An entry is one file
 * in $XDG_STATE_HOME/framefs/s3-uploads (the user's ~/.local/state, from
 * the password file, without it; every level below the base opened
 * without following links, the last two made 0700 and checked to be the
 * user's own): the object's URL, the upload id, and the daemon's pid,
 * the kernel's start time of that pid, the boot and the host name, so
 * that an entry of a daemon still running (a second mount of the
 * bucket), or of another machine that shares the home directory, is left
 * alone, and a reused pid is not taken for its daemon.  Only uploads a
 * framefs started are ended: another client's, which
 * ListMultipartUploads would show, are not the mount's to end.  An entry
 * that cannot be written costs only that: the upload goes on, and a
 * failure still aborts it. */

#define JOURNAL_MAGIC "framefs-s3-upload 2"

/* The kernel's start time of pid (field 22 of /proc/PID/stat), or 0. */
static unsigned long long proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after the command's ")": state is field 3, start time field 22 */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
			  "%*u %*d %*d %*d %*d %*d %*d %llu", &t) != 1)
		return 0;
	return t;
}

/* "BOOT_ID HOSTNAME" of this machine's current boot, into out. */
static void this_boot(char *out, size_t len)
{
	char id[64] = "-", host[256] = "-";
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, id, sizeof(id) - 1);

		id[n > 0 ? n : 0] = '\0';
		id[strcspn(id, "\n ")] = '\0';
		close(fd);
	}
	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "-");
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, "\n ")] = '\0';
	snprintf(out, len, "%s %s", id[0] ? id : "-", host);
}

/* One level of the journal's path: name in dir, made (0700) if missing,
 * opened without following a link; own: it must be the user's, and
 * nobody else's to enter.  The new fd, or -errno; dir is closed. */
static int journal_level(int dir, const char *name, bool own)
{
	struct stat st;
	int fd;

	if (mkdirat(dir, name, 0700) < 0 && errno != EEXIST) {
		int e = errno;

		close(dir);
		return -e;
	}
	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			       O_CLOEXEC);
	close(dir);
	if (fd < 0)
		return -errno;
	if (own && (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
		    (st.st_mode & 077))) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* The journal's directory, open: an fd, or -errno. */
static int journal_dir(void)
{
	static const char *const below[] = { ".local", "state", "framefs",
					     "s3-uploads" };
	const char *x = getenv("XDG_STATE_HOME");
	struct passwd pw, *pp = NULL;
	char pwbuf[4096];
	struct stat st;
	int fd, first = 2;

	if (x && *x == '/') {
		fd = open(x, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &pp) ||
		    !pp || pp->pw_dir[0] != '/')
			return -ENOENT;
		fd = open(pp->pw_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		first = 0;
	}
	if (fd < 0)
		return -errno;
	/* the base is the user's: never a tree another user may change */
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		close(fd);
		return -EPERM;
	}
	for (int i = first; i < 4 && fd >= 0; i++)
		fd = journal_level(fd, below[i], i >= 2);
	return fd;
}

/* Writes u's entry (after its upload began): under a name a sweep does
 * not read, renamed into place once whole. */
static void journal_add(struct upload *u)
{
	static unsigned seq;
	char body[URL_MAX + 1600], boot[400], tmp[64];
	unsigned k = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	int dir, fd, n;

	u->jpath[0] = '\0';
	if ((dir = journal_dir()) < 0) {
		dav_say(u->dav, "/%s: no journal of uploads (%s): a daemon "
			"killed during this one leaves it on the server",
			u->path, strerror(-dir));
		return;
	}
	this_boot(boot, sizeof(boot));
	snprintf(tmp, sizeof(tmp), "%d-%u.new", (int)getpid(), k);
	snprintf(u->jpath, sizeof(u->jpath), "%d-%u.upload", (int)getpid(),
		 k);
	n = snprintf(body, sizeof(body), JOURNAL_MAGIC "\n%d %llu %s\n%s\n%s\n",
		     (int)getpid(), proc_start(getpid()), boot, u->url, u->id);
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			      O_CLOEXEC, 0600);
	if (fd < 0 || n < 0 || (size_t)n >= sizeof(body) ||
	    write(fd, body, (size_t)n) != n || fsync(fd) < 0 ||
	    renameat(dir, tmp, dir, u->jpath) < 0) {
		dav_say(u->dav, "journal of uploads: %s", strerror(errno));
		if (fd >= 0)
			unlinkat(dir, tmp, 0);
		u->jpath[0] = '\0';
	}
	if (fd >= 0)
		close(fd);
	close(dir);
}

static void journal_del(struct upload *u)
{
	int dir;

	if (u->jpath[0] && (dir = journal_dir()) >= 0) {
		unlinkat(dir, u->jpath, 0);
		close(dir);
	}
	u->jpath[0] = '\0';
}

/* The host name of a "BOOT_ID HOSTNAME" (this_boot). */
static const char *host_of(const char *boot)
{
	const char *h = strchr(boot, ' ');

	return h ? h + 1 : "";
}

/* An entry's URL tail and id are what this file writes: percent-encoded
 * segments (no query, no fragment, no dot segment) and an encoded id. */
static bool journal_sane(const char *tail, const char *id)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				 "qrstuvwxyz0123456789%-._~";

	if (!*tail || !*id || id[strspn(id, ok)])
		return false;
	for (const char *seg = tail; *seg;) {
		size_t k = strcspn(seg, "/");

		/* only encoded characters; not "." or ".." */
		if (strspn(seg, ok) != k || ((k == 1 || k == 2) &&
					     strspn(seg, ".") == k))
			return false;
		seg += k + (seg[k] == '/');
	}
	return true;
}

/* POST ?uploads: the upload's id. */
static int upload_start(struct upload *u)
{
	char url[URL_MAX + 16], id[1024] = "";
	struct req r = { .m = WEBDAV_POST, .path = u->path, .url = url,
			 .sink = SINK_MEM, .dn_max = 1 << 16 };
	size_t n = 0;
	int rc;

	snprintf(url, sizeof(url), "%s?uploads=", u->url);
	rc = dav_add_hdr(&r, "Content-Type: application/octet-stream");
	if (rc == 0)
		rc = dav_do_req(u->dav, &r);
	if (rc == 200)
		rc = result_text(u->dav, &r, "InitiateMultipartUploadResult",
				 "UploadId", id, sizeof(id));
	if (rc == 0 && !id[0]) {
		dav_say(u->dav, "POST /%s?uploads: no UploadId", u->path);
		rc = -EIO;
	}
	rc = dav_finish(u->dav, &r, rc, false);
	dav_req_done(&r);
	if (rc == 0 && (rc = append_enc(u->id, sizeof(u->id), &n, id)) < 0)
		u->id[0] = '\0';	/* an id too long to send: none to abort */
	return rc;
}

/* Part i (numbered from 1 on the wire) of [off, off+len): sent from data,
 * or copied from the object's version if_etag when data is NULL.  A copy
 * is signed here, not by curl: refused, it is signed again and sent once
 * more if the credentials file holds new keys (as dav_do_req does for
 * the requests curl signs). */
static int upload_part(struct upload *u, int i, const void *data,
		       uint64_t off, uint64_t len, const char *if_etag)
{
	char url[URL_MAX + 1100], range[64], cond[WEBDAV_ETAG_MAX + 40],
		copy[URL_MAX + 24];
	struct iovec v = { (void *)data, (size_t)len };
	struct req r;
	bool keys_retried = false;
	int rc;

again:
	memset(&r, 0, sizeof(r));
	r.m = WEBDAV_PUT;
	r.path = u->path;
	r.url = url;
	r.idempotent = true;
	rc = 0;
	snprintf(url, sizeof(url), "%s?partNumber=%d&uploadId=%s", u->url,
		 i + 1, u->id);
	if (data) {
		r.up_iov = &v;
		r.up_n = 1;
		r.up_len = len;
	} else {
		const char *h[3] = { copy, cond, range };

		snprintf(copy, sizeof(copy), "x-amz-copy-source:%s", u->src);
		snprintf(cond, sizeof(cond), "x-amz-copy-source-if-match:%s",
			 if_etag);
		snprintf(range, sizeof(range),
			 "x-amz-copy-source-range:bytes=%llu-%llu",
			 (unsigned long long)off,
			 (unsigned long long)(off + len - 1));
		r.sink = SINK_MEM;
		r.dn_max = 1 << 16;
		rc = sign_here(u->dav, &r, "PUT", url, h, 3);
	}
	if (rc == 0)
		rc = dav_do_req(u->dav, &r);
	if (!data && (rc == 403 || rc == 400) && !keys_retried &&
	    s3_keys_again(u->dav, r.creds_gen)) {
		keys_retried = true;
		dav_req_done(&r);
		goto again;
	}
	if (rc == 200 && !data)
		rc = result_text(u->dav, &r, "CopyPartResult", "ETag",
				 u->etags[i], WEBDAV_ETAG_MAX);
	if (rc == 0 && !data && !u->etags[i][0])
		rc = -EIO;
	else if (rc == 200 && data && !r.etag[0]) {
		dav_say(u->dav, "PUT /%s: part %d: no ETag", u->path, i + 1);
		rc = -EIO;
	} else if (rc == 200)
		snprintf(u->etags[i], WEBDAV_ETAG_MAX, "%s", r.etag);
	rc = dav_finish(u->dav, &r, rc, !data);
	dav_req_done(&r);
	if (rc == 0)
		ADD(u->dav, parts_put, data ? 1 : 0);
	if (rc == 0)
		ADD(u->dav, parts_copied, data ? 0 : 1);
	return rc;
}

/* The ETag S3 gives an object made of nparts parts: the MD5 of their
 * MD5s, then "-N" (AWS's rule, RGW's too); "" if a part's ETag is not
 * the hex MD5 it should be. */
static void multipart_etag(const struct upload *u, int nparts, char *out,
			   size_t len)
{
	unsigned char *all = malloc((size_t)nparts * 16), md[16];
	char hexmd[33];
	unsigned int mdlen = 16;

	out[0] = '\0';
	if (!all)
		return;
	for (int i = 0; i < nparts; i++) {
		const char *e = u->etags[i];

		if (*e == '"')
			e++;
		for (int k = 0; k < 16; k++) {
			unsigned int byte;

			if (sscanf(e + 2 * k, "%2x", &byte) != 1) {
				free(all);
				return;
			}
			all[i * 16 + k] = (unsigned char)byte;
		}
	}
	if (EVP_Digest(all, (size_t)nparts * 16, md, &mdlen, EVP_md5(),
		       NULL) == 1 && mdlen == 16) {
		hex(md, 16, hexmd);
		snprintf(out, len, "\"%s-%d\"", hexmd, nparts);
	}
	free(all);
}

/* POST ?uploadId: the parts in order make the object, if it is still
 * if_etag (If-Match: AWS checks it; RGW 16 takes no notice). */
static int upload_complete(struct upload *u, int nparts, const char *if_etag,
			   char *new_etag)
{
	char url[URL_MAX + 1100], etag[WEBDAV_ETAG_MAX] = "";
	struct req r = { .m = WEBDAV_POST, .path = u->path, .url = url,
			 .sink = SINK_MEM, .dn_max = 1 << 16,
			 .idempotent = true };
	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	int rc;

	if (!f)
		return -ENOMEM;
	fprintf(f, "<CompleteMultipartUpload xmlns=\"%s\">", S3_NS);
	for (int i = 0; i < nparts; i++)
		fprintf(f, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag>"
			   "</Part>", i + 1, u->etags[i]);
	fprintf(f, "</CompleteMultipartUpload>");
	if (fclose(f) != 0) {
		free(body);
		return -ENOMEM;
	}
	snprintf(url, sizeof(url), "%s?uploadId=%s", u->url, u->id);
	r.body = body;
	rc = dav_add_hdr(&r, "Content-Type: application/xml");
	if (rc == 0 && LOAD(&u->dav->s3_if_match) != S3_IF_MATCH_NONE)
		rc = dav_add_if(u->dav, &r, if_etag);
	if (rc == 0)
		rc = dav_do_req(u->dav, &r);
	if (rc == 200)
		rc = result_text(u->dav, &r, "CompleteMultipartUploadResult",
				 "ETag", etag, sizeof(etag));
	rc = dav_finish(u->dav, &r, rc, true);
	dav_req_done(&r);
	free(body);
	if (rc == 0 && !etag[0])
		multipart_etag(u, nparts, etag, sizeof(etag));
	if (rc == 0 && !etag[0]) {
		struct webdav_attr a;

		/* RGW 16 answers <ETag></ETag>, and a part's ETag was not an
		 * MD5: ask (a write by another in between would be taken for
		 * ours, a window of one RTT) */
		if ((rc = dav_head_stat(u->dav, u->path, &a)) == 0)
			snprintf(etag, sizeof(etag), "%s", a.etag);
	}
	if (rc == 0 && new_etag)
		snprintf(new_etag, WEBDAV_ETAG_MAX, "%s", etag);
	return rc;
}

/* DELETE ?uploadId: the server drops the parts.  0 (or none was there)
 * or -errno. */
static int upload_abort(struct upload *u)
{
	char url[URL_MAX + 1100];
	struct req r = { .m = WEBDAV_DELETE, .path = u->path, .url = url,
			 .idempotent = true };
	int rc;

	snprintf(url, sizeof(url), "%s?uploadId=%s", u->url, u->id);
	rc = dav_do_req(u->dav, &r);
	if (rc == 404)
		rc = 204;	/* none: never made, or gone */
	rc = dav_finish(u->dav, &r, rc, false);
	dav_req_done(&r);
	if (rc < 0)
		dav_say(u->dav, "/%s: a multipart upload could not be "
			"aborted (%s): its parts stay on the server until it "
			"is", u->path, strerror(-rc));
	else
		ADD(u->dav, multipart_aborted, 1);
	return rc;
}

/* path is still the version etag: 0, -ESTALE (with the log line of a
 * 412), or -errno. */
static int still(struct webdav *dav, const char *path, const char *etag)
{
	struct webdav_attr a;
	int rc = dav_head_stat(dav, path, &a);

	if (rc == -ENOENT || (rc == 0 && !webdav_etag_same(a.etag, etag))) {
		ADD(dav, stale, 1);
		ADD(dav, errors, 1);
		dav_say(dav, "PUT /%s: the object changed on the server",
			path);
		rc = -ESTALE;
	}
	return rc;
}

int s3_put_parts(struct webdav *dav, const char *path, const void *data,
		 uint64_t size, uint64_t base, const uint8_t *dirty,
		 uint64_t part, const char *if_etag, char *new_etag)
{
	struct upload u = { .dav = dav, .path = path };
	uint64_t nparts = part ? (size + part - 1) / part : 0, i = 0;
	int rc;

	/* S3: 10,000 parts, all but the last at least 5 MiB */
	if (!part || nparts < 1 || nparts > 10000 || !if_etag || !*if_etag)
		return -EINVAL;
	if ((rc = dav_make_url(dav, path, u.url, sizeof(u.url))) < 0 ||
	    (rc = copy_source(dav, path, u.src, sizeof(u.src))) < 0)
		return rc;
	u.etags = calloc(nparts, sizeof(*u.etags));
	if (!u.etags)
		return -ENOMEM;
	if ((rc = still(dav, path, if_etag)) < 0 ||
	    (rc = upload_start(&u)) < 0)
		goto out;
	journal_add(&u);
	for (i = 0; i < nparts; i++) {
		uint64_t off = i * part, len = size - off < part ? size - off
								 : part;
		bool copy = !dirty[i] && off + len <= base;

		rc = upload_part(&u, (int)i, copy ? NULL : (const char *)data +
					     off, off, len, if_etag);
		if (rc < 0)
			break;
	}
	if (rc == 0 && (rc = still(dav, path, if_etag)) == 0)
		rc = upload_complete(&u, (int)nparts, if_etag, new_etag);
	if (rc < 0) {
		if (i < nparts)
			dav_say(dav, "/%s: multipart upload aborted at part "
				"%llu of %llu: %s", path,
				(unsigned long long)i + 1,
				(unsigned long long)nparts, strerror(-rc));
		else if (rc != -ESTALE)
			dav_say(dav, "/%s: multipart upload aborted at its "
				"completion: %s", path, strerror(-rc));
		if (u.id[0] && upload_abort(&u) < 0)
			u.jpath[0] = '\0';	/* the next mount tries */
	}
	else
		ADD(dav, multipart, 1);
	journal_del(&u);
out:
	free(u.etags);
	return rc;
}

int s3_sweep(struct webdav *dav)
{
	size_t blen = strlen(dav->base);
	char boot[400];
	struct dirent *e;
	int dir, count = 0;
	DIR *d;

	if ((dir = journal_dir()) < 0)
		return 0;
	if (!(d = fdopendir(dir))) {
		close(dir);
		return 0;
	}
	this_boot(boot, sizeof(boot));
	while ((e = readdir(d))) {
		char buf[URL_MAX + 1600], *lines[4], *save = NULL, b[400];
		unsigned long long start;
		size_t k = strlen(e->d_name);
		struct upload u;
		struct stat st;
		ssize_t n;
		int fd, pid, i = 0, off = 0;

		if (k < 8 || k >= sizeof(u.jpath) ||
		    strcmp(e->d_name + k - 7, ".upload"))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW |
						     O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
			    read(fd, buf, sizeof(buf) - 1) : -1;
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *t = strtok_r(buf, "\n", &save); t && i < 4;
		     t = strtok_r(NULL, "\n", &save))
			lines[i++] = t;
		if (i < 4 || strcmp(lines[0], JOURNAL_MAGIC) ||
		    sscanf(lines[1], "%d %llu %n", &pid, &start, &off) != 2 ||
		    !off || strlen(lines[2]) >= sizeof(u.url) ||
		    strlen(lines[3]) >= sizeof(u.id))
			continue;
		snprintf(b, sizeof(b), "%s", lines[1] + off);
		/* another bucket's, another machine's, or a daemon's that
		 * still runs (after a reboot, none does) */
		if (strncmp(lines[2], dav->base, blen) ||
		    !journal_sane(lines[2] + blen, lines[3]) ||
		    strcmp(host_of(b), host_of(boot)) ||
		    (!strcmp(b, boot) && kill(pid, 0) == 0 &&
		     proc_start(pid) == start))
			continue;
		memset(&u, 0, sizeof(u));
		u.dav = dav;
		snprintf(u.url, sizeof(u.url), "%s", lines[2]);
		snprintf(u.id, sizeof(u.id), "%s", lines[3]);
		u.path = u.url + blen;
		if (upload_abort(&u) < 0)
			continue;
		dav_say(dav, "/%s: aborted the multipart upload a framefs "
			"(pid %d) left when it ended during it", u.path, pid);
		unlinkat(dirfd(d), e->d_name, 0);
		count++;
	}
	closedir(d);
	return count;
}

int s3_uploads(struct webdav *dav)
{
	char url[URL_MAX];
	struct req r = { .m = WEBDAV_GET, .url = url, .path = "",
			 .idempotent = true, .sink = SINK_MEM,
			 .dn_max = LIST_MAX_BYTES };
	size_t n;
	int rc, count = 0;

	if ((rc = bucket_url(dav, url, sizeof(url), &n)) < 0)
		return rc;
	n += (size_t)snprintf(url + n, sizeof(url) - n, "?prefix=");
	if ((rc = append_enc(url, sizeof(url), &n, dav->key_prefix)) < 0)
		return rc;
	snprintf(url + n, sizeof(url) - n, "&uploads=");
	rc = dav_do_req(dav, &r);
	if (rc == 200) {
		xmlDoc *doc = r.mem ? xmlReadMemory(r.mem, (int)r.mem_len,
						    NULL, NULL,
						    XML_PARSE_NONET |
							    XML_PARSE_NOERROR |
							    XML_PARSE_NOWARNING)
				    : NULL;
		const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

		rc = -EIO;
		if (root && is_s3(root, "ListMultipartUploadsResult")) {
			rc = 0;
			for (const xmlNode *c = root->children; c; c = c->next)
				count += is_s3(c, "Upload");
		} else
			dav_say(dav, "GET /?uploads: not a listing: %.300s",
				r.mem ? r.mem : "");
		xmlFreeDoc(doc);
	}
	rc = dav_finish(dav, &r, rc, false);
	dav_req_done(&r);
	return rc < 0 ? rc : count;
}

/* ---- probe ------------------------------------------------------------ */

static const char *const if_match_name[] = {
	[S3_IF_MATCH_QUOTED] = "If-Match",
	[S3_IF_MATCH_BARE] = "If-Match without quotes",
	[S3_IF_MATCH_NONE] = "no If-Match on PUT: ETag checked by HEAD first",
};

/* A scratch object: can we write, and how does the server take If-Match
 * on a PUT?  (RGW 16 answers 412 to the quoted ETag it sent itself, and
 * takes it bare.) */
static void probe_writes(struct webdav *dav, struct webdav_caps *c)
{
	char name[64], etag[WEBDAV_ETAG_MAX];
	struct iovec v = { (void *)"framefs", 7 };
	int rc;

	snprintf(name, sizeof(name), ".framefs-probe-%d-%llu", (int)getpid(),
		 (unsigned long long)__atomic_add_fetch(&dav->probe_seq, 1,
							__ATOMIC_RELAXED));
	STORE(&dav->s3_if_match, S3_IF_MATCH_QUOTED);
	rc = webdav_put(dav, name, &v, 1, 0, 7, NULL, etag);
	c->writable = rc == 0;
	if (rc < 0)
		return;
	if (webdav_put(dav, name, &v, 1, 0, 7, etag, NULL) != 0) {
		STORE(&dav->s3_if_match, S3_IF_MATCH_BARE);
		if (webdav_put(dav, name, &v, 1, 0, 7, etag, NULL) != 0)
			STORE(&dav->s3_if_match, S3_IF_MATCH_NONE);
	}
	delete_key(dav, name);
}

int s3_probe(struct webdav *dav, struct webdav_caps *caps)
{
	struct webdav_caps c = { .ranges = true };
	struct listing l = { .cb = count_cb, .prefix = dav->key_prefix };
	int rc;

	pthread_mutex_lock(&dav->caps_lock);
	STORE(&dav->dav_class, 0);
	STORE(&dav->plain, 0);
	STORE(&dav->partial_put, 0);
	rc = list_prefix(dav, &l, 1);
	if (rc == 0) {
		if (!dav->o.readonly)	/* a read-only mount writes nothing */
			probe_writes(dav, &c);
		snprintf(c.server, sizeof(c.server), "S3");
		dav_say(dav, "probe: S3 bucket %s%s%s, %s, %s, partial PUT "
			"no (objects are written whole)", dav->bucket,
			*dav->key_prefix ? ", prefix " : "", dav->key_prefix,
			c.writable ? "writable" :
			dav->o.readonly ? "mounted read-only" : "not writable",
			c.writable ? if_match_name[LOAD(&dav->s3_if_match)] :
			"If-Match not probed");
		dav->caps = c;
		if (caps)
			*caps = c;
	}
	pthread_mutex_unlock(&dav->caps_lock);
	return rc;
}
