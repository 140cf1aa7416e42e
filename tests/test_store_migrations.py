"""The run store's schema: numbered migrations from every shape a user may have on disk.

Before migrations were numbered (user_version 0) a store could hold any of four shapes: the first
schema, then with request ids, then with the queue's column, then with sweeps (the last is kept
as a real file, tests/fixtures/store-before-migrations.db, made by that code with a completed run
and its metrics, a queued run and a stopped two-trial sweep). Each is opened by today's code and
must read back as it was and take new runs and sweeps.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.runs import schema
from lenet_core.training.config import TrainConfig

FIXTURE = Path(__file__).parent / "fixtures" / "store-before-migrations.db"
FIRST = """
CREATE TABLE runs (id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL,
    config TEXT NOT NULL, status TEXT NOT NULL, pid INTEGER, device TEXT, started REAL,
    finished REAL, error TEXT, summary TEXT, progress TEXT, heartbeat REAL);
CREATE TABLE metrics (run_id TEXT NOT NULL, step INTEGER NOT NULL, epoch REAL NOT NULL,
    name TEXT NOT NULL, value REAL, wall_time REAL NOT NULL);
CREATE INDEX metrics_by_run ON metrics (run_id, step);
"""
WITH_REQUESTS = FIRST + """ALTER TABLE runs ADD COLUMN request_id TEXT;
CREATE UNIQUE INDEX runs_by_request ON runs (request_id);"""
WITH_QUEUE = WITH_REQUESTS + "ALTER TABLE runs ADD COLUMN dispatched REAL;"
EARLIER_SHAPES = {"first": FIRST, "request ids": WITH_REQUESTS, "queue": WITH_QUEUE}
OLD_RUN = "20261128-143012-3fa9"
TODAY = {"request_id", "dispatched", "sweep_id", "trial", "backend", "rung"}


def columns(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute("PRAGMA table_info(runs)")}


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def takes_new_work(store: runs.RunStore) -> None:
    """A migrated store is a whole store: a run, a request id, a sweep with a trial."""
    run, new = store.insert(TrainConfig(dataset="mnist-5k"), "new", request_id="r1")
    assert new and store.insert(TrainConfig(dataset="mnist-5k"), "new", request_id="r1") == (run, False)
    sweep = store.create_sweep("s", {"space": {}}, [("t", TrainConfig(dataset="mnist-5k"))], "local")
    assert [r.trial for r in store.sweep_runs(sweep.id)] == [1]


@pytest.mark.parametrize("shape", list(EARLIER_SHAPES))
def test_each_earlier_shape_migrates_keeping_its_runs(lab_home, shape):
    path = lab_home / "runs.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(EARLIER_SHAPES[shape])
        conn.execute("INSERT INTO runs (id, name, created, config, status) VALUES (?, ?, ?, ?, ?)",
                     (OLD_RUN, "old", 1.0, TrainConfig(epochs=3).to_json(), "completed"))
        conn.execute("INSERT INTO metrics VALUES (?, 5, 1.0, 'test_acc', 0.8, 2.0)", (OLD_RUN,))
    assert user_version(path) == 0 and not TODAY <= columns(path)
    store = runs.store_for(lab_home)
    assert user_version(path) == schema.VERSION and TODAY <= columns(path)
    (old,) = store.list()
    assert (old.id, old.name, old.status, old.config.epochs) == (OLD_RUN, "old", "completed", 3)
    assert old.note is None
    assert store.metrics(OLD_RUN)["value"].tolist() == [0.8]
    takes_new_work(store)


def test_a_store_made_by_the_code_before_numbered_migrations_reads_back_whole(lab_home):
    shutil.copy(FIXTURE, lab_home / "runs.db")
    assert user_version(lab_home / "runs.db") == 0
    store = runs.store_for(lab_home)
    assert user_version(store.path) == schema.VERSION
    by_name = {r.name: r for r in store.list()}
    assert sorted(r.status for r in by_name.values()) == ["completed", "queued", "stopped", "stopped"]
    done = by_name["lenet-wide · mnist-5k"]
    assert done.summary["test_acc"] == pytest.approx(0.958, abs=0.001)
    assert len(store.metrics(done.id)) == 18 and all(r.note is None for r in by_name.values())
    (sweep,) = store.list_sweeps()
    assert (sweep.name, sweep.status) == ("lr against batch", "stopped")
    assert [r.name for r in store.sweep_runs(sweep.id)] == ["lr 0.05", "lr 0.1"]
    takes_new_work(store)


def test_a_store_from_a_newer_version_is_refused_in_one_line(tmp_path):
    path = tmp_path / "runs.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    with pytest.raises(LabError, match=r"written by a newer LeNet Lab .* update LeNet Lab") as caught:
        runs.store_for(tmp_path)
    assert "\n" not in str(caught.value)
    assert user_version(path) == schema.VERSION + 1  # left as it was


def test_a_file_that_is_not_a_store_is_named_in_words(tmp_path):
    (tmp_path / "runs.db").write_bytes(b"this is no database, just text " * 64)
    with pytest.raises(LabError, match="not a LeNet Lab run store"):
        runs.store_for(tmp_path)


MIGRATE_AND_SAY = """
import sys
from lenet_core import runs
from lenet_core.runs import schema
store = runs.store_for(sys.argv[1])
print(schema.version(store.path), len(store.list()))
"""


def test_the_schema_is_migrated_once_per_file_and_process_and_by_racing_processes(lab_home):
    shutil.copy(FIXTURE, lab_home / "runs.db")
    racers = [subprocess.Popen([sys.executable, "-c", MIGRATE_AND_SAY, str(lab_home)],
                               stdout=subprocess.PIPE, text=True) for _ in range(3)]
    assert [p.communicate(timeout=120)[0].split() for p in racers] == [[str(schema.VERSION), "4"]] * 3
    runs.store_for(lab_home)  # this process: migrated (nothing to do)
    with sqlite3.connect(lab_home / "runs.db") as conn:
        conn.execute("PRAGMA user_version = 0")  # as if a migration were due again
    runs.store_for(lab_home).list()
    assert user_version(lab_home / "runs.db") == 0  # not checked again in this process
    again = subprocess.run([sys.executable, "-c", MIGRATE_AND_SAY, str(lab_home)],
                           capture_output=True, text=True, timeout=120)
    assert again.stdout.split() == [str(schema.VERSION), "4"]  # a new process migrates
