#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300), one after the
# other, then minimises each corpus; prints each target's figures and
# exits non-zero if any target failed (a panic, a timeout or running out
# of memory; the input is left in fuzz/artifacts/<target>/).
#
# libFuzzer through cargo-fuzz, without a sanitizer (`--sanitizer none`):
# the sanitizers need `-Zsanitizer`, a nightly flag, while libFuzzer's
# coverage instrumentation needs only stable `-C` flags, so this builds on
# the stable toolchain as it is, without RUSTC_BOOTSTRAP (docs/operations.md,
# "Fuzzing").
#
#   fuzz/run.sh            # 5 minutes per target
#   fuzz/run.sh 30         # a quick look
#   FUZZ_TARGETS="init_data manifest" fuzz/run.sh 60
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-300}"
targets=(${FUZZ_TARGETS:-websocket_frames client_message init_data session_token manifest})

if ! cargo fuzz --version > /dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
cargo fuzz --version

fuzz=(--sanitizer none)

echo "== building the fuzz targets"
cargo fuzz build "${fuzz[@]}"

logs=fuzz/target/logs
mkdir -p "$logs"
failed=()
summary=()
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  max_len=4096
  # Room for a frame over the server's 16 KiB limit and its header.
  [[ "$target" == websocket_frames ]] && max_len=20000
  echo "== $target: ${seconds}s"
  log="$logs/$target.log"
  if cargo fuzz run "${fuzz[@]}" "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 > "$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$target")
    tail -n 40 "$log"
  fi
  stat() { grep -m1 "^stat::$1:" "$log" | awk '{print $2}'; }
  # The last status line: "#N DONE cov: C ft: F corp: N/SIZE ...".
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<< "$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<< "$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<< "$last")
  line=$(printf '%-17s %-6s execs %-11s exec/s %-7s cov %-6s ft %-7s corpus %-11s new %-6s peak RSS %s MB' \
    "$target" "$status" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
    "$cov" "$ft" "$corp" "$(stat new_units_added)" "$(stat peak_rss_mb)")
  echo "$line"
  summary+=("$line")
done

if [[ ${#failed[@]} -eq 0 ]]; then
  # Keep the committed corpus small: the fewest inputs that reach every
  # edge reached. Without hit counts (-use_counters=0) this is a fifth of
  # the files or fewer, with the same edges covered.
  for target in "${targets[@]}"; do
    echo "== minimising fuzz/corpus/$target"
    cargo fuzz cmin "${fuzz[@]}" "$target" "fuzz/corpus/$target" -- -use_counters=0 \
      > "$logs/$target.cmin.log" 2>&1 || { echo "cmin failed; see $logs/$target.cmin.log"; exit 1; }
    echo "   $(find "fuzz/corpus/$target" -type f | wc -l) files," \
      "$(find "fuzz/corpus/$target" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}') bytes"
  done
fi

echo "== figures (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]}; inputs in fuzz/artifacts/, logs in $logs/" >&2
  echo "Add each input to fuzz/regressions/<target>/ once fixed (tests/fuzz_regressions.rs runs them)." >&2
  exit 1
fi
