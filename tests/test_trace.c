/* test_trace.c - the trace reader and writer: round trips (plain and .zst),
 * each input format from small files written here, byte ranges spread into
 * pages across page boundaries, format guessing, and bad input (the line
 * number in the message, truncated records and streams, write errors).
 *
 * Fixtures are written into a fresh directory under $TMPDIR (or /tmp),
 * removed with everything in it when the group ends. */
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
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "trace.h"

#define MAXREFS 64

static char dir[256];

static int group_setup(void **s)
{
	(void)s;
	return tmpdir_make(dir, sizeof(dir), "test_trace");
}

static int group_teardown(void **s)
{
	(void)s;
	return tmpdir_remove(dir);
}

/* The path of name in the test directory (static: one at a time). */
static const char *tpath(const char *name)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void put_bytes(const char *name, const void *p, size_t n)
{
	int fd = open(tpath(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void put_text(const char *name, const char *text)
{
	put_bytes(name, text, strlen(text));
}

/* Writes p compressed with zstd (one frame). */
static void put_zst(const char *name, const void *p, size_t n)
{
	size_t cap = ZSTD_compressBound(n), len;
	void *z = malloc(cap);

	assert_non_null(z);
	len = ZSTD_compress(z, cap, p, n, 3);
	assert_false(ZSTD_isError(len));
	put_bytes(name, z, len);
	free(z);
}

/* Reads the whole trace: the count of references, or the error code with
 * the message in msg. */
static int read_all(const char *name, const char *format,
		    struct trace_ref *refs, int max, char *msg, size_t msglen)
{
	struct trace_reader *r;
	struct trace_ref ref;
	int n = 0, rc;

	msg[0] = '\0';
	rc = trace_reader_open(tpath(name), format, &r, msg, msglen);
	if (rc < 0)
		return rc;
	while ((rc = trace_read(r, &ref)) == 1) {
		assert_true(n < max);
		refs[n++] = ref;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "%s", trace_reader_error(r));
		/* Errors stick. */
		assert_int_equal(trace_read(r, &ref), rc);
	}
	trace_reader_close(r);
	return rc < 0 ? rc : n;
}

static void check_ref(const struct trace_ref *r, uint64_t t, uint64_t file,
		      uint64_t pgno, bool write, char result)
{
	assert_int_equal(r->time_us, t);
	assert_int_equal(r->file, file);
	assert_int_equal(r->pgno, pgno);
	assert_int_equal(r->write, write);
	assert_int_equal(r->result, result);
}

/* ---- writer -> reader ------------------------------------------------- */

static const struct trace_ref sample[] = {
	{ 0, 0, 0, false, 0 },
	{ 17, 3, 12, true, 'h' },
	{ 18, 3, 13, false, 'm' },
	{ UINT64_MAX, UINT64_MAX, UINT64_MAX, true, 0 },
	{ 1000000, 42, 4096, false, 'h' },
};
#define NSAMPLE ((int)(sizeof(sample) / sizeof(sample[0])))

static void roundtrip(const char *name)
{
	struct trace_ref got[MAXREFS];
	struct trace_writer *w;
	char msg[600];

	assert_int_equal(trace_writer_open(tpath(name), "source=test seed=1",
					   &w), 0);
	for (int i = 0; i < NSAMPLE; i++)
		assert_int_equal(trace_write(w, &sample[i]), 0);
	assert_int_equal(trace_writer_close(w), 0);
	assert_int_equal(read_all(name, "framefs", got, MAXREFS, msg,
				  sizeof(msg)), NSAMPLE);
	for (int i = 0; i < NSAMPLE; i++)
		check_ref(&got[i], sample[i].time_us, sample[i].file,
			  sample[i].pgno, sample[i].write, sample[i].result);
	/* "auto" knows it by its header. */
	assert_int_equal(read_all(name, "auto", got, MAXREFS, msg,
				  sizeof(msg)), NSAMPLE);
}

static void test_trace_roundtrip_plain(void **s)
{
	char text[256];
	FILE *f;

	(void)s;
	roundtrip("rt.txt");
	f = fopen(tpath("rt.txt"), "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	assert_string_equal(text, "# framefs trace v1 source=test seed=1\n");
	assert_non_null(fgets(text, sizeof(text), f));
	assert_string_equal(text, "0 0 0 r\n");
	assert_non_null(fgets(text, sizeof(text), f));
	assert_string_equal(text, "17 3 12 w h\n");
	fclose(f);
}

static void test_trace_roundtrip_zst(void **s)
{
	unsigned char magic[4];
	FILE *f;

	(void)s;
	roundtrip("rt.txt.zst");
	f = fopen(tpath("rt.txt.zst"), "rb");
	assert_non_null(f);
	assert_int_equal(fread(magic, 1, 4, f), 4);
	fclose(f);
	/* A zstd frame (RFC 8878), not text. */
	assert_int_equal(magic[0], 0x28);
	assert_int_equal(magic[1], 0xb5);
	assert_int_equal(magic[2], 0x2f);
	assert_int_equal(magic[3], 0xfd);
}

/* Enough references to cross the writer's and the reader's buffers many
 * times, plain and compressed; progress reaches the file size. */
static void test_trace_roundtrip_large(void **s)
{
	const char *names[] = { "big.txt", "big.txt.zst" };
	const uint64_t n = 300000;

	(void)s;
	for (int k = 0; k < 2; k++) {
		struct trace_reader *r;
		struct trace_writer *w;
		struct trace_ref ref;
		uint64_t i = 0, done, total;
		struct stat st;
		char msg[600];
		int rc;

		assert_int_equal(trace_writer_open(tpath(names[k]), NULL, &w),
				 0);
		for (i = 0; i < n; i++) {
			ref = (struct trace_ref){ i * 3, i % 7, i * 2654435761u,
						  i % 5 == 0, "\0hm"[i % 3] };
			assert_int_equal(trace_write(w, &ref), 0);
		}
		assert_int_equal(trace_writer_close(w), 0);
		assert_int_equal(trace_reader_open(tpath(names[k]), "auto", &r,
						   msg, sizeof(msg)), 0);
		for (i = 0; (rc = trace_read(r, &ref)) == 1; i++)
			check_ref(&ref, i * 3, i % 7, i * 2654435761u,
				  i % 5 == 0, "\0hm"[i % 3]);
		assert_int_equal(rc, 0);
		assert_int_equal(i, n);
		trace_reader_progress(r, &done, &total);
		assert_int_equal(stat(tpath(names[k]), &st), 0);
		assert_int_equal(total, st.st_size);
		assert_int_equal(done, st.st_size);
		trace_reader_close(r);
	}
}

/* ---- the framefs text format ------------------------------------------ */

static void test_trace_framefs_text(void **s)
{
	/* Comments, blank lines, tabs and runs of blanks, CRLF, an old
	 * daemon header ("v1:"), no newline at the end. */
	static const char text[] =
		"# framefs trace v1: time_us id pgno r|w h|m (page_size 4096)\n"
		"# a comment\n"
		"\n"
		"5 1 2 r\n"
		"6\t1  3 w   m\r\n"
		"   \n"
		"7 0 18446744073709551615 r h";
	struct trace_ref got[MAXREFS];
	char msg[600];

	(void)s;
	put_text("ff.trace", text);
	for (int k = 0; k < 3; k++) {
		const char *fmt[] = { "framefs", "mmload", "auto" };

		assert_int_equal(read_all("ff.trace", fmt[k], got, MAXREFS,
					  msg, sizeof(msg)), 3);
		check_ref(&got[0], 5, 1, 2, false, 0);
		check_ref(&got[1], 6, 1, 3, true, 'm');
		check_ref(&got[2], 7, 0, UINT64_MAX, false, 'h');
	}
	/* The same bytes compressed. */
	put_zst("ff.trace.zst", text, strlen(text));
	assert_int_equal(read_all("ff.trace.zst", "auto", got, MAXREFS, msg,
				  sizeof(msg)), 3);
	check_ref(&got[2], 7, 0, UINT64_MAX, false, 'h');
	/* "-" is standard input; the format is guessed from the bytes. */
	{
		int saved = dup(0), fd = open(tpath("ff.trace"), O_RDONLY);
		struct trace_reader *r;
		struct trace_ref ref;
		int n = 0, rc;

		assert_true(saved >= 0 && fd >= 0);
		assert_int_equal(dup2(fd, 0), 0);
		close(fd);
		assert_int_equal(trace_reader_open("-", "auto", &r, msg,
						   sizeof(msg)), 0);
		while ((rc = trace_read(r, &ref)) == 1)
			n++;
		trace_reader_close(r);
		assert_int_equal(dup2(saved, 0), 0);
		close(saved);
		assert_int_equal(rc, 0);
		assert_int_equal(n, 3);
	}
	/* Empty: no references, no error, when the format is named. */
	put_text("empty", "");
	assert_int_equal(read_all("empty", "framefs", got, MAXREFS, msg,
				  sizeof(msg)), 0);
}

/* ---- MSR Cambridge ---------------------------------------------------- */

static void test_trace_msr_spread(void **s)
{
	/* Times in 100 ns units from the first record; byte ranges:
	 *   8192 + 4096   -> page 2 only (ends at 12287)
	 *   4000 + 200    -> bytes 4000..4199: pages 0 and 1
	 *   12288 + 8193  -> bytes 12288..20480: pages 3, 4, 5 (20480 is
	 *                    the first byte of page 5)
	 *   4096 + 0      -> page 1 (a zero-length request touches one)
	 *   0 + 4096      -> page 0 only, disk 1 */
	static const char text[] =
		"128166372003061629,hm,0,Read,8192,4096,1000\n"
		"128166372003071629,hm,0,Write,4000,200,500\n"
		"128166372003081639,hm,0,Read,12288,8193,100\n"
		"128166372003081649,hm,0,Read,4096,0,1\n"
		"128166372013061629,hm,1,Write,0,4096,7\n";
	struct trace_ref got[MAXREFS];
	uint64_t f0, f1;
	char msg[600];

	(void)s;
	put_text("hm_0.csv", text);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(read_all("hm_0.csv", k ? "auto" : "msr", got,
					  MAXREFS, msg, sizeof(msg)), 8);
		f0 = got[0].file;
		f1 = got[7].file;
		/* The disk number in the low 32 bits, the host's hash in the
		 * high ones. */
		assert_int_equal(f0 & 0xffffffffu, 0);
		assert_int_equal(f1 & 0xffffffffu, 1);
		assert_int_equal(f0 >> 32, f1 >> 32);
		assert_true(f0 >> 32 != 0);
		check_ref(&got[0], 0, f0, 2, false, 0);
		check_ref(&got[1], 1000, f0, 0, true, 0);
		check_ref(&got[2], 1000, f0, 1, true, 0);
		check_ref(&got[3], 2001, f0, 3, false, 0);
		check_ref(&got[4], 2001, f0, 4, false, 0);
		check_ref(&got[5], 2001, f0, 5, false, 0);
		check_ref(&got[6], 2002, f0, 1, false, 0);
		check_ref(&got[7], 1000000, f1, 0, true, 0);
	}
	/* Another host, same disk: another file. */
	put_text("prn_0.csv", "128166372003061629,prn,0,Read,0,1,1\n");
	assert_int_equal(read_all("prn_0.csv", "msr", got, MAXREFS, msg,
				  sizeof(msg)), 1);
	assert_true(got[0].file != f0);
	assert_int_equal(got[0].file & 0xffffffffu, 0);
}

/* ---- libCacheSim oracleGeneral ---------------------------------------- */

static size_t oracle_record(unsigned char *p, uint32_t t, uint64_t id,
			    uint32_t size, int64_t next)
{
	/* Little-endian, packed, whatever the host. */
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(t >> (8 * i));
	for (int i = 0; i < 8; i++)
		p[4 + i] = (unsigned char)(id >> (8 * i));
	for (int i = 0; i < 4; i++)
		p[12 + i] = (unsigned char)(size >> (8 * i));
	for (int i = 0; i < 8; i++)
		p[16 + i] = (unsigned char)((uint64_t)next >> (8 * i));
	return 24;
}

static void test_trace_oracle(void **s)
{
	unsigned char b[5 * 24];
	struct trace_ref got[MAXREFS];
	size_t n = 0;
	char msg[600];

	(void)s;
	n += oracle_record(b + n, 5, 42, 100, -1);
	n += oracle_record(b + n, 6, 7, 0, 3);		/* size 0: skipped */
	n += oracle_record(b + n, 7, UINT64_MAX - 1, 1, 1);
	n += oracle_record(b + n, UINT32_MAX, 42, 4096, -1);
	put_bytes("w.oracleGeneral.sample", b, n);
	put_bytes("w.bin", b, n);
	put_zst("w.oracleGeneral.zst", b, n);
	put_bytes("w.dat", b, n);
	for (int k = 0; k < 4; k++) {
		const char *name[] = { "w.oracleGeneral.sample", "w.bin",
				       "w.oracleGeneral.zst", "w.dat" };

		assert_int_equal(read_all(name[k], k == 3 ? "oraclegeneral" :
					  "auto", got, MAXREFS, msg,
					  sizeof(msg)), 3);
		check_ref(&got[0], 5000000, 0, 42, false, 0);
		check_ref(&got[1], 7000000, 0, UINT64_MAX - 1, false, 0);
		check_ref(&got[2], (uint64_t)UINT32_MAX * 1000000, 0, 42,
			  false, 0);
	}
	/* A record cut short at the end: the whole ones, then the error. */
	put_bytes("cut.bin", b, 24 + 10);
	assert_int_equal(read_all("cut.bin", "auto", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "cut.bin: record 2: truncated"));
	assert_non_null(strstr(msg, "10 of 24"));
}

/* ---- csv:COLS --------------------------------------------------------- */

static void test_trace_csv_columns(void **s)
{
	struct trace_ref got[MAXREFS];
	char msg[600];

	(void)s;
	/* Page numbers only: reads of file 0 at time 0. */
	put_text("p.csv", "5\n6\n# comment\n7\n");
	assert_int_equal(read_all("p.csv", "csv:page", got, MAXREFS, msg,
				  sizeof(msg)), 3);
	check_ref(&got[0], 0, 0, 5, false, 0);
	check_ref(&got[2], 0, 0, 7, false, 0);

	/* A header (skipped), offsets spread into pages, op spellings,
	 * numeric and text object ids, times from the first record. */
	put_text("full.csv",
		 "time,obj,offset,size,op\n"
		 "100,7,4096,8192,W\n"		/* pages 1, 2 */
		 "150, abc ,0,1,read\n"		/* page 0 */
		 "175,abc,8191,2,r\n"		/* bytes 8191..8192: 1, 2 */
		 "180,abd,0,0,Write\n");	/* page 0 */
	assert_int_equal(read_all("full.csv", "csv:time,obj,off,size,op", got,
				  MAXREFS, msg, sizeof(msg)), 6);
	check_ref(&got[0], 0, 7, 1, true, 0);
	check_ref(&got[1], 0, 7, 2, true, 0);
	check_ref(&got[2], 50, got[2].file, 0, false, 0);
	check_ref(&got[3], 75, got[2].file, 1, false, 0);
	check_ref(&got[4], 75, got[2].file, 2, false, 0);
	check_ref(&got[5], 80, got[5].file, 0, true, 0);
	assert_true(got[2].file != 7 && got[2].file != got[5].file);

	/* Skipped columns, columns past the named ones ignored when COLS
	 * ends in "...", times in seconds with fractions, "pgno" and
	 * "file" aliases. */
	put_text("skip.csv", "x,1.5,3,9,extra,more\ny,2.25,4,9,extra,more\n");
	assert_int_equal(read_all("skip.csv", "csv:-,time_s,pgno,file,...",
				  got, MAXREFS, msg, sizeof(msg)), 2);
	check_ref(&got[0], 0, 9, 3, false, 0);
	check_ref(&got[1], 750000, 9, 4, false, 0);

	/* An offset without a size: the page holding it. */
	put_text("off.csv", "8191\n8192\n");
	assert_int_equal(read_all("off.csv", "csv:off", got, MAXREFS, msg,
				  sizeof(msg)), 2);
	check_ref(&got[0], 0, 0, 1, false, 0);
	check_ref(&got[1], 0, 0, 2, false, 0);

	/* Bad column lists. */
	assert_int_equal(read_all("p.csv", "csv:page,colour", got, MAXREFS,
				  msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "unknown column 'colour'"));
	assert_int_equal(read_all("p.csv", "csv:page,off", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "exactly one"));
	assert_int_equal(read_all("p.csv", "csv:page,size", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_int_equal(read_all("p.csv", "csv:page,page", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_int_equal(read_all("p.csv", "csv:", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_int_equal(read_all("p.csv", "csv:...,page", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "must come last"));

	/* Too few fields, a bad op, on lines 2 and 3 (line 1 is data: its
	 * page starts with a digit). */
	put_text("bad.csv", "1,r\n2\n");
	assert_int_equal(read_all("bad.csv", "csv:page,op", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "bad.csv:2: 1 fields, expected 2"));
	put_text("bad2.csv", "1,r\n2,w\n3,x\n");
	assert_int_equal(read_all("bad2.csv", "csv:page,op", got, MAXREFS,
				  msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "bad2.csv:3: op"));
}

/* What the CSV reader refused only partly: a field more than COLS names
 * (without "..."), a negative object id (it was hashed as a name), an id
 * beyond 64 bits (the same); each with its line. */
static void test_trace_csv_refuses(void **s)
{
	struct trace_ref got[MAXREFS];
	char msg[600];

	(void)s;
	put_text("extra.csv", "1\n2\n12,345\n");
	assert_int_equal(read_all("extra.csv", "csv:page", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "extra.csv:3: more than the 1 fields COLS "
			       "names (end COLS with ',...' to ignore the "
			       "rest): '12,345'"));
	assert_int_equal(read_all("extra.csv", "csv:page,...", got, MAXREFS,
				  msg, sizeof(msg)), 3);
	check_ref(&got[2], 0, 0, 12, false, 0);
	put_text("neg.csv", "5,1\n-5,2\n");
	assert_int_equal(read_all("neg.csv", "csv:obj,page", got, MAXREFS,
				  msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "neg.csv:2: obj: a negative number: "
			       "'-5,2'"));
	put_text("big.csv", "18446744073709551615,1\n"
		 "18446744073709551616,2\n");
	assert_int_equal(read_all("big.csv", "csv:obj,page", got, MAXREFS,
				  msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "big.csv:2: obj: a number beyond 2^64 - "
			       "1"));
	/* Names are still names: hashed, "-" and "-x" included. */
	put_text("names.csv", "abc,1\n-,2\n-x,3\n12ab,4\n");
	assert_int_equal(read_all("names.csv", "csv:obj,page", got, MAXREFS,
				  msg, sizeof(msg)), 4);
	/* A page beyond 64 bits, a negative one. */
	put_text("pg.csv", "1\n18446744073709551616\n");
	assert_int_equal(read_all("pg.csv", "csv:page", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "pg.csv:2: page"));
	put_text("pg.csv", "1\n-1\n");
	assert_int_equal(read_all("pg.csv", "csv:page", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "pg.csv:2: page"));
	/* MSR: an extra field, a garbage ResponseTime. */
	put_text("m.csv", "1,h,0,Read,0,1,1\n1,h,0,Read,0,1,1,9\n");
	assert_int_equal(read_all("m.csv", "msr", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "m.csv:2: expected 7 fields"));
	put_text("m.csv", "1,h,0,Read,0,1,1\n1,h,0,Read,0,1,soon\n");
	assert_int_equal(read_all("m.csv", "msr", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "m.csv:2: ResponseTime: not a number"));
}

/* A byte range larger than the reader's limit is an error at its line,
 * before any of its pages is handed out: 1 GiB by default, or what the
 * caller sets (framesim's --max-record). */
static void test_trace_max_record(void **s)
{
	struct trace_ref got[MAXREFS];
	struct trace_reader *r;
	struct trace_ref ref;
	char msg[600];

	(void)s;
	put_text("huge.csv", "0,4096\n0,1073741825\n");
	assert_int_equal(read_all("huge.csv", "csv:off,size", got, MAXREFS,
				  msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "huge.csv:2: record of 1073741825 bytes "
			       "is larger than the limit of 1073741824 "
			       "bytes: '0,1073741825'"));
	put_text("max.csv", "0,8192\n0,8193\n");
	assert_int_equal(trace_reader_open(tpath("max.csv"), "csv:off,size",
					   &r, msg, sizeof(msg)), 0);
	trace_reader_set_max_record(r, 8192, "--max-record 8K");
	assert_int_equal(trace_read(r, &ref), 1);
	assert_int_equal(trace_read(r, &ref), 1);
	assert_int_equal(ref.pgno, 1);
	assert_int_equal(trace_read(r, &ref), -EINVAL);
	assert_non_null(strstr(trace_reader_error(r), "max.csv:2: record of "
			       "8193 bytes is larger than --max-record 8K"));
	trace_reader_close(r);
}

/* Compressed input is recognised by its first bytes, whatever its name
 * (standard input has none). */
static void test_trace_zstd_magic(void **s)
{
	static const char text[] = "# framefs trace v1\n1 0 5 r\n2 0 6 w\n";
	struct trace_ref got[MAXREFS];
	char msg[600];

	(void)s;
	put_zst("noname", text, strlen(text));
	assert_int_equal(read_all("noname", "auto", got, MAXREFS, msg,
				  sizeof(msg)), 2);
	check_ref(&got[1], 2, 0, 6, true, 0);
	/* Short inputs are not taken for zstd. */
	put_text("tiny.csv", "7\n");
	assert_int_equal(read_all("tiny.csv", "csv:page", got, MAXREFS, msg,
				  sizeof(msg)), 1);
	put_text("empty.csv", "");
	assert_int_equal(read_all("empty.csv", "csv:page", got, MAXREFS, msg,
				  sizeof(msg)), 0);
}

/* ---- guessing and errors ---------------------------------------------- */

static void test_trace_auto_detect(void **s)
{
	struct trace_ref got[MAXREFS];
	char msg[600];

	(void)s;
	/* The name wins over the contents for oracleGeneral... */
	put_text("looks.bin", "# framefs trace v1\n1 2 3 r\n");
	assert_int_equal(read_all("looks.bin", "auto", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "truncated"));
	/* ...the first line decides otherwise. */
	put_text("t.bin.txt", "# framefs trace v1\n1 2 3 r\n");
	assert_int_equal(read_all("t.bin.txt", "auto", got, MAXREFS, msg,
				  sizeof(msg)), 1);
	put_text("msr.txt", "1,h,0,Write,0,1,1\n");
	assert_int_equal(read_all("msr.txt", "auto", got, MAXREFS, msg,
				  sizeof(msg)), 1);
	assert_true(got[0].write);
	/* Neither: a message asking for the format. */
	put_text("x.csv", "1,2,3\n");
	assert_int_equal(read_all("x.csv", "auto", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "x.csv: cannot tell the trace format"));
	assert_non_null(strstr(msg, "csv:COLS"));
	put_text("seven.csv", "1,h,0,Move,0,1,1\n");
	assert_int_equal(read_all("seven.csv", "auto", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	put_text("empty2", "");
	assert_int_equal(read_all("empty2", "auto", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
}

static void test_trace_bad_input(void **s)
{
	struct trace_ref got[MAXREFS];
	char msg[600];

	(void)s;
	/* A garbage line: the references before it, then FILE:LINE. */
	put_text("g.trace", "# framefs trace v1\n1 0 1 r\n2 0 x r\n3 0 3 r\n");
	assert_int_equal(read_all("g.trace", "auto", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "g.trace:3: expected 'TIME_US FILE PGNO"));
	assert_non_null(strstr(msg, "'2 0 x r'"));
	/* Each field's faults. */
	const char *bad[] = {
		"1 0 1 x\n", "1 0 1\n", "1 0 1 r q\n", "1 0 1 r h h\n",
		"1 0 1 rw\n", "-1 0 1 r\n", "99999999999999999999 0 1 r\n",
		"1,0,1,r\n", "1 0 1 r\0h\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);

		if (i == 8)
			len = 11;
		put_bytes("b.trace", bad[i], len);
		assert_int_equal(read_all("b.trace", "framefs", got, MAXREFS,
					  msg, sizeof(msg)), -EINVAL);
		assert_non_null(strstr(msg, "b.trace:1: "));
	}
	/* A version this reader does not know. */
	put_text("v2.trace", "# framefs trace v2\n1 0 1 r\n");
	assert_int_equal(read_all("v2.trace", "auto", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "v2.trace:1: "));
	/* MSR field faults name the field. */
	put_text("m.csv", "1,h,0,Read,0,1,1\n1,h,0,Read,zero,1,1\n");
	assert_int_equal(read_all("m.csv", "msr", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "m.csv:2: Offset"));
	put_text("m2.csv", "1,h,0,Read,0,1\n");
	assert_int_equal(read_all("m2.csv", "msr", got, MAXREFS, msg,
				  sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "m2.csv:1: expected 7 fields"));
	/* No newline for a whole buffer: not a text trace. */
	{
		size_t n = 2u << 20;
		char *junk = malloc(n);

		assert_non_null(junk);
		memset(junk, '7', n);
		put_bytes("long.trace", junk, n);
		free(junk);
		assert_int_equal(read_all("long.trace", "framefs", got,
					  MAXREFS, msg, sizeof(msg)), -EINVAL);
		assert_non_null(strstr(msg, "long.trace:1: line longer"));
	}
}

static void test_trace_open_errors(void **s)
{
	struct trace_reader *r = (void *)1;
	char msg[600];

	(void)s;
	put_text("ok.trace", "# framefs trace v1\n");
	assert_int_equal(trace_reader_open(tpath("ok.trace"), "bogus", &r, msg,
					   sizeof(msg)), -EINVAL);
	assert_null(r);
	assert_non_null(strstr(msg, "bogus: unknown trace format"));
	assert_int_equal(trace_reader_open(tpath("missing"), "framefs", &r,
					   msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "missing: "));
	trace_reader_close(NULL);
	/* The same checks without a file, for command lines. */
	assert_int_equal(trace_format_check("bogus", msg, sizeof(msg)),
			 -EINVAL);
	assert_non_null(strstr(msg, "bogus: unknown trace format"));
	assert_int_equal(trace_format_check("csv:page,nope", msg, sizeof(msg)),
			 -EINVAL);
	assert_non_null(strstr(msg, "unknown column 'nope'"));
	assert_int_equal(trace_format_check("csv", msg, sizeof(msg)), -EINVAL);
	const char *good[] = { "auto", "framefs", "mmload", "msr",
			       "oraclegeneral", "csv:page", "csv:-,off,size" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(trace_format_check(good[i], msg, sizeof(msg)),
				 0);
}

/* A compressed stream cut in the middle, and bytes that are not zstd. */
static void test_trace_zst_damaged(void **s)
{
	struct trace_ref got[MAXREFS];
	char text[4000], msg[600];
	size_t n = 0;
	struct stat st;

	(void)s;
	n += (size_t)snprintf(text, sizeof(text), "# framefs trace v1\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "%d 0 %d r\n", i, i * 7919 % 1000);
	put_zst("cut.trace.zst", text, n);
	assert_int_equal(stat(tpath("cut.trace.zst"), &st), 0);
	assert_int_equal(truncate(tpath("cut.trace.zst"), st.st_size - 8), 0);
	assert_true(read_all("cut.trace.zst", "framefs", got, MAXREFS, msg,
			     sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "cut.trace.zst: zstd: "));
	put_text("plain.trace.zst", "# framefs trace v1\n1 0 1 r\n");
	assert_true(read_all("plain.trace.zst", "framefs", got, MAXREFS, msg,
			     sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "plain.trace.zst: zstd: "));
}

static void test_trace_writer_errors(void **s)
{
	struct trace_ref ref = { 1, 2, 3, false, 'h' };
	struct trace_writer *w = (void *)1;

	(void)s;
	assert_int_equal(trace_writer_open(tpath("no/such/dir"), NULL, &w),
			 -ENOENT);
	assert_null(w);
	assert_int_equal(trace_writer_open(tpath("nl"), "a\nb", &w), -EINVAL);
	assert_int_equal(trace_writer_open(tpath("r.trace"), NULL, &w), 0);
	ref.result = 'x';
	assert_int_equal(trace_write(w, &ref), -EINVAL);
	assert_int_equal(trace_writer_close(w), 0);
	/* A full disk: the error comes back at the latest from close. */
	if (access("/dev/full", W_OK) == 0) {
		int rc = 0;

		assert_int_equal(trace_writer_open("/dev/full", "x=1", &w), 0);
		ref.result = 'm';
		for (int i = 0; i < 100000 && rc == 0; i++)
			rc = trace_write(w, &ref);
		assert_int_equal(rc, -ENOSPC);
		assert_int_equal(trace_writer_close(w), -ENOSPC);
	}
	assert_int_equal(trace_writer_close(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_roundtrip_plain),
		cmocka_unit_test(test_trace_roundtrip_zst),
		cmocka_unit_test(test_trace_roundtrip_large),
		cmocka_unit_test(test_trace_framefs_text),
		cmocka_unit_test(test_trace_msr_spread),
		cmocka_unit_test(test_trace_oracle),
		cmocka_unit_test(test_trace_csv_columns),
		cmocka_unit_test(test_trace_csv_refuses),
		cmocka_unit_test(test_trace_zstd_magic),
		cmocka_unit_test(test_trace_max_record),
		cmocka_unit_test(test_trace_auto_detect),
		cmocka_unit_test(test_trace_bad_input),
		cmocka_unit_test(test_trace_open_errors),
		cmocka_unit_test(test_trace_zst_damaged),
		cmocka_unit_test(test_trace_writer_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
