"""Network Designer: start from any network or a tutorial exercise, edit its layers as a list,
watch the shapes follow, save it under a name and train it."""

import streamlit as st

from lenet_core import paths
from lenet_core.data.imported import all_datasets
from lenet_core.model import edit
from pages.ui import designer, state
from pages.ui.shape_table import show_table

home = paths.lab_home()
designer.init()

st.title("Network designer")
st.caption("Edit a network as a list of layers. Every layer's input size is derived from the one "
           "before it, and the output layer is as wide as the dataset has classes.")

left, middle, right = st.columns([3, 1, 2])
with left:
    designer.picker(home)
middle.radio("Input", [28, 32], key=state.DESIGN_INPUT, format_func=lambda s: f"{s}×{s}",
             help="28×28: the image as it is. 32×32: padded by 2, as LeNet-5 reads it.")
datasets = all_datasets(home)
if st.session_state.get(state.DESIGN_DATASET) not in datasets:  # deleted since it was chosen
    st.session_state.pop(state.DESIGN_DATASET, None)
dataset = right.selectbox("Dataset", list(datasets), key=state.DESIGN_DATASET,
                          format_func=lambda n: datasets[n].title,
                          help="Its number of classes is the width of the last dense layer.")
designer.exercises_menu()

classes = len(datasets[dataset].classes)
done = edit.design(designer.rows(), st.session_state[state.DESIGN_INPUT], classes)

st.subheader("Layers")
st.caption(f"Editing {st.session_state[state.DESIGN_SOURCE]}. The last dense layer gives one output per "
           f"class: {classes} for {datasets[dataset].title}.")
designer.layer_list(done)
designer.text_box(done)

# The table takes the page's whole width: beside anything else its numbers were cut at 1280 px.
st.subheader("Shapes")
designer.totals(done)
if done.table is not None:
    if done.table.broken is not None:
        b = done.table.broken
        st.caption(f"The {len(done.table.rows)} layers an input reaches, then layer {b.index}, "
                   f"{b.name}, where it stops:")
    show_table(done.table)

st.subheader("Save")
designer.save_panel(done, home)
designer.keep()
