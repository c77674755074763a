#!/usr/bin/env bash
# Runs the built hypnicd as the systemd unit would (notification socket, journal stream, SIGHUP,
# SIGTERM) against a private mosquitto, with the Debian package's default configuration.
set -euo pipefail
HYPNICD=${1:?usage: test_service.sh HYPNICD SOURCE_DIR}
SRC=${2:?usage: test_service.sh HYPNICD SOURCE_DIR}
# shellcheck source=/dev/null
. "$SRC/tests/packaging/lib.sh"
work=$(mktemp -d)
trap 'stop_broker; rm -rf "$work"' EXIT
start_broker "$work"
service_config "$SRC/packaging/debian/hypnic.yaml" "$work/hypnic.yaml" "$work/state"
"$HYPNICD" check-config --config "$work/hypnic.yaml"
service_cycle "$work" "$work/hypnic.yaml" "$HYPNICD"
[ -f "$work/state/hypnic.db" ] || { echo "no hypnic.db in the state directory" >&2; exit 1; }

# Outside systemd (a terminal, docker logs) the lines keep their plain "level: message" form.
: > "$work/plain"
"$HYPNICD" run --config "$work/hypnic.yaml" 2> "$work/plain" &
pid=$!
watch_topic "$work/status2" hypnic/status
wait_for "$work/status2" "hypnic/status online" 20
kill -TERM "$pid"
wait "$pid"
if grep -qE '^<[0-7]>' "$work/plain" || ! grep -qE '^info: ' "$work/plain"; then
    echo "outside the journal the log should read 'info: ...' without a priority prefix:" >&2
    cat "$work/plain" >&2
    exit 1
fi
echo "test_service: passed"
