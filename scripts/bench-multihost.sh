#!/usr/bin/env bash
# bench-multihost.sh — data parallelism across hosts on shaped links, measured (not modelled).
#
# On the network-namespace hosts of test-multihost.sh (scripts/multihost/hosts.sh), runs
# charrnn-bench under mpirun over TCP for 2x512 and 2x1024 (T 100, N 32 per rank, 1 thread per
# rank, bf16 where the CPU has it) at 2 and 3 ranks, with the gradients averaged during the
# backward pass (overlap) and after it, on links shaped to 10 Gbit/s and 1 Gbit/s (tbf), and
# unshaped (a veth pair: memory speed). Also one process alone (the compute-only step). Each run
# prints one JSON line (bench/bench.cpp's "mpi" event: the allreduce alone, the step, and the
# communication the step waited for); bench_multihost_report.py turns them into a table with
# the cost model of docs/scaling.md beside it.
#
# Usage: scripts/bench-multihost.sh [BUILD_DIR] [OUT_DIR]   (root; make bench-multihost)
# The ranks share this machine's cores: see docs/scaling.md for what that does to the figures.
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "bench-multihost: needs root (it creates network namespaces); run it as root" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
out=$(realpath -m "${2:-bench-results}")
corpus=$(realpath "${CORPUS:-../shared/corpora/tinyshakespeare.txt}")
mkdir -p "$out"
source scripts/multihost/hosts.sh
work=$(mktemp -d /tmp/charrnn-bench-multihost.XXXXXX)
trap 'hosts_down; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
dtype=f32
grep -q -E 'avx512_bf16|amx_bf16' /proc/cpuinfo && dtype=bf16
runs=$out/multihost.jsonl
: >"$runs"
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
family=$(lscpu | sed -n 's/^CPU family: *//p' | head -n 1)
model=$(lscpu | sed -n 's/^Model: *//p' | head -n 1)

tag() {  # tag KEY=VALUE...: adds fields to each JSON line read
  /usr/bin/python3 -c '
import json, sys
extra = dict(a.split("=", 1) for a in sys.argv[1:])
for line in sys.stdin:
    if line.startswith("{"):
        j = json.loads(line); j.update(extra); print(json.dumps(j))' "$@"
}

hosts_up 3
for cfg in "2 512" "2 1024"; do
  read -r L H <<<"$cfg"
  args="--corpus $corpus --layers $L --hidden $H --seq 100 --batch 32 --threads 1 --dtype $dtype"
  echo "bench-multihost: $L x $H alone"
  OMP_NUM_THREADS=1 "$build/charrnn-bench" $args --steps 4 --warmup 1 --gen-chars 10 |
    tag link=none ranks=1 mode=alone cpu="$cpu" family="$family" model="$model" >>"$runs"
  for link in none 10gbit 1gbit; do
    if [[ $link == none ]]; then link_shape off; else link_shape "$link"; fi
    for k in 2 3; do
      for mode in overlap after; do
        extra=""
        [[ $mode == after ]] && extra="--after-backward 1"
        echo "bench-multihost: $L x $H, $k ranks, link $link, $mode"
        mpi "$k" "$build/charrnn-bench $args --steps 4 --warmup 1 --profile 1 $extra" |
          tag link="$link" mode="$mode" cpu="$cpu" family="$family" model="$model" >>"$runs"
      done
    done
  done
done
link_shape off
/usr/bin/python3 scripts/bench_multihost_report.py "$runs" | tee "$out/multihost.md"
