"""Pictures for the unit inspector: a layer's output as a clickable chart, the receptive field
outlined on the input, and a unit's patch, weights and products. Pure functions on NumPy arrays,
built on :mod:`lenet_core.present.visuals` so colours follow the same rule as every layer view.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lenet_core.inspect.unit import Box, UnitReport
from lenet_core.present import visuals

FIELD_COLOUR = (255, 176, 0)  # amber: visible on black, white, and both ends of every colour map
SELECTION = "unit"  # the chart's selection parameter: a click reports {"unit": [flat index]}
VECTOR_COLUMNS = 20  # units per row when a vector is laid out for clicking


def outline(rgb: np.ndarray, box: Box, cell: int, colour=FIELD_COLOUR, width: int = 2) -> np.ndarray:
    """Draw ``box`` (in source pixels, already inside the picture) on a picture enlarged ``cell``
    times: a frame ``width`` pixels thick just inside the box's edge."""
    out = np.array(rgb, copy=True)
    top, left = box.top * cell, box.left * cell
    bottom, right = (box.bottom + 1) * cell, (box.right + 1) * cell
    out[top:top + width, left:right] = colour
    out[bottom - width:bottom, left:right] = colour
    out[top:bottom, left:left + width] = colour
    out[top:bottom, right - width:right] = colour
    return out


def field_picture(image: np.ndarray, box: Box, cell: int = 10) -> np.ndarray:
    """The 28×28 image ("what the network sees") with a unit's receptive field outlined."""
    return outline(visuals.pixel_view(image, cell=cell), box, cell)


def grid_shape(values: np.ndarray) -> tuple[int, int]:
    """(rows, columns) a layer's output is drawn as: a map is its own H×W; a vector of N units
    wraps into rows of :data:`VECTOR_COLUMNS` (fewer if N is small)."""
    if values.ndim == 2:
        return values.shape
    cols = min(len(values), VECTOR_COLUMNS)
    return -(-len(values) // cols), cols


def unit_map_chart(values: np.ndarray, scale: visuals.ColourScale, selected: int | None = None,
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


def window_pictures(report: UnitReport, source_scale: visuals.ColourScale, side: int = 100
                    ) -> dict[str, tuple[np.ndarray, visuals.ColourScale]]:
    """What a convolution or pooling unit reads, and for a convolution its filter and the
    products: ``{"inputs": ..., "weights": ..., "products": ...}``, each a picture and its scale.

    Input channels side by side (conv2 reads six 5×5 windows), each about ``side`` pixels wide;
    positions in the padding are 0.
    """
    patch = report.inputs if report.inputs.ndim == 3 else report.inputs[None]
    cell = max(4, side // patch.shape[-1])  # a 5×5 window and a 2×2 one come out the same size
    pictures = {"inputs": (visuals.grid(patch, source_scale, zoom=cell, gap=3), source_scale)}
    if report.weights is not None:
        weights_scale = visuals.signed_scale(report.weights, "weights")
        products = report.inputs * report.weights
        product_scale = visuals.signed_scale(products, "w·x")
        pictures["weights"] = (visuals.grid(report.weights, weights_scale, zoom=cell, gap=3), weights_scale)
        pictures["products"] = (visuals.grid(products, product_scale, zoom=cell, gap=3), product_scale)
    return pictures


def contributions(report: UnitReport, top: int = 10) -> pd.DataFrame:
    """The inputs of a dense unit whose w·x move it most, largest magnitude first."""
    x, w = np.asarray(report.inputs, np.float64), np.asarray(report.weights, np.float64)
    products = x * w
    order = np.argsort(-np.abs(products))[:top]
    return pd.DataFrame({"input": order, "x": x[order], "w": w[order], "w·x": products[order]})
