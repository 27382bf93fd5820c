/* trace.h - page reference traces: one reader and one writer for every tool
 * (mmload --trace-out, framefs -o trace=, framesim, compare).
 *
 *   rc = trace_reader_open(path, "auto", &r, err, sizeof(err));
 *   while ((rc = trace_read(r, &ref)) == 1)  use ref
 *   if (rc < 0) puts(trace_reader_error(r));  "FILE:LINE: why"
 *   trace_reader_close(r);
 *
 *   rc = trace_writer_open(path, "source=mmload seed=1", &w);
 *   trace_write(w, &ref) ...;                buffered, one thread at a time
 *   rc = trace_writer_close(w);              0 or the first write error
 *
 * The framefs trace format (README "Trace format"): text, one reference per
 * line, '#' lines are comments, the first line is
 *   # framefs trace v1 [key=value ...]
 * and each reference is
 *   TIME_US FILE PGNO r|w [h|m]
 * TIME_US: microseconds since the start; FILE: a file number (mmload: 0,
 * the daemon: its cache key); PGNO: 4 KiB page number; r or w; optionally h
 * or m, the daemon's frame hit or miss.  A path ending in .zst is read and
 * written zstd-compressed; the reader takes "-" for standard input.
 *
 * Other formats the reader takes ("csv:COLS", "msr", "oraclegeneral", and
 * "auto", which guesses from the name and the first bytes) become the same
 * struct trace_ref: byte ranges are spread into one reference per page, and
 * a record whose range is larger than the reader's limit
 * (trace_reader_set_max_record, TRACE_MAX_RECORD_DEFAULT unless set) is an
 * error naming its line, not billions of references.  Input that starts
 * with zstd's magic number is decompressed whatever its name (a pipe:
 * `zstd -c t | framesim -`).
 * Errors: 0 / negative errno; messages in err or trace_reader_error().
 */
#ifndef FRAMEFS_TRACE_H
#define FRAMEFS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_PAGE_SIZE 4096u
#define TRACE_MAX_RECORD_DEFAULT (1ull << 30)	/* bytes in one record */

struct trace_ref {
	uint64_t time_us;		/* since the trace's start */
	uint64_t file;			/* file (object) number */
	uint64_t pgno;			/* page within the file */
	bool write;			/* the access wrote */
	char result;			/* 'h', 'm', or 0: not recorded */
};

struct trace_reader;
struct trace_writer;

int trace_reader_open(const char *path, const char *format,
		      struct trace_reader **out, char *err, size_t errlen);
/* Checks a format name (and csv:COLS) without opening anything, for a
 * tool's command line: 0, or -EINVAL with the reason in err. */
int trace_format_check(const char *format, char *err, size_t errlen);
/* The largest byte range one record (msr, csv with off and size) may
 * cover; a larger one is an error "FILE:LINE: record of N bytes is larger
 * than NAME".  name says how the caller's user sets the limit (framesim:
 * "--max-record 1G"); NULL: "the limit of N bytes".  Call before the
 * first trace_read(). */
void trace_reader_set_max_record(struct trace_reader *r, uint64_t nbytes,
				 const char *name);
/* 1: *ref filled; 0: end of trace; < 0: error (trace_reader_error). */
int trace_read(struct trace_reader *r, struct trace_ref *ref);
const char *trace_reader_error(const struct trace_reader *r);
/* Bytes consumed so far and the file's size (0 if unknown), for progress. */
void trace_reader_progress(const struct trace_reader *r, uint64_t *done,
			   uint64_t *total);
void trace_reader_close(struct trace_reader *r);

/* header: key=value words written after "# framefs trace v1"; may be NULL.
 * Returns 0, or a negative errno. */
int trace_writer_open(const char *path, const char *header,
		      struct trace_writer **out);
int trace_write(struct trace_writer *w, const struct trace_ref *ref);
int trace_writer_close(struct trace_writer *w);

#endif
