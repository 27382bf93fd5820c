/* mount.c - real framefs mounts for the tests, fs_bench and compare (see
 * mount.h).
 *
 * The daemon runs in the foreground as our child, so its PID is known and
 * a test can kill -9 it.  A mount is ready when statfs() of the mountpoint
 * reports FUSE's magic.  Stopping: fusermount3 -u, then wait up to 60 s
 * for the daemon to write back and exit; past that it is killed by PID and
 * the mount detached (fusermount3 -uz), and the test fails.
 */
#include "mount.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC 0x65735546
#define MAX_MOUNTS 16

/* A failure: kept in m->why, and said on stderr unless m->quiet. */
static void say(struct mnt *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct mnt *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	if (!m->quiet)
		fprintf(stderr, "mount: %s\n", m->why);
}

static struct mnt *live[MAX_MOUNTS];

static bool is_fuse(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC;
}

bool mnt_available(void)
{
	int fd = open("/dev/fuse", O_RDWR);

	if (fd < 0)
		return false;
	close(fd);
	return access("/usr/bin/fusermount3", X_OK) == 0 ||
	       access("/bin/fusermount3", X_OK) == 0;
}

int run_cmd(char *const argv[], char *errbuf, size_t errlen)
{
	int pfd[2], st;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	if (errbuf && errlen) {
		size_t n = 0;
		ssize_t r;

		while (n + 1 < errlen &&
		       (r = read(pfd[0], errbuf + n, errlen - 1 - n)) > 0)
			n += (size_t)r;
		errbuf[n] = '\0';
	}
	close(pfd[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void remember(struct mnt *m, bool on)
{
	for (int i = 0; i < MAX_MOUNTS; i++) {
		if (on && !live[i]) {
			live[i] = m;
			return;
		}
		if (!on && live[i] == m) {
			live[i] = NULL;
			return;
		}
	}
}

static void atexit_stop(void)
{
	mnt_stop_all();
}

static int spawn(struct mnt *m)
{
	const char *bin = getenv("FRAMEFS");
	static bool hooked;
	pid_t pid;

	if (!bin) {
		say(m, "FRAMEFS is not set");
		return -1;
	}
	if (!hooked) {
		atexit(atexit_stop);
		hooked = true;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (m->own_pgrp)
			setpgid(0, 0);
		if (m->log[0]) {
			int fd = open(m->log, O_WRONLY | O_CREAT | O_APPEND |
					      O_CLOEXEC, 0644);

			if (fd >= 0) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
			}
		}
		execl(bin, bin, "-f", "-o", m->opts,
		      m->source[0] ? m->source : m->backing, m->mp,
		      (char *)NULL);
		_exit(127);
	}
	m->pid = pid;
	remember(m, true);
	for (int i = 0; i < 500; i++) {
		int st;

		if (is_fuse(m->mp))
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			say(m, "framefs exited with %d",
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			m->pid = 0;
			remember(m, false);
			return -1;
		}
		sleep_ms(10);
	}
	say(m, "framefs did not mount in 5 s");
	mnt_stop(m);
	return -1;
}

int mnt_start(struct mnt *m, const char *opts)
{
	size_t n = strlen(m->dir);

	/* The dir of an earlier start of the same struct, stopped: again
	 * (its backing may be in it, and mnt_cleanup removes one dir) */
	if (n >= 6 && strcmp(m->dir + n - 6, "XXXXXX") && !m->pid &&
	    access(m->dir, F_OK) == 0 && !is_fuse(m->mp)) {
		/* reused */
	} else {
		/* a template the caller set, or ours */
		if (n < 6 || strcmp(m->dir + n - 6, "XXXXXX"))
			snprintf(m->dir, sizeof(m->dir),
				 "/tmp/framefs-test.XXXXXX");
		if (!mkdtemp(m->dir)) {
			say(m, "mkdtemp %s: %s", m->dir, strerror(errno));
			return -1;
		}
	}
	if (!m->backing[0]) {
		snprintf(m->backing, sizeof(m->backing), "%s/backing", m->dir);
		mkdir(m->backing, 0755);
	}
	snprintf(m->mp, sizeof(m->mp), "%s/mnt", m->dir);
	mkdir(m->mp, 0755);
	snprintf(m->opts, sizeof(m->opts), "%s", opts);
	return spawn(m);
}

int mnt_restart(struct mnt *m)
{
	return spawn(m);
}

int mnt_stop(struct mnt *m)
{
	char *um[] = { "fusermount3", "-u", m->mp, NULL };
	char *uz[] = { "fusermount3", "-uz", m->mp, NULL };
	int st = -1;

	if (!m->pid) {
		/* A dead daemon's mount: statfs says ENOTCONN, not FUSE. */
		run_cmd(um, NULL, 0);
		if (is_fuse(m->mp))
			run_cmd(uz, NULL, 0);
		return -1;
	}
	int tries = 6000;

	for (int i = 0; run_cmd(um, NULL, 0) != 0; i++) {
		if (i == 20) {
			/* A failed test left files open: detach, and give the
			 * daemon 5 s once they close. */
			run_cmd(uz, NULL, 0);
			tries = 500;
			break;
		}
		sleep_ms(100);
	}
	for (int i = 0; i < tries; i++) {
		if (waitpid(m->pid, &st, WNOHANG) == m->pid) {
			st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 +
							       WTERMSIG(st);
			goto out;
		}
		sleep_ms(10);
	}
	say(m, "framefs %d did not exit; killing it", (int)m->pid);
	kill(m->pid, SIGKILL);
	waitpid(m->pid, NULL, 0);
	st = -1;
out:
	if (is_fuse(m->mp))
		run_cmd(uz, NULL, 0);
	m->pid = 0;
	remember(m, false);
	return st;
}

void mnt_stop_all(void)
{
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (live[i])
			mnt_stop(live[i]);
}

void mnt_cleanup(struct mnt *m)
{
	char *rm[] = { "rm", "-rf", m->dir, NULL };

	if (m->pid)
		mnt_stop(m);
	if (m->dir[0] && !is_fuse(m->mp))
		run_cmd(rm, NULL, 0);
	memset(m, 0, sizeof(*m));
}

uint64_t mnt_stat(struct mnt *m, const char *name)
{
	char path[400], key[128], line[256];
	unsigned long long v;
	uint64_t out = UINT64_MAX;
	FILE *f;

	snprintf(path, sizeof(path), "%s/.framefs/stats", m->mp);
	f = fopen(path, "r");
	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %llu", key, &v) == 2 &&
		    !strcmp(key, name))
			out = v;
	fclose(f);
	return out;
}

int mnt_control(struct mnt *m, const char *cmd)
{
	char path[400];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/.framefs/control", m->mp);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Four buffers in turn, so rename(mpath(a), mpath(b)) works. */
static const char *join(const char *dir, const char *name)
{
	static char buf[4][600];
	static unsigned next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

const char *mpath(struct mnt *m, const char *name)
{
	return join(m->mp, name);
}

const char *bpath(struct mnt *m, const char *name)
{
	return join(m->backing, name);
}
