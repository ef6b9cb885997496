#!/usr/bin/env bash
# Load comparison on this machine: Parlor, the raw websocket baseline
# (games/src/bin/raw_baseline.rs, a tokio task per socket), the floor
# (games/src/bin/floor.rs, one thread on mio, one write per frame) and
# Colyseus 0.18 (benches/peers/colyseus), each serving the same arena load
# (8 clients per room, steering at 10 Hz, a 20 Hz patch every tick) from a
# load client on the same machine, one after the other. Every server's CPU
# and bytes are printed as a ratio to the floor's, from the same run.
#
# Bytes are counted twice: websocket payload received, by the load client;
# and what the kernel sent from the server's sockets (`ss -ti` bytes_sent of
# each established socket on the server's port, at the window's start and
# end, summed over the sockets open at both), the same measure for every
# server, whatever call it writes with.
#
# usage: benches/compare.sh [CLIENTS] [RAMP_SECONDS] [WINDOW_SECONDS]
# Needs cargo, python3, ss (iproute2) and node/npm; installs the Colyseus
# packages with `npm ci`.
# Environment: COMPARE_PEERS=0 leaves Colyseus out (no node needed);
# COMPARE_PATCHES=compact or plain has Parlor's bots ask for full `p` or
# protocol v1 `patch` instead of lean `p`, as the SDK does (the default);
# CARGO_TARGET_DIR is honoured (default target).
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS="${1:-800}"
RAMP="${2:-5}"
WINDOW="${3:-15}"
PARLOR_PORT=18480
RAW_PORT=18481
COLYSEUS_PORT=18482
FLOOR_PORT=18483
bin="${CARGO_TARGET_DIR:-target}/release"
HZ=$(getconf CLK_TCK)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "== building (release)" >&2
cargo build --release -p parlor-games --bin parlor --bin raw-baseline --bin floor >&2
peer=benches/peers/colyseus
peers=0
if [ "${COMPARE_PEERS:-1}" = 0 ]; then
  echo "== COMPARE_PEERS=0: leaving Colyseus out" >&2
elif [ -f "$peer/package.json" ]; then
  echo "== installing the Colyseus peer (npm ci)" >&2
  (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error >&2)
  peers=1
else
  echo "== $peer is not written yet: leaving Colyseus out" >&2
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# kernel_sockets PORT: the established sockets whose local port is PORT
# (the server's side), each with what the kernel has sent from it so far
# (bytes_sent, websocket framing included).
kernel_sockets() { ss -tinH state established "( sport = :$1 )"; }
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
  # The window: from a second after the ramp to a second before the load
  # client stops, so that every socket is open at both ends.
  sleep $((RAMP + 1))
  local c0 t0 c1 t1
  c0=$(cpu_ticks "$pid"); kernel_sockets "$port" > "$work/$name.ss0"; t0=$(date +%s.%N)
  sleep $((WINDOW - 2))
  c1=$(cpu_ticks "$pid"); kernel_sockets "$port" > "$work/$name.ss1"; t1=$(date +%s.%N)
  local rss; rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  wait "$load" || { echo "$name: the load client failed:" >&2; cat "$work/$name.log" >&2; exit 1; }
  kill "$pid" 2>/dev/null || true
  python3 - "$name" "$work/$name.json" "$c0" "$c1" "$work/$name.ss0" "$work/$name.ss1" "$t0" "$t1" "$rss" "$HZ" >> "$work/results" <<'PY'
import json, re, sys
name, path, c0, c1, ss0, ss1, t0, t1, rss, hz = sys.argv[1:]
load = json.load(open(path))
def sent(path):
    """bytes_sent of each socket in an `ss -tinH` listing, by its addresses."""
    sockets, key = {}, None
    for line in open(path):
        if not line[:1].isspace():
            key = tuple(line.split()[-2:])
            sockets[key] = 0
        elif key and (m := re.search(r"\bbytes_sent:(\d+)", line)):
            sockets[key] = int(m.group(1))
    return sockets
k0, k1 = sent(ss0), sent(ss1)
both = k0.keys() & k1.keys()
if len(both) != len(k1) or len(both) != len(k0):
    print(f"{name}: {len(k0)} sockets at the window's start, {len(k1)} at its end, {len(both)} at both", file=sys.stderr)
secs = float(t1) - float(t0)
clients = max(load["connected"], 1)
print(json.dumps({
    "name": name,
    "clients": load["connected"],
    "cpu_us_per_client_s": (float(c1) - float(c0)) / float(hz) * 1e6 / secs / clients,
    # Websocket payload received per client, as counted by the load client.
    "payload_bytes_per_client_s": load["bytes_per_client_sec"],
    # What the kernel sent from the server's sockets (ss bytes_sent).
    "kernel_bytes_per_client_s": sum(k1[s] - k0[s] for s in both) / secs / clients,
    "kernel_sockets": len(both),
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
"$bin/parlor" serve --bind "127.0.0.1:$PARLOR_PORT" --data-dir "$data" 2> "$work/parlor-server.log" &
case "${COMPARE_PATCHES:-lean}" in
  lean) patches=() ;;
  compact) patches=(--compact-patches) ;;
  plain) patches=(--plain-patches) ;;
  *) echo "COMPARE_PATCHES is lean, compact or plain" >&2; exit 2 ;;
esac
pids+=($!); measure parlor "$!" "$PARLOR_PORT" "$bin/parlor" load --url "ws://127.0.0.1:$PARLOR_PORT/ws" "${load_args[@]}" "${patches[@]}" --json

frame=$(python3 -c "import json; d = json.load(open('$work/parlor.json')); print(max(16, round(d['bytes_per_client_sec'] / 20)))")
"$bin/raw-baseline" --bind "127.0.0.1:$RAW_PORT" --frame-bytes "$frame" 2> "$work/raw-server.log" &
pids+=($!); measure raw "$!" "$RAW_PORT" "$bin/parlor" load --url "ws://127.0.0.1:$RAW_PORT/ws" "${load_args[@]}" --json

"$bin/floor" --bind "127.0.0.1:$FLOOR_PORT" --frame-bytes "$frame" 2> "$work/floor-server.log" &
pids+=($!); measure floor "$!" "$FLOOR_PORT" "$bin/parlor" load --url "ws://127.0.0.1:$FLOOR_PORT/ws" "${load_args[@]}" --json

if [ "$peers" = 1 ]; then
  (cd "$peer" && PORT=$COLYSEUS_PORT exec node server.mjs > "$work/colyseus-server.log" 2>&1) &
  pids+=($!)
  cpid=$!
  measure colyseus "$cpid" "$COLYSEUS_PORT" node "$peer/load.mjs" --url "ws://127.0.0.1:$COLYSEUS_PORT" "${load_args[@]}"
fi

python3 - "$work/results" "$CLIENTS" "$frame" "${COMPARE_PATCHES:-lean}" <<'PY'
import json, sys
rows = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
print(f"arena load, {sys.argv[2]} clients (8 per room, inputs at 10 Hz, 20 Hz patches, Parlor's bots asking for {sys.argv[4]} patches); raw baseline and floor frames of {sys.argv[3]} bytes; 2 cores, load client on the same machine")
print("| server | clients | CPU us per client-second | payload bytes per client-second | kernel bytes sent per client-second | peak RSS MiB | delivered patches | input->ack p99 ms | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
names = [n for n in ("parlor", "raw", "floor", "colyseus") if n in rows]
for name in names:
    r = rows[name]
    print(f"| {name} | {r['clients']} | {r['cpu_us_per_client_s']:.0f} | {r['payload_bytes_per_client_s']:.0f} | {r['kernel_bytes_per_client_s']:.0f} | {r['peak_rss_mib']:.1f} | {100 * r['delivered']:.1f}% | {r['rtt_p99_ms']:.1f} | {r['errors']} |")
p, raw, floor = rows["parlor"], rows["raw"], rows["floor"]
def ratio(a, b, key):
    return a[key] / b[key] if b[key] else float("nan")
print()
for name in [n for n in names if n != "floor"]:
    r = rows[name]
    print(f"{name:>8} / floor: CPU {ratio(r, floor, 'cpu_us_per_client_s'):.2f}, kernel bytes {ratio(r, floor, 'kernel_bytes_per_client_s'):.2f}")
print()
if "colyseus" in rows:
    col = rows["colyseus"]
    print(f"Parlor / Colyseus: CPU {ratio(p, col, 'cpu_us_per_client_s'):.3f}, bytes {ratio(p, col, 'payload_bytes_per_client_s'):.2f} (kernel {ratio(p, col, 'kernel_bytes_per_client_s'):.2f})")
print(f"Parlor / raw:      CPU {ratio(p, raw, 'cpu_us_per_client_s'):.2f}, bytes {ratio(p, raw, 'payload_bytes_per_client_s'):.2f} (kernel {ratio(p, raw, 'kernel_bytes_per_client_s'):.2f})")
PY
