/* test_procmaps.c - procmaps: maps and smaps fixtures adapted from a real
 * /proc/self/smaps plus hand-made lines (paths with spaces, deleted files,
 * shared and COW file mappings, [vsyscall]), malformed input and its line
 * numbers, /proc/PID/stat lines with hostile comms, and the live process.
 *
 * Fixtures are found in $FIXTURES (meson test sets it) or, when the binary
 * is run by hand, in PROCMAPS_FIXTURES, the source path compiled in. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "procmaps.h"

#ifndef PROCMAPS_FIXTURES
#define PROCMAPS_FIXTURES "tests/fixtures"
#endif

#define NBASIC	26	/* vmas in maps_basic.txt and smaps_basic.txt */

static FILE *fixture_open(const char *name)
{
	const char *dir = getenv("FIXTURES");
	char *path;
	FILE *f;

	if (!dir || !*dir)
		dir = PROCMAPS_FIXTURES;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	free(path);
	return f;
}

static int parse_fixture(const char *name, struct vma_list *l, unsigned *bad)
{
	FILE *f = fixture_open(name);
	int rc = procmaps_parse(f, l, bad);

	fclose(f);
	return rc;
}

/* Parses len bytes of s (which may hold NULs). */
static int parse_mem(const char *s, size_t len, struct vma_list *l,
		     unsigned *bad)
{
	FILE *f = fmemopen((void *)s, len, "r");
	int rc;

	assert_non_null(f);
	rc = procmaps_parse(f, l, bad);
	fclose(f);
	return rc;
}

static int parse_str(const char *s, struct vma_list *l, unsigned *bad)
{
	return parse_mem(s, strlen(s), l, bad);
}

static const struct vma *find_start(const struct vma_list *l, uint64_t start)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].start == start)
			return &l->v[i];
	fail_msg("no vma at %#llx", (unsigned long long)start);
	return NULL;
}

static const struct vma *find_path(const struct vma_list *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].path && strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	return NULL;
}

static void assert_no_smaps(const struct vma *v)
{
	assert_true(v->size_kb == UINT64_MAX);
	assert_true(v->rss_kb == UINT64_MAX);
	assert_true(v->pss_kb == UINT64_MAX);
	assert_true(v->shared_clean_kb == UINT64_MAX);
	assert_true(v->shared_dirty_kb == UINT64_MAX);
	assert_true(v->private_clean_kb == UINT64_MAX);
	assert_true(v->private_dirty_kb == UINT64_MAX);
	assert_true(v->referenced_kb == UINT64_MAX);
	assert_true(v->anonymous_kb == UINT64_MAX);
	assert_true(v->swap_kb == UINT64_MAX);
}

static void assert_all_smaps(const struct vma *v)
{
	assert_true(v->size_kb == (v->end - v->start) / 1024);
	assert_true(v->rss_kb != UINT64_MAX);
	assert_true(v->pss_kb != UINT64_MAX);
	assert_true(v->shared_clean_kb != UINT64_MAX);
	assert_true(v->shared_dirty_kb != UINT64_MAX);
	assert_true(v->private_clean_kb != UINT64_MAX);
	assert_true(v->private_dirty_kb != UINT64_MAX);
	assert_true(v->referenced_kb != UINT64_MAX);
	assert_true(v->anonymous_kb != UINT64_MAX);
	assert_true(v->swap_kb != UINT64_MAX);
	assert_true(v->rss_kb == v->shared_clean_kb + v->shared_dirty_kb +
		    v->private_clean_kb + v->private_dirty_kb);
}

static void test_procmaps_maps_basic(void **state)
{
	struct vma_list l;
	const struct vma *v;
	size_t i;

	(void)state;
	assert_int_equal(parse_fixture("maps_basic.txt", &l, NULL), 0);
	assert_int_equal(l.n, NBASIC);
	v = &l.v[0];
	assert_true(v->start == 0x563115bb4000ull);
	assert_true(v->end == 0x563115bb6000ull);
	assert_string_equal(v->perms, "r--p");
	assert_true(v->offset == 0);
	assert_int_equal(v->dev_major, 0xfe);
	assert_int_equal(v->dev_minor, 0);
	assert_true(v->inode == 247134);
	assert_string_equal(v->path, "/usr/bin/cat");
	assert_false(v->deleted);
	assert_true(vma_is_file(v));
	assert_false(vma_is_shared(v));
	v = find_start(&l, 0x7f37ac6c0000ull);	/* libc text */
	assert_string_equal(v->perms, "r-xp");
	assert_true(v->offset == 0x26000);
	assert_string_equal(v->path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	for (i = 0; i < l.n; i++) {
		assert_true(l.v[i].start < l.v[i].end);
		if (i > 0)
			assert_true(l.v[i - 1].end <= l.v[i].start);
		assert_no_smaps(&l.v[i]);
	}
	procmaps_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

static void test_procmaps_smaps_basic(void **state)
{
	struct vma_list m, s;
	const struct vma *v;
	size_t i;

	(void)state;
	assert_int_equal(parse_fixture("maps_basic.txt", &m, NULL), 0);
	assert_int_equal(parse_fixture("smaps_basic.txt", &s, NULL), 0);
	assert_int_equal(s.n, NBASIC);
	for (i = 0; i < s.n; i++) {	/* same headers as the maps file */
		assert_true(s.v[i].start == m.v[i].start);
		assert_true(s.v[i].end == m.v[i].end);
		assert_string_equal(s.v[i].perms, m.v[i].perms);
		assert_true(s.v[i].offset == m.v[i].offset);
		assert_true(s.v[i].inode == m.v[i].inode);
		assert_int_equal(s.v[i].deleted, m.v[i].deleted);
		if (m.v[i].path)
			assert_string_equal(s.v[i].path, m.v[i].path);
		else
			assert_null(s.v[i].path);
		assert_all_smaps(&s.v[i]);
	}
	v = find_start(&s, 0x7f37ac6c0000ull);	/* libc text, verbatim */
	assert_true(v->size_kb == 1368);
	assert_true(v->rss_kb == 896);
	assert_true(v->pss_kb == 255);
	assert_true(v->shared_clean_kb == 840);
	assert_true(v->shared_dirty_kb == 0);
	assert_true(v->private_clean_kb == 56);
	assert_true(v->private_dirty_kb == 0);
	assert_true(v->referenced_kb == 896);
	assert_true(v->anonymous_kb == 0);
	assert_true(v->swap_kb == 0);
	procmaps_free(&m);
	procmaps_free(&s);
}

static void test_procmaps_path_with_spaces(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	assert_int_equal(parse_fixture("smaps_basic.txt", &l, NULL), 0);
	v = find_start(&l, 0x7f1000000000ull);
	assert_string_equal(v->path, "/tmp/framefs test/lib  two  spaces.so");
	assert_false(v->deleted);
	assert_true(vma_is_file(v));
	procmaps_free(&l);

	/* One separator space after a wide inode; a trailing space is part
	 * of the name; padding wider than the kernel's is still padding. */
	assert_int_equal(parse_str(
		"00400000-00401000 r--p 00000000 08:01 123456789012345 /a b\n"
		"00401000-00402000 r--p 00000000 08:01 7   /x/trailing \n"
		"00402000-00403000 r--p 00000000 08:01 7"
		"                                                     /c  d\n",
		&l, NULL), 0);
	assert_int_equal(l.n, 3);
	assert_true(l.v[0].inode == 123456789012345ull);
	assert_string_equal(l.v[0].path, "/a b");
	assert_string_equal(l.v[1].path, "/x/trailing ");
	assert_string_equal(l.v[2].path, "/c  d");
	procmaps_free(&l);
}

static void test_procmaps_deleted(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	assert_int_equal(parse_fixture("smaps_basic.txt", &l, NULL), 0);
	v = find_start(&l, 0x7f1000004000ull);
	assert_string_equal(v->path, "/tmp/old build/libold.so");
	assert_true(v->deleted);
	assert_true(vma_is_file(v));
	v = find_start(&l, 0x7f1000300000ull);	/* memfd */
	assert_string_equal(v->path, "/memfd:framefs-pool");
	assert_true(v->deleted);
	assert_true(vma_is_shared(v));
	assert_true(v->private_dirty_kb == 256);
	v = find_start(&l, 0x7f1000000000ull);
	assert_false(v->deleted);
	procmaps_free(&l);

	/* Only a final " (deleted)" counts. */
	assert_int_equal(parse_str(
		"00400000-00401000 r--p 00000000 08:01 7 /a (deleted) b\n"
		"00401000-00402000 r--p 00000000 08:01 7 /a(deleted)\n"
		"00402000-00403000 r--p 00000000 08:01 7 /a (deleted) (deleted)\n",
		&l, NULL), 0);
	assert_string_equal(l.v[0].path, "/a (deleted) b");
	assert_false(l.v[0].deleted);
	assert_string_equal(l.v[1].path, "/a(deleted)");
	assert_false(l.v[1].deleted);
	assert_string_equal(l.v[2].path, "/a (deleted)");
	assert_true(l.v[2].deleted);
	procmaps_free(&l);
}

static void test_procmaps_special_names(void **state)
{
	static const char *const names[] = {
		"[heap]", "[stack]", "[vdso]", "[vvar]", "[vvar_vclock]",
		"[vsyscall]",
	};
	struct vma_list l;
	const struct vma *v;
	size_t i;

	(void)state;
	assert_int_equal(parse_fixture("smaps_basic.txt", &l, NULL), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = find_path(&l, names[i]);
		assert_non_null(v);
		assert_true(v->inode == 0);
		assert_false(v->deleted);
		assert_false(vma_is_file(v));
		assert_false(vma_is_shared(v));
	}
	v = find_path(&l, "[vsyscall]");
	assert_true(v->start == 0xffffffffff600000ull);
	assert_true(v->end == 0xffffffffff601000ull);
	assert_string_equal(v->perms, "--xp");
	assert_true(v->size_kb == 4);
	assert_true(v == &l.v[l.n - 1]);
	v = find_path(&l, "[stack]");
	assert_true(v->anonymous_kb == 16);
	procmaps_free(&l);

	/* A name with an inode (say "[anon:x]" faked on a file) is not a file. */
	assert_int_equal(parse_str(
		"00400000-00401000 rw-p 00000000 00:00 0   [anon:frames]\n",
		&l, NULL), 0);
	assert_string_equal(l.v[0].path, "[anon:frames]");
	assert_false(vma_is_file(&l.v[0]));
	procmaps_free(&l);
}

static void test_procmaps_anonymous(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	assert_int_equal(parse_fixture("smaps_basic.txt", &l, NULL), 0);
	v = find_start(&l, 0x7f37ac617000ull);	/* "... 00:00 0 " */
	assert_null(v->path);
	assert_true(v->inode == 0);
	assert_false(v->deleted);
	assert_false(vma_is_file(v));
	assert_false(vma_is_shared(v));
	assert_string_equal(v->perms, "rw-p");
	procmaps_free(&l);

	/* Without the kernel's trailing space, and with a lot of it. */
	assert_int_equal(parse_str(
		"00400000-00401000 rw-p 00000000 00:00 0\n"
		"00401000-00402000 rw-p 00000000 00:00 0                    \n",
		&l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_null(l.v[0].path);
	assert_null(l.v[1].path);
	procmaps_free(&l);
}

static void test_procmaps_shared_and_cow(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	assert_int_equal(parse_fixture("smaps_basic.txt", &l, NULL), 0);
	v = find_path(&l, "/dev/shm/framefs-ring");	/* rw-s */
	assert_non_null(v);
	assert_true(vma_is_shared(v));
	assert_true(vma_is_file(v));
	assert_int_equal(v->dev_major, 0);
	assert_int_equal(v->dev_minor, 0x19);
	assert_true(v->shared_dirty_kb == 1024);
	assert_true(v->pss_kb == 512);
	assert_true(v->anonymous_kb == 0);
	v = find_path(&l, "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache");
	assert_non_null(v);
	assert_string_equal(v->perms, "r--s");
	assert_true(vma_is_shared(v));
	/* Private file mappings with COW copies: Anonymous > 0. */
	v = find_path(&l, "/var/lib/framefs/data.bin");
	assert_non_null(v);
	assert_string_equal(v->perms, "rw-p");
	assert_false(vma_is_shared(v));
	assert_true(vma_is_file(v));
	assert_true(v->offset == 0x3000);
	assert_true(v->anonymous_kb == 24);
	assert_true(v->private_dirty_kb == 24);
	assert_true(v->private_clean_kb == 16);
	assert_true(v->swap_kb == 8);
	v = find_start(&l, 0x7f37ac86d000ull);	/* libc .data, verbatim */
	assert_string_equal(v->perms, "rw-p");
	assert_true(v->anonymous_kb == 8);
	assert_true(v->offset == 0x1d3000);
	procmaps_free(&l);
}

static void test_procmaps_malformed_fixture(void **state)
{
	struct vma_list l = { .v = (struct vma *)&l, .n = 42 };
	unsigned bad = 0;

	(void)state;
	assert_int_equal(parse_fixture("maps_malformed.txt", &l, &bad),
			 -EINVAL);
	assert_int_equal(bad, 5);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	bad = 0;
	assert_int_equal(parse_fixture("smaps_malformed.txt", &l, &bad),
			 -EINVAL);
	assert_int_equal(bad, 30);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	procmaps_free(&l);
	/* bad_line may be NULL. */
	assert_int_equal(parse_fixture("maps_malformed.txt", &l, NULL),
			 -EINVAL);
}

#define H	"00400000-00401000 r-xp 00000000 08:01 12 /bin/x\n"

static void test_procmaps_malformed_lines(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
	} cases[] = {
		{ "Rss:                 4 kB\n", 1 },	/* key before header */
		{ "VmFlags: rd\n" H, 1 },
		{ H "\n", 2 },				/* empty line */
		{ H "Rss: four kB\n", 2 },
		{ H "Rss: 4 KB\n", 2 },
		{ H "Rss: 4\n", 2 },
		{ H "Rss: 4 kB trailing\n", 2 },
		{ H "Rss: -4 kB\n", 2 },
		{ H "Rss: 18446744073709551616 kB\n", 2 },	/* 2^64 */
		{ H "Rss: 4 kB\nsome text\n", 3 },
		{ H ": 4 kB\n", 2 },			/* empty key */
		{ H "  Rss: 4 kB\n", 2 },
		{ H "Rss 4 kB\n", 2 },
		{ "00400000-00401000 r-xq 00000000 08:01 12\n", 1 },
		{ "00400000-00401000 R-XP 00000000 08:01 12\n", 1 },
		{ "00400000-00401000 rwx 00000000 08:01 12\n", 1 },
		{ "00400000-00401000  r-xp 00000000 08:01 12\n", 1 },
		{ "00401000-00400000 r-xp 00000000 08:01 12\n", 1 },
		{ "00400000-00400000 r-xp 00000000 08:01 12\n", 1 },
		{ "00400000-0040100G r-xp 00000000 08:01 12\n", 1 },
		{ "00400000-00401000 r-xp 00000000 08:01\n", 1 },
		{ "00400000-00401000 r-xp 00000000 08:01 \n", 1 },
		{ "00400000-00401000 r-xp 00000000 0801 12\n", 1 },
		{ "00400000-00401000 r-xp 00000000 08:01 12x /bin/x\n", 1 },
		{ "00400000-00401000 r-xp 0x000000 08:01 12\n", 1 },
		{ "00400000-00401000 r-xp -0000001 08:01 12\n", 1 },
		{ "00400000-00401000 r-xp 00000000 08:01 -12\n", 1 },
		{ "00400000-00401000 r-xp 00000000 08:01 "
		  "18446744073709551616\n", 1 },
		{ "00400000-10000000000000000 r-xp 00000000 08:01 12\n", 1 },
		{ "00400000-\n", 1 },
		{ H H H "garbage\n" H, 4 },
		{ H "Size: 4 kB\n" H "Rss: 4 kB\nRss 4 kB\n", 5 },
	};
	/* A NUL in the middle of a line. */
	static const char nul[] = H "00401000-00402000 r-xp 00000000 08:01 12 /a\0b\n";
	struct vma_list l;
	unsigned bad;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad = 0;
		if (parse_str(cases[i].text, &l, &bad) != -EINVAL ||
		    bad != cases[i].line)
			fail_msg("case %zu: line %u, want -EINVAL at %u:\n%s",
				 i, bad, cases[i].line, cases[i].text);
		assert_null(l.v);
		assert_int_equal(l.n, 0);
	}
	bad = 0;
	assert_int_equal(parse_mem(nul, sizeof(nul) - 1, &l, &bad), -EINVAL);
	assert_int_equal(bad, 2);
}

static void test_procmaps_unknown_keys(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	assert_int_equal(parse_str(
		H
		"Size:                  4 kB\n"
		"Rss:                   4 kB\n"
		"ProtectionKey:         0\n"
		"THPeligible:    0\n"
		"FutureKey2030: anything at all (really)\n"
		"Pss_Dirty:             9 kB\n"
		"SwapPss:               7 kB\n"
		"VmFlags: rd ex mr mw me \n"
		"00401000-00402000 rw-p 00000000 00:00 0 \n"
		"Swap:                 12 kB\n"
		"Swap:                 16 kB\n",
		&l, NULL), 0);
	assert_int_equal(l.n, 2);
	v = &l.v[0];
	assert_true(v->size_kb == 4);
	assert_true(v->rss_kb == 4);
	assert_true(v->pss_kb == UINT64_MAX);	/* not "Pss_Dirty" */
	assert_true(v->swap_kb == UINT64_MAX);	/* not "SwapPss" */
	assert_true(v->anonymous_kb == UINT64_MAX);
	v = &l.v[1];
	assert_true(v->swap_kb == 16);		/* the last one wins */
	assert_true(v->size_kb == UINT64_MAX);
	procmaps_free(&l);
}

static void test_procmaps_long_line(void **state)
{
	enum { PATHLEN = 100000 };
	static const char head[] =
		"7fff00000000-7fff00001000 rw-p 00000000 00:00 0\n"
		"Rss: 4 kB\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
		"                  [vsyscall]\n"
		"00400000-00401000 r-xp 00000000 08:01 12 /";
	struct vma_list l;
	char *text, *p;

	(void)state;
	text = malloc(sizeof(head) + PATHLEN + 16);
	assert_non_null(text);
	p = stpcpy(text, head);
	memset(p, 'x', PATHLEN - 1);	/* the path: '/' and PATHLEN - 1 'x' */
	strcpy(p + PATHLEN - 1, " (deleted)\n");
	assert_int_equal(parse_str(text, &l, NULL), 0);
	assert_int_equal(l.n, 3);
	assert_true(l.v[0].rss_kb == 4);
	assert_true(l.v[1].start == 0xffffffffff600000ull);
	assert_string_equal(l.v[1].path, "[vsyscall]");
	assert_int_equal(strlen(l.v[2].path), PATHLEN);
	assert_true(l.v[2].deleted);
	procmaps_free(&l);
	free(text);
}

static void test_procmaps_empty_and_unterminated(void **state)
{
	struct vma_list l = { .v = (struct vma *)&l, .n = 42 };
	FILE *f;

	(void)state;
	f = fopen("/dev/null", "r");
	assert_non_null(f);
	assert_int_equal(procmaps_parse(f, &l, NULL), 0);
	fclose(f);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	procmaps_free(&l);

	/* The last line needs no newline; neither does a key line. */
	assert_int_equal(parse_str(H "Rss: 8 kB", &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].rss_kb == 8);
	procmaps_free(&l);
	assert_int_equal(parse_str("00400000-00401000 r-xp 00000000 08:01 12 /a b",
				   &l, NULL), 0);
	assert_string_equal(l.v[0].path, "/a b");
	procmaps_free(&l);
}

static void test_procmaps_free_null_safe(void **state)
{
	struct vma_list l = { 0 };

	(void)state;
	procmaps_free(NULL);
	procmaps_free(&l);
	procmaps_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

static void test_procmaps_stat_comm_parens(void **state)
{
	struct procstat st;
	char line[512];

	(void)state;
	assert_int_equal(procstat_parse("1234 (a) b) c) S 1 1234 1234 0 -1 "
		"4194560 120 7 3 1 55 21 0 0 20 0 1 0 812004 3133440 417 "
		"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
		&st), 0);
	assert_int_equal(st.pid, 1234);
	assert_string_equal(st.comm, "a) b) c");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_true(st.minflt == 120);
	assert_true(st.cminflt == 7);
	assert_true(st.majflt == 3);
	assert_true(st.cmajflt == 1);
	assert_true(st.utime_ticks == 55);
	assert_true(st.stime_ticks == 21);

	assert_int_equal(procstat_parse("5 (((x)) R 0 1 2 3 4 5 6 7 8 9 10 11",
					&st), 0);
	assert_string_equal(st.comm, "((x)");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 0);
	assert_true(st.stime_ticks == 11);
	assert_int_equal(procstat_parse("7 () Z 1 1 1 0 -1 0 "
		"18446744073709551 0 0 0 0 0\n", &st), 0);
	assert_string_equal(st.comm, "");
	assert_int_equal(st.state, 'Z');
	assert_true(st.minflt == 18446744073709551ull);
	assert_int_equal(procstat_parse("8 (a\nb) ) S 2 0 0 0 -1 0 0 0 0 0 0 0",
					&st), 0);
	assert_string_equal(st.comm, "a\nb) ");

	/* A comm longer than the field is cut to 63 bytes. */
	snprintf(line, sizeof(line), "9 (%0100d) I 2 0 0 0 -1 0 0 0 0 0 0 0", 7);
	assert_int_equal(procstat_parse(line, &st), 0);
	assert_int_equal(strlen(st.comm), sizeof(st.comm) - 1);
	assert_int_equal(st.state, 'I');
}

static void test_procmaps_stat_malformed(void **state)
{
	static const char *const cases[] = {
		"",
		"\n",
		"1234 a S 1 2 3 4 5 6 7 8 9 10 11",
		"1234 (a S 1 2 3 4 5 6 7 8 9 10 11",
		") 1234 (a S 1 2 3 4 5 6 7 8 9 10 11",
		"x (a) S 1 2 3 4 5 6 7 8 9 10 11",
		"-1 (a) S 1 2 3 4 5 6 7 8 9 10 11",
		" 1 (a) S 1 2 3 4 5 6 7 8 9 10 11",
		"1234(a) S 1 2 3 4 5 6 7 8 9 10 11",
		"1234  (a) S 1 2 3 4 5 6 7 8 9 10 11",
		"1234 (a)S 1 2 3 4 5 6 7 8 9 10 11",
		"1234 (a)  1 2 3 4 5 6 7 8 9 10 11",
		"1234 (a) S",
		"1234 (a) S 1 2 3",
		"1234 (a) S 1 2 3 4 5 6 7 8 9 10 11\n",	/* no stime */
		"1234 (a) S x 2 3 4 5 6 7 8 9 10 11 12",
		"1234 (a) S -1 2 3 4 5 6 7 8 9 10 11 12",
		"1234 (a) S 1 2 3 4 5 6 -7 8 9 10 11 12",
		"1234 (a) S 1 2 3 4 5 6 7 8 9 10 11 12x",
		"1234 (a) S 1  2 3 4 5 6 7 8 9 10 11 12",
		"1234 (a) S 2147483648 2 3 4 5 6 7 8 9 10 11 12",
		"2147483648 (a) S 1 2 3 4 5 6 7 8 9 10 11 12",
		"1234 (a) S 1 2 3 4 5 6 99999999999999999999 8 9 10 11 12",
	};
	struct procstat st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (procstat_parse(cases[i], &st) != -EINVAL)
			fail_msg("case %zu accepted: \"%s\"", i, cases[i]);
}

/* The live process: its own executable, [stack] and stat. */
static void test_procmaps_live_self(void **state)
{
	uintptr_t text = (uintptr_t)test_procmaps_live_self;
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
	const struct vma *exe_v = NULL, *stack_v = NULL;
	char exe[PATH_MAX + 16];
	struct vma_list l;
	ssize_t len;
	size_t i, nexe = 0;

	(void)state;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(len > 0);
	exe[len] = '\0';
	if (len > 10 && strcmp(exe + len - 10, " (deleted)") == 0)
		exe[len - 10] = '\0';	/* rebuilt while we run */

	assert_int_equal(procmaps_read_pid(getpid(), true, &l), 0);
	assert_true(l.n > 4);
	for (i = 0; i < l.n; i++) {
		const struct vma *v = &l.v[i];

		assert_true(v->start < v->end);
		assert_all_smaps(v);
		if (v->path && strcmp(v->path, exe) == 0) {
			nexe++;
			assert_true(vma_is_file(v));
			if (text >= v->start && text < v->end)
				exe_v = v;
		}
		if (v->path && strcmp(v->path, "[stack]") == 0)
			stack_v = v;
	}
	assert_true(nexe >= 2);
	assert_non_null(exe_v);
	assert_int_equal(exe_v->perms[2], 'x');
	assert_true(exe_v->rss_kb > 0);		/* we are running it */
	assert_non_null(stack_v);
	assert_true(frame >= stack_v->start && frame < stack_v->end);
	assert_true(stack_v->rss_kb > 0);
	assert_false(vma_is_file(stack_v));
	procmaps_free(&l);

	/* maps: the same executable, no smaps fields. */
	assert_int_equal(procmaps_read_pid(getpid(), false, &l), 0);
	assert_non_null(find_path(&l, exe));
	assert_non_null(find_path(&l, "[stack]"));
	for (i = 0; i < l.n; i++)
		assert_no_smaps(&l.v[i]);
	procmaps_free(&l);
}

static void test_procmaps_live_stat(void **state)
{
	char comm[16];
	struct procstat st;

	(void)state;
	assert_int_equal(procstat_read_pid(getpid(), &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.state, 'R');	/* we are reading it */
	snprintf(comm, sizeof(comm), "%s", program_invocation_short_name);
	assert_string_equal(st.comm, comm);
	assert_true(st.minflt > 0);
}

static void test_procmaps_no_such_pid(void **state)
{
	struct vma_list l = { .v = (struct vma *)&l, .n = 42 };
	struct procstat st;

	(void)state;
	/* Above any pid_max (at most 2^22). */
	assert_int_equal(procmaps_read_pid(INT_MAX, true, &l), -ENOENT);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	assert_int_equal(procmaps_read_pid(INT_MAX, false, &l), -ENOENT);
	assert_int_equal(procstat_read_pid(INT_MAX, &st), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procmaps_maps_basic),
		cmocka_unit_test(test_procmaps_smaps_basic),
		cmocka_unit_test(test_procmaps_path_with_spaces),
		cmocka_unit_test(test_procmaps_deleted),
		cmocka_unit_test(test_procmaps_special_names),
		cmocka_unit_test(test_procmaps_anonymous),
		cmocka_unit_test(test_procmaps_shared_and_cow),
		cmocka_unit_test(test_procmaps_malformed_fixture),
		cmocka_unit_test(test_procmaps_malformed_lines),
		cmocka_unit_test(test_procmaps_unknown_keys),
		cmocka_unit_test(test_procmaps_long_line),
		cmocka_unit_test(test_procmaps_empty_and_unterminated),
		cmocka_unit_test(test_procmaps_free_null_safe),
		cmocka_unit_test(test_procmaps_stat_comm_parens),
		cmocka_unit_test(test_procmaps_stat_malformed),
		cmocka_unit_test(test_procmaps_live_self),
		cmocka_unit_test(test_procmaps_live_stat),
		cmocka_unit_test(test_procmaps_no_such_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
