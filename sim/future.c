/* future.c - next-use positions by one backward pass.
 *
 * Walking the string from its end, the map holds, for every key seen so far,
 * the position of its earliest reference after the current one: that is
 * next[i] for keys[i], and i becomes the key's new entry.  The map is open
 * addressing with linear probing (no deletions, so no tombstones), keyed by
 * the whole 64-bit key, with a position of UINT64_MAX marking an empty slot
 * (positions are < n).  It doubles whenever it would become more than half
 * full, so probes stay short and the work stays O(n) amortized.
 */
#include <errno.h>
#include <stdlib.h>

#include "future.h"
#include "hash.h"

#define EMPTY UINT64_MAX

struct fslot {
	uint64_t key;
	uint64_t pos;		/* latest position seen; EMPTY: free slot */
};

struct fmap {
	struct fslot *slot;	/* [mask + 1] */
	size_t mask;
	size_t len;		/* used slots */
};

static size_t fmap_home(const struct fmap *m, uint64_t key)
{
	return key_hash(0, key) & m->mask;
}

static int fmap_init(struct fmap *m, size_t nslots)
{
	m->slot = malloc(nslots * sizeof(*m->slot));
	if (!m->slot)
		return -ENOMEM;
	for (size_t i = 0; i < nslots; i++)
		m->slot[i].pos = EMPTY;
	m->mask = nslots - 1;
	m->len = 0;
	return 0;
}

/* The slot holding key, or the empty slot where it would go. */
static struct fslot *fmap_probe(const struct fmap *m, uint64_t key)
{
	size_t i = fmap_home(m, key);

	while (m->slot[i].pos != EMPTY && m->slot[i].key != key)
		i = (i + 1) & m->mask;
	return &m->slot[i];
}

static int fmap_grow(struct fmap *m)
{
	struct fmap bigger;
	size_t nslots = (m->mask + 1) * 2;

	/* key_hash gives 32 bits: tables beyond 2^32 slots would not fill. */
	if (nslots > ((size_t)1 << 32) || fmap_init(&bigger, nslots) < 0)
		return -ENOMEM;
	for (size_t i = 0; i <= m->mask; i++)
		if (m->slot[i].pos != EMPTY)
			*fmap_probe(&bigger, m->slot[i].key) = m->slot[i];
	bigger.len = m->len;
	free(m->slot);
	*m = bigger;
	return 0;
}

int future_next_use(const uint64_t *keys, size_t n, uint64_t *next_out)
{
	struct fmap m;
	int rc = 0;

	if (fmap_init(&m, 1024) < 0)
		return -ENOMEM;
	for (size_t i = n; i-- > 0;) {
		struct fslot *s = fmap_probe(&m, keys[i]);

		if (s->pos == EMPTY) {
			if (2 * (m.len + 1) > m.mask + 1) {
				rc = fmap_grow(&m);
				if (rc < 0)
					break;
				s = fmap_probe(&m, keys[i]);
			}
			s->key = keys[i];
			m.len++;
		}
		next_out[i] = s->pos;
		s->pos = i;
	}
	free(m.slot);
	return rc;
}
