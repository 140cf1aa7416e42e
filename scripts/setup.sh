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

# --- JavaScript: the 3D view's three.js (and, for the tests and the benchmark, onnxruntime-web) --
# From the npm registry, at the versions in pages/components/net3d/package-lock.json; never from a
# CDN at run time. Without npm the dashboard still runs; the pages that need the 3D view say how
# to add it.
js_dir=pages/components/net3d
if ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing Node.js and npm (system packages) for the 3D view"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } \
      >/tmp/lenet-lab-apt-node.log 2>&1 \
      || say "apt-get could not install nodejs npm (see /tmp/lenet-lab-apt-node.log)"
  fi
fi
if command -v npm >/dev/null 2>&1; then
  js_stamp="$js_dir/node_modules/.setup-stamp-$dev"
  js_want=$(sha256sum "$js_dir/package-lock.json" | cut -c1-16)
  # What --dev installed is a superset: a plain setup (start.sh) keeps it rather than removing
  # the development packages that the tests, started from it, still use.
  js_dev_stamp="$js_dir/node_modules/.setup-stamp-1"
  if [ -f "$js_dev_stamp" ] && [ "$(cat "$js_dev_stamp")" = "$js_want" ]; then
    say "JavaScript packages already installed ($js_dir/node_modules, with the development ones)"
  elif [ -f "$js_stamp" ] && [ "$(cat "$js_stamp")" = "$js_want" ]; then
    say "JavaScript packages already installed ($js_dir/node_modules)"
  else
    say "installing JavaScript packages into $js_dir/node_modules (npm ci)"
    omit=(--omit=dev)
    [ "$dev" = 1 ] && omit=()
    if (cd "$js_dir" && npm ci --no-audit --no-fund --ignore-scripts "${omit[@]}" >/tmp/lenet-lab-npm.log 2>&1); then
      echo "$js_want" > "$js_stamp"
    else
      say "npm could not install the 3D view's packages (see /tmp/lenet-lab-npm.log); the 3D page will say how"
    fi
  fi
else
  say "npm is missing: the Network in 3D page needs it once for three.js"
  say "  on Debian/Ubuntu: sudo apt-get install -y nodejs npm, then run this script again"
fi
