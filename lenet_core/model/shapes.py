"""The layer-by-layer shape table of an architecture, for any input size.

Each layer's input is checked first so that a size the network cannot take is explained in one
line that names the layer and the reason, and the table still lists the layers before it (the
break marked); the output shape itself comes from running the real module on zeros, so the table
can never disagree with the network.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass

import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.format import format_shape
from lenet_core.model.architectures import Architecture, LayerSpec, get_architecture


@dataclass(frozen=True)
class ShapeRow:
    index: int
    name: str
    layer: str  # the module class name, as the tutorial printed it
    output_shape: list[int]  # including the batch of 1
    params: int
    macs: int  # multiply-adds for one input (convolutions and dense layers; 0 elsewhere)

    @property
    def elements(self) -> int:
        return _product(self.output_shape[1:])

    @property
    def label(self) -> str:
        return layer_label(self.name, self.output_shape)


@dataclass(frozen=True)
class ShapeBreak:
    """The first layer an input does not fit: where, and why in one line."""

    index: int
    name: str
    layer: str
    message: str  # "conv2 (Conv2d): its 5×5 kernel does not fit its 4×4 input: lenet-classic takes ..."


@dataclass(frozen=True)
class ShapeTable:
    arch: str
    input_shape: tuple[int, int, int]
    rows: list[ShapeRow]  # the layers the input reaches (all of them when it fits)
    broken: ShapeBreak | None = None

    @property
    def fits(self) -> bool:
        return self.broken is None

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def total_macs(self) -> int:
        return sum(row.macs for row in self.rows)


_SIZE_RE = re.compile(r"^\s*(\d+)\s*(?:[x×*,]\s*(\d+)\s*(?:[x×*,]\s*(\d+))?)?\s*$", re.IGNORECASE)


def parse_input_size(text: str) -> tuple[int, int, int]:
    """``"1x28x28"`` (C×H×W), ``"28x28"`` (H×W, one channel) or ``"28"`` (28×28, one channel)
    -> ``(C, H, W)``."""
    match = _SIZE_RE.match(str(text))
    if not match:
        given = f"{text.strip()!r} is not an input size" if str(text).strip() else "no input size given"
        raise LabError(f"{given}: write C×H×W (1x28x28), or H×W for one channel (28x28)")
    numbers = [int(g) for g in match.groups() if g is not None]
    shape = {1: (1, *numbers, *numbers), 2: (1, *numbers), 3: tuple(numbers)}[len(numbers)]
    if min(shape) < 1:
        raise LabError(f"input size {text!r} has a zero dimension: every dimension must be at least 1")
    if max(shape) > 4096:
        raise LabError(f"input size {text!r} is too large: each dimension must be at most 4,096")
    return shape  # type: ignore[return-value]


def how_read(text: str) -> str | None:
    """How a size given with fewer than three numbers is read ("28x28" is one channel of 28×28),
    or None when it was given as C×H×W (or is not a size)."""
    match = _SIZE_RE.match(str(text))
    if not match or match.groups()[2] is not None:
        return None
    shape = parse_input_size(text)
    return f"read as {format_shape(shape)}: one channel of {format_shape(shape[1:])} (height × width)"


def layer_label(name: str, output_shape: list[int] | tuple[int, ...]) -> str:
    """The name used in every activation view: ``conv1 · 6@28×28`` or ``fc1 · 120``."""
    dims = list(output_shape)[1:]
    if len(dims) == 3:
        return f"{name} · {dims[0]}@{dims[1]}×{dims[2]}"
    return f"{name} · {format_shape(dims)}"


def shape_table(arch: Architecture | str, input_shape: tuple[int, int, int] | str | None = None
                ) -> ShapeTable:
    """Every layer's output for a 1×C×H×W input; a LabError (one line) if it does not fit."""
    table = trace_shapes(arch, input_shape)
    if table.broken is not None:
        raise LabError(table.broken.message)
    return table


def trace_shapes(arch: Architecture | str, input_shape: tuple[int, int, int] | str | None = None
                 ) -> ShapeTable:
    """Run a 1×C×H×W zero input through ``arch`` layer by layer and tabulate each output, up to
    the first layer it does not fit (``broken``). A text that is not a size is a LabError."""
    if isinstance(arch, str):
        arch = get_architecture(arch)
    if input_shape is None:
        input_shape = arch.input_shape
    elif isinstance(input_shape, str):
        input_shape = parse_input_size(input_shape)
    x = torch.zeros(1, *input_shape)
    rows = []
    with torch.no_grad():
        for index, spec in enumerate(arch.layers, start=1):
            module = spec.build().eval()
            problem = _misfit(spec, x, arch)
            if problem is None:
                try:
                    y = module(x)
                except RuntimeError as exc:  # a case _misfit does not foresee: still one line
                    first = str(exc).strip().splitlines()[0]
                    problem = (f"{spec.name} ({spec.module}) cannot take a "
                               f"{format_shape(x.shape[1:])} input: {first}")
            if problem is not None:
                broken = ShapeBreak(index, spec.name, spec.module, problem)
                return ShapeTable(arch.name, tuple(input_shape), rows, broken)
            rows.append(ShapeRow(index, spec.name, spec.module, list(y.shape),
                                 _count_params(module), _count_macs(module, y)))
            x = y
    return ShapeTable(arch.name, tuple(input_shape), rows)


def _misfit(spec: LayerSpec, x: torch.Tensor, arch: Architecture) -> str | None:
    """Why ``spec`` cannot take ``x`` (one line), or None when it can."""
    try:
        _check_input(spec, x, arch)
    except LabError as exc:
        return str(exc)
    return None


def _check_input(spec: LayerSpec, x: torch.Tensor, arch: Architecture) -> None:
    where = f"{spec.name} ({spec.module})"
    needs = f"{arch.name} takes {format_shape(arch.input_shape)} inputs"
    dims = list(x.shape[1:])
    if spec.module == "Conv2d":
        cin, k, pad = spec.args["in_channels"], spec.args["kernel_size"], spec.args.get("padding", 0)
        if len(dims) != 3:
            raise LabError(f"{where} needs a C×H×W input but gets {format_shape(dims)}")
        if dims[0] != cin:
            raise LabError(f"{where} expects {cin} input channel{'s' * (cin != 1)} but gets "
                           f"{dims[0]}: {needs}")
        if min(dims[1:]) + 2 * pad < k:
            padded = f" (padded by {pad})" if pad else ""
            raise LabError(f"{where}: its {k}×{k} kernel does not fit its "
                           f"{format_shape(dims[1:])} input{padded}: {needs}")
    elif spec.module in ("AvgPool2d", "MaxPool2d"):
        k = spec.args["kernel_size"]
        if len(dims) != 3 or min(dims[1:]) < k:
            raise LabError(f"{where}: its {k}×{k} window does not fit its "
                           f"{format_shape(dims[1:])} input: {needs}")
    elif spec.module == "Linear":
        fin = spec.args["in_features"]
        if len(dims) != 1 or dims[0] != fin:
            got = _product(dims)
            source = f" (from {format_shape(dims)})" if len(dims) > 1 else ""  # 1-D: the same number
            raise LabError(f"{where} expects {fin:,} input features but gets {got:,}{source}: {needs}")
    elif spec.module in ("BatchNorm2d", "BatchNorm1d"):
        if dims[0] != spec.args["num_features"]:
            raise LabError(f"{where} expects {spec.args['num_features']} channels, gets {dims[0]}")


def _count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _count_macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-adds for one input: each output value of a conv/dense layer costs its fan-in."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        fan_in = module.in_channels // module.groups * kh * kw
        return output[0].numel() * fan_in
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    return 0


def _product(values) -> int:
    result = 1
    for v in values:
        result *= int(v)
    return result


# ---- output formats ----------------------------------------------------------------------

FORMATS = ("table", "csv", "json", "markdown")
_HEADER = ["#", "name", "layer", "output shape", "params", "multiply-adds"]


def _cells(row: ShapeRow) -> list[str]:
    return [str(row.index), row.name, row.layer, format_shape(row.output_shape),
            f"{row.params:,}", f"{row.macs:,}"]


def _total_cells(table: ShapeTable) -> list[str]:
    return ["", "total", "", "", f"{table.total_params:,}", f"{table.total_macs:,}"]


def _break_cells(broken: ShapeBreak) -> list[str]:
    return [str(broken.index), broken.name, broken.layer, "✗ does not fit", "", ""]


def render(table: ShapeTable, fmt: str = "table") -> str:
    """The table as text: ``table`` (aligned columns), ``csv``, ``json`` or ``markdown``.

    A table that breaks is rendered only as ``table``: the layers that fit, then the one that
    does not, marked (the CLI prints why beneath, on stderr)."""
    if fmt == "json":
        return json.dumps([asdict(row) for row in table.rows], indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["index", "name", "layer", "output_shape", "params", "macs"])
        for row in table.rows:
            writer.writerow([row.index, row.name, row.layer, "×".join(map(str, row.output_shape)),
                             row.params, row.macs])
        writer.writerow(["", "total", "", "", table.total_params, table.total_macs])
        return out.getvalue().rstrip("\n")
    body = [_cells(row) for row in table.rows] + [_total_cells(table)]
    if fmt == "markdown":
        lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    if fmt == "table":
        if table.broken is not None:
            body = body[:-1] + [_break_cells(table.broken)]
        widths = [max(len(r[i]) for r in [_HEADER, *body]) for i in range(len(_HEADER))]
        numeric = {0, 4, 5}

        def line(cells):
            return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        title = f"{table.arch}, input {format_shape(table.input_shape)}"
        rule = "-" * len(line(_HEADER))
        if table.broken is not None:
            return "\n".join([title, line(_HEADER), rule, *map(line, body), rule])
        return "\n".join([title, line(_HEADER), rule, *map(line, body[:-1]), rule, line(body[-1])])
    raise LabError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


def to_records(table: ShapeTable) -> list[dict]:
    """Rows as plain dicts for DataFrames and charts (one source for page and CLI numbers)."""
    return [{"index": r.index, "name": r.name, "layer": r.layer,
             "output_shape": format_shape(r.output_shape), "elements": r.elements,
             "params": r.params, "macs": r.macs, "label": r.label} for r in table.rows]
