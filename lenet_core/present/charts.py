"""Charts: plain data in, ``alt.Chart`` out — every Altair chart of the lab (training curves and
comparisons, confusion matrices, the shape chart, class probabilities, the unit inspector's
clickable map). Pure functions, shared by every page that shows the same thing, and tested on
their specs without Streamlit. Pictures (NumPy arrays) are :mod:`lenet_core.present.pictures`."""

from __future__ import annotations

import functools
import json

import altair as alt
import numpy as np
import pandas as pd
import torch

from lenet_core.present.colours import ColourScale, run_colours
from lenet_core.present.pictures import FIELD_COLOUR

LAYER_KIND_COLOURS = alt.Scale(
    domain=["conv", "pool", "activation", "norm", "flatten", "dense"],
    range=["#4c78a8", "#72b7b2", "#bab0ac", "#d4a6c8", "#9d755d", "#f58518"],
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


# ---- training -------------------------------------------------------------------------------
# Metrics arrive in the run store's long format: one row per (run_id, step, epoch, name, value,
# wall_time); wall_time counts seconds since the run began. ``epoch`` is fractional for the
# in-epoch train points (as the tutorial plots them: epoch + (i + 1) / batches) and whole for the
# end-of-epoch test accuracy.

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


def confusion_chart(confusion, classes) -> alt.LayerChart:
    """The confusion matrix as a heatmap: true class down, predicted class across, a count in
    each cell; colour is the share of the true class (so small classes read the same)."""
    matrix = np.asarray(confusion, dtype=np.int64)
    classes = [str(c) for c in classes]
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    rows = pd.DataFrame([{"true": classes[t], "predicted": classes[p], "count": int(matrix[t, p]),
                          "share": round(float(share[t, p]), 4)}
                         for t in range(len(classes)) for p in range(len(classes))])
    base = alt.Chart(rows).encode(
        x=alt.X("predicted:N", sort=classes, title="predicted class",
                axis=alt.Axis(labelAngle=0 if max(map(len, classes)) <= 2 else -40)),
        y=alt.Y("true:N", sort=classes, title="true class"),
        tooltip=[alt.Tooltip("true:N", title="true"), alt.Tooltip("predicted:N", title="predicted"),
                 alt.Tooltip("count:Q", title="images"),
                 alt.Tooltip("share:Q", title="share of true class", format=".1%")],
    )
    cells = base.mark_rect().encode(color=alt.Color(
        "share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), title="share of true class",
        legend=alt.Legend(format="%")))
    counts = base.mark_text(fontSize=11).encode(
        text=alt.Text("count:Q"),
        color=alt.condition(alt.datum.share > 0.5, alt.value("white"), alt.value("black")),
    )
    # As wide as its column, legend included: at a fixed 38 px a cell, the legend ran over the chart
    # beside it in a 1280-px window.
    return alt.layer(cells, counts).properties(width="container", height=alt.Step(30),
                                               title="Confusion matrix (test set)")


def per_class_chart(per_class_acc, classes) -> alt.LayerChart:
    """Test accuracy of each class as horizontal bars, in class order, with the value printed."""
    rows = pd.DataFrame({"class": [str(c) for c in classes],
                         "accuracy": [float(a) for a in per_class_acc]})
    base = alt.Chart(rows).encode(
        y=alt.Y("class:N", sort=list(rows["class"]), title=None),
        x=alt.X("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="test accuracy"),
        tooltip=[alt.Tooltip("class:N"), alt.Tooltip("accuracy:Q", format=".1%")],
    )
    bars = base.mark_bar(color="#4c78a8")
    # Inside the bar's end, so 100% is not cut off by the chart's edge.
    text = base.mark_text(align="right", dx=-4, color="white").encode(
        text=alt.Text("accuracy:Q", format=".1%"))
    return alt.layer(bars, text).properties(height=alt.Step(30), title="Accuracy per class (test set)")


# ---- the Draw page and the Explorer ---------------------------------------------------------

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
    from lenet_core.inspect.activations import format_probability

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


# ---- the unit inspector's clickable map --------------------------------------------------------

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




# ---- sweeps ----------------------------------------------------------------------------------

SWEEP_STATUS_COLOURS = {"completed": "#1f77b4", "running": "#2ca02c", "pruned": "#ff7f0e",
                        "diverged": "#d62728", "stopped": "#7f7f7f", "failed": "#9467bd", "queued": "#c7c7c7"}
LOG_SPAN = 20  # a numeric setting whose values span this factor or more gets a log axis (lr, weight decay)


def log_axis(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(numbers)) and bool((numbers > 0).all()) and numbers.max() / numbers.min() >= LOG_SPAN


def setting_axis_format(values: pd.Series) -> str:
    """A setting's numbers as typed: ``64`` (not ``64.000000``), ``0.1``, ``1e-3``."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return "d" if len(numbers) and bool((numbers == numbers.round()).all()) else "~g"


def sweep_panels(table: pd.DataFrame, fields: list[str], metric: str, metric_title: str
                 ) -> list[alt.Chart]:
    """Each varied setting against the sweep's metric, one chart a setting (the page lays them
    out to fit its width), one point a trial coloured by status (a trial not evaluated yet is
    left out); the status legend on the first only."""
    rows = table[table[metric].notna()].copy()
    rows["status"] = rows["status"].str.split(" ").str[0]  # "pruned after epoch 2" -> pruned
    # The statuses present only: a narrow panel's legend of all seven was cut off.
    shown = [s for s in SWEEP_STATUS_COLOURS if s in set(rows["status"])]
    statuses = alt.Scale(domain=shown, range=[SWEEP_STATUS_COLOURS[s] for s in shown])
    panels = []
    for k, field in enumerate(fields):
        numeric = pd.api.types.is_numeric_dtype(rows[field]) and not pd.api.types.is_bool_dtype(rows[field])
        if numeric:
            scale = alt.Scale(type="log") if log_axis(rows[field]) else alt.Scale(zero=False, padding=12)
            axis = alt.Axis(format=setting_axis_format(rows[field]), values=sorted(rows[field].unique())
                            if rows[field].nunique() <= 6 else alt.Undefined)
            x = alt.X(f"{field}:Q", title=field, scale=scale, axis=axis)
        else:
            rows[field] = rows[field].astype(str)
            x = alt.X(f"{field}:N", title=field, axis=alt.Axis(labelAngle=0))
        legend = alt.Legend(orient="top", title=None) if k == 0 else None
        panels.append(alt.Chart(rows).mark_circle(size=90, opacity=0.85).encode(
            x=x, y=alt.Y(f"{metric}:Q", title=metric_title, scale=alt.Scale(zero=False)),
            color=alt.Color("status:N", scale=statuses, legend=legend),
            tooltip=[alt.Tooltip("trial:Q"), *[alt.Tooltip(f"{f}:{'Q' if f == field and numeric else 'N'}")
                                               for f in fields],
                     alt.Tooltip("status:N"), alt.Tooltip(f"{metric}:Q", format=".4f")],
        ).properties(width="container", height=220))
    return panels
