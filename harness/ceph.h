/* ceph.h - a real single-node Ceph cluster with its S3 gateway (RADOS
 * Gateway) on 127.0.0.1 for the S3 tests, brought up and stopped by
 * tests/ceph-cluster.sh (one monitor, one memstore OSD, radosgw; about 13
 * s), everything under a temp dir that ceph_cleanup removes.
 *
 *   if (!ceph_available()) ... skip ...
 *   struct ceph c = { 0 };
 *   ceph_start(&c)               0, or -1 with the reason in c.why
 *   ... c.endpoint ("http://127.0.0.1:PORT"), c.region, c.access_key,
 *       c.secret_key ...
 *   ceph_bucket(&c, "name")      a new bucket (a signed PUT)
 *   ceph_cleanup(&c)             stops the daemons (radosgw first), by
 *                                PID, and removes the dir
 *
 * A cluster started is remembered: an atexit handler stops whatever a
 * failing test left running.  No test framework here.
 */
#ifndef FRAMEFS_HARNESS_CEPH_H
#define FRAMEFS_HARNESS_CEPH_H

#include <stdbool.h>

struct ceph {
	char dir[256];		/* temp dir: conf, data, logs, PID files */
	char endpoint[64];	/* http://127.0.0.1:PORT */
	char region[32];
	char access_key[64];
	char secret_key[64];
	char tls_endpoint[64];	/* https://127.0.0.1:PORT, "" without the
				 * openssl program */
	char cacert[320];	/* the CA of its certificate, PEM */
	bool up;
	char why[256];		/* the last failure, one line */
};

/* The binaries the script needs are installed and the script is found
 * ($CEPH_CLUSTER, else next to the test binary's source). */
bool ceph_available(void);
int ceph_start(struct ceph *c);
/* PUT /name: 0, or -1 with the reason in c->why. */
int ceph_bucket(struct ceph *c, const char *name);
/* The gateway alone, stopped by PID and started again on the same port
 * (it listens again in about 8 s): 0, or -1 with the reason in c->why. */
int ceph_rgw_stop(struct ceph *c);
int ceph_rgw_start(struct ceph *c);
void ceph_cleanup(struct ceph *c);

#endif
