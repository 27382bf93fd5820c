/* future.h - where each reference of a reference string is used next: the
 * foresight Belady's OPT needs (cache_set_next_use before each access).
 *
 *   rc = future_next_use(keys, n, next);
 *   for (i = 0; i < n; i++) {
 *           cache_set_next_use(c, next[i]);
 *           ... access keys[i] ...
 *   }
 *
 * next[i] is the smallest j > i with keys[j] == keys[i], or UINT64_MAX when
 * keys[i] is not referenced again.  Keys are any 64-bit values (dense page
 * numbers, or (ino, pgno) packed by the caller).  One backward pass over the
 * string with a hash map from key to the latest position seen: O(n) time,
 * memory proportional to the number of distinct keys (16 to 32 bytes each),
 * freed before return.  Thread-safe: no shared state.
 */
#ifndef FRAMEFS_FUTURE_H
#define FRAMEFS_FUTURE_H

#include <stddef.h>
#include <stdint.h>

/* Fills next_out[0 .. n-1].  Returns 0, or -ENOMEM (next_out is then
 * partly written). */
int future_next_use(const uint64_t *keys, size_t n, uint64_t *next_out);

#endif
