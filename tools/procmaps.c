/* procmaps.c - /proc/PID/maps, smaps and stat, parsed strictly.
 *
 * The maps format.  One line per vma, printed by show_map_vma() in the
 * kernel's fs/proc/task_mmu.c:
 *
 *   start-end perms offset major:minor inode<padding>path
 *   7f37ac6c0000-7f37ac816000 r-xp 00026000 fe:00 332835      /usr/lib/...
 *
 * Addresses, offset and device numbers are lowercase hex, inode decimal,
 * fields separated by one space.  Then the kernel pads with spaces to a
 * fixed column and prints the name, if any; a name-less (anonymous) line
 * ends with the inode or with a single space.  So the path is the rest of
 * the line after the inode and the run of spaces that follows it: a file
 * name cannot start with a space (d_path() names start with '/', the
 * others with a letter or '['), but may contain any run of them, and may
 * end with one, so nothing but the newline is trimmed at the end.  The
 * kernel escapes '\n' in names as "\012" and we leave it escaped.  It also
 * appends " (deleted)" to unlinked files; we strip it and set vma.deleted.
 * A file whose real name ends in " (deleted)" is indistinguishable.
 *
 * smaps is maps with "Key:   value" lines after each header.  A line is a
 * header if it starts with hex digits and a '-' (no key does: keys start
 * with an uppercase letter), else a key line if it is "[A-Za-z0-9_]+:".
 * Keys with a field in struct vma (smaps_keys[]) must read "<decimal> kB";
 * all others (VmFlags, THPeligible, ProtectionKey, whatever a later kernel
 * adds) are skipped unread.  Fields no line set stay UINT64_MAX.
 *
 * Strictness.  Every line must be a header or a key line; anything else,
 * including an empty line, a key before the first header, or a header with
 * end <= start, is -EINVAL with its line number, because a parser that
 * skips what it does not understand silently shows the user wrong numbers.
 * Lines are read with getline(), so there is no length limit.
 *
 * Reading from /proc.  The kernel produces maps a buffer at a time and drops
 * mmap_lock in between, so a list read from a live, changing process is not
 * a snapshot: a vma may be missing, split or seen twice around a change.
 * Each line on its own is consistent.  A process that exits while we read
 * makes the read fail with ESRCH, which we report as -ENOENT.
 *
 * stat.  "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt
 * cminflt majflt cmajflt utime stime ...".  comm is the only free-form field
 * and may contain spaces, '(' and ')', even '\n', so it runs from the first
 * '(' to the last ')', and the file is read whole (getdelim to EOF), not a
 * line at a time.
 */
#define _GNU_SOURCE
#include "procmaps.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define DELETED_SUFFIX	" (deleted)"

/* smaps keys that have a field in struct vma. */
static const struct smaps_key {
	const char *name;		/* key, without the ':' */
	size_t off;			/* offsetof() its uint64_t field */
} smaps_keys[] = {
	{ "Size",		offsetof(struct vma, size_kb) },
	{ "Rss",		offsetof(struct vma, rss_kb) },
	{ "Pss",		offsetof(struct vma, pss_kb) },
	{ "Shared_Clean",	offsetof(struct vma, shared_clean_kb) },
	{ "Shared_Dirty",	offsetof(struct vma, shared_dirty_kb) },
	{ "Private_Clean",	offsetof(struct vma, private_clean_kb) },
	{ "Private_Dirty",	offsetof(struct vma, private_dirty_kb) },
	{ "Referenced",		offsetof(struct vma, referenced_kb) },
	{ "Anonymous",		offsetof(struct vma, anonymous_kb) },
	{ "Swap",		offsetof(struct vma, swap_kb) },
};

#define NKEYS	(sizeof(smaps_keys) / sizeof(smaps_keys[0]))

static uint64_t *vma_field(struct vma *v, const struct smaps_key *k)
{
	return (uint64_t *)((char *)v + k->off);
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 1 to 16 lowercase hex digits.  Returns the end, or NULL. */
static const char *parse_hex(const char *p, uint64_t *val)
{
	uint64_t x = 0;
	int nd, d;

	for (nd = 0; (d = hex_digit(*p)) >= 0; p++, nd++) {
		if (nd == 16)
			return NULL;
		x = x << 4 | (uint64_t)d;
	}
	if (nd == 0)
		return NULL;
	*val = x;
	return p;
}

/* One or more decimal digits, no sign, no overflow.  Returns the end, or
 * NULL. */
static const char *parse_dec(const char *p, uint64_t *val)
{
	const char *start = p;
	uint64_t x = 0;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return NULL;
		x = x * 10 + d;
	}
	if (p == start)
		return NULL;
	*val = x;
	return p;
}

static bool is_header(const char *line)
{
	const char *p = line;

	while (hex_digit(*p) >= 0)
		p++;
	return p > line && *p == '-';
}

static void vma_init(struct vma *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < NKEYS; i++)
		*vma_field(v, &smaps_keys[i]) = UINT64_MAX;
}

/* Fills v (vma_init'ed) from a header line without its newline.  Returns 0,
 * -EINVAL or -ENOMEM; v->path is set only on success. */
static int parse_header(const char *line, struct vma *v)
{
	const char *p = line;
	uint64_t major, minor;
	size_t len;

	/* Step 1: the fixed fields. */
	p = parse_hex(p, &v->start);
	if (!p || *p++ != '-')
		return -EINVAL;
	p = parse_hex(p, &v->end);
	if (!p || *p++ != ' ' || v->end <= v->start)
		return -EINVAL;
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's') ||
	    p[4] != ' ')
		return -EINVAL;
	memcpy(v->perms, p, 4);
	v->perms[4] = '\0';
	p = parse_hex(p + 5, &v->offset);
	if (!p || *p++ != ' ')
		return -EINVAL;
	p = parse_hex(p, &major);
	if (!p || *p++ != ':' || major > UINT_MAX)
		return -EINVAL;
	p = parse_hex(p, &minor);
	if (!p || *p++ != ' ' || minor > UINT_MAX)
		return -EINVAL;
	v->dev_major = (unsigned)major;
	v->dev_minor = (unsigned)minor;
	p = parse_dec(p, &v->inode);
	if (!p || (*p != '\0' && *p != ' '))
		return -EINVAL;

	/* Step 2: the path, after the padding; none if the line ends. */
	while (*p == ' ')
		p++;
	len = strlen(p);
	if (len == 0)
		return 0;
	if (len > strlen(DELETED_SUFFIX) &&
	    strcmp(p + len - strlen(DELETED_SUFFIX), DELETED_SUFFIX) == 0) {
		len -= strlen(DELETED_SUFFIX);
		v->deleted = true;
	}
	v->path = strndup(p, len);
	return v->path ? 0 : -ENOMEM;
}

/* Applies one smaps key line to v.  Returns 0 or -EINVAL. */
static int parse_key(const char *line, struct vma *v)
{
	const char *p = line;
	uint64_t val;
	size_t i, klen;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	if (p == line || *p != ':')
		return -EINVAL;
	klen = (size_t)(p - line);
	for (i = 0; i < NKEYS; i++)
		if (strlen(smaps_keys[i].name) == klen &&
		    memcmp(smaps_keys[i].name, line, klen) == 0)
			break;
	if (i == NKEYS)
		return 0;		/* a key we do not keep */
	p++;
	while (*p == ' ')
		p++;
	p = parse_dec(p, &val);
	if (!p || strcmp(p, " kB") != 0)
		return -EINVAL;
	*vma_field(v, &smaps_keys[i]) = val;
	return 0;
}

static void free_vmas(struct vma *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

int procmaps_parse(FILE *f, struct vma_list *out, unsigned *bad_line)
{
	struct vma *v = NULL, *grown;
	size_t n = 0, cap = 0, linecap = 0;
	char *line = NULL;
	unsigned lineno = 0;
	ssize_t len;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	for (;;) {
		errno = 0;
		len = getline(&line, &linecap, f);
		if (len < 0) {
			if (ferror(f))
				rc = errno ? -errno : -EIO;
			else if (errno == ENOMEM)
				rc = -ENOMEM;
			break;
		}
		if (lineno < UINT_MAX)
			lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strlen(line) != (size_t)len) {	/* a NUL byte */
			rc = -EINVAL;
			break;
		}
		if (!is_header(line)) {
			rc = n ? parse_key(line, &v[n - 1]) : -EINVAL;
			if (rc < 0)
				break;
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;

			if (ncap > SIZE_MAX / sizeof(*v)) {
				rc = -ENOMEM;
				break;
			}
			grown = realloc(v, ncap * sizeof(*v));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			v = grown;
			cap = ncap;
		}
		vma_init(&v[n]);
		rc = parse_header(line, &v[n]);
		if (rc < 0)
			break;
		n++;
	}
	free(line);
	if (rc < 0) {
		if (rc == -EINVAL && bad_line)
			*bad_line = lineno;
		free_vmas(v, n);
		return rc;
	}
	out->v = v;
	out->n = n;
	return 0;
}

int procmaps_read_pid(pid_t pid, bool smaps, struct vma_list *out)
{
	char path[64];
	FILE *f;
	int rc;

	out->v = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid,
		 smaps ? "smaps" : "maps");
	f = fopen(path, "re");
	if (!f)
		return errno == ESRCH ? -ENOENT : -errno;
	rc = procmaps_parse(f, out, NULL);
	fclose(f);
	return rc == -ESRCH ? -ENOENT : rc;
}

void procmaps_free(struct vma_list *l)
{
	if (!l)
		return;
	free_vmas(l->v, l->n);
	l->v = NULL;
	l->n = 0;
}

bool vma_is_shared(const struct vma *v)
{
	return v->perms[3] == 's';
}

bool vma_is_file(const struct vma *v)
{
	return v->inode != 0 && v->path && v->path[0] != '[';
}

/* " <decimal>" or " -<decimal>" at *p; advances *p.  Returns 0 or -EINVAL. */
static int stat_field(const char **p, uint64_t *mag, bool *neg)
{
	const char *s = *p;

	if (*s++ != ' ')
		return -EINVAL;
	*neg = *s == '-';
	if (*neg)
		s++;
	s = parse_dec(s, mag);
	if (!s)
		return -EINVAL;
	*p = s;
	return 0;
}

int procstat_parse(const char *buf, struct procstat *out)
{
	/* Fields after the state, in order. */
	enum { PPID, PGRP, SESSION, TTY_NR, TPGID, FLAGS, MINFLT, CMINFLT,
	       MAJFLT, CMAJFLT, UTIME, STIME, NFIELDS };
	uint64_t field[NFIELDS];
	bool neg[NFIELDS];
	const char *open, *close, *p;
	uint64_t pid;
	size_t len;
	int i;

	/* Step 1: "pid (comm)". */
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return -EINVAL;
	p = parse_dec(buf, &pid);
	if (!p || *p != ' ' || p + 1 != open || pid > INT_MAX)
		return -EINVAL;
	out->pid = (int)pid;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, len);
	out->comm[len] = '\0';

	/* Step 2: " S", then the numbers; only tty_nr and tpgid may be
	 * negative.  Later fields are not read. */
	p = close + 1;
	if (p[0] != ' ' || p[1] == '\0' || p[1] == ' ' || p[1] == '\n')
		return -EINVAL;
	out->state = p[1];
	p += 2;
	for (i = 0; i < NFIELDS; i++) {
		if (stat_field(&p, &field[i], &neg[i]) < 0)
			return -EINVAL;
		if (neg[i] && i != TTY_NR && i != TPGID)
			return -EINVAL;
	}
	if ((*p != ' ' && *p != '\n' && *p != '\0') || field[PPID] > INT_MAX)
		return -EINVAL;
	out->ppid = (int)field[PPID];
	out->minflt = field[MINFLT];
	out->cminflt = field[CMINFLT];
	out->majflt = field[MAJFLT];
	out->cmajflt = field[CMAJFLT];
	out->utime_ticks = field[UTIME];
	out->stime_ticks = field[STIME];
	return 0;
}

int procstat_read_pid(pid_t pid, struct procstat *out)
{
	char path[64], *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ESRCH ? -ENOENT : -errno;
	errno = 0;
	len = getdelim(&buf, &cap, '\0', f);	/* the whole file */
	if (len >= 0)
		rc = procstat_parse(buf, out);
	else if (ferror(f))
		rc = errno ? -errno : -EIO;
	else if (errno == ENOMEM)
		rc = -ENOMEM;
	else
		rc = -EINVAL;			/* empty */
	free(buf);
	fclose(f);
	return rc == -ESRCH ? -ENOENT : rc;
}
