#!/usr/bin/env bash
# Install what is missing, then start the LeNet Lab dashboard on http://localhost:8501.
# Extra arguments go to `streamlit run` (e.g. --server.port 8600), through ui/serve.py.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "LeNet Lab: open http://localhost:${LENET_LAB_PORT:-8501} (home folder: ${LENET_LAB_HOME:-./lab})"
exec .venv/bin/python -m ui.serve --server.port "${LENET_LAB_PORT:-8501}" "$@"
