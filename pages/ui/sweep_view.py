"""The Training page's view of a sweep: its trials ranked by the metric, each varied setting
against the metric, the top five trials' curves overlaid, Stop / Resume, and the best trial's
config as a new run. It re-reads the store every two seconds while a trial is active."""

from __future__ import annotations

import streamlit as st

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.present.charts.sweeps import sweep_panels
from lenet_core.runs import sweeps
from lenet_core.runs.space import METRIC_TITLES
from pages.ui import state
from pages.ui.charts import show_chart
from pages.ui.training_compare import overlay

REFRESH_EVERY_S = 2.0
TOP = 5
PANELS_A_ROW = 3  # settings against the metric: three side by side fit the page at 1024 px


def pick_sweep(all_sweeps: list[runs.Sweep]) -> runs.Sweep:
    ids = [s.id for s in all_sweeps]
    state.restore(state.SELECTED_SWEEP)
    if st.session_state.get(state.SELECTED_SWEEP) not in ids:
        st.session_state[state.SELECTED_SWEEP] = ids[0]
    names = {s.id: s.name for s in all_sweeps}
    chosen = st.selectbox("Sweep", ids, key=state.SELECTED_SWEEP, format_func=lambda i: f"{names[i]} · {i}")
    state.keep(state.SELECTED_SWEEP)
    return next(s for s in all_sweeps if s.id == chosen)


def section(store: runs.RunStore) -> None:
    """The sweep picker and the chosen sweep, live while it runs."""
    all_sweeps = store.list_sweeps()
    if not all_sweeps:
        st.info("No sweeps yet: describe one under **New sweep** in the sidebar.",
                icon=":material/grid_view:")
        return
    sweep = pick_sweep(all_sweeps)
    if notice := st.session_state.pop(state.SWEEP_ACTION, None):
        getattr(st, notice[0])(notice[1])
    active = any(r.active for r in store.sweep_runs(sweep.id))

    @st.fragment(run_every=REFRESH_EVERY_S if active else None)
    def body() -> None:
        current = store.get_sweep(sweep.id)
        every = runs.reap(store) if active else store.sweep_runs(sweep.id)
        trials = sorted((r for r in every if r.sweep_id == sweep.id), key=lambda r: r.trial)
        if active and not any(r.active for r in trials):
            st.rerun()  # the whole page once: the buttons and the run picker catch up
        view(current, trials, store)

    body()


def view(sweep: runs.Sweep, trials: list[runs.Run], store: runs.RunStore) -> None:
    spec = sweep.spec
    metric = spec.get("metric", "test_acc")
    progress = sweeps.progress(sweep, trials)
    metrics = store.metrics([r.id for r in trials])
    st.markdown(f"**{progress.words()}** · {spec.get('backend', 'local')} backend"
                + (" · ASHA early stopping" if spec.get("early_stop") == "asha" else "")
                + f" · optimising {METRIC_TITLES[metric]}")
    st.progress(progress.done / max(progress.total, 1))
    st.caption(f"Space: {sweeps.space_of(sweep).describe()}")
    actions(sweep, trials, metrics, progress, store)
    table = sweeps.trial_table(sweep, trials, metrics, inside=store.inside([r.id for r in trials]))
    if metric == "test_acc":  # the metric's own column says it
        table = table.drop(columns=["best test acc"])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        metric: _metric_column(metric),
        "best test acc": st.column_config.ProgressColumn("best test acc", format="percent", min_value=0.0,
                                                         max_value=1.0),
        "id": st.column_config.TextColumn("run id"),
        "status": st.column_config.TextColumn("status", width="medium"),  # "pruned after epoch 2" whole
        sweeps.WORST_UNITS: st.column_config.TextColumn(
            sweeps.WORST_UNITS, help="The activation layer with the largest share of saturated "
            "(sigmoid, tanh) or dead (ReLU) units at the end of the first epoch: a trial stuck there "
            "learns slowly, whatever its accuracy says yet."),
    })
    fields = sweeps.varied_fields(sweep, trials)
    if table[metric].notna().any():
        st.markdown(f"**Each setting against {METRIC_TITLES[metric]}**")
        panels = sweep_panels(table, fields, metric, METRIC_TITLES[metric])
        for start in range(0, len(panels), PANELS_A_ROW):
            for column, panel in zip(st.columns(PANELS_A_ROW), panels[start:start + PANELS_A_ROW]):
                show_chart(panel, column, width="stretch")
        top = sweeps.top_trials(sweep, trials, metrics, TOP)
        labels = sweeps.trial_labels(sweep, trials)
        st.markdown(f"**The top {len(top)} trials' curves**")
        overlay(metrics, {i: labels[i] for i in top}, key=state.key("sweep_curves", sweep.id))
    else:
        st.caption("The chart and the best trials' curves appear once a trial has finished an epoch.")


def _metric_column(metric: str):
    if metric.endswith("_acc"):
        return st.column_config.ProgressColumn(METRIC_TITLES[metric], format="percent", min_value=0.0,
                                               max_value=1.0)
    return st.column_config.NumberColumn(METRIC_TITLES[metric], format="%.4f")


def actions(sweep, trials, metrics, progress, store: runs.RunStore) -> None:
    """Stop (while it runs) or Resume (stopped, or a trial failed), and the best config as a run."""
    buttons = []
    if progress.state == "running":
        buttons.append(dict(label="Stop sweep", icon=":material/stop:",
                            key=state.key("sweep_stop", sweep.id), on_click=_stop,
                            args=(sweep.id, store.home)))
    elif progress.state in ("stopped", "incomplete"):
        buttons.append(dict(label="Resume sweep", icon=":material/play_arrow:",
                            key=state.key("sweep_resume", sweep.id), on_click=_resume,
                            args=(sweep.id, store.home),
                            help="Train its stopped and failed trials again; finished ones keep "
                                 "their results."))
    best = sweeps.best_trial(sweep, trials, metrics)
    if best is not None:
        buttons.append(dict(label="Train the best config", icon=":material/star:",
                            key=state.key("sweep_best", sweep.id), on_click=_train_best,
                            args=(best.id, store.home),
                            help=f"A new run with trial {best.trial}'s settings ({best.name})."))
    if not buttons:
        return
    columns = st.columns([1] * len(buttons) + [max(3 - len(buttons), 1)], vertical_alignment="center")
    for column, button in zip(columns, buttons):
        column.button(width="stretch", **button)
    if best is not None:
        words = sweeps.varied_words(sweeps.varied_fields(sweep, trials), best)
        columns[-1].caption(f"Best so far: trial {best.trial} ({words})")


def _stop(sweep_id: str, home) -> None:
    try:
        sweeps.stop(sweep_id, home)
        st.session_state[state.SWEEP_ACTION] = ("info", "Sweep stopped: waiting trials are cancelled, "
                                                "training ones end at their next batch.")
    except LabError as exc:
        st.session_state[state.SWEEP_ACTION] = ("error", f"Could not stop the sweep: {exc}")


def _resume(sweep_id: str, home) -> None:
    try:
        again = sweeps.resume(sweep_id, home)
        store = state.run_store(home)
        if store.get_sweep(sweep_id).spec.get("backend") == "ray":
            sweeps.spawn_driver(store, sweep_id)
        st.session_state[state.SWEEP_ACTION] = ("success", f"Resumed: {len(again)} trials queued again.")
    except LabError as exc:
        st.session_state[state.SWEEP_ACTION] = ("error", f"Could not resume the sweep: {exc}")


def _train_best(run_id: str, home) -> None:
    store = state.run_store(home)
    best = store.get(run_id)
    try:
        run, _ = runs.start(best.config, f"best of sweep · {best.name}"[:80], home=home)
    except LabError as exc:
        st.session_state[state.SWEEP_ACTION] = ("error", f"Could not start it: {exc}")
        return
    st.session_state[state.SELECTED_RUN] = run.id
    st.session_state[state.TRAINING_VIEW] = "Runs"
    st.session_state[state.FORM_NOTICE] = ("success", f"Started “{run.name}” with the best trial's settings.")
