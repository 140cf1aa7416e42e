"""A network as text: one grammar for the command line, the saved file and the designer.

The tutorial's LeNet reads::

    conv(6,5,pad=2) sigmoid avgpool(2) conv(16,5) sigmoid avgpool(2)
    flatten fc(120) sigmoid fc(84) sigmoid fc(10)

Layers, separated by spaces (the arguments in brackets, keywords after the numbers):

    conv(C,K[,stride=S][,pad=P])   C maps, each from K×K windows
    avgpool(K[,stride=S])  maxpool(K[,stride=S])
    sigmoid  tanh  relu  batchnorm  dropout(P)  flatten  fc(N)

A network that reads a 32×32 input (a 28×28 image padded by 2, as LeNet-5 reads it, or a 32×32
image) starts with ``input(32)``; one that reads colour images names their three channels,
``input(28,3)`` or ``input(32,3)``; without it the input is a 28×28 grey image. :func:`network_text` and
:func:`parse_network` carry that, so one line holds a whole network: a run's config and its
checkpoints store it, and a run never needs its saved file again.

What the text leaves out is derived, never typed: every ``in_channels``, ``in_features`` and
``num_features``, a pool's stride (its window, unless stated), whether batch norm is 2-d (after a
convolution) or 1-d (after flatten), and the layers' names (``conv1``, ``pool1``, ``fc1``,
``bn1``, ``relu1``, as the built-in networks name them). Parsing follows the shapes from the input
(``input_size``, ``channels``): a window larger than what reaches it, a dense layer before flatten
or a network that does not end in a dense layer is refused in one line that names the layer by
its number and its text. :func:`layers_text` writes a spec list back, so text -> spec -> text is
the identity for every built-in network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lenet_core.errors import LabError
from lenet_core.model.architectures import Architecture, LayerSpec

MAX_LAYERS = 40  # LeNet has 12 to 16; a designer list longer than this is a mistake, not a net
MAX_WIDTH = 1024  # maps of a convolution, units of a dense layer: what this machine draws and trains
MAX_KERNEL = 15
MAX_STRIDE = 8
MAX_PAD = 8

TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(?:\(([^()]*)\))?")


@dataclass(frozen=True)
class Kind:
    """A word of the grammar: the module it makes and its arguments, in order."""

    module: str
    positional: tuple[str, ...] = ()  # what the numbers in brackets are, in order
    keywords: tuple[str, ...] = ()  # what may follow them as name=value
    name: str = ""  # the layers' name stem (conv1, pool1, ...); default: the word itself


KINDS = {
    "conv": Kind("Conv2d", ("out_channels", "kernel_size"), ("stride", "pad")),
    "avgpool": Kind("AvgPool2d", ("kernel_size",), ("stride",), name="pool"),
    "maxpool": Kind("MaxPool2d", ("kernel_size",), ("stride",), name="pool"),
    "sigmoid": Kind("Sigmoid"),
    "tanh": Kind("Tanh"),
    "relu": Kind("ReLU"),
    "batchnorm": Kind("BatchNorm", name="bn"),
    "dropout": Kind("Dropout", ("p",)),
    "flatten": Kind("Flatten"),
    "fc": Kind("Linear", ("out_features",)),
}
WORDS = ", ".join(KINDS)


@dataclass(frozen=True)
class Written:
    """One layer as written: its word, its numbers and keywords, and where it stands."""

    word: str
    numbers: tuple[float, ...]
    keywords: dict[str, float]
    text: str
    number: int  # from 1, as a person counts the layers they wrote


def _value(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise LabError(f"{where}: {text!r} is not a number") from None
    return int(value) if value.is_integer() else value


def _arguments(word: str, inside: str | None, where: str) -> tuple[tuple[float, ...], dict[str, float]]:
    kind = KINDS[word]
    parts = [p.strip() for p in (inside or "").split(",")] if (inside or "").strip() else []
    numbers, keywords = [], {}
    for part in parts:
        key, equals, value = part.partition("=")
        if equals:
            if key.strip() not in kind.keywords:
                allowed = ", ".join(f"{k}=" for k in kind.keywords) or "none"
                raise LabError(f"{where}: {word} takes no {key.strip()}= (keywords: {allowed})")
            keywords[key.strip()] = _value(value.strip(), where)
        elif keywords:
            raise LabError(f"{where}: the numbers come before the name=value settings")
        else:
            numbers.append(_value(part, where))
    if len(numbers) != len(kind.positional):
        wanted = f"{word}({', '.join(kind.positional)})" if kind.positional else word
        raise LabError(f"{where}: {word} takes {len(kind.positional)} number(s), {len(numbers)} "
                       f"given: write {wanted}")
    return tuple(numbers), keywords


def read_layers(text: str) -> list[Written]:
    """The layers as written, each checked for its word and its arguments (not yet for shapes)."""
    if not isinstance(text, str) or not text.strip():
        raise LabError("the network is empty: write its layers, e.g. conv(6,5,pad=2) sigmoid ... fc(10)")
    written, position = [], 0
    while position < len(text) and text[position:].strip():
        found = TOKEN.match(text, position)
        start = position + len(text[position:]) - len(text[position:].lstrip())  # where it begins
        if not found:
            shown = text[start:start + 20]
            raise LabError(f"cannot read the network at character {start + 1}: {shown!r} "
                           f"(layers are words such as {WORDS}, with numbers in brackets)")
        if found.group(2) is None and text[found.end():found.end() + 1] == "(":
            raise LabError(f"cannot read the network at character {found.end() + 1}: the bracket "
                           f"after {found.group(1)!r} is not closed, or holds another bracket")
        word, inside = found.group(1), found.group(2)
        number = len(written) + 1
        where = f"layer {number} ({found.group(0).strip()})"
        if word.lower() not in KINDS:
            raise LabError(f"{where}: unknown layer {word!r}; the layers are {WORDS}")
        numbers, keywords = _arguments(word.lower(), inside, where)
        written.append(Written(word.lower(), numbers, keywords, found.group(0).strip(), number))
        position = found.end()
        if len(written) > MAX_LAYERS:
            raise LabError(f"more than {MAX_LAYERS} layers: LeNet has 12 to 16; write at most {MAX_LAYERS}")
    return written


def _whole(value: float, low: int, high: int, what: str, where: str) -> int:
    if not isinstance(value, int) or not low <= value <= high:
        raise LabError(f"{where}: {what} must be a whole number from {low} to {high:,}, not {value:g}")
    return value


@dataclass
class _Shape:
    """What reaches a layer: maps (channels × side × side) or a flat vector of ``features``."""

    channels: int
    side: int
    flat: bool = False

    @property
    def features(self) -> int:
        return self.channels if self.flat else self.channels * self.side * self.side


def _window(layer: Written, shape: _Shape, kernel: int, stride: int, pad: int) -> int:
    where = f"layer {layer.number} ({layer.text})"
    if shape.flat:
        raise LabError(f"{where}: it needs maps, but the layers before it flattened them")
    if kernel > shape.side + 2 * pad:
        raise LabError(f"{where}: a {kernel}×{kernel} window does not fit the {shape.side}×{shape.side} "
                       f"maps that reach it{' (padded by ' + str(pad) + ')' if pad else ''}")
    return (shape.side + 2 * pad - kernel) // stride + 1


def _spec(layer: Written, shape: _Shape, name: str) -> LayerSpec:
    """The layer's spec, its derived sizes filled in from ``shape``, which it then updates."""
    where = f"layer {layer.number} ({layer.text})"
    kind, numbers, keywords = KINDS[layer.word], layer.numbers, layer.keywords
    if layer.word == "conv":
        maps = _whole(numbers[0], 1, MAX_WIDTH, "the number of maps", where)
        kernel = _whole(numbers[1], 1, MAX_KERNEL, "the window", where)
        stride = _whole(keywords.get("stride", 1), 1, MAX_STRIDE, "the stride", where)
        pad = _whole(keywords.get("pad", 0), 0, MAX_PAD, "the padding", where)
        args = {"in_channels": shape.channels, "out_channels": maps, "kernel_size": kernel, "padding": pad}
        if stride != 1:
            args["stride"] = stride
        shape.side, shape.channels = _window(layer, shape, kernel, stride, pad), maps
        return LayerSpec(name, "Conv2d", args)
    if layer.word in ("avgpool", "maxpool"):
        kernel = _whole(numbers[0], 1, MAX_KERNEL, "the window", where)
        stride = _whole(keywords.get("stride", kernel), 1, MAX_STRIDE, "the stride", where)
        shape.side = _window(layer, shape, kernel, stride, 0)
        return LayerSpec(name, kind.module, {"kernel_size": kernel, "stride": stride})
    if layer.word == "batchnorm":
        module = "BatchNorm1d" if shape.flat else "BatchNorm2d"
        return LayerSpec(name, module, {"num_features": shape.channels})
    if layer.word == "dropout":
        if not 0 <= numbers[0] < 1:
            raise LabError(f"{where}: the share dropped must be from 0 up to (not including) 1")
        return LayerSpec(name, "Dropout", {"p": float(numbers[0])})
    if layer.word == "flatten":
        if shape.flat:
            raise LabError(f"{where}: what reaches it is flat already")
        shape.channels, shape.flat = shape.features, True
        return LayerSpec(name, "Flatten")
    if layer.word == "fc":
        if not shape.flat:
            raise LabError(f"{where}: a dense layer reads a vector: put flatten before it")
        units = _whole(numbers[0], 1, MAX_WIDTH, "the number of units", where)
        spec = LayerSpec(name, "Linear", {"in_features": shape.channels, "out_features": units})
        shape.channels = units
        return spec
    return LayerSpec(name, kind.module)  # an activation: the shape goes through


def _named(written: list[Written]):
    """Each layer as written with the name it gets (``conv1``, ``pool2``, ``flatten``)."""
    counts: dict[str, int] = {}
    for layer in written:
        stem = KINDS[layer.word].name or layer.word
        counts[stem] = counts.get(stem, 0) + 1
        yield layer, stem if stem == "flatten" and counts[stem] == 1 else f"{stem}{counts[stem]}"


def parse_layers(text: str, input_size: int = 28, channels: int = 1) -> tuple[LayerSpec, ...]:
    """The spec list ``text`` describes for a ``channels``×``input_size``² input, or a LabError."""
    written = read_layers(text)
    shape = _Shape(channels, input_size)
    specs = tuple(_spec(layer, shape, name) for layer, name in _named(written))
    if written[-1].word != "fc":
        raise LabError(f"the network must end in a dense layer giving one output per class (e.g. "
                       f"fc(10)); it ends in layer {written[-1].number} ({written[-1].text})")
    return specs


@dataclass(frozen=True)
class Misfit:
    """The first layer refused where it stands (a window larger than its maps, a number out of
    range): its number from 1, the name it would have, its module and the one-line reason."""

    number: int
    name: str
    module: str
    message: str


def trace_layers(text: str, input_size: int = 28, channels: int = 1
                 ) -> tuple[tuple[LayerSpec, ...], Misfit | None]:
    """The specs of the layers that fit, up to the first that does not, and that one (or None):
    the designer's table of a network being edited. A text that does not read is a LabError; the
    end in a dense layer is :func:`parse_layers`' check, not this one's."""
    shape, specs = _Shape(channels, input_size), []
    for layer, name in _named(read_layers(text)):
        try:
            specs.append(_spec(layer, shape, name))
        except LabError as exc:
            return tuple(specs), Misfit(layer.number, name, KINDS[layer.word].module, str(exc))
    return tuple(specs), None


INPUT = re.compile(r"^\s*input\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")
INPUT_SIZES = (28, 32)  # a 28×28 image as it is, or padded by 2 as LeNet-5 reads it (or a 32×32 one)
INPUT_CHANNELS = (1, 3)  # grey, or colour: red, green and blue


@dataclass(frozen=True)
class Input:
    """What a network reads: a ``channels``×``side``×``side`` input."""

    side: int = 28
    channels: int = 1

    @property
    def text(self) -> str:
        """``input(32)``, ``input(28,3)``; empty for the 28×28 grey input every network assumes."""
        if self.channels != 1:
            return f"input({self.side},{self.channels})"
        return "" if self.side == 28 else f"input({self.side})"


def check_input(side, channels=1) -> Input:
    """``Input(side, channels)`` when both are offered, else a LabError that says what is."""
    if side not in INPUT_SIZES or isinstance(side, bool):
        raise LabError(f"a side of {side!r}: the input is 28 (the image as it is) or 32 (a 28×28 "
                       "image padded by 2, or a 32×32 image)")
    if channels not in INPUT_CHANNELS or isinstance(channels, bool):
        raise LabError(f"{channels!r} channels: the input has 1 (grey) or 3 (colour)")
    return Input(side, channels)


def split_input(text: str) -> tuple[Input, str]:
    """``(the input, the layers' text)``: an optional leading ``input(N)`` or ``input(N,C)`` taken off."""
    found = INPUT.match(text) if isinstance(text, str) else None
    if not found:
        return Input(), text
    where = found.group(0).strip()
    try:
        given = check_input(int(found.group(1)), int(found.group(2) or 1))
    except LabError as exc:
        raise LabError(f"{where}: {exc}") from None
    return given, text[found.end():]


def parse_network(text: str, name: str, description: str = "") -> Architecture:
    """The whole network one line describes (``input(32)`` or ``input(32,3)`` first for another
    input than a 28×28 grey image), named ``name``."""
    given, layers = split_input(text)
    return Architecture(name=name, title=name, description=description, input_size=given.side,
                        layers=parse_layers(layers, given.side, given.channels),
                        input_channels=given.channels)


def input_of(arch: Architecture) -> Input:
    return Input(arch.input_size, arch.input_channels)


def network_text(arch: Architecture) -> str:
    """The whole network as one line: its layers, after ``input(…)`` when it reads another input
    than a 28×28 grey image."""
    return " ".join(part for part in (input_of(arch).text, layers_text(arch.layers)) if part)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def layer_text(spec: LayerSpec) -> str:
    """One spec in the grammar: what :func:`parse_layers` reads back into the same spec."""
    a = spec.args
    if spec.module == "Conv2d":
        extra = f",stride={a['stride']}" if a.get("stride", 1) != 1 else ""
        extra += f",pad={a['padding']}" if a.get("padding", 0) else ""
        return f"conv({a['out_channels']},{a['kernel_size']}{extra})"
    if spec.module in ("AvgPool2d", "MaxPool2d"):
        stride = a.get("stride") or a["kernel_size"]
        word = "avgpool" if spec.module == "AvgPool2d" else "maxpool"
        return f"{word}({a['kernel_size']}{f',stride={stride}' if stride != a['kernel_size'] else ''})"
    if spec.module == "Linear":
        return f"fc({a['out_features']})"
    if spec.module.startswith("BatchNorm"):
        return "batchnorm"
    if spec.module == "Dropout":
        return f"dropout({_number(a.get('p', 0.5))})"
    return {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "Flatten": "flatten"}[spec.module]


def layers_text(layers: tuple[LayerSpec, ...] | list[LayerSpec]) -> str:
    """A network's layers as one line of the grammar."""
    return " ".join(layer_text(spec) for spec in layers)
