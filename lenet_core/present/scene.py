"""What the 3D view needs from Python besides the view's data (:mod:`lenet_core.present.view_spec`):
the writer that turns geometry's layout formula into JavaScript (:class:`Js`), how a unit is
named (:func:`unit_where`), and the most units the view draws (:data:`MAX_3D_UNITS`).

The view itself is the browser's element (``pages/components/net3d``, three.js), which colours the
units from their values: a whole network's tiles go once per model, then only values.
"""

from __future__ import annotations

import numpy as np

from lenet_core.inspect.geometry import Plane


def _floor(expression: str) -> str:
    """Integer part of a non-negative expression, as JavaScript writes it."""
    return f"(({expression}) | 0)"


class Js:
    """A JavaScript expression being written: arithmetic on it writes the expression's text, so
    that geometry's formula, written once in Python (:func:`geometry.unit_centre`), is the
    browser's too. Every operation is parenthesised; ``a // b`` is ``((a / b) | 0)``, right for the whole,
    non-negative numbers it divides (unit indices)."""

    def __init__(self, text: str):
        self.text = text

    @staticmethod
    def text_of(value) -> str:
        """An expression's text, or a number's (plain decimals, as JavaScript reads them)."""
        return value.text if isinstance(value, Js) else f"{float(value):.12g}"

    def _join(self, op: str, other, swapped: bool = False) -> Js:
        a, b = (other, self) if swapped else (self, other)
        return Js(f"({Js.text_of(a)} {op} {Js.text_of(b)})")

    def __add__(self, other): return self._join("+", other)
    def __radd__(self, other): return self._join("+", other, swapped=True)
    def __sub__(self, other): return self._join("-", other)
    def __rsub__(self, other): return self._join("-", other, swapped=True)
    def __mul__(self, other): return self if other == 1 else self._join("*", other)
    def __rmul__(self, other): return self if other == 1 else self._join("*", other, swapped=True)
    def __mod__(self, other): return 0 if other == 1 else self._join("%", other)  # whole numbers
    def __floordiv__(self, other): return Js(_floor(f"{self.text} / {Js.text_of(other)}"))


CHANNELS = ("red", "green", "blue")  # a colour input's three planes, in PyTorch's order


def map_names(plane: Plane) -> list[str] | None:
    """The names of a plane's maps when they have names (a colour input's red, green and blue),
    else None (maps are numbered)."""
    return list(CHANNELS) if plane.kind == "input" and len(plane.shape) == 3 and plane.shape[0] == 3 else None


def unit_where(plane: Plane, unit: int, classes) -> str:
    """Where unit number ``unit`` (flat) of ``plane`` is: ``map 3 (12, 7)``, ``unit 17``, ``class 7``
    (maps, rows, columns and units from 0, as everywhere in the lab)."""
    if len(plane.shape) == 3:
        m, r, c = np.unravel_index(unit, plane.shape)
        if names := map_names(plane):
            return f"{names[m]} ({r}, {c})"
        return f"map {m} ({r}, {c})" if plane.kind != "input" else f"({r}, {c})"  # from 0, as PyTorch
    if plane.kind == "output" and unit < len(classes):
        return f"class {classes[unit]}"
    return f"unit {unit}"


# The most units the 3D view draws: twice the bundled lenet-wide's 20,570. The browser recolours
# every unit each frame while the pen moves on the Network in 3D page, and lenet-wide takes
# about half of a frame's 33 ms budget in software WebGL on two cores (docs/draw.md); larger
# networks get their layer grids only, and the pad and the guesses still work.
MAX_3D_UNITS = 40_000


def units_drawn(planes: list[Plane]) -> int:
    """How many tiles the 3D view would draw: every unit of every plane."""
    return sum(plane.size for plane in planes)


def too_many_to_draw(planes: list[Plane]) -> str | None:
    """Why the 3D view does not draw a network of ``planes`` (more units than MAX_3D_UNITS), in
    one line, or None when it does."""
    units = units_drawn(planes)
    if units <= MAX_3D_UNITS:
        return None
    return f"this network has {units:,} units to draw; the 3D view draws at most {MAX_3D_UNITS:,}"


