#!/usr/bin/env bash
# bench_finetune.sh BUILD CORPUS OUT.jsonl — does fine-tuning pay? models/kjv-small fine-tuned on
# a 200 KB slice of another English text (CORPUS: tinyshakespeare) for MINUTES (1), against the
# same architecture trained from scratch on the same slice for as long; both validate on the
# slice's last 10%. Appends one JSON line.
set -euo pipefail
build=$1 corpus=$2 runs=$3 minutes=${MINUTES:-1}
work=$(mktemp -d /tmp/charrnn-finetune.XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c 200000 "$corpus" >"$work/slice.txt"
common=(--corpus "$work/slice.txt" --seq 100 --batch 32 --minutes "$minutes" --eval-every 50 --threads 2 --quiet)
echo "bench: fine-tune kjv-small on 200 KB of $(basename "$corpus") for $minutes min, then from scratch"
"$build/charrnn" train "${common[@]}" --model "$work/tuned" --init-from models/kjv-small
"$build/charrnn" train "${common[@]}" --model "$work/scratch" --layers 2 --hidden 128 --embed 64
/usr/bin/python3 - "$work" "$minutes" >>"$runs" <<'PY'
import json, sys
d, minutes = sys.argv[1], float(sys.argv[2])
best = lambda m: json.load(open(f"{d}/{m}/model.json"))["best"]["val_loss"]
steps = lambda m: json.load(open(f"{d}/{m}/model.json"))["training"]["state"]["step"]
print(json.dumps({"event": "finetune", "minutes": minutes, "tuned_val": best("tuned"), "scratch_val": best("scratch"),
                  "tuned_steps": steps("tuned"), "scratch_steps": steps("scratch")}))
PY
tail -n 1 "$runs"
