"""The inside of a run, as charts: each layer's gradient through time, the saturated and dead
shares of its activations, and its weights' and activations' histograms epoch by epoch.

Each builder takes the store's long tables (:meth:`lenet_core.runs.RunStore.inside` and
``histograms``) of one run and returns an Altair chart; nothing here reads the store.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

HEIGHT_PER_LAYER = 22
# A long run is thinned evenly (its first and last kept): 300 epochs are 1,500 points a layer,
# more tiles than the heatmap has pixels across, and 300 stacked histograms a page tall.
MAX_POINTS = 120
MAX_RIDGES = 10


def evenly(values: list, most: int) -> list:
    """At most ``most`` of ``values``, evenly spaced, the first and the last among them."""
    if len(values) <= most:
        return list(values)
    picks = np.unique(np.round(np.linspace(0, len(values) - 1, most)).astype(int))
    return [values[i] for i in picks]


def layer_order(figures: pd.DataFrame) -> list[str]:
    """The layers in network order (as recorded: the engine walks the network front to back)."""
    return list(dict.fromkeys(figures["layer"]))


def log_gradients(figures: pd.DataFrame) -> pd.Series:
    return np.log10(figures.loc[figures["name"] == "grad_norm", "value"].clip(lower=1e-12))


def gradient_heatmap(figures: pd.DataFrame, domain: tuple[float, float] | None = None) -> alt.Chart:
    """Layer × reporting point, coloured by the gradient norm on a log scale: a first layer that
    learns a thousand times slower than the last shows as a dark band at the top. ``domain``: the
    colour scale's log10 range, shared by runs shown side by side (default: this run's own)."""
    rows = figures[figures["name"] == "grad_norm"]
    rows = rows[rows["step"].isin(evenly(sorted(set(rows["step"])), MAX_POINTS))].copy()
    order = layer_order(rows)
    rows["log10"] = np.log10(rows["value"].clip(lower=1e-12))
    rows["point"] = rows["epoch"].round(2)
    return alt.Chart(rows).mark_rect().encode(
        x=alt.X("point:O", title="epoch (five points an epoch)",
                axis=alt.Axis(labelAngle=0, labelOverlap=True, labelExpr="format(datum.value, '.1f')")),
        y=alt.Y("layer:N", sort=order, title=None),
        color=alt.Color("log10:Q", title=["gradient norm", "(log10)"],
                        scale=alt.Scale(scheme="viridis", domain=list(domain) if domain else alt.Undefined)),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("epoch:Q", format=".2f"),
                 alt.Tooltip("value:Q", title="gradient norm", format=".3g"),
                 alt.Tooltip("step:Q", title="step")],
    ).properties(height=alt.Step(HEIGHT_PER_LAYER))


def shares_chart(figures: pd.DataFrame) -> alt.Chart | None:
    """Each activation layer's saturated (sigmoid, tanh) or dead (ReLU) share through time; None
    for a network without such layers."""
    rows = figures[figures["name"].isin(["saturated", "dead"])]
    if rows.empty:
        return None
    rows = rows[rows["step"].isin(evenly(sorted(set(rows["step"])), MAX_POINTS))].copy()
    rows["series"] = rows["layer"] + " " + rows["name"]
    return alt.Chart(rows).mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch"),
        y=alt.Y("value:Q", title="share of the layer", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("series:N", title=None, sort=layer_order(rows)),
        tooltip=[alt.Tooltip("series:N", title="layer"), alt.Tooltip("epoch:Q", format=".2f"),
                 alt.Tooltip("value:Q", title="share", format=".1%")],
    ).properties(height=180)


def ridge_rows(histograms: pd.DataFrame, layer: str, kind: str) -> pd.DataFrame:
    """One row a bin and epoch: the bin's centre, and its count scaled so each epoch's tallest bin
    is 0.9 of the gap between epochs, stacked at the epoch's baseline (TensorBoard's offset view)."""
    chosen = histograms[(histograms["layer"] == layer) & (histograms["kind"] == kind)]
    parts = []
    for _, h in chosen.iterrows():
        counts = np.asarray(h["counts"], float)
        edges = np.linspace(h["low"], h["high"], len(counts) + 1)
        top = counts.max() or 1.0
        parts.append(pd.DataFrame({"epoch": h["epoch"], "value": (edges[:-1] + edges[1:]) / 2,
                                   "count": counts.astype(int), "base": h["epoch"],
                                   "top": h["epoch"] + 0.9 * counts / top}))
    columns = ["epoch", "value", "count", "base", "top"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def histogram_ridges(histograms: pd.DataFrame, layer: str, kind: str) -> alt.Chart:
    """``layer``'s weights or activations, one histogram an epoch stacked upwards, later epochs
    darker (at most MAX_RIDGES epochs, evenly spaced)."""
    kept = evenly(sorted(set(histograms["epoch"])), MAX_RIDGES)
    rows = ridge_rows(histograms[histograms["epoch"].isin(kept)], layer, kind)
    epochs = sorted(set(rows["epoch"]))
    what = "weight" if kind == "weights" else "output"
    span = [min(epochs, default=1), max(epochs, default=1) + 1]
    return alt.Chart(rows).mark_area(opacity=0.75, interpolate="step", line=True).encode(
        x=alt.X("value:Q", title=f"{layer} {what}"),
        y=alt.Y("top:Q", title="epoch", scale=alt.Scale(domain=span),
                axis=alt.Axis(values=epochs, format="d")),
        y2="base:Q",
        color=alt.Color("epoch:O", title="epoch", scale=alt.Scale(scheme="blues"), legend=None),
        detail="epoch:O",
        tooltip=[alt.Tooltip("epoch:O"), alt.Tooltip("value:Q", title=what, format=".3g"),
                 alt.Tooltip("count:Q", format=",")],
    ).properties(height=max(160, 60 * len(epochs)))

