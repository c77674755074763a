#!/bin/sh
# hypnic add-on: prints hypnic.yaml for OPTIONS_JSON (Home Assistant's /data/options.json) and the
# MQTT service given in the environment: MQTT_HOST, MQTT_PORT (default 1883), MQTT_USERNAME,
# MQTT_PASSWORD (only whether it is set matters here), MQTT_SSL (true|false) and TZ.
# Exit status: 0 written, 1 bad options or service (the reason on stderr), 2 usage.
set -eu
here=$(dirname "$0")
if [ "$#" -ne 1 ]; then
    echo "usage: options_to_yaml.sh OPTIONS_JSON" >&2
    exit 2
fi
if [ ! -r "$1" ] || [ ! -s "$1" ]; then
    echo "hypnic add-on options: $1 is missing, unreadable or empty" >&2
    exit 1
fi
haspassword=false
if [ -n "${MQTT_PASSWORD:-}" ]; then haspassword=true; fi
if ! out=$(jq -r -e \
        --arg host "${MQTT_HOST:-}" --arg port "${MQTT_PORT:-1883}" --arg username "${MQTT_USERNAME:-}" \
        --arg ssl "${MQTT_SSL:-false}" --arg haspassword "$haspassword" --arg tz "${TZ:-}" \
        -f "$here/options_to_yaml.jq" "$1" 2>&1); then
    # jq prefixes its own words; keep only the message.
    printf '%s\n' "$out" | sed -e 's/^jq: error ([^)]*): //' >&2
    exit 1
fi
printf '%s\n' "$out"
