# Twine - a thin layer over CMake. Every target installs missing Debian
# packages first (scripts/install-deps.sh), so a fresh Debian 12 machine
# needs nothing but `make`.
#
#   make run      build (release) and run the bundled WASI example with the CLI
#   make test     build (release) and run every test (ctest)
#   make asan     the same tests in an AddressSanitizer+UBSan build, with the
#                 interpreter's switch dispatch (the fallback for compilers
#                 without computed goto), so CI tests both dispatch modes
#   make bench    build and run the benchmark kernels, native vs. twine
#   make fuzz     build the libFuzzer target (clang-19) and fuzz it
#   make clean    remove the build directories
#
# Variables: WERROR=1 (warnings are errors), JOBS=N (build parallelism),
# FUZZ_SECONDS=N (default 600), BENCH_REPS=N (default 3),
# BUILD / ASAN_BUILD / FUZZ_BUILD (build directories).

BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
JOBS         ?= $(shell nproc)
WERROR       ?= 0
FUZZ_SECONDS ?= 600
BENCH_REPS   ?= 3

CMAKE_OPTS := -DTWINE_WERROR=$(if $(filter 1 ON on yes,$(WERROR)),ON,OFF)
CTEST_OPTS := --output-on-failure -j2

.PHONY: all deps configure build run test asan bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_OPTS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The bundled example: examples/wasi/wordfreq.c, an ordinary C program
# (stdio, opendir/readdir, stat) compiled to wasm32-wasi by the build, counts
# the words of the text files in examples/wasi/data, which it sees as /data
# through a --dir preopen. Then an export called directly with --invoke.
run: build
	@echo '$$ $(BUILD)/twine run --dir examples/wasi/data::/data $(BUILD)/examples/wordfreq.wasm /data'
	@$(BUILD)/twine run --dir examples/wasi/data::/data $(BUILD)/examples/wordfreq.wasm /data
	@echo '$$ $(BUILD)/twine run --invoke fib 90 $(BUILD)/examples/primes.wasm'
	@$(BUILD)/twine run --invoke fib 90 $(BUILD)/examples/primes.wasm
	@echo '  (Fibonacci(90) is 2880067194370816120)'

test: build
	ctest --test-dir $(BUILD) $(CTEST_OPTS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DTWINE_SANITIZE=ON -DTWINE_INTERP_SWITCH=ON \
	  -DTWINE_DEBIAN_SRC_DIR=$(abspath $(BUILD))/debian-src $(CMAKE_OPTS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) $(CTEST_OPTS)

bench: configure
	cmake --build $(BUILD) --target bench -j $(JOBS)
	python3 bench/run.py --build $(BUILD) --reps $(BENCH_REPS)

fuzz: deps
	FUZZ_BUILD=$(FUZZ_BUILD) WERROR=$(WERROR) scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
