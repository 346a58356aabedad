#!/usr/bin/env bash
# Create ./.venv with Sentinelle and its dev tools (idempotent; fast when up to date).
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
[ -x .venv/bin/python ] || uv venv --quiet --python python3.11 .venv
uv pip install --quiet --python .venv/bin/python -e ".[dev,spark]"
# The dashboard's Leaflet, from the npm registry (a no-op when already vendored).
bash scripts/build_web.sh
