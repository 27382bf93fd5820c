/* fsx.c - a seeded, model-based random tester for one file on a file system.
 *
 * In the spirit of fsx (Apple's, later Linux's xfstests'), written afresh for
 * framefs.  It creates DIR/NAME, keeps an in-memory model of what the file
 * must hold, and runs a random sequence of operations on both: pwrite,
 * pread, mapped reads, shared and private mapped writes, ftruncate,
 * fallocate's hole punching and range zeroing (with and without
 * KEEP_SIZE), fsync/fdatasync, close and reopen, fstat.  The first result
 * that differs from the model stops the run with the seed, the op number
 * and the last LOG_LEN ops, which is all it takes to replay the failure.
 *
 * The model is a byte buffer that grows on demand (never past --maxlen) and
 * the file size.  Invariant: bytes [size, cap) of the buffer are zero, so a
 * write past EOF or a growing truncate leaves the zeros a hole must read as;
 * a shrinking truncate zeroes what it cuts off.  A punched hole or a zeroed
 * range zeroes the bytes of the range below the size; a zeroed range
 * without KEEP_SIZE that ends past EOF moves the size to its end (punching
 * always keeps the size, as Linux requires).
 *
 * Checks.  After every op fstat must report the model size; every
 * CHECK_EVERY ops, at the end, and again after a final close and reopen, the
 * whole file is read back and compared.  A read checks its bytes and its
 * count (short at EOF, 0 past it).  A private mapped write checks that the
 * mapping shows the new bytes and the file does not, mapped and unmapped.
 * A punch or zero reads its range back at once.
 *
 * Determinism.  One splitmix64 stream seeded with --seed draws the ops, their
 * parameters and the data (all in pick_params()), with 64-bit integer
 * arithmetic and explicit byte order only, so a seed names the same run on
 * any machine.  Offsets aim at a fixed 4096-byte page (PG_HINT), whatever
 * mmap's page size: on boundaries, just either side, at and around EOF and
 * the end of EOF's page, past EOF (leaving holes), and uniformly.  Lengths
 * are small, whole pages, or end on, just before or just after a boundary.
 * --no-mmap and --no-falloc change the sequence: mapped ops, or punch and
 * zero ops, are drawn again.  A file system without hole punching or
 * ZERO_RANGE fails the run (EOPNOTSUPP) rather than quietly skipping them:
 * run it with --no-falloc.
 *
 * Mappings start at the machine page holding the first byte (mmap offsets
 * must be aligned), never cover zero bytes, and only bytes below EOF are
 * touched, so a correct file system never raises SIGBUS; a file system that
 * does is reported like any other failure.
 */
#define _GNU_SOURCE
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "rng.h"
#include "size.h"

#define PROG "fsx"
#ifndef FRAMEFS_VERSION
#define FRAMEFS_VERSION "unknown"
#endif

#define PG_HINT		4096u		/* page the offsets aim at (not mmap's) */
#define MAX_OPLEN	(16 * PG_HINT)	/* longest read, write or mapped range */
#define CHECK_EVERY	100		/* full-file compare every this many ops */
#define LOG_LEN		20		/* ops shown when a run fails */
#define NOT_DONE	UINT64_MAX	/* logent.size_after of the failing op */

enum op {
	OP_WRITE, OP_READ, OP_MAPREAD, OP_MAPWRITE, OP_PRIVWRITE,
	OP_TRUNCATE, OP_FSYNC, OP_REOPEN, OP_STAT, OP_PUNCH, OP_ZERO,
	OP_CHECK, NR_OPS
};

/* Each op's name and its odds of being drawn; OP_CHECK is never drawn. */
static const struct { const char *name; unsigned weight; } ops[NR_OPS] = {
	[OP_WRITE] = { "write", 20 },	[OP_READ] = { "read", 20 },
	[OP_MAPREAD] = { "mapread", 10 }, [OP_MAPWRITE] = { "mapwrite", 10 },
	[OP_PRIVWRITE] = { "privwrite", 5 }, [OP_TRUNCATE] = { "truncate", 8 },
	[OP_FSYNC] = { "fsync", 4 },	[OP_REOPEN] = { "reopen", 3 },
	[OP_STAT] = { "stat", 3 },	[OP_PUNCH] = { "punch", 4 },
	[OP_ZERO] = { "zero", 4 },	[OP_CHECK] = { "check", 0 },
};

struct logent {
	uint64_t opno;			/* 1-based; 0: slot never used */
	enum op op;
	const char *note;		/* "msync", "fdatasync", "fsync",
					 * "keep_size" (zero) or "" */
	uint64_t off, nbytes;		/* range; truncate: off is the new size */
	uint64_t size_before;
	uint64_t size_after;		/* NOT_DONE until the op completes */
};

struct fsx {
	uint64_t seed;
	uint64_t rng;			/* splitmix64 state */
	const char *path;		/* DIR/NAME */
	int fd;
	bool use_mmap, use_falloc, verbose;
	uint64_t maxlen;		/* largest file size, bytes */
	uint64_t pagesize;		/* the machine's, for mmap alignment only */
	unsigned char *model;		/* expected contents; [size, cap) zero */
	uint64_t size, cap;		/* model size and allocated bytes */
	unsigned char *data, *buf;	/* MAX_OPLEN each: to write, read back */
	struct logent log[LOG_LEN];	/* ring, indexed by opno % LOG_LEN */
	struct logent *cur;		/* op or check being done */
	uint64_t count[NR_OPS];		/* completed ops by kind */
};

static struct fsx *sigbus_fsx;		/* the run, for the SIGBUS handler */

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* splitmix64 (common/rng.h): any seed, including 0, works. */
static uint64_t rnd(struct fsx *f)
{
	return rng_splitmix64(&f->rng);
}

/* A number in [0, n); the slight modulo bias does not matter here. */
static uint64_t rnd_below(struct fsx *f, uint64_t n)
{
	return n ? rnd(f) % n : 0;
}

static void rnd_fill(struct fsx *f, unsigned char *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i += 8) {
		uint64_t r = rnd(f);

		for (uint64_t j = 0; j < 8 && i + j < n; j++)
			p[i + j] = (unsigned char)(r >> (8 * j));
	}
}

/* ---- reporting ---- */

static void describe(const struct logent *e, char *s, size_t n)
{
	const char *name = *e->note ? e->note : ops[e->op].name;

	if (e->op == OP_TRUNCATE)
		snprintf(s, n, "truncate to=%" PRIu64, e->off);
	else if (e->op == OP_FSYNC || e->op == OP_REOPEN || e->op == OP_STAT)
		snprintf(s, n, "%s", name);
	else
		snprintf(s, n, "%s off=%" PRIu64 " len=%" PRIu64 "%s%s",
			 ops[e->op].name, e->off, e->nbytes,
			 *e->note ? " " : "", e->note);
}

/*
 * The one failure exit.  With in_range, the file disagreed with the model:
 * "fsx: seed S op #i (NAME off=.. len=..): msg".  Otherwise a call failed:
 * "fsx: seed S op #i NAME: msg".  Either way the last ops follow.
 */
__attribute__((format(printf, 3, 4)))
static _Noreturn void fail(struct fsx *f, bool in_range, const char *fmt, ...)
{
	const char *name = f->cur->op == OP_FSYNC ? f->cur->note :
						    ops[f->cur->op].name;
	char d[96];
	va_list ap;

	describe(f->cur, d, sizeof(d));
	fprintf(stderr, PROG ": seed %" PRIu64 " op #%" PRIu64 " ", f->seed,
		f->cur->opno);
	fprintf(stderr, in_range ? "(%s): " : "%s: ", in_range ? d : name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nlast ops, oldest first:\n");
	for (uint64_t i = 1; i <= LOG_LEN; i++) {
		const struct logent *e = &f->log[(f->cur->opno + i) % LOG_LEN];
		char after[32] = "(failed here)";

		if (!e->opno)
			continue;
		if (e->size_after != NOT_DONE)
			snprintf(after, sizeof(after), "-> %" PRIu64,
				 e->size_after);
		describe(e, d, sizeof(d));
		fprintf(stderr, "  #%-7" PRIu64 " %-40s size %" PRIu64 " %s\n",
			e->opno, d, e->size_before, after);
	}
	exit(1);
}

static _Noreturn void fail_io(struct fsx *f, const char *call, int err)
{
	fail(f, false, "%s: %s", call, strerror(err));
}

/*
 * SIGBUS can only come from touching a mapping, synchronously, on this
 * thread, never from inside stdio or malloc, so reporting with stdio from
 * the handler is safe here.
 */
static void on_sigbus(int sig)
{
	(void)sig;
	fail(sigbus_fsx, false, "SIGBUS touching the mapping");
}

/* ---- the model ---- */

static void model_reserve(struct fsx *f, uint64_t n)
{
	uint64_t cap = min_u64(f->cap * 2 > n ? f->cap * 2 : n, f->maxlen);
	unsigned char *p;

	if (n <= f->cap)
		return;
	p = realloc(f->model, cap);
	if (!p) {
		fprintf(stderr, PROG ": model of %" PRIu64 " bytes: %s\n",
			cap, strerror(ENOMEM));
		exit(1);
	}
	memset(p + f->cap, 0, cap - f->cap);
	f->model = p;
	f->cap = cap;
}

static void model_write(struct fsx *f, uint64_t off, const void *p,
			uint64_t n)
{
	model_reserve(f, off + n);
	memcpy(f->model + off, p, n);
	if (off + n > f->size)
		f->size = off + n;
}

static void model_truncate(struct fsx *f, uint64_t n)
{
	if (n < f->size)
		memset(f->model + n, 0, f->size - n);
	else
		model_reserve(f, n);
	f->size = n;
}

/* A punched hole or a zeroed range: [off, off + n) reads as zeros; without
 * keep_size the size moves to off + n if that is further (the bytes in
 * between are zeros already). */
static void model_zero(struct fsx *f, uint64_t off, uint64_t n,
		       bool keep_size)
{
	if (!keep_size && off + n > f->size) {
		model_reserve(f, off + n);
		f->size = off + n;
	}
	if (off < f->size)
		memset(f->model + off, 0, min_u64(off + n, f->size) - off);
}

/* ---- checks against the model ---- */

/* got[0..n) came from the file at off; want[0..n) is what it should be. */
static void compare(struct fsx *f, uint64_t off, const unsigned char *want,
		    const unsigned char *got, uint64_t n)
{
	uint64_t i = 0, bad = 0;

	if (!memcmp(want, got, n))
		return;
	while (want[i] == got[i])
		i++;
	for (uint64_t j = i; j < n; j++)
		bad += want[j] != got[j];
	fail(f, true, "mismatch at offset %" PRIu64 ": expected 0x%02x got "
	     "0x%02x\n  (%" PRIu64 " of %" PRIu64 " bytes from offset %" PRIu64
	     " differ; the first is byte %" PRIu64 " of 4 KiB page %" PRIu64
	     ")", off + i, want[i], got[i], bad, n, off, (off + i) % PG_HINT,
	     (off + i) / PG_HINT);
}

static void check_size(struct fsx *f)
{
	struct stat st;

	if (fstat(f->fd, &st))
		fail_io(f, "fstat", errno);
	if ((uint64_t)st.st_size != f->size)
		fail(f, true, "size mismatch: expected %" PRIu64 " got %jd",
		     f->size, (intmax_t)st.st_size);
}

/* pread [off, off + n) and check the count and every byte; n <= MAX_OPLEN. */
static void check_range(struct fsx *f, uint64_t off, uint64_t n)
{
	uint64_t want = off >= f->size ? 0 : min_u64(n, f->size - off);
	ssize_t got = pread(f->fd, f->buf, n, (off_t)off);

	if (got < 0)
		fail_io(f, "pread", errno);
	if ((uint64_t)got != want)
		fail(f, true, "pread of %" PRIu64 " bytes at %" PRIu64
		     " returned %zd, expected %" PRIu64 " (size %" PRIu64 ")",
		     n, off, got, want, f->size);
	if (want)
		compare(f, off, f->model + off, f->buf, want);
}

static void reopen(struct fsx *f)
{
	if (close(f->fd))
		fail_io(f, "close", errno);
	f->fd = open(f->path, O_RDWR);
	if (f->fd < 0)
		fail_io(f, "open", errno);
}

/* The size, the whole file, then a read at EOF that must return 0. */
static void check_file(struct fsx *f, uint64_t after_opno, bool reopen_first)
{
	struct logent e = {
		.opno = after_opno, .op = OP_CHECK, .note = "",
		.nbytes = f->size, .size_before = f->size,
	};
	struct logent *saved = f->cur;

	f->cur = &e;
	if (reopen_first)
		reopen(f);
	check_size(f);
	for (uint64_t off = 0; off < f->size; off += MAX_OPLEN)
		check_range(f, off, min_u64(MAX_OPLEN, f->size - off));
	check_range(f, f->size, 1);
	f->cur = saved;
}

/* ---- drawing ops and their parameters ---- */

/* An offset in [0, lim), lim > 0, aimed at where page cache bugs live. */
static uint64_t pick_off(struct fsx *f, uint64_t lim)
{
	uint64_t pages = lim / PG_HINT + 1;
	uint64_t eof_page_end = (f->size + PG_HINT - 1) / PG_HINT * PG_HINT;
	int64_t wobble = (int64_t)rnd_below(f, 33) - 16;
	int64_t off;

	switch (rnd_below(f, 6)) {
	case 0:		/* on a page boundary */
		off = (int64_t)(rnd_below(f, pages) * PG_HINT);
		break;
	case 1:		/* just either side of one */
		off = (int64_t)(rnd_below(f, pages) * PG_HINT) + wobble;
		break;
	case 2:		/* at or around EOF */
		off = (int64_t)f->size + (rnd_below(f, 2) ? wobble : 0);
		break;
	case 3:		/* around the end of EOF's page */
		off = (int64_t)eof_page_end + wobble;
		break;
	default:
		off = (int64_t)rnd_below(f, lim);
		break;
	}
	if (off < 0)
		off = 0;
	if ((uint64_t)off >= lim)
		off = (int64_t)rnd_below(f, lim);
	return (uint64_t)off;
}

/* A length in [1, MAX_OPLEN] for a range starting at off. */
static uint64_t pick_len(struct fsx *f, uint64_t off)
{
	uint64_t to_boundary = PG_HINT - off % PG_HINT, n;

	switch (rnd_below(f, 6)) {
	case 0:		/* small, often within one page */
		n = 1 + rnd_below(f, 64);
		break;
	case 1:		/* whole pages */
		n = (1 + rnd_below(f, 4)) * PG_HINT;
		break;
	case 2:		/* ends just before, on, or just after a boundary */
		n = to_boundary + rnd_below(f, 3) - 1;
		break;
	case 3:		/* ends on a boundary some pages on */
		n = to_boundary + rnd_below(f, 4) * PG_HINT;
		break;
	default:
		n = 1 + rnd_below(f, MAX_OPLEN);
		break;
	}
	return n < 1 ? 1 : min_u64(n, MAX_OPLEN);
}

static enum op pick_op(struct fsx *f)
{
	unsigned total = 0;

	for (int op = 0; op < NR_OPS; op++)
		total += ops[op].weight;
	for (;;) {
		uint64_t r = rnd_below(f, total);
		int op = 0;

		while (r >= ops[op].weight)
			r -= ops[op++].weight;
		if ((op == OP_MAPREAD || op == OP_MAPWRITE ||
		     op == OP_PRIVWRITE) && (!f->use_mmap || f->size == 0))
			continue;
		if ((op == OP_PUNCH || op == OP_ZERO) && !f->use_falloc)
			continue;
		return (enum op)op;
	}
}

/*
 * Draw e->op's range, variant and data (into f->data).  This and pick_op()
 * are the only users of the PRNG, so the run is fixed by the seed alone.
 */
static void pick_params(struct fsx *f, struct logent *e)
{
	uint64_t lim = f->maxlen;

	switch (e->op) {
	case OP_WRITE:
		/* Mostly in or just past the file; one in four anywhere. */
		if (rnd_below(f, 4) && f->size + 4 * PG_HINT < f->maxlen)
			lim = f->size + 4 * PG_HINT;
		e->off = pick_off(f, lim);
		e->nbytes = min_u64(pick_len(f, e->off), f->maxlen - e->off);
		rnd_fill(f, f->data, e->nbytes);
		break;
	case OP_READ:
		e->off = pick_off(f, f->size + 2 * PG_HINT);
		e->nbytes = pick_len(f, e->off);
		break;
	case OP_MAPWRITE:
		e->note = rnd_below(f, 2) ? "msync" : "";
		/* fall through */
	case OP_MAPREAD:
	case OP_PRIVWRITE:
		/* Inside the file, which pick_op() saw is not empty. */
		e->off = pick_off(f, f->size);
		e->nbytes = min_u64(pick_len(f, e->off), f->size - e->off);
		if (e->op != OP_MAPREAD)
			rnd_fill(f, f->data, e->nbytes);
		break;
	case OP_TRUNCATE:
		e->off = pick_off(f, f->maxlen + 1);
		break;
	case OP_ZERO:
		e->note = rnd_below(f, 2) ? "keep_size" : "";
		/* fall through */
	case OP_PUNCH:
		/* As a write: mostly in or just past the file. */
		if (rnd_below(f, 4) && f->size + 4 * PG_HINT < f->maxlen)
			lim = f->size + 4 * PG_HINT;
		e->off = pick_off(f, lim);
		e->nbytes = min_u64(pick_len(f, e->off), f->maxlen - e->off);
		break;
	case OP_FSYNC:
		e->note = rnd_below(f, 2) ? "fdatasync" : "fsync";
		break;
	default:
		break;
	}
}

/* ---- doing them ---- */

static void do_mapped(struct fsx *f, struct logent *e)
{
	uint64_t start = e->off - e->off % f->pagesize;
	size_t len = (size_t)(e->off + e->nbytes - start);
	int prot = PROT_READ | (e->op == OP_MAPREAD ? 0 : PROT_WRITE);
	int flags = e->op == OP_PRIVWRITE ? MAP_PRIVATE : MAP_SHARED;
	unsigned char *base, *p;

	base = mmap(NULL, len, prot, flags, f->fd, (off_t)start);
	if (base == MAP_FAILED)
		fail_io(f, "mmap", errno);
	p = base + (e->off - start);
	if (e->op == OP_MAPREAD) {
		compare(f, e->off, f->model + e->off, p, e->nbytes);
	} else {
		memcpy(p, f->data, e->nbytes);
		compare(f, e->off, f->data, p, e->nbytes);
	}
	if (e->op == OP_PRIVWRITE)
		check_range(f, e->off, e->nbytes);	/* file unchanged */
	if (*e->note && msync(base, len, MS_SYNC))
		fail_io(f, "msync", errno);
	if (munmap(base, len))
		fail_io(f, "munmap", errno);
	if (e->op == OP_MAPWRITE)
		model_write(f, e->off, f->data, e->nbytes);
	if (e->op == OP_PRIVWRITE)
		check_range(f, e->off, e->nbytes);	/* still unchanged */
}

/* PUNCH_HOLE (with KEEP_SIZE, which Linux requires) or ZERO_RANGE, with
 * KEEP_SIZE when the note says so; the range is read back at once. */
static void do_falloc(struct fsx *f, struct logent *e)
{
	bool keep = e->op == OP_PUNCH || *e->note;
	int mode = (e->op == OP_PUNCH ? FALLOC_FL_PUNCH_HOLE :
					FALLOC_FL_ZERO_RANGE) |
		   (keep ? FALLOC_FL_KEEP_SIZE : 0);

	if (fallocate(f->fd, mode, (off_t)e->off, (off_t)e->nbytes)) {
		if (errno == EOPNOTSUPP)
			fail(f, false, "fallocate: %s (--no-falloc runs "
			     "without punch and zero)", strerror(errno));
		fail_io(f, "fallocate", errno);
	}
	model_zero(f, e->off, e->nbytes, keep);
	check_range(f, e->off, e->nbytes);
}

static void do_op(struct fsx *f, struct logent *e)
{
	ssize_t n;

	switch (e->op) {
	case OP_WRITE:
		n = pwrite(f->fd, f->data, e->nbytes, (off_t)e->off);
		if (n < 0)
			fail_io(f, "pwrite", errno);
		if ((uint64_t)n != e->nbytes)
			fail(f, false, "pwrite: wrote %zd of %" PRIu64 " bytes",
			     n, e->nbytes);
		model_write(f, e->off, f->data, e->nbytes);
		break;
	case OP_READ:
		check_range(f, e->off, e->nbytes);
		break;
	case OP_MAPREAD: case OP_MAPWRITE: case OP_PRIVWRITE:
		do_mapped(f, e);
		break;
	case OP_TRUNCATE:
		if (ftruncate(f->fd, (off_t)e->off))
			fail_io(f, "ftruncate", errno);
		model_truncate(f, e->off);
		break;
	case OP_FSYNC:
		if (strcmp(e->note, "fsync") ? fdatasync(f->fd) : fsync(f->fd))
			fail_io(f, e->note, errno);
		break;
	case OP_REOPEN:
		reopen(f);
		break;
	case OP_PUNCH: case OP_ZERO:
		do_falloc(f, e);
		break;
	default:	/* OP_STAT */
		check_size(f);
		break;
	}
}

static void run(struct fsx *f, uint64_t nops)
{
	char d[96];

	for (uint64_t i = 1; i <= nops; i++) {
		struct logent *e = &f->log[i % LOG_LEN];

		*e = (struct logent){
			.opno = i, .op = pick_op(f), .note = "",
			.size_before = f->size, .size_after = NOT_DONE,
		};
		f->cur = e;
		pick_params(f, e);
		if (f->verbose) {
			describe(e, d, sizeof(d));
			fprintf(stderr, PROG ": #%" PRIu64 " %s (size %" PRIu64
				")\n", i, d, f->size);
		}
		do_op(f, e);
		check_size(f);
		e->size_after = f->size;
		f->count[e->op]++;
		if (i % CHECK_EVERY == 0)
			check_file(f, i, false);
	}
	check_file(f, nops, false);
	check_file(f, nops, true);
}

/* ---- command line ---- */

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [--seed S] [--ops N] [--maxlen BYTES] [--file NAME]\n"
"           [--no-mmap] [--no-falloc] [--verbose] DIR\n"
"\n"
"Runs a seeded random sequence of writes, reads, mapped reads and writes,\n"
"truncates, punched holes and zeroed ranges (fallocate), syncs and reopens\n"
"on DIR/NAME and checks every result against a model of the file.  The\n"
"first difference stops the run with the seed, the op number and the last\n"
"ops; the same seed replays the same ops anywhere.\n"
"The file is removed when the run passes, kept when it fails.\n"
"\n"
"  -s, --seed S        PRNG seed (default: from the clock; always printed)\n"
"  -n, --ops N         number of operations (default 3000)\n"
"  -l, --maxlen BYTES  largest file size; k, M, G suffixes (default 4M)\n"
"  -f, --file NAME     file to create in DIR (default fsx.dat)\n"
"  -M, --no-mmap       no mapped ops, for file systems without mmap\n"
"  -F, --no-falloc     no punch and zero ops, for file systems without\n"
"                      FALLOC_FL_PUNCH_HOLE or FALLOC_FL_ZERO_RANGE\n"
"  -v, --verbose       print each op on stderr before doing it\n"
"  -h, --help          this help\n"
"  -V, --version       print the version\n"
"\n"
"examples:\n"
"  " PROG " --seed 1 --ops 5000 /mnt/framefs\n"
"  " PROG " --seed 7 --maxlen 64k --verbose /tmp/t    small file, ops shown\n"
"\n"
"Output: on success one line on stdout, \"" PROG ": seed S: N ops ok (...)\";\n"
"on failure the reason and the last ops on stderr.\n"
"Exit status: 0 ok, 1 mismatch or I/O error, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "maxlen", required_argument, NULL, 'l' },
		{ "file", required_argument, NULL, 'f' },
		{ "no-mmap", no_argument, NULL, 'M' },
		{ "no-falloc", no_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct fsx f = { .use_mmap = true, .use_falloc = true,
			 .maxlen = 4 << 20, .fd = -1 };
	struct sigaction sa = { .sa_handler = on_sigbus };
	const char *name = "fsx.dat";
	uint64_t nops = 3000;
	bool seeded = false;
	char *path = NULL;
	int opt, status = 1;

	opterr = 0;	/* one line of our own instead */
	while ((opt = getopt_long(argc, argv, "s:n:l:f:MFvhV", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			seeded = true;
			if (!parse_u64_all(optarg, &f.seed))
				goto bad_arg;
			break;
		case 'n':
			if (!parse_u64_all(optarg, &nops))
				goto bad_arg;
			break;
		case 'l':
			if (size_parse(optarg, &f.maxlen) < 0 || !f.maxlen ||
			    f.maxlen > (uint64_t)1 << 40 ||
			    f.maxlen > SIZE_MAX / 2)
				goto bad_arg;
			break;
		case 'f':
			name = optarg;
			if (!*name)
				goto bad_arg;
			break;
		case 'M': f.use_mmap = false; break;
		case 'F': f.use_falloc = false; break;
		case 'v': f.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " " FRAMEFS_VERSION "\n"); return 0;
		default:
			fprintf(stderr, PROG ": %s: unknown option or missing "
				"argument (try --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, PROG ": %s (try --help)\n",
			optind == argc ? "missing DIR" : "one DIR only");
		return 2;
	}
	if (!seeded)
		f.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	f.rng = f.seed;
	f.pagesize = (uint64_t)sysconf(_SC_PAGESIZE);
	f.data = malloc(MAX_OPLEN);
	f.buf = malloc(MAX_OPLEN);
	if (asprintf(&path, "%s/%s", argv[optind], name) < 0) {
		path = NULL;
		goto out_nomem;
	}
	if (!f.data || !f.buf)
		goto out_nomem;
	f.path = path;
	f.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (f.fd < 0)
		goto out_err;
	sigbus_fsx = &f;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);

	run(&f, nops);

	if (close(f.fd) || unlink(path))
		goto out_err;
	printf(PROG ": seed %" PRIu64 ": %" PRIu64 " ops ok (%" PRIu64
	       " writes, %" PRIu64 " reads, %" PRIu64 " mapped reads, %"
	       PRIu64 " mapped writes, %" PRIu64 " private writes, %" PRIu64
	       " truncates, %" PRIu64 " punches, %" PRIu64 " zeroes, %" PRIu64
	       " fsyncs, %" PRIu64 " reopens)\n",
	       f.seed, nops, f.count[OP_WRITE], f.count[OP_READ],
	       f.count[OP_MAPREAD], f.count[OP_MAPWRITE],
	       f.count[OP_PRIVWRITE], f.count[OP_TRUNCATE],
	       f.count[OP_PUNCH], f.count[OP_ZERO], f.count[OP_FSYNC],
	       f.count[OP_REOPEN]);
	status = 0;
	goto out_free;

out_nomem:
	errno = ENOMEM;
out_err:
	fprintf(stderr, PROG ": %s: %s\n", path ? path : "setup",
		strerror(errno));
out_free:
	free(f.model);
	free(f.data);
	free(f.buf);
	free(path);
	return status;

bad_arg:
	for (int i = 0; opts[i].name; i++)
		if (opts[i].val == opt)
			fprintf(stderr, PROG ": --%s: '%s': %s\n", opts[i].name,
				optarg, opt == 'l' ? "not a size from 1 to 1T" :
				opt == 'f' ? "empty name" :
				"not a decimal number");
	return 2;
}
