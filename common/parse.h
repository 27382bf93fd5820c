/* parse.h - decimal numbers in text: the one parser behind the counts on
 * the command lines and the numbers of a trace line.
 *
 *   p = line;
 *   if (!parse_u64(&p, end, &v)) ... no number at p ...   p moves past it
 *   if (!parse_u64_all(arg, &v)) ... usage error ...      all of arg
 *
 * A number is one or more digits '0'-'9' and fits in 64 bits: no sign, no
 * blanks, no base prefix; what follows is the caller's (a suffix, a
 * separator, the end).  end bounds the text (it need not be NUL-terminated)
 * or is NULL for a C string.  Header-only, as all of common/
 * (common/meson.build says why); the trace reader calls it per field.
 */
#ifndef FRAMEFS_PARSE_H
#define FRAMEFS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The number at *p (before end): true with *v, and *p just past its last
 * digit; false, with *p and *v untouched, when *p is not a digit or the
 * number overflows. */
static inline bool parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (s == end || (unsigned)(*s - '0') > 9)
		return false;
	do {
		unsigned d = (unsigned)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
		s++;
	} while (s != end && (unsigned)(*s - '0') <= 9);
	*p = s;
	*v = x;
	return true;
}

/* All of the C string s is one number. */
static inline bool parse_u64_all(const char *s, uint64_t *v)
{
	return parse_u64(&s, NULL, v) && *s == '\0';
}

#endif
