"""A network being designed: a list of layer rows a person edits, and what the list makes.

A row is a grammar word and the numbers a person types for it (maps, window, stride, padding;
pooling's window and stride; dropout's share; a dense layer's units). Everything else is derived
by :mod:`lenet_core.model.grammar` from the rows as text: the sizes each layer reads, the names.
The edits are pure functions from a row list to a new one, so the designer page, a test or a
script edit a network the same way, and :func:`design` says in one object what the list is now:
its text, its shape table up to the first layer that does not fit, and why it cannot be saved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from lenet_core.errors import LabError
from lenet_core.model import limits, saved
from lenet_core.model.architectures import Architecture
from lenet_core.model.grammar import KINDS, layers_text, parse_layers, read_layers, split_input, trace_layers
from lenet_core.model.shapes import ShapeBreak, ShapeTable, trace_shapes

# What a new row of each kind starts with: the fields the editor shows, in the grammar's order
# (its numbers, then its keywords). A pool's stride is its window unless changed.
NEW = {
    "conv": {"out_channels": 6, "kernel_size": 5, "stride": 1, "pad": 0},
    "avgpool": {"kernel_size": 2, "stride": 2},
    "maxpool": {"kernel_size": 2, "stride": 2},
    "sigmoid": {}, "tanh": {}, "relu": {}, "batchnorm": {},
    "dropout": {"p": 0.5},
    "flatten": {},
    "fc": {"out_features": 84},
}
FRACTIONS = {"p"}  # the one field that is not a whole number
# Any number a row holds: far above every limit of the grammar (which says why a number is too
# large for its layer), and within what a form's number field holds.
LARGEST = 100_000
DESIGN_NAME = "this network"  # what the shape table and the limits call a network not yet named


@dataclass(frozen=True)
class Row:
    """One layer as the designer lists it: its word and its numbers, by field name."""

    word: str
    values: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The layer in the grammar: the numbers in order, a keyword only where it is not the
        default (a convolution's stride 1 and padding 0, a pool's stride equal to its window)."""
        kind = KINDS[self.word]
        numbers = [_written(self.values[name]) for name in kind.positional]
        defaults = {"stride": self.values.get("kernel_size") if self.word.endswith("pool") else 1, "pad": 0}
        keywords = {name: self.values.get(name, defaults[name]) for name in kind.keywords}
        numbers += [f"{name}={_written(value)}" for name, value in keywords.items()
                    if value != defaults[name]]
        return f"{self.word}({','.join(numbers)})" if numbers else self.word


def _written(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def new_row(word: str) -> Row:
    if word not in NEW:
        raise LabError(f"unknown layer {word!r}; the layers are {', '.join(NEW)}")
    return Row(word, dict(NEW[word]))


def rows_text(rows, input_size: int = 28) -> str:
    """The whole network as one line, ``input(32)`` first for a 32×32 input."""
    text = " ".join(row.text for row in rows)
    return text if input_size == 28 else f"input({input_size}) {text}"


def rows_from_text(text: str) -> tuple[int, tuple[Row, ...]]:
    """``(input size, rows)`` from a line of the grammar. It must read (known words, the right
    count of numbers); whether the layers fit is :func:`design`'s to say, layer by layer."""
    given, layers = split_input(text)
    if given.channels != 1:
        raise LabError(f"{given.text}: a design reads grey images; a network takes a colour dataset's "
                       "three channels by itself when it trains on one: start the text with "
                       f"input({given.side}), or leave the input out")
    input_size, rows = given.side, []
    for written in read_layers(layers):
        kind = KINDS[written.word]
        values = dict(NEW[written.word])
        values.update(zip(kind.positional, written.numbers))
        if written.word.endswith("pool"):
            values["stride"] = written.keywords.get("stride", values["kernel_size"])
        values.update(written.keywords)
        for name, value in values.items():
            if not 0 <= value <= LARGEST:  # NaN too
                raise LabError(f"layer {written.number} ({written.text}): {value:g} is out of range: a "
                               f"layer's numbers are from 0 to {LARGEST:,}")
            if name in FRACTIONS:
                values[name] = float(value)
            elif not float(value).is_integer():
                raise LabError(f"layer {written.number} ({written.text}): {name} must be a whole "
                               f"number, not {value:g}")
            else:
                values[name] = int(value)
        rows.append(Row(written.word, values))
    return input_size, tuple(rows)


def rows_of(arch: Architecture) -> tuple[Row, ...]:
    """The rows of an architecture (a built-in or a saved one): where a design starts from."""
    return rows_from_text(layers_text(arch.layers))[1]


# ---- edits: each returns a new row list -----------------------------------------------------------

def insert(rows, index: int, word: str) -> tuple[Row, ...]:
    """A new ``word`` row at ``index`` (0 first, ``len(rows)`` last)."""
    rows = list(rows)
    rows.insert(max(0, min(index, len(rows))), new_row(word))
    return tuple(rows)


def remove(rows, index: int) -> tuple[Row, ...]:
    return tuple(row for i, row in enumerate(rows) if i != index)


def move(rows, index: int, step: int) -> tuple[Row, ...]:
    """Row ``index`` moved ``step`` places (-1 up, +1 down); at either end it stays."""
    target = index + step
    if not 0 <= index < len(rows) or not 0 <= target < len(rows):
        return tuple(rows)
    rows = list(rows)
    rows[index], rows[target] = rows[target], rows[index]
    return tuple(rows)


def change(rows, index: int, name: str, value: float) -> tuple[Row, ...]:
    """Row ``index`` with its ``name`` field set to ``value``."""
    row = rows[index]
    if name not in row.values:
        raise LabError(f"{row.word} has no {name}: its fields are {', '.join(row.values) or 'none'}")
    value = float(value) if name in FRACTIONS else value
    return tuple(dataclasses.replace(r, values={**r.values, name: value}) if i == index else r
                 for i, r in enumerate(rows))


def set_word(rows, index: int, word: str) -> tuple[Row, ...]:
    """Row ``index`` made a ``word`` layer, keeping the fields the two kinds share (avgpool ->
    maxpool keeps its window and stride)."""
    fresh = new_row(word)
    kept = {name: rows[index].values.get(name, value) for name, value in fresh.values.items()}
    return tuple(Row(word, kept) if i == index else r for i, r in enumerate(rows))


def replace_word(rows, old: str, new: str) -> tuple[Row, ...]:
    """Every ``old`` row made a ``new`` one (sigmoid -> relu everywhere)."""
    for index, row in enumerate(rows):
        if row.word == old:
            rows = set_word(rows, index, new)
    return tuple(rows)


def output_index(rows) -> int | None:
    """Where the output layer is: the last dense row."""
    return next((i for i in range(len(rows) - 1, -1, -1) if rows[i].word == "fc"), None)


def with_classes(rows, classes: int) -> tuple[Row, ...]:
    """The rows with the last dense layer as wide as the dataset has classes."""
    index = output_index(rows)
    return tuple(rows) if index is None else change(rows, index, "out_features", classes)


# ---- what the list makes ------------------------------------------------------------------------

@dataclass(frozen=True)
class Design:
    """A row list as it stands: its text, the shape table up to the first layer that does not
    fit (None when the network is over this machine's limits: too big to run through), the
    architecture when the whole list parses, and why it cannot be saved (None when it can)."""

    rows: tuple[Row, ...]
    input_size: int
    text: str
    table: ShapeTable | None
    arch: Architecture | None
    problem: str | None


def design(rows, input_size: int = 28, classes: int = 10) -> Design:
    """What ``rows`` make for a one-channel ``input_size``² input, ending in ``classes`` outputs."""
    rows = with_classes(rows, classes)
    text = rows_text(rows, input_size)
    if not rows:
        return Design(rows, input_size, text, None, None, "the network is empty: add its layers, or "
                      "start from a built-in one")
    layers = rows_text(rows)
    try:
        specs, misfit = trace_layers(layers, input_size)
    except LabError as exc:  # more layers than the grammar takes
        return Design(rows, input_size, text, None, None, str(exc))
    reached = Architecture(DESIGN_NAME, DESIGN_NAME, "", input_size, specs)
    # Measured by arithmetic before anything is built: a network far over the limits (a dense
    # layer of millions of weights) would take the page's memory just to draw its table.
    if too_big := limits.size_problem(reached):
        return Design(rows, input_size, text, None, None, too_big)
    table = trace_shapes(reached)
    if misfit is not None:
        broken = ShapeBreak(misfit.number, misfit.name, misfit.module, misfit.message)
        return Design(rows, input_size, text, dataclasses.replace(table, broken=broken), None, misfit.message)
    try:
        parse_layers(layers, input_size)  # what the rows say, end to end: an output layer last
    except LabError as exc:
        return Design(rows, input_size, text, table, None, str(exc))
    if table.broken is not None:  # the grammar and the real modules disagree: trust the modules
        return Design(rows, input_size, text, table, None, table.broken.message)
    return Design(rows, input_size, text, table, reached, None)


def save(done: Design, name: str, description: str, home: Path | None = None,
         replace: bool = False) -> Path:
    """Save a design that fits as ``<home>/architectures/<name>.json``; a LabError in one line
    (the network does not fit, a bad name or description, a name saved already)."""
    if done.problem is not None or done.arch is None:
        raise LabError(done.problem or "the network does not fit: it cannot be saved")
    arch = saved.network(name, description, layers_text(done.arch.layers), done.input_size)
    return saved.save_network(arch, home, replace=replace)
