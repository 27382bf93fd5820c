/* test_mapview.c - mapview against a real child on a real framefs mount.
 *
 * The child maps two framefs files, one shared and one private, touches
 * and writes known pages, and waits; mapview's JSON must report exactly
 * what it caused.  With readahead 0 and the pages dropped first, nothing
 * is in the page cache beforehand, so fault-around maps nothing extra and
 * the figures are exact: every touch is one major fault and one READ.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mount.h"

#define PS 4096u
#define NPAGES 16

static struct mnt M;
static pid_t child, grandchild;

static int teardown(void **state)
{
	(void)state;
	if (grandchild > 0) {
		kill(grandchild, SIGKILL);	/* the child reaps it */
		grandchild = 0;
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = 0;
	}
	mnt_stop_all();
	mnt_cleanup(&M);
	return 0;
}

/* Starts mapview with args in directory cwd (NULL: ours), its stdout on
 * *out_fd and, if errf is not NULL, its stderr into that file. */
static pid_t mapview_spawn(const char *cwd, char *const *args, int *out_fd,
			   FILE *errf)
{
	int pfd[2];
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		if (errf)
			dup2(fileno(errf), 2);
		close(pfd[0]);
		close(pfd[1]);
		if (cwd && chdir(cwd) < 0)
			_exit(126);
		execv(getenv("MAPVIEW"), args);
		_exit(127);
	}
	close(pfd[1]);
	*out_fd = pfd[0];
	return pid;
}

/* Reads a spawned mapview's stdout to its end into out (NUL-terminated)
 * and waits for it.  Returns its exit status, or -1 if a signal ended
 * it. */
static int mapview_finish_at(pid_t pid, int fd, char *out, size_t len,
			     size_t n)
{
	ssize_t r;
	int st;

	while (n + 1 < len && (r = read(fd, out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fd);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int mapview_finish(pid_t pid, int fd, char *out, size_t len)
{
	return mapview_finish_at(pid, fd, out, len, 0);
}

/* Reads mapview's output up to its first line: once that is out, mapview
 * has taken its first look, so what the client does next falls in the
 * watch however slowly mapview started (a sanitizer build on a loaded
 * machine).  Returns the bytes read into out, for mapview_finish_at. */
static size_t mapview_first_line(int fd, char *out, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len && !memchr(out, '\n', n) &&
	       (r = read(fd, out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	return n;
}

/* Runs mapview with args in directory cwd (NULL: ours); its stdout into
 * out and, if err is not NULL, its stderr into err (both NUL-terminated).
 * Returns its exit status, or -1 if a signal ended it. */
static int mapview_in(const char *cwd, char *const *args, char *out,
		      size_t len, char *err, size_t errlen)
{
	FILE *e = err ? tmpfile() : NULL;
	int fd, rc;
	size_t n;
	pid_t pid;

	if (err)
		assert_non_null(e);
	pid = mapview_spawn(cwd, args, &fd, e);
	rc = mapview_finish(pid, fd, out, len);
	if (err) {
		rewind(e);
		n = fread(err, 1, errlen - 1, e);
		err[n] = '\0';
		fclose(e);
	}
	return rc;
}

/* Runs mapview with args; its stdout into out (NUL-terminated). */
static int mapview(char *const *args, char *out, size_t len)
{
	return mapview_in(NULL, args, out, len, NULL, 0);
}

/* Lines in s (a last line without '\n' counts). */
static int nlines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (*s == '\n' || !s[1])
			n++;
	return n;
}

/* mapview refuses with one line on stderr, nothing on stdout, and the
 * status doc/options.md gives: 2 for the command line, 1 at run time;
 * with -- CMD, 127 for a command it could not run (and the summary on
 * stdout, as time(1) gives one). */
static void refused(char *const *args, int status, const char *line)
{
	char out[4096], err[4096];
	int rc = mapview_in(NULL, args, out, sizeof(out), err, sizeof(err));

	if (rc != status || nlines(err) != 1 || strncmp(err, line,
							strlen(line)) ||
	    err[strlen(line)] != '\n' || (out[0] && status != 127))
		fail_msg("%s %s: want %d and '%s', got %d and '%s' (stdout "
			 "'%.80s')", args[1], args[2] ? args[2] : "", status,
			 line, rc, err, out);
}

/* The value of "key": N on the JSON line that mentions name. */
static long long field(const char *json, const char *name, const char *key)
{
	const char *line = strstr(json, name), *end, *k;
	char pat[64];
	long long v;

	if (!line)
		fail_msg("no mapping of %s in:\n%s", name, json);
	while (line > json && line[-1] != '\n')
		line--;
	end = strchr(line, '\n');
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	k = strstr(line, pat);
	if (!k || (end && k > end))
		fail_msg("no %s for %s", key, name);
	if (sscanf(k + strlen(pat), "%lld", &v) != 1)
		fail_msg("%s of %s is not a number", key, name);
	return v;
}

/* A file of pages pages of 'm', on its store (fsync). */
static void make_file_pages(const char *path, unsigned pages)
{
	unsigned char b[PS];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	memset(b, 'm', sizeof(b));
	assert_true(fd >= 0);
	for (unsigned i = 0; i < pages; i++)
		assert_int_equal(write(fd, b, sizeof(b)), (ssize_t)sizeof(b));
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static void make_file(const char *path)
{
	make_file_pages(path, NPAGES);
}

static void test_mapview_child_on_framefs(void **state)
{
	char out[65536], pidstr[16];
	long base_majflt;
	int pfd[2];

	(void)state;
	if (!mnt_available()) {
		print_message("no /dev/fuse\n");
		skip();
	}
	if (mnt_start(&M, "frames=256,readahead=0") != 0)
		fail_msg("framefs did not mount");
	make_file(mpath(&M, "shared.dat"));
	make_file(mpath(&M, "private.dat"));
	assert_int_equal(mnt_control(&M, "drop"), 0);
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	if (child == 0) {
		int fs = open(mpath(&M, "shared.dat"), O_RDONLY);
		int fp = open(mpath(&M, "private.dat"), O_RDONLY);
		unsigned char *s = mmap(NULL, NPAGES * PS, PROT_READ,
					MAP_SHARED, fs, 0);
		unsigned char *p = mmap(NULL, NPAGES * PS,
					PROT_READ | PROT_WRITE, MAP_PRIVATE,
					fp, 0);
		volatile unsigned sum = 0;
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		/* Step 1: 8 pages read through the shared mapping. */
		for (unsigned i = 0; i < 8; i++)
			sum += s[i * PS];
		/* Step 2: 3 pages written through the private one. */
		p[0] = 'x';
		p[5 * PS] = 'x';
		p[10 * PS] = 'x';
		/* Step 3: a fork.  The grandchild maps the same 8 shared
		 * pages (kernel hits: no READ) and writes page 0 of the
		 * private mapping, so it gets a copy of its own; pages 5 and
		 * 10 stay shared copy-on-write between the two. */
		{
			int gp[2];
			pid_t g;
			char c;

			if (pipe(gp) < 0)
				_exit(1);
			g = fork();
			if (g == 0) {
				for (unsigned i = 0; i < 8; i++)
					sum += s[i * PS];
				p[0] = 'y';
				if (write(gp[1], "x", 1) < 0)
					_exit(1);
				pause();
				_exit(0);
			}
			if (read(gp[0], &c, 1) != 1)
				_exit(1);
			if (write(pfd[1], &g, sizeof(g)) < 0)
				_exit(1);
		}
		if (write(pfd[1], &ru.ru_majflt, sizeof(ru.ru_majflt)) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &grandchild, sizeof(grandchild)),
			 (ssize_t)sizeof(grandchild));
	assert_int_equal(read(pfd[0], &base_majflt, sizeof(base_majflt)),
			 (ssize_t)sizeof(base_majflt));
	close(pfd[0]);
	/* Step 3: page 12 of shared.dat into the page cache, not mapped by
	 * the child. */
	{
		unsigned char b[PS];
		int fd = open(mpath(&M, "shared.dat"), O_RDONLY);

		assert_int_equal(pread(fd, b, PS, 12 * PS), PS);
		close(fd);
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)child);
	{
		char *args[] = { "mapview", "--json", "--only", "framefs",
				 pidstr, NULL };

		assert_int_equal(mapview(args, out, sizeof(out)), 0);
	}
	/* The shared mapping: 8 file pages mapped, nothing copied, and
	 * shared with the grandchild (smaps' "Shared": by two processes). */
	assert_int_equal(field(out, "shared.dat", "rss_kb"), 32);
	assert_int_equal(field(out, "shared.dat", "shared_clean_kb"), 32);
	assert_int_equal(field(out, "shared.dat", "pss_kb"), 16);
	/* As root, PFNs say the same through /proc/kpagecount. */
	if (geteuid() == 0) {
		assert_int_equal(field(out, "shared.dat", "shared_pages"), 8);
		/* kpageflags: the kernel's LRU view is there, and no page
		 * of a read-only shared mapping is dirty. */
		assert_int_equal(field(out, "shared.dat", "dirty"), 0);
		assert_true(field(out, "shared.dat", "active") <= 8);
	}
	assert_int_equal(field(out, "shared.dat", "mapped_pages"), 8);
	assert_int_equal(field(out, "shared.dat", "cow_pages"), 0);
	assert_int_equal(field(out, "shared.dat", "private_dirty_kb"), 0);
	assert_int_equal(field(out, "shared.dat", "cached_pages"), 1);
	/* The daemon read exactly those 9 pages. */
	assert_int_equal(field(out, "shared.dat", "resident"), 9);
	assert_int_equal(field(out, "shared.dat", "reads"), 9);
	/* The private mapping: 3 copy-on-write copies, the file untouched;
	 * copies 5 and 10 still shared with the grandchild, copy 0 its own
	 * since the grandchild wrote there. */
	assert_int_equal(field(out, "private.dat", "rss_kb"), 12);
	assert_int_equal(field(out, "private.dat", "anonymous_kb"), 12);
	assert_int_equal(field(out, "private.dat", "private_dirty_kb"), 4);
	assert_int_equal(field(out, "private.dat", "shared_dirty_kb"), 8);
	if (geteuid() == 0)
		assert_int_equal(field(out, "private.dat", "shared_pages"), 2);
	assert_int_equal(field(out, "private.dat", "cow_pages"), 3);
	assert_int_equal(field(out, "private.dat", "mapped_pages"), 0);
	/* The file pages behind the copies are cached, but a page counts
	 * once, as its strongest class: cow. */
	assert_int_equal(field(out, "private.dat", "cached_pages"), 0);
	assert_int_equal(field(out, "private.dat", "reads"), 3);
	assert_int_equal(field(out, "private.dat", "dirty"), 0);
	/* 11 pages read in = 11 major faults since the child's baseline. */
	{
		const char *m = strstr(out, "\"majflt\": ");
		long long v;

		assert_non_null(m);
		assert_int_equal(sscanf(m + 10, "%lld", &v), 1);
		assert_int_equal(v - base_majflt, 11);
	}
}

static void test_mapview_errors(void **state)
{
	char out[4096];
	char *nopid[] = { "mapview", "999999999", NULL };
	char *notnum[] = { "mapview", "12ab", NULL };
	char *dir[] = { "mapview", "--file", "/dev/null", NULL };
	char *nofile[] = { "mapview", "--file", "/nonexistent/x", NULL };

	(void)state;
	assert_int_equal(mapview(nopid, out, sizeof(out)), 1);
	assert_int_equal(mapview(notnum, out, sizeof(out)), 2);
	assert_int_equal(mapview(dir, out, sizeof(out)), 1);
	assert_int_equal(mapview(nofile, out, sizeof(out)), 1);
	{
		char pid[16];
		char *gone[] = { "mapview", pid, NULL };
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		waitpid(p, NULL, 0);
		snprintf(pid, sizeof(pid), "%d", (int)p);
		assert_int_equal(mapview(gone, out, sizeof(out)), 1);
	}
}

/* -- CMD: the command's faults and status; --watch: one JSON document per
 * line while it runs, then the summary, and a clean end when it exits. */
static void test_mapview_command_and_watch(void **state)
{
	char out[1 << 18];
	char *cmd[] = { "mapview", "--json", "--perf", "--", "sh", "-c",
			"exit 3", NULL };
	char *w[] = { "mapview", "--watch", "0.1", "--json", "--only", "sleep",
		      "--", "sleep", "0.45", NULL };
	int docs = 0;

	(void)state;
	assert_int_equal(mapview(cmd, out, sizeof(out)), 3);
	assert_non_null(strstr(out, "\"exit\": 3"));
	assert_true(field(out, "\"command\"", "minflt") > 0);
	/* perf_event_open's exact count of the user-mode ones. */
	assert_true(field(out, "\"perf\"", "minflt") > 0);
	assert_true(field(out, "\"perf\"", "minflt") <=
		    field(out, "\"command\"", "minflt"));
	assert_int_equal(mapview(w, out, sizeof(out)), 0);
	for (char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		if (!strncmp(l, "{\"pid\": ", 8)) {
			char *e = strchr(l, '\n');

			/* A whole document on one line. */
			assert_non_null(e);
			assert_true(e[-1] == '}');
			docs++;
		}
	}
	assert_true(docs >= 2);
	assert_non_null(strstr(out, "\"command\": \"sleep\""));
	assert_non_null(strstr(out, "\"exit\": 0"));
}

/* Every refusal is one line in the kit's shape, `mapview: what: why`,
 * with the kit's statuses; a process that exited is a runtime failure
 * whether mapview looks once or watches. */
static void test_mapview_refusals_one_line(void **state)
{
	char pid[16], line[64];
	pid_t p = fork();

	(void)state;
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	snprintf(pid, sizeof(pid), "%d", (int)p);
	snprintf(line, sizeof(line), "mapview: %d: no such process", (int)p);
	refused((char *[]){ "mapview", pid, NULL }, 1, line);
	refused((char *[]){ "mapview", "--watch", "0.1", pid, NULL }, 1,
		line);
	refused((char *[]){ "mapview", "--width", "0", "1", NULL }, 2,
		"mapview: --width: 0: not in 1..4096");
	refused((char *[]){ "mapview", "--watch", "0", "1", NULL }, 2,
		"mapview: --watch: 0: not a number of seconds in 0.05..3600");
	refused((char *[]){ "mapview", "--width", NULL }, 2,
		"mapview: --width: needs a value (mapview --help)");
	refused((char *[]){ "mapview", "--perf", "1", NULL }, 2,
		"mapview: --perf: only with --watch or -- CMD");
	refused((char *[]){ "mapview", NULL }, 2, "mapview: no PID given: a "
		"PID, -- CMD or --file PATH (mapview --help)");
	refused((char *[]){ "mapview", "--file", "/dev/null", NULL }, 1,
		"mapview: /dev/null: not a regular file or directory");
	refused((char *[]){ "mapview", "--", "/nonexistent/cmd", NULL }, 127,
		"mapview: /nonexistent/cmd: No such file or directory");
}

/* --file with a path relative to the working directory still finds the
 * daemon's line for it (mountinfo has absolute mount points). */
static void test_mapview_file_relative_path(void **state)
{
	char out[8192], b[PS];
	char *rel[] = { "mapview", "--json", "--file", "data.bin", NULL };
	char *dot[] = { "mapview", "--json", "--file", "./sub/../data.bin",
			NULL };
	int fd;

	(void)state;
	if (!mnt_available()) {
		print_message("no /dev/fuse\n");
		skip();
	}
	if (mnt_start(&M, "frames=64,readahead=0") != 0)
		fail_msg("framefs did not mount");
	make_file(mpath(&M, "data.bin"));
	assert_int_equal(mkdir(mpath(&M, "sub"), 0755), 0);
	assert_int_equal(mnt_control(&M, "drop"), 0);
	fd = open(mpath(&M, "data.bin"), O_RDONLY);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(pread(fd, b, PS, i * PS), PS);
	close(fd);
	assert_int_equal(mapview_in(M.mp, rel, out, sizeof(out), NULL, 0), 0);
	assert_non_null(strstr(out, "\"framefs\": {\"mount\": "));
	assert_int_equal(field(out, "data.bin", "resident"), 3);
	assert_int_equal(field(out, "data.bin", "reads"), 3);
	assert_int_equal(mapview_in(M.mp, dot, out, sizeof(out), NULL, 0), 0);
	assert_int_equal(field(out, "data.bin", "resident"), 3);
}

/* A client for --watch: maps TOUCH_FILE_PAGES pages of a framefs file and
 * an anonymous area, touches one page of each (page TOUCHES_WARM) so that
 * every code and stack page it needs later is already mapped, and says
 * so; then, once a byte arrives on *go_fd, touches pages 0..TOUCHES-1 of
 * both, one pair each 20 ms, and exits 0.4 s later.  Every touch of the
 * file is one major fault (readahead 0, the file's pages dropped). */
#define TOUCH_FILE_PAGES 48
#define TOUCHES 40
/* Between two touches.  A sanitizer build of mapview takes several times
 * as long to look at a process, so there the client slows down to leave
 * the watch as many looks at it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TOUCH_GAP_MS 100
#else
#define TOUCH_GAP_MS 20
#endif
#define TOUCHES_WARM 47

static pid_t toucher(const char *path, int *go_fd)
{
	int gp[2], rp[2];
	pid_t p;
	char c;

	assert_int_equal(pipe(gp), 0);
	assert_int_equal(pipe(rp), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		int fd = open(path, O_RDONLY);
		volatile unsigned char *f = mmap(NULL, TOUCH_FILE_PAGES * PS,
						 PROT_READ, MAP_SHARED, fd, 0);
		unsigned char *a = mmap(NULL, TOUCH_FILE_PAGES * PS,
					PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct timespec ts = { 0, TOUCH_GAP_MS * 1000 * 1000 };
		volatile unsigned sum = 0;

		if (f == MAP_FAILED || a == MAP_FAILED)
			_exit(1);
		close(gp[1]);
		close(rp[0]);
		for (unsigned i = TOUCHES_WARM;; i = 0) {
			for (; i < TOUCH_FILE_PAGES; i++) {
				sum += f[i * PS];
				a[i * PS] = 1;
				nanosleep(&ts, NULL);
				if (i == TOUCHES_WARM || i + 1 == TOUCHES)
					break;
			}
			if (i + 1 == TOUCHES)
				break;
			if (write(rp[1], "r", 1) != 1 ||
			    read(gp[0], &c, 1) != 1)
				_exit(1);
		}
		ts.tv_nsec = 400 * 1000 * 1000;
		nanosleep(&ts, NULL);
		_exit(0);
	}
	close(gp[0]);
	close(rp[1]);
	/* Warmed up: what it does from now on is what mapview sees. */
	assert_int_equal(read(rp[0], &c, 1), 1);
	close(rp[0]);
	*go_fd = gp[1];
	return p;
}

/* Starts the toucher's run once mapview has had time to take its first
 * look (its baseline). */
static void toucher_go(int go_fd)
{
	usleep(300 * 1000);
	assert_int_equal(write(go_fd, "g", 1), 1);
	close(go_fd);
}

/* A framefs mount with toucher's file on it, pages dropped. */
static void toucher_mount(void)
{
	if (!mnt_available()) {
		print_message("no /dev/fuse\n");
		skip();
	}
	if (mnt_start(&M, "frames=256,readahead=0") != 0)
		fail_msg("framefs did not mount");
	make_file_pages(mpath(&M, "touch.dat"), TOUCH_FILE_PAGES);
	assert_int_equal(mnt_control(&M, "drop"), 0);
}

/* Mapping header lines ("7f3a5e53a000-7f3a5e54a000 rw-s ...") in the
 * text between s and end. */
static int mapping_lines(const char *s, const char *end)
{
	int n = 0;

	for (const char *l = s; l && l < end; l = strchr(l, '\n'), l = l ?
	     l + 1 : l) {
		size_t k = strspn(l, "0123456789abcdef");

		if (k >= 12 && l[k] == '-')
			n++;
	}
	return n;
}

/* --watch PID shows, by default, the framefs mappings and the ones whose
 * counters moved (here the anonymous area the client writes), not every
 * library it maps; --all shows them all. */
static void test_mapview_watch_shows_what_moved(void **state)
{
	static char out[1 << 20];
	char pidstr[16], *frame, *next;
	int fd, go, frames = 0, anon_moved = 0, most = 0, all;

	(void)state;
	toucher_mount();
	child = toucher(mpath(&M, "touch.dat"), &go);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)child);
	{
		char *args[] = { "mapview", "--watch", "0.1", "--width", "16",
				 pidstr, NULL };
		pid_t mv = mapview_spawn(NULL, args, &fd, NULL);
		size_t n = mapview_first_line(fd, out, sizeof(out));

		toucher_go(go);
		assert_int_equal(mapview_finish_at(mv, fd, out, sizeof(out), n),
				 0);
	}
	waitpid(child, NULL, 0);
	child = 0;
	/* Frames start with "--- T s" when stdout is not a terminal. */
	for (frame = strstr(out, "--- "); frame; frame = next) {
		int n;

		next = strstr(frame + 4, "\n--- ");
		n = mapping_lines(frame, next ? next : frame + strlen(frame));
		frames++;
		if (n > most)
			most = n;
		{
			const char *e = next ? next : frame + strlen(frame);
			const char *t = strstr(frame, "touch.dat");

			if (!t || t > e)
				fail_msg("a frame without the framefs file:"
					 "\n%.*s", (int)(e - frame), frame);
			t = strstr(frame, "[anon]");
			if (t && t < e)
				anon_moved++;
		}
	}
	assert_true(frames >= 3);
	assert_true(anon_moved >= 1);
	assert_non_null(strstr(out, "other mappings did not change: --all "
			       "shows them"));
	/* The same process with --all: every mapping, many more. */
	child = toucher(mpath(&M, "touch.dat"), &go);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)child);
	{
		char *args[] = { "mapview", "--watch", "0.5", "--all",
				 "--width", "16", pidstr, NULL };
		pid_t mv = mapview_spawn(NULL, args, &fd, NULL);
		size_t n = mapview_first_line(fd, out, sizeof(out));

		toucher_go(go);
		assert_int_equal(mapview_finish_at(mv, fd, out, sizeof(out), n),
				 0);
	}
	waitpid(child, NULL, 0);
	child = 0;
	frame = strstr(out, "--- ");
	assert_non_null(frame);
	next = strstr(frame + 4, "\n--- ");
	all = mapping_lines(frame, next ? next : frame + strlen(frame));
	print_message("mappings per frame: at most %d by default, %d with "
		      "--all\n", most, all);
	assert_true(all >= 10);
	assert_true(most * 2 <= all);
}

/* --totals: one line per interval like vmstat, the header again every 20
 * lines; the major faults of the lines add up to the client's touches of
 * the file, and the last line has them all mapped.  --csv: the header
 * once. */
static void test_mapview_watch_totals(void **state)
{
	static char out[1 << 18];
	char pidstr[16];
	int fd, go, heads = 0, rows = 0;
	long long majflt = 0, mapped = -1;

	(void)state;
	toucher_mount();
	child = toucher(mpath(&M, "touch.dat"), &go);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)child);
	{
		char *args[] = { "mapview", "--watch", "0.05", "--totals",
				 pidstr, NULL };
		pid_t mv = mapview_spawn(NULL, args, &fd, NULL);
		size_t n = mapview_first_line(fd, out, sizeof(out));

		toucher_go(go);
		assert_int_equal(mapview_finish_at(mv, fd, out, sizeof(out), n),
				 0);
	}
	waitpid(child, NULL, 0);
	child = 0;
	for (char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		double t;
		long long mn, mj, rss, ffm;

		if (!strncmp(l, "    time  minflt  majflt", 24)) {
			assert_int_equal(heads, (rows + 19) / 20);
			heads++;
		} else if (sscanf(l, "%lf %lld %lld %lld %lld", &t, &mn, &mj,
				  &rss, &ffm) == 5) {
			rows++;
			majflt += mj;
			if (ffm > mapped)
				mapped = ffm;
		}
	}
	print_message("%d lines, %d headers, %lld major faults\n", rows,
		      heads, majflt);
	assert_true(rows > 20);
	assert_int_equal(heads, (rows + 19) / 20);
	assert_int_equal(majflt, TOUCHES);
	/* At its height: a line taken while the client exits may find its
	 * mappings already gone. */
	assert_int_equal(mapped, TOUCHES + 1);
	assert_non_null(strstr(out, " exited; in "));

	/* --csv --totals: the header once, then rows of as many fields. */
	child = toucher(mpath(&M, "touch.dat"), &go);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)child);
	{
		char *args[] = { "mapview", "--watch", "0.05", "--totals",
				 "--csv", pidstr, NULL };
		pid_t mv = mapview_spawn(NULL, args, &fd, NULL);
		size_t n = mapview_first_line(fd, out, sizeof(out));

		toucher_go(go);
		assert_int_equal(mapview_finish_at(mv, fd, out, sizeof(out), n),
				 0);
	}
	waitpid(child, NULL, 0);
	child = 0;
	assert_int_equal(strncmp(out, "time_s,minflt,majflt,rss_kb,", 28), 0);
	assert_null(strstr(out + 1, "time_s"));
	assert_null(strstr(out, "exited"));
	rows = 0;
	for (char *l = strchr(out, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		assert_int_equal(strspn(l, "0123456789.,"), strcspn(l, "\n"));
		rows++;
	}
	assert_true(rows > 20);
}

/* --watch --csv: one row per mapping and interval, the header once, every
 * row as many fields as the header. */
static void test_mapview_watch_csv(void **state)
{
	static char out[1 << 20];
	char pidstr[16];
	int fd, go, rows = 0, fields = -1, touch_rows = 0;

	(void)state;
	toucher_mount();
	child = toucher(mpath(&M, "touch.dat"), &go);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)child);
	{
		char *args[] = { "mapview", "--watch", "0.1", "--csv", pidstr,
				 NULL };
		pid_t mv = mapview_spawn(NULL, args, &fd, NULL);
		size_t n = mapview_first_line(fd, out, sizeof(out));

		toucher_go(go);
		assert_int_equal(mapview_finish_at(mv, fd, out, sizeof(out), n),
				 0);
	}
	waitpid(child, NULL, 0);
	child = 0;
	assert_int_equal(strncmp(out, "time_s,pid,start,end,perms,", 27), 0);
	assert_null(strstr(out + 1, "time_s"));
	for (char *l = out; *l; l = strchr(l, '\n') + 1) {
		int n = 0;

		for (char *c = l; *c != '\n'; c++)
			n += *c == ',';
		if (fields < 0)
			fields = n;
		assert_int_equal(n, fields);
		if (l != out)
			rows++;
		if (strstr(l, "touch.dat,") < strchr(l, '\n') &&
		    strstr(l, "touch.dat,"))
			touch_rows++;
	}
	assert_true(touch_rows >= 3);
	assert_true(rows >= touch_rows);
}

/* Reads pages [0, n) of a file with pread, one page each. */
static void read_pages(const char *path, unsigned n)
{
	unsigned char b[PS];
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pread(fd, b, PS, (off_t)i * PS), PS);
	close(fd);
}

/* --stats MOUNT: the counters once; --stats MOUNT INTERVAL COUNT: COUNT
 * lines of rates whose sum over the intervals is what happened (64 page
 * reads, each a frame miss and a store read with readahead 0), the header
 * every 20 lines in text and once in CSV; a Ctrl-C ends it cleanly; a
 * path not on framefs is refused in one line. */
static void test_mapview_stats(void **state)
{
	static char out[1 << 16];
	char err[1024];
	double reads = 0, misses = 0, store = 0;
	int fd, rows = 0, heads = 0;
	pid_t mv;

	(void)state;
	if (!mnt_available()) {
		print_message("no /dev/fuse\n");
		skip();
	}
	if (mnt_start(&M, "frames=256,readahead=0") != 0)
		fail_msg("framefs did not mount");
	make_file_pages(mpath(&M, "data.bin"), 64);
	assert_int_equal(mnt_control(&M, "drop"), 0);
	{
		char *args[] = { "mapview", "--stats", M.mp, NULL };

		assert_int_equal(mapview(args, out, sizeof(out)), 0);
		assert_non_null(strstr(out, "\nframes_total 256\n"));
		assert_non_null(strstr(out, "\nstore_reads "));
	}
	/* Rates: 64 page reads in the second of five 0.2 s intervals. */
	{
		char *args[] = { "mapview", "--csv", "--stats", M.mp, "0.2",
				 "5", NULL };

		mv = mapview_spawn(NULL, args, &fd, NULL);
		usleep(300 * 1000);
		read_pages(mpath(&M, "data.bin"), 64);
		assert_int_equal(mapview_finish(mv, fd, out, sizeof(out)), 0);
	}
	{
		static const char head[] = "time_s,interval_s,reads_per_s,"
			"frame_hits_per_s,frame_misses_per_s,"
			"store_reads_per_s,evictions_per_s,writebacks_per_s,"
			"frames_dirty,frames_free\n";

		assert_int_equal(strncmp(out, head, sizeof(head) - 1), 0);
	}
	for (char *l = strchr(out, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		double t, dt, r, h, m, sr;

		assert_int_equal(sscanf(l, "%lf,%lf,%lf,%lf,%lf,%lf", &t, &dt,
					&r, &h, &m, &sr), 6);
		reads += r * dt;
		misses += m * dt;
		store += sr * dt;
		rows++;
	}
	print_message("reads %.2f, misses %.2f, store reads %.2f\n", reads,
		      misses, store);
	assert_int_equal(rows, 5);
	assert_true(reads > 63.5 && reads < 64.5);
	assert_true(misses > 63.5 && misses < 64.5);
	assert_true(store > 63.5 && store < 64.5);
	/* Text: the header before line 1 and line 21. */
	{
		char *args[] = { "mapview", "--stats", M.mp, "0.05", "25",
				 NULL };

		assert_int_equal(mapview(args, out, sizeof(out)), 0);
	}
	rows = 0;
	for (char *l = out; *l; l = strchr(l, '\n') + 1) {
		if (strstr(l, "reads/s") && strstr(l, "reads/s") <
		    strchr(l, '\n')) {
			assert_int_equal(rows % 20, 0);
			heads++;
		} else {
			rows++;
		}
	}
	assert_int_equal(rows, 25);
	assert_int_equal(heads, 2);
	/* No COUNT: until a Ctrl-C, which ends it with exit 0 and whole
	 * lines. */
	{
		char *args[] = { "mapview", "--stats", M.mp, "0.1", NULL };

		mv = mapview_spawn(NULL, args, &fd, NULL);
		usleep(450 * 1000);
		assert_int_equal(kill(mv, SIGINT), 0);
		assert_int_equal(mapview_finish(mv, fd, out, sizeof(out)), 0);
		assert_true(nlines(out) >= 3);
		assert_int_equal(out[strlen(out) - 1], '\n');
	}
	/* Not framefs: the backing directory. */
	{
		char *args[] = { "mapview", "--stats", M.backing, NULL };
		char want[512];

		assert_int_equal(mapview_in(NULL, args, out, sizeof(out), err,
					    sizeof(err)), 1);
		snprintf(want, sizeof(want), "mapview: %s: not on a framefs "
			 "mount (no .framefs/stats)\n", M.backing);
		assert_string_equal(err, want);
		assert_string_equal(out, "");
	}
}

/* Pages fincore(1) says are in the page cache; -1 without fincore. */
static long long fincore_pages(const char *path)
{
	char cmd[700], buf[64];
	long long v = -1;
	FILE *p;

	if (access("/usr/bin/fincore", X_OK) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "fincore --noheadings --raw --output "
		 "PAGES '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(buf, sizeof(buf), p) || sscanf(buf, "%lld", &v) != 1)
		v = -1;
	pclose(p);
	return v;
}

/* --file as fincore and vmtouch have it: sizes in bytes (12K, 3.4M;
 * --bytes exact), directories walked in name order without following
 * the symlinks met on the way, a vmtouch-like summary line, --csv; the
 * counts match fincore's. */
static void test_mapview_file_like_fincore(void **state)
{
	static char out[1 << 16];
	const char *want;
	long long fc;

	(void)state;
	if (!mnt_available()) {
		print_message("no /dev/fuse\n");
		skip();
	}
	if (mnt_start(&M, "frames=256,readahead=0") != 0)
		fail_msg("framefs did not mount");
	assert_int_equal(mkdir(mpath(&M, "d"), 0755), 0);
	assert_int_equal(mkdir(mpath(&M, "d/sub"), 0755), 0);
	make_file_pages(mpath(&M, "d/a.bin"), 16);
	make_file_pages(mpath(&M, "d/sub/b.bin"), 16);
	/* Symlinks out of the tree: to a directory and to a file. */
	assert_int_equal(symlink("/etc", mpath(&M, "d/etc")), 0);
	make_file_pages(bpath(&M, "outside.bin"), 4);
	assert_int_equal(symlink(bpath(&M, "outside.bin"),
				 mpath(&M, "d/sub/out")), 0);
	assert_int_equal(mnt_control(&M, "drop"), 0);
	read_pages(mpath(&M, "d/a.bin"), 4);
	{
		char *args[] = { "mapview", "--width", "16", "--file", "d",
				 NULL };

		assert_int_equal(mapview_in(M.mp, args, out, sizeof(out),
					    NULL, 0), 0);
	}
	print_message("%s", out);
	assert_non_null(strstr(out, "   16K            4/16    64K  25.0%  "
			       "d/a.bin\n"));
	assert_non_null(strstr(out, "    0B            0/16    64K   0.0%  "
			       "d/sub/b.bin\n"));
	assert_null(strstr(out, "etc/"));
	assert_null(strstr(out, "out"));
	want = "Files: 2  Directories: 2  Resident Pages: 4/32  16K/128K  "
	       "12.5%\n";
	assert_non_null(strstr(out, want));
	{
		char *args[] = { "mapview", "--bytes", "--file", "d", NULL };

		assert_int_equal(mapview_in(M.mp, args, out, sizeof(out),
					    NULL, 0), 0);
	}
	assert_non_null(strstr(out, "Resident Pages: 4/32  16384/131072  "
			       "12.5%\n"));
	{
		char *args[] = { "mapview", "--csv", "--file", "d", NULL };
		char line[700];

		assert_int_equal(mapview_in(M.mp, args, out, sizeof(out),
					    NULL, 0), 0);
		assert_int_equal(strncmp(out, "path,size_bytes,pages,"
					 "resident_pages,resident_bytes,", 52),
				 0);
		snprintf(line, sizeof(line), "\nd/a.bin,65536,16,4,16384,25.0,"
			 "%s,4,0,4,0,4\n", M.mp);
		assert_non_null(strstr(out, line));
		assert_int_equal(nlines(out), 3);
	}
	/* The human form of other sizes. */
	make_file_pages(bpath(&M, "big.bin"), 870);	/* 3.4M */
	{
		char *args[] = { "mapview", "--file", (char *)bpath(&M,
								  "big.bin"),
				 NULL };

		assert_int_equal(mapview(args, out, sizeof(out)), 0);
		assert_non_null(strstr(out, "  3.4M  "));
	}
	/* The same count as fincore, on framefs and on the backing
	 * directory's file system. */
	read_pages(bpath(&M, "big.bin"), 100);
	fc = fincore_pages(mpath(&M, "d/a.bin"));
	if (fc < 0) {
		print_message("no fincore: counts not compared\n");
		return;
	}
	assert_int_equal(fc, 4);
	{
		char *args[] = { "mapview", "--json", "--file", (char *)
				 bpath(&M, "big.bin"), NULL };

		assert_int_equal(mapview(args, out, sizeof(out)), 0);
		assert_int_equal(field(out, "big.bin", "cached_pages"),
				 fincore_pages(bpath(&M, "big.bin")));
	}
}

/* --evict drops the files' pages from the page cache (fadvise) and the
 * framefs daemon's clean frames (drop, mount-wide), never dirty data:
 * a file written and not yet written back keeps its frames and reads
 * back whole. */
static void test_mapview_file_evict(void **state)
{
	static char out[1 << 16];
	unsigned char b[PS];
	int fd;

	(void)state;
	if (!mnt_available()) {
		print_message("no /dev/fuse\n");
		skip();
	}
	/* No write-back on its own: the dirty frames stay dirty. */
	if (mnt_start(&M, "frames=256,readahead=0,dirty_expire_ms=600000,"
		      "dirty_background=90,dirty_max=95") != 0)
		fail_msg("framefs did not mount");
	make_file_pages(mpath(&M, "a.bin"), 16);
	assert_int_equal(mnt_control(&M, "drop"), 0);
	read_pages(mpath(&M, "a.bin"), 16);
	/* The writer is a process of its own that keeps the file open:
	 * framefs writes a file back on every close of a descriptor of it
	 * (FLUSH), and a descriptor here would be closed by each fork and
	 * exec of mapview. */
	{
		int rp[2];
		char c;

		assert_int_equal(pipe(rp), 0);
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			fd = open(mpath(&M, "dirty.bin"),
				  O_RDWR | O_CREAT | O_TRUNC, 0644);
			memset(b, 'd', sizeof(b));
			for (unsigned i = 0; i < 4; i++)
				if (fd < 0 || write(fd, b, PS) != PS)
					_exit(1);
			if (write(rp[1], "w", 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		close(rp[1]);
		assert_int_equal(read(rp[0], &c, 1), 1);
		close(rp[0]);
	}
	assert_int_equal(mnt_stat(&M, "frames_dirty"), 4);
	{
		char *args[] = { "mapview", "--json", "--file", "a.bin", NULL };

		assert_int_equal(mapview_in(M.mp, args, out, sizeof(out),
					    NULL, 0), 0);
		assert_int_equal(field(out, "a.bin", "cached_pages"), 16);
		assert_int_equal(field(out, "a.bin", "resident"), 16);
	}
	{
		char *args[] = { "mapview", "--evict", "--file", "a.bin",
				 NULL };

		assert_int_equal(mapview_in(M.mp, args, out, sizeof(out),
					    NULL, 0), 0);
		print_message("%s", out);
		assert_non_null(strstr(out, "(mount-wide; its 4 dirty frames "
				       "stay)\n"));
		assert_non_null(strstr(out, "Resident Pages: 0/16"));
	}
	{
		char *args[] = { "mapview", "--json", "--file", "a.bin", NULL };

		assert_int_equal(mapview_in(M.mp, args, out, sizeof(out),
					    NULL, 0), 0);
		assert_int_equal(field(out, "a.bin", "cached_pages"), 0);
		assert_int_equal(field(out, "a.bin", "resident"), 0);
	}
	assert_int_equal(mnt_stat(&M, "frames_dirty"), 4);
	assert_int_equal(mnt_stat(&M, "frames_resident"), 4);
	fd = open(mpath(&M, "dirty.bin"), O_RDONLY);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(pread(fd, b, PS, (off_t)i * PS), PS);
		assert_int_equal(b[0], 'd');
		assert_int_equal(b[PS - 1], 'd');
	}
	close(fd);
}

/* The two "referenced" counts and the children's faults are explained
 * where a student meets them: in --help, and in the legend under a
 * snapshot, whose header names the children's counters. */
static void test_mapview_explains_referenced(void **state)
{
	static char out[1 << 18];
	char pid[16];
	char *help[] = { "mapview", "--help", NULL };
	char *snap[] = { "mapview", pid, NULL };

	(void)state;
	assert_int_equal(mapview(help, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "accessed (young) bit"));
	assert_non_null(strstr(out, "PG_referenced"));
	assert_non_null(strstr(out, "/proc/kpageflags"));
	assert_non_null(strstr(out, "cminflt/cmajflt"));
	assert_non_null(strstr(out, "already waited for"));
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_int_equal(mapview(snap, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "(waited-for children: minflt "));
	assert_non_null(strstr(out, "\nreferenced: smaps, pages whose "
			       "accessed bit is set in this mapping's page "
			       "table; kernel LRU referenced: the page's "
			       "PG_referenced flag (kpageflags)\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_mapview_child_on_framefs,
					  teardown),
		cmocka_unit_test(test_mapview_errors),
		cmocka_unit_test(test_mapview_command_and_watch),
		cmocka_unit_test(test_mapview_refusals_one_line),
		cmocka_unit_test_teardown(test_mapview_file_relative_path,
					  teardown),
		cmocka_unit_test_teardown(test_mapview_watch_shows_what_moved,
					  teardown),
		cmocka_unit_test_teardown(test_mapview_watch_totals, teardown),
		cmocka_unit_test_teardown(test_mapview_watch_csv, teardown),
		cmocka_unit_test_teardown(test_mapview_stats, teardown),
		cmocka_unit_test_teardown(test_mapview_file_like_fincore,
					  teardown),
		cmocka_unit_test_teardown(test_mapview_file_evict, teardown),
		cmocka_unit_test(test_mapview_explains_referenced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
