"""The inside of training: what each layer does while the network learns, recorded with the run.

At each reporting point (five times an epoch, where the curves are read), for every layer with
weights (a convolution, a dense layer):

- ``grad_norm``: the L2 norm of its weight's gradient for the batch;
- ``weight_norm``: the L2 norm of its weight;
- ``update_ratio``: how far the optimizer's step moved the weight, ``‖W_after − W_before‖ /
  ‖W_before‖`` (about 1e-3 a step is the usual healthy figure; far above it, the learning rate is
  too high).

and for every activation layer (sigmoid, tanh, ReLU), on the batch (its first
:data:`ACTIVATION_EXAMPLES` examples, through the network in eval mode):

- ``mean`` and ``std`` of its outputs;
- ``saturated`` (sigmoid, tanh): the share of outputs within :data:`SATURATED` of the function's
  range from one of its bounds, where its slope is nearly 0 and a gradient through it vanishes;
- ``dead`` (ReLU): the share of units (a map's position, a dense unit) that are 0 for every
  example of the batch: no gradient reaches their weights.

Once an epoch (at its last reporting point): a histogram of each weighted layer's weights and of
each activation layer's outputs on a fixed sample of test images (the split's first
:data:`SAMPLE_SIZE`), :data:`BINS` equal bins from the smallest value to the largest.

:class:`InsideRecorder` is a :class:`~lenet_core.training.records.Recorder`: the engine hands it the
model at each reporting point (:class:`~lenet_core.training.records.InsidePoint`), and it passes
what it measured to a sink (the run store's writer). The functions below are the arithmetic,
tested against a hand computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from lenet_core.training.records import InsidePoint, Recorder

SATURATED = 0.02  # of the function's range: a sigmoid below 0.02 or above 0.98, a tanh beyond ±0.96
ACTIVATION_EXAMPLES = 256  # of the batch, through the network for the activation figures
SAMPLE_SIZE = 256  # test images the histograms of activations are taken on, the same every epoch
BINS = 40

WEIGHTED = (nn.Conv2d, nn.Linear)
BOUNDED = {nn.Sigmoid: (0.0, 1.0), nn.Tanh: (-1.0, 1.0)}  # an activation's range


@dataclass(frozen=True)
class Figure:
    """One measured value: a layer's name, what was measured, the value."""

    layer: str
    name: str
    value: float


@dataclass(frozen=True)
class Histogram:
    """One layer's values in ``len(counts)`` equal bins from ``low`` to ``high``."""

    layer: str
    kind: str  # "weights" or "activations"
    low: float
    high: float
    counts: tuple[int, ...]


class Sink(Protocol):
    """Where the figures go (the run store's writer)."""

    def figures(self, step: int, epoch: float, figures: list[Figure]) -> None: ...

    def histograms(self, epoch: float, histograms: list[Histogram]) -> None: ...


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(name, m) for name, m in model.named_children() if isinstance(m, WEIGHTED)]


def activation_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(name, m) for name, m in model.named_children() if isinstance(m, (*BOUNDED, nn.ReLU))]


def gradient_figures(model: nn.Module) -> list[Figure]:
    """Each weighted layer's gradient norm and weight norm (the gradients in place, as at an
    :class:`InsidePoint`)."""
    out = []
    for name, module in weighted_layers(model):
        grad = module.weight.grad
        out.append(Figure(name, "grad_norm", float(grad.norm()) if grad is not None else 0.0))
        out.append(Figure(name, "weight_norm", float(module.weight.detach().norm())))
    return out


def weights_now(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of each weighted layer's weight: what :func:`update_figures` measures a step from."""
    return {name: module.weight.detach().clone() for name, module in weighted_layers(model)}


def update_figures(before: dict[str, torch.Tensor], model: nn.Module) -> list[Figure]:
    """How far a step moved each weighted layer's weight, relative to where it was."""
    out = []
    for name, module in weighted_layers(model):
        if name in before:
            moved = float((module.weight.detach() - before[name]).norm())
            out.append(Figure(name, "update_ratio", moved / max(float(before[name].norm()), 1e-12)))
    return out


def _unit_dead(values: torch.Tensor) -> float:
    """The share of units (every position of the output but the batch's) that are 0 for every
    example."""
    alive = (values > 0).flatten(1).any(dim=0)
    return float(1.0 - alive.float().mean())


def _saturated(values: torch.Tensor, bounds: tuple[float, float]) -> float:
    low, high = bounds
    margin = SATURATED * (high - low)
    return float(((values < low + margin) | (values > high - margin)).float().mean())


def layer_outputs(model: nn.Module, x: torch.Tensor, layers: list[str]) -> dict[str, torch.Tensor]:
    """Each named child's output for ``x``, in eval mode without gradients; the model is given back
    in the mode it was in (a look must not move batch norm's running statistics)."""
    wanted, found = set(layers), {}
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for name, module in model.named_children():
                x = module(x)
                if name in wanted:
                    found[name] = x.float()
    finally:
        model.train(was_training)
    return found


def activation_figures(model: nn.Module, x: torch.Tensor) -> list[Figure]:
    """Each activation layer's mean, std and saturated or dead share for the images ``x``."""
    layers = activation_layers(model)
    outputs = layer_outputs(model, x, [name for name, _ in layers])
    out = []
    for name, module in layers:
        values = outputs[name]
        out += [Figure(name, "mean", float(values.mean())), Figure(name, "std", float(values.std()))]
        if isinstance(module, nn.ReLU):
            out.append(Figure(name, "dead", _unit_dead(values)))
        else:
            out.append(Figure(name, "saturated", _saturated(values, BOUNDED[type(module)])))
    return out


def histogram(layer: str, kind: str, values: torch.Tensor, bins: int = BINS) -> Histogram:
    values = values.detach().float().flatten().cpu()
    low, high = float(values.min()), float(values.max())
    if high <= low:
        high = low + 1e-6  # every value the same: one full bin
    counts = torch.histc(values, bins=bins, min=low, max=high)
    return Histogram(layer, kind, low, high, tuple(int(c) for c in counts))


def histograms(model: nn.Module, sample: torch.Tensor) -> list[Histogram]:
    """Each weighted layer's weights, and each activation layer's outputs on ``sample``."""
    found = [histogram(name, "weights", module.weight) for name, module in weighted_layers(model)]
    layers = [name for name, _ in activation_layers(model)]
    outputs = layer_outputs(model, sample, layers)
    return found + [histogram(name, "activations", outputs[name]) for name in layers]


class InsideRecorder(Recorder):
    """Measures the inside of the network at each reporting point and hands it to ``sink``.

    At :meth:`inside` (after the backward pass, before the step): gradient and weight norms,
    activation figures on the batch, a copy of the weights, and at an epoch's last point the
    histograms. At the same point's :meth:`metrics` (after the step): the update ratios; then the
    point's figures go to the sink together."""

    def __init__(self, sink: Sink):
        self.sink = sink
        self.pending: _Pending | None = None

    def start(self, info) -> None:
        self.pending = None

    def inside(self, point: InsidePoint) -> None:
        model = point.model
        figures = gradient_figures(model) + activation_figures(model, point.x[:ACTIVATION_EXAMPLES])
        self.pending = _Pending(point.step, point.epoch, figures, weights_now(model), model)
        if point.test_x is not None and point.last_of_epoch:
            self.sink.histograms(point.epoch, histograms(model, point.test_x[:SAMPLE_SIZE]))

    def metrics(self, step, epoch, values, wall_time) -> None:
        pending, self.pending = self.pending, None
        if pending is None or pending.step != step or "train_loss" not in values:
            return
        moved = update_figures(pending.before, pending.model)
        self.sink.figures(step, pending.epoch, pending.figures + moved)


@dataclass
class _Pending:
    """A reporting point measured before the optimizer's step, waiting for the step's update."""

    step: int
    epoch: float
    figures: list[Figure]
    before: dict[str, torch.Tensor]
    model: nn.Module
