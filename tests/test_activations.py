"""forward_all, top_k and saliency: checked against the network itself and against a network whose
answer is known by construction."""

import numpy as np
import pytest
import torch
from torch import nn

from lenet_core.inspect.activations import (
    forward_all,
    gradient_saliency,
    occlusion_saliency,
    saliency,
    top_k,
    torch_threads,
)
from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.shapes import shape_table


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_forward_all_names_every_layer_with_the_shape_table_shapes(arch):
    torch.manual_seed(0)
    model = build_model(arch).eval()
    x = torch.randn(1, *ARCHITECTURES[arch].input_shape)
    outputs, probabilities = forward_all(model, x)
    table = shape_table(arch)
    assert list(outputs) == [row.name for row in table.rows]
    assert [list(v.shape) for v in outputs.values()] == [row.output_shape[1:] for row in table.rows]
    # Child by child gives exactly what the whole network gives.
    with torch.no_grad():
        expected = torch.softmax(model(x), dim=1)[0]
    assert torch.allclose(probabilities, expected, atol=1e-6)
    assert torch.allclose(outputs[table.rows[-1].name], model(x)[0].detach(), atol=1e-6)
    assert probabilities.sum().item() == pytest.approx(1.0, abs=1e-5)


def test_forward_all_takes_an_image_with_or_without_the_batch_dimension():
    model = build_model("lenet-classic").eval()
    x = torch.randn(1, 28, 28)
    a, pa = forward_all(model, x)
    b, pb = forward_all(model, x[None])
    assert torch.equal(pa, pb) and a["conv1"].shape == (6, 28, 28)
    with pytest.raises(ValueError, match="one image"):
        forward_all(model, torch.randn(2, 1, 28, 28))


def test_lenet_classic_layer_outputs_are_what_the_tutorial_prints():
    outputs, _ = forward_all(build_model("lenet-classic").eval(), torch.zeros(1, 1, 28, 28))
    shapes = {name: tuple(v.shape) for name, v in outputs.items()}
    assert shapes["conv1"] == (6, 28, 28) and shapes["pool1"] == (6, 14, 14)
    assert shapes["conv2"] == (16, 10, 10) and shapes["pool2"] == (16, 5, 5)
    assert shapes["flatten"] == (400,) and shapes["fc3"] == (10,)


def test_top_k_orders_by_probability_and_names_classes():
    p = torch.tensor([0.04, 0.6, 0.06, 0.3, 0, 0, 0, 0, 0, 0])
    guesses = top_k(p, [str(i) for i in range(10)], k=3)
    assert [(g.label, g.name) for g in guesses] == [(1, "1"), (3, "3"), (2, "2")]
    assert guesses[0].probability == pytest.approx(0.6)
    named = top_k(p, ["zero", "one", "two", "three"] + ["x"] * 6, k=2)
    assert [g.name for g in named] == ["one", "three"]


def half_and_half_model():
    """Class 0 counts the ink in the left half, class 1 the ink in the right half."""
    linear = nn.Linear(28 * 28, 2, bias=False)
    weights = torch.zeros(2, 28, 28)
    weights[0, :, :14] = 1.0
    weights[1, :, 14:] = 1.0
    linear.weight.data = weights.reshape(2, -1) * 0.05
    return nn.Sequential(nn.Flatten(), linear).eval()


def two_bars():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 4:24, 5:8] = 1.0  # a bar on the left
    x[0, 0, 4:24, 20:23] = 1.0  # a bar on the right
    return x


@pytest.mark.parametrize("method", [occlusion_saliency, gradient_saliency])
def test_saliency_marks_the_strokes_that_support_and_oppose_the_guess(method):
    model, x = half_and_half_model(), two_bars()
    heat = method(model, x, target=0)
    assert heat.shape == (28, 28)
    assert heat[4:24, 5:8].mean() > 0  # the left bar supports class 0
    assert heat[4:24, 20:23].mean() < 0  # the right bar argues for class 1
    assert np.abs(heat[26:, :]).max() == 0  # blank background carries no evidence
    flipped = method(model, x, target=1)
    assert flipped[4:24, 20:23].mean() > 0 > flipped[4:24, 5:8].mean()


def test_saliency_crops_the_padding_of_a_32x32_input():
    torch.manual_seed(0)
    model = build_model("lenet5").eval()
    x = torch.nn.functional.pad(two_bars(), (2, 2, 2, 2))
    assert saliency(model, x, 3, "occlusion", crop=2).shape == (28, 28)
    assert saliency(model, x, 3, "gradient").shape == (32, 32)
    with pytest.raises(ValueError, match="unknown saliency"):
        saliency(model, x, 3, "magic")


def test_occlusion_of_a_blank_image_is_all_zero():
    heat = occlusion_saliency(half_and_half_model(), torch.zeros(1, 1, 28, 28), target=0)
    assert not heat.any()


def test_torch_threads_sets_and_restores_the_thread_count():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("a failure inside still restores the setting")
    assert torch.get_num_threads() == before
