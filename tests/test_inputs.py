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


def test_a_run_with_test_time_mirror_predicts_with_the_average_of_both_views_everywhere():
    """evaluate (the Training page, the Explorer, the gallery), forward_all (Draw, predict, the
    layer views) and the epoch trace all give the mirrored run's guesses from both views."""
    from lenet_core.inspect.activations import forward_all
    from lenet_core.inspect.explore import epoch_trace
    from lenet_core.model.architectures import build_model
    from lenet_core.model.inputs import class_probabilities, mirrored
    from lenet_core.training.evaluation import evaluate

    torch.manual_seed(0)
    model = build_model("lenet-wide").eval()
    meta = CheckpointMeta(arch="lenet-wide", dataset="fashion-mnist", classes=[str(i) for i in range(10)],
                          mean=0.3, std=0.35, config={"test_mirror": True})
    plain = CheckpointMeta(**{**meta.__dict__, "config": {"test_mirror": False}})
    assert mirrored(meta) and not mirrored(plain) and not mirrored(None)
    pixels = torch.randint(0, 256, (64, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (64,))
    x = model_input(pixels, meta)
    with torch.inference_mode():
        both = (torch.softmax(model(x), 1) + torch.softmax(model(x.flip(3)), 1)) / 2
        assert torch.allclose(class_probabilities(model, x, mirror=True), both, atol=1e-6)
        assert torch.allclose(class_probabilities(model, x, mirror=False), torch.softmax(model(x), 1))
    result = evaluate(model, pixels, labels, meta=meta)
    assert torch.equal(result.predictions, both.argmax(1))
    nll = -both[torch.arange(64), labels].log().mean()
    assert result.loss == pytest.approx(float(nll), rel=1e-5)
    single = evaluate(model, pixels, labels, meta=plain)
    assert not torch.equal(single.confidences, result.confidences)  # the mirror changed something
    _, p = forward_all(model, x[0], mirror=mirrored(meta))
    assert torch.allclose(p, both[0], atol=1e-6)
    trace = epoch_trace([(1, model, meta)], pixels[0], int(labels[0]))
    assert trace["confidence"][0] == pytest.approx(float(both[0].max()), rel=1e-5)
