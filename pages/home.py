"""Home: what LeNet Lab does, what each page is for, and the compute device."""

import streamlit as st

from lenet_core.device import describe_device
from ui.nav import PAGES

st.title("LeNet Lab")
st.markdown(
    "See a convolutional network learn. Train LeNet and watch its loss and accuracy move, read "
    "how each layer reshapes the image, draw a digit and look inside the network as it decides, "
    "and browse every layer's output for real samples."
)

st.subheader("Pages")
for page in PAGES[1:]:
    with st.container(border=True):
        st.page_link(page.path, label=page.title, icon=page.icon)
        st.caption(page.blurb)

st.subheader("Compute device")
device = describe_device()
if device.kind == "cpu":
    st.info(f"**CPU** with {device.detail}. No GPU was found; LeNet trains comfortably on a CPU.",
            icon=":material/memory:")
else:
    st.success(f"**{device.name}** ({device.detail})", icon=":material/bolt:")
