"""AppTest: the pages stay up when a run's files are damaged or gone, and refuse bad values.

Real runs (tiny, on mnist-5k, trained in this process), real files damaged by hand as a person
might: a checkpoint cut short, a run folder deleted. Each page must say what is wrong in words and
keep working for everything else.
"""

from __future__ import annotations

import shutil

import pytest
import torch
from helpers import TINY, fill, open_page, sidebar_errors, start

from lenet_core import runs
from lenet_core.training.config import TrainConfig


@pytest.fixture
def damaged(lab_home, monkeypatch):
    """Three completed runs: one whose checkpoints are truncated, one whose folder was deleted
    by hand, one untouched."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    store = runs.RunStore(lab_home)
    ids = {}
    for name in ("intact", "corrupt", "deleted"):
        run = store.create(TrainConfig(**TINY), name)
        runs.execute(run.id, home=lab_home, signals=())
        ids[name] = run.id
    torch.set_num_threads(before)
    for checkpoint in (lab_home / "runs" / ids["corrupt"]).glob("*.pt"):
        checkpoint.write_bytes(checkpoint.read_bytes()[:1000])  # truncated mid-file
    shutil.rmtree(lab_home / "runs" / ids["deleted"])
    return ids


def model_option(at, key: str, run_id: str) -> str:
    return next(o for o in at.selectbox(key=key).options if o.endswith(run_id))


@pytest.mark.slow
def test_training_page_explains_a_corrupt_checkpoint_and_a_deleted_folder(damaged, lab_home):
    at = open_page("pages/views/training.py")
    assert not at.exception
    assert list(at.dataframe[0].value["name"]) == ["deleted", "corrupt", "intact"]  # all still listed

    at.selectbox(key="selected_run").set_value(damaged["corrupt"]).run()
    assert not at.exception
    assert any("corrupt or truncated checkpoint" in e.value for e in at.error)

    at.selectbox(key="selected_run").set_value(damaged["deleted"]).run()
    assert not at.exception
    assert any(w.value.startswith("checkpoint missing") and damaged["deleted"] in w.value for w in at.warning)
    assert not runs.RunStore(lab_home).metrics(damaged["deleted"]).empty  # its metrics are kept

    at.selectbox(key="selected_run").set_value(damaged["intact"]).run()
    assert not at.exception and not at.warning
    assert any("Misclassified test images" in m.value for m in at.markdown)


@pytest.mark.slow
def test_explorer_says_checkpoint_missing_or_corrupt_and_other_models_still_work(damaged, lab_home):
    at = open_page("pages/views/explorer.py")
    at.selectbox(key="explore_model").set_value(model_option(at, "explore_model", damaged["deleted"])).run()
    assert not at.exception
    assert any(e.value.startswith("checkpoint missing") for e in at.error)

    at.selectbox(key="explore_model").set_value(model_option(at, "explore_model", damaged["corrupt"])).run()
    assert not at.exception
    assert any("corrupt or truncated checkpoint" in e.value for e in at.error)

    at.selectbox(key="explore_model").set_value(model_option(at, "explore_model", damaged["intact"])).run()
    assert not at.exception and not at.error


@pytest.mark.slow
def test_draw_page_offers_no_run_without_a_checkpoint_and_keeps_the_bundled_model(damaged, lab_home):
    at = open_page("pages/views/draw.py")
    assert not at.exception
    options = at.selectbox(key="draw_model").options
    assert not any(damaged["deleted"] in o for o in options)
    assert any(damaged["intact"] in o for o in options)
    at.selectbox(key="draw_model").set_value(model_option(at, "draw_model", damaged["corrupt"])).run()
    assert not at.exception
    assert any("corrupt or truncated checkpoint" in e.value for e in at.error)


def test_not_a_number_and_infinite_values_on_the_training_page_start_nothing(lab_home):
    at = open_page("pages/views/training.py")
    fill(at, dataset="mnist-5k", lr="nan", weight_decay="inf")
    start(at)
    assert not at.exception
    errors = sidebar_errors(at)
    assert any("nan is out of range" in e for e in errors)  # learning rate
    assert any("inf is out of range" in e for e in errors)  # weight decay
    assert runs.RunStore(lab_home).list() == []
