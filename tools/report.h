/* report.h - compare's report: OUTDIR/results.csv made into what a person
 * looks at.
 *
 *   rc = report_write(outdir, why, sizeof why);
 *   if (rc < 0) ... one line in why ...
 *
 * Reads OUTDIR/results.csv (columns by header name; unknown ones are
 * ignored), the series/ and curves/ files its rows name or its workloads
 * imply, and OUTDIR/command.txt if there is one; writes OUTDIR/summary.md,
 * OUTDIR/w<N>-<what>.png (gnuplot pngcairo; their data and scripts in
 * OUTDIR/plots/) and OUTDIR/report.html (one self-contained page: the PNGs
 * inside as data: URIs, relative links to results.csv and summary.md only).
 * doc/compare.md ("The report") says what each column and picture shows.
 *
 * Re-runnable: every output is rewritten from the whole results.csv (files
 * replaced by rename), pictures the data no longer make are removed, and
 * two calls over the same directory write the same summary.md and
 * report.html.
 *
 * Returns 0, or a negative errno with one line in WHY:
 *   -ENOENT, -EACCES, ...   results.csv unreadable, or an output unwritable
 *                           ("OUTDIR/results.csv: No such file or directory")
 *   -EINVAL                 results.csv malformed; WHY names the line
 *                           ("results.csv: line 7: unterminated quoted field")
 *   -ENOENT                 no gnuplot: summary.md and report.html are
 *                           written all the same, without pictures and
 *                           saying why; WHY is "gnuplot: not found
 *                           (apt-get install gnuplot-nox)"
 *   -EIO                    gnuplot failed on a picture (the others and both
 *                           pages are written); WHY is its complaint
 * Not thread-safe against another report_write() on the same OUTDIR.
 */
#ifndef FRAMEFS_REPORT_H
#define FRAMEFS_REPORT_H

#include <stddef.h>

int report_write(const char *outdir, char *why, size_t whylen);

#endif
