"""The inside of training (lenet_core.training.inside): every recorded figure against a hand
computation on a tiny network and batch, and the recorder inside a real run."""

import math

import pytest
import torch
from helpers import TINY
from torch import nn

from lenet_core.training import inside
from lenet_core.training.config import TrainConfig
from lenet_core.training.engine import train
from lenet_core.training.records import Recorders


def tiny(first: list[list[float]], activation: nn.Module) -> nn.Sequential:
    """fc1 (1 → 3, the given weights, no bias), then the activation."""
    model = nn.Sequential()
    model.add_module("fc1", nn.Linear(1, len(first), bias=False))
    model.add_module("act1", activation)
    with torch.no_grad():
        model.fc1.weight.copy_(torch.tensor(first))
    return model


def by_name(figures) -> dict[tuple[str, str], float]:
    return {(f.layer, f.name): f.value for f in figures}


def test_gradient_and_weight_norms_and_the_steps_update_ratio_by_hand():
    model = tiny([[3.0], [4.0], [0.0]], nn.Sigmoid())
    model.fc1.weight.grad = torch.tensor([[0.0], [0.6], [0.8]])
    found = by_name(inside.gradient_figures(model))
    assert found[("fc1", "grad_norm")] == pytest.approx(1.0)  # √(0.36 + 0.64)
    assert found[("fc1", "weight_norm")] == pytest.approx(5.0)  # √(9 + 16)
    before = inside.weights_now(model)
    with torch.no_grad():
        model.fc1.weight[2, 0] = 0.5  # a step that moved one weight by 0.5
    (moved,) = inside.update_figures(before, model)
    assert (moved.layer, moved.name) == ("fc1", "update_ratio") and moved.value == pytest.approx(0.5 / 5.0)


def test_a_sigmoids_mean_spread_and_saturated_share_by_hand():
    # x = 1 and 2 through weights 100, 0, -100: sigmoid gives 1, 0.5, 0 for each example
    model = tiny([[100.0], [0.0], [-100.0]], nn.Sigmoid())
    found = by_name(inside.activation_figures(model, torch.tensor([[1.0], [2.0]])))
    assert found[("act1", "mean")] == pytest.approx(0.5)
    # values 1, .5, 0, 1, .5, 0: squared deviations 4 × 0.25 = 1, over n − 1 = 5
    assert found[("act1", "std")] == pytest.approx(math.sqrt(1 / 5))
    assert found[("act1", "saturated")] == pytest.approx(4 / 6)  # the 1s and the 0s


def test_a_tanh_is_saturated_beyond_its_margin_and_a_relu_unit_dead_when_zero_for_every_example():
    model = tiny([[3.0], [1.0], [-3.0]], nn.Tanh())  # tanh(3) = 0.995 and tanh(−3): beyond ±0.96
    found = by_name(inside.activation_figures(model, torch.tensor([[1.0]])))
    assert found[("act1", "saturated")] == pytest.approx(2 / 3)  # tanh(1) = 0.76 is not
    model = tiny([[1.0], [-1.0], [0.0]], nn.ReLU())
    # x = 1, 2: unit 1 gives 1, 2; unit 2 gives 0, 0; unit 3 gives 0, 0
    found = by_name(inside.activation_figures(model, torch.tensor([[1.0], [2.0]])))
    assert found[("act1", "dead")] == pytest.approx(2 / 3)
    found = by_name(inside.activation_figures(model, torch.tensor([[1.0], [-2.0]])))
    assert found[("act1", "dead")] == pytest.approx(1 / 3)  # unit 2 lives for x = −2


def test_a_look_leaves_batch_norm_and_the_mode_as_they_were():
    model = nn.Sequential()
    model.add_module("fc1", nn.Linear(2, 4))
    model.add_module("bn1", nn.BatchNorm1d(4))
    model.add_module("relu1", nn.ReLU())
    model.train()
    before = model.bn1.running_mean.clone()
    inside.activation_figures(model, torch.randn(8, 2) * 5 + 3)
    assert model.training and torch.equal(model.bn1.running_mean, before)


def test_a_histogram_counts_every_value_in_equal_bins_from_the_smallest_to_the_largest():
    found = inside.histogram("fc1", "weights", torch.tensor([0.0, 1.0, 2.0, 3.0, 3.0]), bins=3)
    assert (found.low, found.high, found.counts) == (0.0, 3.0, (1, 1, 3))
    same = inside.histogram("fc1", "weights", torch.zeros(5), bins=3)
    assert sum(same.counts) == 5 and same.high > same.low


class Sink:
    def __init__(self):
        self.points, self.epochs = [], []

    def figures(self, step, epoch, figures):
        self.points.append((step, epoch, by_name(figures)))

    def histograms(self, epoch, histograms):
        self.epochs.append((epoch, histograms))


@pytest.mark.usefixtures("one_thread", "lab_home")
def test_in_a_real_run_every_point_is_measured_and_a_plain_sgd_step_moves_by_lr_times_the_gradient():
    """8 batches an epoch, two epochs: five points an epoch, histograms at each epoch's last. With
    plain SGD (no momentum, no decay) a step moves a weight by lr × its gradient, so the update
    ratio the recorder measured is lr × grad_norm / weight_norm, by the engine's own step."""
    sink = Sink()
    config = TrainConfig(**{**TINY, "batch_size": 50, "epochs": 2, "optimizer": "sgd", "lr": 0.1})
    train(config, Recorders(inside.InsideRecorder(sink)))
    assert [step for step, _, _ in sink.points] == [2, 3, 5, 6, 8, 10, 11, 13, 14, 16]
    layers = ("conv1", "conv2", "fc1", "fc2", "fc3")
    for _, _, found in sink.points:
        for layer in layers:
            expected = 0.1 * found[(layer, "grad_norm")] / found[(layer, "weight_norm")]
            assert found[(layer, "update_ratio")] == pytest.approx(expected, rel=1e-3)
        assert 0 <= found[("relu1", "dead")] <= 1 and ("relu1", "saturated") not in found
    assert [epoch for epoch, _ in sink.epochs] == [1.0, 2.0]
    shown = {(h.layer, h.kind): h for h in sink.epochs[0][1]}
    assert sum(shown[("conv1", "weights")].counts) == 6 * 1 * 5 * 5
    assert sum(shown[("relu1", "activations")].counts) == inside.SAMPLE_SIZE * 6 * 28 * 28


@pytest.mark.usefixtures("one_thread")
def test_a_run_keeps_its_inside_in_the_store_and_deleting_the_run_removes_it(lab_home):
    from helpers import finished_run

    from lenet_core import runs
    from lenet_core.runs.schema import VERSION

    run = finished_run(lab_home, "inside", batch_size=50, epochs=2)
    store = runs.RunStore(lab_home)
    assert VERSION == 5
    figures = store.inside(run.id)
    assert sorted(set(figures["step"])) == [2, 3, 5, 6, 8, 10, 11, 13, 14, 16]
    at_one = figures[figures["step"] == 8]
    assert set(at_one["layer"]) == {"conv1", "conv2", "fc1", "fc2", "fc3",
                                    "relu1", "relu2", "relu3", "relu4"}
    assert len(at_one) == 5 * 3 + 4 * 3 and at_one["epoch"].iloc[0] == 1.0
    shown = store.histograms(run.id)
    assert sorted(set(shown["epoch"])) == [1.0, 2.0] and len(shown) == 2 * (5 + 4)
    assert all(sum(counts) > 0 and len(counts) == inside.BINS for counts in shown["counts"])
    runs.delete(run.id, lab_home)
    assert store.inside(run.id).empty and store.histograms(run.id).empty
