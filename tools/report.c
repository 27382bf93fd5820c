/* report.c - compare's report: results.csv made into summary.md, PNG plots
 * and one self-contained report.html.
 *
 * Step 1, read.  results.csv is read whole and parsed as RFC 4180 in place
 * (a quoted field decodes into no more bytes than it took, so fields are
 * NUL-terminated strings inside the one buffer, and every row points into
 * it).  Columns are found by header name; the nine that say what a cell is
 * (wl .. status) must be there, every figure may be absent (an empty
 * figure), unknown columns and rows of an unknown kind are passed over so
 * that compare may add both.  A malformed record is -EINVAL naming the
 * line it starts on; a partial report from a partial parse would show a
 * person wrong numbers.
 *
 * Step 2, group.  Per workload, rows that succeeded are grouped into cells
 * by (kind, policy, frames, refscan, latency): the repeats of a cell are
 * its rows, and each figure of a cell is the median and range of its
 * rows' (struct stat).  Failed rows are listed apart.  Live cells are then
 * sorted by frames, refscan, latency and the policy's first appearance in
 * the file, so that a pool size's rows stand together; a sim cell carries
 * no refscan or latency (the true trace has neither) and a seen cell the
 * live cell's.  A seen row names only the policy framesim ran (the live
 * cell's, or opt), so which live cell's trace it replayed comes from the
 * order of the file: compare writes a live row and then its seen rows
 * (row_owner()); seen cells are keyed by that live policy as well.
 *
 * Step 3, tables.  One table model (struct trow) serves both summary.md and
 * report.html, so the two pages always show the same figures; the best
 * marks are made there: per column, the lowest median among the live cells
 * of the same frames (policies compared at equal memory; across pool sizes
 * the largest pool would win every column and say nothing).
 *
 * Step 4, pictures.  Each plot writes its data to OUTDIR/plots/wN-what.dat
 * (gnuplot index blocks, one per line drawn) and its script beside it as
 * .gp, then runs gnuplot (common/plot.h) on the script.  A plot that varies
 * one setting holds the others at the workload's reference settings
 * (ref_pick(): the value most cells have; ties go to the smallest pool,
 * the fastest refscan and the fastest store) and its title says which.  A
 * picture the data no longer make is removed, so a re-run never shows a
 * stale one.
 *
 * Step 5, pages.  summary.md and report.html are written to a temporary
 * name and renamed.  Neither holds the time of the call: "when" is
 * results.csv's modification time, so two calls over the same directory
 * write the same pages.  report.html embeds every PNG as a data: URI and
 * links only to results.csv and summary.md.
 */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "plot.h"

#define PATH_BYTES	4096
#define DASH		"\xe2\x80\x93"	/* en dash, UTF-8 */
#define MDASH		"\xe2\x80\x94"	/* em dash: no value */

static int why_set(char *why, size_t whylen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int why_set(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (whylen)
		vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return rc;
}

/* The whole of PATH in *buf (malloc'd, with a NUL after its *len bytes).
 * 0, or -errno. */
static int file_slurp(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, n = 0, got;
	char *b, *nb;
	int rc = 0;

	if (!f)
		return -errno;
	b = malloc(cap + 1);
	if (!b) {
		fclose(f);
		return -ENOMEM;
	}
	while ((got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n < cap)
			continue;
		nb = realloc(b, cap * 2 + 1);
		if (!nb) {
			rc = -ENOMEM;
			break;
		}
		b = nb;
		cap *= 2;
	}
	if (!rc && ferror(f))
		rc = -EIO;
	fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* Room in the array *PP (of *CAP elements of SIZE bytes, N used) for one
 * more: 0, or -ENOMEM with the array as it was. */
static int array_room(void *pp, size_t *cap, size_t n, size_t size)
{
	void **p = pp, *np;
	size_t ncap = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return 0;
	np = realloc(*p, ncap * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

/* ---- Step 1: RFC 4180, in place --------------------------------------- */

struct csv {
	char *p, *end;		/* the text not yet read */
	unsigned line;		/* the line p is on, 1-based */
	char **f;		/* the last record's nf fields */
	size_t nf, cap;
};

static int csv_push(struct csv *c, char *field)
{
	if (array_room(&c->f, &c->cap, c->nf, sizeof(*c->f)) < 0)
		return -ENOMEM;
	c->f[c->nf++] = field;
	return 0;
}

/* The next record, blank lines skipped: 1 with c->f[0..nf) and *line (the
 * line it starts on); 0 at the end; -EINVAL (WHY names NAME and the line)
 * or -ENOMEM. */
static int csv_next(struct csv *c, const char *name, unsigned *line,
		    char *why, size_t whylen)
{
	char *r, *w, *start;

next_record:
	r = c->p;
	if (r >= c->end)
		return 0;
	*line = c->line;
	c->nf = 0;
	for (;;) {
		start = w = r;
		if (csv_push(c, start) < 0)
			return -ENOMEM;
		if (r < c->end && *r == '"') {
			for (r++;;) {
				if (r >= c->end)
					return why_set(why, whylen, -EINVAL,
						"%s: line %u: unterminated "
						"quoted field", name, *line);
				if (*r == '"' && r + 1 < c->end &&
				    r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					if (*r == '\n')
						c->line++;
					*w++ = *r++;
				}
			}
			if (r < c->end && *r == '\r' &&
			    (r + 1 == c->end || r[1] == '\n'))
				r++;
			if (r < c->end && *r != ',' && *r != '\n')
				return why_set(why, whylen, -EINVAL,
					"%s: line %u: text after a closing "
					"quote", name, c->line);
		} else {
			while (r < c->end && *r != ',' && *r != '\n') {
				if (*r == '"')
					return why_set(why, whylen, -EINVAL,
						"%s: line %u: a quote inside "
						"an unquoted field", name,
						c->line);
				*w++ = *r++;
			}
			if (w > start && w[-1] == '\r')
				w--;
		}
		if (r < c->end && *r == ',') {
			*w = '\0';
			r++;
			continue;
		}
		*w = '\0';	/* at the end, the NUL after the text */
		if (r < c->end) {
			r++;
			c->line++;
		}
		c->p = r;
		if (c->nf == 1 && !c->f[0][0])
			goto next_record;
		return 1;
	}
}

/* The index of column NAME in the header, or -1. */
static int col_find(char **head, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(head[i], name))
			return (int)i;
	return -1;
}

/* A figure's text: empty is NAN, anything but a whole number is false. */
static bool num_parse(const char *s, double *v)
{
	char *end;

	if (!*s) {
		*v = NAN;
		return true;
	}
	errno = 0;
	*v = strtod(s, &end);
	return !errno && end != s && !*end && isfinite(*v);
}

enum kind { K_LIVE, K_SIM, K_SEEN, K_KERNEL, K_N };
static const char *const kind_names[K_N] = { "live", "sim", "seen",
					     "kernel" };

/* The columns read.  The figures come last, in enum fig's order. */
enum col {
	COL_WL, COL_WORKLOAD, COL_KIND, COL_POLICY, COL_FRAMES, COL_REFSCAN,
	COL_LATENCY, COL_REPEAT, COL_STATUS, COL_SERIES,
	COL_FIG0,
};
#define COL_REQUIRED COL_SERIES	/* the columns before it must exist */

enum fig {
	F_MISS_RATIO, F_MAJFLT, F_HITS, F_EVICTIONS, F_WRITEBACKS,
	F_ELAPSED, F_MISSES, F_REQUESTS, F_TOUCHES, F_MEM_PAGES, F_N,
};
#define COL_N (COL_FIG0 + F_N)

static const char *const col_names[COL_N] = {
	"wl", "workload", "kind", "policy", "frames", "refscan",
	"store_latency", "repeat", "status", "series",
	"miss_ratio", "majflt", "fs_frame_hits", "evictions", "writebacks",
	"elapsed_s", "misses", "requests", "touches", "mem_pages",
};

struct row {
	unsigned line;		/* in results.csv, for messages */
	unsigned wl, repeat;
	enum kind kind;
	const char *workload, *policy, *refscan, *latency, *status, *series;
	const char *of;		/* seen: the policy of the live row it
				 * replays; else policy */
	uint64_t frames;
	bool ok;		/* status is "ok" */
	double v[F_N];		/* NAN: the row has no such figure */
};

struct results {
	char *text;		/* results.csv; rows point into it */
	struct row *rows;
	size_t nrows;
	unsigned max_wl, max_repeat;
};

static int row_parse(struct row *r, char **f, const int *col, unsigned line,
		     char *why, size_t whylen)
{
	uint64_t u;
	int k;

	memset(r, 0, sizeof(*r));
	r->line = line;
	for (k = 0; k < K_N; k++)
		if (!strcmp(f[col[COL_KIND]], kind_names[k]))
			break;
	if (k == K_N)
		return 0;	/* a kind this report does not know */
	r->kind = (enum kind)k;
	if (!parse_u64_all(f[col[COL_WL]], &u) || u < 1 || u > 100000)
		return why_set(why, whylen, -EINVAL, "results.csv: line %u: "
			       "wl: '%s' is not a workload number", line,
			       f[col[COL_WL]]);
	r->wl = (unsigned)u;
	if (!parse_u64_all(f[col[COL_FRAMES]], &r->frames))
		return why_set(why, whylen, -EINVAL, "results.csv: line %u: "
			       "frames: '%s' is not a number", line,
			       f[col[COL_FRAMES]]);
	u = 1;
	if (f[col[COL_REPEAT]][0] &&
	    (!parse_u64_all(f[col[COL_REPEAT]], &u) || u > 100000))
		return why_set(why, whylen, -EINVAL, "results.csv: line %u: "
			       "repeat: '%s' is not a number", line,
			       f[col[COL_REPEAT]]);
	r->repeat = (unsigned)u;
	r->workload = f[col[COL_WORKLOAD]];
	r->policy = f[col[COL_POLICY]];
	r->refscan = f[col[COL_REFSCAN]];
	r->latency = f[col[COL_LATENCY]];
	r->status = f[col[COL_STATUS]];
	r->series = col[COL_SERIES] >= 0 ? f[col[COL_SERIES]] : "";
	r->ok = !strcmp(r->status, "ok");
	r->of = r->policy;
	for (int i = 0; i < F_N; i++) {
		int c = col[COL_FIG0 + i];

		r->v[i] = NAN;
		if (c >= 0 && !num_parse(f[c], &r->v[i]))
			return why_set(why, whylen, -EINVAL, "results.csv: "
				       "line %u: %s: '%s' is not a number",
				       line, col_names[COL_FIG0 + i], f[c]);
	}
	/* Frame hits from the policy's figures where fs_ is absent. */
	if (isnan(r->v[F_HITS]) && r->kind == K_LIVE &&
	    !isnan(r->v[F_REQUESTS]) && !isnan(r->v[F_MISSES]))
		r->v[F_HITS] = r->v[F_REQUESTS] - r->v[F_MISSES];
	return 1;
}

/* A seen row replays the trace of the live row written just before it
 * (compare writes a live row, then its seen rows): the row at *LIVE when
 * that one has the same workload and setting.  Updates *LIVE, the index of
 * the last live row. */
static void row_owner(struct results *res, size_t *live)
{
	struct row *r = &res->rows[res->nrows];
	const struct row *l = *live < res->nrows ? &res->rows[*live] : NULL;

	if (r->kind == K_LIVE)
		*live = res->nrows;
	else if (r->kind == K_SEEN && l && l->wl == r->wl &&
		 l->frames == r->frames && !strcmp(l->refscan, r->refscan) &&
		 !strcmp(l->latency, r->latency))
		r->of = l->policy;
}

/* Reads OUTDIR/results.csv into RES.  0, or -errno with WHY. */
static int results_read(const char *outdir, struct results *res, char *why,
			size_t whylen)
{
	char path[PATH_BYTES], **head = NULL;
	struct csv c = { 0 };
	size_t len, nhead = 0, cap = 0, live = SIZE_MAX;
	int col[COL_N], rc;
	unsigned line;

	memset(res, 0, sizeof(*res));
	snprintf(path, sizeof(path), "%s/results.csv", outdir);
	rc = file_slurp(path, &res->text, &len);
	if (rc < 0)
		return why_set(why, whylen, rc, "%s: %s", path, strerror(-rc));
	if (memchr(res->text, '\0', len))
		return why_set(why, whylen, -EINVAL, "%s: a NUL byte: not a "
			       "CSV file", path);
	c.p = res->text;
	c.end = res->text + len;
	c.line = 1;
	rc = csv_next(&c, "results.csv", &line, why, whylen);
	if (rc == 0)
		rc = why_set(why, whylen, -EINVAL, "results.csv: line 1: "
			     "empty, no header");
	if (rc < 0)
		goto out;
	nhead = c.nf;
	head = malloc(nhead * sizeof(*head));
	if (!head) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(head, c.f, nhead * sizeof(*head));
	for (int i = 0; i < COL_N; i++) {
		col[i] = col_find(head, nhead, col_names[i]);
		if (col[i] < 0 && i < COL_REQUIRED) {
			rc = why_set(why, whylen, -EINVAL, "results.csv: "
				     "line 1: no column '%s'", col_names[i]);
			goto out;
		}
	}
	while ((rc = csv_next(&c, "results.csv", &line, why, whylen)) > 0) {
		if (c.nf != nhead) {
			rc = why_set(why, whylen, -EINVAL, "results.csv: "
				     "line %u: %zu fields, the header has "
				     "%zu", line, c.nf, nhead);
			goto out;
		}
		if (array_room(&res->rows, &cap, res->nrows,
			       sizeof(*res->rows)) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		rc = row_parse(&res->rows[res->nrows], c.f, col, line, why,
			       whylen);
		if (rc < 0)
			goto out;
		if (rc == 0)
			continue;
		row_owner(res, &live);
		if (res->rows[res->nrows].wl > res->max_wl)
			res->max_wl = res->rows[res->nrows].wl;
		if (res->rows[res->nrows].repeat > res->max_repeat)
			res->max_repeat = res->rows[res->nrows].repeat;
		res->nrows++;
	}
out:
	if (rc == -ENOMEM)
		why_set(why, whylen, rc, "results.csv: out of memory");
	free(head);
	free(c.f);
	return rc < 0 ? rc : 0;
}

static void results_release(struct results *res)
{
	free(res->rows);
	free(res->text);
}

/* ---- Step 2: cells ---------------------------------------------------- */

struct stat_fig {
	double med, min, max;
	unsigned n;		/* rows with the figure; 0: none */
};

struct cell {
	enum kind kind;
	const char *policy, *refscan, *latency;
	const char *of;		/* seen: the live policy replayed */
	uint64_t frames;
	double refscan_ps;	/* pages/s; -1 when empty */
	double latency_us;	/* sort key: none, ssd, hdd, numbers */
	unsigned prank;		/* the policy's first appearance */
	const struct row **rows;	/* the repeats that succeeded */
	size_t nrows, cap;
	struct stat_fig s[F_N];
};

enum pic_kind { P_FRAMES, P_REFSCAN, P_LATENCY, P_TIME, P_N };
static const char *const pic_names[P_N] = {
	"miss-frames", "faults-refscan", "elapsed-latency", "faults-time",
};

struct work {
	unsigned wl;
	const char *text;
	bool cmd;		/* a cmd: workload: faults are misses */
	struct cell *c;
	size_t nc, capc;
	const struct row **failed;
	size_t nfailed, capf;
	const struct cell *ref;	/* reference settings (ref_pick) */
	bool made[P_N];		/* wN-what.png written this time */
	char caption[P_N][512];
	char *notes;		/* lines for the reader; malloc'd */
	size_t notes_len;
};

static void work_note(struct work *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void work_note(struct work *w, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	char *n;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	len = strlen(line);
	n = realloc(w->notes, w->notes_len + len + 2);
	if (!n)
		return;
	memcpy(n + w->notes_len, line, len);
	n[w->notes_len + len] = '\n';
	n[w->notes_len + len + 1] = '\0';
	w->notes = n;
	w->notes_len += len + 1;
}

static bool is_opt(const char *policy)
{
	return !strcmp(policy, "opt") || !strncmp(policy, "opt:", 4);
}

/* A sort key for store latencies: about the microseconds a page costs
 * (fs/store.c: ssd 80, hdd a 4 ms seek), numbers as given. */
static double latency_key(const char *s)
{
	double v;

	if (!*s || !strcmp(s, "none"))
		return 0;
	if (!strcmp(s, "ssd"))
		return 80;
	if (!strcmp(s, "hdd"))
		return 4000;
	if (num_parse(s, &v))
		return v;
	return 1e12;
}

static int cell_cmp_key(const struct cell *a, const struct cell *b)
{
	if (a->frames != b->frames)
		return a->frames < b->frames ? -1 : 1;
	if (a->refscan_ps != b->refscan_ps)
		return a->refscan_ps < b->refscan_ps ? -1 : 1;
	if (a->latency_us != b->latency_us)
		return a->latency_us < b->latency_us ? -1 : 1;
	return strcmp(a->latency, b->latency);
}

static int cell_cmp(const void *pa, const void *pb)
{
	const struct cell *a = pa, *b = pb;
	int d = cell_cmp_key(a, b);

	if (d)
		return d;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->prank != b->prank)
		return a->prank < b->prank ? -1 : 1;
	return strcmp(a->policy, b->policy);
}

/* The cell of KIND, POLICY, OF (the live policy a seen cell replays) and
 * setting; a NULL OF, REFSCAN or LATENCY matches any. */
static struct cell *cell_find(struct work *w, enum kind kind,
			      const char *policy, const char *of,
			      uint64_t frames, const char *refscan,
			      const char *latency)
{
	for (size_t i = 0; i < w->nc; i++) {
		struct cell *c = &w->c[i];

		if (c->kind == kind && c->frames == frames &&
		    !strcmp(c->policy, policy) &&
		    (!of || !strcmp(c->of, of)) &&
		    (!refscan || !strcmp(c->refscan, refscan)) &&
		    (!latency || !strcmp(c->latency, latency)))
			return c;
	}
	return NULL;
}

static int dbl_cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

/* The median and range of figure F over C's repeats. */
static void cell_stat(struct cell *c, enum fig f)
{
	struct stat_fig *s = &c->s[f];
	double *v = malloc((c->nrows + 1) * sizeof(*v));
	unsigned n = 0;

	s->n = 0;
	if (!v)
		return;		/* no figure rather than a wrong one */
	for (size_t i = 0; i < c->nrows; i++)
		if (!isnan(c->rows[i]->v[f]))
			v[n++] = c->rows[i]->v[f];
	s->n = n;
	if (n) {
		qsort(v, n, sizeof(v[0]), dbl_cmp);
		s->min = v[0];
		s->max = v[n - 1];
		s->med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	free(v);
}

/* Policies in their order of first appearance in the file: the order of
 * rows within a setting and the colour of a policy in every plot. */
struct ranks {
	const char **name;
	size_t n;
};

static unsigned rank_of(struct ranks *rk, const char *policy)
{
	const char **nn;

	for (size_t i = 0; i < rk->n; i++)
		if (!strcmp(rk->name[i], policy))
			return (unsigned)i;
	nn = realloc(rk->name, (rk->n + 1) * sizeof(*nn));
	if (!nn)
		return (unsigned)rk->n;
	rk->name = nn;
	rk->name[rk->n] = policy;
	return (unsigned)rk->n++;
}

/* Groups RES into W[0..max_wl).  0 or -ENOMEM. */
static int works_build(struct results *res, struct work *w, struct ranks *rk)
{
	for (size_t i = 0; i < res->nrows; i++) {
		const struct row *r = &res->rows[i];
		struct work *k = &w[r->wl - 1];
		struct cell *c;
		double v;

		if (!k->text) {
			k->wl = r->wl;
			k->text = r->workload;
			k->cmd = !strncmp(r->workload, "cmd:", 4);
		}
		if (!r->ok) {
			if (array_room(&k->failed, &k->capf, k->nfailed,
				       sizeof(*k->failed)) < 0)
				return -ENOMEM;
			k->failed[k->nfailed++] = r;
			continue;
		}
		c = cell_find(k, r->kind, r->policy, r->of, r->frames,
			      r->refscan, r->latency);
		if (!c) {
			if (array_room(&k->c, &k->capc, k->nc,
				       sizeof(*k->c)) < 0)
				return -ENOMEM;
			c = &k->c[k->nc++];
			memset(c, 0, sizeof(*c));
			c->kind = r->kind;
			c->policy = r->policy;
			c->of = r->of;
			c->frames = r->frames;
			c->refscan = r->refscan;
			c->latency = r->latency;
			c->refscan_ps = num_parse(r->refscan, &v) &&
					!isnan(v) ? v : -1;
			c->latency_us = latency_key(r->latency);
			c->prank = rank_of(rk, r->policy);
		}
		if (array_room(&c->rows, &c->cap, c->nrows,
			       sizeof(*c->rows)) < 0)
			return -ENOMEM;
		c->rows[c->nrows++] = r;
	}
	for (unsigned i = 0; i < res->max_wl; i++) {
		for (size_t j = 0; j < w[i].nc; j++)
			for (int f = 0; f < F_N; f++)
				cell_stat(&w[i].c[j], (enum fig)f);
		if (w[i].nc)
			qsort(w[i].c, w[i].nc, sizeof(w[i].c[0]), cell_cmp);
	}
	return 0;
}

static void works_release(struct work *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		for (size_t j = 0; j < w[i].nc; j++)
			free(w[i].c[j].rows);
		free(w[i].c);
		free(w[i].failed);
		free(w[i].notes);
	}
	free(w);
}

/* The settings: frames, refscan, latency. */
enum axis { AX_FRAMES, AX_REFSCAN, AX_LATENCY };

static int axis_cmp(const struct cell *a, const struct cell *b, enum axis ax)
{
	switch (ax) {
	case AX_FRAMES:
		return a->frames < b->frames ? -1 : a->frames > b->frames;
	case AX_REFSCAN:
		if (a->refscan_ps != b->refscan_ps)
			return a->refscan_ps < b->refscan_ps ? -1 : 1;
		return strcmp(a->refscan, b->refscan);
	default:
		if (a->latency_us != b->latency_us)
			return a->latency_us < b->latency_us ? -1 : 1;
		return strcmp(a->latency, b->latency);
	}
}

/* The distinct values of AX among W's live cells, in order, as one cell
 * each in OUT (at most W->nc); with COUNT, how many cells have each.
 * Returns how many. */
static size_t axis_values(const struct work *w, enum axis ax,
			  const struct cell **out, unsigned *count)
{
	size_t n = 0, i, j;

	for (i = 0; i < w->nc; i++) {
		const struct cell *c = &w->c[i];

		if (c->kind != K_LIVE)
			continue;
		for (j = 0; j < n && axis_cmp(out[j], c, ax); j++)
			;
		if (j < n) {
			if (count)
				count[j]++;
			continue;
		}
		for (j = n; j > 0 && axis_cmp(out[j - 1], c, ax) > 0; j--) {
			out[j] = out[j - 1];
			if (count)
				count[j] = count[j - 1];
		}
		out[j] = c;
		if (count)
			count[j] = 1;
		n++;
	}
	return n;
}

/* The reference value of AX: the one most live cells have; ties go to
 * the smallest pool, the fastest refscan and the fastest store. */
static const struct cell *ref_value(const struct work *w, enum axis ax)
{
	const struct cell **v = malloc((w->nc + 1) * sizeof(*v)), *best;
	unsigned *count = malloc((w->nc + 1) * sizeof(*count));
	size_t n = v && count ? axis_values(w, ax, v, count) : 0, b = 0;

	for (size_t i = 1; i < n; i++)
		if (count[i] > count[b] ||
		    (count[i] == count[b] && ax == AX_REFSCAN))
			b = i;
	best = n ? v[b] : NULL;
	free(v);
	free(count);
	return best;
}

/* W's reference settings: one live cell whose frames, refscan and latency
 * are each the reference value (a cell with all three need not exist;
 * only the settings are used). */
static void ref_pick(struct work *w, struct cell *ref)
{
	const struct cell *f = ref_value(w, AX_FRAMES),
			  *r = ref_value(w, AX_REFSCAN),
			  *l = ref_value(w, AX_LATENCY);

	w->ref = NULL;
	if (!f)
		return;
	*ref = *f;
	ref->refscan = r->refscan;
	ref->refscan_ps = r->refscan_ps;
	ref->latency = l->latency;
	ref->latency_us = l->latency_us;
	w->ref = ref;
}

/* ---- Step 3: the table model ------------------------------------------ */

enum tcol {
	T_POLICY, T_FRAMES, T_REFSCAN, T_LATENCY,
	T_MISS_RATIO, T_MAJFLT, T_HITS, T_EVICTIONS, T_WRITEBACKS, T_ELAPSED,
	T_SIM_RATIO, T_SIM_MISSES, T_SEEN_RATIO, T_SEEN_MISSES, T_SEEN_OPT,
	T_N,
};
#define T_FIG0 T_MISS_RATIO

/* A figure column: which cell it comes from (the live cell itself, the
 * sim cell of its policy and frames, the seen cell of its setting, the
 * seen OPT cell of its setting), which figure, how it is printed ('r'
 * ratio, 'c' count, 's' seconds), and whether it takes a best mark. */
static const struct {
	const char *head;
	enum kind from;
	bool opt;
	enum fig fig;
	char type;
	bool mark;
} tcols[T_N] = {
	[T_POLICY] = { .head = "policy" },
	[T_FRAMES] = { .head = "frames" },
	[T_REFSCAN] = { .head = "refscan /s" },
	[T_LATENCY] = { .head = "latency" },
	[T_MISS_RATIO] = { "miss ratio", K_LIVE, false, F_MISS_RATIO, 'r',
			   true },
	[T_MAJFLT] = { "majflt", K_LIVE, false, F_MAJFLT, 'c', true },
	/* Not marked: a frame hit is a fault too (counted in majflt), but a
	 * cheaper one than a miss; fewer of them is neither better nor
	 * worse on its own. */
	[T_HITS] = { "frame hits", K_LIVE, false, F_HITS, 'c', false },
	[T_EVICTIONS] = { "evictions", K_LIVE, false, F_EVICTIONS, 'c',
			  true },
	[T_WRITEBACKS] = { "write-backs", K_LIVE, false, F_WRITEBACKS, 'c',
			   true },
	[T_ELAPSED] = { "elapsed s", K_LIVE, false, F_ELAPSED, 's', true },
	[T_SIM_RATIO] = { "sim miss ratio", K_SIM, false, F_MISS_RATIO, 'r',
			  true },
	[T_SIM_MISSES] = { "sim misses", K_SIM, false, F_MISSES, 'c', true },
	[T_SEEN_RATIO] = { "seen miss ratio", K_SEEN, false, F_MISS_RATIO,
			   'r', true },
	[T_SEEN_MISSES] = { "seen misses", K_SEEN, false, F_MISSES, 'c',
			    true },
	[T_SEEN_OPT] = { "seen OPT miss ratio", K_SEEN, true, F_MISS_RATIO,
			 'r', false },
};

struct trow {
	char text[T_N][128];
	struct stat_fig s[T_N];	/* n == 0: an empty cell */
	bool best[T_N];
	bool live;		/* takes part in the best marks */
	uint64_t frames;
};

struct table {
	struct trow *r;
	size_t n;
	bool used[T_N];		/* a column with a value in some row */
};

static void num_fmt(char *b, size_t len, double v, char type)
{
	if (type == 'r')
		snprintf(b, len, "%.4f", v);
	else if (type == 's')
		snprintf(b, len, "%.3f", v);
	else if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
		snprintf(b, len, "%.0f", v);
	else
		snprintf(b, len, "%.1f", v);
}

/* "median (min–max)", or one value where the range prints as one. */
static void stat_fmt(char *b, size_t len, const struct stat_fig *s,
		     char type)
{
	char m[40], lo[40], hi[40];

	b[0] = '\0';
	if (!s->n)
		return;
	num_fmt(m, sizeof(m), s->med, type);
	num_fmt(lo, sizeof(lo), s->min, type);
	num_fmt(hi, sizeof(hi), s->max, type);
	if (!strcmp(lo, hi))
		snprintf(b, len, "%s", m);
	else
		snprintf(b, len, "%s (%s" DASH "%s)", m, lo, hi);
}

static struct trow *table_add(struct table *t, uint64_t frames)
{
	struct trow *r = &t->r[t->n++];

	memset(r, 0, sizeof(*r));
	r->frames = frames;
	snprintf(r->text[T_FRAMES], sizeof(r->text[T_FRAMES]), "%llu",
		 (unsigned long long)frames);
	snprintf(r->text[T_REFSCAN], sizeof(r->text[T_REFSCAN]), MDASH);
	snprintf(r->text[T_LATENCY], sizeof(r->text[T_LATENCY]), MDASH);
	return r;
}

static void trow_fig(struct trow *r, enum tcol col, const struct cell *c)
{
	if (!c)
		return;
	r->s[col] = c->s[tcols[col].fig];
	stat_fmt(r->text[col], sizeof(r->text[col]), &r->s[col],
		 tcols[col].type);
}

/* W's table: per frames, the live cells, the kernel's, then OPT on the
 * true trace.  0 or -ENOMEM. */
static int table_build(struct work *w, struct table *t)
{
	uint64_t *fr = malloc((w->nc + 1) * sizeof(*fr));
	size_t nfr = 0;

	memset(t, 0, sizeof(*t));
	t->r = malloc((w->nc + 1) * sizeof(*t->r));
	if (!fr || !t->r) {
		free(fr);
		free(t->r);
		t->r = NULL;
		return -ENOMEM;
	}
	/* The pool sizes of live, kernel and sim OPT cells, in order. */
	for (size_t i = 0; i < w->nc; i++) {
		const struct cell *c = &w->c[i];
		size_t j;

		if (c->kind == K_SEEN || (c->kind == K_SIM && !is_opt(c->policy)))
			continue;
		for (j = 0; j < nfr && fr[j] != c->frames; j++)
			;
		if (j == nfr)
			fr[nfr++] = c->frames;
	}
	for (size_t a = 1; a < nfr; a++)
		for (size_t b = a; b > 0 && fr[b - 1] > fr[b]; b--) {
			uint64_t x = fr[b];

			fr[b] = fr[b - 1];
			fr[b - 1] = x;
		}
	for (size_t k = 0; k < nfr; k++) {
		for (size_t i = 0; i < w->nc; i++) {
			const struct cell *c = &w->c[i];
			struct trow *r;

			if (c->frames != fr[k] || c->kind != K_LIVE)
				continue;
			r = table_add(t, c->frames);
			r->live = true;
			snprintf(r->text[T_POLICY], sizeof(r->text[0]), "%s",
				 c->policy);
			snprintf(r->text[T_REFSCAN], sizeof(r->text[0]), "%s",
				 c->refscan);
			snprintf(r->text[T_LATENCY], sizeof(r->text[0]), "%s",
				 c->latency);
			for (int col = T_FIG0; col < T_N; col++) {
				const struct cell *src = c;

				if (tcols[col].from == K_SIM)
					src = cell_find(w, K_SIM, c->policy,
							NULL, c->frames, NULL,
							NULL);
				else if (tcols[col].from == K_SEEN)
					src = cell_find(w, K_SEEN,
						tcols[col].opt ? "opt" :
						c->policy, c->policy, c->frames,
						c->refscan, c->latency);
				trow_fig(r, (enum tcol)col, src);
			}
		}
		for (size_t i = 0; i < w->nc; i++) {
			const struct cell *c = &w->c[i];
			struct trow *r;

			if (c->frames != fr[k] || c->kind != K_KERNEL)
				continue;
			r = table_add(t, c->frames);
			snprintf(r->text[T_POLICY], sizeof(r->text[0]),
				 "kernel");
			trow_fig(r, T_MISS_RATIO, c);
			trow_fig(r, T_MAJFLT, c);
			trow_fig(r, T_ELAPSED, c);
		}
		for (size_t i = 0; i < w->nc; i++) {
			const struct cell *c = &w->c[i];
			struct trow *r;

			if (c->frames != fr[k] || c->kind != K_SIM ||
			    !is_opt(c->policy))
				continue;
			r = table_add(t, c->frames);
			snprintf(r->text[T_POLICY], sizeof(r->text[0]),
				 "OPT (bound)");
			trow_fig(r, T_SIM_RATIO, c);
			trow_fig(r, T_SIM_MISSES, c);
		}
	}
	free(fr);
	/* The best marks: per frames and column, the lowest live median,
	 * where at least two live cells have the figure and not all the
	 * same (a column of equal values has no best). */
	for (size_t a = 0, b; a < t->n; a = b) {
		b = a;

		while (b < t->n && t->r[b].frames == t->r[a].frames)
			b++;
		for (int col = T_FIG0; col < T_N; col++) {
			double lo = INFINITY, hi = -INFINITY;

			if (!tcols[col].mark)
				continue;
			for (size_t i = a; i < b; i++)
				if (t->r[i].live && t->r[i].s[col].n) {
					double m = t->r[i].s[col].med;

					lo = m < lo ? m : lo;
					hi = m > hi ? m : hi;
				}
			for (size_t i = a; lo < hi && i < b; i++)
				if (t->r[i].live && t->r[i].s[col].n &&
				    t->r[i].s[col].med == lo)
					t->r[i].best[col] = true;
		}
	}
	for (size_t i = 0; i < t->n; i++)
		for (int col = 0; col < T_N; col++)
			if (col < T_FIG0 || t->r[i].s[col].n)
				t->used[col] = true;
	return 0;
}

/* ---- Step 4: pictures ------------------------------------------------- */

struct pic {
	FILE *dat;
	char *script;
	size_t script_len;
	FILE *gp;		/* the script, in memory */
	unsigned blocks;	/* index blocks written to dat */
	char dat_path[PATH_BYTES], png_path[PATH_BYTES], gp_path[PATH_BYTES];
};

/* Opens the data and the script of W's picture P with its common head.
 * 0, or -errno. */
static int pic_begin(struct pic *p, const char *outdir, const struct work *w,
		     enum pic_kind kind)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dat_path, sizeof(p->dat_path), "%s/plots/w%u-%s.dat",
		 outdir, w->wl, pic_names[kind]);
	snprintf(p->gp_path, sizeof(p->gp_path), "%s/plots/w%u-%s.gp",
		 outdir, w->wl, pic_names[kind]);
	snprintf(p->png_path, sizeof(p->png_path), "%s/w%u-%s.png", outdir,
		 w->wl, pic_names[kind]);
	p->dat = fopen(p->dat_path, "w");
	if (!p->dat)
		return -errno;
	p->gp = open_memstream(&p->script, &p->script_len);
	if (!p->gp) {
		fclose(p->dat);
		return -ENOMEM;
	}
	fputs("set terminal pngcairo size 960,600 noenhanced "
	      "font 'sans,10'\n" PLOT_COLOURS "set output ", p->gp);
	plot_str(p->gp, p->png_path);
	fputs("\nset grid\nset key outside right top\n"
	      "set datafile missing 'nan'\n", p->gp);
	return 0;
}

/* A title of at most one line: the workload, what the plot shows and at
 * which settings. */
static void pic_title(struct pic *p, const struct work *w, const char *what,
		      const char *at)
{
	char t[600];

	snprintf(t, sizeof(t), "w%u %.70s%s: %s%s%s%s", w->wl, w->text,
		 strlen(w->text) > 70 ? "..." : "", what, at ? " (" : "",
		 at ? at : "", at ? ")" : "");
	for (char *c = t; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	fputs("set title ", p->gp);
	plot_str(p->gp, t);
	fputc('\n', p->gp);
}

static void pic_block_end(struct pic *p)
{
	fputs("\n\n", p->dat);
	p->blocks++;
}

/* " 'dat' index B" for the block just ended. */
static void pic_use(struct pic *p, const char *sep)
{
	fputs(sep, p->gp);
	plot_str(p->gp, p->dat_path);
	fprintf(p->gp, " index %u", p->blocks - 1);
}

/* Closes P and, when DRAW, runs gnuplot on its script (kept as .gp).
 * 0, or -errno with WHY; a failed picture leaves no PNG. */
static int pic_end(struct pic *p, bool draw, char *why, size_t whylen)
{
	int rc = 0;
	FILE *f;

	if (fclose(p->dat) != 0 && draw)
		rc = why_set(why, whylen, -EIO, "%s: %s", p->dat_path,
			     strerror(errno));
	fclose(p->gp);
	if (draw && !rc) {
		f = fopen(p->gp_path, "w");
		if (f) {
			fwrite(p->script, 1, p->script_len, f);
			fclose(f);
		}
		rc = plot_run(p->script, why, whylen);
	}
	if (!draw || rc < 0) {
		unlink(p->png_path);
		unlink(p->gp_path);
		unlink(p->dat_path);
	}
	free(p->script);
	return rc;
}

/* One data block per policy: the live cells at W's reference settings
 * except AX, sorted by AX (categorical X: the value's index in V[0..nv)).
 * Columns: x label med min max [med min max of FIG2].  Adds to the plot
 * command, solid for FIG and dashed for FIG2 (F_N: none).  Returns the
 * number of points. */
static unsigned pic_policy_lines(struct pic *p, const struct work *w,
				 const struct ranks *rk, enum axis ax,
				 const struct cell **v, size_t nv,
				 enum fig fig, enum fig fig2, const char *sep)
{
	unsigned points = 0;

	for (size_t k = 0; k < rk->n; k++) {
		unsigned here = 0;

		for (size_t i = 0; i < w->nc; i++) {
			const struct cell *c = &w->c[i];
			size_t x;

			if (c->kind != K_LIVE || c->prank != k ||
			    !c->s[fig].n ||
			    (ax != AX_FRAMES && c->frames != w->ref->frames) ||
			    (ax != AX_REFSCAN &&
			     strcmp(c->refscan, w->ref->refscan)) ||
			    (ax != AX_LATENCY &&
			     strcmp(c->latency, w->ref->latency)))
				continue;
			for (x = 0; x < nv && axis_cmp(v[x], c, ax); x++)
				;
			if (ax == AX_FRAMES)
				fprintf(p->dat, "%llu \"\"",
					(unsigned long long)c->frames);
			else
				fprintf(p->dat, "%zu \"%s\"", x,
					ax == AX_REFSCAN ? c->refscan :
					c->latency);
			fprintf(p->dat, " %.9g %.9g %.9g", c->s[fig].med,
				c->s[fig].min, c->s[fig].max);
			if (fig2 != F_N && c->s[fig2].n)
				fprintf(p->dat, " %.9g %.9g %.9g\n",
					c->s[fig2].med, c->s[fig2].min,
					c->s[fig2].max);
			else
				fputs(" nan nan nan\n", p->dat);
			here++;
		}
		if (!here)
			continue;
		pic_block_end(p);
		points += here;
		pic_use(p, sep);
		sep = ", \\\n  ";
		fprintf(p->gp, " using 1:3:4:5%s with yerrorlines lw 2 pt 7 "
			"lc %zu title ", ax == AX_FRAMES ? "" : ":xtic(2)",
			k + 1);
		if (fig2 == F_N) {
			plot_str(p->gp, rk->name[k]);
			continue;
		}
		{
			char t[300];

			snprintf(t, sizeof(t), "%s major", rk->name[k]);
			plot_str(p->gp, t);
			pic_use(p, sep);
			snprintf(t, sizeof(t), "%s soft (frame hits)",
				 rk->name[k]);
			fprintf(p->gp, " using 1:6 with linespoints lw 1 "
				"dt 2 pt 6 lc %zu title ", k + 1);
			plot_str(p->gp, t);
		}
	}
	return points;
}

/* The (x, y) pairs of OUTDIR/REL, a CSV file with columns XNAME and
 * YNAME (found by name; rows where either is not a number are passed
 * over).  Returns how many, in *XY (malloc'd: x, y, x, y, ...), or -errno
 * with WHY. */
static long xy_read(const char *outdir, const char *rel, const char *xname,
		    const char *yname, double **xy, char *why, size_t whylen)
{
	char path[PATH_BYTES], *text;
	struct csv c = { 0 };
	size_t len, cap = 0;
	unsigned line;
	long n = 0;
	int xc = -1, yc = -1, rc;

	*xy = NULL;
	snprintf(path, sizeof(path), "%s/%s", outdir, rel);
	rc = file_slurp(path, &text, &len);
	if (rc < 0)
		return why_set(why, whylen, rc, "%s: %s", rel, strerror(-rc));
	c.p = text;
	c.end = text + len;
	c.line = 1;
	rc = csv_next(&c, rel, &line, why, whylen);
	if (rc > 0) {
		xc = col_find(c.f, c.nf, xname);
		yc = col_find(c.f, c.nf, yname);
	}
	if (rc >= 0 && (xc < 0 || yc < 0))
		rc = why_set(why, whylen, -EINVAL, "%s: line 1: no %s or %s "
			     "column", rel, xname, yname);
	while (rc > 0 && (rc = csv_next(&c, rel, &line, why, whylen)) > 0) {
		double x, y;

		if ((size_t)xc >= c.nf || (size_t)yc >= c.nf ||
		    !num_parse(c.f[xc], &x) || !num_parse(c.f[yc], &y) ||
		    isnan(x) || isnan(y))
			continue;
		if (array_room(xy, &cap, (size_t)n, 2 * sizeof(**xy)) < 0) {
			rc = why_set(why, whylen, -ENOMEM, "%s: out of memory",
				     rel);
			break;
		}
		(*xy)[2 * n] = x;
		(*xy)[2 * n + 1] = y;
		n++;
	}
	free(c.f);
	free(text);
	if (rc < 0) {
		free(*xy);
		*xy = NULL;
		return rc;
	}
	return n;
}

/* A framesim --mrc --csv curve (frames, miss_ratio) as a data block.
 * true when drawn; a missing file is no curve, a malformed one a note. */
static bool pic_curve(struct pic *p, const char *outdir, struct work *w,
		      const char *which)
{
	char rel[64], why[PATH_BYTES];
	double *xy;
	long n;

	snprintf(rel, sizeof(rel), "curves/w%u-%s.csv", w->wl, which);
	n = xy_read(outdir, rel, "frames", "miss_ratio", &xy, why,
		    sizeof(why));
	if (n < 0 && n != -ENOENT)
		work_note(w, "not drawn: %s", why);
	for (long i = 0; i < n; i++)
		fprintf(p->dat, "%.9g %.9g\n", xy[2 * i], xy[2 * i + 1]);
	free(xy);
	if (n <= 0)
		return false;
	pic_block_end(p);
	return true;
}
/* The miss ratios of W's kernel cells, or of its OPT cells on the true
 * trace (K_SIM), as a data block: frames med min max.  Returns how many
 * (0: no block). */
static unsigned pic_cells(struct pic *p, const struct work *w,
			  enum kind kind)
{
	unsigned n = 0;

	for (size_t i = 0; i < w->nc; i++) {
		const struct stat_fig *s = &w->c[i].s[F_MISS_RATIO];

		if (w->c[i].kind != kind || !s->n ||
		    (kind == K_SIM && !is_opt(w->c[i].policy)))
			continue;
		fprintf(p->dat, "%llu %.9g %.9g %.9g\n",
			(unsigned long long)w->c[i].frames, s->med, s->min,
			s->max);
		n++;
	}
	if (n)
		pic_block_end(p);
	return n;
}

/* Picture 1: miss ratio against frames; a line per policy (live medians,
 * min-max bars), OPT dashed, the one-pass LRU curve thin, the kernel as
 * points.  1 drawn, 0 nothing to draw, or -errno. */
static int pic_frames(struct pic *p, const char *outdir, struct work *w,
		      const struct ranks *rk, const struct cell **v)
{
	const char *sep = "plot ";
	bool lru;
	size_t nv = axis_values(w, AX_FRAMES, v, NULL);
	uint64_t lo = nv ? v[0]->frames : 0, hi = nv ? v[nv - 1]->frames : 0;
	char at[300];
	bool curve, opt;
	unsigned n;

	snprintf(at, sizeof(at), "refscan %s/s, latency %s", w->ref->refscan,
		 w->ref->latency);
	pic_title(p, w, "miss ratio against frames", at);
	fputs("set xlabel 'frames (4 KiB pages in the pool)'\n"
	      "set ylabel 'miss ratio'\nset yrange [0:*]\n", p->gp);
	/* The live pool sizes fill the width (a curve may run on beyond
	 * them); a log scale where they span a factor of 8 or more. */
	if (nv >= 2 && hi >= 8 * lo) {
		/* Ticks at the sizes measured, not at powers of 2. */
		fprintf(p->gp, "set logscale x 2\nset xrange [%.6g:%.6g]\n"
			"set xtics (", (double)lo / 1.2, (double)hi * 1.2);
		for (size_t i = 0; i < nv; i++)
			fprintf(p->gp, "%s%llu", i ? ", " : "",
				(unsigned long long)v[i]->frames);
		fputs(")\n", p->gp);
	}
	else if (nv >= 2)
		fprintf(p->gp, "set xrange [%.6g:%.6g]\n",
			(double)lo - (double)(hi - lo) * 0.05,
			(double)hi + (double)(hi - lo) * 0.05);
	if (pic_policy_lines(p, w, rk, AX_FRAMES, v, nv, F_MISS_RATIO, F_N,
			     sep))
		sep = ", \\\n  ";
	else
		return 0;
	curve = pic_curve(p, outdir, w, "opt");
	opt = curve;
	if (curve) {
		pic_use(p, sep);
		fputs(" using 1:2 with lines dt 2 lw 2 lc rgb 'black' "
		      "title 'OPT (true trace)'", p->gp);
	} else {
		opt = pic_cells(p, w, K_SIM) > 0;
		if (opt) {
			pic_use(p, sep);
			fputs(" using 1:2 with linespoints dt 2 lw 2 pt 4 "
			      "lc rgb 'black' title 'OPT (true trace)'",
			      p->gp);
		}
	}
	lru = pic_curve(p, outdir, w, "lru");
	if (lru) {
		pic_use(p, sep);
		fputs(" using 1:2 with lines lw 1 lc rgb 'gray50' "
		      "title 'LRU one pass (true trace)'", p->gp);
	}
	n = pic_cells(p, w, K_KERNEL);
	if (n) {
		pic_use(p, sep);
		fputs(" using 1:2:3:4 with yerrorbars pt 13 ps 1.5 "
		      "lc rgb 'dark-red' title 'kernel (memcg)'", p->gp);
	}
	fputc('\n', p->gp);
	snprintf(w->caption[P_FRAMES], sizeof(w->caption[0]),
		 "Miss ratio against frames at refscan %s/s, latency %s: "
		 "live medians with min-max bars%s%s%s.",
		 w->ref->refscan, w->ref->latency,
		 opt ? "; OPT dashed" : "", lru ? "; thin: LRU in one pass" : "",
		 n ? "; kernel: diamonds" : "");
	return nv >= 2 || curve || lru ? 1 : 0;
}

/* Pictures 2 and 3: a figure against refscan or latency (categorical x),
 * a line per policy. */
static int pic_setting(struct pic *p, struct work *w, const struct ranks *rk,
		       enum axis ax, const struct cell **v)
{
	size_t nv = axis_values(w, ax, v, NULL);
	char at[300];
	enum fig fig = ax == AX_REFSCAN ? (w->cmd ? F_MISSES : F_MAJFLT) :
			F_ELAPSED;

	if (nv < 2)
		return 0;
	if (ax == AX_REFSCAN) {
		snprintf(at, sizeof(at), "%llu frames, latency %s",
			 (unsigned long long)w->ref->frames, w->ref->latency);
		pic_title(p, w, "faults against refscan rate", at);
		fprintf(p->gp, "set xlabel 'refscan (pages/s swept)'\n"
			"set ylabel 'faults (%s solid; frame hits dashed)'\n",
			w->cmd ? "frame misses" : "major faults");
	} else {
		snprintf(at, sizeof(at), "%llu frames, refscan %s/s",
			 (unsigned long long)w->ref->frames,
			 w->ref->refscan);
		pic_title(p, w, "elapsed time against store latency", at);
		fputs("set xlabel 'store latency'\n"
		      "set ylabel 'elapsed (s)'\n", p->gp);
	}
	fprintf(p->gp, "set xrange [-0.5:%zu.5]\nset yrange [0:*]\n",
		nv - 1);
	if (!pic_policy_lines(p, w, rk, ax, v, nv, fig,
			      ax == AX_REFSCAN ? F_HITS : F_N, "plot "))
		return 0;
	fputc('\n', p->gp);
	if (ax == AX_REFSCAN)
		snprintf(w->caption[P_REFSCAN], sizeof(w->caption[0]),
			 "%s (solid) and frame hits, the soft faults that "
			 "pay for reference bits (dashed), against the "
			 "refscan rate at %s.", w->cmd ? "Frame misses" :
			 "Major faults", at);
	else
		snprintf(w->caption[P_LATENCY], sizeof(w->caption[0]),
			 "Elapsed time of the workload against the store's "
			 "latency model at %s: medians with min-max bars.",
			 at);
	return 1;
}

/* One series file (t_s, reads cumulative) as reads per second over each
 * interval, at its end: a data block.  true when drawn. */
static bool pic_series(struct pic *p, const char *outdir, struct work *w,
		       const char *rel)
{
	char why[PATH_BYTES];
	double *xy;
	long n = xy_read(outdir, rel, "t_s", "reads", &xy, why, sizeof(why));
	unsigned drawn = 0;

	if (n < 0)
		work_note(w, "no curve over time: %s", why);
	for (long i = 1, last = 0; i < n; i++) {
		double dt = xy[2 * i] - xy[2 * last];

		if (dt <= 0)
			continue;
		fprintf(p->dat, "%.6g %.9g\n", xy[2 * i],
			(xy[2 * i + 1] - xy[2 * last + 1]) / dt);
		last = i;
		drawn++;
	}
	free(xy);
	if (!drawn)
		return false;
	pic_block_end(p);
	return true;
}
/* Picture 4: daemon reads per second over time, a line per policy, at one
 * setting (the reference one if its cells have series, else the first
 * live cell that has one), repeat 1. */
static int pic_time(struct pic *p, const char *outdir, struct work *w,
		    const struct ranks *rk)
{
	const struct cell *at = NULL;
	const char *sep = "plot ";
	char t[300];
	unsigned lines = 0;

	for (int pass = 0; pass < 2 && !at; pass++)
		for (size_t i = 0; i < w->nc && !at; i++) {
			const struct cell *c = &w->c[i];

			if (c->kind != K_LIVE || (pass == 0 &&
			    (c->frames != w->ref->frames ||
			     strcmp(c->refscan, w->ref->refscan) ||
			     strcmp(c->latency, w->ref->latency))))
				continue;
			for (size_t j = 0; j < c->nrows; j++)
				if (c->rows[j]->repeat == 1 &&
				    c->rows[j]->series[0])
					at = c;
		}
	if (!at)
		return 0;
	snprintf(t, sizeof(t), "%llu frames, refscan %s/s, latency %s, "
		 "repeat 1", (unsigned long long)at->frames, at->refscan,
		 at->latency);
	pic_title(p, w, "daemon reads per second", t);
	fputs("set xlabel 'time since the workload started (s)'\n"
	      "set ylabel 'daemon reads per second (kernel misses)'\n"
	      "set xrange [0:*]\n"
	      "set yrange [0:*]\n", p->gp);
	for (size_t k = 0; k < rk->n; k++) {
		const struct cell *c = cell_find(w, K_LIVE, rk->name[k], NULL,
						 at->frames, at->refscan,
						 at->latency);

		for (size_t j = 0; c && j < c->nrows; j++) {
			if (c->rows[j]->repeat != 1 || !c->rows[j]->series[0])
				continue;
			if (!pic_series(p, outdir, w, c->rows[j]->series))
				break;
			pic_use(p, sep);
			sep = ", \\\n  ";
			fprintf(p->gp, " using 1:2 with lines lw 2 lc %zu "
				"title ", k + 1);
			plot_str(p->gp, rk->name[k]);
			lines++;
			break;
		}
	}
	if (!lines)
		return 0;
	fputc('\n', p->gp);
	snprintf(w->caption[P_TIME], sizeof(w->caption[0]),
		 "Daemon reads per second (every kernel miss, frame hit or "
		 "frame miss) over the run, sampled every 100 ms, at %s.", t);
	return 1;
}

/* W's pictures.  Returns 0, or the first failure's -errno with WHY. */
static int work_plot(const char *outdir, struct work *w,
		     const struct ranks *rk, char *why, size_t whylen)
{
	const struct cell **v = malloc((w->nc + 1) * sizeof(*v));
	int rc = 0;

	if (!v)
		return why_set(why, whylen, -ENOMEM, "w%u: out of memory",
			       w->wl);
	for (int k = 0; k < P_N; k++) {
		struct pic p;
		char pwhy[512] = "";
		int made, prc;

		if (!w->ref)
			break;
		prc = pic_begin(&p, outdir, w, (enum pic_kind)k);
		if (prc < 0) {
			if (!rc)
				rc = why_set(why, whylen, prc, "%s: %s",
					     p.dat_path, strerror(-prc));
			continue;
		}
		if (k == P_FRAMES)
			made = pic_frames(&p, outdir, w, rk, v);
		else if (k == P_REFSCAN)
			made = pic_setting(&p, w, rk, AX_REFSCAN, v);
		else if (k == P_LATENCY)
			made = pic_setting(&p, w, rk, AX_LATENCY, v);
		else
			made = pic_time(&p, outdir, w, rk);
		prc = pic_end(&p, made > 0, pwhy, sizeof(pwhy));
		if (prc < 0) {
			work_note(w, "w%u-%s.png: %s", w->wl, pic_names[k],
				  pwhy);
			if (!rc)
				rc = why_set(why, whylen, prc, "w%u-%s.png: "
					     "%s", w->wl, pic_names[k], pwhy);
		}
		w->made[k] = made > 0 && prc == 0;
	}
	free(v);
	return rc;
}

/* ---- Step 5: the pages ------------------------------------------------ */

/* Markdown: S as table or list text (ASCII punctuation that means
 * something escaped, line breaks as blanks). */
static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else {
			if (strchr("\\`*_[]<>|#", *s))
				fputc('\\', f);
			fputc(*s, f);
		}
	}
}

/* The longest run of backticks in S. */
static size_t ticks_run(const char *s)
{
	size_t best = 0, run = 0;

	for (; *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* Markdown: S as a code span, on one line. */
static void md_code(FILE *f, const char *s)
{
	size_t n = ticks_run(s) + 1;

	for (size_t i = 0; i < n; i++)
		fputc('`', f);
	fputc(' ', f);
	for (; *s; s++)
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	fputc(' ', f);
	for (size_t i = 0; i < n; i++)
		fputc('`', f);
}

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* Control characters other than tab and newline
			 * are not allowed in a page. */
			if ((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n')
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

/* What both pages say first: counts, when, how. */
struct head {
	size_t rows, kind_rows[K_N], live_cells, failed;
	unsigned workloads, max_repeat;
	char when[64];
	char *command;		/* command.txt, or NULL */
	char plots_why[PATH_BYTES + 256];	/* why no pictures, or "" */
};

static void head_line(char *b, size_t len, const struct head *h)
{
	snprintf(b, len, "%zu rows over %u workload%s: %zu live cell%s (%zu "
		 "runs, up to %u repeat%s), %zu sim, %zu seen, %zu kernel; "
		 "%zu failed. Rows as of %s.", h->rows, h->workloads,
		 h->workloads == 1 ? "" : "s", h->live_cells,
		 h->live_cells == 1 ? "" : "s", h->kind_rows[K_LIVE],
		 h->max_repeat, h->max_repeat == 1 ? "" : "s",
		 h->kind_rows[K_SIM], h->kind_rows[K_SEEN],
		 h->kind_rows[K_KERNEL], h->failed, h->when);
}

static const char legend[] =
	"Live figures are medians over the repeats, with (min" DASH "max) "
	"where they differ; bold: the lowest in its column among the live "
	"cells of the same frames. miss ratio: the policy's misses over "
	"the workload's page references (over the daemon's requests where "
	"those are unknown); majflt: the client's major faults; frame hits: "
	"kernel misses the daemon served from a frame (soft faults); sim: "
	"framesim on the workload's true page trace; seen: framesim on the "
	"trace the daemon saw in that cell; OPT (bound): Belady's OPT on "
	"the true trace; kernel: the real kernel in a memory cgroup of that "
	"many pages.";

static void failed_line(const struct row *r, char *b, size_t len)
{
	snprintf(b, len, "%s %s, %llu frames, refscan %s, latency %s, "
		 "repeat %u (results.csv line %u): ", kind_names[r->kind],
		 r->policy, (unsigned long long)r->frames,
		 r->refscan[0] ? r->refscan : MDASH,
		 r->latency[0] ? r->latency : MDASH, r->repeat, r->line);
}

/* One page being written: summary.md, or report.html. */
struct page {
	FILE *f;
	bool html;
	const char *outdir;
};

/* Text from the data, escaped for the page. */
static void page_text(const struct page *pg, const char *s)
{
	if (pg->html)
		html_text(pg->f, s);
	else
		md_text(pg->f, s);
}

/* A paragraph: PREFIX and TEXT, escaped; CLS its class in the HTML page
 * (or NULL). */
static void page_para(const struct page *pg, const char *cls,
		      const char *prefix, const char *text)
{
	if (pg->html) {
		fputs("<p", pg->f);
		if (cls)
			fprintf(pg->f, " class=\"%s\"", cls);
		fputc('>', pg->f);
	}
	page_text(pg, prefix);
	page_text(pg, text);
	fputs(pg->html ? "</p>\n" : "\n\n", pg->f);
}

static void page_table(const struct page *pg, const struct table *t)
{
	FILE *f = pg->f;

	fputs(pg->html ? "<table>\n<thead><tr>" : "", f);
	for (int c = 0; c < T_N; c++)
		if (t->used[c])
			fprintf(f, pg->html ? "<th>%s</th>" : "| %s ",
				tcols[c].head);
	if (pg->html) {
		fputs("</tr></thead>\n<tbody>\n", f);
	} else {
		fputs("|\n", f);
		for (int c = 0; c < T_N; c++)
			if (t->used[c])
				fputs(c == T_POLICY || c == T_LATENCY ?
				      "| --- " : "| ---: ", f);
		fputs("|\n", f);
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct trow *r = &t->r[i];

		/* HTML: a rule above each pool size, the bound and the
		 * kernel in grey. */
		if (pg->html)
			fprintf(f, "<tr%s>", i == 0 ||
				t->r[i - 1].frames != r->frames ?
				" class=\"group\"" : r->live ? "" :
				" class=\"bound\"");
		for (int c = 0; c < T_N; c++) {
			bool num = c != T_POLICY && c != T_LATENCY;

			if (!t->used[c])
				continue;
			if (pg->html)
				fprintf(f, "<td%s>", !num ? "" : r->best[c] ?
					" class=\"num best\"" :
					" class=\"num\"");
			else
				fputs("| ", f);
			if (r->best[c])
				fputs(pg->html ? "<b>" : "**", f);
			page_text(pg, r->text[c]);
			if (r->best[c])
				fputs(pg->html ? "</b>" : "**", f);
			fputs(pg->html ? "</td>" : " ", f);
		}
		fputs(pg->html ? "</tr>\n" : "|\n", f);
	}
	fputs(pg->html ? "</tbody>\n</table>\n" : "\n", f);
}

static void base64_put(FILE *f, const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		fputc(a[v >> 18 & 63], f);
		fputc(a[v >> 12 & 63], f);
		fputc(i + 1 < n ? a[v >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? a[v & 63] : '=', f);
	}
}

/* Picture K of W: in the HTML page inside, as a data: URI (a PNG that
 * cannot be read is left out); in summary.md a link. */
static void page_picture(const struct page *pg, const struct work *w,
			 int k)
{
	char path[PATH_BYTES], *png;
	size_t len;

	if (!pg->html) {
		fprintf(pg->f, "![w%u %s](w%u-%s.png)\n\n", w->wl,
			pic_names[k], w->wl, pic_names[k]);
		page_para(pg, NULL, "", w->caption[k]);
		return;
	}
	snprintf(path, sizeof(path), "%s/w%u-%s.png", pg->outdir, w->wl,
		 pic_names[k]);
	if (file_slurp(path, &png, &len) < 0)
		return;
	fprintf(pg->f, "<div class=\"plot\"><img alt=\"w%u %s\" "
		"src=\"data:image/png;base64,", w->wl, pic_names[k]);
	base64_put(pg->f, (const unsigned char *)png, len);
	fputs("\" />\n", pg->f);
	page_para(pg, NULL, "", w->caption[k]);
	fputs("</div>\n", pg->f);
	free(png);
}

/* W's part of the page: heading, table, the kernel's memory, failed
 * cells, pictures, notes. */
static void page_work(const struct page *pg, const struct work *w,
		      const struct table *t)
{
	FILE *f = pg->f;
	char b[1024];

	if (pg->html) {
		fprintf(f, "<h2 id=\"w%u\">w%u: <code>", w->wl, w->wl);
		html_text(f, w->text);
		fputs("</code></h2>\n", f);
	} else {
		fprintf(f, "## w%u: ", w->wl);
		md_code(f, w->text);
		fputs("\n\n", f);
	}
	if (t->n)
		page_table(pg, t);
	else
		page_para(pg, NULL, "", "No cell of this workload succeeded.");
	for (size_t i = 0; i < w->nc; i++) {
		const struct cell *c = &w->c[i];
		char n[64];

		if (c->kind != K_KERNEL || !c->s[F_MEM_PAGES].n)
			continue;
		stat_fmt(n, sizeof(n), &c->s[F_MEM_PAGES], 'c');
		snprintf(b, sizeof(b), "kernel at %llu frames held %s pages "
			 "of page cache on average.",
			 (unsigned long long)c->frames, n);
		page_para(pg, NULL, "", b);
	}
	if (w->nfailed) {
		fputs(pg->html ? "<h3>Failed cells</h3>\n<ul class=\"failed\">\n"
		      : "Failed cells:\n\n", f);
		for (size_t i = 0; i < w->nfailed; i++) {
			failed_line(w->failed[i], b, sizeof(b));
			fputs(pg->html ? "<li>" : "- ", f);
			page_text(pg, b);
			page_text(pg, w->failed[i]->status);
			fputs(pg->html ? "</li>\n" : "\n", f);
		}
		fputs(pg->html ? "</ul>\n" : "\n", f);
	}
	for (int k = 0; k < P_N; k++)
		if (w->made[k])
			page_picture(pg, w, k);
	for (const char *s = w->notes ? w->notes : ""; *s; ) {
		size_t n = strcspn(s, "\n");

		snprintf(b, sizeof(b), "%.*s", (int)n, s);
		page_para(pg, "note", "Note: ", b);
		s += n + (s[n] == '\n');
	}
}

static const char css[] =
	"body{font-family:sans-serif;max-width:80em;margin:1em auto;"
	"padding:0 1em;color:#222}\n"
	"table{border-collapse:collapse;margin:1em 0;font-size:90%}\n"
	"th,td{border:1px solid #ccc;padding:0.2em 0.5em}\n"
	"th{background:#eee}\ntd.num{text-align:right;"
	"font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"td.best{background:#e6f4e6}\ntr.group td{border-top:2px solid "
	"#888}\ntr.bound td{color:#555;font-style:italic}\n"
	"pre{background:#f6f6f6;padding:0.5em;overflow-x:auto}\n"
	".plot img{max-width:100%}\n.plot p,.legend,.note{color:#555;"
	"font-size:90%}\n";

/* A file of OUTDIR written under a temporary name, renamed when closed. */
struct out {
	FILE *f;
	char tmp[PATH_BYTES], path[PATH_BYTES];
};

static int out_open(struct out *o, const char *outdir, const char *name,
		    char *why, size_t whylen)
{
	snprintf(o->path, sizeof(o->path), "%s/%s", outdir, name);
	snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.tmp", outdir, name);
	o->f = fopen(o->tmp, "w");
	if (!o->f)
		return why_set(why, whylen, -errno, "%s: %s", o->tmp,
			       strerror(errno));
	return 0;
}

static int out_close(struct out *o, char *why, size_t whylen)
{
	int bad = ferror(o->f);

	if (fclose(o->f) != 0 || bad) {
		int e = bad ? EIO : errno;

		unlink(o->tmp);
		return why_set(why, whylen, -e, "%s: %s", o->tmp,
			       strerror(e));
	}
	if (rename(o->tmp, o->path) < 0) {
		int e = errno;

		unlink(o->tmp);
		return why_set(why, whylen, -e, "%s: %s", o->path,
			       strerror(e));
	}
	return 0;
}

static void md_command(FILE *f, const char *cmd)
{
	size_t n = ticks_run(cmd) + 1;

	if (n < 3)
		n = 3;
	fputs("Command:\n\n", f);
	for (size_t i = 0; i < n; i++)
		fputc('`', f);
	fputs("sh\n", f);
	fputs(cmd, f);
	if (cmd[0] && cmd[strlen(cmd) - 1] != '\n')
		fputc('\n', f);
	for (size_t i = 0; i < n; i++)
		fputc('`', f);
	fputs("\n\n", f);
}

/* One whole page: the head (counts, command, links, legend), then each
 * workload with its table T[i]. */
static void page_write(const struct page *pg, const struct work *w,
		       unsigned nw, const struct table *t,
		       const struct head *h)
{
	FILE *f = pg->f;
	char b[1024];

	if (pg->html) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		      "<meta charset=\"utf-8\" />\n"
		      "<title>compare: report</title>\n<style>\n", f);
		fputs(css, f);
		fputs("</style>\n</head>\n<body>\n<h1>compare: report</h1>\n",
		      f);
	} else {
		fputs("# compare: report\n\n", f);
	}
	head_line(b, sizeof(b), h);
	page_para(pg, NULL, "", b);
	if (h->command && pg->html) {
		fputs("<p>Command:</p>\n<pre>", f);
		html_text(f, h->command);
		fputs("</pre>\n", f);
	} else if (h->command) {
		md_command(f, h->command);
	}
	if (pg->html)
		fputs("<p>Files: <a href=\"results.csv\">results.csv</a> "
		      "(every row and counter), <a href=\"summary.md\">"
		      "summary.md</a> (these tables).</p>\n", f);
	if (h->plots_why[0])
		page_para(pg, "note", "No pictures: ", h->plots_why);
	page_para(pg, "legend", "", legend);
	for (unsigned i = 0; i < nw; i++)
		if (w[i].text)
			page_work(pg, &w[i], &t[i]);
	if (pg->html)
		fputs("</body>\n</html>\n", f);
}

static int pages_write(const char *outdir, struct work *w, unsigned nw,
		       const struct head *h, char *why, size_t whylen)
{
	struct table *t = calloc(nw ? nw : 1, sizeof(*t));
	struct out md = { 0 }, html = { 0 };
	int rc = t ? 0 : -ENOMEM;

	for (unsigned i = 0; i < nw && !rc; i++)
		if (w[i].text)
			rc = table_build(&w[i], &t[i]);
	if (rc < 0) {
		why_set(why, whylen, rc, "the tables: %s", strerror(-rc));
		goto out_tables;
	}
	rc = out_open(&md, outdir, "summary.md", why, whylen);
	if (rc < 0)
		goto out_tables;
	rc = out_open(&html, outdir, "report.html", why, whylen);
	if (rc < 0) {
		fclose(md.f);
		unlink(md.tmp);
		goto out_tables;
	}
	page_write(&(struct page){ md.f, false, outdir }, w, nw, t, h);
	page_write(&(struct page){ html.f, true, outdir }, w, nw, t, h);
	rc = out_close(&md, why, whylen);
	if (rc < 0) {
		fclose(html.f);
		unlink(html.tmp);
		goto out_tables;
	}
	rc = out_close(&html, why, whylen);
out_tables:
	for (unsigned i = 0; t && i < nw; i++)
		free(t[i].r);
	free(t);
	return rc;
}

static void head_fill(const char *outdir, const struct results *res,
		      const struct work *w, struct head *h)
{
	char path[PATH_BYTES];
	struct stat st;
	struct tm tm;
	size_t len;

	memset(h, 0, sizeof(*h));
	h->rows = res->nrows;
	h->max_repeat = res->max_repeat;
	for (size_t i = 0; i < res->nrows; i++) {
		h->kind_rows[res->rows[i].kind]++;
		h->failed += !res->rows[i].ok;
	}
	for (unsigned i = 0; i < res->max_wl; i++) {
		h->workloads += w[i].text != NULL;
		for (size_t j = 0; j < w[i].nc; j++)
			h->live_cells += w[i].c[j].kind == K_LIVE;
	}
	snprintf(path, sizeof(path), "%s/results.csv", outdir);
	if (stat(path, &st) == 0 && gmtime_r(&st.st_mtime, &tm))
		strftime(h->when, sizeof(h->when), "%Y-%m-%d %H:%M:%S UTC",
			 &tm);
	snprintf(path, sizeof(path), "%s/command.txt", outdir);
	if (file_slurp(path, &h->command, &len) < 0)
		h->command = NULL;
	else if (!len) {
		free(h->command);
		h->command = NULL;
	}
}

int report_write(const char *outdir, char *why, size_t whylen)
{
	struct results res;
	struct ranks rk = { 0 };
	struct work *w = NULL;
	struct cell *refs = NULL;
	struct head h = { 0 };
	char path[PATH_BYTES];
	bool draw;
	int rc, prc = 0;

	if (whylen)
		why[0] = '\0';
	/* Step 1 */
	rc = results_read(outdir, &res, why, whylen);
	if (rc < 0)
		goto out_res;
	/* Step 2 */
	w = calloc(res.max_wl ? res.max_wl : 1, sizeof(*w));
	refs = calloc(res.max_wl ? res.max_wl : 1, sizeof(*refs));
	if (!w || !refs || works_build(&res, w, &rk) < 0) {
		rc = why_set(why, whylen, -ENOMEM, "%s: out of memory",
			     outdir);
		goto out_works;
	}
	for (unsigned i = 0; i < res.max_wl; i++)
		ref_pick(&w[i], &refs[i]);
	head_fill(outdir, &res, w, &h);
	/* Step 4 */
	draw = plot_available();
	if (!draw) {
		snprintf(h.plots_why, sizeof(h.plots_why), "gnuplot: %s",
			 PLOT_INSTALL);
		prc = why_set(why, whylen, -ENOENT, "%s", h.plots_why);
	} else {
		snprintf(path, sizeof(path), "%s/plots", outdir);
		if (mkdir(path, 0777) < 0 && errno != EEXIST) {
			int e = errno;

			snprintf(h.plots_why, sizeof(h.plots_why), "%s: %s",
				 path, strerror(e));
			prc = why_set(why, whylen, -e, "%s", h.plots_why);
			draw = false;
		}
	}
	for (unsigned i = 0; i < res.max_wl; i++) {
		char pwhy[512];
		int r;

		if (!draw || !w[i].text)
			continue;
		r = work_plot(outdir, &w[i], &rk, pwhy, sizeof(pwhy));
		if (r < 0 && !prc)
			prc = why_set(why, whylen, r, "%s", pwhy);
	}
	/* No stale pictures: what was not drawn this time goes. */
	for (unsigned i = 0; i < res.max_wl; i++)
		for (int k = 0; k < P_N; k++)
			if (!w[i].made[k]) {
				static const char *const dir[] = {
					"", "plots/", "plots/" },
					*ext[] = { "png", "dat", "gp" };

				for (int j = 0; j < 3; j++) {
					snprintf(path, sizeof(path),
						 "%s/%sw%u-%s.%s", outdir,
						 dir[j], i + 1, pic_names[k],
						 ext[j]);
					unlink(path);
				}
			}
	/* Step 5 */
	rc = pages_write(outdir, w, res.max_wl, &h, why, whylen);
	if (rc == 0 && prc < 0)
		rc = prc;	/* WHY still holds the pictures' reason */
	else if (rc == 0 && whylen)
		why[0] = '\0';
out_works:
	free(h.command);
	free(rk.name);
	free(refs);
	if (w)
		works_release(w, res.max_wl);
out_res:
	results_release(&res);
	return rc;
}
