/* test_fs_s3.c - framefs mounting an S3 bucket of a real Ceph RADOS
 * Gateway (a single-node cluster that tests/ceph-cluster.sh brings up
 * once for the file, about 13 s, and stops by PID at the end).
 *
 * Data byte for byte under eviction, checked through the mount, after a
 * remount, and on the gateway itself with signed GETs of fs/webdav.c's S3
 * dialect (never only through the mount's own view); mmap shared, private
 * and across a fork; a 100 MiB file written through a shared mapping and
 * read back after a remount; multipart write-back of a large object (only
 * the touched parts sent, the others copied on the gateway, a conflict
 * refused with no upload left; the upload of a daemon killed during it
 * aborted by the next mount); a directory of more than 1,000 objects
 * through readdir; two mounts of one bucket (a file written and closed on
 * one is read whole on the other after open); refusals (no bucket, a
 * wrong secret, no credentials); temporary credentials (a session token
 * from the gateway's STS); keys rotated under a mount (the credentials
 * file read again when the gateway refuses them).  Every case SKIPs
 * without /dev/fuse or without Ceph's packages.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "ceph.h"
#include "mount.h"
#include "need_fuse.h"
#include "proxy.h"
#include "webdav.h"

#define PS 4096u
#define BUCKET "fmount"

static struct ceph C;
static bool tried;
static struct mnt M, M2;
static char scratch[4][80];	/* a case's files in /tmp: teardown removes
				 * them, also when the case failed */

/* path (a mkstemp template) made, and remembered for teardown. */
static int scratch_file(char *path)
{
	int fd = mkstemp(path);

	for (int i = 0; fd >= 0 && i < 4; i++)
		if (!scratch[i][0]) {
			snprintf(scratch[i], sizeof(scratch[i]), "%s", path);
			break;
		}
	return fd;
}

static void need_ceph(void)
{
	NEED_FUSE();
	if (!ceph_available()) {
		print_message("no Ceph (ceph-mon, ceph-osd, radosgw)\n");
		skip();
	}
	if (!tried) {
		tried = true;
		if (ceph_start(&C) != 0)
			fail_msg("Ceph: %s", C.why);
		if (ceph_bucket(&C, BUCKET) != 0)
			fail_msg("bucket: %s", C.why);
		setenv("AWS_ACCESS_KEY_ID", C.access_key, 1);
		setenv("AWS_SECRET_ACCESS_KEY", C.secret_key, 1);
		/* the daemons' journal of uploads in progress: in the
		 * cluster's dir, not the user's home */
		setenv("XDG_STATE_HOME", C.dir, 1);
	}
	if (!C.up)
		fail_msg("Ceph did not come up: %s", C.why);
}

/* framefs on s3://BUCKET/prefix with opts. */
static void start_on(struct mnt *m, const char *prefix, const char *opts)
{
	char all[512];

	mnt_cleanup(m);		/* an earlier mount's dir, stopped or not */
	snprintf(m->source, sizeof(m->source), "s3://" BUCKET "/%s", prefix);
	snprintf(all, sizeof(all), "%s%ss3_endpoint=%s,s3_region=%s", opts,
		 *opts ? "," : "", C.endpoint, C.region);
	if (mnt_start(m, all) != 0)
		fail_msg("framefs did not mount %s with -o %s", m->source,
			 all);
}

/* The gateway's own view: a signed handle on BUCKET/prefix. */
static struct webdav *gateway(const char *prefix)
{
	struct webdav_opts o;
	struct webdav *dav;
	char url[256], err[256];

	webdav_opts_default(&o);
	o.s3_region = C.region;
	o.s3_access_key = C.access_key;
	o.s3_secret_key = C.secret_key;
	snprintf(url, sizeof(url), "%s/" BUCKET "/%s", C.endpoint, prefix);
	dav = webdav_new(url, &o, err, sizeof(err));
	if (!dav)
		fail_msg("webdav_new %s: %s", url, err);
	assert_int_equal(webdav_probe(dav, NULL), 0);
	return dav;
}

/* The object's bytes on the gateway equal want. */
static void assert_on_gateway(const char *prefix, const char *name,
			      const char *want, size_t len)
{
	struct webdav *dav = gateway(prefix);
	struct webdav_attr a;
	char *got = malloc(len + 1);

	assert_int_equal(webdav_stat(dav, name, &a), 0);
	assert_int_equal(a.size, len);
	assert_int_equal(webdav_get(dav, name, 0, len + 1, got, NULL),
			 (ssize_t)len);
	if (memcmp(got, want, len))
		fail_msg("%s/%s on the gateway differs from what was written",
			 prefix, name);
	free(got);
	webdav_free(dav);
}

/* PUTs len bytes at data as name, through the gateway handle gw. */
static void put_object(struct webdav *gw, const char *name, char *data,
		       size_t len)
{
	struct iovec v = { data, len };

	assert_int_equal(webdav_put(gw, name, &v, 1, 0, len, NULL, NULL), 0);
}

static void fill(char *buf, size_t len, unsigned seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (char)x;
	}
}

static void read_back(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	size_t done = 0;

	assert_true(fd >= 0);
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)done);

		assert_true(n > 0);
		done += (size_t)n;
	}
	close(fd);
}

static int teardown(void **state)
{
	(void)state;
	mnt_stop_all();
	if (C.up) {		/* a case that changed the keys, failed */
		setenv("AWS_ACCESS_KEY_ID", C.access_key, 1);
		setenv("AWS_SECRET_ACCESS_KEY", C.secret_key, 1);
	}
	unsetenv("AWS_SESSION_TOKEN");
	mnt_cleanup(&M);
	mnt_cleanup(&M2);
	for (int i = 0; i < 4; i++) {
		char log[sizeof(scratch) + 8];

		if (!scratch[i][0])
			continue;
		unlink(scratch[i]);
		snprintf(log, sizeof(log), "%s.log", scratch[i]);
		unlink(log);
		scratch[i][0] = '\0';
	}
	memset(&M, 0, sizeof(M));
	memset(&M2, 0, sizeof(M2));
	return 0;
}

/* 48 frames, a 1 MiB file: random pwrites and preads against a model,
 * then the whole file through the mount, after a remount, and on the
 * gateway. */
static void test_fs_s3_eviction(void **s)
{
	enum { LEN = 1 << 20, OPS = 600 };
	char *model = malloc(LEN), *back = malloc(LEN), buf[3 * PS];
	uint64_t x = 7;
	int fd;

	(void)s;
	need_ceph();
	start_on(&M, "evict", "frames=48");
	fill(model, LEN, 1);
	fd = open(mpath(&M, "e.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, model, LEN), LEN);
	for (int i = 0; i < OPS; i++) {
		size_t off, len;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		off = (size_t)(x >> 33) % (LEN - sizeof(buf));
		len = 1 + (size_t)(x >> 13) % sizeof(buf);
		if (i % 2) {
			fill(buf, len, (unsigned)i);
			assert_int_equal(pwrite(fd, buf, len, (off_t)off),
					 (ssize_t)len);
			memcpy(model + off, buf, len);
		} else {
			assert_int_equal(pread(fd, buf, len, (off_t)off),
					 (ssize_t)len);
			if (memcmp(buf, model + off, len))
				fail_msg("op %d: %zu bytes at %zu differ", i,
					 len, off);
		}
	}
	assert_int_equal(fsync(fd), 0);
	close(fd);
	assert_int_equal(mnt_control(&M, "drop"), 0);
	read_back(mpath(&M, "e.bin"), back, LEN);
	assert_memory_equal(back, model, LEN);
	assert_true(mnt_stat(&M, "evictions") > 0);
	assert_int_equal(mnt_stop(&M), 0);
	assert_on_gateway("evict/", "e.bin", model, LEN);
	assert_int_equal(mnt_restart(&M), 0);
	read_back(mpath(&M, "e.bin"), back, LEN);
	assert_memory_equal(back, model, LEN);
	free(model);
	free(back);
}

/* MAP_SHARED stores reach the gateway after msync and close; MAP_PRIVATE
 * ones do not; a forked child sees the parent's shared stores. */
static void test_fs_s3_mmap(void **s)
{
	enum { NP = 32 };
	char *want = malloc(NP * PS), *p;
	pid_t pid;
	int fd, st;

	(void)s;
	need_ceph();
	start_on(&M, "mmap", "frames=64");
	fd = open(mpath(&M, "m.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	memset(want, 'a', NP * PS);
	assert_int_equal(write(fd, want, NP * PS), NP * PS);
	p = mmap(NULL, NP * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	for (unsigned i = 0; i < NP; i += 3) {
		p[i * PS + 7] = 'S';
		want[i * PS + 7] = 'S';
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(p[3 * PS + 7] == 'S' ? 0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(msync(p, NP * PS, MS_SYNC), 0);
	munmap(p, NP * PS);
	p = mmap(NULL, NP * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	p[5 * PS] = 'P';	/* private: never written back */
	assert_int_equal(p[6 * PS + 7], 'S');
	munmap(p, NP * PS);
	assert_int_equal(close(fd), 0);
	assert_on_gateway("mmap/", "m.bin", want, NP * PS);
	assert_int_equal(mnt_stop(&M), 0);
	assert_on_gateway("mmap/", "m.bin", want, NP * PS);
	free(want);
}

/* 100 MiB written through a shared mapping on a 16 MiB pool, read back
 * after a remount, each page's tag checked. */
static void test_fs_s3_big_mmap(void **s)
{
	enum { NPG = 25600 };	/* 100 MiB */
	uint64_t *p;
	int fd;

	(void)s;
	need_ceph();
	start_on(&M, "big", "frames=4096,fetch_ahead=1024");
	fd = open(mpath(&M, "big.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)NPG * PS), 0);
	p = mmap(NULL, (size_t)NPG * PS, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	assert_true(p != MAP_FAILED);
	for (uint64_t i = 0; i < NPG; i++)
		p[i * (PS / 8)] = i * 2654435761u + 1;
	assert_int_equal(msync(p, (size_t)NPG * PS, MS_SYNC), 0);
	munmap(p, (size_t)NPG * PS);
	assert_int_equal(close(fd), 0);
	assert_int_equal(mnt_stop(&M), 0);
	assert_int_equal(mnt_restart(&M), 0);
	fd = open(mpath(&M, "big.bin"), O_RDONLY);
	assert_true(fd >= 0);
	p = mmap(NULL, (size_t)NPG * PS, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	for (uint64_t i = 0; i < NPG; i++)
		if (p[i * (PS / 8)] != i * 2654435761u + 1)
			fail_msg("page %llu: wrong tag after remount",
				 (unsigned long long)i);
	munmap(p, (size_t)NPG * PS);
	close(fd);
}

/* fetch_streams=8 with 256 KB windows: loads at random through a shared
 * mapping of a 6 MiB object (MADV_RANDOM, one load a page), each checked;
 * a miss fetches its window and the 7 after it in GETs side by side, so
 * the object comes in a few misses and their windows: far fewer GETs than
 * pages.  Then the whole object reads back byte for byte. */
static void test_fs_s3_fetch_streams(void **s)
{
	enum { NPG = 1536, SIZE = NPG * PS };
	char *model = malloc(SIZE), *back = malloc(SIZE);
	struct webdav *gw;
	uint64_t gets0, gets, misses;
	unsigned char *p;
	int fd;

	(void)s;
	need_ceph();
	assert_non_null(model);
	assert_non_null(back);
	gw = gateway("fst/");
	fill(model, SIZE, 21);
	put_object(gw, "r.bin", model, SIZE);
	webdav_free(gw);
	start_on(&M, "fst", "frames=2048,readahead=0,fetch_ahead=256,"
		 "fetch_streams=8");
	fd = open(mpath(&M, "r.bin"), O_RDONLY);
	assert_true(fd >= 0);
	gets0 = mnt_stat(&M, "http_requests_get");
	p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(madvise(p, SIZE, MADV_RANDOM), 0);
	for (unsigned i = 0; i < NPG; i++) {
		unsigned pg = (i * 997u) % NPG;	/* every page, scattered */

		if (p[(size_t)pg * PS + 11] != (unsigned char)model[
		    (size_t)pg * PS + 11])
			fail_msg("page %u: wrong byte through the mapping", pg);
	}
	munmap(p, SIZE);
	gets = mnt_stat(&M, "http_requests_get") - gets0;
	misses = mnt_stat(&M, "frame_misses");
	print_message("%u pages at random: %llu misses, %llu GETs, %llu pages "
		      "fetched ahead\n", (unsigned)NPG,
		      (unsigned long long)misses, (unsigned long long)gets,
		      (unsigned long long)mnt_stat(&M,
						   "frames_fetched_ahead"));
	/* 24 windows of 64 pages, 8 started by a miss: a few misses, and
	 * every other page fetched ahead, in a GET per window */
	assert_true(misses >= 1 && misses <= 24);
	assert_true(gets < NPG / 10);
	assert_int_equal(mnt_stat(&M, "frames_fetched_ahead"), NPG - misses);
	assert_int_equal(pread(fd, back, SIZE, 0), SIZE);
	assert_memory_equal(back, model, SIZE);
	close(fd);
	assert_int_equal(mnt_stop(&M), 0);
	free(model);
	free(back);
}

/* A 20 MiB object in 8 MiB parts, through the mount: a pwrite, a page
 * dirtied through a shared mapping, a shortening truncate, each written
 * back at fsync as a multipart upload that sends only the parts touched
 * (counted, and bytes out under one part and a bit) and copies the others
 * on the gateway; the gateway's bytes equal the model's.  Then an object
 * changed on the gateway under dirty pages: fsync EIO, the other writer's
 * bytes stay, no upload is left, the pages are saved at the unmount. */
static void test_fs_s3_multipart(void **s)
{
	enum { PART = 8 << 20, SIZE = (20 << 20) + 1000, SHORT = 17 << 20 };
	char *model = malloc(SIZE), *other = malloc(SIZE), page[PS];
	struct webdav *gw;
	uint64_t out0;
	char dump[64], *argv[4];
	char *p;
	int fd;

	(void)s;
	need_ceph();	/* first: a case run alone starts the cluster */
	gw = gateway("mpm/");
	fill(model, SIZE, 7);
	put_object(gw, "big", model, SIZE);
	/* the spool on another file system than the unmount's save dir
	 * (/var/tmp): the save must not depend on copy_file_range */
	setenv("TMPDIR", "/dev/shm", 1);
	start_on(&M, "mpm", "frames=256");
	unsetenv("TMPDIR");
	fd = open(mpath(&M, "big"), O_RDWR);
	assert_true(fd >= 0);

	/* a pwrite in part 1 */
	memset(page, 'W', PS);
	assert_int_equal(pwrite(fd, page, PS, 9 << 20), (ssize_t)PS);
	memcpy(model + (9 << 20), page, PS);
	out0 = mnt_stat(&M, "http_bytes_out");
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(mnt_stat(&M, "http_multipart_uploads"), 1);
	assert_int_equal(mnt_stat(&M, "http_parts_uploaded"), 1);
	assert_int_equal(mnt_stat(&M, "http_parts_copied"), 2);
	assert_true(mnt_stat(&M, "http_bytes_out") - out0 >= PART);
	assert_true(mnt_stat(&M, "http_bytes_out") - out0 < PART + 65536);
	assert_on_gateway("mpm/", "big", model, SIZE);

	/* a page of part 0 through a shared mapping */
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	memset(p + 3 * PS, 'M', PS);
	memset(model + 3 * PS, 'M', PS);
	assert_int_equal(msync(p, SIZE, MS_SYNC), 0);
	munmap(p, SIZE);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(mnt_stat(&M, "http_multipart_uploads"), 2);
	assert_int_equal(mnt_stat(&M, "http_parts_uploaded"), 2);
	assert_int_equal(mnt_stat(&M, "http_parts_copied"), 4);
	assert_on_gateway("mpm/", "big", model, SIZE);

	/* shorter: part 2 sent (what is left of it), parts 0 and 1 copied */
	assert_int_equal(ftruncate(fd, SHORT), 0);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(mnt_stat(&M, "http_multipart_uploads"), 3);
	assert_int_equal(mnt_stat(&M, "http_parts_uploaded"), 3);
	assert_int_equal(mnt_stat(&M, "http_parts_copied"), 6);
	assert_on_gateway("mpm/", "big", model, SHORT);

	/* changed on the gateway under a dirty page of part 0 */
	assert_int_equal(pwrite(fd, page, PS, 0), (ssize_t)PS);
	fill(other, SHORT, 8);
	put_object(gw, "big", other, SHORT);
	assert_int_equal(fsync(fd), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(webdav_uploads(gw), 0);
	assert_on_gateway("mpm/", "big", other, SHORT);
	close(fd);
	snprintf(dump, sizeof(dump), "/var/tmp/framefs-unwritten.%d",
		 (int)M.pid);
	assert_int_equal(mnt_stop(&M), 1);	/* saved, not written */
	{
		/* the file as this mount had it: the spool, whole */
		char path[128], *saved = malloc(SHORT);
		int sfd;

		memcpy(model, page, PS);
		snprintf(path, sizeof(path), "%s/big", dump);
		sfd = open(path, O_RDONLY);
		if (sfd < 0)
			fail_msg("%s: not saved", path);
		assert_int_equal(pread(sfd, saved, SHORT, 0), SHORT);
		assert_int_equal(pread(sfd, page, 1, SHORT), 0);
		assert_memory_equal(saved, model, SHORT);
		close(sfd);
		free(saved);
	}
	argv[0] = "rm";
	argv[1] = "-rf";
	argv[2] = dump;
	argv[3] = NULL;
	assert_int_equal(run_cmd(argv, NULL, 0), 0);
	assert_on_gateway("mpm/", "big", other, SHORT);
	webdav_free(gw);
	free(model);
	free(other);
}

/* s3_part_size=MIB: a 12 MiB object in parts of 5 MiB (5, 5, 2) has a
 * page of its second part changed: that part is sent, the two others
 * are copied on the gateway; in parts of 16 MiB it is one part, sent
 * whole with one PUT. */
static void test_fs_s3_part_size(void **s)
{
	enum { SIZE = 12 << 20 };
	static const struct {
		unsigned mib, uploads, sent, copied;
	} cases[] = { { 5, 1, 1, 2 }, { 16, 0, 0, 0 } };
	char *model = malloc(SIZE), page[PS], opts[64];
	struct webdav *gw;

	(void)s;
	need_ceph();
	gw = gateway("psz/");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t out0, sent;
		int fd;

		fill(model, SIZE, 20 + (unsigned)i);
		put_object(gw, "obj", model, SIZE);
		snprintf(opts, sizeof(opts), "frames=256,s3_part_size=%u",
			 cases[i].mib);
		start_on(&M, "psz", opts);
		fd = open(mpath(&M, "obj"), O_RDWR);
		assert_true(fd >= 0);
		memset(page, 'P', PS);
		assert_int_equal(pwrite(fd, page, PS, 6 << 20), (ssize_t)PS);
		memcpy(model + (6 << 20), page, PS);
		out0 = mnt_stat(&M, "http_bytes_out");
		assert_int_equal(fsync(fd), 0);
		sent = mnt_stat(&M, "http_bytes_out") - out0;
		print_message("s3_part_size=%u: %llu bytes sent\n",
			      cases[i].mib, (unsigned long long)sent);
		assert_int_equal(mnt_stat(&M, "http_multipart_uploads"),
				 cases[i].uploads);
		assert_int_equal(mnt_stat(&M, "http_parts_uploaded"),
				 cases[i].sent);
		assert_int_equal(mnt_stat(&M, "http_parts_copied"),
				 cases[i].copied);
		if (cases[i].uploads) {
			assert_true(sent >= 5u << 20);
			assert_true(sent < (5u << 20) + 65536);
		} else {
			assert_true(sent >= SIZE);
		}
		close(fd);
		assert_int_equal(mnt_stop(&M), 0);
		assert_on_gateway("psz/", "obj", model, SIZE);
	}
	webdav_free(gw);
	free(model);
}

/* The journal entries of uploads in progress. */
static int journal_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".upload") != NULL;
	closedir(d);
	return n;
}

/* /proc/PID/stat's start time, as fs/s3.c writes it. */
static unsigned long long start_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	p = strrchr(buf, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
				&t), 1);
	return t;
}

/* An entry as fs/s3.c writes it, of pid on host (this machine's if
 * NULL, in its current boot), for url. */
static void entry(const char *dir, const char *name, pid_t pid,
		  unsigned long long start, const char *host, const char *url)
{
	char path[400], boot[64] = "", me[256];
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	assert_non_null(f);
	assert_non_null(fgets(boot, sizeof(boot), f));
	fclose(f);
	boot[strcspn(boot, "\n")] = '\0';
	assert_int_equal(gethostname(me, sizeof(me)), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "framefs-s3-upload 2\n%d %llu %s %s\n%s\nno-such-upload\n",
		(int)pid, start, boot, host ? host : me, url);
	assert_int_equal(fclose(f), 0);
}

static bool entry_there(const char *dir, const char *name)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* A daemon killed during a multipart upload cannot abort it: the parts
 * stay on the gateway.  Its entry in the journal of uploads in progress
 * makes the next writable mount of the bucket abort it (a read-only
 * one writes nothing); the entries of a daemon
 * that still runs (here: this process), of another bucket, of another
 * machine, and those whose URL is not an object's (a fragment, a dot
 * segment) are left alone.  The
 * object is as it was before the killed write-back. */
static void test_fs_s3_orphan_upload(void **s)
{
	enum { SIZE = 24 << 20, PART = 8 << 20 };
	char *data = malloc(SIZE), page[PS], dir[320], url[300], bad[320];
	struct webdav *gw;
	pid_t child, gone;
	int fd, st;

	(void)s;
	need_ceph();
	gw = gateway("orph/");
	fill(data, SIZE, 11);
	put_object(gw, "big", data, SIZE);
	snprintf(dir, sizeof(dir), "%s/framefs/s3-uploads", C.dir);
	assert_int_equal(journal_entries(dir), 0);
	start_on(&M, "orph", "frames=8192");
	fd = open(mpath(&M, "big"), O_RDWR);
	assert_true(fd >= 0);
	memset(page, 'K', PS);
	/* parts 0 and 1 sent, part 2 copied (a multipart upload) */
	for (int i = 0; i < 2; i++)
		assert_int_equal(pwrite(fd, page, PS, (off_t)i * PART), PS);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(fsync(fd) == 0 ? 0 : 1);
	/* the entry is written once the upload has begun; then the parts
	 * go, 8 MiB each */
	for (int i = 0; journal_entries(dir) == 0; i++) {
		if (i == 20000)
			fail_msg("no upload began in 10 s");
		usleep(500);
	}
	assert_int_equal(kill(M.pid, SIGKILL), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	close(fd);
	mnt_stop(&M);
	assert_int_equal(webdav_uploads(gw), 1);	/* on the gateway */
	assert_int_equal(journal_entries(dir), 1);

	snprintf(url, sizeof(url), "%s/" BUCKET "/orph/live", C.endpoint);
	entry(dir, "live.upload", getpid(), start_of(getpid()), NULL, url);
	gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, &st, 0), gone);
	entry(dir, "bucket.upload", gone, 1, NULL,
	      "http://127.0.0.1:9/another-bucket/x");
	entry(dir, "host.upload", gone, 1, "another-host", url);
	snprintf(bad, sizeof(bad), "%s#", url);	/* a DELETE of the object */
	entry(dir, "bad.upload", gone, 1, NULL, bad);
	/* another prefix's object, once curl has resolved the dots */
	snprintf(bad, sizeof(bad), "%s/" BUCKET "/orph/../psz/live",
		 C.endpoint);
	entry(dir, "dots.upload", gone, 1, NULL, bad);

	/* A read-only mount ends none: it writes nothing, not even the
	 * probe's scratch object. */
	start_on(&M, "orph", "frames=256,ro");
	assert_int_equal(mnt_stat(&M, "http_multipart_aborted"), 0);
	assert_int_equal(mnt_stat(&M, "http_requests_put"), 0);
	assert_int_equal(mnt_stat(&M, "http_requests_delete"), 0);
	assert_int_equal(mnt_stat(&M, "http_requests_post"), 0);
	assert_int_equal(mnt_stop(&M), 0);
	assert_int_equal(webdav_uploads(gw), 1);
	assert_int_equal(journal_entries(dir), 6);

	start_on(&M, "orph", "frames=256");
	assert_int_equal(webdav_uploads(gw), 0);
	assert_int_equal(mnt_stat(&M, "http_multipart_aborted"), 1);
	assert_int_equal(journal_entries(dir), 5);
	assert_true(entry_there(dir, "live.upload"));
	assert_true(entry_there(dir, "bucket.upload"));
	assert_true(entry_there(dir, "host.upload"));
	assert_true(entry_there(dir, "bad.upload"));
	assert_true(entry_there(dir, "dots.upload"));
	assert_int_equal(mnt_stop(&M), 0);
	assert_on_gateway("orph/", "big", data, SIZE);
	{
		static const char *const names[] = { "live.upload",
			"bucket.upload", "host.upload", "bad.upload",
			"dots.upload" };

		for (int i = 0; i < 5; i++) {
			char path[400];

			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			unlink(path);
		}
	}
	webdav_free(gw);
	free(data);
}

/* Virtual-host addressing: the bucket in the host name (BUCKET.localhost,
 * which curl resolves to the loopback, and the gateway's rgw dns name);
 * a file written through the mount is on the gateway (path-style), a
 * listing and a large object's multipart write-back (its signed copies)
 * work; an IP address endpoint is refused. */
static void test_fs_s3_virtual_host(void **s)
{
	enum { SIZE = (9 << 20) + 10 };
	char *a = malloc(SIZE), ep[96], all[256], err[512];
	const char *port;
	struct dirent *e;
	DIR *d;
	int fd, n = 0;

	(void)s;
	need_ceph();
	port = strrchr(C.endpoint, ':');
	assert_non_null(port);
	snprintf(ep, sizeof(ep), "http://localhost%s", port);
	mnt_cleanup(&M);
	snprintf(M.source, sizeof(M.source), "s3://" BUCKET "/vh");
	snprintf(all, sizeof(all), "frames=256,s3_endpoint=%s,s3_region=%s,"
		 "s3_addressing=virtual", ep, C.region);
	if (mnt_start(&M, all) != 0)
		fail_msg("framefs did not mount %s with -o %s", M.source, all);
	{
		char st[16384];
		int sfd = open(mpath(&M, ".framefs/stats"), O_RDONLY);
		ssize_t k;

		assert_true(sfd >= 0);
		k = read(sfd, st, sizeof(st) - 1);
		close(sfd);
		assert_true(k > 0);
		st[k] = '\0';
		if (!strstr(st, "store_path http://" BUCKET ".localhost:"))
			fail_msg("no virtual-host store_path in:\n%s", st);
	}
	fill(a, SIZE, 11);
	fd = open(mpath(&M, "v"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, a, SIZE), SIZE);
	assert_int_equal(fsync(fd), 0);
	assert_on_gateway("vh/", "v", a, SIZE);
	/* one page more: a multipart write-back, part 0 copied */
	memset(a + SIZE - 10, 'V', 10);
	assert_int_equal(pwrite(fd, a + SIZE - 10, 10, SIZE - 10), 10);
	assert_int_equal(close(fd), 0);
	assert_int_equal(mnt_stat(&M, "http_parts_copied"), 1);
	assert_on_gateway("vh/", "v", a, SIZE);
	d = opendir(M.mp);
	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strcmp(e->d_name, "v");
	closedir(d);
	assert_int_equal(n, 1);
	free(a);
	/* the bucket cannot go into an IP address */
	{
		char *argv[] = { getenv("FRAMEFS"), "-o", all, M.source,
				 M.mp, NULL };

		snprintf(all, sizeof(all), "s3_endpoint=%s,s3_addressing="
			 "virtual", C.endpoint);
		assert_int_equal(run_cmd(argv, err, sizeof(err)), 2);
		assert_non_null(strstr(err, "give s3_endpoint a host name"));
	}
}

/* The gateway over TLS (its beast frontend, a certificate of a CA made for
 * the test): with cacert=FILE a file written through the mount is on the
 * gateway; without it the mount is refused with one line naming the
 * certificate problem. */
static void test_fs_s3_https(void **s)
{
	char a[2 * PS], all[512], err[512];
	int fd;

	(void)s;
	need_ceph();
	if (!C.tls_endpoint[0]) {
		print_message("no openssl program: no https gateway\n");
		skip();
	}
	{
		char mp[] = "/tmp/framefs-tls-mnt.XXXXXX";
		char *argv[] = { getenv("FRAMEFS"), "-o", all,
				 "s3://" BUCKET "/tls", mp, NULL };
		int rc;

		assert_non_null(mkdtemp(mp));
		snprintf(all, sizeof(all), "s3_endpoint=%s,s3_region=%s",
			 C.tls_endpoint, C.region);
		rc = run_cmd(argv, err, sizeof(err));
		if (rmdir(mp) != 0)	/* busy: it mounted after all */
			fail_msg("%s: mounted without the test's CA", mp);
		assert_int_equal(rc, 1);
		if (!strstr(err, "SSL certificate problem"))
			fail_msg("no word of the certificate in: %s", err);
	}
	mnt_cleanup(&M);
	snprintf(M.source, sizeof(M.source), "s3://" BUCKET "/tls");
	snprintf(all, sizeof(all), "frames=64,s3_endpoint=%s,s3_region=%s,"
		 "cacert=%s", C.tls_endpoint, C.region, C.cacert);
	if (mnt_start(&M, all) != 0)
		fail_msg("framefs did not mount %s with -o %s", M.source, all);
	fill(a, sizeof(a), 31);
	fd = open(mpath(&M, "t"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, a, sizeof(a)), (ssize_t)sizeof(a));
	assert_int_equal(close(fd), 0);
	assert_on_gateway("tls/", "t", a, sizeof(a));
}

/* The gateway stopped under dirty data and started again: fsync reports
 * EIO and keeps everything; once the gateway is back the next fsync
 * writes it, and the object on the gateway is the model.  (The page is
 * written after the stop: the script's process, forked with the file
 * open, closes it, and that close is a FLUSH that would write the page
 * back while the gateway is still up.) */
static void test_fs_s3_gateway_restart(void **s)
{
	char a[4 * PS];
	int fd;

	(void)s;
	need_ceph();
	start_on(&M, "gone", "frames=64,http_retries=2,"
		 "dirty_expire_ms=600000");
	fill(a, sizeof(a), 41);
	fd = open(mpath(&M, "g"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, a, 3 * PS, 0), (ssize_t)(3 * PS));
	assert_int_equal(fsync(fd), 0);
	if (ceph_rgw_stop(&C) != 0)
		fail_msg("the gateway did not stop: %s", C.why);
	assert_int_equal(pwrite(fd, a + 3 * PS, PS, 3 * PS), (ssize_t)PS);
	assert_int_equal(fsync(fd), -1);
	assert_int_equal(errno, EIO);
	assert_true(mnt_stat(&M, "http_transport_errors") > 0);
	if (ceph_rgw_start(&C) != 0)
		fail_msg("the gateway did not start again: %s", C.why);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
	assert_on_gateway("gone/", "g", a, sizeof(a));
}

/* readdir of a directory of 1,100 objects (more than one listing page). */
static void test_fs_s3_listing(void **s)
{
	enum { N = 1100 };
	struct webdav *dav;
	struct dirent *e;
	char name[32];
	DIR *d;
	int n = 0;

	(void)s;
	need_ceph();
	dav = gateway("list/");
	for (int i = 0; i < N; i++) {
		struct iovec v = { name, 0 };

		snprintf(name, sizeof(name), "big/o%04d", i);
		v.iov_len = strlen(name);
		assert_int_equal(webdav_put(dav, name, &v, 1, 0,
					    (int64_t)v.iov_len, NULL, NULL),
				 0);
	}
	webdav_free(dav);
	start_on(&M, "list", "frames=64");
	d = opendir(mpath(&M, "big"));
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, N);
	{
		char buf[32];
		int fd = open(mpath(&M, "big/o1099"), O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof(buf)), 9);
		assert_memory_equal(buf, "big/o1099", 9);
		close(fd);
	}
}

/* Two daemons on one bucket: close on one, open on the other. */
static void test_fs_s3_two_mounts(void **s)
{
	char a[3 * PS], b[3 * PS];
	int fd;

	(void)s;
	need_ceph();
	start_on(&M, "two", "frames=64");
	start_on(&M2, "two", "frames=64");
	fill(a, sizeof(a), 3);
	fd = open(mpath(&M, "shared"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, a, sizeof(a)), sizeof(a));
	assert_int_equal(close(fd), 0);
	read_back(mpath(&M2, "shared"), b, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
	/* and back: B writes, A's next open sees it whole */
	fill(b, sizeof(b), 4);
	fd = open(mpath(&M2, "shared"), O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, sizeof(b), 0), sizeof(b));
	assert_int_equal(close(fd), 0);
	read_back(mpath(&M, "shared"), a, sizeof(a));
	assert_memory_equal(a, b, sizeof(a));
}

/* Refusals: one line, exit 1, nothing mounted. */
static void test_fs_s3_refusals(void **s)
{
	static const struct {
		const char *url, *env_secret, *want;
	} cases[] = {
		{ "s3://nosuchbucket", NULL, "no such bucket" },
		{ "s3://" BUCKET, "wrong", "access denied" },
		{ "s3://" BUCKET, "", "no S3 credentials" },
	};
	const char *bin = getenv("FRAMEFS");

	(void)s;
	need_ceph();
	assert_non_null(bin);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char opts[256], err[1024] = "", mp[] = "/tmp/ffs3-XXXXXX";
		char *argv[] = { (char *)bin, "-o", opts, (char *)cases[i].url,
				 mp, NULL };
		int rc;

		assert_non_null(mkdtemp(mp));
		snprintf(opts, sizeof(opts), "s3_endpoint=%s,s3_region=%s",
			 C.endpoint, C.region);
		if (cases[i].env_secret)
			setenv("AWS_SECRET_ACCESS_KEY", cases[i].env_secret, 1);
		rc = run_cmd(argv, err, sizeof(err));
		setenv("AWS_SECRET_ACCESS_KEY", C.secret_key, 1);
		rmdir(mp);
		print_message("%s: exit %d: %s", cases[i].url, rc, err);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(err, cases[i].want));
		assert_non_null(strstr(err, "framefs: "));
		{
			int lines = 0;

			for (const char *c = err; *c; c++)
				lines += *c == '\n';
			assert_int_equal(lines, 1);
		}
	}
}

/* Writes text to name on M, then reads M's .framefs/stats into buf. */
static void write_then_stats(const char *name, const char *text, char *buf,
			     size_t cap)
{
	size_t len = strlen(text);
	int fd = open(mpath(&M, name), O_RDWR | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	fd = open(mpath(&M, ".framefs/stats"), O_RDONLY);
	assert_true(fd >= 0);
	memset(buf, 0, cap);
	for (ssize_t n, at = 0;
	     (n = read(fd, buf + at, cap - 1 - (size_t)at)) > 0;)
		at += n;
	close(fd);
}

/* credentials=FILE: the keys from an AWS shared-credentials file, the
 * profile AWS_PROFILE names; the secret nowhere in .framefs/. */
static void test_fs_s3_credentials_file(void **s)
{
	static char buf[1 << 16];
	char path[] = "/tmp/ffs3-cred-XXXXXX", opts[400], *stats;
	FILE *f;
	int fd;

	(void)s;
	need_ceph();
	fd = scratch_file(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "[default]\naws_access_key_id = nobody\n"
		   "aws_secret_access_key = nothing\n\n[framefs]\n"
		   "aws_access_key_id = %s\naws_secret_access_key = %s\n",
		C.access_key, C.secret_key);
	fclose(f);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_PROFILE", "framefs", 1);
	snprintf(opts, sizeof(opts), "frames=64,credentials=%s", path);
	start_on(&M, "cred", opts);
	unsetenv("AWS_PROFILE");
	setenv("AWS_ACCESS_KEY_ID", C.access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", C.secret_key, 1);
	write_then_stats("c", "cred", buf, sizeof(buf));
	stats = strstr(buf, C.secret_key);
	assert_null(stats);
	assert_non_null(strstr(buf, "store s3"));
	assert_int_equal(mnt_stop(&M), 0);
	assert_on_gateway("cred/", "c", "cred", 4);
	unlink(path);
}

static int teardown_all(void **state)
{
	(void)state;
	mnt_stop_all();
	ceph_cleanup(&C);
	return 0;
}

/* ---- temporary credentials ---------------------------------------- */

struct sink {
	char *p;
	size_t n, cap;
};

static size_t sink_cb(char *in, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t k = size * nmemb;

	if (k > s->cap - 1 - s->n)
		k = s->cap - 1 - s->n;
	memcpy(s->p + s->n, in, k);
	s->n += k;
	s->p[s->n] = '\0';
	return size * nmemb;
}

/* A POST of the form body to the gateway's IAM or STS API (service "iam"
 * or "sts"), signed with the test user's keys.  Returns the HTTP status;
 * the answer's body in out. */
static long gw_post(const char *service, const char *body, char *out,
		    size_t outlen)
{
	struct sink s = { .p = out, .cap = outlen };
	char sig[96], url[160];
	long code = 0;
	CURL *h = curl_easy_init();

	assert_non_null(h);
	out[0] = '\0';
	snprintf(sig, sizeof(sig), "aws:amz:%s:%s", C.region, service);
	snprintf(url, sizeof(url), "%s/", C.endpoint);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sig);
	curl_easy_setopt(h, CURLOPT_USERNAME, C.access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, C.secret_key);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	return code;
}

/* The text of <name>...</name> in xml, into out. */
static void xml_field(const char *xml, const char *name, char *out,
		      size_t len)
{
	char open_tag[64], close_tag[64];
	const char *a, *b;

	snprintf(open_tag, sizeof(open_tag), "<%s>", name);
	snprintf(close_tag, sizeof(close_tag), "</%s>", name);
	a = strstr(xml, open_tag);
	b = a ? strstr(a, close_tag) : NULL;
	if (!a || !b || (size_t)(b - a - strlen(open_tag)) >= len)
		fail_msg("no %s in the gateway's answer: %s", name, xml);
	a += strlen(open_tag);
	snprintf(out, len, "%.*s", (int)(b - a), a);
}

/* Temporary credentials, as AWS hands them out (SSO, roles, a learner
 * lab): a key, a secret and a session token.  The gateway's STS
 * (GetSessionToken, once a user policy allows it) gives a set; with
 * AWS_SESSION_TOKEN the mount writes a file, which is on the gateway; the
 * same key and secret without the token (access denied), or with a wrong
 * one (the token refused), are refused at mount (one line, nothing
 * mounted); aws_session_token in a
 * credentials file works as the variable does; the token is not in the
 * stats. */
static void test_fs_s3_session_token(void **s)
{
	static const char policy[] =
		"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
		"\"Allow\",\"Action\":[\"sts:GetSessionToken\",\"s3:*\"],"
		"\"Resource\":\"*\"}]}";
	static char ans[16384], tk[8192], stats[1 << 16];
	char body[1024], ak[128], sk[256], opts[400], err[1024];
	char cred[] = "/tmp/ffs3-sts-XXXXXX", mp[] = "/tmp/ffs3-XXXXXX";
	char *pol, *bin = getenv("FRAMEFS");
	char *argv[] = { bin, "-o", opts, "s3://" BUCKET "/sts", mp, NULL };
	FILE *f;
	int fd;

	(void)s;
	need_ceph();
	assert_non_null(bin);
	pol = curl_easy_escape(NULL, policy, 0);
	assert_non_null(pol);
	snprintf(body, sizeof(body), "Action=PutUserPolicy&UserName=framefs&"
		 "PolicyName=framefs-sts&PolicyDocument=%s", pol);
	curl_free(pol);
	if (gw_post("iam", body, ans, sizeof(ans)) != 200)
		fail_msg("PutUserPolicy: %s", ans);
	if (gw_post("sts", "Action=GetSessionToken&Version=2011-06-15&"
		    "DurationSeconds=3600", ans, sizeof(ans)) != 200)
		fail_msg("GetSessionToken: %s", ans);
	xml_field(ans, "AccessKeyId", ak, sizeof(ak));
	xml_field(ans, "SecretAccessKey", sk, sizeof(sk));
	xml_field(ans, "SessionToken", tk, sizeof(tk));

	setenv("AWS_ACCESS_KEY_ID", ak, 1);
	setenv("AWS_SECRET_ACCESS_KEY", sk, 1);
	setenv("AWS_SESSION_TOKEN", tk, 1);
	start_on(&M, "sts", "frames=64,s3_part_size=5");
	write_then_stats("t", "temporary", stats, sizeof(stats));
	assert_null(strstr(stats, tk));
	assert_null(strstr(stats, sk));
	{
		/* a part written, two copied on the gateway: the copies
		 * are signed by s3.c, the token with them */
		enum { SIZE = 11 << 20 };
		char *model = malloc(SIZE), page[PS];
		struct webdav *gw = gateway("sts/");

		assert_non_null(model);
		fill(model, SIZE, 11);
		put_object(gw, "big", model, SIZE);
		webdav_free(gw);
		fd = open(mpath(&M, "big"), O_RDWR);
		assert_true(fd >= 0);
		memset(page, 'T', PS);
		memcpy(model + (6 << 20), page, PS);
		assert_int_equal(pwrite(fd, page, PS, 6 << 20), (ssize_t)PS);
		assert_int_equal(fsync(fd), 0);
		assert_int_equal(close(fd), 0);
		assert_int_equal(mnt_stat(&M, "http_parts_copied"), 2);
		assert_on_gateway("sts/", "big", model, SIZE);
		free(model);
	}
	assert_int_equal(mnt_stop(&M), 0);
	assert_on_gateway("sts/", "t", "temporary", 9);

	snprintf(opts, sizeof(opts), "s3_endpoint=%s,s3_region=%s",
		 C.endpoint, C.region);
	for (int i = 0; i < 2; i++) {
		int rc;

		if (i == 0)
			unsetenv("AWS_SESSION_TOKEN");
		else
			setenv("AWS_SESSION_TOKEN", "not-a-token", 1);
		assert_non_null(mkdtemp(mp));
		rc = run_cmd(argv, err, sizeof(err));
		rmdir(mp);
		strcpy(mp, "/tmp/ffs3-XXXXXX");
		print_message("%s token: exit %d: %s", i ? "a wrong" :
			      "without the", rc, err);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(err, i ? "the session token was refused"
					      : "access denied"));
		assert_null(strstr(err, tk));
	}

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	fd = scratch_file(cred);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "[default]\naws_access_key_id = %s\n"
		   "aws_secret_access_key = %s\naws_session_token = %s\n",
		ak, sk, tk);
	fclose(f);
	snprintf(opts, sizeof(opts), "frames=64,credentials=%s", cred);
	start_on(&M, "sts", opts);
	{
		char got[16] = "";

		fd = open(mpath(&M, "t"), O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, got, sizeof(got)), 9);
		close(fd);
		assert_memory_equal(got, "temporary", 9);
	}
	assert_int_equal(mnt_stop(&M), 0);
	unlink(cred);
	setenv("AWS_ACCESS_KEY_ID", C.access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", C.secret_key, 1);
}

/* ---- keys rotated under a mount ------------------------------------ */

/* radosgw-admin key create|rm for the test user: access key ak (secret sk
 * for create). */
static void user_key(const char *verb, const char *ak, const char *sk)
{
	char conf[300], a[96], k[96], err[1024];
	char *argv[] = { "/usr/bin/radosgw-admin", "-c", conf, "key",
			 (char *)verb, "--uid=framefs", "--key-type=s3", a,
			 sk ? k : NULL, NULL };

	snprintf(conf, sizeof(conf), "%s/ceph.conf", C.dir);
	snprintf(a, sizeof(a), "--access-key=%s", ak);
	snprintf(k, sizeof(k), "--secret-key=%s", sk ? sk : "");
	if (run_cmd(argv, err, sizeof(err)) != 0)
		fail_msg("radosgw-admin key %s %s: %s", verb, ak, err);
}

/* The credentials file path holds ak and sk (replaced whole, by rename,
 * as tools that renew credentials do). */
static void cred_write(const char *path, const char *ak, const char *sk)
{
	char tmp[300];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fprintf(f, "[default]\naws_access_key_id = %s\n"
		   "aws_secret_access_key = %s\n", ak, sk);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static void write_sync(const char *name, const char *text)
{
	int fd = open(mpath(&M, name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)),
			 (ssize_t)strlen(text));
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
}

/* name's bytes read cold (frames and the kernel's copy dropped): 0 and
 * the text in got, or -errno. */
static int read_cold(const char *name, char *got, size_t len)
{
	ssize_t n;
	int fd;

	assert_int_equal(mnt_control(&M, "drop"), 0);
	memset(got, 0, len);
	fd = open(mpath(&M, name), O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, got, len - 1);
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The daemon's log, NUL-terminated (malloc'd). */
static char *log_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Keys rotated under a running mount, or temporary credentials renewed:
 * whatever renews them rewrites the credentials file, and the gateway
 * refuses the old keys.  The daemon then reads the file again and sends
 * the refused request once more with the new keys, so writes and reads
 * go on; refused keys that the file still holds stay refused (EACCES),
 * until it holds new ones.  The daemon's log says so, without a key. */
static void test_fs_s3_keys_rotated(void **s)
{
	char cred[] = "/tmp/ffs3-rot-XXXXXX", opts[400], got[32], *log;
	int fd, rc;

	(void)s;
	need_ceph();
	fd = scratch_file(cred);
	assert_true(fd >= 0);
	close(fd);
	user_key("create", "FFROTATE1", "rotate-secret-one");
	cred_write(cred, "FFROTATE1", "rotate-secret-one");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	mnt_cleanup(&M);
	snprintf(M.source, sizeof(M.source), "s3://" BUCKET "/rot");
	snprintf(M.log, sizeof(M.log), "%s.log", cred);
	snprintf(opts, sizeof(opts), "frames=64,credentials=%s,"
		 "s3_endpoint=%s,s3_region=%s", cred, C.endpoint, C.region);
	rc = mnt_start(&M, opts);
	setenv("AWS_ACCESS_KEY_ID", C.access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", C.secret_key, 1);
	if (rc != 0)
		fail_msg("framefs did not mount %s: %s", M.source, M.why);
	write_sync("a", "first");

	user_key("create", "FFROTATE2", "rotate-secret-two");
	cred_write(cred, "FFROTATE2", "rotate-secret-two");
	user_key("rm", "FFROTATE1", NULL);
	write_sync("b", "second");
	assert_int_equal(read_cold("a", got, sizeof(got)), 0);
	assert_string_equal(got, "first");
	assert_int_equal(mnt_stat(&M, "http_keys_reread"), 1);

	user_key("rm", "FFROTATE2", NULL);
	assert_int_equal(read_cold("a", got, sizeof(got)), -EACCES);
	assert_int_equal(mnt_stat(&M, "http_keys_reread"), 1);
	user_key("create", "FFROTATE3", "rotate-secret-three");
	cred_write(cred, "FFROTATE3", "rotate-secret-three");
	assert_int_equal(read_cold("b", got, sizeof(got)), 0);
	assert_string_equal(got, "second");
	assert_int_equal(mnt_stat(&M, "http_keys_reread"), 2);
	assert_int_equal(mnt_stop(&M), 0);
	assert_on_gateway("rot/", "b", "second", 6);

	log = log_text(M.log);
	assert_non_null(strstr(log, "took the new ones in"));
	assert_null(strstr(log, "rotate-secret"));
	free(log);
	user_key("rm", "FFROTATE3", NULL);
	unlink(M.log);
	unlink(cred);
}

/* A part copy refused for its keys: the mount goes through the fault
 * proxy, the credentials file gets new keys (the old ones still work),
 * and the proxy answers the first UploadPartCopy of a write-back with 403
 * AccessDenied.  The copy, signed by s3.c itself, is signed again with
 * the file's new keys and sent once more: fsync succeeds, both unchanged
 * parts are copied on the gateway, and the keys were read again once.
 * (Before, the refused copy failed the multipart upload, and the object
 * went whole in one PUT with the old keys: no part copied.) */
static void test_fs_s3_keys_rotated_copy(void **s)
{
	enum { SIZE = 11 << 20 };
	char cred[] = "/tmp/ffs3-rotc-XXXXXX", opts[400], ep[64];
	char *model = malloc(SIZE), page[PS];
	const char *port;
	struct webdav *gw;
	struct proxy *px;
	int fd, rc;

	(void)s;
	need_ceph();
	port = strrchr(C.endpoint, ':');
	assert_non_null(model);
	assert_non_null(port);
	fill(model, SIZE, 17);
	gw = gateway("rotc/");
	put_object(gw, "big", model, SIZE);
	webdav_free(gw);
	fd = scratch_file(cred);
	assert_true(fd >= 0);
	close(fd);
	user_key("create", "FFROTCOPY1", "rotate-copy-one");
	cred_write(cred, "FFROTCOPY1", "rotate-copy-one");
	px = proxy_start(atoi(port + 1));
	assert_non_null(px);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", proxy_port(px));
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	mnt_cleanup(&M);
	snprintf(M.source, sizeof(M.source), "s3://" BUCKET "/rotc");
	snprintf(opts, sizeof(opts), "frames=256,s3_part_size=5,"
		 "credentials=%s,s3_endpoint=%s,s3_region=%s", cred, ep,
		 C.region);
	rc = mnt_start(&M, opts);
	setenv("AWS_ACCESS_KEY_ID", C.access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", C.secret_key, 1);
	if (rc != 0)
		fail_msg("framefs did not mount %s: %s", M.source, M.why);
	fd = open(mpath(&M, "big"), O_RDWR);
	assert_true(fd >= 0);

	user_key("create", "FFROTCOPY2", "rotate-copy-two");
	cred_write(cred, "FFROTCOPY2", "rotate-copy-two");
	proxy_deny_request(px, "x-amz-copy-source");
	memset(page, 'K', PS);
	memcpy(model + (6 << 20), page, PS);
	assert_int_equal(pwrite(fd, page, PS, 6 << 20), (ssize_t)PS);
	assert_int_equal(fsync(fd), 0);
	print_message("keys read again %llu, parts copied %llu, put %llu, "
		      "refused by the proxy %u\n",
		      (unsigned long long)mnt_stat(&M, "http_keys_reread"),
		      (unsigned long long)mnt_stat(&M, "http_parts_copied"),
		      (unsigned long long)mnt_stat(&M, "http_parts_uploaded"),
		      proxy_faults(px));
	assert_int_equal(proxy_faults(px), 1);
	assert_int_equal(mnt_stat(&M, "http_keys_reread"), 1);
	assert_int_equal(mnt_stat(&M, "http_parts_copied"), 2);
	assert_int_equal(close(fd), 0);
	assert_int_equal(mnt_stop(&M), 0);
	assert_on_gateway("rotc/", "big", model, SIZE);
	proxy_stop(px);
	user_key("rm", "FFROTCOPY1", NULL);
	user_key("rm", "FFROTCOPY2", NULL);
	unlink(cred);
	free(model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fs_s3_eviction, teardown),
		cmocka_unit_test_teardown(test_fs_s3_mmap, teardown),
		cmocka_unit_test_teardown(test_fs_s3_big_mmap, teardown),
		cmocka_unit_test_teardown(test_fs_s3_fetch_streams, teardown),
		cmocka_unit_test_teardown(test_fs_s3_multipart, teardown),
		cmocka_unit_test_teardown(test_fs_s3_orphan_upload, teardown),
		cmocka_unit_test_teardown(test_fs_s3_part_size, teardown),
		cmocka_unit_test_teardown(test_fs_s3_virtual_host, teardown),
		cmocka_unit_test_teardown(test_fs_s3_https, teardown),
		cmocka_unit_test_teardown(test_fs_s3_gateway_restart, teardown),
		cmocka_unit_test_teardown(test_fs_s3_listing, teardown),
		cmocka_unit_test_teardown(test_fs_s3_two_mounts, teardown),
		cmocka_unit_test_teardown(test_fs_s3_refusals, teardown),
		cmocka_unit_test_teardown(test_fs_s3_keys_rotated, teardown),
		cmocka_unit_test_teardown(test_fs_s3_keys_rotated_copy,
					  teardown),
		cmocka_unit_test_teardown(test_fs_s3_credentials_file,
					  teardown),
		cmocka_unit_test_teardown(test_fs_s3_session_token,
					  teardown),
	};

	if (getenv("TEST_FS_S3_ONLY"))
		cmocka_set_test_filter(getenv("TEST_FS_S3_ONLY"));
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
