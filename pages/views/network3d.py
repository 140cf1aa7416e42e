"""Network in 3D: draw on the pad and every unit of every layer, and the first and second guess,
change while the pen moves. The network runs in the browser (the checkpoint's own weights,
``pages/components/net3d``): no rerun while drawing. A click on a unit opens it in the unit
inspector below, computed here in Python on the drawing the browser sent with the click.
"""

import streamlit as st

from lenet_core.inspect.activations import forward_pass, torch_threads
from pages.ui import state
from pages.ui.models import pick_model
from pages.ui.net3d import js_missing, network_element
from pages.ui.unit_inspector import select_unit, unit_inspector_expander

PREFIX = state.LIVE
APPLIED = state.key(PREFIX, state.NET3D_UNIT)  # the click the inspector was last pointed at

st.title("Network in 3D")
st.caption("Draw a digit on the pad: every unit of every layer and the guess change while the pen "
           "moves, computed in your browser from the checkpoint's own weights. Point at a unit for "
           "its value and the lines into it; click it to take it apart below.")

picked = pick_model(PREFIX, digits_only=True)
st.caption(f"{picked.arch.title} trained on {picked.meta.dataset}. {picked.arch.description}")

if missing := js_missing():
    st.warning(missing, icon=":material/view_in_ar_off:")
    st.stop()

selected = network_element(PREFIX, picked, mode="live")

if selected is None or selected.image is None:
    st.caption("Click a unit in the view to take it apart here: its receptive field, the window and "
               "filter it multiplies, and every number of its sum.")
    st.stop()

if selected.plane == "input":
    st.caption("The selected unit is an input pixel: it reads nothing, it is the image the network sees.")
    st.stop()

click = (selected.plane, selected.unit, selected.image.tobytes())
if st.session_state.get(APPLIED) != click:  # a new click points the inspector; later edits are the user's
    st.session_state[APPLIED] = click
    select_unit(PREFIX, selected.plane, selected.unit)

with torch_threads(1):
    seen = forward_pass(picked.model, picked.meta, selected.image)
unit_inspector_expander(picked.model, picked.arch, seen, selected.image, PREFIX)
