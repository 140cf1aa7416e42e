"""The unit inspector's numbers reproduce the real forward pass, for every layer of every LeNet."""

import re
from decimal import Decimal

import numpy as np
import pytest
import torch
from torch import nn

from lenet_core.data import get_dataset, load_split
from lenet_core.errors import LabError
from lenet_core.inspect.activations import forward_all
from lenet_core.inspect.unit import Box, inspect_unit, output_shapes, partial_sums, receptive_field
from lenet_core.model.architectures import ARCHITECTURES, build_model, pad_to_input
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.model.inputs import standardise


def _trained_looking(arch_name: str) -> nn.Sequential:
    """A network with random weights and non-trivial batch-norm statistics, in eval mode."""
    torch.manual_seed(1)
    model = build_model(arch_name)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.3, 0.3)
    return model.eval()


def _digit(arch) -> torch.Tensor:
    images, _ = load_split("mnist-5k", "test")
    info = get_dataset("mnist-5k")
    return standardise(images[:1], info.mean, info.std, arch)


def _setup(arch_name: str):
    """(arch, model, x, forward_all's outputs) for one real digit."""
    arch = ARCHITECTURES[arch_name]
    model = _trained_looking(arch_name)
    x = _digit(arch)
    outputs, _ = forward_all(model, x)
    return arch, model, x, outputs


def _units(shape, rng):
    """Corners (padding lives there), the centre, and a few random units of an output shape."""
    if len(shape) == 1:
        return [(0,), (shape[0] - 1,)] + [(int(rng.integers(shape[0])),) for _ in range(3)]
    c, h, w = shape
    fixed = [(0, 0, 0), (c - 1, h - 1, w - 1), (0, 0, w - 1), (c // 2, h // 2, w // 2)]
    return fixed + [tuple(int(rng.integers(n)) for n in shape) for _ in range(3)]


@pytest.mark.parametrize("arch_name", list(ARCHITECTURES))
def test_every_unit_kind_reproduces_forward_all(arch_name):
    arch, model, x, outputs = _setup(arch_name)
    rng = np.random.default_rng(0)
    checked = set()
    for layer, shape in output_shapes(arch).items():
        for unit in _units(shape, rng):
            report = inspect_unit(model, arch, x, outputs, layer, unit)
            expected = float(outputs[layer][unit])
            assert report.value == pytest.approx(expected, abs=1e-5), (layer, unit)
            checked.add(report.module)
    assert checked == {spec.module for spec in arch.layers}


def test_bundled_model_units_reproduce_forward_all():
    model, meta = load_model(pretrained_path())
    arch = ARCHITECTURES[meta.arch]
    x = _digit(arch)
    outputs, _ = forward_all(model, x)
    last = list(output_shapes(arch))[-1]  # the output layer
    for layer, unit in [("conv1", (2, 14, 14)), ("conv2", (5, 4, 7)), ("fc1", (17,)), (last, (7,))]:
        assert inspect_unit(model, arch, x, outputs, layer, unit).value == \
            pytest.approx(float(outputs[layer][unit]), abs=1e-5)


def test_conv_unit_numbers_add_up_by_hand():
    arch, model, x, outputs = _setup("lenet-classic")
    report = inspect_unit(model, arch, x, outputs, "conv2", (3, 2, 4))
    # conv2 reads pool1's six 14×14 maps through a 5×5 window starting at (2, 4)
    assert report.source == "pool1"
    assert report.inputs.shape == (6, 5, 5) and report.weights.shape == (6, 5, 5)
    assert report.source_box == Box(2, 4, 6, 8)
    np.testing.assert_allclose(report.inputs, outputs["pool1"][:, 2:7, 4:9].double().numpy())
    by_hand = float((report.inputs * report.weights).sum()) + float(model.conv2.bias.detach()[3])
    assert report.pre_activation == pytest.approx(by_hand)
    assert partial_sums(report).sum() == pytest.approx(report.weighted_sum)
    assert "+ bias" in report.steps[-1]


def test_padding_reads_zeros_at_the_border():
    arch, model, x, outputs = _setup("lenet-classic")
    report = inspect_unit(model, arch, x, outputs, "conv1", (0, 0, 0))
    assert report.source_box == Box(-2, -2, 2, 2)
    assert np.all(report.inputs[0, :2, :] == 0) and np.all(report.inputs[0, :, :2] == 0)
    assert report.image_field == Box(0, 0, 2, 2)


def test_receptive_fields_compose_through_conv_and_pool():
    classic, lenet5 = ARCHITECTURES["lenet-classic"], ARCHITECTURES["lenet5"]
    assert receptive_field(classic, "conv1", 10, 10) == Box(8, 8, 12, 12)
    assert receptive_field(classic, "pool1", 3, 3) == Box(4, 4, 9, 9)  # 2×2 window of 5×5 fields
    # conv2 at (0, 0): pool1 rows 0-4 -> conv1 rows 0-9 -> input rows -2..11 (padding 2)
    assert receptive_field(classic, "conv2", 0, 0) == Box(-2, -2, 11, 11)
    # pool2 (4, 4): conv2 rows 8-9 -> pool1 8-13 -> conv1 16-27 -> input 14-29 (2 rows of padding)
    assert receptive_field(classic, "pool2", 4, 4) == Box(14, 14, 29, 29)
    # lenet5 has no padding in conv1: its 32×32 input is the image padded by 2
    assert receptive_field(lenet5, "conv2", 0, 0) == Box(0, 0, 13, 13)
    _, model, x, outputs = _setup("lenet5")
    report = inspect_unit(model, lenet5, x, outputs, "conv2", (0, 0, 0))
    assert report.image_field == Box(0, 0, 11, 11)  # shifted by the padding, clipped to 28×28


def test_dense_flatten_pool_and_activation_reports():
    arch, model, x, outputs = _setup("lenet-modern")
    fc1 = inspect_unit(model, arch, x, outputs, "fc1", (5,))
    assert fc1.inputs.shape == (400,) and fc1.weights.shape == (400,)
    assert fc1.receptive_field == Box(0, 0, 27, 27)
    flat = inspect_unit(model, arch, x, outputs, "flatten", (26,))  # channel 1, row 0, column 1
    assert flat.params == {"channel": 1, "y": 0, "x": 1}
    assert flat.steps[0].startswith("value of map 1 at row 0, column 1")  # from 0, as PyTorch indexes
    assert flat.value == pytest.approx(float(outputs["pool2"][1, 0, 1]))
    pool = inspect_unit(model, arch, x, outputs, "pool1", (2, 5, 6))
    assert pool.inputs.shape == (2, 2) and "max" in pool.rule
    assert pool.value == pytest.approx(float(pool.inputs.max()))
    bn = inspect_unit(model, arch, x, outputs, "bn3", (4,))
    assert set(bn.params) == {"running_mean", "running_var", "eps", "gamma", "beta"}
    relu = inspect_unit(model, arch, x, outputs, "relu3", (4,))
    assert relu.inputs == pytest.approx(bn.value) and relu.value == pytest.approx(max(0.0, bn.value))


def test_a_28x28_input_is_padded_for_lenet5():
    arch = ARCHITECTURES["lenet5"]
    model = _trained_looking("lenet5")
    images, _ = load_split("mnist-5k", "test")
    info = get_dataset("mnist-5k")
    small = standardise(images[:1], info.mean, info.std, "lenet-classic")  # 1×1×28×28, not yet padded
    outputs, _ = forward_all(model, pad_to_input(small, arch))
    report = inspect_unit(model, arch, small, outputs, "conv1", (1, 3, 3))
    assert report.value == pytest.approx(float(outputs["conv1"][1, 3, 3]), abs=1e-5)


@pytest.mark.parametrize("layer, unit, words", [
    ("conv1", (6, 0, 0), "channel 6 is out of range: choose 0–5"),
    ("conv1", (0, 28, 0), "row y 28 is out of range: choose 0–27"),
    ("fc1", (120,), "unit 120 is out of range: choose 0–119"),
    ("fc1", (1, 2, 3), "give a unit as (unit,)"),
    ("conv9", (0, 0, 0), "has no layer 'conv9'"),
])
def test_out_of_range_units_are_explained(layer, unit, words):
    arch, model, x, outputs = _setup("lenet-classic")
    with pytest.raises(LabError, match=words.replace("(", r"\(").replace(")", r"\)")):
        inspect_unit(model, arch, x, outputs, layer, unit)


def _written(number: str) -> Decimal:
    return Decimal(number.replace("−", "-"))


def test_the_written_weighted_sum_and_bias_add_up_by_hand():
    # Rounded on their own, 0.0882 + (−0.1772) was shown as "= −0.0889": a hand check failed.
    arch, model, x, outputs = _setup("lenet-classic")
    units = [("conv1", (c, y, 14)) for c in range(6) for y in range(0, 28, 3)]
    units += [("fc1", (j,)) for j in range(0, 120, 4)] + [("fc3", (j,)) for j in range(10)]
    for layer, unit in units:
        report = inspect_unit(model, arch, x, outputs, layer, unit)
        weighted = _written(report.steps[0].rsplit("= ", 1)[1])
        bias, total = re.fullmatch(r"\+ bias (\S+) = (\S+)", report.steps[1]).groups()
        assert weighted + _written(bias) == _written(total), (layer, unit, report.steps)
        assert abs(float(_written(total)) - report.value) < 2e-6  # and it is the unit's value


def test_a_unit_is_named_with_maps_counted_from_one():
    arch, model, x, outputs = _setup("lenet-classic")
    assert inspect_unit(model, arch, x, outputs, "conv2", (3, 2, 9)).name == "conv2 map 3, row 2, column 9"
    assert inspect_unit(model, arch, x, outputs, "fc1", (17,)).name == "fc1 unit 17"
