#!/usr/bin/env bash
# fuzz.sh BUILD SECONDS [SEED] — runs each libFuzzer target for SECONDS from the committed seeds
# (tests/fuzz/seeds/NAME; new inputs go to BUILD/corpus/NAME, never into the repository) and
# prints the executions and any crash. Exits non-zero when a target finds a crash. SEED 0 (the
# default) lets libFuzzer pick; CI passes a fixed seed so that its run is reproducible.
# A libFuzzer process uses one core: the targets run as many at a time as there are cores.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-60}
seed=${3:-0}
cores=$(nproc)
names=(safetensors model_json tokenizer request)

# fuzz_one NAME: runs one target to its time limit; its exit code is the fuzzer's.
fuzz_one() {
  local name=$1 corpus=$build/corpus/$1
  mkdir -p "$corpus" "$build/crashes"
  "$build/fuzz_$name" "$corpus" "tests/fuzz/seeds/$name" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -seed="$seed" -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$name-" >"$build/fuzz_$name.log" 2>&1
}

# report NAME RC: the target's executions, and its crash if it found one.
report() {
  local name=$1 rc=$2 log=$build/fuzz_$1.log runs
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  echo "fuzz: $name: ${runs:-?} executions in ${seconds}s, exit $rc"
  if [[ $rc -ne 0 ]]; then grep -m5 -E "ERROR|SUMMARY|Test unit written" "$log"; fi
}

status=0
for ((first = 0; first < ${#names[@]}; first += cores)); do  # one round: a target per core
  batch=("${names[@]:first:cores}")
  pids=()
  for name in "${batch[@]}"; do
    fuzz_one "$name" &
    pids+=($!)
  done
  for i in "${!batch[@]}"; do
    wait "${pids[$i]}"
    rc=$?
    report "${batch[$i]}" "$rc"
    ((rc == 0)) || status=1
  done
done
exit $status
