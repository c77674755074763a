#!/usr/bin/env bash
# Builds the Debian package with CPack, installs it with dpkg, runs the installed daemon as the unit
# would (as an unprivileged user, against a private mosquitto), then removes and purges it.
# Needs root (dpkg); exits 77 (ctest: skipped) otherwise.
set -euo pipefail
BUILD=${1:?usage: test_deb_install.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: test_deb_install.sh BUILD_DIR SOURCE_DIR}
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: installing a .deb needs root (CI runs as root)"
    exit 77
fi
if dpkg-query -W -f='${Status}' hypnic 2>/dev/null | grep -q "ok installed"; then
    echo "SKIP: a hypnic package is already installed on this machine; the test does not replace it"
    exit 77
fi
# shellcheck source=/dev/null
. "$SRC/tests/packaging/lib.sh"
work=$(mktemp -d)
chmod 755 "$work"
installed=0
cleanup() {
    stop_broker
    if [ "$installed" -eq 1 ]; then dpkg --purge hypnic >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "test_deb_install: $*" >&2; exit 1; }

# 1. Build the package.
(cd "$BUILD" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/pkg/hypnic_*.deb)
echo "built $(basename "$deb")"

# 2. What is inside, and what it depends on.
dpkg-deb -c "$deb" | awk '{print $6}' > "$work/contents"
for f in ./usr/bin/hypnicd ./etc/hypnic/hypnic.yaml ./lib/systemd/system/hypnicd.service \
         ./usr/share/man/man1/hypnicd.1.gz ./usr/share/doc/hypnic/install.md \
         ./usr/share/doc/hypnic/examples/hypnic.example.yaml ./usr/share/doc/hypnic/LICENSE; do
    grep -qxF "$f" "$work/contents" || fail "the package lacks $f"
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for d in libpaho-mqttpp3-1 libpaho-mqtt1.3 libyaml-cpp0.7 libsqlite3-0 libspdlog1.10-fmt9 libboost-json1.81.0 \
         libdate-tz3 tzdata; do
    printf '%s\n' "$depends" | tr ',' '\n' | grep -qE "^ *$d( |$)" || fail "Depends lacks $d"
done
dpkg-deb -e "$deb" "$work/control"
grep -qxF /etc/hypnic/hypnic.yaml "$work/control/conffiles" || fail "/etc/hypnic/hypnic.yaml is not a conffile"
for s in postinst prerm postrm; do [ -x "$work/control/$s" ] || fail "no executable $s"; done

# 3. Install; Depends from the archive when something is missing.
installed=1
if ! dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >>"$work/dpkg.log" 2>&1 || {
        cat "$work/dpkg.log"; fail "dpkg -i failed and apt-get -f install could not fix it"; }
fi
dpkg-query -W -f='${Status}' hypnic | grep -q "install ok installed" || { cat "$work/dpkg.log"; fail "not installed"; }
version=$(/usr/bin/hypnicd --version)
expected="hypnicd $(dpkg-deb -f "$deb" Version)"
[ "$version" = "$expected" ] || fail "--version says '$version', the package '$expected'"
echo "installed: $version"
/usr/bin/hypnicd check-config --config /etc/hypnic/hypnic.yaml
if command -v systemd-analyze >/dev/null; then
    "$SRC/tests/packaging/check_unit.sh" /lib/systemd/system/hypnicd.service
fi

# 4. Run the installed binary as the unit does: an unprivileged user (DynamicUser=yes), its own
#    state directory, the notification socket and the journal stream.
start_broker "$work"
mkdir -p "$work/state"
chown nobody:nogroup "$work/state"
chmod 700 "$work/state"
service_config /etc/hypnic/hypnic.yaml "$work/hypnic.yaml" "$work/state"
chmod 644 "$work/hypnic.yaml"
as_unit=(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs /usr/bin/hypnicd)
"${as_unit[@]}" check-config --config "$work/hypnic.yaml"
service_cycle "$work" "$work/hypnic.yaml" "${as_unit[@]}"
[ -f "$work/state/hypnic.db" ] || fail "the daemon kept no hypnic.db in its state directory"

# 5. Remove keeps the edited configuration; purge deletes it and the state.
echo "# edited by the administrator" >> /etc/hypnic/hypnic.yaml
mkdir -p /var/lib/hypnic && touch /var/lib/hypnic/hypnic.db
dpkg -r hypnic >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r failed"; }
[ ! -e /usr/bin/hypnicd ] || fail "dpkg -r left /usr/bin/hypnicd"
[ ! -e /lib/systemd/system/hypnicd.service ] || fail "dpkg -r left the unit"
grep -q "edited by the administrator" /etc/hypnic/hypnic.yaml || fail "dpkg -r did not keep the edited conffile"
dpkg --purge hypnic >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge failed"; }
installed=0
[ ! -e /etc/hypnic ] || fail "purge left /etc/hypnic"
[ ! -e /var/lib/hypnic ] || fail "purge left /var/lib/hypnic"
if dpkg-query -W -f='${Status}' hypnic 2>/dev/null | grep -q installed; then fail "still known to dpkg"; fi
echo "removed and purged cleanly"
echo "test_deb_install: passed"
