"""Question: does the run store stay fast under load? With 200 runs and 200,000 metric rows, do
the runs table and an overlay of five runs render in under 1 s, and do metric reads use the index?

    .venv/bin/python -m bench.store_load [--quick] [--json] [--runs 200] [--rows 200000] [--repeats 5]

Builds the store in a temporary LENET_LAB_HOME (yours is left alone): every run completed, its
metrics in the shape the engine writes (train_loss/train_acc/lr at each reporting point, test
metrics at epoch ends). Then times, with medians over ``--repeats``: ``RunStore.list()`` plus the
runs table the page shows; ``RunStore.metrics()`` for 5 runs; the overlay chart for those 5 built
and serialised to Vega-Lite JSON (what Streamlit sends the browser). Prints EXPLAIN QUERY PLAN for
the metric read. The target: each step, and all three together, well under 1 s.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import tempfile
import time

from bench.common import Report, at_least, emit, parser, verdict
from lenet_core import runs
from lenet_core.present.charts import curves
from lenet_core.runs import report
from lenet_core.training.config import TrainConfig

EPOCH_NAMES = ("test_loss", "test_acc", "examples_per_sec")
STEP_NAMES = ("train_loss", "train_acc", "lr")


def fill(store: runs.RunStore, n_runs: int, n_rows: int) -> list[str]:
    """``n_runs`` completed runs holding ``n_rows`` metric rows in all, written straight to SQLite
    in one transaction (the engine's own writes are one reporting point at a time: too slow here)."""
    config = TrainConfig(dataset="mnist-5k", arch="lenet5", epochs=10).to_json()
    per_run = n_rows // n_runs
    now = time.time() - 86_400
    ids, run_rows, metric_rows = [], [], []
    for i in range(n_runs):
        run_id = f"20261128-{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}-{i % 65536:04x}"
        ids.append(run_id)
        summary = json.dumps({"test_acc": 0.9, "best_test_acc": 0.9, "train_loss": 0.3, "seconds": 60.0})
        run_rows.append((run_id, f"run {i}", now + i, config, "completed", now + i, now + i + 60, summary,
                         json.dumps({"epoch": 10, "epochs": 10})))
        rows = []
        step = 0
        while len(rows) < per_run:
            step += 1
            epoch = step / 5
            rows += [(run_id, step, epoch, name, 0.5, step * 0.1) for name in STEP_NAMES]
            if step % 5 == 0:
                rows += [(run_id, step, epoch, name, 0.5, step * 0.1) for name in EPOCH_NAMES]
        metric_rows += rows[:per_run]
    with sqlite3.connect(store.path) as conn:
        conn.executemany("INSERT INTO runs (id, name, created, config, status, started, finished, "
                         "summary, progress) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", run_rows)
        conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", metric_rows)
    return ids


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--runs", type=at_least(5), help="runs in the store (default 200; --quick 20)")
    p.add_argument("--rows", type=at_least(100), help="metric rows in all (default 200,000; --quick 20,000)")
    p.add_argument("--repeats", type=at_least(1), default=5)
    args = p.parse_args(argv)
    n_runs = args.runs or (20 if args.quick else 200)
    n_rows = args.rows or (20_000 if args.quick else 200_000)
    with tempfile.TemporaryDirectory() as home:
        os.environ["LENET_LAB_HOME"] = home
        store = runs.store_for(home)
        began = time.perf_counter()
        ids = fill(store, n_runs, n_rows)
        size = os.path.getsize(store.path) / 2**20
        out = Report("Store load: the Training page's reads of a big run store",
                     f"{n_runs} runs, {n_rows:,} metric rows, {size:.1f} MiB (filled in "
                     f"{time.perf_counter() - began:.1f} s); medians of {args.repeats}")
        t_list, table = timed(lambda: report.runs_table(store.list()), args.repeats)
        five = ids[-5:]
        t_metrics, frame = timed(lambda: store.metrics(five), args.repeats)
        labels = report.run_labels([r for r in store.list() if r.id in five])

        def overlay():
            return [panel.to_dict() for panel in curves.compare_runs_panels(frame, labels, x="epoch",
                                                                             smoothing=0.6)]

        t_chart, _ = timed(overlay, args.repeats)
        total = t_list + t_metrics + t_chart
        with sqlite3.connect(store.path) as conn:
            marks = ",".join("?" * len(five))
            plan = conn.execute(f"EXPLAIN QUERY PLAN SELECT run_id, step, epoch, name, value, wall_time "
                                f"FROM metrics WHERE run_id IN ({marks}) ORDER BY run_id, step, rowid",
                                five).fetchall()
    out.row(f"runs table ({len(table)} rows) (ms)", f"{t_list * 1e3:.0f}")
    out.row(f"metrics of 5 runs ({len(frame):,} rows) (ms)", f"{t_metrics * 1e3:.0f}")
    out.row("overlay chart of 5 runs, built and serialised (ms)", f"{t_chart * 1e3:.0f}")
    out.row("all three (ms)", f"{total * 1e3:.0f}", verdict(total, 1.0, "< 1,000 ms"))
    out.row("query plan of the metric read", "; ".join(row[-1] for row in plan))
    out.figures = {"runs": n_runs, "rows": n_rows, "runs_table_ms": t_list * 1e3,
                   "metrics_ms": t_metrics * 1e3, "overlay_ms": t_chart * 1e3, "total_ms": total * 1e3,
                   "uses_index": any("metrics_by_run" in row[-1] for row in plan)}
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
