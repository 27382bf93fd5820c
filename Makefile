# framefs - the two commands of the README, and the few around them.
#   make demo      install what is missing, build, run the guided demo
#   make test      install what is missing, build, run every test
#   make sanitize  the tests again under ASan+UBSan and TSan (CI runs it)
#   make bench     the benchmarks (figures, never pass/fail): the cache core,
#                  the simulator's replay, then framefs against
#                  passthrough_ll and the native dir
# WERROR=1 makes warnings errors (CI sets it).
# BENCH_FLAGS=--quick makes `make bench` a smoke run (CI).

BUILD   ?= build
WERROR  ?= 0
BENCH_FLAGS ?=
WFLAG    = -Dwerror=$(if $(filter 1,$(WERROR)),true,false)

.PHONY: all deps build test demo bench sanitize clean

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

sanitize: deps
	$(call setup,$(BUILD)-asan,-Db_sanitize=address,undefined)
	$(call setup,$(BUILD)-tsan,-Db_sanitize=thread)
	@rc=0; \
	 meson test -C $(BUILD)-asan --suite unit --suite mount --print-errorlogs || rc=$$?; \
	 meson test -C $(BUILD)-tsan --suite concurrency --suite mount --print-errorlogs || rc=$$?; \
	 python3 tests/summary.py $(BUILD)-asan/meson-logs/testlog.json \
	   $(BUILD)-tsan/meson-logs/testlog.json; exit $$rc

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan
