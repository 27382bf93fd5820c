/* json.h - a C string as a JSON string, for the --json outputs.
 *
 *   json_str(stdout, path);        "path", quoted and escaped
 *
 * '"' and '\\' get a backslash, control characters become \u00XX, every
 * other byte goes out as it is (UTF-8 passes through; invalid UTF-8 stays
 * invalid).  NULL prints "".  Header-only, as all of common/
 * (common/meson.build says why).
 */
#ifndef FRAMEFS_JSON_H
#define FRAMEFS_JSON_H

#include <stdio.h>

static inline void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

#endif
