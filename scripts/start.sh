#!/usr/bin/env bash
# Install what is missing, then start the LeNet Lab dashboard on http://localhost:8501.
# Extra arguments go to `streamlit run app.py` (the README says how to listen beyond localhost);
# the port is LENET_LAB_PORT (default 8501).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "LeNet Lab: open http://localhost:${LENET_LAB_PORT:-8501} (home folder: ${LENET_LAB_HOME:-./lab})"
exec .venv/bin/streamlit run app.py --server.port "${LENET_LAB_PORT:-8501}" "$@"
