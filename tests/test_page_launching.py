"""The pages' words for starting and resuming a run (pages/ui/launching.py) over the engine's
values: bad values refused without touching the store, a resume started once however often it
is asked, and a run with nothing to resume from explained."""

from __future__ import annotations

import pytest
from helpers import TINY, stopped_run, wait_for

from lenet_core import runs
from lenet_core.training.config import TrainConfig
from pages.ui.launching import resume_blocker, resume_once, start_from_form


def test_start_from_form_refuses_bad_values_without_touching_the_store(lab_home):
    outcome = start_from_form({"dataset": "mnist-5k", "epochs": "many"}, None, "form-1", home=lab_home)
    assert not outcome.started and outcome.run_id is None
    assert "whole number" in outcome.errors["epochs"]
    assert runs.RunStore(lab_home).list() == []


@pytest.mark.slow
def test_resume_once_continues_a_stopped_run_and_never_starts_it_twice(lab_home):
    run = stopped_run(lab_home, epochs=2)
    assert run.status == "stopped" and resume_blocker(run, lab_home) is None
    first = resume_once(run.id, lab_home)
    again = resume_once(run.id, lab_home)  # a double click, a second tab
    assert first.started and first.message == "Resumed “stopped” from its last checkpoint."
    assert not again.started and not again.errors and "already" in again.message
    store = runs.RunStore(lab_home)
    done = wait_for(store, run.id, lambda r: not r.active)
    assert done.status == "completed", done.error
    assert store.metrics(run.id).query("name == 'test_acc'")["epoch"].tolist() == [1.0, 2.0]
    assert "completed run cannot be resumed" in resume_blocker(done, lab_home)


def test_a_run_that_ended_before_its_first_checkpoint_cannot_be_resumed_and_says_why(lab_home):
    store = runs.RunStore(lab_home)
    early = store.create(TrainConfig(**TINY), "killed early")
    store.mark(early.id, "failed", error="the training process vanished")
    reason = resume_blocker(store.get(early.id), lab_home)
    assert "saved no checkpoint" in reason and "start it again" in reason
    outcome = resume_once(early.id, lab_home)
    assert not outcome.started and "cannot be resumed" in outcome.message
    assert store.get(early.id).status == "failed"  # untouched


