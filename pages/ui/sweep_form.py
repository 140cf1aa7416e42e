"""The Training page's sidebar Sweep form: a base recipe, a space editor, the trial count shown
before Start, and Start sweep. The engine (:mod:`lenet_core.runs.sweeps`) checks everything; this
only draws it. Its widgets live outside a form, so the count follows each edit."""

from __future__ import annotations

import streamlit as st

from lenet_core.errors import LabError
from lenet_core.runs import sweeps
from lenet_core.runs.space import METRIC_TITLES, METRICS, parse_lines
from lenet_core.training.config import PRESETS
from pages.ui import state
from pages.ui.training_form import PRESET_TITLES

SPACE_HELP = ("One setting a line. A list is crossed with the other lists (a grid): `lr = 0.03, 0.1`. "
              "A line with one value sets it for every trial: `epochs = 3`. `log(a, b)` and `range(a, b)` "
              "draw values at random, as many times as **Random draws** says: `lr = log(1e-3, 1)`; "
              "`~ optimizer = sgd, adam` draws from a list. Any setting of the run form can be swept.")
DEFAULT_SPACE = "lr = 0.03, 0.1\nbatch_size = 64, 128\nepochs = 3"
BACKEND_TITLES = {"local": "local — this machine's run queue", "ray": "ray — Ray Tune (optional extra)"}
EARLY_TITLES = {"none": "none — every trial trains to its end", "asha": "ASHA — stop weak trials early (Ray)"}


def _widgets() -> list[str]:
    return [state.SWEEP_PRESET, state.SWEEP_SPACE, state.SWEEP_DRAWS, state.SWEEP_METRIC,
            state.SWEEP_BACKEND, state.SWEEP_ADDRESS, state.SWEEP_EARLY, state.SWEEP_NAME]


def _defaults() -> None:
    state.restore(*_widgets())
    for widget, value in ((state.SWEEP_PRESET, "best"), (state.SWEEP_SPACE, DEFAULT_SPACE),
                          (state.SWEEP_DRAWS, "0"), (state.SWEEP_METRIC, "test_acc"),
                          (state.SWEEP_BACKEND, "local"), (state.SWEEP_ADDRESS, ""),
                          (state.SWEEP_EARLY, "none"),
                          (state.SWEEP_NAME, "")):
        st.session_state.setdefault(widget, value)


def draws() -> int | None:
    """Random draws as typed (0 or empty: none); a LabError in words for anything else."""
    text = str(st.session_state.get(state.SWEEP_DRAWS) or "0").strip()
    if not text.isdigit():
        raise LabError(f"random draws: {text!r} is not a whole number (0 for none)")
    return int(text) or None


def planned(dataset: str | None) -> sweeps.Plan:
    """The sweep the form describes, checked by the engine (raises LabError in one line)."""
    s = st.session_state
    space = parse_lines(s[state.SWEEP_SPACE], draws())
    address = (s.get(state.SWEEP_ADDRESS) or "").strip() if s[state.SWEEP_BACKEND] == "ray" else ""
    return sweeps.plan(preset=s[state.SWEEP_PRESET], base={"dataset": dataset} if dataset else None,
                       grid=[d.text() for d in space.grid], space=[d.text() for d in space.random],
                       samples=space.samples if space.random else None, metric=s[state.SWEEP_METRIC],
                       backend=s[state.SWEEP_BACKEND], early_stop=s[state.SWEEP_EARLY],
                       name=s[state.SWEEP_NAME] or None, options={"address": address} if address else None)


def _start(dataset: str | None, home) -> None:
    try:
        sweep = sweeps.start(planned(dataset), home)
    except LabError as exc:
        st.session_state[state.SWEEP_NOTICE] = ("error", f"Not started: {exc}")
        return
    st.session_state[state.SELECTED_SWEEP] = sweep.id
    st.session_state[state.TRAINING_VIEW] = "Sweeps"
    st.session_state[state.SWEEP_NOTICE] = ("success",
                                            f"Started “{sweep.name}”: {sweep.spec['trials']} trials.")


def sweep_launcher(home, dataset: str | None) -> None:
    """The Sweep form, in the sidebar under the run launcher. ``dataset``: the run form's
    dataset choice (the sweep trains on it)."""
    _defaults()
    sidebar = st.sidebar
    sidebar.divider()
    sidebar.header("New sweep")
    sidebar.caption("Many runs at once: a recipe with some settings varied. Each trial is a run of its "
                    "own (its curves, checkpoints and analysis as any run).")
    sidebar.selectbox("Base recipe", list(PRESETS), key=state.SWEEP_PRESET, format_func=PRESET_TITLES.get,
                      help="Every trial starts from this recipe, on the dataset chosen above.")
    sidebar.text_area("Search space", key=state.SWEEP_SPACE, height=110, help=SPACE_HELP)
    sidebar.text_input("Random draws", key=state.SWEEP_DRAWS,
                       help="How many times log()/range() lines are drawn (each draw crossed with the "
                       "lists).")
    sidebar.selectbox("Optimise", list(METRICS), key=state.SWEEP_METRIC, format_func=METRIC_TITLES.get,
                      help="Each trial's best value of this over its epochs ranks the trials.")
    sidebar.selectbox("Backend", list(sweeps.BACKENDS), key=state.SWEEP_BACKEND,
                      format_func=BACKEND_TITLES.get)
    if st.session_state[state.SWEEP_BACKEND] == "ray":
        if missing := sweeps.ray_missing():
            sidebar.warning(missing, icon=":material/extension:")
        sidebar.text_input("Ray cluster address", key=state.SWEEP_ADDRESS,
                           placeholder="empty: a Ray of this machine",
                           help="HEAD:6379 of a cluster started with `ray start --head` (see the README).")
    sidebar.selectbox("Early stopping", list(sweeps.EARLY_STOPS), key=state.SWEEP_EARLY,
                      format_func=EARLY_TITLES.get)
    sidebar.text_input("Sweep name", key=state.SWEEP_NAME, placeholder="optional")
    state.keep(*_widgets())
    try:
        plan = planned(dataset)
    except LabError as exc:
        sidebar.error(str(exc), icon=":material/error:")
        plan = None
    if plan is not None:
        count = len(plan.configs)
        sidebar.markdown(f"**{count} trial{'s' if count != 1 else ''}**: {plan.space.describe()}")
    sidebar.button("Start sweep", type="primary", width="stretch", icon=":material/grid_view:",
                   disabled=plan is None, on_click=_start, args=(dataset, home), key=state.SWEEP_START)
    if notice := st.session_state.pop(state.SWEEP_NOTICE, None):
        getattr(sidebar, notice[0])(notice[1])
