# Makefile — thin wrapper over scripts and CMake. Every target first runs `deps`, which
# installs whatever Debian packages are missing (idempotent; root or sudo).
#
#   make demo    deps, Release build, corpora/kjv.txt, train ~3 minutes into models/demo, generate
#   make test    deps, build, run the GoogleTest suite through ctest
#   make bench   deps (+ the PyTorch peer), build, benchmark; JSON + table in bench-results/
BUILD ?= build
JOBS ?= $(shell nproc)
CHARRNN = $(BUILD)/charrnn

.PHONY: all deps build test demo bench corpora clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

corpora: deps
	@for c in kjv tang300 song100 chinese; do bash corpora/prepare.sh $$c; done

demo: build corpora
	$(CHARRNN) train --corpus corpora/kjv.txt --model models/demo --force \
	  --layers 2 --hidden 256 --seq 100 --batch 32 --minutes 3 --eval-every 100
	$(CHARRNN) generate --model models/demo --prompt "And God said" --length 500 --temperature 0.8

bench: build
	@bash scripts/deps.sh python3-torch libopenblas0-pthread time
	bash scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
