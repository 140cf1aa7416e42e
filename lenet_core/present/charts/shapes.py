"""The Shapes page's two bar charts: activation values and parameters per layer."""

from __future__ import annotations

import altair as alt
import pandas as pd

# Every LayerSpec.kind: a kind left out took the first colour (a dropout bar drawn as a convolution).
LAYER_KIND_COLOURS = alt.Scale(
    domain=["conv", "pool", "activation", "norm", "dropout", "flatten", "dense"],
    range=["#4c78a8", "#72b7b2", "#bab0ac", "#d4a6c8", "#eeca3b", "#9d755d", "#f58518"],
)


def shapes_charts(rows: pd.DataFrame, log: bool = False) -> tuple[alt.Chart, alt.Chart]:
    """How the tensor shrinks: activation values per layer, and parameters per layer, as two bar
    charts with the same rows (the page sets them side by side, each as wide as its column).

    ``rows`` has one row per layer with ``index``, ``label``, ``layer``, ``kind``, ``elements``
    and ``params`` (as :func:`lenet_core.model.shapes.to_records` gives, plus the layer kind).
    Linear axes by default, so that lengths compare; ``log``: symmetric-log axes, said in their
    titles (layers without parameters stay at 0).
    """
    order = list(rows.sort_values("index")["label"])
    scale = alt.Scale(type="symlog") if log else alt.Undefined
    suffix = " (log scale)" if log else ""
    base = alt.Chart(rows).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        color=alt.Color("kind:N", scale=LAYER_KIND_COLOURS, title="layer kind", legend=None),
        tooltip=[
            alt.Tooltip("label:N", title="layer"),
            alt.Tooltip("layer:N", title="type"),
            alt.Tooltip("elements:Q", title="output values", format=","),
            alt.Tooltip("params:Q", title="parameters", format=","),
        ],
    )
    values = base.mark_bar().encode(
        x=alt.X("elements:Q", title="output values per image" + suffix, scale=scale,
                axis=alt.Axis(format=",", tickCount=4)),
    ).properties(title="Activation size (output values)", width="container", height=alt.Step(22))
    params = base.mark_bar().encode(
        x=alt.X("params:Q", title="parameters" + suffix, scale=scale, axis=alt.Axis(format=",", tickCount=4)),
        y=alt.Y("label:N", sort=order, axis=None),
        color=alt.Color("kind:N", scale=LAYER_KIND_COLOURS, title="layer kind",
                        legend=alt.Legend(orient="bottom", columns=3)),
    ).properties(title="Parameters", width="container", height=alt.Step(22))
    return values, params
