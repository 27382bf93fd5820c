/* framesim.c - replay a reference string through the cache core's policies.
 *
 * The simulator links the same cache/ library as the filesystem, in
 * metadata-only mode: the index, the frame states and the policy code that
 * decide a run here are the ones that decide it on a mount.  This first
 * version reads reference strings given on the command line (the teaching
 * case); trace files come with the trace module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "policy.h"

#define PROG "framesim"

struct run {
	const char *policy;
	uint32_t nframes;
	uint64_t requests, misses, evictions;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [--policy LIST] [--frames LIST] [--step] --refs REFS\n"
"       " PROG " --list\n"
"\n"
"Replays a reference string (page numbers) through the cache core's eviction\n"
"policies and counts page faults, the way a textbook exercise does.\n"
"\n"
"  -p, --policy LIST   comma-separated policies (default: fifo,lru,clock)\n"
"  -n, --frames LIST   comma-separated frame counts (default: 3)\n"
"  -r, --refs REFS     the reference string: page numbers separated by\n"
"                      commas or spaces\n"
"  -s, --step          show the frames after each reference: which page each\n"
"                      frame holds, hit or fault, the page evicted, and the\n"
"                      policy's own state (queue order, hand, reference bits)\n"
"  -l, --list          list the policies\n"
"  -h, --help          this help\n"
"  -V, --version       print the version\n"
"\n"
"examples:\n"
"  " PROG " --policy fifo --frames 3,4 --refs 1,2,3,4,1,2,5,1,2,3,4,5\n"
"      Belady's anomaly: FIFO takes 9 faults with 3 frames, 10 with 4\n"
"  " PROG " --step --policy clock --frames 3 --refs '7 0 1 2 0 3 0 4'\n"
"\n"
"Output: a table of requests, faults (misses), fault ratio and evictions.\n"
"Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

static int parse_list(const char *arg, char ***out)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	char **v = NULL;
	int n = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char **nv = realloc(v, (size_t)(n + 2) * sizeof(*v));

		if (!nv)
			return -ENOMEM;
		v = nv;
		v[n++] = strdup(tok);
		v[n] = NULL;
	}
	free(copy);
	*out = v;
	return n;
}

/* Parses page numbers separated by commas or blanks; -EINVAL on junk. */
static int parse_refs(const char *s, uint64_t **out, size_t *n)
{
	uint64_t *v = NULL;
	size_t len = 0, cap = 0;

	while (*s) {
		char *end;
		unsigned long long x;

		if (*s == ',' || *s == ' ' || *s == '\t' || *s == '\n') {
			s++;
			continue;
		}
		if (*s < '0' || *s > '9')
			goto bad;
		errno = 0;
		x = strtoull(s, &end, 10);
		if (errno)
			goto bad;
		if (len == cap) {
			uint64_t *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto bad;
			v = nv;
		}
		v[len++] = x;
		s = end;
	}
	*out = v;
	*n = len;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

struct show_ctx {
	uint64_t *slot;		/* page held by each frame, or UINT64_MAX */
};

static void note_frame(void *arg, uint32_t fno, uint64_t ino, uint64_t pgno,
		       enum frame_state s)
{
	struct show_ctx *ctx = arg;

	(void)ino;
	(void)s;
	ctx->slot[fno] = pgno;
}

static void print_step(struct cache *c, uint32_t nframes, uint64_t ref,
		       bool miss, bool evicted, uint64_t victim)
{
	uint64_t slot[nframes];
	struct show_ctx ctx = { slot };

	for (uint32_t i = 0; i < nframes; i++)
		slot[i] = UINT64_MAX;
	cache_foreach_frame(c, note_frame, &ctx);
	printf("%6llu  ", (unsigned long long)ref);
	for (uint32_t i = 0; i < nframes; i++) {
		if (slot[i] == UINT64_MAX)
			printf(" %4s", ".");
		else
			printf(" %4llu", (unsigned long long)slot[i]);
	}
	printf("   %-5s", miss ? "fault" : "hit");
	if (evicted)
		printf(" %6llu   ", (unsigned long long)victim);
	else
		printf(" %6s   ", "");
	cache_policy_show(c, stdout);
	putchar('\n');
}

/* Returns 0, or a negative errno with a message printed. */
static int simulate(struct run *r, const uint64_t *refs, size_t nrefs,
		    bool step)
{
	struct cache_config cfg = {
		.nframes = r->nframes, .policy = r->policy,
		.metadata_only = true,
	};
	struct cache *c = cache_new(&cfg);

	if (!c) {
		fprintf(stderr, PROG ": %s with %u frames: %s\n", r->policy,
			r->nframes, strerror(errno));
		return -errno;
	}
	if (step) {
		printf("%s, %u frames\n%6s  ", r->policy, r->nframes, "ref");
		for (uint32_t i = 0; i < r->nframes; i++) {
			char name[16];

			snprintf(name, sizeof(name), "f%u", i);
			printf(" %4s", name);
		}
		printf("   %-5s %6s   %s\n", "", "evicts", "policy state");
	}
	for (size_t i = 0; i < nrefs; i++) {
		struct frame *fr;
		uint64_t victim = 0, ino;
		bool evicted = false;
		int rc;

		while ((rc = cache_get(c, 0, refs[i], 0, &fr)) == -ENOBUFS) {
			struct frame *v;

			rc = cache_evict_begin(c, &v);
			if (rc < 0)
				break;
			cache_frame_key(c, v, &ino, &victim);
			if (cache_evict_end(c, v) == 0) {
				evicted = true;
				r->evictions++;
			}
		}
		if (rc < 0) {
			fprintf(stderr, PROG ": %s: reference %zu: %s\n",
				r->policy, i, strerror(-rc));
			cache_free(c);
			return rc;
		}
		if (rc == 1)
			cache_load_done(c, fr, 0);
		cache_unpin(c, fr);
		r->requests++;
		r->misses += rc == 1;
		if (step)
			print_step(c, r->nframes, refs[i], rc == 1, evicted,
				   victim);
	}
	if (step)
		printf("faults: %llu of %llu references\n\n",
		       (unsigned long long)r->misses,
		       (unsigned long long)r->requests);
	cache_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "frames", required_argument, NULL, 'n' },
		{ "refs", required_argument, NULL, 'r' },
		{ "step", no_argument, NULL, 's' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy_arg = "fifo,lru,clock", *frames_arg = "3";
	const char *refs_arg = NULL;
	char **policies, **frames;
	int npol, nfr, opt, status = 0;
	bool step = false;
	uint64_t *refs;
	size_t nrefs;

	while ((opt = getopt_long(argc, argv, "p:n:r:slhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': policy_arg = optarg; break;
		case 'n': frames_arg = optarg; break;
		case 'r': refs_arg = optarg; break;
		case 's': step = true; break;
		case 'l':
			for (const struct policy_ops *const *p = policy_all();
			     *p; p++)
				printf("%-8s %s\n", (*p)->name, (*p)->summary);
			return 0;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " " FRAMEFS_VERSION "\n"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": %s: trace files are not read yet; "
			"give a reference string with --refs\n", argv[optind]);
		return 2;
	}
	if (!refs_arg) {
		fprintf(stderr, PROG ": --refs: missing (try --help)\n");
		return 2;
	}
	if (parse_refs(refs_arg, &refs, &nrefs) < 0 || nrefs == 0) {
		fprintf(stderr, PROG ": --refs: '%s': not a list of page "
			"numbers\n", refs_arg);
		return 2;
	}
	npol = parse_list(policy_arg, &policies);
	nfr = parse_list(frames_arg, &frames);
	if (npol <= 0 || nfr <= 0) {
		fprintf(stderr, PROG ": empty --policy or --frames list\n");
		return 2;
	}
	for (int i = 0; i < npol; i++) {
		if (!policy_find(policies[i])) {
			fprintf(stderr, PROG ": --policy: %s: unknown policy "
				"(see --list)\n", policies[i]);
			return 2;
		}
	}
	for (int j = 0; j < nfr; j++) {
		char *end;
		unsigned long v = strtoul(frames[j], &end, 10);

		if (*end || v == 0 || v > 1u << 30) {
			fprintf(stderr, PROG ": --frames: %s: not a frame count "
				"between 1 and 2^30\n", frames[j]);
			return 2;
		}
	}

	struct run runs[npol * nfr];

	for (int i = 0; i < npol; i++) {
		for (int j = 0; j < nfr; j++) {
			struct run *r = &runs[i * nfr + j];

			memset(r, 0, sizeof(*r));
			r->policy = policies[i];
			r->nframes = (uint32_t)strtoul(frames[j], NULL, 10);
			if (simulate(r, refs, nrefs, step) < 0)
				status = 1;
		}
	}
	printf("%-8s %8s %10s %10s %10s %10s\n", "policy", "frames",
	       "requests", "faults", "ratio", "evictions");
	for (int k = 0; k < npol * nfr; k++) {
		struct run *r = &runs[k];

		printf("%-8s %8u %10llu %10llu %10.4f %10llu\n", r->policy,
		       r->nframes, (unsigned long long)r->requests,
		       (unsigned long long)r->misses,
		       r->requests ? (double)r->misses / r->requests : 0.0,
		       (unsigned long long)r->evictions);
	}
	return status;
}
