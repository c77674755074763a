#!/usr/bin/env bash
# Installs the Debian 12 packages hypnic builds and tests with (only what is missing).
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config git python3
      libpaho-mqttpp-dev libpaho-mqtt-dev libyaml-cpp-dev catch2
      libboost1.81-dev libboost-json1.81-dev libsqlite3-dev libhowardhinnant-date-dev tzdata zlib1g-dev
      libsimdjson-dev  # the replay's capture and accel parsing (run time: libsimdjson14, by shlibdeps)
      libcli11-dev libspdlog-dev mosquitto mosquitto-clients libbenchmark-dev
      jq python3-yaml systemd  # the packaging tests: add-on options, manifests, systemd-analyze
      chromium)                # the browser test of the night report (tests/browser)
PKGS+=(clang libclang-rt-14-dev openssl)  # .ci/run's sanitizer and fuzzing builds; the TLS tests
# Node.js and npm (the browser and Node-RED tests): Debian's only where the machine has none, because
# a Node.js from elsewhere (with its own npm) conflicts with Debian's npm package.
command -v node >/dev/null || PKGS+=(nodejs)
command -v npm >/dev/null || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Node-RED flow test runs Node-RED and its dashboard, pinned in tests/nodered/package-lock.json.
NODERED_DIR="$(dirname "$0")/../tests/nodered"
if command -v npm >/dev/null && [ ! -x "$NODERED_DIR/node_modules/.bin/node-red" ]; then
  echo "deps: npm ci in tests/nodered" >&2
  (cd "$NODERED_DIR" && npm ci --no-audit --no-fund --silent)
fi
# The browser test drives chromium through playwright-core, pinned in tests/browser/package-lock.json.
BROWSER_DIR="$(dirname "$0")/../tests/browser"
if [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
  echo "deps: npm ci in tests/browser" >&2
  (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --silent)
fi
