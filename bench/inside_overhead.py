"""Question: what does looking inside the network cost a run?

    .venv/bin/python -m bench.inside_overhead [--quick] [--json] [--dataset NAME] [--rounds N]

Our engine trains as the worker runs it (a run in a real SQLite store, the store's writer and the
inside recorder, :mod:`lenet_core.training.inside`), on lenet-classic and on lenet-modern, with a
stopwatch on every call of the inside recorder: the figures five times an epoch (gradient and
weight norms, a forward pass of the batch for the activation figures, the step's update ratios),
the histograms once an epoch, and their writes to the store. Reported: that time as a share of the
training passes, measured within each run (two runs side by side would differ by more than the
share itself on this shared machine). Target: under 3 % of an epoch.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench.common import (
    Report,
    at_least,
    emit,
    fmt,
    load_average,
    log,
    median,
    parser,
    pick_dataset,
    require,
    scratch_home,
    verdict,
)
from bench.engine_speed import Settings, engine_run
from lenet_core import data
from lenet_core.training.engine import use_all_cores
from lenet_core.training.inside import InsideRecorder

TARGET = 0.03
ARCHES = ("lenet-classic", "lenet-modern")


class TimedInside(InsideRecorder):
    """The inside recorder with a stopwatch on each of its calls."""

    def __init__(self, sink):
        super().__init__(sink)
        self.seconds, self.calls = 0.0, 0

    def inside(self, point):
        start = time.perf_counter()
        super().inside(point)
        self.seconds += time.perf_counter() - start
        self.calls += 1

    def metrics(self, step, epoch, values, wall_time):
        start = time.perf_counter()
        super().metrics(step, epoch, values, wall_time)
        self.seconds += time.perf_counter() - start


def measured(name: str, home: Path, settings: Settings, arch: str, seed: int) -> dict[str, Any]:
    result = engine_run(name, home, replace(settings, arch=arch), seed, f"inside {arch}", inside=TimedInside)
    looked = result.pop("inside")
    result.pop("recorder")
    return {"seconds": result["seconds"], "inside_s": looked.seconds, "points": looked.calls,
            "share": looked.seconds / result["seconds"] if result["seconds"] else None}


def run_bench(settings: Settings) -> dict[str, Any]:
    use_all_cores()
    name = pick_dataset(settings.dataset, settings.quick)
    require(name)
    work = Path(tempfile.mkdtemp(prefix="lenet-bench-inside-"))
    home = scratch_home(work)
    load_before = load_average()
    rounds: dict[str, list[dict[str, Any]]] = {arch: [] for arch in ARCHES}
    try:
        log(f"inside overhead: {name}, {settings.rounds} rounds of {settings.epochs} epoch(s)")
        for round_ in range(settings.rounds):
            for arch in ARCHES:
                found = measured(name, home, settings, arch, settings.seed + round_)
                rounds[arch].append(found)
                log(f"  round {round_ + 1} {arch:<14} {found['share'] * 100:5.2f} % of "
                    f"{found['seconds']:.1f} s ({found['points']} points)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    shares = {arch: median([r["share"] for r in found]) for arch, found in rounds.items()}
    return {"dataset": name, "settings": asdict(settings), "share": shares,
            "worst_share": max(v for v in shares.values() if v is not None),
            "points_per_run": median([r["points"] for found in rounds.values() for r in found]),
            "load_average": [load_before, load_average()], "target": TARGET}


def report(r: dict[str, Any]) -> Report:
    s = r["settings"]
    out = Report("Inside overhead: the figures, histograms and their writes, as a share of training",
                 f"{r['dataset']}, batch {s['batch_size']}, {s['epochs']} epoch(s) a run, {s['rounds']} "
                 f"rounds, medians; load average {fmt(r['load_average'][0], '.1f')} before, "
                 f"{fmt(r['load_average'][1], '.1f')} after", figures=r)
    for arch, share in r["share"].items():
        percent = None if share is None else share * 100
        out.row(f"{arch}: share of the training passes", fmt(percent, ".2f", " %"),
                verdict(share, TARGET, f"< {TARGET:.0%}"))
    out.row("reporting points a run", fmt(r["points_per_run"], ".0f"))
    if s.get("quick"):
        out.heading += "\n--quick is a smoke run: too few batches for the share to mean much."
    return out


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--dataset", choices=list(data.DATASETS))
    p.add_argument("--rounds", type=at_least(1), help="rounds (default 3; --quick 1)")
    p.add_argument("--epochs", type=at_least(1), help="epochs a run (default 1)")
    p.add_argument("--train-subset", type=at_least(0), metavar="N")
    args = p.parse_args(argv)
    base = Settings(rounds=1, warmup=0, quick=True, train_subset=1024) if args.quick else Settings(rounds=3)
    given = {k: v for k, v in dict(dataset=args.dataset, rounds=args.rounds, epochs=args.epochs,
                                    train_subset=args.train_subset).items() if v is not None}
    emit(report(run_bench(Settings(**{**asdict(base), **given}))), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
