#!/usr/bin/env bash
# quality.sh [BUILD] — the quality matrix: at equal minutes on this machine, per corpus and
# budget (CORPORA, default "tinyshakespeare kjv tang"; MINUTES, default "10 30", plus 90 on
# tinyshakespeare unless NO90=1; LSTM_EVAL_EVERY below):
#   1. charrnn's default, alone on the machine: `charrnn train --corpus FILE --minutes M`;
#   2. the PyTorch LSTM peer at the size charrnn chose (its best setting, one thread), beside
#      the PyTorch GPT peer at its first size, one core each;
#   3. the GPT peer at its other two sizes, one core each (a fair search: the best of three
#      sizes for the budget is reported).
# Every corpus is read by all as the same text (tang: simplified by ICU's Hant-Hans, as charrnn
# reads it). The peers' times exclude their evaluations. REUSE_CHARRNN=1 keeps a cell's charrnn
# run (its model and log) where there is one, and runs only the peers. Writes
# quality-results/CORPUS-Mmin/ (charrnn/, lstm.jsonl, gpt-*.jsonl, quality.json, curves.svg),
# and quality-results/quality.md: one table with each figure's command, date and CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
corpora=${CORPORA:-tinyshakespeare kjv tang}
budgets=${MINUTES:-10 30}
out=quality-results
lstm=../shared/peers/torch_charlstm.py
gpt=../shared/peers/torch_chargpt.py
mkdir -p "$out"
cpu=$(lscpu | /usr/bin/python3 -c '
import sys
f = {k.strip(): v.strip() for k, _, v in (l.partition(":") for l in sys.stdin)}
print("%s (family %s, model %s)" % (f.get("Model name"), f.get("CPU family"), f.get("Model")))')
# The LSTM peer scores the whole validation split every LSTM_EVAL_EVERY steps (0: at the end
# only). On tang's 8,796 symbols each of its evaluations takes about 5 minutes on one core,
# which its clock leaves out but the cell's wall time does not.
lstm_eval=${LSTM_EVAL_EVERY:-100}
# GPT sizes: layers heads embed block (batch 32, dropout 0.1, lr 1e-3: the peer's recipe).
gpt_sizes=("4 4 128 128" "4 4 256 128" "6 6 384 256")

corpus_file() {
  case $1 in
    tinyshakespeare) echo ../shared/corpora/tinyshakespeare.txt ;;
    kjv) bash corpora/prepare.sh kjv >/dev/null && echo corpora/kjv.txt ;;
    tang)
      bash corpora/prepare.sh tang >/dev/null
      [[ -f $out/tang-simplified.txt ]] || uconv -f utf-8 -t utf-8 -x Hant-Hans corpora/tang.txt >"$out/tang-simplified.txt"
      echo "$out/tang-simplified.txt" ;;
    *) echo "$1" ;;
  esac
}

run_cell() {  # corpus minutes
  local name=$1 minutes=$2 file cell L H T N D LR
  file=$(corpus_file "$name")
  cell=$out/$name-${minutes}min
  mkdir -p "$cell"
  if [[ -n ${REUSE_CHARRNN:-} && -f $cell/charrnn/model.json ]]; then
    # charrnn's run was made on its own, earlier on this machine: it is kept, the peers run.
    echo "quality: $name, $minutes minutes: charrnn's run kept from $cell/charrnn (REUSE_CHARRNN)"
  else
    echo "quality: $name, $minutes minutes: charrnn train --corpus $file --minutes $minutes"
    /usr/bin/time -f '%e s wall' "$build/charrnn" train --corpus "$file" --model "$cell/charrnn" --force \
      --minutes "$minutes" >"$cell/charrnn.log" 2>&1
  fi
  tail -n 2 "$cell/charrnn.log"
  read -r L H T N D LR < <(/usr/bin/python3 scripts/peer_settings.py "$cell/charrnn/model.json")
  echo "quality: peers beside each other, one core each: LSTM ${L}x$H and GPT sizes"
  taskset -c 0 /usr/bin/python3 "$lstm" --corpus "$file" --layers "$L" --hidden "$H" --seq "$T" \
    --batch "$N" --dropout "$D" --lr "$LR" --threads 1 --minutes "$minutes" --eval-every "$lstm_eval" \
    >"$cell/lstm.jsonl" &
  local i=0 pids=($!)
  for size in "${gpt_sizes[@]}"; do
    read -r gl gh ge gb <<<"$size"
    local core=$(((i + 1) % 2))
    taskset -c "$core" /usr/bin/python3 "$gpt" --corpus "$file" --layers "$gl" --heads "$gh" --embed "$ge" \
      --block "$gb" --threads 1 --minutes "$minutes" --eval-every 250 >"$cell/gpt-L${gl}E$ge.jsonl" &
    pids+=($!)
    i=$((i + 1))
    if ((${#pids[@]} == 2)); then wait "${pids[@]}"; pids=(); fi
  done
  ((${#pids[@]} == 0)) || wait "${pids[@]}"
  /usr/bin/python3 scripts/quality_report.py "$cell" "$minutes" | tee "$cell/report.txt"
}

for name in $corpora; do
  for minutes in $budgets; do run_cell "$name" "$minutes"; done
  [[ $name == tinyshakespeare && -z ${NO90:-} ]] && run_cell "$name" 90
done
{
  echo "# quality matrix, $(date -u +%Y-%m-%d), $cpu, $(nproc) cores"
  echo
  echo "charrnn: \`charrnn train --corpus FILE --minutes M\` (alone); peers one core each, two at a time."
  echo
  echo "| corpus | minutes | charrnn | PyTorch LSTM (same size) | PyTorch GPT (best of 3 sizes) | charrnn ahead of GPT |"
  echo "|---|---|---|---|---|---|"
  for cell in "$out"/*min; do
    [[ -f $cell/quality.json ]] || continue
    /usr/bin/python3 -c '
import json, os, sys
q = json.load(open(sys.argv[1] + "/quality.json"))
best = lambda c: min((v for _, v in c), default=None)
c = q["curves"]
ours, lstm = best(c["charrnn"]), best(c.get("pytorch lstm", []))
g = q.get("best_gpt")
f = lambda v: "-" if v is None else f"{v:.4f}"
name, minutes = os.path.basename(sys.argv[1]).rsplit("-", 1)
gpt = f(g[1]) + " (" + g[0] + ")" if g else "-"
ahead = f(g[1] - ours) if g and ours else "-"
print(f"| {name} | {minutes[:-3]} | {f(ours)} | {f(lstm)} | {gpt} | {ahead} |")' "$cell"
  done
} >"$out/quality.md"
cat "$out/quality.md"
