#!/usr/bin/env bash
# test-multihost.sh — data-parallel training across hosts, proven on one machine.
#
# Each "host" is a Linux network namespace (crnn-h1, crnn-h2, crnn-h3) with one veth link to a
# bridge in a switch namespace (crnn-sw) and an address in 10.213.77.0/24 that exists only
# inside them; nothing is routed out and no outside address is contacted. /etc/netns/<host>/hosts
# gives every host the others' names. Open MPI launches across them as across real machines:
# a hostfile, the TCP transport only (no shared memory), and scripts/multihost/netns-rsh as its
# rsh agent where a cluster would use ssh. The file system is shared, as NFS would share it.
#
# It checks, with the real binary:
#   1. 2 and 3 hosts over TCP equal one process with the same global batch (weights and
#      validation losses to 1e-5, as tests/test_mpi.cpp's loopback test);
#   2. the gradients averaged during backward (overlapped, the default) and after it give the
#      same bits; the checkpoint of a multi-host run loads and generates;
#   3. a rank killed with SIGKILL inside its host: the survivors stop within 30 s, mpirun names
#      the lost rank and host and exits non-zero, the last checkpoint loads, and the same
#      command with --resume finishes the run;
#   4. a run saved on 2 hosts resumes on 3 (the same global batch) and equals one process.
#
# Usage: scripts/test-multihost.sh [BUILD_DIR]   (root only; CI runs it as `make test-multihost`)
# Every namespace, process and qdisc it made is removed on success, failure and Ctrl-C.
# The last line is "test-multihost: N passed, M failed".
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "test-multihost: needs root (it creates network namespaces); run it as root" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build}")/charrnn
rsh=$PWD/scripts/multihost/netns-rsh
[[ -x $bin ]] || { echo "test-multihost: no $bin; run make build first" >&2; exit 1; }
bash scripts/deps.sh iproute2 >/dev/null
source scripts/multihost/hosts.sh
work=$(mktemp -d /tmp/charrnn-multihost.XXXXXX)
passed=0 failed=0

cleanup() {
  hosts_down
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {  # check COMMAND...: one result per behaviour, named by $name; fails as it does
  if "$@"; then
    passed=$((passed + 1)); echo "ok: $name"
  else
    failed=$((failed + 1)); echo "FAILED: $name" >&2
    return 1
  fi
}

# A small corpus and a small model: the test is the transport, not the learning.
python3 - "$work/corpus.txt" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(400):
        f.write(f"To be, or not to be, that is the question {i % 23}.\n")
EOF
train() {  # train MODEL N [FLAGS...]: the flags every run here shares
  local model=$1 batch=$2
  shift 2
  echo "$bin" train --corpus "$work/corpus.txt" --model "$work/$model" --layers 2 --hidden 24 \
    --embed 8 --seq 16 --batch "$batch" --eval-batch 8 --lr-schedule constant --dtype f32 \
    --threads 1 --quiet "$@"
}
one() { eval "$(train "$@")" >"$work/$1.log" 2>&1; }
# Weights of the last step and every validation loss agree to 1e-5.
same_run() {
  python3 - "$work/$1" "$work/$2" <<'EOF'
import array, json, struct, sys
def tensors(d):  # name -> floats of the F32 tensors of the last step's safetensors
    raw = open(d + "/last.safetensors", "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    return {k: array.array("f", raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]])
            for k, v in head.items() if k != "__metadata__"}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
worst = max(abs(x - y) for k in a for x, y in zip(a[k], b[k]))
va = [h["val_loss"] for h in json.load(open(sys.argv[1] + "/model.json"))["history"]]
vb = [h["val_loss"] for h in json.load(open(sys.argv[2] + "/model.json"))["history"]]
print(f"  largest weight difference {worst:.2e}; val losses {va[-1]:.6f} and {vb[-1]:.6f}")
sys.exit(0 if a.keys() == b.keys() and worst <= 1e-5 and len(va) == len(vb)
         and all(abs(x - y) <= 1e-5 for x, y in zip(va, vb)) else 1)
EOF
}

hosts_up 3
echo "test-multihost: hosts ${hosts[*]} on ${subnet}.0/24 (bridge in $switch)"

for k in 2 3; do
  name="$k hosts over TCP equal one process with the same global batch"
  run_ok() {
    mpi "$k" "$(train "tcp$k" 8 --steps 6 --eval-every 3)" >"$work/tcp$k.log" 2>&1 &&
      one "ref$k" $((8 * k)) --steps 6 --eval-every 3 && same_run "tcp$k" "ref$k"
  }
  check run_ok || tail -20 "$work/tcp$k.log" >&2
done

name="3 hosts averaging during backward give the same bits as after it"
same_bits() {
  mpi 3 "$(train after3 8 --steps 6 --eval-every 3) --allreduce-after-backward" \
    >"$work/after3.log" 2>&1 && cmp "$work/tcp3/last.safetensors" "$work/after3/last.safetensors"
}
check same_bits || tail -20 "$work/after3.log" >&2

name="the checkpoint of a multi-host run loads and generates"
generates() {
  local text
  text=$("$bin" generate --model "$work/tcp3" --length 80 --seed 1 2>"$work/gen.log") &&
    [[ ${#text} -ge 40 ]]
}
check generates || true

# A rank lost mid-run: rank 1 (crnn-h2) is killed once two evaluations are saved.
name="a killed rank stops the run within 30 s, named, with its checkpoint intact"
lost_rank() {
  local cmd log=$work/lost.log
  cmd=$(train lost 8 --minutes 5 --eval-every 20)
  mpi 2 "$cmd" >"$log" 2>&1 &
  local job=$! waited=0
  until [[ $(saved_step "$work/lost") -ge 40 ]]; do
    sleep 0.5; waited=$((waited + 1))
    if [[ $waited -gt 240 ]]; then echo "  no checkpoint after 120 s" >&2; return 1; fi
  done
  local victim
  victim=$(host_pid crnn-h2 charrnn)
  local t0=$EPOCHREALTIME rc=0
  kill -9 "$victim"
  wait "$job" || rc=$?
  local seconds
  seconds=$(python3 -c "print(f'{$EPOCHREALTIME - $t0:.2f}')")
  echo "  rank 1 (pid $victim on crnn-h2) killed: mpirun exited $rc after $seconds s"
  grep -m1 -E "rank 1 .*crnn-h2|crnn-h2.*rank 1" "$log" | sed 's/^/  mpirun: /' || true
  python3 -c "import sys; sys.exit(0 if $seconds <= 30 else 1)" && [[ $rc -ne 0 ]] &&
    grep -qE "rank 1 .*crnn-h2" "$log" &&
    "$bin" inspect "$work/lost" >/dev/null &&
    "$bin" generate --model "$work/lost" --length 40 --seed 1 >/dev/null
}
check lost_rank || tail -20 "$work/lost.log" >&2

name="the same command with --resume finishes the run"
resumes() {
  local step
  step=$(saved_step "$work/lost")
  mpi 2 "$bin train --resume $work/lost --steps $((step + 5)) --threads 1 --quiet" \
    >"$work/resume.log" 2>&1 && [[ $(saved_step "$work/lost") -eq $((step + 5)) ]]
}
check resumes || tail -20 "$work/resume.log" >&2

name="a run saved on 2 hosts resumes on 3 with the same global batch"
reshare() {
  mpi 2 "$(train re 12 --steps 4 --eval-every 4)" >"$work/re.log" 2>&1 &&
    mpi 3 "$bin train --resume $work/re --steps 8 --threads 1 --quiet" >>"$work/re.log" 2>&1 &&
    one "reref" 24 --steps 8 --eval-every 4 && same_run re reref
}
check reshare || tail -20 "$work/re.log" >&2

name="nothing is left behind: no namespace, no process, no /etc/netns entry"
left_nothing() {
  hosts_down
  local i
  for ((i = 0; i < 50; ++i)); do  # killed processes may take a moment to go
    pgrep -f "$work" >/dev/null || break
    sleep 0.1
  done
  ! ip netns list | grep -q '^crnn-' && ! ls /etc/netns 2>/dev/null | grep -q '^crnn-' &&
    ! pgrep -f "$work" >/dev/null
}
check left_nothing || true

echo "test-multihost: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
