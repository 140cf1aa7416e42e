"""Chart builders: plain DataFrames in, ``alt.Chart`` out. Pure functions, shared by every page
that shows the same thing, and tested on their specs without Streamlit."""

from __future__ import annotations

import altair as alt
import pandas as pd

LAYER_KIND_COLOURS = alt.Scale(
    domain=["conv", "pool", "activation", "norm", "flatten", "dense"],
    range=["#4c78a8", "#72b7b2", "#bab0ac", "#d4a6c8", "#9d755d", "#f58518"],
)


def shapes_chart(rows: pd.DataFrame) -> alt.Chart:
    """How the tensor shrinks: activation values per layer beside parameters per layer.

    ``rows`` has one row per layer with ``index``, ``label``, ``layer``, ``kind``, ``elements``
    and ``params`` (as :func:`lenet_core.shapes.to_records` gives, plus the layer kind).
    """
    order = list(rows.sort_values("index")["label"])
    base = alt.Chart(rows).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        color=alt.Color("kind:N", scale=LAYER_KIND_COLOURS, title="layer kind"),
        tooltip=[
            alt.Tooltip("label:N", title="layer"),
            alt.Tooltip("layer:N", title="type"),
            alt.Tooltip("elements:Q", title="output values", format=","),
            alt.Tooltip("params:Q", title="parameters", format=","),
        ],
    )
    values = base.mark_bar().encode(
        x=alt.X("elements:Q", title="output values per image", scale=alt.Scale(type="sqrt")),
    ).properties(title="Activation size (output values)", width=320, height=alt.Step(22))
    params = base.mark_bar().encode(
        x=alt.X("params:Q", title="parameters", scale=alt.Scale(type="sqrt")),
    ).properties(title="Parameters", width=320, height=alt.Step(22))
    return alt.hconcat(values, params.encode(y=alt.Y("label:N", sort=order, axis=None)))
