"""What a network must satisfy to be trained and drawn here, checked before anything trains.

The grammar bounds each layer (maps, window, stride); these bound the whole network on the
machine this lab is built for (two CPU cores, a few GB of memory), and tie its output to the
dataset it learns. Each check gives one line that states the limit.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cache

from lenet_core.model.architectures import Architecture, LayerSpec
from lenet_core.model.grammar import Input, layers_text, parse_layers

# A batch of 256 keeps every layer's output for the backward pass: 300,000 values an image is
# 300 MB of float32 a batch forward, about 1 GB with the gradients. LeNet has 10,000 to 50,000.
MAX_UNITS = 300_000
# lenet-classic has 61,706 parameters; 2 million trains at a few hundred images a second here.
MAX_PARAMS = 2_000_000


def output_width(arch: Architecture) -> int:
    """How many outputs the network gives: its last dense layer's units."""
    return int(arch.layers[-1].args["out_features"])


def with_outputs(arch: Architecture, classes: int) -> Architecture:
    """``arch`` ending in one output per class (the same network when it already does): a network
    chosen by name follows the dataset it learns, whatever its number of classes."""
    if output_width(arch) == classes or arch.layers[-1].module != "Linear":
        return arch
    last = arch.layers[-1]
    layers = (*arch.layers[:-1], LayerSpec(last.name, last.module, {**last.args, "out_features": classes}))
    return replace(arch, layers=layers)


def fitted(arch: Architecture, classes: int, side: int = 28, channels: int = 1) -> Architecture:
    """``arch`` as it learns a dataset of ``classes`` classes and ``channels``×``side``² images: one
    output per class; a colour dataset's three channels into the first layer; a 32×32 image into a
    network written for 28×28 read as it is (its input 32, every size after it derived again).
    A 28×28 image into a 32×32 input is padded by 2 (:meth:`Architecture.pad_for`), as LeNet-5 reads
    MNIST. The same network when it fits already."""
    size = max(arch.input_size, side)
    if (size, channels) != (arch.input_size, arch.input_channels):
        text = layers_text(arch.layers)
        arch = replace(arch, input_size=size, input_channels=channels,
                       layers=parse_layers(text, size, channels))
    return with_outputs(arch, classes)


def input_problem(arch: Architecture, dataset: str, side: int, channels: int) -> str | None:
    """Why ``arch`` cannot read ``dataset``'s ``channels``×``side``² images, or None."""
    fits = channels == arch.input_channels and side <= arch.input_size
    if fits:
        return None
    wanted = Input(max(side, arch.input_size), channels).text
    return (f"{arch.name} reads {arch.input_channels}×{arch.input_size}×{arch.input_size} inputs, but "
            f"{dataset} holds {channels}×{side}×{side} images: "
            + (f"start its layers with {wanted}" if wanted else "leave input(…) out of its layers"))


def _layer_totals(spec: LayerSpec, shape: list[int]) -> tuple[int, list[int]]:
    """``(parameters, output shape)`` of one layer for an input of ``shape`` (without the batch)."""
    a = spec.args
    if spec.module == "Conv2d":
        k, s, p = a["kernel_size"], a.get("stride", 1), a.get("padding", 0)
        side = (shape[1] + 2 * p - k) // s + 1
        maps = a["out_channels"]
        return a["in_channels"] * maps * k * k + maps, [maps, side, side]
    if spec.module in ("AvgPool2d", "MaxPool2d"):
        k = a["kernel_size"]
        side = (shape[1] - k) // (a.get("stride") or k) + 1
        return 0, [shape[0], side, side]
    if spec.module == "Linear":
        return a["in_features"] * a["out_features"] + a["out_features"], [a["out_features"]]
    if spec.module == "Flatten":
        return 0, [math.prod(shape)]
    if spec.module.startswith("BatchNorm"):
        return 2 * a["num_features"], shape
    return 0, shape


@cache
def totals(arch: Architecture) -> tuple[int, int]:
    """``(parameters, units)`` for one input, by arithmetic on the specs: a network too big to
    build is measured without building it. Units are every layer's output values."""
    shape, params, units = list(arch.input_shape), 0, 0
    for spec in arch.layers:
        weights, shape = _layer_totals(spec, shape)
        params, units = params + weights, units + math.prod(shape)
    return params, units


def size_problem(arch: Architecture) -> str | None:
    """Why this machine cannot train or draw ``arch`` (too many parameters or units), or None."""
    params, units = totals(arch)
    if params > MAX_PARAMS:
        return (f"{arch.name} has {params:,} parameters: at most {MAX_PARAMS:,} train here; "
                "make a dense layer or a convolution narrower")
    if units > MAX_UNITS:
        return (f"{arch.name} has {units:,} units (every layer's outputs for one image): at most "
                f"{MAX_UNITS:,} train here; use fewer maps, or pool earlier")
    return None


def classes_problem(arch: Architecture, dataset: str, classes: int) -> str | None:
    """Why ``arch`` cannot learn ``dataset`` (its output width is not the number of classes)."""
    width = output_width(arch)
    if width == classes:
        return None
    return (f"{arch.name} ends in fc({width}), {width} outputs, but {dataset} has {classes} classes: "
            f"end it in fc({classes})")
