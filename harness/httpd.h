/* httpd.h - real web servers for the WebDAV tests and benchmarks: Apache
 * httpd with mod_dav_fs, and nginx serving static files, on 127.0.0.1.
 *
 *   if (!httpd_available(HTTPD_APACHE)) ... skip ...
 *   struct httpd h = { .auth = true };        (zeroed otherwise)
 *   httpd_start(&h, HTTPD_APACHE)   temp dir with config, logs, pid, lock
 *                                   files and the served dir; returns when
 *                                   the server answers HTTP
 *   ... h.url ("http://127.0.0.1:PORT/dav/"), h.root (the served dir),
 *       h.auth_url (the same dir behind Basic auth, user h.user with
 *       password h.password) ...
 *   httpd_stop(&h)                  SIGTERM by PID, SIGKILL to its process
 *                                   group after 5 s
 *   httpd_start_again(&h)           the same port, dir and files
 *   httpd_cleanup(&h)               stops it if running, removes the dir
 *
 * Apache runs its workers as www-data when we are root (User/Group; the
 * served dir is chowned to it), nginx its workers likewise.  Every server
 * started is remembered; an atexit handler and httpd_stop_all() stop
 * whatever a failing test left running, by PID, never by name.  No test
 * framework here: a test reports SKIP itself when httpd_available() is
 * false.
 */
#ifndef FRAMEFS_HARNESS_HTTPD_H
#define FRAMEFS_HARNESS_HTTPD_H

#include <stdbool.h>
#include <sys/types.h>

enum httpd_kind {
	HTTPD_APACHE,		/* /usr/sbin/apache2, mod_dav_fs, DAV on */
	HTTPD_NGINX,		/* /usr/sbin/nginx, static, read-only */
};

struct httpd {
	enum httpd_kind kind;
	bool auth;		/* set before start (Apache): also serve the
				 * dir at /auth/ behind Basic auth */
	bool tls;		/* set before start (Apache): https:// with
				 * a certificate for 127.0.0.1 and localhost
				 * signed by a CA made for the test (the
				 * openssl program), in cacert */
	char cacert[300];	/* that CA, PEM */
	char dir[256];		/* temp dir: conf, logs, run, lock */
	char root[300];		/* the served directory */
	char url[128];		/* base URL of root, ends in '/' */
	char auth_url[128];	/* Basic-auth URL of root, or "" */
	char user[32];		/* the auth location's user ... */
	char password[32];	/* ... and password (test values) */
	char errlog[300];	/* the server's error log */
	int port;
	pid_t pid;		/* the server's main process, 0 if stopped */
	char why[256];		/* the last failure, one line */
};

bool httpd_available(enum httpd_kind kind);
/* Returns 0, or -1 with the reason in h->why (and on stderr). */
int httpd_start(struct httpd *h, enum httpd_kind kind);
int httpd_start_again(struct httpd *h);
/* Returns 0 if it exited on SIGTERM in time, -1 if it had to be killed. */
int httpd_stop(struct httpd *h);
void httpd_stop_all(void);
void httpd_cleanup(struct httpd *h);

#endif
