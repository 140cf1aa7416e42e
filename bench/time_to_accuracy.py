"""Question: how long from typing the command to a network that scores 0.90, then 0.91, on the
Fashion-MNIST test split?

    .venv/bin/python -m bench.time_to_accuracy [--quick] [--json] [--rounds N] [--preset P]
                                                [--device D] [--targets 0.90,0.91]

Each round is the real ``python -m lenet_core train --preset best`` in a fresh process with a
scratch run store, timed from the moment the process is started (Python, torch and the data
loading count: it is what a person waits for). A run evaluates the test split after every epoch;
the figure for a target is the time of the first evaluation at or above it, taken from the run's
own records (when it was claimed + the evaluation's elapsed time), so polling adds nothing. Once
every target is reached the run is stopped: the rest of its epochs would not change the figure.
The table gives the median of the rounds, each round's figures and the epoch that got there.
``--quick`` is a smoke run (mnist-5k, 1 epoch, no augmentation or test-time mirror: digits, lower
targets).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Report, at_least, emit, fmt, load_average, log, median, parser, scratch_home
from lenet_core import runs
from lenet_core.training.config import PRESETS

POLL_S = 0.5  # how often the store is read to see whether every target is reached


def targets_type(text: str) -> list[float]:
    """--targets 0.90,0.91 → [0.9, 0.91]; each a test accuracy between 0 and 1."""
    import argparse
    try:
        values = sorted(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not values or any(not 0 < v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each target must be between 0 and 1, e.g. 0.90,0.91")
    return values


def reached(store: runs.RunStore, run_id: str, targets: list[float],
            launched: float) -> dict[float, tuple[float, int]]:
    """Each target's (seconds since the process was launched, epoch) of the first evaluation at or
    above it, from the run's records."""
    run = store.get(run_id)
    rows = store.metrics(run_id)
    if run.started is None or rows.empty:
        return {}
    evals = rows[rows["name"] == "test_acc"].sort_values("step")
    found: dict[float, tuple[float, int]] = {}
    for target in targets:
        hits = evals[evals["value"] >= target]
        if not hits.empty:
            first = hits.iloc[0]
            found[target] = (run.started + float(first["wall_time"]) - launched, int(first["epoch"]))
    return found


def one_round(home: Path, preset: str, device: str, targets: list[float], extra: list[str]) -> dict:
    """One fresh ``train`` process, stopped once every target is reached (or at its end)."""
    command = [sys.executable, "-m", "lenet_core", "train", "--preset", preset, "--device", device,
               "--name", "time to accuracy", *extra]
    store = runs.store_for(home)
    before = {run.id for run in store.list()}
    launched = time.time()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "LENET_LAB_HOME": str(home)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    run_id, found = None, {}
    while process.poll() is None:
        time.sleep(POLL_S)
        if run_id is None:
            new = [run.id for run in store.list() if run.id not in before]
            run_id = new[0] if new else None
        if run_id is not None:
            found = reached(store, run_id, targets, launched)
            if len(found) == len(targets):
                process.send_signal(signal.SIGTERM)  # the run stops between batches and says so
                break
    _, stderr = process.communicate(timeout=600)
    if run_id is None:
        raise SystemExit(f"error: the train command recorded no run: {stderr.strip()[-400:]}")
    found = reached(store, run_id, targets, launched)
    run = store.get(run_id)
    if run.status not in ("completed", "stopped"):
        raise SystemExit(f"error: run {run_id} {run.status}: {run.error or stderr.strip()[-400:]}")
    return {"run_id": run_id, "status": run.status, "device": run.summary.get("device"),
            "reached": {f"{t:.2f}": {"seconds": s, "epoch": e} for t, (s, e) in found.items()},
            "best_test_acc": run.summary.get("best_test_acc"), "epochs": run.summary.get("epochs")}


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--rounds", type=at_least(1), default=3, help="fresh processes (default: 3)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="best", help="default: best")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda ...")
    p.add_argument("--targets", type=targets_type, default=[0.90, 0.91],
                   help="test accuracies to time (default: 0.90,0.91)")
    args = p.parse_args(argv)
    extra, targets, rounds = [], args.targets, args.rounds
    if args.quick:  # seconds: the offline digits, one epoch of 1,000 images (digits: not mirrored)
        extra = ["--dataset", "mnist-5k", "--epochs", "1", "--train-subset", "1000",
                 "--augment", "none", "--no-test-mirror"]
        targets, rounds = [0.5, 0.6], 1
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        home = scratch_home(Path(tmp))
        for round_ in range(rounds):
            log(f"round {round_ + 1}/{rounds}: train --preset {args.preset} ...")
            results.append(one_round(home, args.preset, args.device, targets, extra))
    device = results[0]["device"]
    report = Report(f"Time to accuracy: `train --preset {args.preset}` from process start",
                    f"{device}; {rounds} fresh process(es), medians; load {fmt(load_average(), '.2f')} "
                    f"at the end" + ("; --quick: mnist-5k, 1 epoch of 1,000 images" if args.quick else ""))
    figures = {}
    for target in targets:
        key = f"{target:.2f}"
        times = [r["reached"][key]["seconds"] for r in results if key in r["reached"]]
        epochs = [r["reached"][key]["epoch"] for r in results if key in r["reached"]]
        seconds = median(times) if len(times) == len(results) else None
        figures[key] = {"median_seconds": seconds, "seconds": times, "epochs": epochs,
                        "rounds_reaching": len(times)}
        each = ", ".join(f"{s:.0f} s (epoch {e})" for s, e in zip(times, epochs))
        missed = len(results) - len(times)
        report.row(f"test accuracy ≥ {target:.2f}", fmt(seconds, ".0f", " s"),
                   each + (f"; {missed} round(s) never reached it" if missed else ""))
    report.figures = {"preset": args.preset, "device": device, "rounds": results, "targets": figures}
    emit(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
