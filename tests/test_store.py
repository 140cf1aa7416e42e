"""The run store on its own: lenient reads of rows whose config no longer validates, one busy
timeout reported by SQLite's error name, a request id that makes one run across processes,
and the worker entry point (migrations: tests/test_store_migrations.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from helpers import ROOT, TINY, open_page

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.runs import schema
from lenet_core.training.config import TrainConfig


def test_a_row_whose_config_no_longer_validates_is_listed_with_a_note(lab_home):
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**TINY), "old")
    stale = {**TrainConfig(**TINY).to_dict(), "arch": "lenet-x", "lr": -1, "retired_field": 3}
    with sqlite3.connect(store.path) as conn:  # as a renamed architecture and a tightened range leave it
        conn.execute("UPDATE runs SET config = ?, status = 'stopped' WHERE id = ?",
                     (json.dumps(stale), run.id))
    (listed,) = store.list()
    assert listed.note.startswith("stored settings no longer hold here: ")
    assert "arch: 'lenet-x' is no built-in network and the run holds no layers" in listed.note
    assert "lr: -1 is out of range" in listed.note
    assert listed.config.arch == "lenet-classic" and listed.config.lr == 0.9  # the defaults, said
    assert listed.config.dataset == "mnist-5k"  # what still holds is kept
    with pytest.raises(LabError, match="cannot be resumed: its stored settings"):
        runs.prepare_resume(store, run.id)
    at = open_page("pages/views/training.py")  # the page still opens and shows the run
    assert not at.exception
    assert any("old" in m.value for m in at.markdown)
    assert any(w.value.startswith("This run's stored settings no longer hold here") for w in at.warning)


def test_a_store_held_past_the_busy_timeout_says_so_by_sqlites_error_name(lab_home, monkeypatch):
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**TINY), "busy")
    monkeypatch.setattr(schema, "BUSY_TIMEOUT_S", 0.3)  # the one wait, shortened for the test
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\nconn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "conn.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(3)\n"
         "conn.execute('ROLLBACK')\n", str(store.path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    try:
        with pytest.raises(LabError, match=r"busy|another process has held it for over 0.3 s"):
            store.report(run.id, progress={"batch": 1})
    finally:
        holder.kill()
        holder.wait()
    assert store.get(run.id).progress == {}  # nothing half-written


RACE = """
import sys
from lenet_core.runs import RunStore
from lenet_core.training.config import TrainConfig
run, new = RunStore(sys.argv[1]).insert(TrainConfig(dataset="mnist-5k"), "twin", request_id="same")
print(run.id, new)
"""


@pytest.mark.slow
def test_one_request_id_is_one_run_even_from_four_processes_at_once(lab_home):
    runs.RunStore(lab_home)  # the schema, made once
    racers = [subprocess.Popen([sys.executable, "-c", RACE, str(lab_home)], stdout=subprocess.PIPE,
                               text=True) for _ in range(4)]
    answers = [p.communicate(timeout=120)[0].split() for p in racers]
    assert len({run_id for run_id, _ in answers}) == 1
    assert sorted(new for _, new in answers) == ["False", "False", "False", "True"]
    assert len(runs.RunStore(lab_home).list()) == 1


@pytest.mark.slow
def test_the_worker_entry_point_trains_a_queued_run(lab_home):
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**TINY), "worker")
    done = subprocess.run([sys.executable, "-m", "lenet_core.runs.worker", run.id], cwd=lab_home,
                          env={**os.environ, "LENET_LAB_HOME": str(lab_home), "OMP_NUM_THREADS": "1"},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stderr, done.stderr  # what the worker's log would start with
    assert store.get(run.id).status == "completed"
    again = subprocess.run([sys.executable, "-m", "lenet_core.runs.worker", run.id], cwd=ROOT,
                           capture_output=True, text=True, timeout=120,
                           env={**os.environ, "LENET_LAB_HOME": str(lab_home)})
    assert again.returncode == 0  # no longer queued: it does nothing
    assert store.get(run.id).status == "completed"
