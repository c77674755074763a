#!/usr/bin/env bash
# Rates the hypnicd systemd unit with `systemd-analyze security --offline=true` and fails above the
# exposure the unit promises (1.5); also checks the unit keeps the settings the daemon relies on.
set -euo pipefail
UNIT=${1:?usage: check_unit.sh UNIT_FILE [MAX_EXPOSURE]}
MAX=${2:-1.5}
if ! command -v systemd-analyze >/dev/null; then
    echo "check_unit: systemd-analyze is missing (Debian package systemd; scripts/deps.sh installs it)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The unit is rated under its installed name.
cp "$UNIT" "$work/hypnicd.service"
out=$(cd "$work" && systemd-analyze security --offline=true --no-pager hypnicd.service 2>&1) || {
    echo "$out"; echo "check_unit: systemd-analyze failed" >&2; exit 1; }
exposure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for hypnicd.service: \([0-9.]*\).*/\1/p')
if [ -z "$exposure" ]; then
    echo "$out"; echo "check_unit: no 'Overall exposure level' line in the output" >&2; exit 1
fi
fail=0
if ! awk -v e="$exposure" -v m="$MAX" 'BEGIN { exit !(e <= m) }'; then
    printf '%s\n' "$out" | grep '✗' || true
    echo "check_unit: exposure $exposure is above $MAX" >&2
    fail=1
fi
# What the daemon and the package depend on, besides the score.
# shellcheck disable=SC2016  # $MAINPID is literal unit text
for line in 'Type=notify' 'ExecStartPre=/usr/bin/hypnicd check-config --config /etc/hypnic/hypnic.yaml' \
            'ExecStart=/usr/bin/hypnicd run --config /etc/hypnic/hypnic.yaml' \
            'ExecReload=/bin/kill -HUP $MAINPID' 'DynamicUser=yes' 'StateDirectory=hypnic' \
            'ConfigurationDirectory=hypnic'; do
    if ! grep -qxF -- "$line" "$UNIT"; then
        echo "check_unit: $UNIT lacks the line: $line" >&2
        fail=1
    fi
done
[ "$fail" -eq 0 ] && echo "check_unit: exposure $exposure (at most $MAX), required settings present"
exit "$fail"
