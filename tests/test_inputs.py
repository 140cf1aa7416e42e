"""Pixels -> model input: one function, used by every place that runs a saved model."""

import numpy as np
import pytest
import torch

from lenet_core.model.checkpoints import CheckpointMeta
from lenet_core.model.inputs import model_input, standardise


def test_uint8_and_float_pixels_give_the_same_standardised_input():
    pixels = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    from_uint8 = standardise(pixels, 0.1307, 0.3081, "lenet-classic")
    from_float = standardise(pixels / 255.0, 0.1307, 0.3081, "lenet-classic")
    assert from_uint8.shape == (1, 1, 28, 28) and from_uint8.dtype == torch.float32
    assert torch.allclose(from_uint8, from_float, atol=1e-6)
    assert from_uint8[0, 0, 0, 0].item() == pytest.approx(-0.1307 / 0.3081, rel=1e-5)


def test_a_stack_keeps_its_length_and_lenet5_is_padded_with_zeros():
    stack = torch.full((3, 28, 28), 255, dtype=torch.uint8)
    x = standardise(stack, 0.5, 0.5, "lenet5")
    assert x.shape == (3, 1, 32, 32)
    assert torch.all(x[:, :, 2:30, 2:30] == 1.0) and torch.all(x[:, :, 0] == 0.0)


def test_model_input_follows_the_checkpoints_recorded_scaling():
    pixels = np.full((28, 28), 255, dtype=np.uint8)
    raw = CheckpointMeta("lenet-classic", "mnist-5k", list("0123456789"), 0.0, 1.0)
    standardised = CheckpointMeta("lenet-classic", "mnist-5k", list("0123456789"), 0.1307, 0.3081)
    assert model_input(pixels, raw).max().item() == pytest.approx(1.0)
    assert model_input(pixels, standardised).max().item() == pytest.approx((1 - 0.1307) / 0.3081)
