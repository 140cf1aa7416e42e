#!/usr/bin/env bash
# Install LeNet Lab into a project-local virtualenv (.venv), idempotently.
#   bash scripts/setup.sh          what the dashboard needs
#   bash scripts/setup.sh --cluster  plus Ray Tune, for sweeps with --backend ray (an optional extra)
#   bash scripts/setup.sh --dev    plus the test tools, Ray Tune and the browser for real-browser tests
# System packages (Debian): installed when apt-get is there and we are root; otherwise we say how
# to get them and carry on. A second run skips everything already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
cluster=0
[ "${1:-}" = "--dev" ] && dev=1 && cluster=1
[ "${1:-}" = "--cluster" ] && cluster=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- system packages ------------------------------------------------------------------------
apt_packages=(dataset-fashion-mnist)
[ "$dev" = 1 ] && apt_packages+=(chromium chromium-driver)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing system packages: ${missing[*]}"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/tmp/lenet-lab-apt.log 2>&1; then
      say "apt-get could not install ${missing[*]} (see /tmp/lenet-lab-apt.log); carrying on without them"
    fi
  else
    say "optional system packages missing: ${missing[*]}"
    say "  on Debian/Ubuntu: sudo apt-get install -y ${missing[*]}"
    say "  (dataset-fashion-mnist gives offline Fashion-MNIST; chromium runs the real-browser tests)"
  fi
fi

# --- Python ---------------------------------------------------------------------------------
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "LeNet Lab needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1 || echo missing)."
  say "Set PYTHON=/path/to/python3.11 and run this again."
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$python" -m venv .venv
fi

reqs=(-r requirements.txt)
[ "$dev" = 1 ] && reqs+=(-r requirements-dev.txt)
[ "$cluster" = 1 ] && reqs+=(-r requirements-cluster.txt)
stamp=".venv/.setup-stamp-$dev$cluster"
want=$(cat requirements.txt $([ "$dev" = 1 ] && echo requirements-dev.txt) \
  $([ "$cluster" = 1 ] && echo requirements-cluster.txt) pyproject.toml | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "Python packages already installed (.venv)"
else
  say "installing Python packages into .venv (the first time takes a few minutes)"
  .venv/bin/python -m pip install -q --disable-pip-version-check "${reqs[@]}" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  .venv/bin/python -c 'import torch, torchvision, streamlit, altair, pandas' \
    || { say "the Python packages did not install; see the messages above"; exit 1; }
  # The project itself, editable: lenet_core imports from anywhere and `lenet-lab` is on the venv's
  # PATH. Its dependencies came from the requirements above; setuptools is already in the venv.
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . \
    2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
  .venv/bin/python -c 'import lenet_core.cli' \
    || { say "LeNet Lab itself did not install into .venv; see the messages above"; exit 1; }
  echo "$want" > "$stamp"
fi
