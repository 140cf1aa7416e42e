"""Question: how fast does a 4-trial sweep go through the local queue, and through Ray Tune?

    .venv/bin/python -m bench.sweep_throughput [--quick] [--json] [--rounds N] [--no-ray]

The same 4-trial sweep (lenet-modern on mnist-5k, lr × batch size, each trial a real run in a
scratch run store) through: the local queue with one CPU slot (the default), the local queue
with two slots (LENET_LAB_SLOTS=2), and Ray Tune with ``ray.init(num_cpus=2)`` (one CPU a trial,
so two at once). Each is the real ``python -m lenet_core sweep`` command, timed from start to exit;
the backends take turns (A B C A B C ...) and the table gives medians and trials a minute. Every
trial runs on one thread (OMP_NUM_THREADS=1), as two trainers on two cores should.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Report, at_least, emit, fmt, load_average, log, median, parser, scratch_home
from lenet_core.runs import sweeps

SETTINGS = ["--dataset", "mnist-5k", "--arch", "lenet-modern", "--optimizer", "sgd-momentum",
            "--init", "default", "--epochs", "2"]
GRID = ["--grid", "lr=0.03,0.1", "--grid", "batch_size=64,128"]
BACKENDS = {"local, 1 slot": ([], {"LENET_LAB_SLOTS": "1"}),
            "local, 2 slots": ([], {"LENET_LAB_SLOTS": "2"}),
            "ray, num_cpus=2": (["--backend", "ray", "--cpus", "2"], {})}


def one_sweep(home: Path, extra: list[str], env: dict[str, str], subset: int) -> float:
    """Seconds from start to exit of one 4-trial sweep command (a failure is an error)."""
    command = [sys.executable, "-m", "lenet_core", "sweep", *SETTINGS, "--train-subset", str(subset),
               *GRID, *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1", **env})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        which = " ".join(extra) or "local"
        raise SystemExit(f"error: the sweep failed ({which}): {done.stderr.strip()[-400:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--rounds", type=at_least(1), default=2, help="sweeps per backend (default: 2)")
    p.add_argument("--no-ray", action="store_true", help="the local queue only")
    args = p.parse_args(argv)
    subset = 500 if args.quick else 4000
    rounds = 1 if args.quick else args.rounds
    no_ray = args.no_ray or bool(sweeps.ray_missing())
    chosen = {k: v for k, v in BACKENDS.items() if not (k.startswith("ray") and no_ray)}
    times: dict[str, list[float]] = {name: [] for name in chosen}
    with tempfile.TemporaryDirectory() as tmp:
        home = scratch_home(Path(tmp))
        for round_ in range(rounds):
            for name, (extra, env) in chosen.items():
                log(f"round {round_ + 1}/{rounds}: {name} ...")
                times[name].append(one_sweep(home, extra, env, subset))
    report = Report("Sweep throughput: 4 trials (lr × batch size, 2 epochs each)",
                    f"mnist-5k, {subset:,} training images a trial; {rounds} round(s), medians; load "
                    f"{fmt(load_average(), '.2f')} at the end")
    base = median(times["local, 1 slot"])
    figures = {}
    for name, values in times.items():
        seconds = median(values)
        key = name.replace(", ", "_").replace(" ", "_").replace("=", "")
        figures[key] = {"seconds": seconds, "trials_per_minute": 4 * 60 / seconds, "runs": values}
        report.row(f"{name}: wall time", f"{seconds:.1f} s", f"{4 * 60 / seconds:.1f} trials/min; "
                   f"{base / seconds:.2f}× the default queue")
    if sweeps.ray_missing() and not args.no_ray:
        report.row("ray", "not measured", sweeps.INSTALL_RAY)
    report.figures = {"train_subset": subset, "rounds": rounds, "backends": figures}
    emit(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
