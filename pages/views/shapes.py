"""Layer Shapes: the shape table of any architecture and input size, and how the tensor shrinks."""

import pandas as pd
import streamlit as st

from lenet_core import shapes
from lenet_core.charts import shapes_chart
from lenet_core.errors import LabError
from lenet_core.models import ARCHITECTURES

st.title("Layer shapes")
st.caption("Each layer's output for one input image: its shape, its parameters and the "
           "multiply-adds it costs. Batch size 1, as the tutorial printed it.")

left, right = st.columns([2, 1])
arch_name = left.selectbox(
    "Architecture", list(ARCHITECTURES), key="shapes_arch",
    format_func=lambda name: f"{name} — {ARCHITECTURES[name].title}",
)
arch = ARCHITECTURES[arch_name]
size_text = right.text_input(
    "Input size (C×H×W)", value=shapes.format_shape(arch.input_shape).replace("×", "x"),
    key=f"shapes_input_{arch_name}", help="Channels × height × width, e.g. 1x28x28.",
)
st.caption(arch.description)

try:
    table = shapes.shape_table(arch, size_text)
except LabError as exc:
    st.error(f"**This input does not fit {arch_name}.** {exc}", icon=":material/error:")
    st.stop()

records = pd.DataFrame(shapes.to_records(table))
records["kind"] = [spec.kind for spec in arch.layers]

c1, c2, c3 = st.columns(3)
c1.metric("Layers", len(table.rows))
c2.metric("Parameters", f"{table.total_params:,}")
c3.metric("Multiply-adds per image", f"{table.total_macs:,}")

display = records[["index", "name", "layer", "output_shape", "params", "macs"]].copy()
display["index"] = display["index"].astype(str)
total = pd.DataFrame([{"index": "", "name": "total", "layer": "", "output_shape": "",
                       "params": table.total_params, "macs": table.total_macs}])
rows_shown = pd.concat([display, total], ignore_index=True)
st.dataframe(
    rows_shown, hide_index=True, width="stretch", height=35 * (len(rows_shown) + 1) + 3,
    column_config={
        "index": st.column_config.TextColumn("#", width="small"),
        "name": "name", "layer": "layer", "output_shape": "output shape",
        "params": st.column_config.NumberColumn("parameters", format="localized"),
        "macs": st.column_config.NumberColumn("multiply-adds", format="localized"),
    },
)

flatten = next((i for i, row in enumerate(table.rows) if row.layer == "Flatten"), None)
if flatten is not None and flatten > 0:
    before = table.rows[flatten - 1]
    c, h, w = before.output_shape[1:]
    first = shapes.format_shape(table.input_shape[1:])
    st.info(
        f"**How {first} becomes {c * h * w} features:** the convolutions and pooling layers trade "
        f"space for channels until `{before.name}` holds {c} maps of {h}×{w}; "
        f"`flatten` lays them out as one vector of {c} × {h} × {w} = **{c * h * w}** numbers "
        f"for the dense layers.", icon=":material/lightbulb:",
    )

st.altair_chart(shapes_chart(records), width="content")
