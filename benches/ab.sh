#!/usr/bin/env bash
# A/B of two `parlor` server binaries under the same load: they alternate
# PAIRS times, each serving CLIENTS arena bots (8 per room, steering at
# 10 Hz) from the load generator of THIS tree; prints each run's server CPU
# per client-second (utime + stime from /proc over 9 s of the measured
# window) and the delivered patch rate, then the means. Alternating cancels
# most of the drift of a shared machine that separate runs suffer.
#
# usage: benches/ab.sh BEFORE_BIN AFTER_BIN [PAIRS] [CLIENTS]
#   e.g. git worktree add ../before <rev> && (cd ../before && cargo build --release)
#        cargo build --release && benches/ab.sh ../before/target/release/parlor target/release/parlor
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE="$1"
AFTER="$2"
PAIRS="${3:-5}"
CLIENTS="${4:-800}"
PORT=18580
LOAD=target/release/parlor
HZ=$(getconf CLK_TCK)

run() { # label binary
  local data pid lpid a b
  data=$(mktemp -d)
  "$2" serve --bind "127.0.0.1:$PORT" --data-dir "$data" 2> /dev/null &
  pid=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2> /dev/null && break; sleep 0.1; done
  "$LOAD" load --url "ws://127.0.0.1:$PORT/ws" --clients "$CLIENTS" --ramp 5 --duration 10 --json > "$data/out.json" 2> /dev/null &
  lpid=$!
  sleep 5.5
  a=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  sleep 9
  b=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  wait "$lpid" || true
  kill "$pid"
  wait "$pid" 2> /dev/null || true
  python3 - "$1" "$a" "$b" "$HZ" "$CLIENTS" "$data/out.json" <<'PY'
import json, sys
label, a, b, hz, clients, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
us = (b - a) / hz / 9 / clients * 1e6
print(f"{label} {us:.0f} {100 * json.load(open(out))['delivered']:.1f}")
PY
  rm -rf "$data"
}

results=$(mktemp)
echo "server cpu_us_per_client_second delivered_percent"
for _ in $(seq 1 "$PAIRS"); do
  run before "$BEFORE" | tee -a "$results"
  run after "$AFTER" | tee -a "$results"
done
awk '{sum[$1] += $2; n[$1]++} END {printf "mean: before %.1f, after %.1f, after/before %.3f\n", sum["before"]/n["before"], sum["after"]/n["after"], (sum["after"]/n["after"]) / (sum["before"]/n["before"])}' "$results"
rm -f "$results"
