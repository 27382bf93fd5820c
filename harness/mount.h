/* mount.h - real framefs mounts for the mount tests, fs_bench and compare.
 *
 *   if (!mnt_available()) ... skip ...     no /dev/fuse or fusermount3
 *   mnt_start(&m, "frames=64,policy=lru")  temp dir with backing/ and mnt/,
 *                                          framefs -f running on them
 *   ... use m.mp (mountpoint) and m.backing ...
 *   mnt_stat(&m, "reads")                  a value from .framefs/stats
 *   mnt_stop(&m)                           fusermount3 -u, wait for the daemon
 *                                          (it flushes), its exit status
 *   mnt_cleanup(&m)                        remove the temp dir
 *
 * Every started mount is remembered; an atexit handler and mnt_stop_all()
 * unmount whatever a failing test left behind, by PID, never by name.
 * The daemon binary is $FRAMEFS (meson sets it for the tests; fs_bench
 * and compare default it to the build's).  No test framework here: the tests' cmocka
 * skip is tests/need_fuse.h.
 */
#ifndef FRAMEFS_HARNESS_MOUNT_H
#define FRAMEFS_HARNESS_MOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mnt {
	char dir[256];		/* temp dir holding the two below; set to a
				 * path ending in XXXXXX before mnt_start(),
				 * its mkdtemp template */
	char backing[300];
	char source[300];	/* if set before mnt_start(): what framefs
				 * mounts (an http:// URL) instead of
				 * backing, which then names the directory
				 * behind it that tests inspect */
	char mp[300];
	pid_t pid;		/* daemon, 0 once stopped */
	char opts[512];
	char log[300];		/* if set before mnt_start(): the daemon's
				 * stdout and stderr go to this file */
	bool own_pgrp;		/* the daemon in a process group of its
				 * own: a terminal's Ctrl-C reaches only
				 * the caller, which unmounts */
	bool quiet;		/* failures only in why, not on stderr */
	char why[256];		/* the last failure, one line */
};

bool mnt_available(void);
/* Starts framefs on a new temp dir (or on m->backing if set before the
 * call and dir is empty; after an earlier start of m has stopped, on that
 * start's dir again, so mnt_cleanup removes everything).  Returns 0, or
 * -1 with the reason on stderr. */
int mnt_start(struct mnt *m, const char *opts);
/* Starts framefs again on the same dirs. */
int mnt_restart(struct mnt *m);
/* Unmounts and waits; returns the daemon's exit status (or -1). */
int mnt_stop(struct mnt *m);
void mnt_stop_all(void);
void mnt_cleanup(struct mnt *m);
/* Value of a stats line; UINT64_MAX if absent. */
uint64_t mnt_stat(struct mnt *m, const char *name);
/* Writes a command to .framefs/control; returns 0 or -errno. */
int mnt_control(struct mnt *m, const char *cmd);
/* Runs argv (NULL-terminated), waits, returns exit status or -1; stderr of
 * the child goes to errbuf if given. */
int run_cmd(char *const argv[], char *errbuf, size_t errlen);
/* Path helpers: m->mp/name and m->backing/name, in static buffers that
 * are reused every fourth call. */
const char *mpath(struct mnt *m, const char *name);
const char *bpath(struct mnt *m, const char *name);

#endif
