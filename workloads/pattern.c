/* pattern.c - reference string generators (see pattern.h for the specs).
 *
 * Each pattern keeps its own generator, seeded from (seed, the pattern's
 * place in a phases: list), so adding a phase does not change the string
 * of the phases before it.  Zipf samples ranks from Vose's alias table in
 * O(1) (two generator draws per touch) and maps rank -> page through a
 * 4-round Feistel permutation of [0, 2^k) with cycle walking: a bijection
 * on [0, npages) that needs no table.  Rank 0 is the hottest.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "pattern.h"
#include "rng.h"
#include "trace.h"

enum kind { SEQ, RAND, ZIPF, LOOP, SCANHOT, HOTCOLD, PHASES, TRACE };

struct phase {
	struct pattern *p;
	uint64_t len;			/* touches in this phase */
};

struct pattern {
	enum kind kind;
	uint64_t npages;
	struct rng rng;
	uint64_t pos;			/* seq, loop, scan position */
	uint64_t n;			/* loop length; hot pages (scan-hot,
					 * hotcold) */
	uint64_t every;			/* scan-hot: hot touches per scan */
	uint64_t left;			/* scan-hot: hot touches to the scan;
					 * phases: touches left in phase */
	bool scanning;			/* scan-hot */
	double hot_share;		/* hotcold: fraction of touches */
	double *prob;			/* zipf alias table [npages] */
	uint32_t *alias;
	uint32_t fbits;			/* zipf: Feistel half width */
	uint64_t fkey[4];		/* zipf: round keys */
	struct phase *ph;		/* phases */
	int nph, cur;
	struct trace_reader *tr;	/* trace */
	char *path;
	char *format;
};

/* ---- zipf -------------------------------------------------------------- */

/* Vose's alias method: prob[i] is the chance of keeping i, alias[i] the
 * other outcome of column i. */
static int zipf_build(struct pattern *p, double alpha)
{
	uint64_t n = p->npages, ns = 0, nl = 0;
	double *w = malloc(n * sizeof(*w)), sum = 0;
	uint32_t *small = malloc(n * sizeof(*small));
	uint32_t *large = malloc(n * sizeof(*large));
	int rc = -ENOMEM;

	p->prob = malloc(n * sizeof(*p->prob));
	p->alias = malloc(n * sizeof(*p->alias));
	if (!w || !small || !large || !p->prob || !p->alias)
		goto out;
	for (uint64_t k = 0; k < n; k++)
		sum += w[k] = pow((double)(k + 1), -alpha);
	for (uint64_t k = 0; k < n; k++) {
		w[k] = w[k] * (double)n / sum;
		if (w[k] < 1.0)
			small[ns++] = (uint32_t)k;
		else
			large[nl++] = (uint32_t)k;
	}
	while (ns && nl) {
		uint32_t s = small[--ns], l = large[nl - 1];

		p->prob[s] = w[s];
		p->alias[s] = l;
		w[l] -= 1.0 - w[s];
		if (w[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	while (nl) {
		uint32_t l = large[--nl];

		p->prob[l] = 1.0;
		p->alias[l] = l;
	}
	while (ns) {			/* rounding leftovers */
		uint32_t s = small[--ns];

		p->prob[s] = 1.0;
		p->alias[s] = s;
	}
	/* The scramble: Feistel over 2 * fbits bits >= log2(npages). */
	p->fbits = 1;
	while ((1ull << (2 * p->fbits)) < n)
		p->fbits++;
	for (int i = 0; i < 4; i++)
		p->fkey[i] = rng_next(&p->rng);
	rc = 0;
out:
	free(w);
	free(small);
	free(large);
	return rc;
}

static uint64_t feistel(const struct pattern *p, uint64_t x)
{
	uint64_t mask = (1ull << p->fbits) - 1;
	uint64_t l = x >> p->fbits, r = x & mask;

	for (int i = 0; i < 4; i++) {
		uint64_t f = (r + p->fkey[i]) * 0x9e3779b97f4a7c15ull;
		uint64_t nl = r;

		f ^= f >> 29;
		r = (l ^ f) & mask;
		l = nl;
	}
	return (l << p->fbits) | r;
}

/* Rank -> page: a bijection on [0, npages) (cycle walking stays inside). */
static uint64_t zipf_page(const struct pattern *p, uint64_t rank)
{
	do
		rank = feistel(p, rank);
	while (rank >= p->npages);
	return rank;
}

static uint64_t zipf_next(struct pattern *p)
{
	uint64_t k = rng_below(&p->rng, p->npages);

	if (rng_unit(&p->rng) >= p->prob[k])
		k = p->alias[k];
	return zipf_page(p, k);
}

/* ---- parsing ----------------------------------------------------------- */

static bool is_pattern_name(const char *s)
{
	static const char *const names[] = { "seq", "rand", "zipf", "loop",
		"scan-hot", "hotcold", "phases", "trace", NULL };

	for (int i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);

		if (strncmp(s, names[i], n) == 0 &&
		    (s[n] == '\0' || s[n] == ':' || s[n] == '@'))
			return true;
	}
	return false;
}

static struct pattern *make(const char *spec, uint64_t npages, uint64_t seed,
			    char *err, size_t errlen);

/* phases:A@N,B@M: split at commas that start a new pattern name. */
static int phases_build(struct pattern *p, const char *list, uint64_t seed,
			char *err, size_t errlen)
{
	char *copy = strdup(list);
	char *start = copy, *s;
	int rc = -EINVAL;

	if (!copy)
		return -ENOMEM;
	for (s = copy;; s++) {
		if (*s && !(*s == ',' && is_pattern_name(s + 1)))
			continue;
		bool last = !*s;
		uint64_t len = p->npages;
		struct phase *nph;
		const char *e;
		char *at;

		*s = '\0';
		at = strrchr(start, '@');
		if (at && at > start) {
			e = at + 1;
			if (!parse_u64(&e, NULL, &len) || *e || len == 0) {
				snprintf(err, errlen, "phases: %s: the length "
					 "after @ is not a positive number",
					 start);
				goto out;
			}
			*at = '\0';
		}
		if (strncmp(start, "phases", 6) == 0) {
			snprintf(err, errlen, "phases: %s: phases do not nest",
				 start);
			goto out;
		}
		nph = realloc(p->ph, (size_t)(p->nph + 1) * sizeof(*nph));
		if (!nph) {
			rc = -ENOMEM;
			goto out;
		}
		p->ph = nph;
		/* Each phase has a seed of its own: phase i's string does
		 * not depend on the phases after it. */
		nph[p->nph].p = make(start, p->npages,
				     seed + 0x1000193ull * (uint64_t)(p->nph + 1),
				     err, errlen);
		if (!nph[p->nph].p)
			goto out;
		nph[p->nph++].len = len;
		if (last)
			break;
		start = s + 1;
	}
	p->left = p->ph[0].len;
	rc = 0;
out:
	free(copy);
	return rc;
}

static int trace_open(struct pattern *p, char *err, size_t errlen)
{
	return trace_reader_open(p->path, p->format, &p->tr, err, errlen);
}

static struct pattern *make(const char *spec, uint64_t npages, uint64_t seed,
			    char *err, size_t errlen)
{
	struct pattern *p = calloc(1, sizeof(*p));
	const char *arg = strchr(spec, ':'), *e;
	size_t nlen = arg ? (size_t)(arg - spec) : strlen(spec);
	uint64_t a, b;

	if (!p) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	p->npages = npages;
	rng_seed(&p->rng, seed);
	if (arg)
		arg++;
#define IS(name) (nlen == strlen(name) && strncmp(spec, name, nlen) == 0)
	if ((IS("seq") || IS("rand")) && !arg) {
		p->kind = IS("seq") ? SEQ : RAND;
	} else if (IS("zipf") && arg) {
		char *end;
		double alpha;

		errno = 0;
		alpha = strtod(arg, &end);
		if (errno || end == arg || *end || !(alpha >= 0) ||
		    alpha > 10) {
			snprintf(err, errlen, "zipf:%s: ALPHA not in 0..10",
				 arg);
			goto fail;
		}
		if (npages > UINT32_MAX) {
			snprintf(err, errlen, "zipf: at most 2^32 pages");
			goto fail;
		}
		p->kind = ZIPF;
		if (zipf_build(p, alpha) < 0) {
			snprintf(err, errlen, "zipf: %s", strerror(ENOMEM));
			goto fail;
		}
	} else if (IS("loop") && arg) {
		e = arg;
		if (!parse_u64(&e, NULL, &a) || *e || a == 0 || a > npages) {
			snprintf(err, errlen, "loop:%s: N not in 1..%llu (the "
				 "pages mapped)", arg,
				 (unsigned long long)npages);
			goto fail;
		}
		p->kind = LOOP;
		p->n = a;
	} else if (IS("scan-hot") && arg) {
		e = arg;
		if (!parse_u64(&e, NULL, &a) || *e++ != ',' ||
		    !parse_u64(&e, NULL, &b) || *e || a == 0 ||
		    a >= npages || b == 0) {
			snprintf(err, errlen, "scan-hot:%s: not HOT,EVERY with "
				 "HOT in 1..%llu and EVERY at least 1", arg,
				 (unsigned long long)npages - 1);
			goto fail;
		}
		p->kind = SCANHOT;
		p->n = a;
		p->every = p->left = b;
	} else if (IS("hotcold") && arg) {
		e = arg;
		if (!parse_u64(&e, NULL, &a) || *e++ != '/' ||
		    !parse_u64(&e, NULL, &b) || *e || a == 0 || a >= 100 ||
		    b > 100) {
			snprintf(err, errlen, "hotcold:%s: not P/Q, percentages "
				 "with P in 1..99 and Q in 0..100", arg);
			goto fail;
		}
		p->kind = HOTCOLD;
		p->n = npages * a / 100 ? npages * a / 100 : 1;
		if (p->n >= npages) {
			snprintf(err, errlen, "hotcold:%s: %llu pages are too "
				 "few for two parts", arg,
				 (unsigned long long)npages);
			goto fail;
		}
		p->hot_share = (double)b / 100.0;
	} else if (IS("phases") && arg) {
		p->kind = PHASES;
		if (phases_build(p, arg, seed, err, errlen) < 0)
			goto fail;
	} else if (IS("trace") && arg) {
		/* The reader guesses the format from the name and the
		 * first bytes (trace/trace.h). */
		p->kind = TRACE;
		p->path = strdup(arg);
		p->format = strdup("auto");
		if (!p->path || !p->format || trace_open(p, err, errlen) < 0)
			goto fail;
	} else {
		snprintf(err, errlen, "%s: unknown pattern (seq, rand, "
			 "zipf:ALPHA, loop:N, scan-hot:H,E, hotcold:P/Q, "
			 "phases:..., trace:FILE)", spec);
		goto fail;
	}
#undef IS
	return p;
fail:
	pattern_free(p);
	return NULL;
}

struct pattern *pattern_new(const char *spec, uint64_t npages, uint64_t seed,
			    char *err, size_t errlen)
{
	if (npages == 0) {
		snprintf(err, errlen, "%s: no pages to touch", spec);
		return NULL;
	}
	return make(spec, npages, seed, err, errlen);
}

void pattern_free(struct pattern *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nph; i++)
		pattern_free(p->ph[i].p);
	free(p->ph);
	free(p->prob);
	free(p->alias);
	if (p->tr)
		trace_reader_close(p->tr);
	free(p->path);
	free(p->format);
	free(p);
}

/* The next reference of a trace, reopening it at its end.  Pages past the
 * mapping wrap around (the trace may come from a larger file). */
static uint64_t trace_next(struct pattern *p, bool *write)
{
	struct trace_ref ref;
	char err[256];
	int rc = trace_read(p->tr, &ref);

	if (rc == 0) {
		trace_reader_close(p->tr);
		p->tr = NULL;
		if (trace_open(p, err, sizeof(err)) < 0 ||
		    trace_read(p->tr, &ref) != 1)
			rc = -EIO;
		else
			rc = 1;
	}
	if (rc < 0) {
		/* The file was readable at pattern_new; if it fails now,
		 * there is no sane page to give: stop loudly. */
		fprintf(stderr, "mmload: trace: %s\n",
			p->tr ? trace_reader_error(p->tr) : err);
		exit(1);
	}
	*write = ref.write;
	return ref.pgno % p->npages;
}

uint64_t pattern_next(struct pattern *p, bool *write)
{
	uint64_t x;

	switch (p->kind) {
	case SEQ:
		x = p->pos;
		p->pos = p->pos + 1 == p->npages ? 0 : p->pos + 1;
		return x;
	case RAND:
		return rng_below(&p->rng, p->npages);
	case ZIPF:
		return zipf_next(p);
	case LOOP:
		x = p->pos;
		p->pos = p->pos + 1 == p->n ? 0 : p->pos + 1;
		return x;
	case SCANHOT:
		if (p->scanning) {
			x = p->n + p->pos++;
			if (p->n + p->pos == p->npages) {
				p->scanning = false;
				p->pos = 0;
				p->left = p->every;
			}
			return x;
		}
		x = rng_below(&p->rng, p->n);
		if (--p->left == 0)
			p->scanning = true;
		return x;
	case HOTCOLD:
		if (rng_unit(&p->rng) < p->hot_share)
			return rng_below(&p->rng, p->n);
		return p->n + rng_below(&p->rng, p->npages - p->n);
	case PHASES:
		if (p->left == 0) {
			p->cur = p->cur + 1 == p->nph ? 0 : p->cur + 1;
			p->left = p->ph[p->cur].len;
		}
		p->left--;
		return pattern_next(p->ph[p->cur].p, write);
	case TRACE:
		return trace_next(p, write);
	}
	return 0;
}

uint64_t pattern_period(const struct pattern *p)
{
	uint64_t sum = 0;

	switch (p->kind) {
	case SEQ:
		return p->npages;
	case LOOP:
		return p->n;
	case SCANHOT:
		return p->every + (p->npages - p->n);
	case PHASES:
		for (int i = 0; i < p->nph; i++)
			sum += p->ph[i].len;
		return sum;
	default:
		return 0;
	}
}
