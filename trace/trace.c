/* trace.c - the trace reader (framefs text, csv:COLS, MSR Cambridge,
 * libCacheSim oracleGeneral; plain or zstd) and the framefs trace writer.
 *
 * Reading is two layers.  The byte layer fills one buffer, buf[pos..len),
 * with decoded bytes: straight from read(2), or through
 * ZSTD_decompressStream when the path ends in .zst or the first four bytes
 * are zstd's magic number (a pipe has no name to go by).  The record layer
 * takes whole lines (text formats) or 24-byte records (oracleGeneral) out
 * of that buffer.  A line is found with memchr and parsed in place by
 * hand-written digit loops (no sscanf, no copies, no allocation per line):
 * the text reader is limited by memory bandwidth, not by parsing.  A line
 * that does not fit in the buffer is an error (lines are short in every
 * format here).
 *
 * Byte ranges (msr, csv with off/size) become one reference per 4 KiB page
 * touched: the first is returned at once, the rest are handed out from the
 * "pending" range on the following calls, before the next line is read.
 * A range larger than max_record is refused at its line: one record of
 * 2^64 - 1 bytes would otherwise be 2^52 references handed out one by one
 * while the byte counter of a progress line stands still.
 *
 * Errors stick: once trace_read() returned an error it returns the same one
 * again, and trace_reader_error() holds "FILE:LINE: what is wrong".
 *
 * Writing formats each reference by hand into a 64 KiB buffer, which goes
 * to the file (or through ZSTD_compressStream2) when full and at close.
 * The first write error is kept and returned by every later call.
 */
#define _GNU_SOURCE
#include "trace.h"

#include "parse.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define READ_BUF_BYTES	(1u << 20)	/* also the longest line */
#define WRITE_BUF_BYTES	(64u << 10)
#define ORACLE_RECORD	24u		/* libCacheSim oracleGeneral */
#define CSV_MAX_COLS	32
#define ERR_BYTES	512
#define ZSTD_MAGIC	"\x28\xb5\x2f\xfd"	/* a frame's first bytes */

enum trace_format {
	FMT_FRAMEFS,
	FMT_CSV,
	FMT_MSR,
	FMT_ORACLE,
};

/* Column kinds of csv:COLS. */
enum csv_col {
	COL_SKIP,		/* "-" */
	COL_TIME,		/* time, time_us, time_ms, time_s, time_ns */
	COL_PAGE,		/* page, pgno: 4 KiB page number */
	COL_OFF,		/* off, offset: byte offset */
	COL_SIZE,		/* size: bytes from off */
	COL_OBJ,		/* obj, file: number, or text hashed */
	COL_OP,			/* op: r/w/read/write, any case */
};

struct trace_reader {
	char *path;
	enum trace_format fmt;
	int fd;
	bool own_fd;			/* false for "-" (stdin) */

	/* The byte layer. */
	char *buf;			/* [cap] */
	size_t cap, pos, len;		/* unread bytes are buf[pos..len) */
	bool eof;			/* nothing after buf[len] */
	uint64_t raw_done, raw_total;	/* file bytes read, file size */
	ZSTD_DStream *zd;		/* NULL: not compressed */
	unsigned char *zin;		/* compressed input */
	size_t zin_cap, zin_pos, zin_len;
	size_t zret;			/* last ZSTD_decompressStream: 0 at a
					 * frame's end */
	bool raw_eof;

	/* The record layer. */
	uint64_t line;			/* number of the line last taken */
	uint64_t nrec;			/* oracleGeneral records taken */
	bool header_checked;		/* the first line was looked at */
	bool pending;			/* pages left of a byte range */
	struct trace_ref pend;		/* the next of them */
	uint64_t pend_last;		/* its last page */
	bool have_t0;			/* msr, csv: t0_ns is set */
	uint64_t t0_ns;			/* the first record's time */
	uint64_t max_record;		/* bytes one record may cover */
	char max_name[64];		/* how errors call that limit */

	/* csv:COLS */
	enum csv_col col[CSV_MAX_COLS];
	uint32_t col_unit_ns[CSV_MAX_COLS];	/* COL_TIME: ns per unit */
	int ncols;
	bool csv_off;			/* off (+ size) rather than page */
	bool csv_rest;			/* COLS ends in "...": more fields
					 * are ignored, not an error */

	int rc;				/* sticky error, 0 if none */
	char err[ERR_BYTES];
};

struct trace_writer {
	char *path;
	int fd;
	char *buf;			/* [WRITE_BUF_BYTES] */
	size_t len;
	ZSTD_CCtx *zc;			/* NULL: not compressed */
	unsigned char *zout;
	size_t zout_cap;
	int rc;				/* first error, 0 if none */
};

/* ---- small helpers ---------------------------------------------------- */

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool is_zst(const char *path)
{
	return ends_with(path, strlen(path), ".zst");
}

/* FNV-1a, 64 bits: text object ids of csv, MSR host names. */
static uint64_t fnv1a(const char *s, const char *e)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; s < e; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static inline const char *skip_blanks(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* "FILE:LINE: " + the message + the line (shortened, unprintables as ?). */
static int fail_line(struct trace_reader *r, const char *s, const char *e,
		     const char *what)
{
	char shown[64];
	size_t n = 0;

	for (; s < e && n + 4 < sizeof(shown); s++)
		shown[n++] = (*s >= 32 && *s < 127) ? *s : '?';
	if (s < e) {
		memcpy(shown + n, "...", 3);
		n += 3;
	}
	shown[n] = '\0';
	snprintf(r->err, sizeof(r->err), "%s:%llu: %s: '%s'", r->path,
		 (unsigned long long)r->line, what, shown);
	r->rc = -EINVAL;
	return r->rc;
}

/* ---- the byte layer --------------------------------------------------- */

/* Reads some file bytes into p (at most n).  Returns the count, 0 at the
 * end, or a negative errno with the message set. */
static ssize_t raw_read(struct trace_reader *r, void *p, size_t n)
{
	ssize_t got;

	do
		got = read(r->fd, p, n);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		r->rc = -errno;
		snprintf(r->err, sizeof(r->err), "%s: %s", r->path,
			 strerror(errno));
		return r->rc;
	}
	r->raw_done += (uint64_t)got;
	return got;
}

/* Decodes zstd input into buf[len..cap) until some bytes came out or the
 * input ended.  Returns 0 or a negative errno. */
static int zstd_fill(struct trace_reader *r)
{
	for (;;) {
		ZSTD_outBuffer out = { r->buf + r->len, r->cap - r->len, 0 };
		ZSTD_inBuffer in = { r->zin + r->zin_pos,
				     r->zin_len - r->zin_pos, 0 };

		if (in.size == 0 && !r->raw_eof) {
			ssize_t got = raw_read(r, r->zin, r->zin_cap);

			if (got < 0)
				return (int)got;
			r->zin_pos = 0;
			r->zin_len = (size_t)got;
			r->raw_eof = got == 0;
			continue;
		}
		if (in.size == 0 && r->zret == 0) {
			/* No input left and no frame open: done. */
			r->eof = true;
			return 0;
		}
		r->zret = ZSTD_decompressStream(r->zd, &out, &in);
		if (ZSTD_isError(r->zret)) {
			snprintf(r->err, sizeof(r->err), "%s: zstd: %s",
				 r->path, ZSTD_getErrorName(r->zret));
			return r->rc = -EINVAL;
		}
		r->zin_pos += in.pos;
		r->len += out.pos;
		if (out.pos > 0)
			return 0;
		if (r->raw_eof && r->zin_pos == r->zin_len && r->zret != 0) {
			/* All input used, room left, nothing came out, and
			 * the frame is not finished: it was cut short. */
			snprintf(r->err, sizeof(r->err), "%s: zstd: the "
				 "compressed data ends in the middle of a "
				 "frame (truncated file?)", r->path);
			return r->rc = -EINVAL;
		}
	}
}

/* Moves the unread bytes to the front and reads more after them.  Sets eof
 * when the input has ended.  Returns 0 or a negative errno. */
static int fill(struct trace_reader *r)
{
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == r->cap)
		return 0;		/* full: the caller decides */
	if (r->zd)
		return zstd_fill(r);
	ssize_t got = raw_read(r, r->buf + r->len, r->cap - r->len);

	if (got < 0)
		return (int)got;
	r->len += (size_t)got;
	r->eof = got == 0;
	return 0;
}

/* The next line, without its '\n' (and '\r'), in [*s, *e).  Returns 1, 0
 * at the end of the input, or a negative errno. */
static int next_line(struct trace_reader *r, const char **s, const char **e)
{
	for (;;) {
		char *p = r->buf + r->pos;
		size_t avail = r->len - r->pos;
		char *nl = memchr(p, '\n', avail);
		int rc;

		if (!nl && r->eof) {
			if (avail == 0)
				return 0;
			nl = p + avail;		/* last line, no '\n' */
		}
		if (nl) {
			r->pos = (size_t)(nl - r->buf) + (nl < r->buf + r->len);
			r->line++;
			if (nl > p && nl[-1] == '\r')
				nl--;
			*s = p;
			*e = nl;
			return 1;
		}
		if (r->pos == 0 && r->len == r->cap) {
			r->line++;
			snprintf(r->err, sizeof(r->err), "%s:%llu: line longer "
				 "than %u bytes (not a text trace?)", r->path,
				 (unsigned long long)r->line, READ_BUF_BYTES);
			return r->rc = -EINVAL;
		}
		rc = fill(r);
		if (rc < 0)
			return rc;
	}
}

/* ---- framefs text ----------------------------------------------------- */

/* Line 1 may be "# framefs trace vN ...": only v1 is read. */
static int framefs_header(struct trace_reader *r, const char *s,
			  const char *e)
{
	static const char tag[] = "# framefs trace v";
	const char *p = s + sizeof(tag) - 1;
	uint64_t v;

	if ((size_t)(e - s) < sizeof(tag) - 1 ||
	    memcmp(s, tag, sizeof(tag) - 1) != 0)
		return 0;
	if (!parse_u64(&p, e, &v) || v != 1)
		return fail_line(r, s, e, "not a framefs trace v1 header "
				 "(this reader knows version 1)");
	return 0;
}

static int read_framefs(struct trace_reader *r, struct trace_ref *ref)
{
	const char *s, *e, *p;
	int rc;

	for (;;) {
		rc = next_line(r, &s, &e);
		if (rc <= 0)
			return rc;
		p = skip_blanks(s, e);
		if (p == e)
			continue;
		if (*p != '#')
			break;
		if (r->line == 1 && framefs_header(r, s, e) < 0)
			return r->rc;
	}
	if (!parse_u64(&p, e, &ref->time_us) || p == e ||
	    (*p != ' ' && *p != '\t'))
		goto bad;
	p = skip_blanks(p, e);
	if (!parse_u64(&p, e, &ref->file) || p == e ||
	    (*p != ' ' && *p != '\t'))
		goto bad;
	p = skip_blanks(p, e);
	if (!parse_u64(&p, e, &ref->pgno) || p == e ||
	    (*p != ' ' && *p != '\t'))
		goto bad;
	p = skip_blanks(p, e);
	if (p == e || (*p != 'r' && *p != 'w'))
		goto bad;
	ref->write = *p++ == 'w';
	ref->result = 0;
	if (p < e && *p != ' ' && *p != '\t')
		goto bad;
	p = skip_blanks(p, e);
	if (p < e) {
		if (*p != 'h' && *p != 'm')
			goto bad;
		ref->result = *p++;
		p = skip_blanks(p, e);
		if (p < e)
			goto bad;
	}
	return 1;
bad:
	return fail_line(r, s, e, "expected 'TIME_US FILE PGNO r|w [h|m]'");
}

/* ---- byte ranges ------------------------------------------------------ */

/* Sets up the pages [off, off + nbytes) of ref's file and returns the
 * first in ref (a zero-length request touches the page holding off). */
static int spread(struct trace_reader *r, struct trace_ref *ref,
		  uint64_t off, uint64_t nbytes, const char *s, const char *e)
{
	uint64_t last;

	if (nbytes > r->max_record) {
		char what[128];

		snprintf(what, sizeof(what), "record of %llu bytes is larger "
			 "than %s", (unsigned long long)nbytes, r->max_name);
		return fail_line(r, s, e, what);
	}
	if (nbytes > 0 && off + nbytes - 1 < off)
		return fail_line(r, s, e, "offset + size overflows");
	last = (nbytes ? off + nbytes - 1 : off) / TRACE_PAGE_SIZE;
	ref->pgno = off / TRACE_PAGE_SIZE;
	if (last > ref->pgno) {
		r->pend = *ref;
		r->pend.pgno++;
		r->pend_last = last;
		r->pending = true;
	}
	return 1;
}

static int next_pending(struct trace_reader *r, struct trace_ref *ref)
{
	*ref = r->pend;
	if (r->pend.pgno == r->pend_last)
		r->pending = false;
	else
		r->pend.pgno++;
	return 1;
}

/* time_us relative to the first record (earlier times count as 0). */
static uint64_t since_t0(struct trace_reader *r, uint64_t t_ns)
{
	if (!r->have_t0) {
		r->have_t0 = true;
		r->t0_ns = t_ns;
	}
	return t_ns > r->t0_ns ? (t_ns - r->t0_ns) / 1000 : 0;
}

/* ---- MSR Cambridge ---------------------------------------------------- */

/* Splits a comma-separated line into at most max fields; returns the count
 * (a count above max means more fields than that). */
static int split_commas(const char *s, const char *e, const char **fs,
			const char **fe, int max)
{
	int n = 0;

	for (;;) {
		const char *c = memchr(s, ',', (size_t)(e - s));
		const char *end = c ? c : e;

		if (n == max)
			return max + 1;
		fs[n] = skip_blanks(s, end);
		while (end > fs[n] && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		fe[n++] = end;
		if (!c)
			return n;
		s = c + 1;
	}
}

static bool field_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && strncasecmp(s, word, n) == 0;
}

/* [s, e) is one or more digits. */
static bool all_digits(const char *s, const char *e)
{
	if (s == e)
		return false;
	for (; s < e; s++)
		if ((unsigned)(*s - '0') > 9)
			return false;
	return true;
}

/* One field that must be all digits. */
static bool field_u64(const char *s, const char *e, uint64_t *v)
{
	return parse_u64(&s, e, v) && s == e;
}

/* next_line, past blank lines and '#' comments (the CSV formats). */
static int next_data_line(struct trace_reader *r, const char **s,
			  const char **e)
{
	int rc;

	do {
		rc = next_line(r, s, e);
		if (rc <= 0)
			return rc;
	} while (skip_blanks(*s, *e) == *e || *skip_blanks(*s, *e) == '#');
	return rc;
}

/* Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime; the time in
 * Windows filetime (100 ns units), offset and size in bytes. */
static int read_msr(struct trace_reader *r, struct trace_ref *ref)
{
	const char *s, *e, *fs[8], *fe[8];
	uint64_t ts, disk, off, nbytes, rt;
	int rc;

	if (r->pending)
		return next_pending(r, ref);
	rc = next_data_line(r, &s, &e);
	if (rc <= 0)
		return rc;
	if (split_commas(s, e, fs, fe, 7) != 7)
		return fail_line(r, s, e, "expected 7 fields 'Timestamp,"
				 "Hostname,DiskNumber,Type,Offset,Size,"
				 "ResponseTime'");
	if (!field_u64(fs[0], fe[0], &ts) || ts > UINT64_MAX / 100)
		return fail_line(r, s, e, "Timestamp: not a number");
	if (!field_u64(fs[2], fe[2], &disk) || disk > UINT32_MAX)
		return fail_line(r, s, e, "DiskNumber: not a number below "
				 "2^32");
	if (field_is(fs[3], fe[3], "read"))
		ref->write = false;
	else if (field_is(fs[3], fe[3], "write"))
		ref->write = true;
	else
		return fail_line(r, s, e, "Type: not Read or Write");
	if (!field_u64(fs[4], fe[4], &off) || !field_u64(fs[5], fe[5], &nbytes))
		return fail_line(r, s, e, "Offset, Size: not numbers");
	/* Not used, but a line whose last field is garbage is not a
	 * record to trust the others of. */
	if (!field_u64(fs[6], fe[6], &rt))
		return fail_line(r, s, e, "ResponseTime: not a number");
	ref->time_us = since_t0(r, ts * 100);
	ref->file = (fnv1a(fs[1], fe[1]) & 0xffffffff00000000ull) | disk;
	ref->result = 0;
	return spread(r, ref, off, nbytes, s, e);
}

/* ---- csv:COLS --------------------------------------------------------- */

static const struct {
	const char *name;
	enum csv_col col;
	uint32_t unit_ns;
} csv_names[] = {
	{ "-", COL_SKIP, 0 },
	{ "time", COL_TIME, 1000 },
	{ "time_us", COL_TIME, 1000 },
	{ "time_ns", COL_TIME, 1 },
	{ "time_ms", COL_TIME, 1000000 },
	{ "time_s", COL_TIME, 1000000000 },
	{ "page", COL_PAGE, 0 },
	{ "pgno", COL_PAGE, 0 },
	{ "off", COL_OFF, 0 },
	{ "offset", COL_OFF, 0 },
	{ "size", COL_SIZE, 0 },
	{ "obj", COL_OBJ, 0 },
	{ "file", COL_OBJ, 0 },
	{ "op", COL_OP, 0 },
};

/* Parses COLS ("time,obj,off,size,op").  Returns 0 or -EINVAL with err. */
static int csv_setup(struct trace_reader *r, const char *cols, char *err,
		     size_t errlen)
{
	char *copy = strdup(cols), *tok, *save = NULL;
	unsigned seen = 0;
	int rc = -EINVAL;

	if (!copy) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		if (r->csv_rest) {
			snprintf(err, errlen, "csv:%s: '...' (any further "
				 "columns) must come last", cols);
			goto out;
		}
		if (strcmp(tok, "...") == 0) {
			r->csv_rest = true;
			continue;
		}
		for (i = 0; i < sizeof(csv_names) / sizeof(csv_names[0]); i++)
			if (strcmp(tok, csv_names[i].name) == 0)
				break;
		if (i == sizeof(csv_names) / sizeof(csv_names[0])) {
			snprintf(err, errlen, "csv:%s: unknown column '%s' "
				 "(page, off, size, obj, op, time[_ns|_us|_ms|"
				 "_s], -, ...)", cols, tok);
			goto out;
		}
		if (r->ncols == CSV_MAX_COLS) {
			snprintf(err, errlen, "csv:%s: more than %d columns",
				 cols, CSV_MAX_COLS);
			goto out;
		}
		if (csv_names[i].col != COL_SKIP &&
		    (seen & (1u << csv_names[i].col))) {
			snprintf(err, errlen, "csv:%s: column '%s' given twice",
				 cols, tok);
			goto out;
		}
		seen |= 1u << csv_names[i].col;
		r->col_unit_ns[r->ncols] = csv_names[i].unit_ns;
		r->col[r->ncols++] = csv_names[i].col;
	}
	if (r->ncols == 0) {
		snprintf(err, errlen, "csv:%s: no columns named", cols);
		goto out;
	}
	if (!!(seen & (1u << COL_PAGE)) == !!(seen & (1u << COL_OFF))) {
		snprintf(err, errlen, "csv:%s: name exactly one of 'page' "
			 "and 'off'", cols);
		goto out;
	}
	if ((seen & (1u << COL_SIZE)) && !(seen & (1u << COL_OFF))) {
		snprintf(err, errlen, "csv:%s: 'size' needs 'off'", cols);
		goto out;
	}
	r->csv_off = seen & (1u << COL_OFF);
	rc = 0;
out:
	free(copy);
	return rc;
}

/* A time field: digits with an optional fraction, times unit_ns. */
static bool csv_time(const char *s, const char *e, uint32_t unit_ns,
		     uint64_t *ns)
{
	uint64_t whole, frac = 0, scale = 1;

	if (!parse_u64(&s, e, &whole) ||
	    __builtin_mul_overflow(whole, unit_ns, ns))
		return false;
	if (s < e && *s == '.') {
		for (s++; s < e && (unsigned)(*s - '0') <= 9; s++) {
			if (scale < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
		*ns += frac * unit_ns / scale;
	}
	return s == e;
}

static int read_csv(struct trace_reader *r, struct trace_ref *ref)
{
	const char *s, *e, *fs[CSV_MAX_COLS + 1], *fe[CSV_MAX_COLS + 1];
	uint64_t off = 0, nbytes = 0, t_ns = 0;
	int rc, n;

	if (r->pending)
		return next_pending(r, ref);
	rc = next_data_line(r, &s, &e);
	if (rc <= 0)
		return rc;
	n = split_commas(s, e, fs, fe, r->csv_rest ? CSV_MAX_COLS : r->ncols);
	if (n < r->ncols) {
		char what[64];

		snprintf(what, sizeof(what), "%d fields, expected %d", n,
			 r->ncols);
		return fail_line(r, s, e, what);
	}
	/* The first line is a header when its first number column starts
	 * with something other than a digit. */
	if (!r->header_checked) {
		r->header_checked = true;
		for (int i = 0; i < r->ncols; i++) {
			enum csv_col c = r->col[i];

			if (c != COL_TIME && c != COL_PAGE && c != COL_OFF &&
			    c != COL_SIZE)
				continue;
			if (fs[i] == fe[i] || (unsigned)(*fs[i] - '0') > 9)
				return read_csv(r, ref);
			break;
		}
	}
	/* A field more than COLS names is refused unless COLS ends in
	 * "...": "12,345" read with csv:page is more likely a thousands
	 * separator than page 12 and a column to ignore. */
	if (n > r->ncols && !r->csv_rest) {
		char what[128];

		snprintf(what, sizeof(what), "more than the %d fields COLS "
			 "names (end COLS with ',...' to ignore the rest)",
			 r->ncols);
		return fail_line(r, s, e, what);
	}
	memset(ref, 0, sizeof(*ref));
	for (int i = 0; i < r->ncols; i++) {
		const char *a = fs[i], *b = fe[i];

		switch (r->col[i]) {
		case COL_SKIP:
			break;
		case COL_TIME:
			if (!csv_time(a, b, r->col_unit_ns[i], &t_ns))
				return fail_line(r, s, e, "time: not a number");
			ref->time_us = since_t0(r, t_ns);
			break;
		case COL_PAGE:
			if (!field_u64(a, b, &ref->pgno))
				return fail_line(r, s, e, "page: not a number");
			break;
		case COL_OFF:
			if (!field_u64(a, b, &off))
				return fail_line(r, s, e, "off: not a number");
			break;
		case COL_SIZE:
			if (!field_u64(a, b, &nbytes))
				return fail_line(r, s, e, "size: not a number");
			break;
		case COL_OBJ:
			/* Digits are a number, anything else a name to
			 * hash; a number must fit, and not be negative (it
			 * would be hashed as text, silently). */
			if (all_digits(a + (a < b && *a == '-'), b)) {
				if (*a == '-')
					return fail_line(r, s, e, "obj: a "
							 "negative number");
				if (!field_u64(a, b, &ref->file))
					return fail_line(r, s, e, "obj: a "
							 "number beyond 2^64 "
							 "- 1");
			} else {
				ref->file = fnv1a(a, b);
			}
			break;
		case COL_OP:
			if (field_is(a, b, "r") || field_is(a, b, "read"))
				ref->write = false;
			else if (field_is(a, b, "w") || field_is(a, b, "write"))
				ref->write = true;
			else
				return fail_line(r, s, e, "op: not r, w, read "
						 "or write");
			break;
		}
	}
	if (r->csv_off)
		return spread(r, ref, off, nbytes, s, e);
	return 1;
}

/* ---- libCacheSim oracleGeneral ---------------------------------------- */

/* struct { uint32 clock_time; uint64 obj_id; uint32 obj_size;
 * int64 next_access_vtime; } packed, little-endian.  Records of size 0 are
 * skipped, as libCacheSim's reader does. */
static int read_oracle(struct trace_reader *r, struct trace_ref *ref)
{
	for (;;) {
		const char *p;
		uint32_t t, size;
		uint64_t id;
		int rc;

		while (r->len - r->pos < ORACLE_RECORD && !r->eof) {
			rc = fill(r);
			if (rc < 0)
				return rc;
		}
		if (r->len - r->pos < ORACLE_RECORD) {
			if (r->len == r->pos)
				return 0;
			snprintf(r->err, sizeof(r->err), "%s: record %llu: "
				 "truncated (%zu of %u bytes at the end)",
				 r->path, (unsigned long long)r->nrec + 1,
				 r->len - r->pos, ORACLE_RECORD);
			return r->rc = -EINVAL;
		}
		p = r->buf + r->pos;
		r->pos += ORACLE_RECORD;
		r->nrec++;
		memcpy(&t, p, 4);
		memcpy(&id, p + 4, 8);
		memcpy(&size, p + 12, 4);
		if (le32toh(size) == 0)
			continue;
		ref->time_us = (uint64_t)le32toh(t) * 1000000u;
		ref->file = 0;
		ref->pgno = le64toh(id);
		ref->write = false;
		ref->result = 0;
		return 1;
	}
}

/* ---- opening ---------------------------------------------------------- */

/* Is the first line of the buffer an MSR record (7 fields, the 4th Read
 * or Write)? */
static bool looks_msr(const char *s, const char *e)
{
	const char *fs[8], *fe[8];

	return split_commas(s, e, fs, fe, 7) == 7 &&
	       (field_is(fs[3], fe[3], "read") ||
		field_is(fs[3], fe[3], "write"));
}

/* Guesses the format: by name, then by the first line.  Returns 0 or
 * -EINVAL with err. */
static int detect(struct trace_reader *r, char *err, size_t errlen)
{
	const char *base = strrchr(r->path, '/');
	size_t n = strlen(r->path);
	const char *s, *e, *nl;
	int rc;

	base = base ? base + 1 : r->path;
	if (ends_with(r->path, n, ".zst"))
		n -= 4;
	if (memmem(base, n - (size_t)(base - r->path), ".oracleGeneral", 14) ||
	    ends_with(r->path, n, ".bin")) {
		r->fmt = FMT_ORACLE;
		return 0;
	}
	while (!r->eof && !memchr(r->buf, '\n', r->len) && r->len < r->cap) {
		rc = fill(r);
		if (rc < 0) {
			snprintf(err, errlen, "%s", r->err);
			return rc;
		}
	}
	s = r->buf;
	nl = memchr(s, '\n', r->len);
	e = nl ? nl : s + r->len;
	if (e > s && e[-1] == '\r')
		e--;
	if (e - s >= 15 && memcmp(s, "# framefs trace", 15) == 0) {
		r->fmt = FMT_FRAMEFS;
		return 0;
	}
	if (looks_msr(s, e)) {
		r->fmt = FMT_MSR;
		return 0;
	}
	snprintf(err, errlen, "%s: cannot tell the trace format from the name "
		 "or the first line; name it (framefs, csv:COLS, msr, "
		 "oraclegeneral)", r->path);
	return -EINVAL;
}

/* Sets up decompression; the bytes already read (by sniff_zstd) into buf
 * are compressed input.  Returns 0 or -ENOMEM. */
static int zstd_start(struct trace_reader *r)
{
	r->zd = ZSTD_createDStream();
	r->zin_cap = ZSTD_DStreamInSize();
	r->zin = malloc(r->zin_cap);
	if (!r->zd || !r->zin || r->len > r->zin_cap)
		return -ENOMEM;
	ZSTD_initDStream(r->zd);
	memcpy(r->zin, r->buf, r->len);
	r->zin_len = r->len;
	r->zin_pos = 0;
	r->raw_eof = r->eof;
	r->len = 0;
	r->eof = false;
	return 0;
}

/* Reads the first bytes (at least 4, unless the input is shorter) into
 * buf and looks for zstd's magic number there: a compressed pipe or a
 * compressed file without the .zst name.  Returns 1 if it is zstd, 0 if
 * not, or a negative errno with the message set. */
static int sniff_zstd(struct trace_reader *r)
{
	while (r->len < 4 && !r->eof) {
		ssize_t got = raw_read(r, r->buf + r->len, 4096);

		if (got < 0)
			return (int)got;
		r->len += (size_t)got;
		r->eof = got == 0;
	}
	return r->len >= 4 && memcmp(r->buf, ZSTD_MAGIC, 4) == 0;
}

int trace_format_check(const char *format, char *err, size_t errlen)
{
	struct trace_reader *r;
	int rc;

	if (!format || strcmp(format, "auto") == 0 ||
	    strcmp(format, "framefs") == 0 || strcmp(format, "mmload") == 0 ||
	    strcmp(format, "msr") == 0 || strcmp(format, "oraclegeneral") == 0)
		return 0;
	if (strncmp(format, "csv:", 4) != 0) {
		snprintf(err, errlen, "%s: unknown trace format (auto, "
			 "framefs, mmload, csv:COLS, msr, oraclegeneral)",
			 format);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = csv_setup(r, format + 4, err, errlen);
	free(r);
	return rc;
}

int trace_reader_open(const char *path, const char *format,
		      struct trace_reader **out, char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	bool autofmt = false;
	struct stat st;
	int rc = -ENOMEM;

	*out = NULL;
	if (!r || !(r->path = strdup(path)))
		goto out_nomem;
	r->fd = -1;
	trace_reader_set_max_record(r, TRACE_MAX_RECORD_DEFAULT, NULL);
	rc = trace_format_check(format, err, errlen);
	if (rc < 0)
		goto out_free;
	if (!format || strcmp(format, "auto") == 0) {
		autofmt = true;
	} else if (strcmp(format, "msr") == 0) {
		r->fmt = FMT_MSR;
	} else if (strcmp(format, "oraclegeneral") == 0) {
		r->fmt = FMT_ORACLE;
	} else if (strncmp(format, "csv:", 4) == 0) {
		r->fmt = FMT_CSV;
		rc = csv_setup(r, format + 4, err, errlen);
		if (rc < 0)
			goto out_free;
	} else {
		r->fmt = FMT_FRAMEFS;			/* or mmload */
	}

	/* Step 1: the file. */
	if (strcmp(path, "-") == 0) {
		r->fd = 0;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out_free;
		}
		r->own_fd = true;
	}
	if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
		r->raw_total = (uint64_t)st.st_size;
	if (r->own_fd)
		posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	/* Step 2: the buffers, and compressed or not. */
	r->cap = READ_BUF_BYTES;
	r->buf = malloc(r->cap);
	if (!r->buf)
		goto out_nomem;
	rc = is_zst(path) ? 1 : sniff_zstd(r);
	if (rc < 0) {
		snprintf(err, errlen, "%s", r->err);
		goto out_free;
	}
	if (rc == 1 && zstd_start(r) < 0)
		goto out_nomem;

	/* Step 3: the format, if it is to be guessed. */
	if (autofmt) {
		rc = detect(r, err, errlen);
		if (rc < 0)
			goto out_free;
	}
	*out = r;
	return 0;

out_nomem:
	rc = -ENOMEM;
	snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
out_free:
	trace_reader_close(r);
	return rc;
}

int trace_read(struct trace_reader *r, struct trace_ref *ref)
{
	if (r->rc)
		return r->rc;
	switch (r->fmt) {
	case FMT_FRAMEFS:
		return read_framefs(r, ref);
	case FMT_CSV:
		return read_csv(r, ref);
	case FMT_MSR:
		return read_msr(r, ref);
	case FMT_ORACLE:
		return read_oracle(r, ref);
	}
	return -EINVAL;
}

void trace_reader_set_max_record(struct trace_reader *r, uint64_t nbytes,
				 const char *name)
{
	r->max_record = nbytes;
	if (name)
		snprintf(r->max_name, sizeof(r->max_name), "%s", name);
	else
		snprintf(r->max_name, sizeof(r->max_name), "the limit of %llu "
			 "bytes", (unsigned long long)nbytes);
}

const char *trace_reader_error(const struct trace_reader *r)
{
	return r->err;
}

void trace_reader_progress(const struct trace_reader *r, uint64_t *done,
			   uint64_t *total)
{
	*done = r->raw_done;
	*total = r->raw_total;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	ZSTD_freeDStream(r->zd);
	free(r->zin);
	free(r->buf);
	free(r->path);
	free(r);
}

/* ---- the writer ------------------------------------------------------- */

static int write_all(struct trace_writer *w, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(w->fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return w->rc = -errno;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Sends the buffer out: to the file, or through the compressor with mode
 * (ZSTD_e_continue, or ZSTD_e_end at close). */
static int flush(struct trace_writer *w, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { w->buf, w->len, 0 };
	size_t left;

	if (w->rc)
		return w->rc;
	if (!w->zc) {
		w->len = 0;
		return write_all(w, in.src, in.size);
	}
	do {
		ZSTD_outBuffer out = { w->zout, w->zout_cap, 0 };

		left = ZSTD_compressStream2(w->zc, &out, &in, mode);
		if (ZSTD_isError(left))
			return w->rc = -EIO;
		if (out.pos && write_all(w, w->zout, out.pos) < 0)
			return w->rc;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	w->len = 0;
	return 0;
}

int trace_writer_open(const char *path, const char *header,
		      struct trace_writer **out)
{
	struct trace_writer *w;
	int rc = -ENOMEM;

	*out = NULL;
	if (header && strchr(header, '\n'))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	if (!(w->path = strdup(path)) || !(w->buf = malloc(WRITE_BUF_BYTES)))
		goto out_free;
	if (is_zst(path)) {
		w->zc = ZSTD_createCCtx();
		w->zout_cap = ZSTD_CStreamOutSize();
		w->zout = malloc(w->zout_cap);
		if (!w->zc || !w->zout)
			goto out_free;
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (w->fd < 0) {
		rc = -errno;
		goto out_free;
	}
	w->len = (size_t)snprintf(w->buf, WRITE_BUF_BYTES,
				  "# framefs trace v1%s%.*s\n",
				  header && *header ? " " : "",
				  (int)(WRITE_BUF_BYTES - 64),
				  header ? header : "");
	*out = w;
	return 0;

out_free:
	ZSTD_freeCCtx(w->zc);
	free(w->zout);
	free(w->buf);
	free(w->path);
	free(w);
	return rc;
}

/* Writes v in decimal at p; returns the end. */
static inline char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

int trace_write(struct trace_writer *w, const struct trace_ref *ref)
{
	char *p;

	if (w->rc)
		return w->rc;
	if (ref->result && ref->result != 'h' && ref->result != 'm')
		return -EINVAL;
	/* Three 20-digit numbers and the rest fit in 80 bytes. */
	if (WRITE_BUF_BYTES - w->len < 80 && flush(w, ZSTD_e_continue) < 0)
		return w->rc;
	p = w->buf + w->len;
	p = put_u64(p, ref->time_us);
	*p++ = ' ';
	p = put_u64(p, ref->file);
	*p++ = ' ';
	p = put_u64(p, ref->pgno);
	*p++ = ' ';
	*p++ = ref->write ? 'w' : 'r';
	if (ref->result) {
		*p++ = ' ';
		*p++ = ref->result;
	}
	*p++ = '\n';
	w->len = (size_t)(p - w->buf);
	return 0;
}

int trace_writer_close(struct trace_writer *w)
{
	int rc;

	if (!w)
		return 0;
	flush(w, ZSTD_e_end);
	if (close(w->fd) < 0 && !w->rc)
		w->rc = -errno;
	rc = w->rc;
	ZSTD_freeCCtx(w->zc);
	free(w->zout);
	free(w->buf);
	free(w->path);
	free(w);
	return rc;
}
