"""The run store under load: 200 runs and 200,000 metric rows. Do the runs table and an overlay of
five runs render in under 1 s, and do metric reads use the index?

    .venv/bin/python bench/bench_store_load.py [--runs 200] [--rows 200000] [--repeats 5]

Builds the store in a temporary LENET_LAB_HOME (yours is left alone): every run completed, its
metrics in the shape the engine writes (train_loss/train_acc/lr at each reporting point, test
metrics at epoch ends). Then times, with medians over ``--repeats``: ``RunStore.list()`` plus the
runs table the page shows; ``RunStore.metrics()`` for 5 runs; the overlay chart for those 5 built
and serialised to Vega-Lite JSON (what Streamlit sends the browser). Prints EXPLAIN QUERY PLAN for
the metric read. The target: each step, and all three together, well under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lenet_core import run_views, runs  # noqa: E402
from lenet_core.present import charts  # noqa: E402
from lenet_core.training.config import TrainConfig  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["LENET_LAB_HOME"] = home
        store = runs.RunStore(Path(home))
        began = time.perf_counter()
        ids = fill(store, args.runs, args.rows)
        total = store._read("SELECT COUNT(*) FROM metrics")[0][0]
        size = os.path.getsize(store.path) / 2**20
        print(f"store: {args.runs} runs, {total:,} metric rows, {size:.1f} MiB "
              f"(filled in {time.perf_counter() - began:.1f} s)")

        t_list, all_runs = timed(lambda: run_views.runs_table(store.list()), args.repeats)
        print(f"runs table (RunStore.list + run_views.runs_table, {len(all_runs)} rows): "
              f"{t_list * 1000:.0f} ms")
        five = ids[-5:]
        t_metrics, frame = timed(lambda: store.metrics(five), args.repeats)
        print(f"metrics for 5 runs ({len(frame):,} rows): {t_metrics * 1000:.0f} ms")
        labels = run_views.run_labels([r for r in store.list() if r.id in five])

        def overlay():
            return charts.compare_runs_chart(frame, labels, x="epoch", smoothing=0.6).to_dict()

        t_chart, _ = timed(overlay, args.repeats)
        print(f"overlay chart of 5 runs, built and serialised: {t_chart * 1000:.0f} ms")
        print(f"total: {(t_list + t_metrics + t_chart) * 1000:.0f} ms (target < 1000 ms)")

        with sqlite3.connect(store.path) as conn:
            marks = ",".join("?" * len(five))
            plan = conn.execute(f"EXPLAIN QUERY PLAN SELECT run_id, step, epoch, name, value, wall_time "
                                f"FROM metrics WHERE run_id IN ({marks}) ORDER BY run_id, step, rowid",
                                five).fetchall()
        print("query plan for the metric read:")
        for row in plan:
            print("   ", row[-1])


if __name__ == "__main__":
    main()
