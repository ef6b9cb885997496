#!/usr/bin/env bash
# Three-way load comparison on this machine: Parlor, the raw websocket
# baseline (games/src/bin/raw_baseline.rs) and Colyseus 0.18 (benches/peers/colyseus),
# each serving the same arena load (8 clients per room, steering at 10 Hz,
# a 20 Hz patch every tick) from a load client on the same machine.
#
# usage: benches/compare.sh [CLIENTS] [RAMP_SECONDS] [WINDOW_SECONDS]
# Needs cargo and node/npm; installs the Colyseus packages with `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS="${1:-800}"
RAMP="${2:-5}"
WINDOW="${3:-15}"
PARLOR_PORT=18480
RAW_PORT=18481
COLYSEUS_PORT=18482
HZ=$(getconf CLK_TCK)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "== building (release)" >&2
cargo build --release --bin parlor --bin raw-baseline >&2
peer=benches/peers/colyseus
if [ -f "$peer/package.json" ]; then
  echo "== installing the Colyseus peer (npm ci)" >&2
  (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error >&2)
else
  echo "== $peer is not written yet: comparing Parlor with the raw baseline only" >&2
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wchar() { awk '/^wchar/ {print $2}' "/proc/$1/io"; }
wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2; exit 1
}

# measure NAME PID PORT LOAD_COMMAND...: runs the load, samples the server
# over the window, and appends a JSON line to $work/results.
measure() {
  local name=$1 pid=$2 port=$3; shift 3
  wait_port "$port"
  "$@" > "$work/$name.json" 2> "$work/$name.log" &
  local load=$!
  sleep $((RAMP + 2))
  local c0 b0 w0 t0 c1 b1 w1 t1
  c0=$(cpu_ticks "$pid"); b0=0; w0=$(wchar "$pid"); t0=$(date +%s.%N)
  sleep $((WINDOW - 2))
  c1=$(cpu_ticks "$pid"); b1=0; w1=$(wchar "$pid"); t1=$(date +%s.%N)
  local rss; rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  wait "$load" || { echo "$name: the load client failed:" >&2; cat "$work/$name.log" >&2; exit 1; }
  kill "$pid" 2>/dev/null || true
  python3 - "$name" "$work/$name.json" "$c0" "$c1" "$b0" "$b1" "$w0" "$w1" "$t0" "$t1" "$rss" "$HZ" >> "$work/results" <<'PY'
import json, sys
name, path, c0, c1, b0, b1, w0, w1, t0, t1, rss, hz = sys.argv[1:]
load = json.load(open(path))
secs = float(t1) - float(t0)
clients = max(load["connected"], 1)
print(json.dumps({
    "name": name,
    "clients": load["connected"],
    "cpu_us_per_client_s": (float(c1) - float(c0)) / float(hz) * 1e6 / secs / clients,
    # Websocket payload received per client, as counted by the load client.
    "payload_bytes_per_client_s": load["bytes_per_client_sec"],
    "wchar_per_client_s": (float(w1) - float(w0)) / secs / clients,
    "peak_rss_mib": float(rss) / 1024,
    "delivered": load["delivered"],
    "rtt_p99_ms": load["rtt_ms"]["p99"],
    "errors": load["errors"],
}))
PY
  echo "== $name done" >&2
}

load_args=(--clients "$CLIENTS" --ramp "$RAMP" --duration "$WINDOW" --per-room 8 --input-hz 10)

data=$(mktemp -d -p "$work")
target/release/parlor serve --bind "127.0.0.1:$PARLOR_PORT" --data-dir "$data" 2> "$work/parlor-server.log" &
pids+=($!); measure parlor "$!" "$PARLOR_PORT" target/release/parlor load --url "ws://127.0.0.1:$PARLOR_PORT/ws" "${load_args[@]}" --json

frame=$(python3 -c "import json; d = json.load(open('$work/parlor.json')); print(max(16, round(d['bytes_per_client_sec'] / 20)))")
target/release/raw-baseline --bind "127.0.0.1:$RAW_PORT" --frame-bytes "$frame" 2> "$work/raw-server.log" &
pids+=($!); measure raw "$!" "$RAW_PORT" target/release/parlor load --url "ws://127.0.0.1:$RAW_PORT/ws" "${load_args[@]}" --json

if [ -f "$peer/package.json" ]; then
  (cd "$peer" && PORT=$COLYSEUS_PORT exec node server.mjs > "$work/colyseus-server.log" 2>&1) &
  pids+=($!)
  cpid=$!
  measure colyseus "$cpid" "$COLYSEUS_PORT" node "$peer/load.mjs" --url "ws://127.0.0.1:$COLYSEUS_PORT" "${load_args[@]}"
fi

python3 - "$work/results" "$CLIENTS" "$frame" <<'PY'
import json, sys
rows = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
print(f"arena load, {sys.argv[2]} clients (8 per room, inputs at 10 Hz, 20 Hz patches); raw baseline frames of {sys.argv[3]} bytes; 2 cores, load client on the same machine")
print("| server | clients | CPU us per client-second | payload bytes per client-second | wchar per client-second | peak RSS MiB | delivered patches | input->ack p99 ms | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name in ("parlor", "raw", "colyseus"):
    if name not in rows:
        continue
    r = rows[name]
    print(f"| {name} | {r['clients']} | {r['cpu_us_per_client_s']:.0f} | {r['payload_bytes_per_client_s']:.0f} | {r['wchar_per_client_s']:.0f} | {r['peak_rss_mib']:.1f} | {100 * r['delivered']:.1f}% | {r['rtt_p99_ms']:.1f} | {r['errors']} |")
p, raw = rows["parlor"], rows["raw"]
print()
if "colyseus" in rows:
    col = rows["colyseus"]
    print(f"Parlor / Colyseus: CPU {p['cpu_us_per_client_s'] / col['cpu_us_per_client_s']:.3f}, bytes {p['payload_bytes_per_client_s'] / col['payload_bytes_per_client_s']:.2f}")
print(f"Parlor / raw:      CPU {p['cpu_us_per_client_s'] / raw['cpu_us_per_client_s']:.2f}, bytes {p['payload_bytes_per_client_s'] / raw['payload_bytes_per_client_s']:.2f}")
PY
