"""The architectures as data: the networks they build, parameter counts, initialisation."""

import pytest
import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.model.architectures import (
    ARCHITECTURES,
    build_model,
    count_params,
    get_architecture,
    pad_to_input,
)

# Parameter counts per layer, worked out by hand from the layer sizes (weights + biases).
EXPECTED_PARAMS = {
    "lenet-classic": {"conv1": 6 * 25 + 6, "conv2": 16 * 6 * 25 + 16, "fc1": 400 * 120 + 120,
                      "fc2": 120 * 84 + 84, "fc3": 84 * 10 + 10},
    "lenet5": {"conv1": 6 * 25 + 6, "conv2": 16 * 6 * 25 + 16, "fc1": 400 * 120 + 120,
               "fc2": 120 * 100 + 100, "fc3": 100 * 10 + 10},
}


def test_four_architectures_are_registered_each_under_100k_parameters():
    assert set(ARCHITECTURES) == {"lenet-classic", "lenet5", "lenet-modern", "lenet-wide"}
    assert {name: count_params(build_model(name)) for name in ARCHITECTURES} == {
        "lenet-classic": 61_706, "lenet5": 63_802, "lenet-modern": 62_158, "lenet-wide": 91_402}


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_network_submodules_are_named_after_the_specs(name):
    arch = ARCHITECTURES[name]
    model = build_model(arch)
    assert [n for n, _ in model.named_children()] == arch.layer_names()
    logits = model.eval()(torch.zeros(2, *arch.input_shape))
    assert logits.shape == (2, 10)


@pytest.mark.parametrize("name", list(EXPECTED_PARAMS))
def test_parameter_counts_per_layer(name):
    model = build_model(name)
    for layer, expected in EXPECTED_PARAMS[name].items():
        assert count_params(getattr(model, layer)) == expected, layer
    assert count_params(model) == sum(EXPECTED_PARAMS[name].values())


def test_classic_has_the_tutorials_61706_parameters():
    assert count_params(build_model("lenet-classic")) == 61_706


def test_lenet_modern_stays_lenet_sized():
    assert count_params(build_model("lenet-modern")) <= 100_000


def test_xavier_init_matches_the_tutorials_bounds():
    torch.manual_seed(0)
    model = build_model("lenet-classic", init="xavier")
    fc1 = model.fc1.weight
    bound = (6 / (fc1.shape[0] + fc1.shape[1])) ** 0.5
    assert fc1.abs().max() <= bound
    assert fc1.abs().max() > 0.9 * bound  # uniform over the whole range, not PyTorch's default
    torch.manual_seed(0)
    default = build_model("lenet-classic")
    assert not torch.equal(default.fc1.weight, fc1)


def test_unknown_names_are_explained():
    with pytest.raises(LabError, match="choose one of lenet-classic"):
        get_architecture("alexnet")
    with pytest.raises(LabError, match="xavier"):
        build_model("lenet5", init="he")


def test_lenet5_pads_28_to_32():
    x = torch.ones(3, 1, 28, 28)
    y = pad_to_input(x, get_architecture("lenet5"))
    assert y.shape == (3, 1, 32, 32)
    assert y[:, :, :2].abs().sum() == 0 and torch.equal(y[:, :, 2:30, 2:30], x)
    assert pad_to_input(x, get_architecture("lenet-classic")) is x


def test_kinds_cover_every_module():
    for arch in ARCHITECTURES.values():
        for spec in arch.layers:
            assert spec.kind in {"conv", "pool", "dense", "activation", "norm", "flatten"}
            assert isinstance(spec.build(), nn.Module)
