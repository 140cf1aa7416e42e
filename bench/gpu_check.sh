#!/usr/bin/env bash
# One-shot GPU check, for a machine with a CUDA GPU and this repository's .venv:
#   bash bench/gpu_check.sh
# 1. the CUDA tests; 2. the tutorial preset trained on the GPU (against the tutorial's loss 0.469,
# train 0.823, test 0.779); 3. the A/B/C throughput bench (bench.engine_speed) on CUDA; 4. the time
# from process start to 0.90 and 0.91 test accuracy with the best preset (bench.time_to_accuracy). Writes one
# JSON object to $OUT/gpu-check.json (or ./gpu-check.json), in under 8 minutes in all (each step
# has its own time limit; a step that fails or runs out of time is recorded, and the rest go on).
# Without a CUDA GPU it runs every step on the CPU, shortened (1 epoch of 6,000 images; a quick
# bench), to prove the script works, and says so in the JSON ("device": "cpu", "note").
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
[ -x "$py" ] || { echo "error: no .venv here: run bash scripts/setup.sh --dev first" >&2; exit 2; }
out_dir=${OUT:-.}
mkdir -p "$out_dir"
out="$out_dir/gpu-check.json"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LENET_LAB_HOME=${LENET_LAB_HOME:-$work/lab}
started=$(date +%s)

say() { printf '\033[1m[gpu-check]\033[0m %s\n' "$*" >&2; }
run_step() {  # name, time limit (s), command...: stdout to $work/<name>.out, stderr to .err
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
  say "$name (at most ${limit}s): $*"
  timeout "$limit" "$@" >"$work/$name.out" 2>"$work/$name.err"
  echo "$? $(( $(date +%s) - t0 ))" >"$work/$name.rc"
}

if "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  device=cuda
  run_step tests 120 "$py" -m pytest -q -p no:cacheprovider tests/test_train.py -k cuda -rA
  run_step tutorial 120 "$py" -m lenet_core train --preset tutorial --device cuda --json
  run_step bench 120 "$py" -m bench.engine_speed --device cuda --json
  run_step time_to_accuracy 120 "$py" -m bench.time_to_accuracy --device cuda --json
else
  device=cpu
  say "no CUDA GPU here: every step runs on the CPU, shortened, to prove the script runs"
  run_step tests 120 "$py" -m pytest -q -p no:cacheprovider tests/test_train.py -k cuda -rA
  run_step tutorial 120 "$py" -m lenet_core train --preset tutorial --device cpu --epochs 1 \
    --train-subset 6000 --json
  run_step bench 120 "$py" -m bench.engine_speed --device cpu --quick --json
  run_step time_to_accuracy 120 "$py" -m bench.time_to_accuracy --device cpu --quick --json
fi

"$py" - "$work" "$out" "$device" "$started" <<'EOF'
import json, platform, re, sys, time
from pathlib import Path

import torch

work, out, device, started = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
TUTORIAL = {"train_loss": 0.469, "train_acc": 0.823, "test_acc": 0.779}  # d2l's printed figures


def step(name):
    code, seconds = (work / f"{name}.rc").read_text().split()
    text = (work / f"{name}.out").read_text()
    err = (work / f"{name}.err").read_text().strip().splitlines()
    result = {"exit_status": int(code), "seconds": int(seconds), "timed_out": code in ("124", "137")}
    if int(code) != 0:
        result["error"] = (err or text.strip().splitlines() or ["(no output)"])[-1]
    return result, text


def last_json(text):
    lines = [line for line in text.strip().splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


tests, text = step("tests")
found = re.search(r"(\d+) passed", text)
skipped = re.search(r"(\d+) skipped", text)
tests.update(passed=int(found.group(1)) if found else 0, skipped=int(skipped.group(1)) if skipped else 0,
             summary=(text.strip().splitlines() or [""])[-1])
tutorial, text = step("tutorial")
run = last_json(text)
if run:
    tutorial["run"] = run
    tutorial["vs_tutorial"] = {k: {"ours": run.get(k), "tutorial": v} for k, v in TUTORIAL.items()}
bench, text = step("bench")
report = last_json(text)
if report:
    bench["report"] = report
    a, b = report.get("tutorial_examples_per_sec"), report.get("engine_examples_per_sec")
    bench["b_over_a"] = b / a if a and b else None
    bench["goal_b_over_a"] = 10.0
timing, text = step("time_to_accuracy")
report = last_json(text)
if report:
    timing["targets"] = report.get("targets")
    timing["rounds"] = report.get("rounds")
gpu = torch.cuda.get_device_name(0) if device == "cuda" else None
result = {"device": device, "gpu": gpu, "torch": torch.__version__, "python": platform.python_version(),
          "host": platform.node(), "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          "seconds": round(time.time() - started), "tests": tests, "tutorial": tutorial, "bench": bench,
          "time_to_accuracy": timing}
if device == "cpu":
    result["note"] = ("no CUDA GPU was present: each step ran on the CPU, shortened (the tutorial preset 1 "
                      "epoch of 6,000 images, bench.engine_speed --quick, bench.time_to_accuracy --quick), "
                      "to prove the script runs; its "
                      "figures are not the GPU's")
out.write_text(json.dumps(result, indent=2) + "\n")
print(f"[gpu-check] wrote {out} ({result['seconds']} s, on {gpu or 'the CPU'})", file=sys.stderr)
EOF
