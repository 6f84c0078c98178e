#!/usr/bin/env bash
# test-fresh.sh — what a new user meets, proven on a fresh minimal Debian 12 root.
#
# Builds (once, cached as a tarball) a `mmdebstrap --variant=minbase bookworm` root, unpacks a
# copy, puts a clean clone of HEAD at /work/src (and ../shared at /work/shared when present),
# and runs there exactly what the README tells a new user: install make, then `make test`, then
# `make demo` with a short budget. With a .deb given (PACKAGE=path), a second fresh root
# installs it with apt-get and generates from the installed model by name, with no build tree.
#
# Usage: scripts/test-fresh.sh [CACHE_DIR]    (root only; DEMO_MINUTES, default 0.5)
#
# Everything inside runs in its own mount and PID namespaces: the mounts vanish and every
# process inside dies with the namespace, whatever ends this script (Ctrl-C, SIGTERM, kill).
# The unpacked root is removed on every exit path. On failure it prints the failing step and
# the last lines of its log. The last line is "test-fresh: N passed, M failed".
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "test-fresh: needs root (it builds a Debian root with mmdebstrap and chroots into it); run it as root" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
src=$PWD
cache=$(realpath -m "${1:-build-fresh}")
demo_minutes=${DEMO_MINUTES:-0.5}
package=${PACKAGE:-}
mkdir -p "$cache/apt-archives"
bash scripts/deps.sh mmdebstrap >/dev/null

base="$cache/bookworm-minbase.tar"
work=$(mktemp -d "$cache/root.XXXXXX")
passed=0 failed=0

cleanup() {
  # The namespaces took their mounts with them; refuse to delete through a mount all the same.
  if grep -q " $work/" /proc/mounts; then
    echo "test-fresh: $work still has mounts; not removing it" >&2
  else
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT
# A step runs in the background and is waited for, so that a signal is handled at once (bash
# defers traps while a foreground child runs); killing unshare kills everything inside.
child=
interrupted() {
  echo "test-fresh: interrupted; stopping the step and removing $work" >&2
  # SIGKILL: unshare blocks SIGTERM while it waits; its death kills the namespace (--kill-child).
  if [[ -n $child ]]; then kill -KILL "$child" 2>/dev/null; wait "$child" 2>/dev/null || true; fi
  exit 130
}
trap interrupted INT TERM

# step NAME LOG COMMAND...: runs a step, prints its time; on failure its last lines.
step() {
  local name=$1 log=$2
  shift 2
  local t0=$SECONDS
  echo "test-fresh: $name ..."
  "$@" >"$log" 2>&1 &
  child=$!
  if wait "$child"; then
    echo "test-fresh: $name ok ($((SECONDS - t0)) s)"
    passed=$((passed + 1))
  else
    echo "test-fresh: FAILED at '$name' after $((SECONDS - t0)) s; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    failed=$((failed + 1))
    echo "test-fresh: $passed passed, $failed failed"
    exit 1
  fi
}

make_base() {
  # The host's own Debian sources when it has them (a local mirror keeps working); stdin is
  # closed so that mmdebstrap never waits for sources on it (CI has no stdin).
  local sources=(http://deb.debian.org/debian)
  [[ -f /etc/apt/sources.list.d/debian.sources ]] && sources=(/etc/apt/sources.list.d/debian.sources)
  # The .tar ending tells mmdebstrap to write a tarball rather than a directory.
  mmdebstrap --quiet --variant=minbase bookworm "$cache/partial.tar" "${sources[@]}" </dev/null
  mv "$cache/partial.tar" "$base"
}

# in_root ROOT SCRIPT: runs SCRIPT with bash inside ROOT, in fresh mount and PID namespaces
# (exec: killing the step kills unshare, and with it every process inside).
in_root() {
  local root=$1 script=$2
  exec unshare --mount --pid --fork --kill-child bash -euc '
    root=$1 archives=$2 script=$3
    mount -t proc proc "$root/proc"
    mount -t sysfs sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/tmp"
    mount -t tmpfs tmpfs "$root/dev/shm"
    mount --bind "$archives" "$root/var/cache/apt/archives"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive bash -euc "$script"
  ' in_root "$root" "$cache/apt-archives" "$script"
}

unpack() {
  local root=$1
  mkdir -p "$root"
  tar -C "$root" -xf "$base"
  # Downloaded .debs are kept in the shared archive folder, so a rerun downloads nothing.
  rm -f "$root/etc/apt/apt.conf.d/docker-clean"
}

[[ -f "$base" ]] || step "mmdebstrap a minimal Debian 12 root (cached in $base)" "$cache/mmdebstrap.log" make_base

root="$work/root"
step "unpack the root and clone HEAD into /work/src" "$work/unpack.log" bash -euc "
  $(declare -f unpack); base='$base'; unpack '$root'
  git clone -q --no-local '$src' '$root/work/src'
  if [[ -d '$src/../shared' ]]; then cp -rL '$src/../shared' '$root/work/shared'; fi"
step "apt-get install make (the README's only prerequisite)" "$work/make.log" \
  in_root "$root" "apt-get update -qq && apt-get install -y -qq make"
step "make test" "$work/test.log" in_root "$root" "cd /work/src && make test"
show() { tail -n "$1" "$2" | sed 's/^/  | /'; echo; }  # a step's last lines, set apart
grep -E "tests passed|tests failed" "$work/test.log" | tail -n 1 | sed 's/^/  | /'
step "make demo DEMO_MINUTES=$demo_minutes" "$work/demo.log" \
  in_root "$root" "cd /work/src && make demo DEMO_MINUTES=$demo_minutes"
show 3 "$work/demo.log"

if [[ -n "$package" ]]; then
  deb_root="$work/deb-root"
  step "unpack a second root for the package" "$work/unpack-deb.log" bash -euc "
    $(declare -f unpack); base='$base'; unpack '$deb_root'; cp '$package' '$deb_root/tmp.deb'"
  step "apt-get install ./$(basename "$package"), then generate from an installed model, in the shell and in Python" \
    "$work/deb.log" in_root "$deb_root" \
    "apt-get update -qq && apt-get install -y -qq /tmp.deb && cd / && command -v charrnn &&
     charrnn generate --model kjv-small --prompt 'And God said' --length 80 --seed 1 &&
     cd /tmp && python3 -c \"import charrnn; m = charrnn.Model.open('kjv-small'); print(m.generate('And God said', 80, seed=1)); print(m.logits('And').shape)\""
  show 2 "$work/deb.log"
fi
echo "test-fresh: $passed passed, $failed failed"
