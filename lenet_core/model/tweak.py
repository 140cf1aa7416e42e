"""One layer's setting as a value to change: ``conv1.channels``, ``pool2.kernel``, ``fc1.units``.

A sweep varies these like any training setting (``--grid conv1.channels=4,6,8,16``): each value
rewrites the layer in the network's text and the grammar parses the result, so every size after
it is derived again and a value that does not fit is refused in the grammar's words.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lenet_core.errors import LabError
from lenet_core.model.architectures import Architecture, LayerSpec
from lenet_core.model.grammar import input_of, layer_text, parse_network

SETTING = re.compile(r"^([a-z]+\d*)\.([a-z]+)$")

# What each kind of layer lets a sweep change: the setting's name -> the spec's argument.
LAYER_SETTINGS: dict[str, dict[str, str]] = {
    "Conv2d": {"channels": "out_channels", "kernel": "kernel_size", "stride": "stride", "pad": "padding"},
    "AvgPool2d": {"kernel": "kernel_size", "stride": "stride"},
    "MaxPool2d": {"kernel": "kernel_size", "stride": "stride"},
    "Linear": {"units": "out_features"},
    "Dropout": {"p": "p"},
}
DEFAULTS = {"stride": 1, "padding": 0}


def is_layer_setting(name: str) -> bool:
    """Whether ``name`` is written as a layer's setting (``conv1.channels``), known or not."""
    return isinstance(name, str) and bool(SETTING.match(name))


def _layer(arch: Architecture, name: str) -> tuple[int, LayerSpec, str]:
    """The layer a setting names, where it stands, and the spec argument it changes."""
    found = SETTING.match(name)
    if not found:
        raise LabError(f"{name!r} is not a layer's setting: write LAYER.SETTING, e.g. conv1.channels")
    layer, setting = found.groups()
    index = next((i for i, spec in enumerate(arch.layers) if spec.name == layer), None)
    if index is None:
        raise LabError(f"{arch.name} has no layer {layer!r}: its layers are {', '.join(arch.layer_names())}")
    spec = arch.layers[index]
    allowed = LAYER_SETTINGS.get(spec.module, {})
    if setting not in allowed:
        said = ", ".join(f"{layer}.{s}" for s in allowed) or "none"
        raise LabError(f"{layer} ({layer_text(spec)}) has no setting {setting!r}: it has {said}")
    return index, spec, allowed[setting]


def layer_value(arch: Architecture, name: str):
    """The value of one layer's setting in ``arch`` (``conv1.channels`` of lenet-classic: 6)."""
    _, spec, argument = _layer(arch, name)
    if spec.module.endswith("Pool2d") and argument == "stride":
        return spec.args.get("stride") or spec.args["kernel_size"]
    return spec.args.get(argument, DEFAULTS.get(argument))


def check_value(name: str, value) -> tuple[float | int | None, str | None]:
    """A value typed for a layer's setting: a number (a share for ``.p``, else a whole number);
    whether it fits its layer is the grammar's to say when the network is rewritten."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return None, f"{value!r} is not a number"
    if name.endswith(".p"):
        return number, None
    if not number.is_integer():
        return None, f"{value!r} is not a whole number"
    return int(number), None


def with_layer_setting(arch: Architecture, name: str, value, new_name: str | None = None) -> Architecture:
    """``arch`` with one layer's setting changed, every size after it derived again (a LabError in
    one line when the result does not fit), named ``new_name``."""
    index, spec, argument = _layer(arch, name)
    changed = replace(spec, args={**spec.args, argument: value})
    texts = [layer_text(s) for s in arch.layers]
    texts[index] = layer_text(changed)
    prefix = input_of(arch).text
    try:
        return parse_network(f"{prefix} {' '.join(texts)}", new_name or arch.name, arch.description)
    except LabError as exc:
        raise LabError(f"{name}={value}: {exc}") from None
