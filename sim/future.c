/* future.c - next-use positions by one backward pass.
 *
 * Walking the string from its end, seen[p] holds the position of the
 * earliest reference to page p after the current one: that is next[i] for
 * ids[i], and i becomes p's new entry.  Pages are dense ids, so seen[] is a
 * plain array of npages positions (4 bytes a page), no hash map: O(n) time
 * with one random access per reference, O(npages) memory besides next[],
 * freed before return.  A string of arbitrary keys is first given dense ids
 * in order of first reference, as framesim does while it loads a trace.
 */
#include <errno.h>
#include <stdlib.h>

#include "future.h"

int future_next_use(const uint32_t *ids, size_t n, uint32_t npages,
		    uint32_t *next_out)
{
	uint32_t *seen;
	int rc = 0;

	if ((uint64_t)npages > (uint64_t)FUTURE_ID_MASK + 1 ||
	    (uint64_t)n > (uint64_t)FUTURE_NEVER - 1)
		return -EINVAL;
	seen = malloc(((size_t)npages + 1) * sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	for (uint32_t p = 0; p < npages; p++)
		seen[p] = FUTURE_NEVER;
	for (size_t i = n; i-- > 0;) {
		uint32_t p = ids[i] & FUTURE_ID_MASK;

		if (p >= npages) {
			rc = -EINVAL;
			break;
		}
		next_out[i] = seen[p];
		seen[p] = (uint32_t)i;
	}
	free(seen);
	return rc;
}
