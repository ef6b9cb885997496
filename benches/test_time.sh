#!/usr/bin/env bash
# The whole `cargo test` of a checkout, timed as the test binaries report
# it: the sum of every "finished in", after a `cargo test --no-run` so
# compiling is left out (doc tests still compile their examples as they
# run). docs/benchmarks.md, "Test time".
#
#   benches/test_time.sh [DIR]     # DIR: a checkout (default: this one)
set -euo pipefail
cd "${1:-.}"
cargo test --no-run -q > /dev/null 2>&1
cargo test 2>&1 | grep -E "^test result" | awk '{n += $4; f += $6; t = $NF; sub("s$", "", t); s += t}
  END {printf "%d passed, %d failed, %.2f s summed\n", n, f, s}'
