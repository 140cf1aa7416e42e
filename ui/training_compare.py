"""The Training page's runs table and the overlay of several runs' curves.

The overlay refreshes itself every two seconds while one of the compared runs is active.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lenet_core import run_views, runs
from lenet_core.charts import compare_runs_chart

COMPARE = "compare_runs"  # widget keys: the Playwright journey looks for their labels
SMOOTHING = "compare_smoothing"
X_AXIS = "compare_x"
X_TITLES = {"epoch": "epoch", "step": "step", "wall_time": "wall time"}
COMPARE_EVERY_S = 2.0


def runs_table(all_runs: list[runs.Run]) -> None:
    table = run_views.runs_table(all_runs)
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={
            "id": st.column_config.TextColumn("id"),
            "best test acc": st.column_config.ProgressColumn("best test acc", format="percent",
                                                             min_value=0.0, max_value=1.0),
            "examples/s": st.column_config.NumberColumn("examples/s", format="%d"),
            "started": st.column_config.DatetimeColumn("started", format="YYYY-MM-DD HH:mm:ss"),
        },
    )


def compare(all_runs: list[runs.Run], home: Path | None) -> None:
    """Pick runs, smoothing and x axis; draw their curves overlaid, one colour per run."""
    ids = [r.id for r in all_runs]
    labels = run_views.run_labels(all_runs)
    if COMPARE not in st.session_state:  # first view: the three newest runs
        st.session_state[COMPARE] = ids[:3]
    st.session_state[COMPARE] = [i for i in st.session_state[COMPARE] if i in ids]  # deleted ones go
    st.multiselect("Runs to compare", ids, key=COMPARE, format_func=labels.get,
                   placeholder="Choose runs to overlay")
    left, right = st.columns([2, 3])
    left.slider("Smoothing", 0.0, 0.99, 0.0, 0.01, key=SMOOTHING,
                help="Exponential moving average, as TensorBoard's slider: 0 shows the raw values; "
                     "the raw line stays faintly behind the smoothed one.")
    right.radio("X axis", list(X_TITLES), key=X_AXIS, format_func=X_TITLES.get, horizontal=True)
    chosen = st.session_state[COMPARE]
    if not chosen:
        st.caption("Choose one or more runs above to overlay their curves.")
        return
    any_active = any(r.active for r in all_runs if r.id in chosen)

    @st.fragment(run_every=COMPARE_EVERY_S if any_active else None)
    def overlay() -> None:
        metrics = runs.RunStore(home).metrics(chosen)
        chart = compare_runs_chart(metrics, {i: labels[i] for i in chosen},
                                   x=st.session_state[X_AXIS], smoothing=st.session_state[SMOOTHING])
        st.altair_chart(chart, width="content", key="compare_chart")

    overlay()
