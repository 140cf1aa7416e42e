"""A sweep's results: each varied setting against the sweep's metric, a point per trial."""

from __future__ import annotations

import altair as alt
import pandas as pd

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
