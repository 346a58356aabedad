#!/usr/bin/env bash
# Vendor the dashboard's browser libraries from the npm registry into the Python package.
#
# Installs exactly what web/package-lock.json pins (`npm ci`) and copies the files the
# pages load into src/sentinelle/web/static/vendor/ (gitignored), so that the server
# never refers to a CDN. Idempotent: does nothing when the vendored files were built
# from the current lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=src/sentinelle/web/static/vendor
stamp="$vendor/.package-lock.sha256"
want=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$vendor/leaflet/leaflet.js" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "build_web.sh: npm not found; install Node.js and npm (Debian: apt-get install npm)" >&2
    exit 1
fi
(cd web && npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$vendor"
mkdir -p "$vendor/leaflet"
dist=web/node_modules/leaflet/dist
cp "$dist/leaflet.js" "$dist/leaflet.css" "$vendor/leaflet/"
cp -r "$dist/images" "$vendor/leaflet/"
cp web/node_modules/leaflet/LICENSE "$vendor/leaflet/LICENSE"
echo "$want" >"$stamp"
echo "build_web.sh: Leaflet $(node -p "require('./web/node_modules/leaflet/package.json').version") vendored into $vendor"
