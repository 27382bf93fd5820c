/* httpd.c - Apache httpd (mod_dav_fs) and nginx for the tests (see
 * httpd.h).
 *
 * The server runs in the foreground as our child (apache2 -DFOREGROUND,
 * nginx -g 'daemon off;'), in a process group of its own, so that its PID
 * is known, a stop can reach its workers through the group even when the
 * main process had to be killed, and nothing is ever looked up by name.
 * Everything it writes (pid file, logs, locks, the DAV lock database,
 * nginx's temp paths) lives under the temp dir; the config is generated
 * there too, loading only the modules it needs (Debian's apache2.conf and
 * /etc/nginx are not read, and no system service is touched).
 *
 * The port is a free one the kernel chose for a socket we bound and
 * closed: another program could take it in between (rare; start fails
 * then, with the server's error log line in why).  Readiness is an HTTP
 * answer of any status to a GET of the base URL, polled every 20 ms for
 * up to 10 s.
 */
#include "httpd.h"

#include "clock.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define APACHE_BIN	"/usr/sbin/apache2"
#define APACHE_MODS	"/usr/lib/apache2/modules"
#define NGINX_BIN	"/usr/sbin/nginx"
#define HTPASSWD_BIN	"/usr/bin/htpasswd"
#define MAX_SERVERS	8

static struct httpd *live[MAX_SERVERS];

static void say(struct httpd *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct httpd *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->why, sizeof(h->why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "httpd: %s\n", h->why);
}

bool httpd_available(enum httpd_kind kind)
{
	if (kind == HTTPD_APACHE)
		return access(APACHE_BIN, X_OK) == 0 &&
		       access(APACHE_MODS "/mod_dav_fs.so", R_OK) == 0;
	return access(NGINX_BIN, X_OK) == 0;
}

static void remember(struct httpd *h, bool on)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (on && !live[i]) {
			live[i] = h;
			return;
		}
		if (!on && live[i] == h) {
			live[i] = NULL;
			return;
		}
	}
}

void httpd_stop_all(void)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (live[i])
			httpd_stop(live[i]);
}

static void atexit_stop(void)
{
	httpd_stop_all();
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* The run user (www-data) when we are root: uid/gid, else -1. */
static bool run_user(uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	if (geteuid() != 0 || !(pw = getpwnam("www-data")))
		return false;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return true;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	if (fclose(f))
		rc = -1;
	return rc;
}

/* argv, quiet; 0 if it exits 0. */
static int run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return 0;
}

/* A CA (h->cacert) and a server certificate it signs for 127.0.0.1 and
 * localhost (dir/tls/server.pem, server.key), EC P-256, two days. */
static int make_certs(struct httpd *h)
{
	char d[272], ca_key[340], srv_key[340], srv_csr[340], srv_pem[340],
		ext[340];
	char *ca[] = { "openssl", "req", "-x509", "-newkey", "ec",
		       "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		       "-keyout", ca_key, "-out", h->cacert, "-days", "2",
		       "-subj", "/CN=framefs test CA", NULL };
	char *csr[] = { "openssl", "req", "-newkey", "ec", "-pkeyopt",
			"ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
			srv_key, "-out", srv_csr, "-subj", "/CN=127.0.0.1",
			NULL };
	char *sign[] = { "openssl", "x509", "-req", "-in", srv_csr, "-CA",
			 h->cacert, "-CAkey", ca_key, "-CAcreateserial",
			 "-out", srv_pem, "-days", "2", "-extfile", ext,
			 NULL };

	snprintf(d, sizeof(d), "%s/tls", h->dir);
	mkdir(d, 0755);
	snprintf(h->cacert, sizeof(h->cacert), "%s/tls/ca.pem", h->dir);
	snprintf(ca_key, sizeof(ca_key), "%s/ca.key", d);
	snprintf(srv_key, sizeof(srv_key), "%s/server.key", d);
	snprintf(srv_csr, sizeof(srv_csr), "%s/server.csr", d);
	snprintf(srv_pem, sizeof(srv_pem), "%s/server.pem", d);
	snprintf(ext, sizeof(ext), "%s/ext.cnf", d);
	if (write_file(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n") < 0)
		return -1;
	if (run_quiet(ca) < 0 || run_quiet(csr) < 0 || run_quiet(sign) < 0)
		return -1;
	return chmod(srv_key, 0644);	/* www-data's workers do not read
					 * it; the root parent does */
}

static int apache_conf(struct httpd *h, bool as_www)
{
	char conf[4096], path[400];
	int n;

	n = snprintf(conf, sizeof(conf),
		"ServerRoot %1$s\n"
		"ServerName 127.0.0.1\n"
		"Listen 127.0.0.1:%2$d\n"
		"PidFile %1$s/run/httpd.pid\n"
		"DefaultRuntimeDir %1$s/run\n"
		"Mutex file:%1$s/lock default\n"
		"ErrorLog %1$s/logs/error.log\n"
		"LogLevel warn\n"
		"LogFormat \"%%{%%H:%%M:%%S}t.%%{usec_frac}t %%{remote}p \\\"%%r\\\" %%>s %%B %%Dus "
		"If=\\\"%%{If}i\\\" Range=\\\"%%{Content-Range}i\\\"\" framefs\n"
		"CustomLog %1$s/logs/access.log framefs\n"
		"%3$s"
		"LoadModule mpm_event_module %4$s/mod_mpm_event.so\n"
		"LoadModule authz_core_module %4$s/mod_authz_core.so\n"
		"LoadModule authn_core_module %4$s/mod_authn_core.so\n"
		"LoadModule authn_file_module %4$s/mod_authn_file.so\n"
		"LoadModule auth_basic_module %4$s/mod_auth_basic.so\n"
		"LoadModule authz_user_module %4$s/mod_authz_user.so\n"
		"LoadModule alias_module %4$s/mod_alias.so\n"
		"LoadModule dav_module %4$s/mod_dav.so\n"
		"LoadModule dav_fs_module %4$s/mod_dav_fs.so\n"
		"StartServers 1\n"
		"ServerLimit 2\n"
		"ThreadsPerChild 32\n"
		"MaxRequestWorkers 64\n"
		"KeepAliveTimeout 30\n"
		"MaxKeepAliveRequests 0\n"
		"DavLockDB %1$s/lock/davlock\n"
		"Alias /dav %1$s/dav\n"
		"<Directory %1$s/dav>\n"
		"  Dav On\n"
		"  AllowOverride None\n"
		"  Require all granted\n"
		"</Directory>\n"
		"<Location /dav>\n"
		"  Require all granted\n"
		"</Location>\n",
		h->dir, h->port,
		as_www ? "User www-data\nGroup www-data\n" : "", APACHE_MODS);
	if (h->tls)
		n += snprintf(conf + n, sizeof(conf) - (size_t)n,
			"LoadModule socache_shmcb_module %2$s/mod_socache_shmcb.so\n"
			"LoadModule ssl_module %2$s/mod_ssl.so\n"
			"SSLSessionCache shmcb:%1$s/run/ssl_scache(512000)\n"
			"SSLEngine on\n"
			"SSLCertificateFile %1$s/tls/server.pem\n"
			"SSLCertificateKeyFile %1$s/tls/server.key\n",
			h->dir, APACHE_MODS);
	if (h->auth)
		n += snprintf(conf + n, sizeof(conf) - (size_t)n,
			"Alias /auth %1$s/dav\n"
			"<Location /auth>\n"
			"  Dav On\n"
			"  AuthType Basic\n"
			"  AuthName framefs-test\n"
			"  AuthUserFile %1$s/htpasswd\n"
			"  Require valid-user\n"
			"</Location>\n",
			h->dir);
	if (n >= (int)sizeof(conf))
		return -1;
	snprintf(path, sizeof(path), "%s/httpd.conf", h->dir);
	return write_file(path, conf);
}

/* htpasswd with the password on its stdin, not in its argv. */
static int make_htpasswd(struct httpd *h)
{
	char path[400];
	int pfd[2], st;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/htpasswd", h->dir);
	if (access(HTPASSWD_BIN, X_OK) < 0 || pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(pfd[0], 0);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		close(pfd[0]);
		close(pfd[1]);
		execl(HTPASSWD_BIN, HTPASSWD_BIN, "-ciB", path, h->user,
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	if (write(pfd[1], h->password, strlen(h->password)) < 0 ||
	    write(pfd[1], "\n", 1) < 0) {
		/* waitpid below reports it */
	}
	close(pfd[1]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return chmod(path, 0644);
}

static int nginx_conf(struct httpd *h, bool as_www)
{
	char conf[2048], path[400];
	int n;

	n = snprintf(conf, sizeof(conf),
		"%3$s"
		"worker_processes 2;\n"
		"pid %1$s/run/nginx.pid;\n"
		"error_log %1$s/logs/error.log warn;\n"
		"events { worker_connections 256; }\n"
		"http {\n"
		"  access_log off;\n"
		"  client_body_temp_path %1$s/tmp/body;\n"
		"  proxy_temp_path %1$s/tmp/proxy;\n"
		"  fastcgi_temp_path %1$s/tmp/fastcgi;\n"
		"  uwsgi_temp_path %1$s/tmp/uwsgi;\n"
		"  scgi_temp_path %1$s/tmp/scgi;\n"
		"  keepalive_requests 100000;\n"
		"  server {\n"
		"    listen 127.0.0.1:%2$d;\n"
		"    root %1$s/www;\n"
		"    location / { }\n"
		"  }\n"
		"}\n",
		h->dir, h->port, as_www ? "user www-data www-data;\n" : "");
	if (n >= (int)sizeof(conf))
		return -1;
	snprintf(path, sizeof(path), "%s/nginx.conf", h->dir);
	return write_file(path, conf);
}

/* Any HTTP answer from url (over TLS trusting cacert, if not ""). */
static bool answers(const char *url, const char *cacert)
{
	CURL *c = curl_easy_init();
	long code = 0;

	if (!c)
		return false;
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (cacert[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code > 0;
}

/* The last line of the server's error log, into why. */
static void log_tail(struct httpd *h, const char *what)
{
	char line[512] = "", buf[512];
	FILE *f = fopen(h->errlog, "r");

	while (f && fgets(buf, sizeof(buf), f))
		if (buf[0] != '\n')
			snprintf(line, sizeof(line), "%s", buf);
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	say(h, "%s%s%s", what, line[0] ? ": " : "", line);
}

static int spawn(struct httpd *h)
{
	static bool hooked;
	char conf[400], prefix[300];
	pid_t pid;

	if (!hooked) {
		atexit(atexit_stop);
		hooked = true;
	}
	pid = fork();
	if (pid < 0) {
		say(h, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		/* stderr: to the error log, for messages before ErrorLog
		 * takes over */
		int fd = open(h->errlog, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		/* Nothing else of the caller's: a file it holds open on a
		 * mount would keep that mount busy for as long as the server
		 * runs. */
		closefrom(3);
		if (h->kind == HTTPD_APACHE) {
			snprintf(conf, sizeof(conf), "%s/httpd.conf", h->dir);
			execl(APACHE_BIN, APACHE_BIN, "-f", conf,
			      "-DFOREGROUND", (char *)NULL);
		} else {
			snprintf(conf, sizeof(conf), "%s/nginx.conf", h->dir);
			snprintf(prefix, sizeof(prefix), "%s/", h->dir);
			execl(NGINX_BIN, NGINX_BIN, "-c", conf, "-p", prefix,
			      "-e", h->errlog, "-g", "daemon off;",
			      (char *)NULL);
		}
		_exit(127);
	}
	setpgid(pid, pid);	/* also here: no race with the kill below */
	h->pid = pid;
	remember(h, true);
	for (int i = 0; i < 500; i++) {
		int st;

		if (answers(h->url, h->cacert))
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			h->pid = 0;
			remember(h, false);
			log_tail(h, "server exited at start");
			return -1;
		}
		sleep_ms(20);
	}
	log_tail(h, "server did not answer in 10 s");
	httpd_stop(h);
	return -1;
}

int httpd_start(struct httpd *h, enum httpd_kind kind)
{
	static const char *const sub[] = { "logs", "run", "lock", "tmp" };
	char path[400];
	uid_t uid = 0;
	gid_t gid = 0;
	bool as_www = run_user(&uid, &gid);
	const char *served = kind == HTTPD_APACHE ? "dav" : "www";

	curl_global_init(CURL_GLOBAL_ALL);
	h->kind = kind;
	h->pid = 0;
	if (!httpd_available(kind)) {
		say(h, "%s is not installed",
		    kind == HTTPD_APACHE ? APACHE_BIN : NGINX_BIN);
		return -1;
	}
	snprintf(h->dir, sizeof(h->dir), "%s/framefs-httpd.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR")
							: "/tmp");
	if (!mkdtemp(h->dir)) {
		say(h, "mkdtemp %s: %s", h->dir, strerror(errno));
		return -1;
	}
	chmod(h->dir, 0755);	/* the workers (www-data) walk through it */
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", h->dir, sub[i]);
		mkdir(path, 0755);
		/* Apache's workers write the lock db; nginx's its temp
		 * files. */
		if (as_www && chown(path, uid, gid) < 0) {
			say(h, "chown %s: %s", path, strerror(errno));
			return -1;
		}
	}
	snprintf(h->root, sizeof(h->root), "%s/%s", h->dir, served);
	mkdir(h->root, 0755);
	if (as_www && kind == HTTPD_APACHE && chown(h->root, uid, gid) < 0) {
		say(h, "chown %s: %s", h->root, strerror(errno));
		return -1;
	}
	snprintf(h->errlog, sizeof(h->errlog), "%s/logs/error.log", h->dir);
	h->port = free_port();
	if (h->port < 0) {
		say(h, "no free port: %s", strerror(errno));
		return -1;
	}
	h->auth_url[0] = '\0';
	h->cacert[0] = '\0';
	if (kind == HTTPD_APACHE && h->tls && make_certs(h) < 0) {
		h->cacert[0] = '\0';
		say(h, "no test certificate (is the openssl program "
		    "installed?)");
		return -1;
	}
	if (kind == HTTPD_APACHE) {
		snprintf(h->url, sizeof(h->url), "%s://127.0.0.1:%d/dav/",
			 h->tls ? "https" : "http", h->port);
		if (h->auth) {
			snprintf(h->user, sizeof(h->user), "framefs");
			snprintf(h->password, sizeof(h->password),
				 "pw-%d-test", h->port);
			if (make_htpasswd(h) < 0) {
				say(h, "htpasswd failed (apache2-utils?)");
				return -1;
			}
			snprintf(h->auth_url, sizeof(h->auth_url),
				 "%s://127.0.0.1:%d/auth/",
				 h->tls ? "https" : "http", h->port);
		}
		if (apache_conf(h, as_www) < 0) {
			say(h, "cannot write the Apache config");
			return -1;
		}
	} else {
		snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%d/",
			 h->port);
		if (nginx_conf(h, as_www) < 0) {
			say(h, "cannot write the nginx config");
			return -1;
		}
	}
	return spawn(h);
}

int httpd_start_again(struct httpd *h)
{
	if (h->pid)
		return 0;
	return spawn(h);
}

int httpd_stop(struct httpd *h)
{
	int st, rc = 0;
	uint64_t t0 = now_ms(CLOCK_MONOTONIC);

	if (!h->pid)
		return 0;
	kill(h->pid, SIGTERM);
	for (;;) {
		pid_t w = waitpid(h->pid, &st, WNOHANG);

		if (w == h->pid || (w < 0 && errno == ECHILD))
			break;
		if (now_ms(CLOCK_MONOTONIC) - t0 > 5000) {
			say(h, "server %d did not stop on SIGTERM: killed",
			    (int)h->pid);
			kill(-h->pid, SIGKILL);
			waitpid(h->pid, &st, 0);
			rc = -1;
			break;
		}
		sleep_ms(10);
	}
	/* Workers left behind by a main process that died first. */
	kill(-h->pid, SIGKILL);
	h->pid = 0;
	remember(h, false);
	return rc;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void httpd_cleanup(struct httpd *h)
{
	httpd_stop(h);
	if (h->dir[0] && strncmp(h->dir + strlen(h->dir) - 7, ".XXXXXX", 7))
		nftw(h->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	h->dir[0] = '\0';
}
