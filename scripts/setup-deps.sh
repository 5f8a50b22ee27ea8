#!/usr/bin/env bash
# Installs rollmat's build, test and run-time dependencies from Debian's
# packages, by name. Idempotent: packages already present are skipped, and
# apt is not touched at all when nothing is missing.
#
#   ./scripts/setup-deps.sh            build + run + test dependencies
#   ./scripts/setup-deps.sh --browser  also Chromium, for the report test
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libusb-1.0-0-dev libserialport-dev
  libhdf5-dev hdf5-tools
  libfftw3-dev
  zlib1g-dev libdeflate-dev
  libjansson-dev
  libinih-dev
  # the history of sessions (SQLite) and its content hash (SHA-256)
  libsqlite3-dev libssl-dev
  gnuplot-nox
  # rollmatd --http: the live page's server and the QR code of its URL
  libmicrohttpd-dev libqrencode-dev
  # tests: real HDF5 from Python, libusb replay, fuzzing, unit tests
  libcmocka-dev
  umockdev libumockdev-dev gir1.2-umockdev-1.0
  python3 python3-h5py python3-numpy python3-gi
  clang
  # packaging: bash completion (its helpers), man pages (man -l), the .deb
  bash-completion man-db groff-base dpkg-dev
  # the reference firmware (firmware/avr-mat16) and its simulation in the suite
  gcc-avr avr-libc binutils-avr simavr libsimavr-dev libelf-dev
  # the reading examples of docs/examples/, run by the suite: Python and R
  python3-matplotlib r-base-core r-cran-hdf5r
  # tests: a one-node Slurm for the batch job array (tests/slurm/)
  slurm-wlm munge
  # benchmarks (scripts/bench-*.sh): GNU time's peak RSS, JSON queries, sums
  time jq bc
)
if [[ ${1:-} == --browser ]]; then
  packages+=(chromium)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  sudo=(sudo)
fi
echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
