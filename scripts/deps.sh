#!/usr/bin/env bash
# deps.sh — installs the Debian packages charrnn needs that are not installed yet.
#
# Idempotent: when everything is present it only checks (no apt-get at all). Works as root or
# through sudo, without a terminal (CI). Extra package names may be passed as arguments
# (make bench passes the PyTorch peer's packages). `npm` is installed only when no npm is on PATH:
# Debian's package conflicts with nodesource's nodejs, which brings its own npm.
set -euo pipefail

extra=()  # the arguments, less an npm already on PATH
for p in "$@"; do
  [[ $p == npm ]] && command -v npm >/dev/null 2>&1 && continue
  extra+=("$p")
done

# pybind11-dev, python3-dev: the Python module (`import charrnn`); python3-numpy and python3-pytest
# its tests and its logits.
# ocl-icd-opencl-dev: libdnnl-dev's CMake package config calls find_package(OpenCL), but the
# package only *recommends* it, and --no-install-recommends below leaves it out.
packages=(g++ cmake make pkg-config libdnnl-dev ocl-icd-opencl-dev libicu-dev nlohmann-json3-dev libssl-dev libcpp-httplib-dev
          libboost-program-options-dev libgtest-dev openmpi-bin libopenmpi-dev
          pybind11-dev python3-dev python3-numpy python3-pytest
          bible-kjv fortunes-zh "${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "deps: missing ${missing[*]}, and this user is not root and has no sudo" >&2
  echo "hint: as root run: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists at all: update before installing.
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
