# The two entry points of the README. Both install what they need first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps build test test-fast demo clean

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

# demo: install, build the server and CLI, start the server on its defaults,
# train an 8gaussians model through the CLI, sample, plot, report the test
# NLL, stop the server (deploy/demo.sh).
demo:
	BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) bash deploy/demo.sh

clean:
	rm -rf $(BUILD_DIR)
