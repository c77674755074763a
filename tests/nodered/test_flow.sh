#!/usr/bin/env bash
# Runs packaging/nodered/hypnic-flow.json in a headless Node-RED against a private mosquitto and checks what it shows.
# Usage: tests/nodered/test_flow.sh [work dir]   (ctest: nodered:flow)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/../.." && pwd)"
WORK="${1:-$(mktemp -d)}"
rm -rf "$WORK" && mkdir -p "$WORK/userdir"

# Node-RED and its dashboard from npm, pinned by package-lock.json (scripts/deps.sh does the same).
if [ ! -x "$HERE/node_modules/.bin/node-red" ]; then
  echo "nodered: installing Node-RED into tests/nodered/node_modules" >&2
  (cd "$HERE" && npm ci --no-audit --no-fund --silent)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MQTT_PORT=$(free_port)
HTTP_PORT=$(free_port)

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
fail() {
  echo "nodered: FAIL: $*" >&2
  echo "--- node-red log (last 40 lines)" >&2
  tail -n 40 "$WORK/node-red.log" >&2 || true
  exit 1
}

# Without a configuration file mosquitto 2 listens on the loopback interface only and allows anonymous clients.
mosquitto -p "$MQTT_PORT" > "$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)

cat > "$WORK/settings.js" <<EOF
module.exports = {
    uiHost: "127.0.0.1",
    uiPort: $HTTP_PORT,
    flowFile: "flows.json",
    credentialSecret: false,
    logging: { console: { level: "info", metrics: false, audit: false } },
    telemetry: { enabled: false },
    editorTheme: { tours: false }
};
EOF
cp "$SRC/packaging/nodered/hypnic-flow.json" "$WORK/userdir/flows.json"

HYPNIC_MQTT_HOST=127.0.0.1 HYPNIC_MQTT_PORT=$MQTT_PORT HYPNIC_SLEEPER=alex \
  node "$HERE/node_modules/node-red/red.js" --settings "$WORK/settings.js" --userDir "$WORK/userdir" \
  > "$WORK/node-red.log" 2>&1 &
PIDS+=($!)

wait_for_log() {  # <text> <seconds>
  local deadline=$((SECONDS + $2))
  until grep -q "$1" "$WORK/node-red.log" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "no '$1' in the Node-RED log within $2 s"
    sleep 0.5
  done
}
wait_for_log "Started flows" 90
wait_for_log "Connected to broker" 30
if grep -Eq "Waiting for missing types|\[error\]" "$WORK/node-red.log"; then fail "Node-RED reported errors"; fi

# hypnic's publications: night, state and a movement from `hypnicd replay` of the bundled sample night,
# advice and wind-down in the contract's form, and another sleeper's night (filtered out).
python3 - "$HERE/publications.jsonl" "$MQTT_PORT" <<'EOF'
import json, subprocess, sys
for line in open(sys.argv[1]):
    p = json.loads(line)
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", sys.argv[2], "-q", "1", "-t", p["topic"], "-m", p["payload"]]
    if p.get("retain"):
        cmd.append("-r")
    subprocess.run(cmd, check=True)
EOF

# What the flow shows, polled until every widget has its value.
python3 - "$HTTP_PORT" "$HERE/publications.jsonl" <<'EOF' || fail "the dashboard does not show hypnic's topics"
import json, sys, time, urllib.request
port = sys.argv[1]
pubs = {}
for line in open(sys.argv[2]):
    p = json.loads(line)
    pubs[p["topic"]] = p["payload"]
night = json.loads(pubs["hypnic/alex/night"])
want = ["status", "night/alex", "trend/alex", "advice/alex", "tonight/alex", "movement/alex", "winddown_next/alex",
        "winddown/alex"]
shown = {}
deadline = time.time() + 20
while time.time() < deadline:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/hypnic/shown", timeout=5) as r:
        shown = json.load(r)
    if all(k in shown for k in want):
        break
    time.sleep(0.5)
missing = [k for k in want if k not in shown]
assert not missing, f"not shown: {missing}; shown: {sorted(shown)}"
assert shown["status"]["payload"] == "hypnicd is running", shown["status"]
text = shown["night/alex"]["payload"]
assert f"{night['onset_twitches']} twitches while falling asleep" in text, text
assert night["night"] in text and "twitch-heavy" in text, text
trend = shown["trend/alex"]
assert trend["series"] == "alex", trend
assert trend["payload"] == [{"night": night["night"], "onset_twitches": night["onset_twitches"]}], trend
advice = json.loads(pubs["hypnic/alex/advice"])
top = min(advice["items"], key=lambda i: i["priority"])
assert shown["advice/alex"]["payload"] == top["text"], shown["advice/alex"]
assert "out of bed" in shown["tonight/alex"]["payload"], shown["tonight/alex"]
assert "twitch at" in shown["movement/alex"]["payload"], shown["movement/alex"]
assert "next dim lights" in shown["winddown_next/alex"]["payload"], shown["winddown_next/alex"]
assert "caffeine cutoff now" in shown["winddown/alex"]["payload"], shown["winddown/alex"]
assert not any(k.endswith("/sam") for k in shown), "HYPNIC_SLEEPER=alex still shows sam"
print("nodered: shown:", ", ".join(sorted(shown)))
EOF

# The dashboard itself is served (its widgets are registered with the page).
code=$(python3 -c "import urllib.request,sys; print(urllib.request.urlopen('http://127.0.0.1:$HTTP_PORT/dashboard/hypnic', timeout=10).status)")
[ "$code" = 200 ] || fail "GET /dashboard/hypnic answered $code"
if grep -Eq "\[error\]" "$WORK/node-red.log"; then fail "Node-RED logged errors while showing the topics"; fi
echo "nodered: PASS"
