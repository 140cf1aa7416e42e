"""TrainConfig: validation with one message per field, presets, JSON round trip, CLI exit 2."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT

from lenet_core.errors import LabError
from lenet_core.model.architectures import build_model, count_params
from lenet_core.training.config import FIELDS, PRESETS, TrainConfig, format_errors, preset, validate


def test_defaults_are_the_tutorials_recipe():
    config = TrainConfig()
    assert (config.dataset, config.arch, config.optimizer, config.lr, config.batch_size,
            config.epochs, config.init) == ("fashion-mnist", "lenet-classic", "sgd", 0.9, 256, 10,
                                            "xavier")
    assert preset("tutorial") == config


def test_best_preset_is_lenet_sized_with_the_same_budget():
    best = preset("best")
    assert best.dataset == "fashion-mnist" and best.epochs == 10
    assert count_params(build_model(best.arch)) <= 100_000


def test_presets_take_overrides_and_refuse_unknown_names():
    assert preset("tutorial", epochs=2, seed=7).epochs == 2
    with pytest.raises(LabError, match="choose one of tutorial, best"):
        preset("fastest")


def test_every_bad_field_gets_its_own_message_with_value_and_range():
    config, errors = validate({"lr": 0, "epochs": 0, "batch_size": -5, "optimizer": "rmsprop",
                               "device": "gpu", "weight_decay": 2, "augment": "maybe",
                               "dataset": "cifar10", "seed": 1.5})
    assert config is None
    assert set(errors) == {"lr", "epochs", "batch_size", "optimizer", "device", "weight_decay",
                           "augment", "dataset", "seed"}
    assert errors["lr"] == "0 is out of range: must be > 0 and ≤ 1e7"
    assert errors["epochs"] == "0 is out of range: allowed 1 to 1,000"
    assert errors["batch_size"] == "-5 is out of range: allowed 1 to 65,536"
    assert "'rmsprop' is not one of sgd, sgd-momentum, adam" == errors["optimizer"]
    assert "cuda:N" in errors["device"]
    assert "≤ 1" in errors["weight_decay"]
    assert "fashion-mnist" in errors["dataset"]
    assert "whole number" in errors["seed"]


def test_values_from_a_form_or_the_command_line_are_coerced():
    config, errors = validate({"lr": "0.05", "epochs": "3", "augment": "true", "device": "cuda:1",
                               "batch_size": None, "seed": 4.0})
    assert errors == {}
    assert (config.lr, config.epochs, config.augment, config.device) == (0.05, 3, "digits", "cuda:1")
    assert config.batch_size == 256 and config.seed == 4  # None means "use the default"


def test_a_run_stored_when_augmentation_was_yes_or_no_still_loads():
    for stored, kind in ((True, "digits"), (False, "none"), ("true", "digits")):
        assert TrainConfig.from_json(json.dumps({"augment": stored})).augment == kind
    _, errors = validate({"augment": "maybe"})
    assert errors["augment"] == "'maybe' is not one of none, digits, canvas, clothing"


def test_not_a_number_and_nan_are_refused():
    _, errors = validate({"lr": "fast", "weight_decay": float("nan"), "epochs": True})
    assert errors["lr"].startswith("'fast' is not a number")
    assert "out of range" in errors["weight_decay"]
    assert "whole number" in errors["epochs"]


def test_unknown_settings_are_named():
    _, errors = validate({"learning_rate": 0.1})
    assert "unknown setting" in errors["learning_rate"] and "lr" in errors["learning_rate"]


def test_json_round_trip_and_errors_in_one_line():
    config = preset("best", seed=3)
    assert TrainConfig.from_json(config.to_json()) == config
    assert set(config.to_dict()) == set(FIELDS)
    with pytest.raises(LabError, match="lr: .*; epochs: "):
        TrainConfig.from_dict({"lr": -1, "epochs": 0})
    assert format_errors({"a": "x", "b": "y"}) == "a: x; b: y"


def test_every_preset_is_valid():
    for name, values in PRESETS.items():
        assert validate(values)[1] == {}, name


@pytest.mark.slow
def test_cli_prints_one_line_per_bad_flag_and_exits_2(lab_home):
    proc = subprocess.run([sys.executable, "-m", "lenet_core", "train", "--lr", "0", "--epochs", "0",
                           "--device", "gpu"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert lines == ["error: --epochs: 0 is out of range: allowed 1 to 1,000",
                     "error: --lr: 0 is out of range: must be > 0 and ≤ 1e7",
                     "error: --device: 'gpu' is not one of auto, cpu, cuda, cuda:N, mps"]
    assert "Traceback" not in proc.stderr
    from lenet_core.runs import RunStore

    assert RunStore(lab_home).list() == []  # nothing was queued


def test_a_batch_norm_network_refuses_batches_of_one_under_the_field():
    config, errors = validate({"arch": "lenet-modern", "batch_size": 1})
    assert config is None and list(errors) == ["batch_size"]
    assert "lenet-modern uses batch normalisation" in errors["batch_size"]
    assert "choose 2 or more" in errors["batch_size"]
    config, errors = validate({"arch": "lenet-modern", "train_subset": 1})
    assert config is None and list(errors) == ["train_subset"]
    assert validate({"arch": "lenet-classic", "batch_size": 1})[1] == {}  # no batch norm: fine


@pytest.mark.slow
def test_train_refuses_batch_size_1_for_lenet_modern_in_one_line(lab_home):
    proc = subprocess.run([sys.executable, "-m", "lenet_core", "train", "--arch", "lenet-modern",
                           "--dataset", "mnist-5k", "--batch-size", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: --batch-size: 1 is too small: lenet-modern uses batch normalisation, which needs at "
        "least 2 examples a batch; choose 2 or more (or another architecture)"]
    from lenet_core.runs import RunStore

    assert RunStore(lab_home).list() == []


def test_presets_state_only_what_differs_from_the_defaults():
    from lenet_core.training.config import DEFAULTS

    assert PRESETS["tutorial"] == {}  # the defaults are the tutorial's recipe
    for name, diff in PRESETS.items():
        assert all(DEFAULTS[field] != value for field, value in diff.items()), name


def test_the_cli_flags_and_their_defaults_come_from_the_declarations(capsys):
    from lenet_core.cli import main
    from lenet_core.training.config import DEFAULTS, SETTINGS

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = "".join(capsys.readouterr().out.split())  # argparse wraps lines, even inside words
    for field, setting in SETTINGS.items():
        assert f"--{field.replace('_', '-')}" in text
        shown = {True: "on", False: "off"}.get(DEFAULTS[field], DEFAULTS[field]) \
            if isinstance(DEFAULTS[field], bool) else DEFAULTS[field]
        assert "".join(f"{setting.help} (default: {shown})".split()) in text, field


def test_best_preset_trains_with_mirror_images_and_predicts_with_them():
    best = preset("best")
    assert (best.arch, best.augment, best.test_mirror) == ("lenet-wide", "clothing", True)
    assert count_params(build_model(best.arch)) == 91_402
