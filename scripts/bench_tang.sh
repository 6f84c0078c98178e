#!/usr/bin/env bash
# bench_tang.sh [BUILD] — models/tang's recipe against the PyTorch peer at the same sizes and
# wall time: `charrnn train` with the Makefile's TANG_FLAGS on corpora/tang.txt (simplified,
# 4,000 symbols) and ../shared/peers/torch_charlstm.py, side by side, one thread each, pinned
# to cores 0 and 1. The peer takes the layers, hidden, T, N, dropout and lr of charrnn's own
# run (its log's config line; the automatic preset sizes them by the budget). The peer reads
# the text as charrnn sees it: ICU's Hant-Hans (uconv, the transliterator charrnn uses) and
# every symbol outside charrnn's vocabulary replaced by one placeholder (charrnn's <unk>), so
# both predict the same 4,000 classes. Writes bench-results/tang/{charrnn/, charrnn.log,
# peer.jsonl, quality.json, curves.svg} and prints the best validation loss each reached by
# 5, 10, ... minutes. If charrnn fails, the peer is stopped and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=bench-results/tang
peer=../shared/peers/torch_charlstm.py
flags=$(make -s --no-print-directory -f Makefile -pn 2>/dev/null |
  sed -n 's/^TANG_FLAGS = //p' | head -n 1)
minutes=$(sed -n 's/.*--minutes \([0-9.]*\).*/\1/p' <<<"$flags")
die() {
  echo "bench-tang: $1" >&2
  exit 1
}
[[ -f corpora/tang.txt ]] || die "corpora/tang.txt missing; run make corpora"
[[ -f $peer ]] || die "$peer not found"
mkdir -p "$out"
train=("$build/charrnn" train --corpus corpora/tang.txt --script simplified --max-vocab 4000)

# charrnn's vocabulary, from a one-step run with the same data flags.
"${train[@]}" --model "$out/vocab" --force --steps 1 --threads 1 ${flags/--minutes $minutes/} \
  >/dev/null
uconv -f utf-8 -t utf-8 -x Hant-Hans corpora/tang.txt | /usr/bin/python3 -c '
import json, sys
symbols = set(json.load(open(sys.argv[1]))["tokenizer"]["symbols"])
text = sys.stdin.read()
sys.stdout.write("".join(c if c in symbols else "\u25a1" for c in text))' "$out/vocab/model.json" \
  >"$out/tang-simplified.txt"

taskset -c 0 "${train[@]}" --model "$out/charrnn" --force --threads 1 $flags >"$out/charrnn.log" &
charrnn_pid=$!
# The config line comes before the first step (a run without the budget, such as the
# vocabulary run above, chooses no dropout, so that run cannot tell the peer's settings).
until config=$(sed -n 's/^config: //p' "$out/charrnn.log") && [[ -n $config ]]; do
  kill -0 "$charrnn_pid" 2>/dev/null ||
    die "charrnn stopped before its config line; see $out/charrnn.log"
  sleep 1
done
read -r L H T N D LR < <(/usr/bin/python3 scripts/peer_settings.py "$config")
echo "bench-tang: charrnn ($flags, 1 thread) and the PyTorch peer" \
  "(${L}x$H, T $T, N $N, dropout $D, 1 thread), $minutes minutes, side by side"
taskset -c 1 /usr/bin/python3 "$peer" --corpus "$out/tang-simplified.txt" --train-frac 0.95 \
  --layers "$L" --hidden "$H" --seq "$T" --batch "$N" --dropout "$D" --lr "$LR" --threads 1 \
  --minutes "$minutes" --eval-every 400 >"$out/peer.jsonl" &
peer_pid=$!
if ! wait "$charrnn_pid"; then
  kill "$peer_pid" 2>/dev/null || true
  die "charrnn failed; see $out/charrnn.log"
fi
wait "$peer_pid"
/usr/bin/python3 scripts/quality_report.py "$out" "$minutes" none
