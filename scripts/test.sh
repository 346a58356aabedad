#!/usr/bin/env bash
# Set up if needed, then run the whole test suite with coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest --cov=sentinelle --cov-report=term-missing:skip-covered "$@"
