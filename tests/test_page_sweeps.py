"""AppTest: the Training page's Sweep form and sweep view — the trial count before Start, a bad
space refused in words, a real local sweep started from the form (real workers) whose trials fill
the view's table, chart and top curves, Stop and the best config as a new run."""

from __future__ import annotations

import time

import pytest
from helpers import TRAINING_PAGE as PAGE
from helpers import charts, open_page, wait_sweep

from lenet_core import runs
from lenet_core.runs import sweeps
from pages.ui import state

SPACE = "lr = 0.03, 0.1\nepochs = 1\ntrain_subset = 300\nbatch_size = 100\narch = lenet-modern"


def sweep_form(at, space: str = SPACE, draws: str = "0", dataset: str = "mnist-5k"):
    at.sidebar.selectbox(key="form_dataset").set_value(dataset)
    at.sidebar.text_area(key=state.SWEEP_SPACE).set_value(space)
    at.sidebar.text_input(key=state.SWEEP_DRAWS).set_value(draws)
    return at.run()


def start_button(at):
    return next(b for b in at.sidebar.button if b.key == state.SWEEP_START)


def count_line(at) -> str:
    return next((m.value for m in at.sidebar.markdown if " trial" in m.value and m.value.startswith("**")),
                "")


def test_the_form_counts_the_trials_before_start_and_refuses_a_bad_space(lab_home):
    at = sweep_form(open_page(PAGE))
    assert not at.exception
    assert count_line(at).startswith("**2 trials**")
    at = sweep_form(at, "lr = 0.01, 0.03, 0.1\nbatch_size = 64, 128\nweight_decay = log(1e-5, 1e-3)",
                    draws="3")
    assert count_line(at).startswith("**18 trials**")
    at = sweep_form(at, "lr = abc")
    assert any("--grid lr: 'abc' is not a number" in e.value for e in at.sidebar.error)
    assert start_button(at).disabled
    at = sweep_form(at, "lr = log(1e-3, 1)")  # random, but no draws asked for
    assert any("--random N" in e.value for e in at.sidebar.error)
    at = sweep_form(at)
    at.sidebar.selectbox(key=state.SWEEP_EARLY).set_value("asha").run()
    assert any("needs --backend ray" in e.value for e in at.sidebar.error)  # ASHA is Ray's
    at.sidebar.selectbox(key=state.SWEEP_BACKEND).set_value("ray").run()
    assert any(w.key == state.SWEEP_ADDRESS for w in at.sidebar.text_input)
    if sweeps.ray_missing():
        assert any("requirements-cluster.txt" in w.value for w in at.sidebar.warning)
    else:
        assert count_line(at).startswith("**2 trials**")
    assert runs.RunStore(lab_home).list_sweeps() == []


@pytest.mark.slow
def test_a_sweep_started_from_the_form_fills_the_view(lab_home, one_thread, monkeypatch):
    monkeypatch.setenv("LENET_LAB_SLOTS", "2")
    at = sweep_form(open_page(PAGE))
    start_button(at).click().run()
    assert not at.exception
    assert any("Started" in s.value and "2 trials" in s.value for s in at.sidebar.success)
    store = runs.RunStore(lab_home)
    sweep = store.list_sweeps()[0]
    assert at.session_state[state.TRAINING_VIEW] == "Sweeps"
    wait_sweep(store, sweep.id, lambda ts: not any(t.active for t in ts))
    at.run()
    assert not at.exception
    assert any("completed · 2 of 2 trials done" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert list(table["lr"]) == sorted(table["lr"], key=lambda lr: -table.set_index("lr")["test_acc"][lr])
    assert set(table["status"]) == {"completed"}
    specs = [spec for spec, _ in charts(at)]
    assert any("hconcat" in spec and "lr" in str(spec) for spec in specs)  # setting vs metric
    assert len(specs) >= 2  # and the top trials' curves
    best = next(b for b in at.button if b.label == "Train the best config")
    best.click().run()
    assert not at.exception
    newest = runs.RunStore(lab_home).list()[0]
    best_trial = sweeps.best_trial(sweep, store.sweep_runs(sweep.id), store.metrics(
        [r.id for r in store.sweep_runs(sweep.id)]))
    assert newest.sweep_id is None and newest.config == best_trial.config
    assert at.session_state[state.TRAINING_VIEW] == "Runs"
    runs.stop(newest.id, wait=60)


@pytest.mark.slow
def test_stop_sweep_from_the_view(lab_home, one_thread, monkeypatch):
    monkeypatch.setenv("LENET_LAB_SLOTS", "1")
    plan = sweeps.plan(preset="best", base={"dataset": "mnist-5k", "epochs": 30, "train_subset": 2000},
                       grid=["lr=0.03,0.1,0.3"])
    sweep = sweeps.start(plan, lab_home)
    at = open_page(PAGE)
    at.session_state[state.TRAINING_VIEW] = "Sweeps"
    at.run()
    stop = next(b for b in at.button if b.label == "Stop sweep")
    stop.click().run()
    assert not at.exception
    store = runs.RunStore(lab_home)
    trials = wait_sweep(store, sweep.id, lambda ts: not any(t.active for t in ts), timeout=120)
    assert {t.status for t in trials} == {"stopped"}
    time.sleep(0.1)
    at.run()
    assert any("stopped · 3 of 3 trials done" in m.value for m in at.markdown)
    assert any(b.label == "Resume sweep" for b in at.button)
