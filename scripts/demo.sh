#!/usr/bin/env bash
# Set up, build demo data, score it and bring up the UI on embedded defaults (SQLite, DuckDB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/tradeguard demo "$@"
