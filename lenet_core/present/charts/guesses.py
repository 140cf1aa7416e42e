"""What a model guesses for one image: every class's probability as a bar (the Draw page and the
Explorer)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import torch

from lenet_core.format import format_probability

# A bar longer than this share of the axis carries its value inside it, in white; a shorter one
# to its right, so that a guess of 0.05% (no visible bar) still reads as a number.
INSIDE_LABEL = 0.8

ROLE_COLOURS = {"first guess": "#d62728", "second guess": "#ff9896", "other": "#c7c7c7",
                "right": "#2ca02c", "wrong": "#d62728", "label": "#98df8a"}


def probability_roles(p: np.ndarray, truth: int | None = None) -> np.ndarray:
    """What each class's bar stands for. Without a label (a drawing): the first guess and the
    second. With the sample's label: the guess is ``right`` or ``wrong``, and a wrong guess's
    true class is marked ``label``."""
    order = np.argsort(-p)
    if truth is None:
        roles = np.full(len(p), "other", dtype=object)
        roles[order[0]], roles[order[1]] = "first guess", "second guess"
        return roles
    roles = np.full(len(p), "other", dtype=object)
    if order[0] == truth:
        roles[truth] = "right"
    else:
        roles[order[0]], roles[truth] = "wrong", "label"
    return roles


def probability_chart(probabilities: torch.Tensor | np.ndarray, classes: list[str] | tuple[str, ...],
                      truth: int | None = None) -> alt.LayerChart:
    """Horizontal bars of all class probabilities, each labelled with its value (``<0.1%`` when
    too small to see): the first guess red and the second pink for a drawing; for a sample with
    a label (``truth``), the guess green when right, red when wrong with the true class light green."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    role = probability_roles(p, truth)
    shown = [r for r in ROLE_COLOURS if r in set(role)]
    frame = pd.DataFrame({"class": [str(c) for c in classes], "probability": p, "role": role,
                          "label": [format_probability(v) for v in p]})
    bars = alt.Chart().mark_bar().encode(
        color=alt.Color("role:N", title=None,
                        scale=alt.Scale(domain=shown, range=[ROLE_COLOURS[r] for r in shown]),
                        legend=None),  # narrow column: the page says what the colours mean
        tooltip=[alt.Tooltip("class:N"), alt.Tooltip("probability:Q", format=".2%")],
    )
    outside = alt.Chart().mark_text(align="left", dx=4, fontSize=11, color="#444").encode(
        text="label:N").transform_filter(f"datum.probability <= {INSIDE_LABEL}")
    inside = alt.Chart().mark_text(align="right", dx=-4, fontSize=11, color="white",
                                   fontWeight="bold").encode(
        text="label:N").transform_filter(f"datum.probability > {INSIDE_LABEL}")
    return alt.layer(bars, outside, inside, data=frame).encode(
        y=alt.Y("class:N", sort=[str(c) for c in classes], title=None,
                axis=alt.Axis(labelOverlap=False, labelFontSize=13)),
        # Ticks set by hand: in a narrow column Vega-Lite chose 0%, 40%, 80%, and a bar of a sure
        # guess ran past the last label with no 100% to read it against.
        x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]), title="probability"),
    ).properties(height=alt.Step(22), width="container")
