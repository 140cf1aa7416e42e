"""Starting a run from trained weights (``init_from``: the bundled digit model or a run's result):
real runs trained by the engine, and every refusal in one line before anything is queued."""

from __future__ import annotations

import pytest
from helpers import TINY, TINY_LENET5, finished_run

from lenet_core.runs import check_launch
from lenet_core.training.config import validate

pytestmark = pytest.mark.slow


def test_a_run_started_from_the_bundled_model_knows_the_digits_from_its_first_epoch(lab_home, one_thread):
    fresh = finished_run(lab_home, "fresh", arch="lenet-wide", train_subset=128, batch_size=64,
                         optimizer="sgd", lr=0.001)
    tuned = finished_run(lab_home, "tuned", arch="lenet-wide", train_subset=128, batch_size=64,
                         optimizer="sgd", lr=0.001, init_from="bundled")
    assert tuned.status == "completed" and tuned.summary["test_acc"] > 0.95
    assert fresh.summary["test_acc"] < 0.5  # 2 steps of a small learning rate from fresh weights


def test_a_run_started_from_another_run_begins_where_that_one_ended(lab_home, one_thread):
    first = finished_run(lab_home, "first", **{**TINY_LENET5, "epochs": 2})
    again = finished_run(lab_home, "again", **{**TINY_LENET5, "lr": 1e-7, "optimizer": "sgd",
                                               "init_from": first.id})
    # the same weights, hardly moved (and no batch norm statistics to move): the same test accuracy
    assert again.summary["test_acc"] == pytest.approx(first.summary["test_acc"], abs=0.01)
    assert again.config.init_from == first.id


def test_a_start_that_cannot_be_made_is_refused_in_one_line(lab_home, one_thread):
    tiny = finished_run(lab_home, "tiny")
    cases = {
        "nobody": "'nobody' is neither a run's id (lenet-lab runs list) nor bundled",
        "20990101-000000-abcd": "run 20990101-000000-abcd has no checkpoint here to start from",
    }
    for init_from, message in cases.items():
        config, errors = check_launch({**TINY, "init_from": init_from}, home=lab_home)
        assert config is None and errors["init_from"].startswith(message)
    _, errors = check_launch({**TINY, "arch": "lenet5", "init_from": tiny.id}, home=lab_home)
    assert errors["init_from"].startswith(f"{tiny.id} trained another network (lenet-modern: ")
    _, errors = check_launch({**TINY, "arch": "lenet-wide", "normalise": True, "init_from": "bundled"},
                             home=lab_home)
    assert errors["init_from"].startswith("bundled saw its pixels scaled by mean 0 and std 1, this run "
                                          "would scale them by 0.1307 and 0.3081")
    _, errors = validate({**TINY, "init_from": "../etc"})
    assert errors["init_from"].startswith("'../etc' is not a model")
    config, errors = check_launch({**TINY, "init_from": tiny.id}, home=lab_home)
    assert errors == {} and config.init_from == tiny.id
