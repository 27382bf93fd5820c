# framefs - the two commands of the README, and the few around them.
#   make demo      install what is missing, build, run the guided demo
#   make test      install what is missing, build, run every test
#   make sanitize  the tests again under ASan+UBSan and TSan (CI runs it)
#   make bench     the benchmarks (figures, never pass/fail): the cache core,
#                  the simulator's replay, framefs against
#                  passthrough_ll and the native dir, then the live
#                  kernel against its model (root and cgroup v1, else SKIP),
#                  then framefs over Apache/nginx against libcurl, the
#                  directory store, davfs2 and rclone (SKIP where missing),
#                  then framefs on a Ceph gateway against libcurl and s3fs
#   make install   the five programs and their man pages under PREFIX
#                  (default /usr/local), inside DESTDIR if it is set
#   make format-check  what clang-format (.clang-format) would change: a
#                  count per file for the tree, the diff for lines changed
#                  since FORMAT_BASE (default main); exits 1 only for those
# WERROR=1 makes warnings errors (CI sets it).
# BENCH_FLAGS=--quick makes `make bench` a smoke run (CI).

BUILD   ?= build
WERROR  ?= 0
BENCH_FLAGS ?=
CLANG_FORMAT ?= clang-format-14
FORMAT_BASE ?= main
PREFIX  ?= /usr/local
DESTDIR ?=
WFLAG    = -Dwerror=$(if $(filter 1,$(WERROR)),true,false)

.PHONY: all deps build test demo bench sanitize install format-check clean

all: build

deps:
	@tools/deps.sh

# meson setup once per build dir; reconfigure only when WERROR changes.
define setup
	@if [ ! -f $(1)/build.ninja ]; then meson setup $(1) $(WFLAG) $(2); \
	 elif [ ! -f $(1)/.werror-$(WERROR) ]; then meson configure $(1) $(WFLAG); fi; \
	 rm -f $(1)/.werror-*; touch $(1)/.werror-$(WERROR)
	@ninja -C $(1)
endef

build: deps
	$(call setup,$(BUILD),)

test: build
	@rc=0; meson test -C $(BUILD) --print-errorlogs || rc=$$?; \
	 python3 tests/summary.py $(BUILD)/meson-logs/testlog.json; exit $$rc

demo: build
	@tools/demo.sh $(BUILD)

bench: build
	$(BUILD)/bench/cache_bench $(BENCH_FLAGS)
	$(BUILD)/bench/sim_bench $(BENCH_FLAGS)
	$(BUILD)/bench/fs_bench $(BENCH_FLAGS)
	$(BUILD)/bench/kernel_bench $(BENCH_FLAGS)
	$(BUILD)/bench/http_bench $(BENCH_FLAGS)
	$(BUILD)/bench/s3_bench $(BENCH_FLAGS)

sanitize: deps
	$(call setup,$(BUILD)-asan,-Db_sanitize=address,undefined -Dlock_checks=true)
	$(call setup,$(BUILD)-tsan,-Db_sanitize=thread -Dlock_checks=true)
	@rc=0; \
	 meson test -C $(BUILD)-asan --suite unit --suite mount --print-errorlogs || rc=$$?; \
	 meson test -C $(BUILD)-tsan --suite concurrency --suite mount --no-suite readahead --print-errorlogs || rc=$$?; \
	 python3 tests/summary.py $(BUILD)-asan/meson-logs/testlog.json \
	   $(BUILD)-tsan/meson-logs/testlog.json; exit $$rc

# The prefix is a configure option: set on the build dir when it changes
# (meson install then regenerates the build before installing).
install: build
	@if [ "$$(meson introspect $(BUILD) --buildoptions | \
	   python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')" \
	   != "$(PREFIX)" ]; then meson configure $(BUILD) -Dprefix=$(PREFIX); fi
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir "$(DESTDIR)")

# Not part of CI: clang-format cannot align trailing comments to tab stops
# as the tree's hand-made tables do, so the tree as a whole is reported,
# and only lines changed since FORMAT_BASE are held to the style.
format-check:
	@command -v $(CLANG_FORMAT) >/dev/null || \
	 { echo "format-check: $(CLANG_FORMAT): not found" \
	   "(apt-get install clang-format-14)" >&2; exit 2; }
	@total=0; nfiles=0; \
	 for f in $$(git ls-files '*.c' '*.h'); do \
	   n=$$($(CLANG_FORMAT) --style=file "$$f" | diff "$$f" - | grep -c '^<'); \
	   if [ "$$n" -gt 0 ]; then \
	     printf '%6d  %s\n' "$$n" "$$f"; \
	     total=$$((total + n)); nfiles=$$((nfiles + 1)); fi; \
	 done; \
	 echo "format-check: the tree: $$total lines in $$nfiles files differ" \
	   "from .clang-format (mostly tab-aligned comments: not enforced)"
	@if ! git rev-parse -q --verify '$(FORMAT_BASE)^{commit}' >/dev/null; then \
	   echo "format-check: $(FORMAT_BASE): no such commit; changed lines not checked"; \
	 else \
	   out=$$(git clang-format-14 --binary $(CLANG_FORMAT) --diff \
	            --extensions c,h $(FORMAT_BASE) -- 2>&1); \
	   case "$$out" in \
	   "no modified files to format"|*"did not modify any files"*) \
	     echo "format-check: lines changed since $(FORMAT_BASE): formatted";; \
	   *) echo "$$out"; \
	      echo "format-check: lines changed since $(FORMAT_BASE): see the diff above"; \
	      exit 1;; \
	   esac; \
	 fi

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan
