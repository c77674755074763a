#!/bin/sh
# Lays out the hypnic Home Assistant add-on in DEST (e.g. the /addons share of a Home Assistant
# host): the add-on files plus hypnic-src.tar.gz, the committed source the add-on image is built from.
set -eu
if [ "$#" -ne 1 ]; then
    echo "usage: make-addon.sh DEST   (DEST/hypnic is created; copy it into Home Assistant's /addons)" >&2
    exit 2
fi
src=$(cd "$(dirname "$0")/../.." && pwd)
dest=$1/hypnic
if ! git -C "$src" rev-parse --verify -q HEAD >/dev/null; then
    echo "make-addon.sh: $src is not a git checkout with a commit; the add-on bundles the committed source" >&2
    exit 1
fi
mkdir -p "$dest"
cp -R "$src/packaging/homeassistant/addon/." "$dest/"
git -C "$src" archive --format=tar.gz -o "$dest/hypnic-src.tar.gz" HEAD
echo "make-addon.sh: wrote $dest (source $(git -C "$src" rev-parse --short HEAD))"
