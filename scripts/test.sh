#!/usr/bin/env bash
# Install what is missing (test tools and Chromium too), then lint and run the whole test suite.
# Extra arguments go to pytest (e.g. -k shapes). With CI=true the real-browser tests must run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
echo "[test] ruff check"
.venv/bin/ruff check .
echo "[test] pytest"
exec .venv/bin/python -m pytest "$@"
