"""One unit of one layer, taken apart: what it reads, what it multiplies, and what it gives.

Adam Harley's 3D LeNet shows, for a clicked unit, the input patch it reads, the filter, the
weighted sum and the result. :func:`inspect_unit` gives the same numbers for any unit of any of
our architectures: the receptive field in the input (composed back through every convolution and
pooling layer, padding included), the slice of the previous layer's output the unit reads, its
weights and bias, the rule it applies (sigmoid, tanh, ReLU, average or max pooling, batch norm,
dropout, flatten) and the value. The value is computed here from those numbers, in float64, so
that a test can check it against the real forward pass: if they agree, the explanation is the
computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.format import format_fixed
from lenet_core.model.architectures import Architecture, LayerSpec, pad_to_input
from lenet_core.model.shapes import shape_table

INPUT = "input"  # the name of the model's input where a layer name is expected


@dataclass(frozen=True)
class Box:
    """Rows ``top..bottom`` and columns ``left..right``, both ends included."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    def shifted(self, dy: int, dx: int) -> Box:
        return Box(self.top + dy, self.left + dx, self.bottom + dy, self.right + dx)

    def clipped(self, height: int, width: int) -> Box:
        return Box(max(self.top, 0), max(self.left, 0), min(self.bottom, height - 1),
                   min(self.right, width - 1))

    def describe(self) -> str:
        return f"rows {self.top}–{self.bottom}, columns {self.left}–{self.right}"


@dataclass
class UnitReport:
    """Everything one unit does, as plain numbers (NumPy arrays, floats, strings)."""

    layer: str
    module: str  # the torch.nn class name, e.g. "Conv2d"
    kind: str  # conv, pool, activation, norm, dropout, flatten, dense (LayerSpec.kind)
    unit: tuple[int, ...]  # (channel, y, x) for maps, (index,) for vectors
    source: str  # the layer whose output this unit reads, or "input"
    inputs: np.ndarray  # what it reads: cin×k×k, k×k, a vector, or one value
    source_box: Box | None  # where ``inputs`` sit in the source's output (may reach into padding)
    receptive_field: Box  # in model-input coordinates (32×32 for lenet5), may reach into padding
    image_field: Box  # the same region on the image (28×28, or the dataset's side), clipped to it
    rule: str  # the rule in one line, e.g. "sigmoid(z) = 1 / (1 + e^−z)"
    value: float  # computed from the numbers above
    weights: np.ndarray | None = None  # same shape as ``inputs`` (conv, dense)
    bias: float | None = None
    weighted_sum: float | None = None  # Σ w·x, before the bias
    params: dict[str, float] = field(default_factory=dict)  # batch norm statistics and affine
    steps: list[str] = field(default_factory=list)  # the calculation, one line a step

    @property
    def name(self) -> str:
        """``conv1 map 0, row 14, column 14`` or ``fc3 unit 7``: everything counts from 0, as
        PyTorch indexes the layer's output (``output[0, map, row, column]``), on every page."""
        if len(self.unit) == 3:
            c, y, x = self.unit
            return f"{self.layer} map {c}, row {y}, column {x}"
        return f"{self.layer} unit {self.unit[0]}"

    @property
    def pre_activation(self) -> float | None:
        """Σ w·x + b for a convolution or dense unit."""
        if self.weighted_sum is None:
            return None
        return self.weighted_sum + (self.bias or 0.0)


# ---- shapes and receptive fields --------------------------------------------------------------

def output_shapes(arch: Architecture) -> dict[str, tuple[int, ...]]:
    """Each layer's output shape for one input, without the batch: ``{"conv1": (6, 28, 28)}``."""
    return {row.name: tuple(row.output_shape[1:]) for row in shape_table(arch).rows}


def _window(spec: LayerSpec) -> tuple[int, int, int] | None:
    """(kernel, stride, padding) of a layer that reads a spatial window; None for per-value ones."""
    if spec.module == "Conv2d":
        return spec.args["kernel_size"], spec.args.get("stride", 1), spec.args.get("padding", 0)
    if spec.module in ("AvgPool2d", "MaxPool2d"):
        k = spec.args["kernel_size"]
        return k, spec.args.get("stride") or k, spec.args.get("padding", 0)
    return None


def _layer_index(arch: Architecture, layer: str) -> int:
    names = arch.layer_names()
    if layer not in names:
        raise LabError(f"{arch.name} has no layer {layer!r}: choose one of {', '.join(names)}")
    return names.index(layer)


def _flatten_index(arch: Architecture) -> int:
    return next((i for i, s in enumerate(arch.layers) if s.module == "Flatten"), len(arch.layers))


def receptive_field(arch: Architecture, layer: str, y: int, x: int) -> Box:
    """The input pixels that can reach unit (y, x) of ``layer``'s maps, in model-input coordinates.

    Walk back from the layer to the input: a window of kernel k, stride s and padding p maps output
    rows a..b to input rows a·s − p .. b·s − p + k − 1. Layers that act on one value at a time
    (activations, batch norm) keep the box as it is. The box may reach into the zero padding.
    """
    index = _layer_index(arch, layer)
    if index >= _flatten_index(arch):
        raise LabError(f"{layer} is a vector layer: every unit sees the whole input")
    top, bottom, left, right = y, y, x, x
    for spec in reversed(arch.layers[: index + 1]):
        window = _window(spec)
        if window is None:
            continue
        k, s, p = window
        top, bottom = top * s - p, bottom * s - p + k - 1
        left, right = left * s - p, right * s - p + k - 1
    return Box(top, left, bottom, right)


def _whole_input(arch: Architecture) -> Box:
    return Box(0, 0, arch.input_size - 1, arch.input_size - 1)


def _image_box(arch: Architecture, box: Box, side: int) -> Box:
    """A model-input box on the ``side``×``side`` image: lenet5's input is a 28×28 image padded by 2."""
    pad = arch.pad_for(side)
    return box.shifted(-pad, -pad).clipped(side, side)


def check_unit(arch: Architecture, layer: str, unit: tuple[int, ...]) -> tuple[int, ...]:
    """``unit`` as a tuple of ints that exists in ``layer``, or a LabError that says the range."""
    shape = output_shapes(arch)[arch.layers[_layer_index(arch, layer)].name]
    unit = tuple(int(i) for i in unit)
    if len(unit) != len(shape):
        wanted = "(channel, y, x)" if len(shape) == 3 else "(unit,)"
        raise LabError(f"{layer} outputs {'×'.join(map(str, shape))}: give a unit as {wanted}")
    names = ("channel", "row y", "column x") if len(shape) == 3 else ("unit",)
    for name, i, n in zip(names, unit, shape):
        if not 0 <= i < n:
            raise LabError(f"{layer}: {name} {i} is out of range: choose 0–{n - 1}")
    return unit


# ---- the unit ---------------------------------------------------------------------------------

def first_layer_input(arch: Architecture, x: torch.Tensor) -> torch.Tensor:
    """One input as the first layer takes it: 1×C×S×S, a 28×28 image padded for lenet5."""
    x = x.detach().to("cpu", torch.float32)
    while x.dim() < 4:
        x = x.unsqueeze(0)
    if x.shape[-1] != arch.input_size:
        x = pad_to_input(x, arch)
    return x


def _one(t: torch.Tensor) -> torch.Tensor:
    """Drop the batch dimension of a 1-sample output (1×C×H×W -> C×H×W, 1×N -> N)."""
    t = t.detach().to("cpu", torch.float64)
    return t[0] if t.dim() in (2, 4) else t


def inspect_unit(model: nn.Sequential, arch: Architecture, x: torch.Tensor,
                 outputs: dict[str, torch.Tensor], layer: str, unit: tuple[int, ...],
                 image_side: int = 28) -> UnitReport:
    """Take apart unit ``unit`` of ``layer`` for input ``x``.

    ``outputs`` is every layer's output for ``x`` (``activations.forward_all``); the unit reads
    the previous layer's output (or ``x``) from it, and its value is recomputed from scratch.
    """
    index = _layer_index(arch, layer)
    unit = check_unit(arch, layer, unit)
    spec = arch.layers[index]
    module = getattr(model, spec.name)
    source = INPUT if index == 0 else arch.layers[index - 1].name
    if source == INPUT:
        before = _one(first_layer_input(arch, x))
    else:
        if source not in outputs:
            raise LabError(f"no output for {source}: pass every layer's output (forward_all)")
        before = _one(outputs[source])
    explain = _EXPLAINERS[spec.module]
    report = explain(module, before, unit)
    report.layer, report.module, report.kind, report.unit, report.source = (
        spec.name, spec.module, spec.kind, unit, source)
    if index < _flatten_index(arch):
        report.receptive_field = receptive_field(arch, layer, unit[1], unit[2])
    elif spec.module == "Flatten":
        c, h, w = before.shape
        row, col = (int(v) for v in np.unravel_index(unit[0], (c, h, w))[1:])
        # flattening the input itself (a network of dense layers only): the unit is one pixel
        report.receptive_field = (Box(row, col, row, col) if source == INPUT
                                  else receptive_field(arch, source, row, col))
    else:
        report.receptive_field = _whole_input(arch)
    report.image_field = _image_box(arch, report.receptive_field, image_side)
    return report


def _new(inputs, rule, value, **kw) -> UnitReport:
    """A report with the layer-independent fields left for :func:`inspect_unit` to fill."""
    empty = Box(0, 0, 0, 0)
    return UnitReport(layer="", module="", kind="", unit=(), source="", inputs=np.asarray(inputs),
                      source_box=kw.pop("source_box", None), receptive_field=empty,
                      image_field=empty, rule=rule, value=float(value), **kw)


def _padded_window(maps: torch.Tensor, y: int, x: int, k: int, s: int, p: int
                   ) -> tuple[torch.Tensor, Box]:
    """The k×k window (all channels) that output (y, x) reads, zeros where it reaches padding."""
    top, left = y * s - p, x * s - p
    padded = nn.functional.pad(maps, (p, p, p, p)) if p else maps
    patch = padded[:, top + p: top + p + k, left + p: left + p + k]
    return patch, Box(top, left, top + k - 1, left + k - 1)


# Decimals in the written steps: two more than the page shows the value with, so that the value
# is what the written numbers give by hand.
DIGITS = 6


def format_number(v: float) -> str:
    """A number as the steps write it: ``DIGITS`` decimals, a true minus sign."""
    return format_fixed(v, DIGITS)


_fmt = format_number  # the step strings are long enough


def _bias_step(weighted: float, bias: float) -> str:
    """``+ bias b = z``, z being the sum of the two numbers *as written*: a person adding them by
    hand gets exactly z (the exact sum, rounded on its own, can differ in the last decimal)."""
    return f"+ bias {_fmt(bias)} = {_fmt(round(weighted, DIGITS) + round(bias, DIGITS))}"


def _term(v: float) -> str:
    """A number to subtract: in parentheses when negative, so "− (−0.5)" never reads "− −0.5"."""
    return f"({_fmt(v)})" if v < 0 else _fmt(v)


def _explain_conv(module: nn.Conv2d, before, unit) -> UnitReport:
    c, y, x = unit
    (k, _), (s, _), (p, _) = module.kernel_size, module.stride, module.padding
    patch, box = _padded_window(before, y, x, k, s, p)
    weights = module.weight.detach().to(torch.float64)[c]
    bias = float(module.bias.detach()[c]) if module.bias is not None else 0.0
    weighted = float((patch * weights).sum())
    value = weighted + bias
    n = weights.numel()
    return _new(patch.numpy(), "z = Σ w·x + b over every input channel of the window", value,
                source_box=box, weights=weights.numpy(), bias=bias, weighted_sum=weighted,
                steps=[f"Σ w·x over {n} inputs ({patch.shape[0]} channel{'s' * (patch.shape[0] > 1)}"
                       f" × {k}×{k}) = {_fmt(weighted)}",
                       _bias_step(weighted, bias)])


def _explain_dense(module: nn.Linear, before, unit) -> UnitReport:
    (j,) = unit
    weights = module.weight.detach().to(torch.float64)[j]
    bias = float(module.bias.detach()[j]) if module.bias is not None else 0.0
    weighted = float((before * weights).sum())
    value = weighted + bias
    return _new(before.numpy(), "z = Σ w·x + b over every input", value, weights=weights.numpy(),
                bias=bias, weighted_sum=weighted,
                steps=[f"Σ w·x over {weights.numel()} inputs = {_fmt(weighted)}",
                       _bias_step(weighted, bias)])


def _explain_pool(module, before, unit) -> UnitReport:
    c, y, x = unit
    k, s, p = (_single(v) for v in (module.kernel_size, module.stride, module.padding))
    patch, box = _padded_window(before[c: c + 1], y, x, k, s, p)
    patch = patch[0]
    if isinstance(module, nn.MaxPool2d):
        value = float(patch.max())
        dy, dx = np.unravel_index(int(patch.argmax()), patch.shape)
        step = f"max of the {k}×{k} window = {_fmt(value)} (at row {box.top + dy}, column {box.left + dx})"
        rule = f"max pooling: the largest of the {k}×{k} values"
    else:
        value = float(patch.mean())
        step = f"mean of the {k}×{k} window = {_fmt(float(patch.sum()))} / {patch.numel()} = {_fmt(value)}"
        rule = f"average pooling: the mean of the {k}×{k} values"
    return _new(patch.numpy(), rule, value, source_box=box, steps=[step])


def _single(v) -> int:
    """A pooling argument as one int (torch allows ``2`` or ``(2, 2)``; ours are square)."""
    return int(v[0] if isinstance(v, (tuple, list)) else v)


def _value_at(before, unit) -> tuple[float, Box | None]:
    if len(unit) == 3:
        c, y, x = unit
        return float(before[c, y, x]), Box(y, x, y, x)
    return float(before[unit[0]]), None


_ACTIVATIONS = {
    "Sigmoid": ("sigmoid(z) = 1 / (1 + e^−z)", lambda z: 1.0 / (1.0 + np.exp(-z)), "sigmoid"),
    "Tanh": ("tanh(z) = (e^z − e^−z) / (e^z + e^−z)", np.tanh, "tanh"),
    "ReLU": ("relu(z) = max(0, z)", lambda z: max(0.0, z), "relu"),
}


def _explain_activation(module, before, unit) -> UnitReport:
    rule, fn, name = _ACTIVATIONS[type(module).__name__]
    z, box = _value_at(before, unit)
    value = float(fn(z))
    return _new(np.array(z), rule, value, source_box=box, steps=[f"{name}({_fmt(z)}) = {_fmt(value)}"])


def _explain_norm(module, before, unit) -> UnitReport:
    """Batch norm in eval mode: the running statistics, then the learned scale and shift."""
    z, box = _value_at(before, unit)
    c = unit[0]
    mean, var = float(module.running_mean[c]), float(module.running_var[c])
    gamma = float(module.weight.detach()[c]) if module.affine else 1.0
    beta = float(module.bias.detach()[c]) if module.affine else 0.0
    normed = (z - mean) / np.sqrt(var + module.eps)
    value = normed * gamma + beta
    return _new(np.array(z), "batch norm: (z − running mean) / √(running var + ε) · γ + β", value,
                source_box=box,
                params={"running_mean": mean, "running_var": var, "eps": module.eps,
                        "gamma": gamma, "beta": beta},
                steps=[f"({_fmt(z)} − {_term(mean)}) / √({_fmt(var)} + {module.eps:g}) = {_fmt(normed)}",
                       f"· γ {_fmt(gamma)} + β {_fmt(beta)} = {_fmt(value)}"])


def _explain_dropout(module, before, unit) -> UnitReport:
    """Dropout in eval mode: the value passes unchanged (only training drops and rescales)."""
    z, box = _value_at(before, unit)
    return _new(np.array(z), f"dropout: zeroes a share {module.p:g} of values while training only; "
                "here the value passes unchanged", z, source_box=box,
                steps=[f"dropout (not training): {_fmt(z)} = {_fmt(z)}"])


def _explain_flatten(module, before, unit) -> UnitReport:
    (i,) = unit
    c, y, x = (int(v) for v in np.unravel_index(i, tuple(before.shape)))
    value = float(before[c, y, x])
    return _new(np.array(value), f"flatten: position {i} = {c}·{before.shape[1] * before.shape[2]} + "
                f"{y}·{before.shape[2]} + {x} holds map {c}, row {y}, column {x}",
                value, source_box=Box(y, x, y, x),
                params={"channel": c, "y": y, "x": x},
                steps=[f"value of map {c} at row {y}, column {x} = {_fmt(value)}"])


_EXPLAINERS = {
    "Conv2d": _explain_conv,
    "Linear": _explain_dense,
    "AvgPool2d": _explain_pool,
    "MaxPool2d": _explain_pool,
    "Sigmoid": _explain_activation,
    "Tanh": _explain_activation,
    "ReLU": _explain_activation,
    "BatchNorm2d": _explain_norm,
    "BatchNorm1d": _explain_norm,
    "Flatten": _explain_flatten,
    "Dropout": _explain_dropout,
}


def partial_sums(report: UnitReport) -> np.ndarray | None:
    """Σ w·x per input channel of a convolution unit: which input maps push it up or down."""
    if report.module != "Conv2d" or report.weights is None:
        return None
    return (report.inputs * report.weights).reshape(report.inputs.shape[0], -1).sum(axis=1)


def top_contributions(report: UnitReport, top: int = 10) -> pd.DataFrame:
    """The inputs of a dense unit whose w·x move it most, largest magnitude first."""
    x, w = np.asarray(report.inputs, np.float64), np.asarray(report.weights, np.float64)
    products = x * w
    order = np.argsort(-np.abs(products))[:top]
    return pd.DataFrame({"input": order, "x": x[order], "w": w[order], "w·x": products[order]})
