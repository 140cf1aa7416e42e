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


def sweep_form(at, space: str = SPACE, draws: str = "0", dataset: str = "mnist-5k", epochs: str = "1"):
    at.sidebar.selectbox(key=state.SWEEP_DATASET).set_value(dataset)
    at.sidebar.text_input(key=state.SWEEP_EPOCHS).set_value(epochs)
    at.sidebar.text_area(key=state.SWEEP_SPACE).set_value(space)
    at.sidebar.text_input(key=state.SWEEP_DRAWS).set_value(draws)
    return at.run()


def start_button(at):
    return next(b for b in at.sidebar.button if b.key == state.SWEEP_START)


def count_line(at) -> str:
    return next((m.value for m in at.sidebar.markdown if " trial" in m.value and m.value.startswith("**")),
                "")


def form_errors(at) -> list[str]:
    return [e.value for e in at.sidebar.error]


def test_the_sweep_form_is_a_closed_section_of_its_own_with_a_small_sweep_ready(lab_home):
    at = open_page(PAGE)
    section = next(e for e in at.sidebar.expander if e.label == "New sweep")
    assert not section.proto.expanded  # the sidebar is one form long until it is opened
    # Ready as it opens: a small sweep on the offline digits, counted before Start.
    assert at.session_state[state.SWEEP_DATASET] == "mnist-5k"
    assert count_line(at).startswith("**4 trials**")
    assert not start_button(at).disabled and not form_errors(at)
    # A recipe brings its own dataset and epochs.
    at.sidebar.selectbox(key=state.SWEEP_PRESET).set_value("best").run()
    chosen = at.session_state[state.SWEEP_DATASET], at.session_state[state.SWEEP_EPOCHS]
    assert chosen == ("fashion-mnist", "10")


def test_the_form_counts_the_trials_before_start_and_refuses_a_bad_space(lab_home):
    at = sweep_form(open_page(PAGE))
    assert not at.exception
    assert count_line(at).startswith("**2 trials**")
    at = sweep_form(at, "lr = 0.01, 0.03, 0.1\nbatch_size = 64, 128\nweight_decay = log(1e-5, 1e-3)",
                    draws="3")
    assert count_line(at).startswith("**18 trials**")
    # Every problem at once, each by its line, in the form's words (not the command line's flags).
    at = sweep_form(at, "lr = abc\nbatch_size = 0, 64", epochs="many")
    errors = form_errors(at)
    assert len(errors) == 1
    assert "Epochs: 'many' is not a whole number" in errors[0]
    assert "Search space, line 1 (lr): 'abc' is not a number" in errors[0]
    assert "Search space, line 2 (batch_size): 0 is out of range" in errors[0]
    assert "--" not in errors[0]
    assert start_button(at).disabled
    at = sweep_form(at, "lr = log(1e-3, 1)")  # random, but no draws asked for
    assert any("set how many random draws" in e for e in form_errors(at))
    at = sweep_form(at)
    assert not any(w.key == state.SWEEP_EARLY for w in at.sidebar.selectbox)  # ASHA is Ray's
    at.sidebar.selectbox(key=state.SWEEP_BACKEND).set_value("ray").run()
    assert any(w.key == state.SWEEP_ADDRESS for w in at.sidebar.text_input)
    assert any(w.key == state.SWEEP_EARLY for w in at.sidebar.selectbox)
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
    assert any(spec.get("encoding", {}).get("x", {}).get("field") == "lr" for spec in specs)  # vs metric
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


@pytest.mark.slow
def test_a_sweep_over_a_saved_networks_first_convolution_from_the_form(lab_home, one_thread, monkeypatch):
    from lenet_core.model import saved
    from lenet_core.training.config import network_of

    monkeypatch.setenv("LENET_LAB_SLOTS", "1")
    saved.save_network(saved.network("lenet-maxed", "max pooling", "conv(6,5,pad=2) relu maxpool(2) "
                                     "conv(16,5) relu maxpool(2) flatten fc(84) relu fc(10)"), lab_home)
    at = open_page(PAGE)
    network = at.sidebar.selectbox(key=state.SWEEP_ARCH)
    assert network.options[-1] == "lenet-maxed (saved)"
    network.set_value("lenet-maxed")
    at = sweep_form(at, "conv1.channels = 4, 8\ntrain_subset = 300\nbatch_size = 100\nepochs = 1")
    assert count_line(at).startswith("**2 trials**") and not form_errors(at)
    start_button(at).click().run()
    assert not at.exception
    store = runs.RunStore(lab_home)
    trials = store.sweep_runs(store.list_sweeps()[0].id)
    assert sorted(t.config.arch for t in trials) == ["lenet-maxed-conv1-channels-4",
                                                     "lenet-maxed-conv1-channels-8"]
    assert sorted(network_of(t.config).layers[0].args["out_channels"] for t in trials) == [4, 8]
    assert "conv1.channels" in at.dataframe[0].value.columns  # the view names the varied setting
    for trial in trials:
        runs.stop(trial.id, wait=60)
