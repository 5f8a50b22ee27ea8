#!/usr/bin/env bash
# Sets up what is missing, builds with -Werror under AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs the whole suite with ctest.
#   ./scripts/test.sh [ctest arguments, e.g. -R analysis]
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh --browser

# clang builds the libFuzzer targets too; gcc builds everything else.
cc=gcc
command -v clang >/dev/null && cc=clang
jobs=$(nproc)
build=build-test

cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DROLLMAT_WERROR=ON -DROLLMAT_SANITIZE=ON -DROLLMAT_TESTS=ON >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"
