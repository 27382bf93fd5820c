/* memcg.c - a memory cgroup (v1) for one run of mmload: made fresh,
 * limited, entered, sampled, left and removed (memcg.h has the interface).
 *
 * Where.  /proc/self/mountinfo names the v1 hierarchy that has the memory
 * controller; /proc/self/cgroup the process's place in it.  The new
 * directory goes under that place if it may (a container's or a service's
 * own subtree, which use_hierarchy makes the limit a part of), else under
 * the hierarchy's root.
 *
 * The limit.  memory.limit_in_bytes counts everything charged to the
 * cgroup: the file's pages, and the workload's own memory made after it
 * entered (thread stacks, page tables of the mapping, the page cache's
 * tree nodes, which in v1 are charged as kernel memory to the same
 * counter).  The limit starts at the page cache asked for plus an estimate
 * of that own memory; the sampler measures the own memory (usage minus the
 * file LRU) every interval and moves the limit with it: up when it grows,
 * so that the cache keeps its room, and down again when it has shrunk by
 * more than 2 * MARGIN_PAGES (the start of a run charges a passing peak of
 * a few hundred KiB; a limit left at that peak let the cache hold 20% more
 * pages than asked for the rest of the run).
 *
 * Cleanup.  A run that the OOM killer or SIGKILL ended leaves its
 * directory behind; the next run removes such directories whose PID is
 * gone (sweep_stale).  The state the handlers need is static and prepared at open
 * (paths, the PID as text), so the cleanup is write/rmdir/kill/waitpid
 * only: async-signal-safe.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memcg.h"

#define PS 4096u
#define MARGIN_PAGES 16		/* kept free above cache + own memory */

struct memcg {
	char dir[2200];			/* the cgroup made for this run */
	char orig[2100];		/* the cgroup the process came from */
	uint64_t cache_bytes;		/* room asked for the page cache */
	uint64_t limit;			/* memory.limit_in_bytes as set */
	/* the sampler */
	pthread_t tid;
	bool running;
	int stop;			/* atomic */
	unsigned interval_ms;
	struct memcg_stat first, last;
	uint64_t samples, file_sum, file_max, mapped_sum, other_max;
	uint64_t active_sum;
	uint64_t full_samples, full_sum;	/* from the first full sample */
};

/* For the signal handlers and atexit: one cgroup at a time. */
static struct {
	volatile sig_atomic_t active;
	pid_t owner;			/* the process that made it */
	volatile pid_t child;		/* a --fork child to stop first */
	char dir[2200];
	char orig_procs[2200];
	char pid_text[24];
} G;

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Writes text to dir/name; 0 or -errno.  Async-signal-safe. */
static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;
	size_t n = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n)
		rc = -errno;
	close(fd);
	return rc;
}

static int write_at(const char *dir, const char *name, const char *text)
{
	char path[2400];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return write_file(path, text);
}

static int write_num(const char *dir, const char *name, uint64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRIu64, v);
	return write_at(dir, name, text);
}

/* Step 1: the v1 hierarchy with the memory controller, from mountinfo:
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - cgroup SRC SUPEROPTS". */
static bool find_mount(char *mnt, size_t len, bool *v2_only)
{
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;

	*v2_only = false;
	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp)) {
		char *sep = strstr(line, " - "), point[1024], type[64];
		char src[256], opts[1024];

		if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s", point) != 1 ||
		    sscanf(sep + 3, "%63s %255s %1023s", type, src, opts) != 3)
			continue;
		if (!strcmp(type, "cgroup2"))
			*v2_only = true;
		if (strcmp(type, "cgroup"))
			continue;
		for (char *tok = strtok(opts, ","); tok;
		     tok = strtok(NULL, ","))
			if (!strcmp(tok, "memory")) {
				snprintf(mnt, len, "%s", point);
				found = true;
			}
	}
	fclose(fp);
	if (found)
		*v2_only = false;
	return found;
}

/* Step 2: the process's path in that hierarchy, "N:memory,...:/path". */
static bool find_own(char *path, size_t len)
{
	FILE *fp = fopen("/proc/self/cgroup", "re");
	char line[4096];
	bool found = false;

	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') :
			   NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		line[strcspn(c2 + 1, "\n") + (size_t)(c2 + 1 - line)] = '\0';
		for (char *tok = strtok(c1 + 1, ","); tok;
		     tok = strtok(NULL, ","))
			if (!strcmp(tok, "memory")) {
				snprintf(path, len, "%s", c2 + 1);
				found = true;
			}
	}
	fclose(fp);
	return found;
}

/* Moves this process back and removes the directory: async-signal-safe. */
static int cleanup(void)
{
	struct timespec ts = { 0, 10 * 1000000 };
	int rc = 0;

	if (!G.active || getpid() != G.owner)
		return 0;
	if (G.child > 0) {
		kill(G.child, SIGKILL);
		waitpid(G.child, NULL, 0);
		G.child = 0;
	}
	write_file(G.orig_procs, G.pid_text);
	for (int i = 0; i < 100; i++) {
		rc = rmdir(G.dir) < 0 ? -errno : 0;
		if (rc != -EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	G.active = 0;
	return rc;
}

static void on_signal(int sig)
{
	int saved = errno;

	(void)cleanup();
	signal(sig, SIG_DFL);
	errno = saved;
	raise(sig);
}

static void on_exit_cleanup(void)
{
	(void)cleanup();
}

/* Removes the cgroups under dir that an earlier mmload made and could not
 * remove (the OOM killer or a SIGKILL ended it): mmload.PID with no such
 * process.  rmdir fails on a cgroup that still holds a task or a child, so
 * nothing in use goes. */
static void sweep_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], *end;
		long pid;

		if (strncmp(de->d_name, "mmload.", 7))
			continue;
		errno = 0;
		pid = strtol(de->d_name + 7, &end, 10);
		if (errno || *end || pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
		    (int)sizeof(path))
			(void)rmdir(path);
	}
	closedir(d);
}

struct memcg *memcg_open(uint64_t cache_bytes, uint64_t other_bytes,
			 char *err, size_t errlen)
{
	char mnt[1024], own[1024], parent[2100];
	const char *where[2];
	struct memcg *m;
	struct sigaction sa;
	bool v2_only;
	int rc = 0;

	if (G.active) {
		set_err(err, errlen, "one cgroup at a time");
		return NULL;
	}
	if (!find_mount(mnt, sizeof(mnt), &v2_only)) {
		set_err(err, errlen, "no cgroup v1 memory controller is "
			"mounted%s", v2_only ? " (cgroup v2's memory.max is "
			"not driven yet)" : "");
		return NULL;
	}
	if (geteuid() != 0) {
		set_err(err, errlen, "needs root (it makes a memory cgroup "
			"under %s and moves itself into it)", mnt);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		set_err(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	m->cache_bytes = cache_bytes;
	m->limit = (cache_bytes + other_bytes + PS - 1) / PS * PS;
	if (!find_own(own, sizeof(own)))
		snprintf(own, sizeof(own), "/");
	snprintf(parent, sizeof(parent), "%s%s", mnt,
		 strcmp(own, "/") ? own : "");
	snprintf(m->orig, sizeof(m->orig), "%s", parent);
	where[0] = parent;
	where[1] = strcmp(own, "/") ? mnt : NULL;

	/* Step 3: a fresh directory under the own cgroup, else the root,
	 * and the limit written (a directory whose limit cannot be set is
	 * of no use: removed, and the next place tried). */
	for (int i = 0; i < 2 && where[i]; i++)
		sweep_stale(where[i]);
	for (int i = 0; i < 2 && where[i]; i++) {
		snprintf(m->dir, sizeof(m->dir), "%s/mmload.%d", where[i],
			 (int)getpid());
		if (mkdir(m->dir, 0755) < 0 && errno == EEXIST &&
		    rmdir(m->dir) == 0)	/* a stale one of this PID */
			(void)mkdir(m->dir, 0755);
		if (access(m->dir, F_OK) < 0) {
			rc = -errno;
			set_err(err, errlen, "mkdir %s: %s", m->dir,
				strerror(errno));
			continue;
		}
		rc = write_num(m->dir, "memory.limit_in_bytes", m->limit);
		if (rc == 0)
			break;
		set_err(err, errlen, "%s/memory.limit_in_bytes: %s", m->dir,
			strerror(-rc));
		rmdir(m->dir);
	}
	if (rc < 0) {
		free(m);
		return NULL;
	}

	/* Step 4: the cleanup the handlers and exit() run. */
	snprintf(G.dir, sizeof(G.dir), "%s", m->dir);
	snprintf(G.orig_procs, sizeof(G.orig_procs), "%s/cgroup.procs",
		 m->orig);
	snprintf(G.pid_text, sizeof(G.pid_text), "%d", (int)getpid());
	G.owner = getpid();
	G.child = 0;
	G.active = 1;
	{
		static bool registered;

		if (!registered)
			atexit(on_exit_cleanup);
		registered = true;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return m;
}

const char *memcg_path(const struct memcg *m)
{
	return m->dir;
}

int memcg_enter(struct memcg *m, pid_t pid)
{
	return write_num(m->dir, "cgroup.procs",
			 (uint64_t)(pid ? pid : getpid()));
}

int memcg_leave(struct memcg *m)
{
	return write_num(m->orig, "cgroup.procs", (uint64_t)getpid());
}

/* One thread (v1 allows it) back to where it came from: its own charges,
 * such as the page cache of a file it writes, then stay out of the run. */
int memcg_thread_out(struct memcg *m, pid_t tid)
{
	return write_num(m->orig, "tasks", (uint64_t)tid);
}

void memcg_set_child(pid_t child)
{
	G.child = child;
}

static uint64_t read_u64(const char *dir, const char *name)
{
	char path[2400], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strtoull(buf, NULL, 10);
}

/* memory.stat: this cgroup's own lines (it has no children, so the
 * total_ ones say the same). */
int memcg_read_stat(struct memcg *m, struct memcg_stat *st)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
#define K(n, f) { n, offsetof(struct memcg_stat, f) }
		K("cache", cache), K("mapped_file", mapped_file),
		K("shmem", shmem), K("inactive_file", inactive_file),
		K("active_file", active_file), K("pgmajfault", pgmajfault),
		K("workingset_refault_file", refault_file),
		K("workingset_activate_file", activate_file),
		K("workingset_restore_file", restore_file),
#undef K
	};
	char path[2400], buf[8192];
	ssize_t n;
	int fd;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/memory.stat", m->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n'), *sp = strchr(line, ' ');

		if (nl)
			*nl = '\0';
		for (size_t k = 0; sp && k < sizeof(keys) / sizeof(keys[0]);
		     k++) {
			if ((size_t)(sp - line) != strlen(keys[k].name) ||
			    strncmp(line, keys[k].name, (size_t)(sp - line)))
				continue;
			*(uint64_t *)((char *)st + keys[k].off) =
				strtoull(sp + 1, NULL, 10);
			if (k == 6)
				st->has_refault = true;
			else if (k == 7)
				st->has_activate = true;
			else if (k == 8)
				st->has_restore = true;
		}
		line = nl ? nl + 1 : NULL;
	}
	st->usage = read_u64(m->dir, "memory.usage_in_bytes");
	return 0;
}

/* One sample.  The page cache is v1's "cache" less shmem (which it also
 * counts): every file page charged here, also those not on an LRU list
 * for the moment (in a per-CPU batch on their way to it, or isolated by
 * reclaim), which a sum of the file LRU lists would leave out and then
 * count as the workload's own memory.  The rest of the usage is the
 * workload's own memory, and the limit follows it. */
static void sample(struct memcg *m)
{
	struct memcg_stat st;
	uint64_t file, other, want;

	if (memcg_read_stat(m, &st) < 0)
		return;
	file = st.cache > st.shmem ? st.cache - st.shmem : 0;
	other = st.usage > file ? st.usage - file : 0;
	m->samples++;
	m->file_sum += file / PS;
	m->mapped_sum += st.mapped_file / PS;
	m->active_sum += st.active_file / PS;
	if (m->full_samples ||
	    file / PS + MEMCG_FULL_SLACK >= m->cache_bytes / PS) {
		m->full_samples++;
		m->full_sum += file / PS;
	}
	if (file / PS > m->file_max)
		m->file_max = file / PS;
	if (other / PS > m->other_max)
		m->other_max = other / PS;
	want = m->cache_bytes + other + MARGIN_PAGES * PS;
	if ((want > m->limit || want + 2 * MARGIN_PAGES * PS < m->limit) &&
	    write_num(m->dir, "memory.limit_in_bytes", want) == 0)
		m->limit = want;
	m->last = st;
}

static void *sampler_main(void *arg)
{
	struct memcg *m = arg;
	struct timespec ts = { 0, (long)m->interval_ms * 1000000 };

	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		sample(m);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int memcg_sampler_start(struct memcg *m, unsigned interval_ms)
{
	int rc;

	m->interval_ms = interval_ms;
	m->samples = m->file_sum = m->file_max = m->mapped_sum = 0;
	m->other_max = m->active_sum = m->full_samples = m->full_sum = 0;
	m->stop = 0;
	rc = memcg_read_stat(m, &m->first);
	if (rc < 0)
		return rc;
	rc = pthread_create(&m->tid, NULL, sampler_main, m);
	m->running = rc == 0;
	return -rc;
}

void memcg_sampler_stop(struct memcg *m, struct memcg_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (!m->running)
		return;
	__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
	pthread_join(m->tid, NULL);
	m->running = false;
	sample(m);			/* the end of the run */
	sum->samples = m->samples;
	sum->file_pages_avg = (double)m->file_sum / (double)m->samples;
	sum->file_pages_max = m->file_max;
	sum->mapped_pages_avg = (double)m->mapped_sum / (double)m->samples;
	sum->active_pages_avg = (double)m->active_sum / (double)m->samples;
	sum->full_samples = m->full_samples;
	sum->full_pages_avg = m->full_samples ?
		(double)m->full_sum / (double)m->full_samples : -1;
	sum->other_pages_max = m->other_max;
	sum->limit_bytes = m->limit;
	sum->pgmajfault = m->last.pgmajfault - m->first.pgmajfault;
	sum->has_refault = m->last.has_refault;
	sum->has_activate = m->last.has_activate;
	sum->has_restore = m->last.has_restore;
	sum->refault_file = m->last.refault_file - m->first.refault_file;
	sum->activate_file = m->last.activate_file - m->first.activate_file;
	sum->restore_file = m->last.restore_file - m->first.restore_file;
}

int memcg_close(struct memcg *m)
{
	int rc;

	if (!m)
		return 0;
	if (m->running) {
		struct memcg_summary s;

		memcg_sampler_stop(m, &s);
	}
	rc = cleanup();
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	free(m);
	return rc;
}
