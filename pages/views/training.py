"""Training: launch a run from the sidebar, watch it live, compare runs, read the result.

Runs train in their own processes (lenet_core.runs): switching pages, refreshing the browser or
restarting the server does not stop them, and this page shows their state whenever it is opened.
"""

import streamlit as st

from lenet_core import data, paths, runs
from lenet_core.errors import LabError
from lenet_core.runs import queue, report
from pages.ui import (
    state,
    sweep_form,
    sweep_view,
    training_compare,
    training_form,
    training_inside,
    training_live,
)
from pages.ui.try_it import try_it_button

home = paths.lab_home()
reports = {r.name: r for r in data.availability(home)}
training_form.launcher(home, reports)
sweep_form.sweep_launcher(home, reports)

st.title("Training")
st.caption("Choose the settings in the sidebar and press **Start training**. Each run trains in "
           "its own process: it goes on when you switch pages, refresh, or restart the dashboard.")

for key, show in ((state.DELETE_NOTICE, st.success), (state.DELETE_ERROR, st.error)):
    if message := st.session_state.pop(key, None):
        show(message)

try:
    store = state.run_store(home)
    all_runs = runs.reap(store)  # a trainer that vanished since the last look is marked failed
except LabError as exc:
    st.error(f"The run store could not be read. {exc}", icon=":material/error:")
    st.stop()

if stalled := report.stalled_words(queue.queue_state(all_runs)):
    with st.container(border=True, key="stalled_queue"):
        st.warning(f"{stalled}.", icon=":material/hourglass_disabled:")
        if st.button("Start waiting runs", icon=":material/play_arrow:", key="start_waiting"):
            runs.start_waiting(store)
            st.rerun()

if store.list_sweeps():  # two views once a sweep exists: the runs, and the sweeps
    state.restore(state.TRAINING_VIEW)
    if not st.session_state.get(state.TRAINING_VIEW):  # a click on the chosen one unchooses it
        st.session_state[state.TRAINING_VIEW] = "Runs"
    st.segmented_control("View", ["Runs", "Sweeps"], key=state.TRAINING_VIEW, label_visibility="collapsed")
    state.keep(state.TRAINING_VIEW)
    if st.session_state[state.TRAINING_VIEW] == "Sweeps":
        sweep_view.section(store)
        st.stop()

if not all_runs:
    with st.container(border=True):
        doing = training_form.form_words(reports)
        start = (f"**Start training** in the sidebar trains {doing}." if doing
                 else "Choose the settings in the sidebar, then **Start training**.")
        st.markdown(f"**No runs yet.** {start} For a first look in seconds:")
        try_it_button(home, reports, key="training_try_it")
    st.stop()

run = training_live.pick_run(all_runs)
training_live.live_panel(run, store)
if not run.active:  # downloads and delete once it has ended (the live panel has Stop)
    training_live.result(run, store)
    training_live.actions(run, store)
st.divider()
training_inside.section(run, all_runs, store)

st.divider()
st.subheader("All runs")
training_compare.section(all_runs, store)
