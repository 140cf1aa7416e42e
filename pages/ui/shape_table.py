"""The shape table as the pages draw it: the Layer Shapes page and the Network Designer show the
same table, the layer an input does not fit marked in red as its last row."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lenet_core.model import shapes

BROKEN_STYLE = "background-color: #fde2e1; color: #9b1c1c; font-weight: 600"


def rows_frame(table: shapes.ShapeTable) -> pd.DataFrame:
    """The rows to show: each layer the input reaches, then the total, or the layer it breaks at."""
    records = pd.DataFrame(shapes.to_records(table),
                           columns=["index", "name", "layer", "output_shape", "params", "macs"])
    display = records[["index", "name", "layer", "output_shape", "params", "macs"]].copy()
    display["index"] = display["index"].astype(str)
    if table.broken is None:
        last = {"index": "", "name": "total", "layer": "", "output_shape": "",
                "params": table.total_params, "macs": table.total_macs}
    else:
        b = table.broken
        last = {"index": str(b.index), "name": b.name, "layer": b.layer,
                "output_shape": "✗ does not fit", "params": None, "macs": None}
    return pd.concat([display, pd.DataFrame([last])], ignore_index=True)


def show_table(table: shapes.ShapeTable, where=None) -> None:
    """The table in ``where`` (default: here)."""
    frame = rows_frame(table)
    shown = frame
    if table.broken is not None:  # the row it breaks at, in red
        shown = frame.style.apply(
            lambda row: [BROKEN_STYLE if row.name == len(frame) - 1 else ""] * len(row), axis=1
        )
    (where or st).dataframe(
        shown, hide_index=True, width="stretch", height=35 * (len(frame) + 1) + 3, placeholder="—",
        column_config={
            "index": st.column_config.TextColumn("#", width="small"),
            "name": "name", "layer": "layer", "output_shape": "output shape",
            "params": st.column_config.NumberColumn("parameters", format="localized"),
            "macs": st.column_config.NumberColumn("multiply-adds", format="localized"),
        },
    )
