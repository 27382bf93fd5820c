/* size.h - "64M", "1G", "4096", "16KiB": sizes on command lines.
 *
 *   if (size_parse(arg, &bytes) < 0) ... usage error ...
 *
 * A number (parse.h: digits only) and an optional K, M or G (either case,
 * optionally followed by B or iB), powers of 1024.  Header-only: the
 * daemon, the tools and the benchmarks share it. */
#ifndef FRAMEFS_SIZE_H
#define FRAMEFS_SIZE_H

#include <stdint.h>

#include "parse.h"

/* Returns 0 and *bytes, or -1 for anything that is not a size below
 * 2^54 bytes. */
static inline int size_parse(const char *s, uint64_t *bytes)
{
	const char *end = s;
	uint64_t v;

	if (!parse_u64(&end, NULL, &v) || v >= 1ull << 44)
		return -1;
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*bytes = v;
	return 0;
}

#endif
