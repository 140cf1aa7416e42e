"""A sweep's search space: parsed, counted, drawn and refused in one line before anything exists."""

import pytest

from lenet_core.errors import LabError
from lenet_core.runs import space as sp
from lenet_core.runs import sweeps
from lenet_core.runs.store import RunStore
from lenet_core.training.config import TrainConfig, preset


def test_a_grid_crosses_its_fields_in_order():
    space = sp.parse_space(["lr=0.01,0.03,0.1", "batch_size=64,128"])
    assert space.count() == 6
    trials = space.overrides()
    assert trials[0] == {"lr": 0.01, "batch_size": 64}
    assert trials[1] == {"lr": 0.01, "batch_size": 128}
    assert [t["lr"] for t in trials] == [0.01, 0.01, 0.03, 0.03, 0.1, 0.1]
    assert space.describe() == "lr=0.01,0.03,0.1 × batch_size=64,128"


def test_a_whole_number_range_is_a_grid_of_each_number():
    space = sp.parse_space(["epochs=range(1,4)"])
    assert [t["epochs"] for t in space.overrides()] == [1, 2, 3, 4]


def test_random_draws_are_crossed_with_the_grid_and_drawn_the_same_each_time():
    space = sp.parse_space(["batch_size=64,128"], ["lr=log(1e-3,1)", "weight_decay=range(0,0.01)"], 4)
    assert space.count() == 8
    first, again = space.overrides(), space.overrides()
    assert first == again  # resuming a sweep trains the same configs
    lrs = [t["lr"] for t in first]
    assert all(1e-3 <= lr <= 1 for lr in lrs)
    assert lrs[0] == lrs[1] and len(set(lrs)) == 4  # one draw, crossed with the two batch sizes
    assert all(0 <= t["weight_decay"] <= 0.01 for t in first)


def test_a_random_choice_and_a_whole_number_range():
    space = sp.parse_space([], ["batch_size=64,128,256", "epochs=range(1,3)"], 20)
    drawn = space.overrides()
    assert {t["batch_size"] for t in drawn} <= {64, 128, 256}
    assert {t["epochs"] for t in drawn} <= {1, 2, 3} and all(isinstance(t["epochs"], int) for t in drawn)


@pytest.mark.parametrize("grid, space, samples, words", [
    (["lr=abc"], [], None, "--grid lr: 'abc' is not a number"),
    (["colour=red"], [], None, "--grid colour: unknown setting"),
    (["lr"], [], None, "--grid 'lr': write a setting, '=' and its values, e.g. --grid lr=0.01,0.1"),
    (["lr="], [], None, "no values after '='"),
    (["lr=0"], [], None, "0 is out of range"),
    (["lr=0.1,0.1"], [], None, "listed twice"),
    (["optimizer=sgd,rmsprop"], [], None, "'rmsprop' is not one of"),
    (["lr=log(0.001,1)"], [], None, "belong in --space"),
    ([], ["lr=log(1e-3,1)"], None, "--random N"),
    ([], ["lr=log(1,0.1)"], 3, "needs low < high"),
    ([], ["weight_decay=log(0,0.1)"], 3, "above 0"),
    ([], ["optimizer=range(1,2)"], 3, "needs a numeric setting"),
    ([], ["lr=log(1)"], 3, "takes two numbers"),
    (["lr=0.1,0.3"], ["lr=log(1e-3,1)"], 2, "varied twice"),
    (["lr=0.1,0.3"], [], 3, "--random N draws from --space"),
    ([], [], None, "nothing to sweep"),
])
def test_a_bad_space_is_refused_in_one_line(grid, space, samples, words):
    with pytest.raises(LabError) as caught:
        sp.parse_space(grid, space, samples)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_over_ten_thousand_trials_need_yes():
    space = sp.parse_space(["seed=range(0,200)", "lr=" + ",".join(f"0.{i:03d}1" for i in range(60))])
    assert space.count() == 201 * 60
    with pytest.raises(LabError, match="12,060 trials .* --yes"):
        sp.trial_configs(TrainConfig(), space)
    assert len(sp.trial_configs(TrainConfig(), space, allow_many=True)) == 12_060


def test_each_trial_config_is_validated_whole():
    space = sp.parse_space(["batch_size=1,2"])
    with pytest.raises(LabError, match=r"trial 1 \(batch_size=1\) cannot train: batch_size: .*batch norm"):
        sp.trial_configs(preset("best"), space)


def test_the_page_editor_reads_one_dimension_a_line():
    space, problems = sp.read_lines("lr = 0.01, 0.1   # two rates\n\nbatch_size = 64,128\n"
                                    "weight_decay = log(1e-5, 1e-3)\n"
                                    "epochs = range(1, 2)\n~ optimizer = sgd, adam\n", samples=3)
    assert problems == []
    assert [d.field for d in space.grid] == ["lr", "batch_size", "epochs"]
    assert [(d.field, d.kind) for d in space.random] == [("weight_decay", "log"), ("optimizer", "choice")]
    assert space.count() == 3 * 2 * 2 * 2


def test_the_page_editor_names_every_problem_at_once_by_its_line_in_its_own_words():
    space, problems = sp.read_lines("lr = abc\nbatch_size = 64, 128\ncolour = red\n\nepochs = log(1, 5)\n"
                                    "momentum\nbatch_size = 32\nseed = 1, 1", samples=None)
    assert space is None
    assert problems == [
        "line 1 (lr): 'abc' is not a number (allowed: > 0 and ≤ 1e7)",
        "line 3 (colour): unknown setting (known: " + ", ".join(TrainConfig().to_dict())
        + "; or a layer's, e.g. conv1.channels)",
        "line 6: 'momentum': write a setting, '=' and its values, e.g. lr = 0.01, 0.1",
        "line 8 (seed): a value is listed twice (1,1)",
        "batch_size is on lines 2 and 7: keep one",
        "log(), range() and ~ lines draw values at random: set how many random draws",
    ]
    assert not any("--" in problem for problem in problems)  # the form's words, not the CLI's
    assert sp.read_lines("# nothing yet", None)[1] == [
        "the search space is empty: write a setting and its values, e.g. lr = 0.01, 0.1"]
    assert "no line draws at random" in sp.read_lines("lr = 0.1, 0.3", 3)[1][0]


def test_a_bad_plan_records_nothing(tmp_path):
    store = RunStore(tmp_path)
    for kwargs, words in [(dict(grid=["lr=abc"]), "not a number"),
                          (dict(grid=["lr=0.1"], metric="speed"), "--metric"),
                          (dict(grid=["lr=0.1"], early_stop="asha"), "needs --backend ray"),
                          (dict(grid=["lr=0.1"], base={"epochs": "0"}), "base config: epochs"),
                          (dict(grid=["lr=0.1"], name="x" * 81), "sweep name")]:
        with pytest.raises(LabError, match=words):
            sweeps.plan(preset="best", **kwargs)
    assert store.list() == [] and store.list_sweeps() == []
