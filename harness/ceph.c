/* ceph.c - the S3 tests' Ceph cluster (see ceph.h): tests/ceph-cluster.sh
 * does the work; this picks the ports, reads what it wrote, makes buckets
 * with a signed PUT (libcurl's SigV4), and stops it at exit. */
#include "ceph.h"

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CLUSTERS 4

static struct ceph *started[MAX_CLUSTERS];

static const char *script(void)
{
	const char *s = getenv("CEPH_CLUSTER");

	return s && *s && access(s, X_OK) == 0 ? s : NULL;
}

bool ceph_available(void)
{
	static const char *const bins[] = {
		"/usr/bin/ceph-mon", "/usr/bin/ceph-osd", "/usr/bin/radosgw",
		"/usr/bin/radosgw-admin", "/usr/bin/monmaptool",
		"/usr/bin/ceph",
	};

	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
		if (access(bins[i], X_OK) != 0)
			return false;
	return script() != NULL;
}

/* A port nothing listens on now. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Runs the script with args; its stderr's last line into why. */
static int run_script(struct ceph *c, char *const argv[])
{
	char log[300];
	pid_t pid;
	int st;

	snprintf(log, sizeof(log), "%s.log", c->dir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		FILE *f = freopen(log, "w", stderr);

		if (!f || !freopen("/dev/null", "w", stdout))
			_exit(127);
		/* Nothing else of the caller's: a file it holds open on a
		 * mount, inherited by radosgw, would keep that mount busy */
		closefrom(3);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	{
		FILE *f = fopen(log, "r");
		char line[256] = "";

		while (f && fgets(line, sizeof(line), f))
			snprintf(c->why, sizeof(c->why), "%s", line);
		if (f)
			fclose(f);
		c->why[strcspn(c->why, "\n")] = '\0';
		if (!c->why[0])
			snprintf(c->why, sizeof(c->why), "ceph-cluster.sh "
				 "failed");
	}
	return -1;
}

static void stop_at_exit(void)
{
	for (int i = 0; i < MAX_CLUSTERS; i++)
		if (started[i])
			ceph_cleanup(started[i]);
}

int ceph_start(struct ceph *c)
{
	static bool registered;
	char mon[16], rgw[16], tls[16], path[300], line[400];
	char *argv[] = { (char *)script(), "start", c->dir, mon, rgw, tls,
			 NULL };
	FILE *f;

	if (!argv[0]) {
		snprintf(c->why, sizeof(c->why), "CEPH_CLUSTER: not set or "
			 "not executable");
		return -1;
	}
	snprintf(c->dir, sizeof(c->dir), "%s/framefs-ceph.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR")
						       : "/tmp");
	if (!mkdtemp(c->dir)) {
		snprintf(c->why, sizeof(c->why), "mkdtemp: %s",
			 strerror(errno));
		return -1;
	}
	snprintf(mon, sizeof(mon), "%d", free_port());
	snprintf(rgw, sizeof(rgw), "%d", free_port());
	snprintf(tls, sizeof(tls), "%d", free_port());
	if (access("/usr/bin/openssl", X_OK) != 0)
		argv[5] = NULL;	/* no https then: tls_endpoint "" */
	if (!registered) {
		atexit(stop_at_exit);
		registered = true;
	}
	for (int i = 0; i < MAX_CLUSTERS; i++)
		if (!started[i]) {
			started[i] = c;
			break;
		}
	c->up = true;	/* from here, cleanup stops what there is */
	if (run_script(c, argv) != 0) {
		ceph_cleanup(c);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/s3.env", c->dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (!strcmp(line, "endpoint"))
			snprintf(c->endpoint, sizeof(c->endpoint), "%s", v);
		else if (!strcmp(line, "region"))
			snprintf(c->region, sizeof(c->region), "%s", v);
		else if (!strcmp(line, "access_key"))
			snprintf(c->access_key, sizeof(c->access_key), "%s", v);
		else if (!strcmp(line, "secret_key"))
			snprintf(c->secret_key, sizeof(c->secret_key), "%s", v);
		else if (!strcmp(line, "tls_endpoint"))
			snprintf(c->tls_endpoint, sizeof(c->tls_endpoint),
				 "%s", v);
		else if (!strcmp(line, "cacert"))
			snprintf(c->cacert, sizeof(c->cacert), "%s", v);
	}
	if (f)
		fclose(f);
	if (!c->endpoint[0] || !c->access_key[0]) {
		snprintf(c->why, sizeof(c->why), "%.200s: incomplete", path);
		ceph_cleanup(c);
		return -1;
	}
	return 0;
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int ceph_bucket(struct ceph *c, const char *name)
{
	char url[256], sigv4[96], userpwd[160];
	struct curl_slist *h = curl_slist_append(
		NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	CURL *e = curl_easy_init();
	long code = 0;
	CURLcode cc;

	snprintf(url, sizeof(url), "%s/%s", c->endpoint, name);
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", c->region);
	snprintf(userpwd, sizeof(userpwd), "%s:%s", c->access_key,
		 c->secret_key);
	if (!e || !h) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		curl_slist_free_all(h);
		curl_easy_cleanup(e);
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(e, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(e, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	if (cc != CURLE_OK || code != 200) {
		snprintf(c->why, sizeof(c->why), "PUT /%s: %s (HTTP %ld)",
			 name, curl_easy_strerror(cc), code);
		return -1;
	}
	return 0;
}

int ceph_rgw_stop(struct ceph *c)
{
	char *argv[] = { (char *)script(), "rgw-stop", c->dir, NULL };

	return argv[0] ? run_script(c, argv) : -1;
}

int ceph_rgw_start(struct ceph *c)
{
	char *argv[] = { (char *)script(), "rgw-start", c->dir, NULL };

	return argv[0] ? run_script(c, argv) : -1;
}

void ceph_cleanup(struct ceph *c)
{
	char *argv[] = { (char *)script(), "stop", c->dir, NULL };
	char log[300];

	for (int i = 0; i < MAX_CLUSTERS; i++)
		if (started[i] == c)
			started[i] = NULL;
	if (!c->up)
		return;
	c->up = false;
	if (argv[0])
		run_script(c, argv);
	snprintf(log, sizeof(log), "%s.log", c->dir);
	if (!getenv("FRAMEFS_KEEP_CEPH")) {
		char *rm[] = { "/bin/rm", "-rf", c->dir, NULL };
		pid_t pid = fork();

		if (pid == 0) {
			execv(rm[0], rm);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		unlink(log);
	}
}
