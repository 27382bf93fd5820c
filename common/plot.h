/* plot.h - the kit's pictures: run gnuplot on a script (framesim --plot,
 * compare's plots).
 *
 *   if (!plot_available()) ...            is gnuplot on PATH?
 *   plot_str(f, path);                    'path' as a gnuplot string
 *   rc = plot_run(script, why, sizeof why);   0 when gnuplot exited 0
 *
 * plot_run() feeds SCRIPT to `gnuplot` on its standard input and waits for
 * it.  It returns 0 when gnuplot exited 0; -ENOENT when there is no gnuplot
 * to run (WHY says how to install it); -EIO when gnuplot failed, with WHY
 * holding its first line of complaint (or how it died).  The data belong in
 * files the script names, not in the script: the script should be small.
 * gnuplot's standard output goes to /dev/null: after a failed `set output`
 * it draws on standard output, which is the caller's table.
 * Header-only, as all of common/ (common/meson.build says why).
 */
#ifndef FRAMEFS_PLOT_H
#define FRAMEFS_PLOT_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLOT_INSTALL "not found (apt-get install gnuplot-nox)"

/* The kit's line colours, after `set terminal`: gnuplot's own, but brown
 * for its fifth, a yellow hard to see on white. */
#define PLOT_COLOURS "set linetype 5 linecolor rgb '#8c564b'\n"

/* Is there a gnuplot on PATH that we may run? */
static inline bool plot_available(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n > 0 && n + sizeof("/gnuplot") < sizeof(buf)) {
			memcpy(buf, path, n);
			memcpy(buf + n, "/gnuplot", sizeof("/gnuplot"));
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* S as a gnuplot single-quoted string: a quote inside is doubled. */
static inline void plot_str(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputc('\'', out);
		fputc(*s, out);
	}
	fputc('\'', out);
}

/* The complaint in gnuplot's standard error TEXT, into WHY: the first
 * line that is not its echo of the command ("gnuplot> set output ...")
 * nor the caret under it, without the "line N:" of a script read from
 * standard input, blanks squeezed. */
static inline void plot_complaint(const char *text, char *why, size_t whylen)
{
	const char *line, *end;
	size_t got = 0;

	for (line = text; *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		line += strspn(line, " \t");
		if (line >= end || strncmp(line, "gnuplot>", 8) == 0 ||
		    strspn(line, " \t^") >= (size_t)(end - line))
			continue;
		if (strncmp(line, "line ", 5) == 0 &&
		    line[5 + strspn(line + 5, "0123456789")] == ':') {
			line += 5 + strspn(line + 5, "0123456789") + 1;
			line += strspn(line, " \t");
		}
		for (; line < end && got + 1 < whylen; line++) {
			if ((*line == ' ' || *line == '\t') &&
			    (got == 0 || why[got - 1] == ' '))
				continue;
			why[got++] = *line == '\t' ? ' ' : *line;
		}
		break;
	}
	while (got > 0 && why[got - 1] == ' ')
		got--;
	if (whylen)
		why[got] = '\0';
}

static inline int plot_run(const char *script, char *why, size_t whylen)
{
	int in[2], err[2], status;
	size_t len = strlen(script), off = 0, got = 0;
	void (*old_pipe)(int);
	pid_t pid;
	char buf[2048];
	ssize_t n;

	if (whylen)
		why[0] = '\0';
	if (!plot_available()) {
		snprintf(why, whylen, "gnuplot: %s", PLOT_INSTALL);
		return -ENOENT;
	}
	if (pipe(in) < 0)
		goto out_sys;
	if (pipe(err) < 0) {
		close(in[0]);
		close(in[1]);
		goto out_sys;
	}
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		close(err[0]);
		close(err[1]);
		goto out_sys;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(in[0], STDIN_FILENO);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
		dup2(err[1], STDERR_FILENO);
		close(in[0]);
		close(in[1]);
		close(err[0]);
		close(err[1]);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(err[1]);
	/* A gnuplot that dies early must not kill us with SIGPIPE. */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		n = write(in[1], script + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(in[1]);
	signal(SIGPIPE, old_pipe);
	/* Keep the start of what gnuplot says; drain the rest. */
	for (;;) {
		bool full = got + 1 >= sizeof(buf);
		char rest[512];

		n = full ? read(err[0], rest, sizeof(rest)) :
			   read(err[0], buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!full)
			got += (size_t)n;
	}
	buf[got] = '\0';
	close(err[0]);
	plot_complaint(buf, why, whylen);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			goto out_sys;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (whylen)
			why[0] = '\0';
		return 0;
	}
	if (whylen && !why[0]) {
		if (WIFSIGNALED(status))
			snprintf(why, whylen, "gnuplot: killed by signal %d",
				 WTERMSIG(status));
		else
			snprintf(why, whylen, "gnuplot: exit status %d",
				 WEXITSTATUS(status));
	}
	return -EIO;
out_sys:
	snprintf(why, whylen, "gnuplot: %s", strerror(errno));
	return -EIO;
}

#endif
