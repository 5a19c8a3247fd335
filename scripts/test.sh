#!/usr/bin/env bash
# The whole test suite: lint (ruff), types (mypy strict on the package) and pytest.
# Storage tests also run against PostgreSQL at TRADEGUARD_TEST_PG (default: the local server);
# under CI=true they fail rather than skip when that server does not answer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TRADEGUARD_TEST_PG=${TRADEGUARD_TEST_PG:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== mypy"; .venv/bin/mypy
# Spark tests run in a process of their own: starting the JVM gateway forks, and a fork after
# LightGBM's OpenMP and Polars' thread pools have started is not safe.
echo "== pytest"; .venv/bin/pytest -q -m "not spark" --durations=15 "$@"
echo "== pytest (Spark, local mode)"; .venv/bin/pytest -q -m spark "$@"
