#!/usr/bin/env bash
# Set up if needed, then run the main job on the embedded default store
# (./sentinelle.duckdb) with the real data in ../shared/data; outputs go to ./out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/sentinelle demo --data "${SENTINELLE_DATA:-../shared/data}" --out out "$@"
