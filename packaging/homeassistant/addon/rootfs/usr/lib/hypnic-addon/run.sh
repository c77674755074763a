#!/usr/bin/with-contenv bashio
# shellcheck shell=bash
# hypnic add-on entry point: reads the MQTT service from the Supervisor, writes /data/hypnic.yaml
# from the add-on's options, checks it and runs hypnicd in the foreground.
set -e
if ! bashio::services.available "mqtt"; then
    bashio::exit.nok "No MQTT broker: install and start the Mosquitto broker add-on."
fi
MQTT_HOST=$(bashio::services mqtt "host")
MQTT_PORT=$(bashio::services mqtt "port")
MQTT_USERNAME=$(bashio::services mqtt "username")
MQTT_PASSWORD=$(bashio::services mqtt "password")
MQTT_SSL=$(bashio::services mqtt "ssl")
export MQTT_HOST MQTT_PORT MQTT_USERNAME MQTT_PASSWORD MQTT_SSL
/usr/lib/hypnic-addon/options_to_yaml.sh /data/options.json > /data/hypnic.yaml.new \
    || bashio::exit.nok "The add-on's options were not accepted (see above)."
mv /data/hypnic.yaml.new /data/hypnic.yaml
# The password reaches hypnicd only through its environment (password_env), never /data.
export HYPNIC_MQTT_PASSWORD="${MQTT_PASSWORD}"
unset MQTT_PASSWORD
hypnicd check-config --config /data/hypnic.yaml || bashio::exit.nok "The add-on's options make an invalid configuration (see above)."
bashio::log.info "Starting hypnicd for $(jq '.sleepers | length' /data/options.json) sleeper(s), broker ${MQTT_HOST}:${MQTT_PORT}"
exec hypnicd run --config /data/hypnic.yaml
