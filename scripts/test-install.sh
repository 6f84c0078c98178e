#!/usr/bin/env bash
# test-install.sh BUILD — the library as another program sees it: installs BUILD into a
# temporary prefix, builds examples/ with find_package(charrnn) and one example with
# `pkg-config --cflags --libs charrnn`, and runs them against the installed models (found by
# name) and a small corpus; the installed charrnn finds its models by name from anywhere.
# Last line: "test-install: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
src=$PWD
tmp=$(mktemp -d /tmp/charrnn-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
passed=0
check() {  # check NAME COMMAND...: runs it, shows its last lines, counts it
  local name=$1
  shift
  echo "test-install: $name"
  if ! "$@" >"$tmp/out" 2>&1; then
    tail -n 30 "$tmp/out"
    echo "test-install: FAILED: $name"
    echo "test-install: $passed passed, 1 failed"
    exit 1
  fi
  tail -n 4 "$tmp/out" | sed 's/^/  /'
  passed=$((passed + 1))
}

check "cmake --install into $prefix" cmake --install "$build" --prefix "$prefix"
check "the installed charrnn finds kjv-small by name" \
  bash -c "cd '$tmp' && '$prefix/bin/charrnn' generate --model kjv-small --prompt 'And God said' --length 60 --seed 1"
check "examples with find_package(charrnn)" bash -c "
  cmake -S '$src/examples' -B '$tmp/examples' -DCMAKE_PREFIX_PATH='$prefix' >/dev/null &&
  cmake --build '$tmp/examples' -j2"
export CHARRNN_MODEL_PATH=$prefix/share/charrnn/models
check "verse (ends before its stop string, the next verse)" bash -c "
  '$tmp/examples/verse' kjv-small 'And God said' 3 | tee '$tmp/verse' && ! grep -qE '^  [0-9]' '$tmp/verse'"
printf 'And God said, Let there be light.\nzqxj vvkp wwq\nIn the beginning God created the heaven.\n' >"$tmp/lines.txt"
check "rank (scores the lines of a file)" bash -c "
  '$tmp/examples/rank' kjv-small '$tmp/lines.txt' | tee '$tmp/ranked' && tail -n 1 '$tmp/ranked' | grep -q zqxj"
for i in $(seq 60); do echo "the cat sat on the mat and the dog sat on the log $i"; done >"$tmp/corpus.txt"
check "tiny_train (training from code)" "$tmp/examples/tiny_train" "$tmp/corpus.txt" "$tmp/model" 40
check "verse built with pkg-config --cflags --libs charrnn" bash -c "
  export PKG_CONFIG_PATH='$(dirname "$(find "$prefix" -name charrnn.pc)")'
  g++ -std=c++17 '$src/examples/verse.cpp' -o '$tmp/verse-pc' \$(pkg-config --cflags --libs charrnn) \
    -Wl,-rpath,\$(pkg-config --variable=libdir charrnn) &&
  '$tmp/verse-pc' kjv-small 'In the beginning' 1"
if [[ -n "$(find "$prefix" -name 'charrnn.cpython-*.so')" ]]; then
  check "import charrnn from the prefix's dist-packages (and the installed model by name)" bash -c "
    cd '$tmp' && PYTHONPATH='$(dirname "$(find "$prefix" -name 'charrnn.cpython-*.so')")' \
      CHARRNN_MODEL_PATH='$prefix/share/charrnn/models' /usr/bin/python3 -c \"
import charrnn
m = charrnn.Model.open('kjv-small')
print(m.generate('And God said', 60, seed=1))\""
fi
echo "test-install: $passed passed, 0 failed"
