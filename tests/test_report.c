/* test_report.c - compare's report (tools/report.c) over a results
 * directory written here by hand: the figures, the marks, the lists, the
 * pictures and the page.
 *
 * The fixture (fixture_make) is two workloads:
 *   w1 "zipf:0.9 --pages 400 --ops 4000": lru and arc at 100 and 200
 *      frames, refscan 0 and 1000, latency none, three repeats each (the
 *      figures in w1[] below, chosen so that every median and range is
 *      worked out in the comments of the cases); the third repeat of lru
 *      at 200 frames, refscan 1000 failed; sim rows (lru, arc, opt at both
 *      sizes), seen rows (the policy and opt) after the first repeat of
 *      lru and of arc at 100 frames, refscan 1000, a kernel row per
 *      size, the series of lru at 100 frames, refscan 1000 (arc's is named
 *      but missing), curves/w1-opt.csv (curves/w1-lru.csv is missing), an
 *      unknown column and an unknown kind;
 *   w2 a cmd: workload (sqlite3, with '<' and quotes in its text): lru and
 *      arc at 100 frames, refscan 0 and 1000, one repeat, no touches.
 * Each case makes its own directory under $TMPDIR (or /tmp) and removes it
 * (TEST_REPORT_KEEP=1 keeps it, to look at, and prints where).
 * The pictures' checks SKIP when gnuplot is not installed; the page's
 * well-formedness is judged by tests/check_html.py ($CHECK_HTML) when
 * python3 is there, else that case SKIPs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plot.h"
#include "report.h"
#include "tmpdir.h"

#define HEADER "wl,workload,kind,policy,frames,refscan,store_latency," \
	"repeat,status,elapsed_s,touches,minflt,majflt,requests,misses," \
	"miss_ratio,evictions,writebacks,mem_pages,fs_reads,fs_frame_hits," \
	"fs_frame_misses,series,command,later_column\n"
#define W1 "zipf:0.9 --pages 400 --ops 4000"
#define W2 "cmd:sqlite3 {mnt}/db.sqlite < q.sql \"x,y\""
#define TOUCHES 4000

/* w1's live cells: majflt, frame hits and elapsed seconds per repeat. */
static const struct {
	const char *policy;
	unsigned frames, refscan;
	unsigned majflt[3], hits[3];
	double elapsed[3];
} w1[] = {
	{ "lru", 100, 0, { 2400, 2380, 2420 }, { 0, 0, 0 },
	  { 1.5, 1.6, 1.4 } },
	{ "lru", 100, 1000, { 2000, 2100, 1900 }, { 500, 520, 510 },
	  { 1.7, 1.8, 1.9 } },
	{ "arc", 100, 0, { 2410, 2400, 2405 }, { 0, 0, 0 },
	  { 1.55, 1.45, 1.5 } },
	{ "arc", 100, 1000, { 1800, 1850, 1820 }, { 600, 590, 610 },
	  { 2.0, 2.1, 2.2 } },
	{ "lru", 200, 0, { 1500, 1510, 1490 }, { 0, 0, 0 },
	  { 1.0, 1.1, 1.2 } },
	{ "lru", 200, 1000, { 1300, 1280, 0 }, { 300, 320, 0 },
	  { 1.3, 1.2, 0 } },		/* repeat 3 failed */
	{ "arc", 200, 0, { 1495, 1500, 1505 }, { 0, 0, 0 },
	  { 1.05, 1.0, 1.1 } },
	{ "arc", 200, 1000, { 1250, 1260, 1270 }, { 400, 410, 405 },
	  { 1.4, 1.5, 1.6 } },
};

#define FAILED_WHY "error: workload: exit status 1, \"\"mmload\"\" said <oops>"

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void dir_remove(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void file_put(const char *dir, const char *name, const char *text)
{
	char path[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The whole of DIR/NAME, NUL-terminated (malloc'd), or NULL. */
static char *file_get(const char *dir, const char *name, size_t *len)
{
	char path[2048], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static bool file_exists(const char *dir, const char *name)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void row_put(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void row_put(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

/* The fixture directory (see the top of the file) in DIR. */
static void fixture_make(char *dir, size_t len)
{
	char path[2048];
	FILE *f;

	assert_int_equal(tmpdir_make(dir, len, "test_report"), 0);
	snprintf(path, sizeof(path), "%s/series", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/curves", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(HEADER, f);
	for (size_t c = 0; c < sizeof(w1) / sizeof(w1[0]); c++)
		for (unsigned r = 0; r < 3; r++) {
			unsigned mj = w1[c].majflt[r], h = w1[c].hits[r];
			char series[128] = "";

			if (!mj) {
				row_put(f, "1,%s,live,%s,%u,%u,none,%u,\"%s\","
					",,,,,,,,,,,,,,\"mmload ...\",x\n",
					W1, w1[c].policy, w1[c].frames,
					w1[c].refscan, r + 1, FAILED_WHY);
				continue;
			}
			if (r == 0 && w1[c].frames == 100 &&
			    w1[c].refscan == 1000)
				snprintf(series, sizeof(series),
					 "series/w1-%s-100-1000-1.csv",
					 w1[c].policy);
			row_put(f, "1,%s,live,%s,%u,%u,none,%u,ok,%.3f,%u,"
				"9000,%u,%u,%u,%.6f,%u,0,,%u,%u,%u,%s,"
				"\"framefs -o policy=%s; mmload \"\"a b\"\"\","
				"x\n", W1, w1[c].policy, w1[c].frames,
				w1[c].refscan, r + 1, w1[c].elapsed[r],
				TOUCHES, mj, mj + h, mj,
				(double)mj / TOUCHES, mj - w1[c].frames,
				mj + h, h, mj, series, w1[c].policy);
			/* seen rows follow the live row they replay */
			if (r == 0 && w1[c].frames == 100 &&
			    w1[c].refscan == 1000) {
				bool lru = !strcmp(w1[c].policy, "lru");

				row_put(f, "1,%s,seen,%s,100,1000,none,1,ok,,"
					"2500,,,2500,%s,0,,,,,,cmd,\n", W1,
					w1[c].policy, lru ? "1990,0.796,1890" :
					"1900,0.76,1800");
				row_put(f, "1,%s,seen,opt,100,1000,none,1,ok,,"
					"2500,,,2500,%s,0,,,,,,cmd,\n", W1,
					lru ? "1400,0.56,1300" :
					"1300,0.52,1200");
			}
		}
	/* sim: the true trace, no refscan or latency. */
	row_put(f, "1,%s,sim,lru,100,,,1,ok,,4000,,,4000,2300,0.575,2200,0,"
		",,,,,cmd,\n", W1);
	row_put(f, "1,%s,sim,arc,100,,,1,ok,,4000,,,4000,2100,0.525,2000,0,"
		",,,,,cmd,\n", W1);
	row_put(f, "1,%s,sim,opt,100,,,1,ok,,4000,,,4000,1500,0.375,1400,0,"
		",,,,,cmd,\n", W1);
	row_put(f, "1,%s,sim,lru,200,,,1,ok,,4000,,,4000,1400,0.35,1200,0,"
		",,,,,cmd,\n", W1);
	row_put(f, "1,%s,sim,arc,200,,,1,ok,,4000,,,4000,1200,0.3,1000,0,"
		",,,,,cmd,\n", W1);
	row_put(f, "1,%s,sim,opt,200,,,1,ok,,4000,,,4000,900,0.225,700,0,"
		",,,,,cmd,\n", W1);
	/* kernel, and a kind this report does not know. */
	row_put(f, "1,%s,kernel,kernel,100,0,none,1,ok,0.9,4000,9000,2300,,"
		"2300,0.575,,,98.5,,,,,cmd,\n", W1);
	row_put(f, "1,%s,kernel,kernel,200,0,none,1,ok,0.8,4000,9000,1300,,"
		"1300,0.325,,,197,,,,,cmd,\n", W1);
	row_put(f, "1,%s,future,lru,100,0,none,1,ok,,,,,,,,,,,,,,,cmd,\n",
		W1);
	/* w2: a cmd: workload, one repeat, no touches. */
	row_put(f, "2,\"%s\",live,lru,100,0,none,1,ok,3.0,,500,50,1000,300,"
		"0.3,200,10,,1000,700,300,,\"sh -c 'sqlite3 ...'\",\n",
		"cmd:sqlite3 {mnt}/db.sqlite < q.sql \"\"x,y\"\"");
	row_put(f, "2,\"%s\",live,arc,100,0,none,1,ok,3.1,,500,52,1000,310,"
		"0.31,210,11,,1000,690,310,,cmd,\n",
		"cmd:sqlite3 {mnt}/db.sqlite < q.sql \"\"x,y\"\"");
	row_put(f, "2,\"%s\",live,lru,100,1000,none,1,ok,3.5,,500,40,1200,"
		"250,0.208333,150,10,,1200,950,250,,cmd,\n",
		"cmd:sqlite3 {mnt}/db.sqlite < q.sql \"\"x,y\"\"");
	row_put(f, "2,\"%s\",live,arc,100,1000,none,1,ok,3.6,,500,41,1200,"
		"240,0.2,140,11,,1200,960,240,,cmd,\n",
		"cmd:sqlite3 {mnt}/db.sqlite < q.sql \"\"x,y\"\"");
	assert_int_equal(fclose(f), 0);
	file_put(dir, "series/w1-lru-100-1000-1.csv",
		 "t_s,reads,frame_misses,evictions,writebacks\n"
		 "0.000,0,0,0,0\n0.100,400,300,200,0\n0.200,900,700,600,0\n"
		 "0.300,1300,1000,900,0\n0.400,1700,1300,1200,0\n"
		 "0.500,2500,2000,1900,0\n");
	file_put(dir, "curves/w1-opt.csv",
		 "trace,references,distinct_pages,writes,policy,frames,"
		 "requests,misses,miss_ratio,evictions,dirty_evictions,"
		 "seconds\n"
		 "t,4000,400,0,opt,50,4000,2400,0.6,2350,0,0.01\n"
		 "t,4000,400,0,opt,100,4000,1500,0.375,1400,0,0.01\n"
		 "t,4000,400,0,opt,150,4000,1150,0.2875,1000,0,0.01\n"
		 "t,4000,400,0,opt,200,4000,900,0.225,700,0,0.01\n"
		 "t,4000,400,0,opt,300,4000,600,0.15,300,0,0.01\n");
	file_put(dir, "command.txt",
		 "compare --workload \"" W1 "\" --policy lru,arc "
		 "--frames 100,200 --refscan 0,1000 --repeat 3 --sim\n");
}

static int teardown_dir(void **state)
{
	char *dir = *state;

	if (dir && getenv("TEST_REPORT_KEEP"))
		print_message("kept %s\n", dir);
	else if (dir)
		dir_remove(dir);
	free(dir);
	return 0;
}

/* A fresh fixture in *state, and report_write() run on it once. */
static char *fixture_run(void **state, int *rc, char *why, size_t whylen)
{
	char *dir = malloc(256);

	assert_non_null(dir);
	*state = dir;
	fixture_make(dir, 256);
	*rc = report_write(dir, why, whylen);
	return dir;
}

/* The table line of summary.md that starts with PREFIX, split at " | "
 * into CELL[0..n) (the prefix's cells included).  Returns n. */
static size_t md_row(const char *md, const char *prefix, char cell[][96],
		     size_t max)
{
	const char *s = strstr(md, prefix), *e;
	size_t n = 0;

	if (!s)
		fail_msg("summary.md has no line starting '%s'", prefix);
	assert_true(s == md || s[-1] == '\n');
	s += 2;
	e = strchr(s, '\n');
	while (s < e && n < max) {
		const char *bar = strstr(s, " |");
		size_t len = (size_t)(bar - s);

		assert_true(len < 96);
		memcpy(cell[n], s, len);
		cell[n++][len] = '\0';
		s = bar + 3;
	}
	return n;
}

/* Medians and ranges, worked out by hand from w1[]:
 *   lru 100 1000  majflt 2000 2100 1900 -> 2000 (1900–2100); ratio /4000
 *                 0.5000 (0.4750–0.5250); hits 510 (500–520); elapsed
 *                 1.800 (1.700–1.900); evictions majflt-100 1900
 *                 (1800–2000); sim lru at 100: 0.5750, 2300; seen lru
 *                 0.7960, 1990; seen opt 0.5600
 *   lru 200 1000  two repeats (the third failed): majflt 1300 1280 ->
 *                 1290 (1280–1300), ratio 0.3225 (0.3200–0.3250),
 *                 hits 310 (300–320), elapsed 1.250 (1.200–1.300)
 *   arc 100 0     elapsed 1.55 1.45 1.5 -> 1.500 (1.450–1.550) */
static void test_report_medians(void **state)
{
	char why[512], cell[16][96], *md;
	int rc;
	char *dir = fixture_run(state, &rc, why, sizeof(why));

	assert_true(rc == 0 || (rc == -ENOENT && !plot_available()));
	md = file_get(dir, "summary.md", NULL);
	assert_non_null(md);
	assert_int_equal(md_row(md, "| lru | 100 | 1000 | none |", cell, 16),
			 15);
	assert_string_equal(cell[4], "0.5000 (0.4750–0.5250)");
	assert_string_equal(cell[5], "2000 (1900–2100)");
	assert_string_equal(cell[6], "510 (500–520)");
	assert_string_equal(cell[7], "1900 (1800–2000)");
	assert_string_equal(cell[8], "0");
	assert_string_equal(cell[9], "1.800 (1.700–1.900)");
	assert_string_equal(cell[10], "0.5750");
	assert_string_equal(cell[11], "2300");
	assert_string_equal(cell[12], "0.7960");
	assert_string_equal(cell[13], "1990");
	assert_string_equal(cell[14], "0.5600");
	/* arc's seen rows are its own, OPT on arc's trace too. */
	md_row(md, "| arc | 100 | 1000 | none |", cell, 16);
	assert_string_equal(cell[12], "**0.7600**");	/* below lru's */
	assert_string_equal(cell[14], "0.5200");
	md_row(md, "| lru | 200 | 1000 | none |", cell, 16);
	assert_string_equal(cell[4], "0.3225 (0.3200–0.3250)");
	assert_string_equal(cell[5], "1290 (1280–1300)");
	assert_string_equal(cell[6], "310 (300–320)");
	assert_string_equal(cell[9], "1.250 (1.200–1.300)");
	assert_string_equal(cell[12], "");	/* no seen rows there */
	md_row(md, "| arc | 100 | 0 | none |", cell, 16);
	assert_string_equal(cell[9], "**1.500 (1.450–1.550)**");	/* best */
	/* OPT per frames from the sim rows, the kernel as a row. */
	md_row(md, "| OPT (bound) | 100 |", cell, 16);
	assert_string_equal(cell[4], "");
	assert_string_equal(cell[10], "0.3750");
	assert_string_equal(cell[11], "1500");
	md_row(md, "| kernel | 200 |", cell, 16);
	assert_string_equal(cell[4], "0.3250");
	assert_string_equal(cell[5], "1300");
	assert_non_null(strstr(md, "kernel at 100 frames held 98.5 pages"));
	/* The header: counts, the command. */
	assert_non_null(strstr(md, "40 rows over 2 workloads: 12 live cells "
				   "(28 runs, up to 3 repeats), 6 sim, 4 "
				   "seen, 2 kernel; 1 failed."));
	assert_non_null(strstr(md, "compare --workload \"zipf:0.9"));
	/* w2, a cmd: workload: its text in a code span, no sim columns. */
	assert_non_null(strstr(md, "## w2: ` cmd:sqlite3 {mnt}/db.sqlite < "
				   "q.sql \"x,y\" `"));
	assert_int_equal(md_row(strstr(md, "## w2"),
				"| arc | 100 | 1000 | none |", cell, 16), 10);
	assert_string_equal(cell[5], "41");
	free(md);
}

/* The lowest median per column among the live cells of one frames is
 * bold, and only that (a column of equal values has no mark; frame hits
 * are never marked): at 100 frames majflt arc/1000 (1820), miss ratio,
 * the refscan-0 cells (all 0, a tie), elapsed arc/0 (1.500) — lru/0 has
 * 1.500 as well (1.5 1.6 1.4), a tie; at 200 frames majflt arc/1000
 * (1260), elapsed arc/0 (1.050). */
static void test_report_best_marked(void **state)
{
	char why[512], cell[16][96], *md;
	int rc;
	char *dir = fixture_run(state, &rc, why, sizeof(why));

	md = file_get(dir, "summary.md", NULL);
	assert_non_null(md);
	md_row(md, "| arc | 100 | 1000 | none |", cell, 16);
	assert_string_equal(cell[5], "**1820 (1800–1850)**");
	assert_string_equal(cell[4], "**0.4550 (0.4500–0.4625)**");
	assert_string_equal(cell[9], "2.100 (2.000–2.200)");
	md_row(md, "| lru | 100 | 1000 | none |", cell, 16);
	assert_string_equal(cell[5], "2000 (1900–2100)");
	assert_string_equal(cell[6], "510 (500–520)");
	md_row(md, "| lru | 100 | 0 | none |", cell, 16);
	assert_string_equal(cell[6], "0");	/* frame hits: never marked */
	assert_string_equal(cell[9], "**1.500 (1.400–1.600)**");
	md_row(md, "| arc | 100 | 0 | none |", cell, 16);
	assert_string_equal(cell[6], "0");
	assert_string_equal(cell[9], "**1.500 (1.450–1.550)**");
	md_row(md, "| arc | 200 | 1000 | none |", cell, 16);
	assert_string_equal(cell[5], "**1260 (1250–1270)**");
	md_row(md, "| lru | 200 | 1000 | none |", cell, 16);
	assert_string_equal(cell[5], "1290 (1280–1300)");
	md_row(md, "| lru | 200 | 0 | none |", cell, 16);
	assert_string_equal(cell[9], "1.100 (1.000–1.200)");
	md_row(md, "| arc | 200 | 0 | none |", cell, 16);
	assert_string_equal(cell[9], "**1.050 (1.000–1.100)**");
	/* Not the bound, not the kernel. */
	md_row(md, "| OPT (bound) | 100 |", cell, 16);
	assert_string_equal(cell[10], "0.3750");
	md_row(md, "| kernel | 100 |", cell, 16);
	assert_string_equal(cell[4], "0.5750");
	free(md);
}

/* The failed repeat is listed under w1's table, with its why; in the page
 * escaped. */
static void test_report_failed_listed(void **state)
{
	char why[512], *md, *html;
	int rc;
	char *dir = fixture_run(state, &rc, why, sizeof(why));

	md = file_get(dir, "summary.md", NULL);
	html = file_get(dir, "report.html", NULL);
	assert_non_null(md);
	assert_non_null(html);
	assert_non_null(strstr(md, "Failed cells:\n\n- live lru, 200 frames, "
				   "refscan 1000, latency none, repeat 3 "
				   "(results.csv line 23): "));
	assert_non_null(strstr(md, "error: workload: exit status 1, "
				   "\"mmload\" said \\<oops\\>\n"));
	assert_true(strstr(md, "Failed cells") < strstr(md, "## w2"));
	assert_non_null(strstr(html, "error: workload: exit status 1, "
				     "&quot;mmload&quot; said &lt;oops&gt;"));
	assert_null(strstr(html, "<oops>"));
	assert_non_null(strstr(html, "&lt; q.sql &quot;x,y&quot;"));
	free(md);
	free(html);
}

static void png_check(const char *dir, const char *name)
{
	static const unsigned char magic[8] = { 0x89, 'P', 'N', 'G', '\r',
						'\n', 0x1a, '\n' };
	size_t len;
	char *png = file_get(dir, name, &len);

	if (!png)
		fail_msg("%s: not written", name);
	assert_true(len > 8000);
	assert_memory_equal(png, magic, sizeof(magic));
	free(png);
}

/* The pictures the data make, and none of those they do not: w1 varies
 * frames and refscan (one latency) and has a series; w2 varies refscan
 * only. */
static void test_report_pictures(void **state)
{
	char why[512];
	int rc;
	char *dir;

	if (!plot_available()) {
		print_message("gnuplot not installed: no pictures to check\n");
		skip();
	}
	dir = fixture_run(state, &rc, why, sizeof(why));
	if (rc != 0)
		fail_msg("report_write: %d: %s", rc, why);
	png_check(dir, "w1-miss-frames.png");
	png_check(dir, "w1-faults-refscan.png");
	png_check(dir, "w1-faults-time.png");
	png_check(dir, "w2-faults-refscan.png");
	assert_false(file_exists(dir, "w1-elapsed-latency.png"));
	assert_false(file_exists(dir, "w2-miss-frames.png"));
	assert_false(file_exists(dir, "w2-faults-time.png"));
	assert_true(file_exists(dir, "plots/w1-miss-frames.dat"));
	assert_true(file_exists(dir, "plots/w1-miss-frames.gp"));
}

/* report.html parses (tests/check_html.py), its links are relative and
 * name files that exist, and it holds every picture as a data: URI. */
static void test_report_html(void **state)
{
	const char *check = getenv("CHECK_HTML");
	char why[512], cmd[1024], line[1024], *html;
	unsigned data = 0, links = 0;
	int rc;
	char *dir;
	FILE *p;

	if (!check || system("python3 -c '' 2>/dev/null") != 0) {
		print_message("no python3 or $CHECK_HTML: the page is not "
			      "checked\n");
		skip();
	}
	dir = fixture_run(state, &rc, why, sizeof(why));
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s/report.html'", check,
		 dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "data:", 5)) {
			assert_string_equal(line, "data:image/png");
			data++;
			continue;
		}
		assert_true(line[0] != '/' && !strstr(line, "://"));
		if (!file_exists(dir, line))
			fail_msg("report.html links to %s, not in %s", line,
				 dir);
		links++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(links, 2);
	assert_int_equal(data, plot_available() ? 4 : 0);
	html = file_get(dir, "report.html", NULL);
	assert_non_null(html);
	assert_non_null(strstr(html, "<td class=\"num best\"><b>1820 "
				     "(1800–1850)</b></td>"));
	free(html);
}

/* A malformed results.csv: a negative return naming the line. */
static void malformed(const char *csv, const char *expect)
{
	char dir[256], why[512] = "";
	int rc;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "test_report"), 0);
	file_put(dir, "results.csv", csv);
	rc = report_write(dir, why, sizeof(why));
	assert_int_equal(rc, -EINVAL);
	if (!strstr(why, expect))
		fail_msg("why '%s' does not say '%s'", why, expect);
	assert_false(file_exists(dir, "summary.md"));
	dir_remove(dir);
}

static void test_report_malformed(void **state)
{
	(void)state;
	malformed(HEADER "1,w,live,lru,100,0,none,1,ok,1,4000,1,2,3,4,0.1,"
		  "5,6,,7,8,9,,cmd,\n"
		  "1,w,live,lru,100,0,none,2,ok,1,4000,1,2,3,4,0.1,5,6,,7,8,"
		  "9,,cmd,\n"
		  "1,\"w,live,lru,100,0,none,3,ok,1,4000,1,2,3,4,0.1,5,6,,7,"
		  "8,9,,cmd,\n",
		  "results.csv: line 4: unterminated quoted field");
	malformed(HEADER "1,w,live,lru,100,0,none,1,ok,1,4000,1,2,3,4,0.1,"
		  "5,6,,7,8,9,,cmd,\n"
		  "1,w,live,lru,100,0,none,2,ok,1,4000,1,abc,3,4,0.1,5,6,,7,"
		  "8,9,,cmd,\n",
		  "results.csv: line 3: majflt: 'abc' is not a number");
	malformed(HEADER "1,\"a\nb\",live,lru,100,0,none,1,ok,1,4000,1,2,3,"
		  "4,0.1,5,6,,7,8,9,,cmd,\n"
		  "1,w,live,lru,100\n",
		  "results.csv: line 4: 5 fields, the header has 25");
	malformed("wl,workload,policy\n1,w,lru\n",
		  "results.csv: line 1: no column 'kind'");
	malformed(HEADER "x,w,live,lru,100,0,none,1,ok,,,,,,,,,,,,,,,,\n",
		  "results.csv: line 2: wl: 'x' is not a workload number");
	malformed(HEADER "1,\"w\"x,live,lru,100,0,none,1,ok,,,,,,,,,,,,,,,,\n",
		  "results.csv: line 2: text after a closing quote");
}

/* No results.csv: the errno, and the path in why. */
static void test_report_missing_csv(void **state)
{
	char dir[256], why[512] = "";

	(void)state;
	assert_int_equal(tmpdir_make(dir, sizeof(dir), "test_report"), 0);
	assert_int_equal(report_write(dir, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "results.csv: No such file"));
	dir_remove(dir);
}

/* Twice over the same directory: the same pages, the same pictures. */
static void test_report_idempotent(void **state)
{
	char why[512], *md1, *md2, *h1, *h2;
	size_t n1, n2, hn1, hn2;
	int rc;
	char *dir = fixture_run(state, &rc, why, sizeof(why));

	md1 = file_get(dir, "summary.md", &n1);
	h1 = file_get(dir, "report.html", &hn1);
	assert_int_equal(report_write(dir, why, sizeof(why)), rc);
	md2 = file_get(dir, "summary.md", &n2);
	h2 = file_get(dir, "report.html", &hn2);
	assert_non_null(md1);
	assert_non_null(md2);
	assert_int_equal(n1, n2);
	assert_memory_equal(md1, md2, n1);
	assert_int_equal(hn1, hn2);
	assert_memory_equal(h1, h2, hn1);
	assert_false(file_exists(dir, ".summary.md.tmp"));
	assert_false(file_exists(dir, ".report.html.tmp"));
	free(md1);
	free(md2);
	free(h1);
	free(h2);
}

/* No gnuplot on PATH: both pages all the same, saying why, -ENOENT with
 * the install hint, and the pictures of an earlier call are gone. */
static void test_report_no_gnuplot(void **state)
{
	char why[512], empty[300], *md, *html, *path;
	int rc;
	char *dir = fixture_run(state, &rc, why, sizeof(why));

	path = strdup(getenv("PATH") ? getenv("PATH") : "");
	assert_non_null(path);
	snprintf(empty, sizeof(empty), "%s/nobin", dir);
	assert_int_equal(mkdir(empty, 0777), 0);
	setenv("PATH", empty, 1);
	rc = report_write(dir, why, sizeof(why));
	setenv("PATH", path, 1);
	free(path);
	assert_int_equal(rc, -ENOENT);
	assert_string_equal(why, "gnuplot: not found (apt-get install "
				 "gnuplot-nox)");
	md = file_get(dir, "summary.md", NULL);
	html = file_get(dir, "report.html", NULL);
	assert_non_null(md);
	assert_non_null(html);
	assert_non_null(strstr(md, "No pictures: gnuplot: not found"));
	assert_non_null(strstr(html, "No pictures: gnuplot: not found"));
	assert_null(strstr(html, "data:image/png"));
	assert_null(strstr(md, ".png)"));
	assert_false(file_exists(dir, "w1-miss-frames.png"));
	assert_false(file_exists(dir, "w2-faults-refscan.png"));
	free(md);
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_report_medians, teardown_dir),
		cmocka_unit_test_teardown(test_report_best_marked,
					  teardown_dir),
		cmocka_unit_test_teardown(test_report_failed_listed,
					  teardown_dir),
		cmocka_unit_test_teardown(test_report_pictures, teardown_dir),
		cmocka_unit_test_teardown(test_report_html, teardown_dir),
		cmocka_unit_test(test_report_malformed),
		cmocka_unit_test(test_report_missing_csv),
		cmocka_unit_test_teardown(test_report_idempotent,
					  teardown_dir),
		cmocka_unit_test_teardown(test_report_no_gnuplot,
					  teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
