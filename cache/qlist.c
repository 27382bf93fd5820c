/* qlist.c - the out-of-line parts of qlist.h: checking and printing. */
#include <stdio.h>

#include "qlist.h"

int qlist_check(struct qlinks *lk, struct qlist *l, struct cache *c,
		uint32_t nframes, unsigned char *seen, const char *who)
{
	uint32_t n = 0, prev = FRAME_NONE;

	for (uint32_t x = l->head; x != FRAME_NONE; x = lk->next[x]) {
		if (x >= nframes || seen[x] || n > nframes) {
			fprintf(stderr, "%s: frame %u out of range or listed "
				"twice\n", who, x);
			return -1;
		}
		seen[x] = 1;
		if (lk->prev[x] != prev) {
			fprintf(stderr, "%s: frame %u: bad prev link\n", who, x);
			return -1;
		}
		if (!cache_policy_resident(c, x)) {
			fprintf(stderr, "%s: frame %u listed but free\n", who,
				x);
			return -1;
		}
		prev = x;
		n++;
	}
	if (prev != l->tail || n != l->len) {
		fprintf(stderr, "%s: tail or length (%u, counted %u) wrong\n",
			who, l->len, n);
		return -1;
	}
	return 0;
}

void qlist_show(struct qlinks *lk, struct qlist *l, struct cache *c,
		FILE *out)
{
	for (uint32_t x = l->head; x != FRAME_NONE; x = lk->next[x])
		fprintf(out, " %llu",
			(unsigned long long)cache_policy_pgno(c, x));
}

void qlist_show_named(struct qlinks *lk, struct qlist *l, struct cache *c,
		      const char *name, FILE *out)
{
	fprintf(out, "%s [", name);
	for (uint32_t x = l->head; x != FRAME_NONE; x = lk->next[x])
		fprintf(out, "%s%llu", x == l->head ? "" : " ",
			(unsigned long long)cache_policy_pgno(c, x));
	fputc(']', out);
}
