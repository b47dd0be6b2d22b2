# softphoned — build, test, demo, benchmarks and install.
# `make demo` and `make test` install the Debian packages they need first (sudo when not root).

SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
DURATION     ?= 0
PROFILE      ?= genesys
BENCH_SECONDS ?= 20

.PHONY: all deps build release test demo bench bench-compare install clean

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
TEST_TARGETS = MediaCoreTests ControlServerTests SessionSignalingTests SystemdSupportTests MediaEngineTests SoftphoneDaemonTests

test: deps
	$(SWIFT) build --build-tests
	@set -e; for target in $(TEST_TARGETS); do \
	  echo "== $$target"; \
	  $(SWIFT) test --skip-build --filter "^$$target\\." ; \
	done
	$(MAKE) --no-print-directory bench-gate

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

clean:
	rm -rf .build Benchmarks/.build
