# The two entry points of the README. Both install what they need first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps build test test-fast test-asan test-tsan fuzz demo clean

deps:
	bash deploy/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j $(JOBS)

# test: every test, slow ones included (what CI runs).
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# test-fast: the quick suite only.
test-fast: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L fast

# Sanitizers and fuzzing (README "Sanitizers and fuzzing"): each has its own
# build directory; none is part of `make test`.
SUPPRESSIONS := $(CURDIR)/deploy
# history_size=7: the longest history, so that the OpenMP workers' stacks
# (and with them deploy/tsan.supp's libgomp entry) can be restored.
# ignore_noninstrumented_modules=1: calls that Debian's uninstrumented
# gRPC and Abseil make to malloc, free and memcpy are not checked (TSan
# cannot see those libraries' own synchronisation).
TSAN_FLAGS := halt_on_error=1:second_deadlock_stack=1:history_size=7
TSAN_FLAGS := $(TSAN_FLAGS):ignore_noninstrumented_modules=1
SANITIZER_ENV := \
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
  LSAN_OPTIONS=suppressions=$(SUPPRESSIONS)/lsan.supp \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  TSAN_OPTIONS=$(TSAN_FLAGS):suppressions=$(SUPPRESSIONS)/tsan.supp

# test-asan: ASan + UBSan build in build-asan; the fast, integration and
# Python suites (the Python tests drive the sanitized server).
test-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DJKOFLOW_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) \
	  -L 'fast|integration|python' $(CTEST_ARGS)

# test-tsan: TSan build in build-tsan; the server, integration and Python
# suites.
test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DJKOFLOW_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) \
	  -R '^(server|integration|python)_' $(CTEST_ARGS)

# fuzz: libFuzzer (clang, ASan + UBSan) in build-fuzz, each target for
# 1,000,000 executions or 10 minutes; prints executions and crashes.
fuzz: deps
	JOBS=$(JOBS) bash deploy/fuzz.sh

# demo: install, build the server and CLI, start the server on its defaults,
# train an 8gaussians model through the CLI, sample, plot, report the test
# NLL, stop the server (deploy/demo.sh).
demo:
	BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) bash deploy/demo.sh

clean:
	rm -rf $(BUILD_DIR)
