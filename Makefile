# headroom: the two commands a newcomer needs are `make demo` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh).

BUILD      ?= build
ASAN_BUILD ?= build-asan
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps deps-build build demo test test-unit test-asan check-macos bench install clean

all: build

deps:
	@scripts/install-deps.sh all

deps-build:
	@scripts/install-deps.sh build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps-build $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The main job on this machine: what the machine is, then the bundled
# workload (headroom stress --steps: fixed units of CPU work with tqdm-style
# progress) governed by headroom run, then the report of that session. The
# batch policy (a 3 s break every 15 steps) makes a cooling break happen on
# any machine, sensors or not; real jobs use the default, --policy auto.
DEMO_DIR ?= demo
demo: build
	./$(BUILD)/headroom probe
	@mkdir -p $(DEMO_DIR)
	./$(BUILD)/headroom run --force -o $(DEMO_DIR)/run.db --hz 2 --policy batch \
	    --batch-size 15 --break 3 -- \
	    ./$(BUILD)/headroom stress --cpu 1 --load 0.9 --steps 40 --units-per-step 100
	./$(BUILD)/headroom report $(DEMO_DIR)/run.db -o $(DEMO_DIR)/report.html
	./$(BUILD)/headroom report $(DEMO_DIR)/run.db --format text
	@echo "demo: session $(DEMO_DIR)/run.db, report $(abspath $(DEMO_DIR))/report.html"

# Every test: the normal build, then the same tests again under ASan+UBSan
# with the fuzz targets, then the macOS cross build.
test: deps
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory check-macos

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: deps
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHR_SANITIZE=ON -DHR_FUZZ=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

check-macos: deps
	scripts/check-macos.sh

bench: build
	bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-macos-*
