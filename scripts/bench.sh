#!/usr/bin/env bash
# bench.sh [BUILD] — charrnn against the PyTorch peer (../shared/peers/torch_charlstm.py), run
# alternately on the same configurations and corpus in one session, so that the ratios are
# measured side by side on this (shared, noisy) machine. Writes bench-results/runs.jsonl (raw),
# bench-results/bench.json (summary with ratios) and prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shared=../shared
corpus=$shared/corpora/tinyshakespeare.txt
if [[ ! -f $corpus ]]; then
  bash corpora/prepare.sh kjv
  corpus=corpora/kjv.txt
fi
peer=$shared/peers/torch_charlstm.py
have_peer=0
if [[ -f $peer ]] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then have_peer=1; fi
out=bench-results
mkdir -p "$out"
runs=$out/runs.jsonl
: >"$runs"

# L H T N: the classic char-rnn size and the 2x512 reference size.
configs=("2 128 50 50" "2 512 100 32")
for cfg in "${configs[@]}"; do
  read -r L H T N <<<"$cfg"
  echo "bench: L=$L H=$H T=$T N=$N"
  for threads in 2 1; do
    "$build/charrnn-bench" --corpus "$corpus" --layers "$L" --hidden "$H" --seq "$T" --batch "$N" \
      --threads "$threads" --steps 20 >>"$runs"
  done
  if [[ $have_peer == 1 ]]; then
    # The peer's best setting on this machine is one thread (see ../shared/DESIGN.md).
    /usr/bin/python3 "$peer" --corpus "$corpus" --layers "$L" --hidden "$H" --seq "$T" --batch "$N" \
      --threads 1 --bench --warmup 2 --bench-steps 10 | grep '"event": "bench"' >>"$runs"
    /usr/bin/python3 "$peer" --corpus "$corpus" --layers "$L" --hidden "$H" --seq "$T" --batch "$N" \
      --threads 1 --steps 0 --no-eval --sample 300 | grep '"event": "sample"' |
      /usr/bin/python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d.pop('text'); d.update(layers=$L, hidden=$H, seq=$T, batch=$N); print(json.dumps(d))" >>"$runs"
  fi
done
/usr/bin/python3 scripts/bench_report.py "$runs" "$out/bench.json"
