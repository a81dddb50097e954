#!/usr/bin/env bash
# Refreshes the Leaflet files the case map serves (crates/web/static/leaflet/) from the npm
# registry, checking the tarball against the checksum npm publishes. The files are committed:
# nothing downloads at build or run time.
set -euo pipefail
VERSION=1.9.4
SHA1=23fae724e282fa25745aff82ca4d394748db7d8d
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL -o "$tmp/leaflet.tgz" "https://registry.npmjs.org/leaflet/-/leaflet-$VERSION.tgz"
echo "$SHA1  $tmp/leaflet.tgz" | sha1sum -c -
tar -xzf "$tmp/leaflet.tgz" -C "$tmp"
out=crates/web/static/leaflet
mkdir -p "$out/images"
cp "$tmp/package/dist/leaflet.js" "$tmp/package/dist/leaflet.css" "$tmp/package/LICENSE" "$out/"
for f in marker-icon.png marker-icon-2x.png marker-shadow.png layers.png layers-2x.png; do
  cp "$tmp/package/dist/images/$f" "$out/images/"
done
echo "Leaflet $VERSION in $out"
