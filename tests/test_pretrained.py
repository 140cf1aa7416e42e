"""The bundled digit model: small, accurate on the mnist-5k test split, and documented truthfully
(its README states the accuracy measured here and the exact command that made it)."""

import re
import shlex

import torch

from lenet_core.data import load_split
from lenet_core.model.checkpoints import PRETRAINED_DIR, load_model, pretrained_path
from lenet_core.model.inputs import model_input
from lenet_core.training.config import TrainConfig

README = PRETRAINED_DIR / "README.md"


def test_the_bundled_model_is_small_and_loads_weights_only():
    path = pretrained_path("digits")
    assert path.is_file() and path.stat().st_size <= 2**20
    model, meta = load_model(path)
    assert meta.dataset == "mnist-5k" and meta.classes == [str(d) for d in range(10)]
    assert not model.training


def accuracy(model, meta) -> float:
    images, labels = load_split("mnist-5k", "test")
    x = model_input(images, meta)
    with torch.inference_mode():
        predictions = model(x).argmax(dim=1)
    return (predictions == labels).float().mean().item()


def test_the_bundled_model_reaches_99_percent_on_the_mnist5k_test_split():
    model, meta = load_model(pretrained_path("digits"))
    measured = accuracy(model, meta)
    assert measured >= 0.99
    assert abs(measured - meta.metrics["test_acc"]) < 0.0015  # what training recorded
    stated = re.search(r"test accuracy[^0-9]*(\d+\.\d)\s*%", README.read_text(), re.IGNORECASE)
    assert stated and float(stated.group(1)) == round(measured * 100, 1)


def same(recorded, given) -> bool:
    """A flag's text against the value the checkpoint recorded (``5e-4`` is ``0.0005``)."""
    if isinstance(recorded, (int, float)) and not isinstance(recorded, bool):
        return float(recorded) == float(given)
    return str(recorded) == str(given)


def test_the_readme_command_is_the_one_that_made_the_model():
    _, meta = load_model(pretrained_path("digits"))
    command = re.search(r"^python -m lenet_core train (.+)$", README.read_text(), re.MULTILINE)
    assert command, "README must give the exact train command"
    args = shlex.split(command.group(1))
    flags: dict[str, object] = {}
    while args:
        flag = args.pop(0)
        assert flag.startswith("--")
        if args and not args[0].startswith("--"):
            flags[flag[2:].replace("-", "_")] = args.pop(0)
        else:
            flags[flag[2:].replace("-", "_")] = True
    flags.pop("name", None)
    flags.pop("json", None)
    config = TrainConfig.from_dict(meta.config).to_dict()  # as today's settings read it
    for key, value in flags.items():
        assert same(config[key], value), f"--{key} {value} but the model was trained with {config[key]}"
    # Everything that differs from the defaults is in the command (nothing hidden in a preset).
    defaults = TrainConfig().to_dict()
    for key, value in config.items():
        if value != defaults.get(key):
            assert key in flags, f"the command leaves out --{key.replace('_', '-')} {value}"
