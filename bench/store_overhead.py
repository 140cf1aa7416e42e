"""Question: what do the run store's writes, and a page reading it once a second, cost a run?

    .venv/bin/python -m bench.store_overhead [--quick] [--json] [--dataset NAME] [--rounds N]

Our engine trains as the Training page runs it (a run in a real SQLite store), interleaved with
the same run while a second process does what the page does meanwhile: every second it reads the
run and its metrics and builds the curves chart; every two seconds the runs table. Reported: the
share of the training passes spent in store writes (each write timed), and how much slower the
run is while a page reads (the difference of the interleaved medians). Targets: writes under 2 %
of an epoch, the reading page under 5 %.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
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
from bench.engine_speed import Samples, Settings, engine_run
from lenet_core import data, runs
from lenet_core.training.engine import use_all_cores

TARGETS = {"store_write_share": 0.02, "live_read_slowdown": 0.05}


class TimedStoreRecorder(runs.StoreRecorder):
    """The engine's store writer with a stopwatch on each write, split into the writes made
    during the training passes and the rest (the epoch's test metrics, start, finish)."""

    def __init__(self, store: runs.RunStore, run_id: str):
        super().__init__(store, run_id)
        self.in_pass_s, self.in_pass_writes, self.other_s = 0.0, 0, 0.0
        self.write_times: list[float] = []

    def _timed(self, write: Callable[[], None], in_pass: bool) -> None:
        before = self.last_write
        start = time.perf_counter()
        write()
        seconds = time.perf_counter() - start
        if in_pass:
            self.in_pass_s += seconds
            if self.last_write != before:  # progress() writes at most once a second
                self.in_pass_writes += 1
                self.write_times.append(seconds)
        else:
            self.other_s += seconds

    def start(self, info):
        self._timed(lambda: super(TimedStoreRecorder, self).start(info), False)

    def progress(self, progress):
        self._timed(lambda: super(TimedStoreRecorder, self).progress(progress), True)

    def metrics(self, step, epoch, values, wall_time):
        in_pass = "test_acc" not in values
        self._timed(lambda: super(TimedStoreRecorder, self).metrics(step, epoch, values, wall_time),
                    in_pass)

    def finish(self, outcome):
        self._timed(lambda: super(TimedStoreRecorder, self).finish(outcome), False)


def timed_run(name: str, home: Path, settings: Settings, seed: int, label: str) -> dict[str, Any]:
    result = engine_run(name, home, settings, seed, label, writer=TimedStoreRecorder)
    writer = result.pop("recorder")
    result.pop("inside")
    result.update(store_s=writer.in_pass_s, store_writes=writer.in_pass_writes,
                  store_write_ms=[t * 1e3 for t in writer.write_times],
                  store_share=writer.in_pass_s / result["seconds"] if result["seconds"] else None)
    return result


# ---- the page reading the store while a run trains ----------------------------------------------

READER = "import sys; from pathlib import Path; from bench.store_overhead import live_reader; " \
         "live_reader(Path(sys.argv[1]))"


def live_reader(home: Path, interval: float = 1.0) -> None:
    """What the Training page does while a run trains: every second its live panel reads the
    run and its metrics and builds the curves chart (the cached spec and its rows); every two
    seconds the runs table re-reads the list. Runs until SIGTERM, then prints one JSON line:
    the number of ticks and their median ms."""
    import pandas as pd

    from lenet_core.present.charts import curves
    from lenet_core.runs import report

    store = runs.store_for(home)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # One chart first: the first build loads altair's schema (a second or so), which the page
    # server has long done before a run starts.
    sample = pd.DataFrame({"run_id": ["x"], "step": [1], "epoch": [0.2], "name": ["train_loss"],
                           "value": [2.3], "wall_time": [0.0]})
    curves.training_curves_spec(sample, epochs=1)
    report.runs_table(store.list())
    times: list[float] = []
    print("ready", flush=True)
    tick = 0
    while not stop.wait(interval):
        start = time.perf_counter()
        all_runs = runs.reap(store)
        if tick % 2 == 0:
            report.runs_table(all_runs)
        for run in (r for r in all_runs if r.active):
            metrics = store.metrics(run.id)
            report.progress_view(run)
            if not metrics.empty:
                report.latest_test_acc(metrics)
                spec, rows = curves.training_curves_spec(metrics, epochs=run.config.epochs)
                rows.to_json()  # what Streamlit then serialises: the rows (as Arrow)
        times.append(time.perf_counter() - start)
        tick += 1
    print(json.dumps({"reads": len(times), "median_ms": (median(times) or 0.0) * 1e3}), flush=True)


class LiveReader:
    """A reader process, started (and ready) before a run and stopped after it."""

    def __init__(self, home: Path):
        self.process = subprocess.Popen([sys.executable, "-c", READER, str(home)], cwd=ROOT,
                                        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.process.stdout.readline()  # "ready": its imports are done before the run starts

    def stop(self) -> dict[str, Any]:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=60)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {"reads": 0, "median_ms": None}


def with_reader(name: str, home: Path, settings: Settings, seed: int) -> dict[str, Any]:
    reader = LiveReader(home)
    try:
        result = timed_run(name, home, settings, seed, "engine+live")
    finally:
        reads = reader.stop()
    result.update(page_reads=reads["reads"], page_read_ms=reads["median_ms"])
    return result


def run_bench(settings: Settings) -> dict[str, Any]:
    use_all_cores()
    name = pick_dataset(settings.dataset, settings.quick)
    require(name)
    work = Path(tempfile.mkdtemp(prefix="lenet-bench-store-"))
    home = scratch_home(work)
    samples, load_before = Samples(), load_average()
    variants = {"engine": lambda seed: timed_run(name, home, settings, seed, "engine"),
                "engine_live": lambda seed: with_reader(name, home, settings, seed)}
    try:
        log(f"store overhead: {name}, {settings.rounds} rounds of {settings.epochs} epoch(s)")
        for round_ in range(settings.warmup + settings.rounds):
            for variant, run in variants.items():
                result = run(settings.seed + round_)
                samples.add(f"warmup_{variant}" if round_ < settings.warmup else variant, result)
                log(f"  round {round_ + 1} {variant:<12} {result['examples_per_sec']:>9,.0f} ex/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    b, live = samples.median("engine"), samples.median("engine_live")
    store_ms = [ms for r in samples.rounds.get("engine", []) for ms in r["store_write_ms"]]
    return {
        "dataset": name, "settings": asdict(settings),
        "engine_examples_per_sec": b, "engine_live_examples_per_sec": live,
        "store_write_share": samples.median("engine", "store_share"),
        "store_writes_per_epoch": (samples.median("engine", "store_writes") or 0) / settings.epochs,
        "store_write_ms_median": median(store_ms),
        # a run shorter than the reader's first tick measures nothing
        "live_read_slowdown": 1 - live / b if live and b and samples.median("engine_live", "page_reads")
        else None,
        "page_reads": samples.median("engine_live", "page_reads"),
        "page_read_ms_median": samples.median("engine_live", "page_read_ms"),
        "load_average": [load_before, load_average()], "targets": TARGETS,
    }


def report(r: dict[str, Any]) -> Report:
    t, s = TARGETS, r["settings"]
    out = Report("Store overhead: the run store's writes, and a page reading it once a second",
                 f"{r['dataset']}, lenet-classic, batch {s['batch_size']}, {s['epochs']} epoch(s) a run, "
                 f"{s['rounds']} interleaved rounds, medians; load average "
                 f"{fmt(r['load_average'][0], '.1f')} before, {fmt(r['load_average'][1], '.1f')} after",
                 figures=r)
    share = None if r["store_write_share"] is None else r["store_write_share"] * 100
    slowdown = None if r["live_read_slowdown"] is None else r["live_read_slowdown"] * 100
    out.row("our engine alone (examples/s)", fmt(r["engine_examples_per_sec"], ",.0f"))
    writes = (f"{fmt(r['store_writes_per_epoch'], '.0f')} writes of "
              f"{fmt(r['store_write_ms_median'], '.1f')} ms")
    out.row("store writes, share of epoch time", f"{fmt(share, '.2f', ' %')} ({writes})",
            verdict(r["store_write_share"], t["store_write_share"], f"< {t['store_write_share']:.0%}"))
    out.row("while a page reads the store (examples/s)", fmt(r["engine_live_examples_per_sec"], ",.0f"))
    out.row("slowdown from the reading page", f"{fmt(slowdown, '.1f', ' %')} "
            f"({fmt(r['page_read_ms_median'], '.0f')} ms a read, {fmt(r['page_reads'], '.0f')} reads)",
            verdict(r["live_read_slowdown"], t["live_read_slowdown"], f"< {t['live_read_slowdown']:.0%}"))
    if s.get("quick"):
        out.heading += ("\n--quick is a smoke run: its epochs last a fraction of a second, too short "
                        "for these shares to mean much.")
    return out


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--dataset", choices=list(data.DATASETS))
    p.add_argument("--rounds", type=at_least(1), help="interleaved rounds (default 3; --quick 1)")
    p.add_argument("--epochs", type=at_least(1), help="epochs a run (default 1)")
    p.add_argument("--train-subset", type=at_least(0), metavar="N")
    args = p.parse_args(argv)
    base = Settings(rounds=1, warmup=0, quick=True) if args.quick else Settings(rounds=3, warmup=0)
    given = {k: v for k, v in dict(dataset=args.dataset, rounds=args.rounds, epochs=args.epochs,
                                    train_subset=args.train_subset).items() if v is not None}
    emit(report(run_bench(Settings(**{**asdict(base), **given}))), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
