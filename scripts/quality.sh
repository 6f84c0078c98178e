#!/usr/bin/env bash
# quality.sh [MINUTES] [BUILD] — issue 4's quality bar as a benchmark: `charrnn train --preset
# medium` on tinyshakespeare (first 90% train, last 10% validation) for MINUTES of wall clock
# (default 90), then, not at the same time, the PyTorch peer (../shared/peers/torch_charlstm.py)
# with the same sizes, dropout and learning rate, at its best setting (one thread), for the same
# budget. Writes quality-results/{charrnn/, charrnn.log, peer.jsonl, quality.json, curves.svg}
# and prints the best validation loss each reached by 10, 20, 30, ... minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-90}
build=${2:-build}
corpus=../shared/corpora/tinyshakespeare.txt
peer=../shared/peers/torch_charlstm.py
[[ -f $corpus ]] || { echo "quality: $corpus not found (the bar is defined on tinyshakespeare)" >&2; exit 1; }
out=quality-results
mkdir -p "$out"

echo "quality: charrnn --preset medium, $minutes minutes"
"$build/charrnn" train --corpus "$corpus" --model "$out/charrnn" --force --preset medium \
  --minutes "$minutes" --eval-every 250 | tee "$out/charrnn.log" | grep -E '^step [0-9]+ \| train|^done'

: >"$out/peer.jsonl"
if [[ -f $peer ]] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  # The peer's flags, from the configuration charrnn resolved (model.json), so the sizes agree.
  read -r L H T N D LR < <(/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["training"]["config"]
print(c["layers"], c["hidden"], c["seq"], c["batch"], c["dropout"], c["lr"])' "$out/charrnn/model.json")
  args=(--corpus "$corpus" --layers "$L" --hidden "$H" --seq "$T" --batch "$N" --dropout "$D" --lr "$LR" --threads 1)
  # About 30 evaluations over the budget: the step time from a short --bench first.
  step_ms=$(/usr/bin/python3 "$peer" "${args[@]}" --bench --warmup 1 --bench-steps 10 |
    /usr/bin/python3 -c 'import json, sys; print([json.loads(l) for l in sys.stdin if "bench" in l][-1]["median_step_ms"])')
  every=$(/usr/bin/python3 -c "print(max(1, round($minutes * 60 / 30 / ($step_ms / 1000))))")
  echo "quality: PyTorch peer ${L}x$H, dropout $D, 1 thread, $minutes minutes (eval every $every steps)"
  /usr/bin/python3 "$peer" "${args[@]}" --minutes "$minutes" --eval-every "$every" | tee "$out/peer.jsonl" |
    grep -E '"val_loss"|"summary"' || true
else
  echo "quality: the PyTorch peer is not available (make bench installs python3-torch); charrnn only"
fi
/usr/bin/python3 scripts/quality_report.py "$out" "$minutes"
