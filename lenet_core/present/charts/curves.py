"""Training curves: one run as the tutorial plots it (live and finished), several runs compared
as TensorBoard does, and TensorBoard's smoothing.

Metrics arrive in the run store's long format: one row per (run_id, step, epoch, name, value,
wall_time); wall_time counts seconds since the run began. ``epoch`` is fractional for the in-epoch
train points (as the tutorial plots them: epoch + (i + 1) / batches) and whole for the end-of-epoch
test accuracy.
"""

from __future__ import annotations

import functools
import json

import altair as alt
import numpy as np
import pandas as pd

from lenet_core.present.colours import run_colours

CURVE_NAMES = {"train_loss": "train loss", "train_acc": "train acc", "test_acc": "test acc"}
# The tutorial's Animator: blue solid, magenta dashed, green dash-dot (matplotlib's '-', 'm--', 'g-.').
CURVE_COLOURS = alt.Scale(domain=list(CURVE_NAMES.values()), range=["#1f77b4", "#bf00bf", "#008000"])
CURVE_DASHES = alt.Scale(domain=list(CURVE_NAMES.values()), range=[[1, 0], [6, 3], [6, 3, 1, 3]])
X_AXES = {"epoch": ("epoch:Q", "epoch"), "step": ("step:Q", "step (batches)"),
          "wall_time": ("seconds:Q", "wall time (s)")}
PANEL_TITLES = {"train_loss": "Train loss", "train_acc": "Train accuracy", "test_acc": "Test accuracy"}


def ema_smooth(values, weight: float) -> np.ndarray:
    """TensorBoard's scalar smoothing: an exponential moving average, debiased.

    ``last = weight * last + (1 - weight) * value`` starting from 0, divided by
    ``1 - weight ** n`` (n = finite points so far) so the first points are not pulled towards 0.
    Non-finite values pass through unchanged and do not enter the average; ``weight`` 0 returns
    the values, 0.999 smooths hardest (TensorBoard's slider stops there too).
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    values = np.asarray(values, dtype=float)
    out = values.copy()
    last, count = 0.0, 0
    for i, value in enumerate(values):
        if not np.isfinite(value):
            continue
        last = last * weight + (1.0 - weight) * value
        count += 1
        out[i] = last / (1.0 - weight**count)
    return out


def smooth_metrics(metrics: pd.DataFrame, weight: float) -> pd.DataFrame:
    """``metrics`` plus a ``smoothed`` column: :func:`ema_smooth` within each run and metric,
    in step order."""
    out = metrics.sort_values(["run_id", "name", "step", "epoch"], kind="stable").reset_index(drop=True)
    out["smoothed"] = out["value"].astype(float)
    for _, index in out.groupby(["run_id", "name"], sort=False).groups.items():
        out.loc[index, "smoothed"] = ema_smooth(out.loc[index, "value"], weight)
    return out


def _curve_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    """The curve metrics only, with a readable ``series`` name; ``seconds`` is the store's
    ``wall_time`` (seconds since the run began, resumed sessions included)."""
    rows = metrics[metrics["name"].isin(CURVE_NAMES)].copy()
    rows["series"] = rows["name"].map(CURVE_NAMES)
    rows["seconds"] = rows["wall_time"].astype(float).round(2)
    return rows


def training_curves_chart(metrics: pd.DataFrame, epochs: int | None = None,
                          title: str | None = None) -> alt.LayerChart:
    """One run as the tutorial plots it: train loss, train acc and test acc against (fractional)
    epoch on one axis, with a point per record for the tooltips.

    ``epochs`` fixes the x axis to the whole run (so a live run fills it from the left).
    """
    rows = _curve_rows(metrics)[["series", "epoch", "step", "value"]]
    x_scale = alt.Scale(domain=[0, epochs]) if epochs else alt.Undefined
    # A tick per whole epoch, as the tutorial's plot has (a live run would otherwise get 0.1 steps).
    x_axis = alt.Axis(values=list(range(epochs + 1))) if epochs and epochs <= 20 else alt.Axis(tickMinStep=1)
    base = alt.Chart(rows).encode(
        x=alt.X("epoch:Q", title="epoch", scale=x_scale, axis=x_axis),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("series:N", scale=CURVE_COLOURS, title=None,
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("series:N", title="metric"),
                 alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
                 alt.Tooltip("step:Q", title="step"),
                 alt.Tooltip("value:Q", title="value", format=".4f")],
    )
    lines = base.mark_line().encode(strokeDash=alt.StrokeDash("series:N", scale=CURVE_DASHES,
                                                              legend=None))
    # Test accuracy comes once an epoch: bigger points, so a first lone value is seen.
    points = base.mark_point(filled=True).encode(
        size=alt.condition(alt.datum.series == "test acc", alt.value(70), alt.value(25)))
    chart = alt.layer(lines, points).properties(height=320)
    return chart.properties(title=title) if title else chart


def training_curves_spec(metrics: pd.DataFrame, epochs: int | None = None,
                         title: str | None = None) -> tuple[dict, pd.DataFrame]:
    """:func:`training_curves_chart` for the live panel, which redraws it every second: the
    Vega-Lite spec without its data, built and validated once per (epochs, title), and the rows
    to plot under it (for ``st.vega_lite_chart(rows, spec)``).

    Building and serialising the Altair chart costs about 45 ms a tick, taken from a training
    run on the same cores; copying the cached spec costs well under 1 ms.
    """
    rows = _curve_rows(metrics)[["series", "epoch", "step", "value"]].reset_index(drop=True)
    return json.loads(_curves_template(epochs, title)), rows


@functools.lru_cache(maxsize=64)
def _curves_template(epochs: int | None, title: str | None) -> str:
    empty = pd.DataFrame({"run_id": [], "step": [], "epoch": [], "name": [], "value": [], "wall_time": []})
    spec = training_curves_chart(empty, epochs, title).to_dict()
    for key in ("data", "datasets", "config", "$schema"):  # data comes per tick; Streamlit themes it
        spec.pop(key, None)
    return json.dumps(spec)


def compare_runs_panels(metrics: pd.DataFrame, labels: dict, x: str = "epoch", smoothing: float = 0.0,
                        log_loss: bool = False, height: int = 300) -> list[alt.LayerChart]:
    """Several runs overlaid, one colour per run: a chart each for train loss, train accuracy and
    test accuracy, as wide as the page gives them (``width="container"``); their legend is
    :func:`lenet_core.present.colours.runs_legend_html`, drawn once above them.

    ``labels`` maps run id -> the name shown (its order is the colours' order); ``x`` is ``epoch``,
    ``step`` or ``wall_time`` (seconds since the run began); ``log_loss`` puts the loss on a log
    axis (TensorBoard's option). With ``smoothing`` > 0 the smoothed line is drawn over the raw
    one, which fades, as TensorBoard does.
    """
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}, got {x!r}")
    rows = _curve_rows(smooth_metrics(metrics[metrics["run_id"].isin(labels)], smoothing))
    rows["run"] = rows["run_id"].map(labels)
    rows = rows[["run", "name", "epoch", "step", "seconds", "value", "smoothed"]]
    x_field, x_title = X_AXES[x]
    palette = run_colours(list(labels.values()))
    colour = alt.Color("run:N", legend=None, sort=list(palette),
                       scale=alt.Scale(domain=list(palette), range=list(palette.values())))
    # One x range from 0 for all panels: test accuracy (first point at epoch 1) lines up with the rest.
    x_max = float(rows[x_field.split(":")[0]].max()) if len(rows) else 1.0
    x_scale = alt.Scale(domain=[0, x_max or 1.0], nice=False)
    panels = []
    for name, title in PANEL_TITLES.items():
        base = alt.Chart(rows).transform_filter(alt.datum.name == name).encode(
            x=alt.X(x_field, title=x_title, scale=x_scale), color=colour)
        tooltip = [alt.Tooltip("run:N"), alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("step:Q"),
                   alt.Tooltip("seconds:Q", title="seconds", format=".1f"),
                   alt.Tooltip("value:Q", format=".4f")]
        if smoothing > 0:
            tooltip.append(alt.Tooltip("smoothed:Q", format=".4f"))
        empty = not (rows["name"] == name).any()
        # An empty panel (test accuracy before any run ends an epoch) would show a lone
        # "0.000000" axis: give it a 0-1 axis and say why it is empty.
        y_scale = (alt.Scale(domain=[0, 1]) if empty else
                   alt.Scale(type="log") if log_loss and name == "train_loss" else alt.Undefined)
        y_title = "log scale" if log_loss and name == "train_loss" and not empty else None
        layers = []
        if smoothing > 0:
            raw = alt.Y("value:Q", title=y_title, scale=y_scale)
            layers.append(base.mark_line(opacity=0.25).encode(y=raw))
        layers.append(base.mark_line().encode(y=alt.Y("smoothed:Q", title=y_title, scale=y_scale)))
        layers.append(base.mark_point(filled=True, size=20, opacity=0.7).encode(
            y=alt.Y("smoothed:Q", title=y_title, scale=y_scale), tooltip=tooltip))
        if empty:
            layers.append(_empty_note(EMPTY_PANEL_NOTES[name], height))
        panels.append(alt.layer(*layers).properties(title=title, width="container", height=height))
    return panels


EMPTY_PANEL_NOTES = {"train_loss": "no points yet (a fifth of an epoch in)",
                     "train_acc": "no points yet (a fifth of an epoch in)",
                     "test_acc": "none yet: measured at each epoch's end"}


def _empty_note(text: str, height: int) -> alt.Chart:
    """A grey line of text in the middle of an empty panel, whatever width the page gives it."""
    return alt.Chart(pd.DataFrame({"note": [text]})).mark_text(color="gray", fontSize=12).encode(
        text="note:N", x=alt.value({"expr": "width / 2"}), y=alt.value(height / 2))
