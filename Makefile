# softphoned — build, test, demo, benchmarks and install.
# `make demo` and `make test` install the Debian packages they need first (sudo when not root).

SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
DURATION     ?= 0
PROFILE      ?= genesys
BENCH_SECONDS ?= 20

.PHONY: all deps build release test demo bench bench-compare install clean fuzz fuzz-build fuzz-smoke

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The whole suite: unit tests, the far-end interop tests (GStreamer, ffmpeg), ALSA through a
# PulseAudio null sink that the tests start themselves, REST over real HTTP, systemd checks,
# then the allocation gate of the benchmarks.
# Each test target runs in its own process: the real-time media tests block threads, and
# the HTTP tests' short timeouts must not share a 2-core machine's thread pool with them.
TEST_TARGETS = MediaCoreTests FuzzTargetsTests ControlServerTests PlatformSyncTests SystemdSupportTests MediaEngineTests CallControlTests SIPPhoneTests SIPPeersTests SoftphoneDaemonTests
# The suites that drive headless Chromium (a core of their own) run last, in a process of
# their own, so the latency tests of the other suites never share the machine with a browser.
BROWSER_SUITES = WebRTCPeerTests|WebRTCInteropTests|DemoBrowserTests
# The daemon-level suites run one test at a time: each starts daemons with real-time media
# threads and timing checks, and their async waits no longer hold back Swift Testing's
# parallelism, which on 2 cores put a dozen daemons side by side.
SERIAL_TARGETS = SoftphoneDaemonTests

test: deps
	$(SWIFT) build --build-tests
	@set -e; for target in $(TEST_TARGETS); do \
	  echo "== $$target"; \
	  $(SWIFT) test --skip-build $$(case " $(SERIAL_TARGETS) " in *" $$target "*) echo --no-parallel;; esac) \
	    --filter "^$$target\\." --skip "\\.($(BROWSER_SUITES))\\b" ; \
	done
	@echo "== browser suites ($(BROWSER_SUITES))"
	$(SWIFT) test --skip-build --no-parallel --filter "\\.($(BROWSER_SUITES))\\b"
	$(MAKE) --no-print-directory bench-gate
	$(MAKE) --no-print-directory fuzz-smoke FUZZ_OPTIMIZE=

demo: deps
	$(SWIFT) build --product softphoned
	$(SWIFT) build --product softphonectl
	$(SWIFT) build --product softphone-api-emulator
	"$$($(SWIFT) build --show-bin-path)/softphoned" --demo --profile $(PROFILE) $(if $(filter-out 0,$(DURATION)),--duration $(DURATION))

# Benchmarks (package-benchmark); the thresholds in Benchmarks/Thresholds gate allocations only.
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --no-progress

bench-gate: deps
	cd Benchmarks && $(SWIFT) package benchmark thresholds check --target FramePipeline --target ReceivePath --no-progress

# CPU time of softphoned's send path against GStreamer doing the same work, in one run.
bench-compare: release
	bash scripts/bench-compare.sh $(BENCH_SECONDS)

install: release
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" bash scripts/install.sh "$$($(SWIFT) build -c release --show-bin-path)"

# Fuzzing with libFuzzer and AddressSanitizer (Fuzz/README.md). The fuzzers build in their own
# scratch path, so the ordinary build is never rebuilt with sanitizers.
FUZZ_TARGETS       = sdp control media config sip
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_SCRATCH       = .build-fuzz
# -O: libFuzzer needs speed for long runs; the debug configuration keeps the build incremental
# and per file. `make test`'s brief smoke run builds without it, in half the time.
FUZZ_OPTIMIZE      ?= -Xswiftc -O
FUZZ_BUILD_FLAGS   = -c debug --scratch-path $(FUZZ_SCRATCH) $(FUZZ_OPTIMIZE) -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
FUZZ_RUN_FLAGS     = -detect_leaks=0 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
# AddressSanitizer still checks every access; it only stops recording each allocation's stack
# (about a sixth of fuzz-sdp's time). To see "allocated by" in a report, replay the input
# with FUZZ_ASAN_OPTIONS=detect_leaks=0.
FUZZ_ASAN_OPTIONS  ?= detect_leaks=0:malloc_context_size=0

fuzz-build: deps
	@set -e; for target in $(FUZZ_TARGETS); do \
	  $(SWIFT) build $(FUZZ_BUILD_FLAGS) --product fuzz-$$target; \
	done

# Each target for FUZZ_SECONDS; new inputs go to $(FUZZ_SCRATCH)/corpus, crashes to
# $(FUZZ_SCRATCH)/crashes (copy a fixed one to Fuzz/Crashes/<target>/ as its regression test).
fuzz: fuzz-build
	@set -e; for target in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_SCRATCH)/corpus/$$target $(FUZZ_SCRATCH)/crashes/$$target; \
	  echo "== fuzz-$$target for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=$(FUZZ_ASAN_OPTIONS) $(FUZZ_SCRATCH)/debug/fuzz-$$target $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FUZZ_SCRATCH)/crashes/$$target/ $(FUZZ_SCRATCH)/corpus/$$target Fuzz/Corpus/$$target; \
	done

# What make test runs: every input that ever crashed, then each target briefly from the seeds.
fuzz-smoke: fuzz-build
	@set -e; for target in $(FUZZ_TARGETS); do \
	  echo "== fuzz-$$target: replay Fuzz/Crashes/$$target, then $(FUZZ_SMOKE_SECONDS) s of fuzzing"; \
	  crashes=$$(find Fuzz/Crashes/$$target -type f ! -name '.*'); \
	  if [ -n "$$crashes" ]; then ASAN_OPTIONS=$(FUZZ_ASAN_OPTIONS) $(FUZZ_SCRATCH)/debug/fuzz-$$target $(FUZZ_RUN_FLAGS) $$crashes; fi; \
	  mkdir -p $(FUZZ_SCRATCH)/smoke/$$target; \
	  ASAN_OPTIONS=$(FUZZ_ASAN_OPTIONS) $(FUZZ_SCRATCH)/debug/fuzz-$$target $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SMOKE_SECONDS) \
	    -artifact_prefix=$(FUZZ_SCRATCH)/smoke/ $(FUZZ_SCRATCH)/smoke/$$target Fuzz/Corpus/$$target; \
	done

clean:
	rm -rf .build .build-fuzz Benchmarks/.build
