/* need_fuse.h - the mount helper (harness/mount.h) in a cmocka test.
 *
 *   static void test_x(void **state) { NEED_FUSE(); ... mnt_start(...) }
 *   cmocka_unit_test_prestate_setup_teardown(test_x, mnt_case_setup,
 *                                            mnt_case_teardown, &m)
 *
 * Include after <cmocka.h>.  Kept out of harness/ so that fs_bench, which
 * mounts through the same helper, does not need cmocka.
 */
#ifndef FRAMEFS_TESTS_NEED_FUSE_H
#define FRAMEFS_TESTS_NEED_FUSE_H

#include <string.h>

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

/* For a case given its struct mnt as cmocka's initial state: a clean
 * struct before; after, whatever the case did or failed to do, every mount
 * stopped (by PID) and the struct's directories removed. */
static inline int mnt_case_setup(void **state)
{
	memset(*state, 0, sizeof(struct mnt));
	return 0;
}

static inline int mnt_case_teardown(void **state)
{
	mnt_stop_all();
	mnt_cleanup(*state);
	return 0;
}

#endif
