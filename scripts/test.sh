#!/usr/bin/env bash
# Sets up what is missing, builds with -Werror under AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs the whole suite with ctest.
#   ./scripts/test.sh [ctest arguments, e.g. -R analysis]
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh --browser

# clang builds the suite and its libFuzzer targets; without clang, gcc builds
# it without them.
cc=gcc
command -v clang >/dev/null && cc=clang
jobs=$(nproc)
build=build-test

cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DROLLMAT_WERROR=ON -DROLLMAT_SANITIZE=ON -DROLLMAT_TESTS=ON >/dev/null
cmake --build "$build" -j "$jobs"

# gcc at -O2 sees what clang does not (format truncation, maybe-uninitialized),
# and it is the compiler of demo.sh: it must build warning-free too.
if [[ $cc != gcc ]] && command -v gcc >/dev/null; then
  cmake -S . -B build-gcc -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release \
    -DROLLMAT_WERROR=ON -DROLLMAT_TESTS=ON >/dev/null
  cmake --build build-gcc -j "$jobs" >/dev/null
fi

ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"

# Allocation-failure injection (tests/fault) needs a build without ASan,
# whose malloc is linked into the executable: it runs on the gcc build.
if [[ -d build-gcc ]]; then
  ctest --test-dir build-gcc -R '^test_alloc_fail$' --output-on-failure
fi
