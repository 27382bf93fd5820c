/* store_http.h - the store on a WebDAV collection or a plain HTTP server.
 *
 *   st = store_http_new("http://host/dav/", &opts, err, sizeof(err))
 *   ... the store_*() calls of store.h ...
 *   store_free(st)
 *
 * The server is probed here (webdav_probe): a WebDAV collection is a
 * read-write store (read-only if nothing could be written to it, or if
 * opts->readonly: a read-only mount, whose probe writes nothing), a plain
 * HTTP server a read-only one whose directories cannot be listed.  The
 * design (identity, ETags, the spool for servers without partial PUT) is
 * at the top of store_http.c.
 */
#ifndef FRAMEFS_STORE_HTTP_H
#define FRAMEFS_STORE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"
#include "webdav.h"

/* url: http:// or https://, a collection; opts NULL: webdav defaults.
 * opts->log, if set, also receives this store's own lines (a write
 * refused because the object changed on the server); without it those go
 * to stderr.  Returns NULL with errno set and a one-line reason in err
 * ("http://h/x/: not a WebDAV collection or directory listing", "...:
 * no answer from the server", "...: access denied"). */
struct store *store_http_new(const char *url, const struct webdav_opts *opts,
			     char *err, size_t errlen);

/* Writes through a local spool even where partial PUT works (for tests,
 * and for a server whose partial PUT is not to be trusted).  Call before
 * any data call.  0, or -EINVAL if s is not an http store, -EROFS if it
 * is read-only. */
int store_http_spool_always(struct store *s);

#endif
