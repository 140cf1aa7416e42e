"""Layer Shapes: the shape table of any architecture and input size, and how the tensor shrinks."""

import pandas as pd
import streamlit as st

from lenet_core.errors import LabError
from lenet_core.format import format_count, format_shape
from lenet_core.model import saved, shapes
from lenet_core.model.architectures import ARCHITECTURES
from lenet_core.present.charts.shapes import shapes_charts
from pages.ui import state
from pages.ui.charts import show_chart
from pages.ui.shape_table import show_table


def flatten_note(table: shapes.ShapeTable) -> None:
    flatten = next((i for i, row in enumerate(table.rows) if row.layer == "Flatten"), None)
    if flatten is None or flatten == 0:
        return
    before = table.rows[flatten - 1]
    c, h, w = before.output_shape[1:]
    first = format_shape(table.input_shape[1:])
    st.info(
        f"**How {first} becomes {c * h * w:,} features:** the convolutions and pooling layers trade "
        f"space for channels until `{before.name}` holds {c:,} maps of {h:,}×{w:,}; "
        f"`flatten` lays them out as one vector of {c:,} × {h:,} × {w:,} = **{c * h * w:,}** numbers "
        f"for the dense layers.", icon=":material/lightbulb:",
    )


st.title("Layer shapes")
st.caption("Each layer's output for one input image: its shape, its parameters and the "
           "multiply-adds it costs. Batch size 1, as the tutorial printed it.")

left, right = st.columns([2, 1])
networks, broken = saved.picker_networks()
if st.session_state.get(state.SHAPES_ARCH) not in networks:  # a saved network deleted since
    st.session_state.pop(state.SHAPES_ARCH, None)
arch_name = left.selectbox("Architecture", list(networks), key=state.SHAPES_ARCH,
                           format_func=lambda name: name if name in ARCHITECTURES else f"{name} (saved)")
arch = networks[arch_name]
if words := saved.broken_words(broken):
    left.caption(f":material/warning: {words}")
size_text = right.text_input(
    "Input size (C×H×W)", value=format_shape(arch.input_shape).replace("×", "x"),
    key=state.key("shapes_input", arch_name), help="Channels × height × width, e.g. 1x28x28; or height × "
    "width (28x28) for one channel.",
)
st.caption(f"**{arch.title}.** {arch.description}")

try:
    table = shapes.trace_shapes(arch, size_text)
except LabError as exc:  # not a size at all: nothing to run through the network
    st.error(str(exc)[:1].upper() + str(exc)[1:] + ".", icon=":material/error:")
    st.stop()
if note := shapes.how_read(size_text):
    right.caption(note[0].upper() + note[1:] + ".")

size = format_shape(table.input_shape)
if table.broken is not None:
    b = table.broken
    st.error(f"**{arch_name} cannot take a {size} input: it stops at layer {b.index}, "
             f"{b.name}.** {b.message}", icon=":material/error:")
    reached = len(table.rows)
    st.caption("It stops at the first layer:" if not reached else
               f"The {reached} layer{'s' * (reached != 1)} before it, and where it stops:")
    show_table(table)
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("Layers", format_count(len(table.rows)))
c2.metric("Parameters", format_count(table.total_params))
c3.metric("Multiply-adds per image", format_count(table.total_macs))
show_table(table)
flatten_note(table)

records = pd.DataFrame(shapes.to_records(table))
records["kind"] = [spec.kind for spec in arch.layers]
st.subheader("How the tensor shrinks")
log = st.toggle("Log scale", key=state.SHAPES_LOG, help="Bars on a logarithmic axis: small layers stay "
                "visible beside large ones, but lengths no longer compare (conv2's 2,416 parameters "
                "look close to fc1's 48,120; on the linear axis they are a twentieth of it).")
values, params = shapes_charts(records, log=log)
left, right = st.columns([3, 2])
show_chart(values, left, width="stretch")
show_chart(params, right, width="stretch")
