/* need_fuse.h - the mount helper (harness/mount.h) in a cmocka test.
 *
 *   static void test_x(void **state) { NEED_FUSE(); ... mnt_start(...) }
 *
 * Include after <cmocka.h>.  Kept out of harness/ so that fs_bench, which
 * mounts through the same helper, does not need cmocka.
 */
#ifndef FRAMEFS_TESTS_NEED_FUSE_H
#define FRAMEFS_TESTS_NEED_FUSE_H

#include "mount.h"

/* In a cmocka case: report SKIP (not PASS) when there is nothing to mount
 * with. */
#define NEED_FUSE()							\
	do {								\
		if (!mnt_available()) {					\
			print_message("no /dev/fuse or fusermount3\n");	\
			skip();						\
		}							\
	} while (0)

#endif
