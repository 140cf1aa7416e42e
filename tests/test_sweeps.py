"""Sweeps on the local backend: each trial a real run (worker subprocesses, the real queue, a real
run store), stopped, killed and resumed; and the ``sweep`` command as a real process."""

import json
import os
import re
import signal
import time

import pytest
from helpers import TINY, lab, wait_sweep

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.runs import queue, sweeps

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

# Four quick trials on a small mnist-5k subset: two learning rates × two batch sizes.
BASE = {k: v for k, v in TINY.items()}
GRID = ["lr=0.03,0.1", "batch_size=50,100"]


def base_flags(**changes) -> list[str]:
    settings = {**BASE, **changes}
    flags = []
    for field, value in settings.items():
        flags += [f"--{field.replace('_', '-')}", str(value)]
    return flags


@pytest.mark.slow
def test_a_four_trial_local_sweep_trains_every_trial_as_a_run(lab_home, monkeypatch):
    monkeypatch.setenv(queue.SLOTS_ENV, "cpu=2")
    code, out, err = lab("sweep", *base_flags(), "--grid", GRID[0], "--grid", GRID[1], "--json")
    assert code == 0, err
    result = json.loads(out.splitlines()[-1])
    store = runs.RunStore()
    trials = store.sweep_runs(result["sweep_id"])
    assert [t.trial for t in trials] == [1, 2, 3, 4]
    assert {(t.config.lr, t.config.batch_size) for t in trials} == {(0.03, 50), (0.03, 100), (0.1, 50),
                                                                   (0.1, 100)}
    metrics = store.metrics([t.id for t in trials])
    for trial in trials:
        assert trial.status == "completed", trial.error
        mine = metrics[metrics.run_id == trial.id]
        assert {"train_loss", "train_acc", "test_acc"} <= set(mine.name)  # curves, as any run
        assert runs.checkpoint_paths(trial.id)  # checkpoints, as any run
    assert result["state"] == "completed"
    scores = [t["score"] for t in result["trials"]]
    assert result["best_run_id"] == result["trials"][scores.index(max(scores))]["run_id"]
    assert "best: trial" in err and "python -m lenet_core train" in err
    # The table is sorted by the metric, best first; `sweep list` and `show` say the same.
    sweep = store.get_sweep(result["sweep_id"])
    table = sweeps.trial_table(sweep, trials, metrics)
    assert list(table["test_acc"]) == sorted(table["test_acc"], reverse=True)
    assert list(table.columns[:3]) == ["trial", "lr", "batch_size"]
    # One inside figure a trial: its worst activation layer at the end of epoch 1.
    table = sweeps.trial_table(sweep, trials, metrics, inside=store.inside([t.id for t in trials]))
    assert list(table.columns[-2:]) == [sweeps.WORST_UNITS, "id"]
    worst = table[sweeps.WORST_UNITS]
    assert all(re.fullmatch(r"(relu|sigmoid|tanh)\d \d+% (dead|saturated)", v) for v in worst)
    code, out, _ = lab("sweep", "list")
    assert code == 0 and "completed · 4 of 4 trials done" in out


@pytest.mark.slow
def test_a_diverging_trial_is_recorded_and_the_sweep_goes_on(lab_home):
    plan = sweeps.plan(preset=None, base={**BASE, "arch": "lenet-classic", "optimizer": "sgd",
                                          "train_subset": 600},
                       grid=["lr=0.5,1000000"])
    sweep = sweeps.start(plan)
    store = runs.RunStore()
    trials = wait_sweep(store, sweep.id, lambda ts: not any(t.active for t in ts))
    by_lr = {t.config.lr: t for t in trials}
    assert by_lr[1e6].status == "diverged" and "too high" in by_lr[1e6].error
    assert by_lr[0.5].status == "completed"
    assert sweeps.progress(store.get_sweep(sweep.id), trials).state == "completed"


@pytest.mark.slow
def test_stop_kill_and_resume_keep_every_finished_trial(lab_home, monkeypatch):
    """A stopped sweep cancels what waits and stops what trains; kill -9 of a trainer leaves it
    failed; `sweep resume` trains exactly those again and leaves the finished ones alone."""
    monkeypatch.setenv(queue.SLOTS_ENV, "1")
    # The 2nd trial trains for a while (12 epochs of 1,500 images).
    plan = sweeps.plan(preset=None, base={**BASE, "train_subset": 1500}, grid=["epochs=1,12,13"])
    sweep = sweeps.start(plan)
    store = runs.RunStore()
    first, second, third = store.sweep_runs(sweep.id)
    wait_sweep(store, sweep.id, lambda ts: ts[0].status == "completed" and ts[1].status == "running"
               and (ts[1].progress.get("epoch") or 0) >= 2)  # an epoch checkpoint to resume from
    finished = store.metrics(first.id)
    pid = store.get(second.id).pid
    os.kill(pid, signal.SIGKILL)  # the trainer of trial 2 dies
    deadline = time.monotonic() + 30
    while runs.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    sweeps.stop(sweep.id)  # before any read gives trial 3 the freed slot
    trials = wait_sweep(store, sweep.id, lambda ts: not any(t.active for t in ts))
    assert [t.status for t in trials] == ["completed", "failed", "stopped"]
    assert sweeps.progress(store.get_sweep(sweep.id), trials).state == "stopped"

    code, out, err = lab("sweep", "resume", sweep.id, "--json", env={queue.SLOTS_ENV: "1"})
    assert code == 0, err
    trials = store.sweep_runs(sweep.id)
    assert [t.status for t in trials] == ["completed"] * 3
    assert store.metrics(first.id).equals(finished)  # the finished trial was not trained again
    code, out, err = lab("sweep", "resume", sweep.id)
    assert code == 2 and "nothing to resume" in err and "Traceback" not in err


def test_the_cli_refuses_a_bad_space_in_one_line_and_records_nothing(lab_home):
    for argv, words in [(["--grid", "lr=abc"], "--grid lr: 'abc' is not a number"),
                        (["--grid", "colour=1,2"], "--grid colour: unknown setting"),
                        (["--grid", "seed=range(0,10000)", "--grid", "lr=0.1,0.2"], "20,002 trials"),
                        (["--space", "lr=log(1e-3,1)"], "--random N"),
                        (["--grid", "lr=0.1", "--early-stop", "asha"], "needs --backend ray"),
                        (["--grid", "lr=0.1", "--address", "x:1"], "--backend ray only"),
                        (["show"], "needs a sweep id"),
                        (["show", "sw-nope"], "is not a sweep id")]:
        code, out, err = lab("sweep", *argv)
        assert code == 2, (argv, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in err, (argv, err)
    assert runs.RunStore().list() == [] and runs.RunStore().list_sweeps() == []


def test_a_ray_trial_is_left_to_its_driver(lab_home):
    """The local queue never starts a Ray trial, and Stop on one trial says to stop the sweep."""
    plan = sweeps.plan(preset=None, base=BASE, grid=["lr=0.03,0.1"])
    plan = sweeps.Plan(plan.name, plan.base, plan.space, plan.configs, backend="ray")
    store = runs.RunStore()
    sweep = sweeps.record(store, plan, pid=os.getpid())
    assert runs.dispatch(store) == []
    trial = store.sweep_runs(sweep.id)[0]
    assert trial.backend == "ray" and trial.status == "queued" and trial.pid == os.getpid()
    assert queue.queue_state(store.list()).in_use("cpu") == 0
    with pytest.raises(LabError, match="stop the sweep"):
        runs.stop(trial.id)
    assert runs.reap(store)[0].status == "queued"  # its driver (this process) is alive
