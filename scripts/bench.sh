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
main_corpus=$corpus  # the loop below reads each config's corpus into $corpus
# bf16 runs only where the CPU has AVX512-BF16 or AMX (elsewhere charrnn would fall back to f32).
have_bf16=0
grep -q -E 'avx512_bf16|amx_bf16' /proc/cpuinfo && have_bf16=1
peer=$shared/peers/torch_charlstm.py
have_peer=0
if [[ -f $peer ]] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then have_peer=1; fi
out=bench-results
mkdir -p "$out"
runs=$out/runs.jsonl
: >"$runs"

bash corpora/prepare.sh chinese >/dev/null  # ~6,000 symbols: the large-vocabulary case
# L H T N corpus: the classic char-rnn size, the 2x512 and 2x1024 sizes of issue 24 (N 32 and
# 64), and a vocabulary of about 6,000 Chinese characters at 2x512.
configs=("2 128 50 50 $corpus" "2 512 100 32 $corpus" "2 1024 100 64 $corpus" "2 512 100 32 corpora/chinese.txt")
# Adds {"config": LABEL} (and extra fields) to each JSON line read from stdin.
tag() {
  /usr/bin/python3 -c '
import json, sys
label, extra = sys.argv[1], json.loads(sys.argv[2])
for line in sys.stdin:
    d = json.loads(line)
    d.pop("text", None)
    d.update(extra, config=label)
    print(json.dumps(d))' "$1" "${2:-{\}}"
}

for cfg in "${configs[@]}"; do
  read -r L H T N corpus <<<"$cfg"
  label="L=$L H=$H T=$T N=$N $(basename "$corpus")"
  echo "bench: $label"
  for threads in 2 1; do
    "$build/charrnn-bench" --corpus "$corpus" --layers "$L" --hidden "$H" --seq "$T" --batch "$N" \
      --threads "$threads" --steps 20 --profile 1 | tag "$label" >>"$runs"
  done
  if [[ $have_bf16 == 1 ]]; then
    "$build/charrnn-bench" --corpus "$corpus" --layers "$L" --hidden "$H" --seq "$T" --batch "$N" \
      --threads 2 --steps 20 --profile 1 --dtype bf16 | tag "$label" >>"$runs"
  fi
  if [[ $have_peer == 1 ]]; then
    # The peer's best setting on this machine is one thread (see ../shared/DESIGN.md).
    args=(--corpus "$corpus" --layers "$L" --hidden "$H" --seq "$T" --batch "$N" --threads 1)
    /usr/bin/python3 "$peer" "${args[@]}" --bench --warmup 2 --bench-steps 10 |
      grep '"event": "bench"' | tag "$label" >>"$runs"
    /usr/bin/python3 "$peer" "${args[@]}" --steps 0 --no-eval --sample 300 |
      grep '"event": "sample"' | tag "$label" >>"$runs"
  fi
done
# Data parallelism: 2 ranks on this machine (1 thread each), the gradient allreduce against the
# step, for the two model sizes of docs/scaling.md.
if "$build/charrnn" --version | grep -q 'MPI: yes' && command -v mpirun >/dev/null; then
  for cfg in "2 512" "3 1024"; do
    read -r L H <<<"$cfg"
    echo "bench: mpirun -np 2, L=$L H=$H"
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun -np 2 --oversubscribe --bind-to none \
      "$build/charrnn-bench" --corpus "$main_corpus" --layers "$L" --hidden "$H" --seq 100 --batch 32 \
      --threads 1 --steps 5 --warmup 1 --profile 1 | tag "L=$L H=$H T=100 N=32 $(basename "$main_corpus")" >>"$runs"
  done
fi
# bf16 quality: the same training run (2x512, seed 1, 400 steps = 1.28M tokens) in f32 and in
# bf16; their validation losses after the same number of tokens should agree within 1%.
if [[ $have_bf16 == 1 ]]; then
  for dtype in f32 bf16; do
    echo "bench: quality after 400 steps, $dtype"
    rm -rf "$out/quality-$dtype"
    start=$(date +%s.%N)
    "$build/charrnn" train --corpus "$main_corpus" --model "$out/quality-$dtype" --layers 2 --hidden 512 \
      --seq 100 --batch 32 --lr 2e-3 --steps 400 --eval-every 400 --threads 2 --dtype "$dtype" --quiet
    /usr/bin/python3 -c '
import json, sys, time
m = json.load(open(sys.argv[1] + "/model.json"))
h = m["history"][-1]
print(json.dumps({"event": "quality", "dtype": sys.argv[2], "steps": h["step"], "tokens": h["tokens"],
                  "val_loss": h["val_loss"], "train_loss": h["train_loss"], "seconds": time.time() - float(sys.argv[3])}))' \
      "$out/quality-$dtype" "$dtype" "$start" |
      tag "quality L=2 H=512 T=100 N=32 $(basename "$main_corpus")" >>"$runs"
    rm -rf "$out/quality-$dtype"
  done
fi
# A big corpus: about 500 MB (the KJV 116 times, built here, never committed) at 2x512, T=100,
# N=32, one step: the start-up (corpus to first step) and peak RSS without the cache (encoded
# every start), on a first start (encoded, then cached) and on a second (mapped from the cache).
bash corpora/prepare.sh kjv >/dev/null
big=$out/kjv-x116.txt
[[ -s $big ]] || for _ in $(seq 116); do cat corpora/kjv.txt; done >"$big"
cache=$out/corpus-cache
rm -rf "$cache"
for start in none first second; do
  echo "bench: big corpus ($(wc -c <"$big") bytes), start: $start"
  cache_flag=(--cache-dir "$cache")
  [[ $start == none ]] && cache_flag=(--cache-dir none)
  /usr/bin/time -v "$build/charrnn" train --corpus "$big" --model "$out/memory-model" --force \
    --layers 2 --hidden 512 --seq 100 --batch 32 --steps 1 --val-frac 0.001 --eval-every 0 \
    --dtype f32 --threads 2 "${cache_flag[@]}" >"$out/memory-$start.log" 2>"$out/memory-time.txt"
  rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/memory-time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/memory-time.txt")
  load=$(sed -n 's/^corpus .* in \([0-9.]*\) s.*/\1/p' "$out/memory-$start.log")
  echo "{\"event\": \"memory\", \"start\": \"$start\", \"corpus_bytes\": $(wc -c <"$big"), \"load_seconds\": ${load:-null}, \"peak_rss_mib\": $((rss_kib / 1024)), \"wall\": \"$wall\"}" |
    tag "memory 500 MB corpus ($start), L=2 H=512 T=100 N=32" >>"$runs"
done
rm -rf "$out/memory-model" "$cache"

# Sharing the CPU: generate beside a training run, and two training runs at once.
bash scripts/bench_share.sh "$build" "$main_corpus" "$runs"
# Fine-tuning models/kjv-small on 200 KB of another text against training from scratch.
bash scripts/bench_finetune.sh "$build" "$main_corpus" "$runs"
# charrnn serve under 1, 8 and 32 streaming clients, at the kjv-small size and at 2x512 (weights
# after one training step: generation speed does not depend on their values).
serve_model=$(mktemp -d /tmp/charrnn-serve-bench.XXXXXX)
"$build/charrnn" train --corpus "$main_corpus" --model "$serve_model/2x512" --layers 2 --hidden 512 --embed 64 \
  --seq 50 --batch 8 --steps 1 --eval-every 0 --val-frac 0.01 --quiet
/usr/bin/python3 scripts/bench_serve.py "$build/charrnn" "$runs" models/kjv-small kjv-small "$serve_model/2x512" 2x512
rm -rf "$serve_model"

/usr/bin/python3 scripts/bench_report.py "$runs" "$out/bench.json"
