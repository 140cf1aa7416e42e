"""The Training page's "Inside the network": why the chosen run learns, or does not.

    section(run, all_runs, store)

For the chosen run, and one beside it if a person picks one (lenet-classic beside lenet-modern):
the diagnosis in words (:mod:`lenet_core.runs.diagnosis`), each layer's gradient through time,
the saturated or dead share of its activations, and its weights' and activations' histograms
epoch by epoch (:mod:`lenet_core.present.charts.inside`). Refreshed every few seconds while a run
shown trains.
"""

from __future__ import annotations

import streamlit as st

from lenet_core import runs
from lenet_core.format import format_significant
from lenet_core.present.charts import inside as charts
from lenet_core.runs import diagnosis
from lenet_core.training.inside import SAMPLE_SIZE
from pages.ui import state
from pages.ui.charts import show_chart

INSIDE_EVERY_S = 3.0  # the figures come five times an epoch: a look every few seconds keeps up
KINDS = {"weights": "Weights", "activations": "Activations"}
BOXES = {"healthy": st.success}  # every other finding is a warning


def section(run: runs.Run, all_runs: list[runs.Run], store: runs.RunStore) -> None:
    st.subheader("Inside the network")
    st.caption("Why it learns, or does not: each layer's gradient, the share of its units saturated "
               "or dead, and its histograms, recorded five times an epoch, with what they say in words.")
    others = {r.id: r for r in all_runs if r.id != run.id}
    beside = st.selectbox("Side by side with", [None, *others], key=state.INSIDE_BESIDE,
                          format_func=lambda i: "no other run" if i is None else f"{others[i].name} · {i}",
                          help="Another run beside this one: lenet-classic beside lenet-modern shows "
                               "what ReLU and batch norm change.")
    shown = [run.id] + ([beside] if beside in others else [])
    active = run.active or (beside in others and others[beside].active)

    @st.fragment(run_every=INSIDE_EVERY_S if active else None)
    def panel() -> None:
        figures = {run_id: store.inside(run_id) for run_id in shown}
        logs = [v for f in figures.values() for v in charts.log_gradients(f)]
        domain = (min(logs), max(logs)) if logs else None  # one colour scale for the runs side by side
        places = st.columns(len(shown), gap="large") if len(shown) > 1 else [st.container()]
        for place, run_id in zip(places, shown):
            with place:
                one_run(store, store.get(run_id), figures[run_id], domain, narrow=len(shown) > 1)

    panel()


def one_run(store: runs.RunStore, run: runs.Run, figures, domain, narrow: bool) -> None:
    if narrow:
        st.markdown(f"**{run.name}** · {run.config.arch} · lr {format_significant(run.config.lr)}")
    if figures.empty:
        st.caption("Nothing recorded yet: the first figures come at the first of five points an epoch."
                   if run.active else "This run recorded nothing inside: it was trained before LeNet Lab "
                   "recorded the inside of training, or ended before its first reporting point.")
        return
    seen = diagnosis.of_run(store, run, figures)
    for finding in diagnosis.diagnose(seen):
        box = BOXES.get(finding.rule, st.warning)
        box(f"**{finding.title}.** {finding.evidence}. {finding.advice}".strip(),
            icon=":material/check_circle:" if finding.rule == "healthy" else ":material/warning:")
    st.markdown("**Gradient at each layer**")
    show_chart(charts.gradient_heatmap(figures, domain), width="stretch")
    points = figures["step"].nunique()
    words = [f"{charts.MAX_POINTS} of the run's {points} points are drawn, evenly spaced."
             if points > charts.MAX_POINTS else ""]
    if seen is not None and (spread := seen.gradients()) is not None and spread[1] > 0:
        first, g_first, last, g_last = spread
        words.insert(0, f"Over the last {diagnosis.RECENT} points the gradient at {last} is "
                        f"{format_significant(g_last / g_first)}× the one at {first}. Dark: a layer "
                        "that barely learns.")
    if caption := " ".join(w for w in words if w):
        st.caption(caption)
    if (shares := charts.shares_chart(figures)) is not None:
        st.markdown("**Saturated and dead units**")
        show_chart(shares, width="stretch")
        st.caption("Saturated: a sigmoid's or tanh's output within 2 % of its range from a bound, where "
                   "its slope is nearly 0. Dead: a ReLU unit at 0 for every image of the batch.")
    _histograms(store, run)


def _histograms(store: runs.RunStore, run: runs.Run) -> None:
    found = store.histograms(run.id)
    if found.empty:
        st.caption("Histograms come at the end of each epoch.")
        return
    st.markdown("**Histograms, epoch by epoch**")
    layers = list(dict.fromkeys(found["layer"]))
    kind = st.segmented_control("Of", list(KINDS), format_func=KINDS.get, default="weights",
                                required=True, key=state.key(state.INSIDE_KIND, run.id))
    layers = list(dict.fromkeys(found.loc[found["kind"] == kind, "layer"])) or layers
    layer = st.selectbox("Layer", layers, key=state.key(state.INSIDE_LAYER, run.id))
    if layer not in layers:
        layer = layers[0]
    show_chart(charts.histogram_ridges(found, layer, kind), width="stretch")
    epochs = found["epoch"].nunique()
    thinned = (f" {charts.MAX_RIDGES} of the {epochs} epochs are shown, evenly spaced, the first and last "
               "among them." if epochs > charts.MAX_RIDGES else "")
    st.caption("Each epoch's histogram stacked above the one before; activations on the same "
               f"{SAMPLE_SIZE} test images every epoch.{thinned}")
