"""A finished run on its test set: the confusion matrix and the accuracy of each class."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd


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
