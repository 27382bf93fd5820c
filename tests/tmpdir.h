/* tmpdir.h - a flat scratch directory for a test program.
 *
 *   if (tmpdir_make(dir, sizeof(dir), "test_x") < 0) fail;   $TMPDIR or /tmp
 *   ... files directly in dir ...
 *   tmpdir_remove(dir);            unlinks the files, removes dir: 0 or -1
 */
#ifndef FRAMEFS_TESTS_TMPDIR_H
#define FRAMEFS_TESTS_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline int tmpdir_make(char *dir, size_t len, const char *prefix)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, len, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp",
		 prefix);
	return mkdtemp(dir) ? 0 : -1;
}

static inline int tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[600];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

#endif
