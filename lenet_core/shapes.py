"""The layer-by-layer shape table of an architecture, for any input size.

Each layer's input is checked first so that a size the network cannot take is explained in one
line that names the layer and the reason; the output shape itself comes from running the real
module on zeros, so the table can never disagree with the network.
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
from lenet_core.models import Architecture, LayerSpec, get_architecture


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
class ShapeTable:
    arch: str
    input_shape: tuple[int, int, int]
    rows: list[ShapeRow]

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def total_macs(self) -> int:
        return sum(row.macs for row in self.rows)


_SIZE_RE = re.compile(r"^\s*(\d+)\s*[x×*,]\s*(\d+)\s*(?:[x×*,]\s*(\d+))?\s*$", re.IGNORECASE)


def parse_input_size(text: str) -> tuple[int, int, int]:
    """``"1x28x28"`` (C×H×W) or ``"28x28"`` (one channel) -> ``(C, H, W)``."""
    match = _SIZE_RE.match(str(text))
    if not match:
        raise LabError(
            f"input size {text!r} is not of the form CxHxW, e.g. 1x28x28 (channels x height x width)"
        )
    numbers = [int(g) for g in match.groups() if g is not None]
    shape = tuple(numbers) if len(numbers) == 3 else (1, *numbers)
    if min(shape) < 1:
        raise LabError(f"input size {text!r} has a zero dimension: every dimension must be at least 1")
    if max(shape) > 4096:
        raise LabError(f"input size {text!r} is too large: each dimension must be at most 4096")
    return shape  # type: ignore[return-value]


def format_shape(shape: list[int] | tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def layer_label(name: str, output_shape: list[int] | tuple[int, ...]) -> str:
    """The name used in every activation view: ``conv1 · 6@28×28`` or ``fc1 · 120``."""
    dims = list(output_shape)[1:]
    if len(dims) == 3:
        return f"{name} · {dims[0]}@{dims[1]}×{dims[2]}"
    return f"{name} · {format_shape(dims)}"


def shape_table(arch: Architecture | str, input_shape: tuple[int, int, int] | str | None = None
                ) -> ShapeTable:
    """Run a 1×C×H×W zero input through ``arch`` layer by layer and tabulate every output."""
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
            _check_input(spec, x, arch)
            try:
                y = module(x)
            except RuntimeError as exc:  # a case _check_input does not foresee: still one line
                first = str(exc).strip().splitlines()[0]
                raise LabError(f"{spec.name} ({spec.module}) cannot take a "
                               f"{format_shape(x.shape[1:])} input: {first}") from None
            rows.append(ShapeRow(index, spec.name, spec.module, list(y.shape),
                                 _count_params(module), _count_macs(module, y)))
            x = y
    return ShapeTable(arch.name, tuple(input_shape), rows)


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
            raise LabError(f"{where} expects {fin} input features but gets {got}{source}: {needs}")
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


def render(table: ShapeTable, fmt: str = "table") -> str:
    """The table as text: ``table`` (aligned columns), ``csv``, ``json`` or ``markdown``."""
    if fmt == "json":
        return json.dumps([asdict(row) for row in table.rows], indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["index", "name", "layer", "output_shape", "params", "macs"])
        for row in table.rows:
            writer.writerow([row.index, row.name, row.layer, format_shape(row.output_shape),
                             row.params, row.macs])
        writer.writerow(["", "total", "", "", table.total_params, table.total_macs])
        return out.getvalue().rstrip("\n")
    body = [_cells(row) for row in table.rows] + [_total_cells(table)]
    if fmt == "markdown":
        lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    if fmt == "table":
        widths = [max(len(r[i]) for r in [_HEADER, *body]) for i in range(len(_HEADER))]
        numeric = {0, 4, 5}

        def line(cells):
            return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        title = f"{table.arch}, input {format_shape(table.input_shape)}"
        rule = "-" * len(line(_HEADER))
        return "\n".join([title, line(_HEADER), rule, *map(line, body[:-1]), rule, line(body[-1])])
    raise LabError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


def to_records(table: ShapeTable) -> list[dict]:
    """Rows as plain dicts for DataFrames and charts (one source for page and CLI numbers)."""
    return [{"index": r.index, "name": r.name, "layer": r.layer,
             "output_shape": format_shape(r.output_shape), "elements": r.elements,
             "params": r.params, "macs": r.macs, "label": r.label} for r in table.rows]
