# The two entry points of the README. Both install what they need first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps build test test-fast clean

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

clean:
	rm -rf $(BUILD_DIR)
