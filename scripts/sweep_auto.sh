#!/usr/bin/env bash
# sweep_auto.sh BIN CORPUS OUT [GRID] — the sweep behind `--preset auto` (docs/quality.md).
#
# Trains each row of GRID ("name layers hidden batch dropout tokens [weight_drop]", one per
# line; dropout is between layers and on the output, weight drop defaults to it; default:
# the grid below) for a fixed budget in *tokens*, with the schedule a budgeted run uses (cosine
# from lr 2e-3 to 2e-4, annealed at the last step), and appends one JSON line per run to
# OUT/sweep.jsonl: the row, the steps, the best validation loss and the tokens/s seen. Budgets
# in tokens, not minutes, make the result independent of the machine and of what else runs:
# a CPU that trains R tokens/s with a given size turns M minutes into R * 60 * M tokens, and
# the rule `--preset auto` applies is read off this table at that budget.
#
# Runs are bf16 (where the CPU has AVX512-BF16; f32 elsewhere) with one thread, so two can run
# at once, one per core (CORE=0 or 1 pins a run with taskset). A run whose model.json already
# records its steps is skipped, so the script can be stopped and started again.
set -euo pipefail
bin=${1:?usage: sweep_auto.sh BIN CORPUS OUT [GRID]}
corpus=${2:?corpus}
out=${3:?output directory}
grid=${4:-}
mkdir -p "$out"
dtype=f32
grep -q -E 'avx512_bf16|amx_bf16' /proc/cpuinfo && dtype=bf16
pin=()
[[ -n ${CORE:-} ]] && pin=(taskset -c "$CORE")

default_grid='l2h1024_d5_7m 2 1024 64 0.5 6900000
l2h768_d5_12m 2 768 64 0.5 12000000
l2h512_d5_26m 2 512 32 0.5 26000000'
[[ -n $grid ]] || grid=$default_grid

# Appends the run in $dir to sweep.jsonl.
record() {
  /usr/bin/python3 - "$dir/model.json" "$name" "$layers" "$hidden" "$batch" "$dropout" "$tokens" \
    "$dtype" "$weight_drop" >>"$out/sweep.jsonl" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
name, layers, hidden, batch, dropout, tokens, dtype, weight_drop = sys.argv[2:]
s = m["training"]["state"]
print(json.dumps({"name": name, "layers": int(layers), "hidden": int(hidden), "batch": int(batch),
                  "dropout": float(dropout), "weight_drop": float(weight_drop), "tokens": s["tokens"], "budget_tokens": int(tokens),
                  "steps": s["step"], "dtype": dtype, "seconds": s["seconds"],
                  "tokens_per_s_1_thread": s["tokens"] / max(1e-9, s["seconds"]),
                  "corpus": m["corpus"]["name"], "corpus_symbols": m["corpus"]["symbols"],
                  "vocab": m["architecture"]["vocab_size"],
                  "best_val": m["best"]["val_loss"], "best_step": m["best"]["step"],
                  "history": [[h["step"], h["val_loss"]] for h in m["history"]]}))
EOF
}

while read -r name layers hidden batch dropout tokens weight_drop; do
  weight_drop=${weight_drop:-$dropout}
  [[ -z ${name:-} || $name == \#* ]] && continue
  dir=$out/$name
  steps=$(((tokens + 100 * batch - 1) / (100 * batch)))
  if [[ -f $dir/model.json ]] && /usr/bin/python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
sys.exit(0 if m["training"]["state"]["step"] >= int(sys.argv[2]) else 1)' "$dir/model.json" "$steps"; then
    echo "sweep: $name done already"
    grep -q "\"name\": \"$name\"" "$out/sweep.jsonl" 2>/dev/null || record
    continue
  fi
  every=$((steps / 8 > 0 ? steps / 8 : 1))
  echo "sweep: $name: ${layers}x$hidden N $batch dropout $dropout, $steps steps ($tokens tokens)"
  "${pin[@]}" "$bin" train --corpus "$corpus" --model "$dir" --force --quiet \
    --layers "$layers" --hidden "$hidden" --embed 64 --seq 100 --batch "$batch" \
    --dropout "$dropout" --output-dropout "$dropout" --weight-drop "$weight_drop" --weight-decay 0.1 \
    --lr 2e-3 --lr-schedule cosine --min-lr 2e-4 --steps "$steps" --dtype "$dtype" --threads 1 \
    --eval-every "$every"
  record
done <<<"$grid"
