"""The Training page's runs table and the overlay of several runs' curves.

Both sit in one fragment that re-reads the store every two seconds while any run is active, so
statuses, durations and curves stay current; it reruns the page once when the last run ends.
"""

from __future__ import annotations

import streamlit as st

from lenet_core import runs
from lenet_core.present.charts.curves import compare_runs_panels
from lenet_core.present.colours import runs_legend_html
from lenet_core.runs import RunStore, report
from pages.ui import state
from pages.ui.charts import show_chart
from pages.ui.state import COMPARE, COMPARE_AUTO, LOG_LOSS, SMOOTHING, X_AXIS

NEWEST = 3
X_TITLES = {"epoch": "epoch", "step": "step", "wall_time": "wall time"}
REFRESH_EVERY_S = 2.0


def section(all_runs: list[runs.Run], store: RunStore) -> None:
    """The runs table and the comparison, refreshed while any run is active."""
    was_active = any(r.active for r in all_runs)

    @st.fragment(run_every=REFRESH_EVERY_S if was_active else None)
    def body() -> None:
        current = store.list()  # a run launched from another tab appears too
        if was_active and not any(r.active for r in current):
            st.rerun()  # the whole page, once: the run picker and the timers catch up
        runs_table(current)
        compare(current, store)

    body()


def runs_table(all_runs: list[runs.Run]) -> None:
    table = report.runs_table(all_runs)
    st.dataframe(
        table, hide_index=True, width="stretch",
        # Widths that put what tells runs apart first on a 1280-px screen (the id and the start
        # time, last, may scroll); a long name is cut and shown whole on hover.
        column_config={
            "name": st.column_config.TextColumn("name", width=230),
            "dataset": st.column_config.TextColumn("dataset", width=80),
            "architecture": st.column_config.TextColumn("architecture", width=100),
            "status": st.column_config.TextColumn("status", width=90),
            "duration": st.column_config.TextColumn("duration", width=70),
            "examples/s": st.column_config.TextColumn("examples/s", width=80),
            "id": st.column_config.TextColumn("id"),
            "best test acc": st.column_config.ProgressColumn("best test acc", format="percent",
                                                             min_value=0.0, max_value=1.0),
            "started": st.column_config.DatetimeColumn("started", format="YYYY-MM-DD HH:mm:ss"),
        },
    )


def compare_selection(ids: list[str], chosen: list[str] | None,
                      auto: list[str] | None) -> tuple[list[str], list[str] | None]:
    """The runs to overlay, and the automatic choice to remember: the newest three while the user
    has not changed the choice (so a run started meanwhile joins in, as the first view promised),
    then theirs, less any run deleted since.

    ``chosen`` is the widget's value, ``auto`` what this returned as automatic last time (None
    once the user has made a choice of their own).
    """
    if chosen is None or chosen == auto:
        newest = ids[:NEWEST]
        return newest, newest
    return [i for i in chosen if i in ids], None


def compare(all_runs: list[runs.Run], store: RunStore) -> None:
    """Pick runs, smoothing and x axis; draw their curves overlaid, one colour per run."""
    ids = [r.id for r in all_runs]
    labels = report.run_labels(all_runs)
    state.restore(COMPARE, SMOOTHING, X_AXIS, LOG_LOSS)  # as the user left them on an earlier visit
    st.session_state[COMPARE], st.session_state[COMPARE_AUTO] = compare_selection(
        ids, st.session_state.get(COMPARE), st.session_state.get(COMPARE_AUTO))
    st.multiselect("Runs to compare", ids, key=COMPARE, format_func=labels.get,
                   placeholder="Choose runs to overlay")
    left, middle, right = st.columns([4, 5, 2], vertical_alignment="bottom")
    st.session_state.setdefault(SMOOTHING, 0.0)  # no value= below: a kept value is put back by key
    left.slider("Smoothing", 0.0, 0.99, step=0.01, key=SMOOTHING,
                help="Exponential moving average, as TensorBoard's slider: 0 shows the raw values; "
                     "the raw line stays faintly behind the smoothed one.")
    middle.radio("X axis", list(X_TITLES), key=X_AXIS, format_func=X_TITLES.get, horizontal=True)
    right.toggle("Log loss", key=LOG_LOSS, help="The train loss on a log axis: late, small "
                 "improvements stay visible.")
    state.keep(COMPARE, SMOOTHING, X_AXIS, LOG_LOSS)
    chosen = st.session_state[COMPARE]
    if not chosen:
        st.caption("Choose one or more runs above to overlay their curves.")
        return
    overlay(store.metrics(chosen), {i: labels[i] for i in chosen}, x=st.session_state[X_AXIS],
            smoothing=st.session_state[SMOOTHING], log_loss=st.session_state.get(LOG_LOSS, False),
            key=state.COMPARE_CHART)


def overlay(metrics, labels: dict[str, str], key: str, **options) -> None:
    """The runs' legend, then their three curves side by side, each as wide as its column (the
    Training page's comparison and a sweep's best trials)."""
    st.html(runs_legend_html(list(labels.values())))
    panels = compare_runs_panels(metrics, labels, **options)
    for column, (name, panel) in zip(st.columns(len(panels)), zip(("loss", "acc", "test"), panels)):
        show_chart(panel, column, width="stretch", key=state.key(key, name))
