#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, starts a private mosquitto on a free
# loopback port, runs hypnicd against it, plays the bundled sample night through the pipeline, shows
# what a dashboard subscribed to hypnic/# sees, and ends with the night summary in readable form.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/deps.sh
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
BIN=$ROOT/$BUILD_DIR/app/hypnicd
SAMPLE=${SAMPLE:-$ROOT/tests/data/captures/sample-night.jsonl.gz}

WORK=$(mktemp -d /tmp/hypnic-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
CONF
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
  sleep 0.1
done
echo "== private mosquitto on 127.0.0.1:$PORT"

sed -e "s#tcp://localhost:1883#tcp://127.0.0.1:$PORT#" -e "s#/var/lib/hypnic#$WORK/state#" \
  config/demo.yaml >"$WORK/hypnic.yaml"
mkdir -p "$WORK/state"
"$BIN" check-config --config "$WORK/hypnic.yaml"

# What a dashboard sees: everything under hypnic/.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -v -t 'hypnic/#' >"$WORK/dashboard.log" &
PIDS+=($!)

"$BIN" run --config "$WORK/hypnic.yaml" 2>"$WORK/hypnicd.log" &
DAEMON=$!
PIDS+=($DAEMON)
for _ in $(seq 100); do
  grep -q '^hypnic/status online' "$WORK/dashboard.log" && break
  sleep 0.1
done
echo "== hypnicd is running (hypnic/status: $(grep '^hypnic/status' "$WORK/dashboard.log" | tail -1 | cut -d' ' -f2))"

echo "== live: the first 3 minutes in bed of the sample night, sent to the running daemon as if they were now"
python3 "$ROOT/scripts/live_excerpt.py" "$SAMPLE" "$WORK" 180
mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t bed/alex/presence -f "$WORK/presence.txt"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t bed/alex/accel -l <"$WORK/accel.txt"
for _ in $(seq 50); do
  grep -q '^hypnic/alex/event ' "$WORK/dashboard.log" && break
  sleep 0.2
done
sleep 2
echo "   what hypnicd run published live:"
grep -E '^hypnic/alex/(event|state) ' "$WORK/dashboard.log" | sed 's/^/     /' | head -12
LIVE_LINES=$(wc -l <"$WORK/dashboard.log")

echo
echo "== the whole sample night ($(basename "$SAMPLE")) through the same pipeline on a virtual clock (hypnicd replay --publish)"
zcat -f "$SAMPLE" | "$BIN" replay --config "$WORK/hypnic.yaml" --capture - --publish --out "$WORK/publications.jsonl"
sleep 1

echo
echo "== what a dashboard subscribed to hypnic/# received"
tail -n +"$((LIVE_LINES + 1))" "$WORK/dashboard.log" >"$WORK/dashboard-night.log"
python3 "$ROOT/scripts/dashboard_summary.py" "$WORK/dashboard-night.log"

kill -TERM "$DAEMON"
wait "$DAEMON" && echo "== hypnicd stopped cleanly (exit 0); hypnic/status is now: $(mosquitto_sub -h 127.0.0.1 -p "$PORT" -t hypnic/status -C 1 -W 2 || echo '?')"
