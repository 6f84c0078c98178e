#!/usr/bin/env bash
# bench_share.sh BUILD CORPUS OUT.jsonl — sharing the CPU, measured side by side in one run:
#   * `charrnn generate` (default --threads 0) ten times idle, then ten times beside a 2-thread
#     `charrnn train` that keeps every core busy, for the shipped kjv-small and a 2x512 model;
#   * training tokens/s (charrnn-bench, 2 threads) alone, then two runs at once.
# Appends one JSON line per measurement to OUT.jsonl (read by bench_report.py).
set -euo pipefail
build=$1 corpus=$2 runs=$3
work=$(mktemp -d /tmp/charrnn-share.XXXXXX)
trainer=
cleanup() {
  [[ -n $trainer ]] && kill "$trainer" 2>/dev/null && wait "$trainer" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A 2x512 checkpoint: one step of training is enough, generation speed does not depend on the weights.
"$build/charrnn" train --corpus "$corpus" --model "$work/2x512" --layers 2 --hidden 512 --embed 64 \
  --seq 50 --batch 8 --steps 1 --eval-every 0 --val-frac 0.01 --quiet
models=("kjv-small models/kjv-small" "2x512 $work/2x512")

# gen_runs LABEL MODEL BESIDE: ten generate runs; one JSON line with every symbols/s.
gen_runs() {
  local label=$1 model=$2 beside=$3 rates=()
  for _ in $(seq 10); do
    rate=$("$build/charrnn" generate --model "$model" --length 2000 --seed 1 --stats 2>&1 >/dev/null |
      sed -n 's/.*: \([0-9.]*\) symbols\/s$/\1/p')
    rates+=("$rate")
  done
  echo "{\"event\": \"share_generate\", \"model\": \"$label\", \"beside\": \"$beside\", \"symbols_per_s\": [$(IFS=,; echo "${rates[*]}")]}" >>"$runs"
}

for m in "${models[@]}"; do
  read -r label model <<<"$m"
  echo "bench: generate $label, idle"
  gen_runs "$label" "$model" idle
done
# The server with one streaming client: idle, then (below) started beside the training run.
serve_runs() {
  /usr/bin/python3 scripts/bench_serve.py "$build/charrnn" "$runs" --clients 1 --beside "$1" \
    models/kjv-small kjv-small "$work/2x512" 2x512
}
serve_runs idle
"$build/charrnn" train --corpus "$corpus" --model "$work/busy" --preset medium --threads 2 \
  --minutes 30 --eval-every 100000 --quiet &
trainer=$!
sleep 20  # past the start-up (corpus, first checkpoint) into steady training
for m in "${models[@]}"; do
  read -r label model <<<"$m"
  echo "bench: generate $label, beside charrnn train --preset medium --threads 2"
  gen_runs "$label" "$model" "train --preset medium --threads 2"
done
serve_runs "train --preset medium --threads 2"
kill "$trainer"; wait "$trainer" 2>/dev/null || true
trainer=

# Training alone, then two training runs sharing the cores (2 threads each), 2x512 T100 N32.
bench_args=(--corpus "$corpus" --layers 2 --hidden 512 --seq 100 --batch 32 --threads 2 --steps 20)
echo "bench: training alone, then two runs at once"
"$build/charrnn-bench" "${bench_args[@]}" >"$work/alone.json"
"$build/charrnn-bench" "${bench_args[@]}" >"$work/a.json" &
a=$!
"$build/charrnn-bench" "${bench_args[@]}" >"$work/b.json"
wait "$a"
/usr/bin/python3 - "$work" >>"$runs" <<'EOF'
import json, sys
d = sys.argv[1]
tok = lambda f: json.loads(open(f"{d}/{f}.json").readline())["train_tokens_per_s"]
print(json.dumps({"event": "share_train", "alone": tok("alone"), "together": [tok("a"), tok("b")]}))
EOF
