"""Sweeps on Ray Tune: a real local Ray (``ray.init(num_cpus=2)``, started by the sweep's driver,
a real subprocess), each trial a run in the real store written only by the driver; ASHA pruning on
a space built to prune; kill -9 of the driver, then ``sweep resume``.

CI installs Ray (requirements-cluster.txt, through scripts/setup.sh --dev); there these tests
must run. Elsewhere, without the extra, they are skipped with the command that installs it."""

import json
import os
import re
import signal
import time

import pytest
from helpers import TINY, lab, wait_sweep

from lenet_core import runs
from lenet_core.runs import sweeps
from lenet_core.training.engine import batch_count, reporting_points

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


@pytest.fixture(autouse=True)
def need_ray():
    missing = sweeps.ray_missing()
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must test the Ray backend: {missing}")
    if missing:
        pytest.skip(missing)


def flags(settings: dict) -> list[str]:
    out = []
    for field, value in settings.items():
        out += [f"--{field.replace('_', '-')}", str(value)]
    return out


def test_a_four_trial_ray_sweep_records_each_trial_with_its_metrics(lab_home):
    code, out, err = lab("sweep", *flags(TINY), "--grid", "lr=0.03,0.1", "--grid", "batch_size=50,100",
                         "--backend", "ray", "--cpus", "2", "--json")
    assert code == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["backend"] == "ray" and result["state"] == "completed"
    store = runs.RunStore()
    trials = store.sweep_runs(result["sweep_id"])
    metrics = store.metrics([t.id for t in trials])
    assert len(trials) == 4
    for trial in trials:
        assert trial.status == "completed" and trial.backend == "ray", trial.error
        mine = metrics[metrics.run_id == trial.id]
        # The five train points and the test evaluation, written by the driver's callback.
        assert set(mine.name) >= {"train_loss", "train_acc", "test_acc", "test_loss"}
        batches = batch_count(trial.config.train_subset, trial.config.batch_size, merge_single=True)
        assert (mine.name == "train_loss").sum() == len(reporting_points(batches))
        assert trial.summary["best_test_acc"] == pytest.approx(mine[mine.name == "test_acc"].value.max())
        assert runs.best_checkpoint(trial.id) is not None  # in the storage path: the home here
        assert trial.pid is not None and not runs.pid_alive(trial.pid)  # the driver, gone now
    # The inside of each trial's network travels with its epoch's report, as the curves do: the
    # figures at every reporting point, one set of histograms an epoch, the table's worst layer.
    inside, histograms = store.inside([t.id for t in trials]), store.histograms([t.id for t in trials])
    for trial in trials:
        mine = inside[inside.run_id == trial.id]
        assert set(mine.step) == set(metrics.query("run_id == @trial.id and name == 'train_loss'").step)
        assert {"grad_norm", "weight_norm", "update_ratio", "mean", "std"} <= set(mine.name)
        assert set(histograms[histograms.run_id == trial.id].kind) == {"weights", "activations"}
    table = sweeps.trial_table(store.get_sweep(result["sweep_id"]), trials, metrics, inside=inside)
    worst = table[sweeps.WORST_UNITS]
    assert all(re.fullmatch(r"(relu|sigmoid|tanh)\d \d+% (dead|saturated)", v) for v in worst)


def test_asha_prunes_the_trials_built_to_lose(lab_home):
    """Two learning rates that learn and two far too small to: run two at a time, the good pair
    sets each rung first, and ASHA stops the bad pair after their first epoch."""
    base = {**TINY, "optimizer": "sgd", "epochs": 4, "train_subset": 400}
    code, out, err = lab("sweep", *flags(base), "--grid", "lr=0.3,0.2,0.000001,0.000002",
                         "--backend", "ray", "--cpus", "2", "--early-stop", "asha", "--json")
    assert code == 0, err
    result = json.loads(out.splitlines()[-1])
    store = runs.RunStore()
    by_lr = {t.config.lr: t for t in store.sweep_runs(result["sweep_id"])}
    # The good pair race each other to each rung (the first there is never cut): one completes.
    assert "completed" in {by_lr[0.3].status, by_lr[0.2].status}
    for lr in (1e-6, 2e-6):
        trial = by_lr[lr]
        assert trial.status == "pruned" and trial.rung in (1, 2), (trial.status, trial.error)
        assert "ASHA" in trial.error
        assert store.metrics(trial.id).query("name == 'test_acc'").shape[0] == trial.rung
    assert "pruned after epoch" in err
    code, out, _ = lab("sweep", "show", result["sweep_id"])
    assert code == 0


def test_kill_9_of_the_driver_keeps_finished_trials_and_resume_trains_the_rest(lab_home):
    plan = sweeps.plan(preset=None, base={**TINY, "train_subset": 600}, grid=["epochs=1,30,31"],
                       backend="ray", options={"cpus": 1})
    sweep = sweeps.start(plan)  # a detached driver, as the dashboard starts it
    store = runs.RunStore()
    trials = wait_sweep(store, sweep.id, lambda ts: ts[0].status == "completed" and ts[1].status == "running"
                        and (ts[1].progress.get("epoch") or 0) >= 2, timeout=300)
    finished = store.metrics(trials[0].id)
    driver = store.get_sweep(sweep.id).pid
    os.kill(driver, signal.SIGKILL)
    trials = wait_sweep(store, sweep.id, lambda ts: not any(t.active for t in ts), timeout=60)
    assert [t.status for t in trials] == ["completed", "failed", "failed"]
    assert all("sweep resume" in t.error for t in trials[1:])
    assert sweeps.progress(store.get_sweep(sweep.id), trials).state == "incomplete"
    time.sleep(1)
    code, out, err = lab("sweep", "resume", sweep.id, "--json")
    assert code == 0, err
    trials = store.sweep_runs(sweep.id)
    assert [t.status for t in trials] == ["completed"] * 3
    assert store.metrics(trials[0].id).equals(finished)
    assert (store.metrics(trials[1].id).query("name == 'test_acc'").shape[0]) == 30  # trained afresh


def test_ray_trials_of_a_saved_network_train_after_its_file_is_deleted(lab_home):
    from lenet_core.model import saved
    from lenet_core.model.checkpoints import load_model

    saved.save_network(saved.network("lenet-maxed", "max pooling", "conv(6,5,pad=2) relu maxpool(2) "
                                     "conv(16,5) relu maxpool(2) flatten fc(84) relu fc(10)"), lab_home)
    settings = {**TINY, "arch": "lenet-maxed"}
    code, out, err = lab("sweep", *flags(settings), "--grid", "conv1.channels=4,8", "--backend", "ray",
                         "--cpus", "2", "--detach", "--json")
    assert code == 0, err
    sweep_id = json.loads(out.splitlines()[-1])["sweep_id"]
    saved.delete_network("lenet-maxed", lab_home)  # before Ray's workers start: they never read it
    store = runs.RunStore()
    trials = wait_sweep(store, sweep_id, lambda ts: ts and not any(t.active for t in ts), timeout=600)
    assert [t.status for t in trials] == ["completed", "completed"], [t.error for t in trials]
    for trial, maps in zip(trials, (4, 8)):
        model, meta = load_model(runs.best_checkpoint(trial.id))
        assert meta.arch == f"lenet-maxed-conv1-channels-{maps}" and model.conv1.out_channels == maps
