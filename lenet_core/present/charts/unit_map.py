"""The unit inspector's clickable map: one layer's output as squares, a click picks a unit."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lenet_core.present.colours import ColourScale
from lenet_core.present.pictures import FIELD_COLOUR

SELECTION = "unit"  # the chart's selection parameter: a click reports {"unit": [flat index]}
VECTOR_COLUMNS = 20  # units per row when a vector is laid out for clicking


def grid_shape(values: np.ndarray) -> tuple[int, int]:
    """(rows, columns) a layer's output is drawn as: a map is its own H×W; a vector of N units
    wraps into rows of :data:`VECTOR_COLUMNS` (fewer if N is small)."""
    if values.ndim == 2:
        return values.shape
    cols = min(len(values), VECTOR_COLUMNS)
    return -(-len(values) // cols), cols


def unit_map_chart(values: np.ndarray, scale: ColourScale, selected: int | None = None,
                   side: int = 300) -> alt.Chart:
    """One map (H×W) or one vector (N) as squares coloured by ``scale``; a click selects a unit.

    Every square carries its flat index ``unit`` (row · W + column for a map): the selection
    parameter :data:`SELECTION` reports that index, and ``selected`` is drawn with a thick frame.
    """
    values = np.asarray(values, dtype=np.float64)
    rows, cols = grid_shape(values)
    flat = values.ravel()
    index = np.arange(flat.size)
    frame = pd.DataFrame({
        "unit": index, "row": index // cols, "col": index % cols, "value": flat,
        "colour": [_hex(c) for c in scale.colour(flat)],
        "chosen": index == (selected if selected is not None else -1),
    })
    cell = max(8, min(40, side // max(rows, cols)))
    pick = alt.selection_point(name=SELECTION, fields=["unit"], on="click", clear=False)
    axis = alt.Axis(ticks=False, domain=False, labelFontSize=10, grid=False)
    tooltip = ([alt.Tooltip("row:O"), alt.Tooltip("col:O", title="column")] if values.ndim == 2
               else [alt.Tooltip("unit:O")]) + [alt.Tooltip("value:Q", format=".4f")]
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X("col:O", title="column" if values.ndim == 2 else None,
                axis=axis if values.ndim == 2 else None),
        y=alt.Y("row:O", title="row" if values.ndim == 2 else None,
                axis=axis if values.ndim == 2 else None),
        color=alt.Color("colour:N", scale=None, legend=None),
        stroke=alt.condition("datum.chosen", alt.value(_hex(FIELD_COLOUR)), alt.value("transparent")),
        strokeWidth=alt.condition("datum.chosen", alt.value(3), alt.value(0)),
        tooltip=tooltip,
    ).add_params(pick).properties(width=cell * cols, height=cell * rows)


def _hex(rgb) -> str:
    r, g, b = (int(v) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def clicked_unit(event) -> int | None:
    """The flat unit index from a Streamlit chart selection event (or its session-state dict)."""
    try:
        points = event["selection"][SELECTION]
    except (KeyError, TypeError):
        return None
    if not points:
        return None
    unit = points[0].get("unit") if isinstance(points[0], dict) else None
    return int(unit) if unit is not None else None
