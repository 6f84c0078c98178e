#!/usr/bin/env bash
# fuzz.sh BUILD SECONDS [SEED] — runs each libFuzzer target for SECONDS from the committed seeds
# (tests/fuzz/seeds/NAME; new inputs go to BUILD/corpus/NAME, never into the repository) and
# prints the executions and any crash. Exits non-zero when a target finds a crash. SEED 0 (the
# default) lets libFuzzer pick; CI passes a fixed seed so that its run is reproducible.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-60}
seed=${3:-0}
status=0
for name in safetensors model_json tokenizer request; do
  corpus=$build/corpus/$name
  mkdir -p "$corpus" "$build/crashes"
  log=$build/fuzz_$name.log
  "$build/fuzz_$name" "$corpus" "tests/fuzz/seeds/$name" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -seed="$seed" -print_final_stats=1 -artifact_prefix="$build/crashes/$name-" \
    >"$log" 2>&1
  rc=$?
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  echo "fuzz: $name: ${runs:-?} executions in ${seconds}s, exit $rc"
  if [[ $rc -ne 0 ]]; then
    status=1
    grep -m5 -E "ERROR|SUMMARY|Test unit written" "$log"
  fi
done
exit $status
