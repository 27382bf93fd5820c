/* ghost.c - bounded FIFO key set: a doubly linked list of slots in insertion
 * order plus an open-addressing table (linear probing, backward-shift
 * deletion, so no tombstones) from key to slot.  The table has at least
 * twice as many entries as slots: probes stay short at full capacity.
 *
 * Invariants (ghost_check): every linked slot is in the table exactly once,
 * under its own key; unlinked slots are on the free list; len counts the
 * linked slots.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ghost.h"
#include "keyhash.h"

#define NONE UINT32_MAX

struct gslot {
	uint64_t ino, pgno;
	uint32_t prev, next;		/* list order; next also links free */
};

struct ghost {
	struct gslot *slot;		/* [capacity] */
	uint32_t *table;		/* [mask + 1]; slot numbers or NONE */
	uint32_t mask;
	uint32_t capacity;
	uint32_t len;
	uint32_t head, tail;		/* oldest, newest */
	uint32_t free;			/* free slots, through next */
};

struct ghost *ghost_new(uint32_t capacity)
{
	struct ghost *g = calloc(1, sizeof(*g));
	uint32_t n = 2;

	if (!g || capacity == 0 || capacity > (1u << 30))
		goto fail;
	while (n < 2 * capacity)
		n <<= 1;
	g->slot = malloc((size_t)capacity * sizeof(*g->slot));
	g->table = malloc((size_t)n * sizeof(*g->table));
	if (!g->slot || !g->table)
		goto fail;
	for (uint32_t i = 0; i < n; i++)
		g->table[i] = NONE;
	for (uint32_t i = 0; i < capacity; i++)
		g->slot[i].next = i + 1 < capacity ? i + 1 : NONE;
	g->mask = n - 1;
	g->capacity = capacity;
	g->head = g->tail = NONE;
	g->free = 0;
	return g;
fail:
	ghost_free(g);
	return NULL;
}

void ghost_free(struct ghost *g)
{
	if (!g)
		return;
	free(g->slot);
	free(g->table);
	free(g);
}

/* The table index holding key, or the empty index where it would go. */
static uint32_t probe(const struct ghost *g, uint64_t ino, uint64_t pgno)
{
	uint32_t i = key_hash(ino, pgno) & g->mask;

	for (;;) {
		uint32_t s = g->table[i];

		if (s == NONE ||
		    (g->slot[s].ino == ino && g->slot[s].pgno == pgno))
			return i;
		i = (i + 1) & g->mask;
	}
}

static void table_delete(struct ghost *g, uint32_t i)
{
	uint32_t j = i;

	/* Backward shift: pull later entries of the run into the hole when
	 * their home is not between the hole and their position. */
	for (;;) {
		uint32_t s, home;

		j = (j + 1) & g->mask;
		s = g->table[j];
		if (s == NONE)
			break;
		home = key_hash(g->slot[s].ino, g->slot[s].pgno) & g->mask;
		if (((j - home) & g->mask) >= ((j - i) & g->mask)) {
			g->table[i] = s;
			i = j;
		}
	}
	g->table[i] = NONE;
}

static void unlink_slot(struct ghost *g, uint32_t s)
{
	struct gslot *x = &g->slot[s];

	if (x->prev != NONE)
		g->slot[x->prev].next = x->next;
	else
		g->head = x->next;
	if (x->next != NONE)
		g->slot[x->next].prev = x->prev;
	else
		g->tail = x->prev;
	x->next = g->free;
	g->free = s;
	g->len--;
}

bool ghost_remove(struct ghost *g, uint64_t ino, uint64_t pgno)
{
	uint32_t i = probe(g, ino, pgno), s = g->table[i];

	if (s == NONE)
		return false;
	table_delete(g, i);
	unlink_slot(g, s);
	return true;
}

bool ghost_pop_oldest(struct ghost *g)
{
	struct gslot *x;

	if (g->head == NONE)
		return false;
	x = &g->slot[g->head];
	return ghost_remove(g, x->ino, x->pgno);
}

void ghost_add(struct ghost *g, uint64_t ino, uint64_t pgno)
{
	ghost_remove(g, ino, pgno);
	ghost_push(g, ino, pgno);
}

uint32_t ghost_push(struct ghost *g, uint64_t ino, uint64_t pgno)
{
	uint32_t i, s;

	if (g->len == g->capacity)
		ghost_pop_oldest(g);
	s = g->free;
	g->free = g->slot[s].next;
	g->slot[s] = (struct gslot){ ino, pgno, g->tail, NONE };
	if (g->tail != NONE)
		g->slot[g->tail].next = s;
	else
		g->head = s;
	g->tail = s;
	g->len++;
	i = probe(g, ino, pgno);
	g->table[i] = s;
	return s;
}

uint32_t ghost_slot(const struct ghost *g, uint64_t ino, uint64_t pgno)
{
	uint32_t s = g->table[probe(g, ino, pgno)];

	return s == NONE ? GHOST_NONE : s;
}

bool ghost_contains(const struct ghost *g, uint64_t ino, uint64_t pgno)
{
	return g->table[probe(g, ino, pgno)] != NONE;
}

uint32_t ghost_len(const struct ghost *g)
{
	return g->len;
}

uint32_t ghost_capacity(const struct ghost *g)
{
	return g->capacity;
}

size_t ghost_bytes(const struct ghost *g)
{
	return sizeof(*g) + (size_t)g->capacity * sizeof(*g->slot) +
	       ((size_t)g->mask + 1) * sizeof(*g->table);
}

void ghost_foreach(const struct ghost *g,
		   void (*fn)(void *arg, uint64_t ino, uint64_t pgno),
		   void *arg)
{
	for (uint32_t s = g->head; s != NONE; s = g->slot[s].next)
		fn(arg, g->slot[s].ino, g->slot[s].pgno);
}

struct ghost_show {
	FILE *out;
	bool first;		/* no key printed yet */
};

static void ghost_show_key(void *arg, uint64_t ino, uint64_t pgno)
{
	struct ghost_show *s = arg;

	(void)ino;
	fprintf(s->out, "%s%llu", s->first ? "" : " ",
		(unsigned long long)pgno);
	s->first = false;
}

void ghost_show(const struct ghost *g, const char *name, FILE *out)
{
	struct ghost_show s = { out, true };

	fprintf(out, "%s [", name);
	ghost_foreach(g, ghost_show_key, &s);
	fputc(']', out);
}

int ghost_check(const struct ghost *g)
{
	uint32_t n = 0, prev = NONE, intable = 0;

	for (uint32_t s = g->head; s != NONE; s = g->slot[s].next) {
		if (g->slot[s].prev != prev || ++n > g->capacity) {
			fprintf(stderr, "ghost: list broken at slot %u\n", s);
			return -1;
		}
		if (g->table[probe(g, g->slot[s].ino, g->slot[s].pgno)] != s) {
			fprintf(stderr, "ghost: slot %u not in the table\n", s);
			return -1;
		}
		prev = s;
	}
	for (uint32_t i = 0; i <= g->mask; i++)
		intable += g->table[i] != NONE;
	if (n != g->len || intable != n || g->tail != prev) {
		fprintf(stderr, "ghost: len %u, listed %u, in table %u\n",
			g->len, n, intable);
		return -1;
	}
	return 0;
}
