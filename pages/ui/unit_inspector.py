"""Inspect one unit: the widget shared by the Layer Explorer and the Draw page.

    render_unit_inspector(model, arch, seen, image, key_prefix)
    unit_inspector_expander(model, arch, seen, image, key_prefix)  # built when opened
    select_unit(key_prefix, layer, unit)  # from another widget's callback: point it at a unit

- ``model``/``arch``: the network in eval mode and its Architecture.
- ``seen``: the page's :func:`lenet_core.inspect.activations.forward_pass` (the model's input,
  every layer's output), so the network runs once a rerun and every view shows the same pass;
  ``image``: the picture in [0, 1] it was made from, 28×28 (or an imported dataset's side; 3×S×S
  in colour): the receptive field is drawn on it.

Pick a layer, a map and a position with the inputs, or click a square of the large map (or a
tile of the 3D view, which calls ``select_unit``); the widget shows the unit's receptive field on
the input, what it reads, its weights, the weighted sum and bias, its rule and its value — and
the forward pass's own value beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.format import format_fixed
from lenet_core.inspect import unit as unit_inspection
from lenet_core.inspect.activations import Forward
from lenet_core.inspect.unit import INPUT, UnitReport, format_number, inspect_unit, partial_sums
from lenet_core.model.architectures import Architecture
from lenet_core.model.shapes import layer_label
from lenet_core.present import colours, pictures
from lenet_core.present.charts import unit_map
from pages.ui import state
from pages.ui.charts import show_chart

CELL = 10  # screen pixels per input pixel in the receptive-field picture
VALUE_DECIMALS = 4  # the unit's value and the forward pass's, as the page shows them


def render_unit_inspector(model: nn.Sequential, arch: Architecture, seen: Forward, image: np.ndarray,
                          key_prefix: str) -> None:
    x, outputs = seen.x, seen.outputs
    key = state.key(key_prefix, state.UNIT)
    names = list(outputs)
    layer = st.selectbox("Layer", names, key=state.key(key, state.UNIT_LAYER),
                         format_func=lambda n: layer_label(n, [1, *outputs[n].shape]))
    values = outputs[layer].detach().cpu().numpy()
    scale = colours.layer_scales(model, outputs)[layer]
    pick, chart = st.columns([1, 2], vertical_alignment="top")
    with pick:
        unit = _choose_unit(key, layer, values)
    with chart:
        _clickable_map(key, layer, values, unit, scale)
    try:
        report = inspect_unit(model, arch, x, outputs, layer, unit, image_side=image.shape[-1])
    except LabError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    _show_report(report, model, x, image, outputs, key)


# ---- choosing the unit --------------------------------------------------------------------

# One numbering on every page (the layer views, the 3D view, this inspector): from 0, as PyTorch
# indexes a layer's output.
NUMBERING = "Maps, rows, columns and units count from 0, as PyTorch indexes a layer's output: " \
            "output[0, map, row, column]."


def select_unit(key_prefix: str, layer: str, unit: tuple[int, ...]) -> None:
    """Point the inspector of ``key_prefix`` at ``unit`` of ``layer`` ((map, row, column), or
    (unit,) for a vector layer) and open its expander: how another widget (the 3D view's click)
    chooses a unit. Call it from a widget's callback, which runs before the inspector's widgets
    are drawn again."""
    key = state.key(key_prefix, state.UNIT)
    st.session_state[state.key(key, state.UNIT_LAYER)] = layer
    for part, value in zip(_unit_parts(len(unit)), unit):
        st.session_state[_unit_key(key, part, layer)] = int(value)
    st.session_state[state.key(key_prefix, state.UNIT_OPEN)] = True


def _unit_parts(dims: int) -> tuple[str, ...]:
    return (state.UNIT_MAP, state.UNIT_ROW, state.UNIT_COL) if dims == 3 else (state.UNIT_INDEX,)


def _unit_key(key: str, part: str, layer: str) -> str:
    """One number input of a layer's unit: per layer, so that each layer keeps its own choice."""
    return state.key(key, f"{part}_{layer}")


def _choose_unit(key: str, layer: str, values: np.ndarray) -> tuple[int, ...]:
    """Number inputs for (map, row, column) or (unit,); keys are per layer so each layer keeps
    its own choice and no value is ever outside a widget's range."""
    if values.ndim == 3:
        c, h, w = values.shape
        map_key, row_key, col_key = (_unit_key(key, part, layer) for part in _unit_parts(3))
        # Defaults go through session state: a click sets row and column there too, and a
        # widget given both a default and a state value warns on screen.
        st.session_state.setdefault(row_key, h // 2)
        st.session_state.setdefault(col_key, w // 2)
        channel = st.number_input(f"Map (0–{c - 1})", 0, c - 1, key=map_key, help=NUMBERING)
        y = st.number_input(f"Row (0–{h - 1})", 0, h - 1, key=row_key, help=NUMBERING)
        x = st.number_input(f"Column (0–{w - 1})", 0, w - 1, key=col_key, help=NUMBERING)
        return int(channel), int(y), int(x)
    n = values.shape[0]
    return (int(st.number_input(f"Unit (0–{n - 1})", 0, n - 1,
                                key=_unit_key(key, state.UNIT_INDEX, layer), help=NUMBERING)),)


def _on_click(chart_key: str, key: str, layer: str, width: int | None) -> None:
    # A callback runs before the widgets are drawn again, so it may set their values.
    unit = unit_map.clicked_unit(st.session_state.get(chart_key))
    if unit is None:
        return
    if width is None:
        st.session_state[_unit_key(key, state.UNIT_INDEX, layer)] = unit
    else:
        row, col = divmod(unit, width)
        st.session_state[_unit_key(key, state.UNIT_ROW, layer)] = row
        st.session_state[_unit_key(key, state.UNIT_COL, layer)] = col


def _clickable_map(key: str, layer: str, values: np.ndarray, unit: tuple[int, ...],
                   scale: colours.ColourScale) -> None:
    if values.ndim == 3:
        channel, y, x = unit
        one, flat, width = values[channel], y * values.shape[2] + x, values.shape[2]
        st.markdown(f"**{layer} map {channel}** · click a square to inspect it")
    else:
        one, flat, width = values, unit[0], None
        st.markdown(f"**{layer}** · click a square to inspect that unit")
    chart_key = _unit_key(key, state.UNIT_CHART, layer)
    show_chart(unit_map.unit_map_chart(one, scale, selected=flat), key=chart_key,
               on_select=lambda: _on_click(chart_key, key, layer, width),
               selection_mode=unit_map.SELECTION, width="content")
    st.html(colours.legend_html(scale))


# ---- the report ---------------------------------------------------------------------------

def _show_report(report: UnitReport, model: nn.Sequential, x: torch.Tensor, image: np.ndarray,
                 outputs: dict[str, torch.Tensor], key: str) -> None:
    field, reads, sums = st.columns([1, 2, 1.3], gap="medium")
    with field:
        st.markdown("**Receptive field**")
        st.image(pictures.field_picture(image, report.image_field, CELL), width=image.shape[-1] * CELL)
        st.caption(_field_caption(report, image.shape[-1]))
    with reads:
        _show_inputs(report, model, x, outputs, key)
    with sums:
        _show_calculation(report, outputs)


def _field_caption(report: UnitReport, side: int) -> str:
    box, field = report.image_field, report.receptive_field
    text = f"{report.name} sees {box.describe()} of the {side}×{side} image ({box.height}×{box.width} pixels)"
    if (field.height, field.width) != (box.height, box.width):
        text += f"; its full field is {field.height}×{field.width}, part of it zero padding"
    return text + "."


def _source_scale(report: UnitReport, model: nn.Sequential, x: torch.Tensor,
                  outputs: dict[str, torch.Tensor]) -> colours.ColourScale:
    if report.source == INPUT:
        return colours.signed_scale(x, "normalised input")
    return colours.layer_scales(model, outputs)[report.source]


def _show_inputs(report: UnitReport, model, x, outputs, key: str) -> None:
    source = "the input" if report.source == INPUT else f"`{report.source}`"
    scale = _source_scale(report, model, x, outputs)
    if report.module in ("Conv2d", "AvgPool2d", "MaxPool2d"):
        box = report.source_box
        st.markdown(f"**Reads** {source}, rows {box.top}–{box.bottom}, columns {box.left}–{box.right}"
                    + (" (zeros where it reaches the padding)" if min(box.top, box.left) < 0 else ""))
        titles = {"inputs": "input window x", "weights": "filter weights w", "products": "products w·x"}
        for name, (picture, pscale) in pictures.window_pictures(report, scale).items():
            st.caption(titles[name])
            st.image(picture, width=picture.shape[1])
            st.html(colours.legend_html(pscale, width=140))
        sums = _partial_sums(report)
        if sums is not None:
            st.dataframe(sums, hide_index=True, width="content")
        _window_numbers(report, key)
    elif report.module == "Linear":
        st.markdown(f"**Reads** all {report.inputs.size} values of {source}")
        for title, values, vscale in (
                ("inputs x", report.inputs, scale),
                ("weights w", report.weights, colours.signed_scale(report.weights, "weights")),
                ("products w·x", report.inputs * report.weights,
                 colours.signed_scale(report.inputs * report.weights, "w·x"))):
            st.caption(title)
            st.image(pictures.dense_strip(values, vscale, width=480))
        st.caption("The inputs that move it most")
        st.dataframe(unit_inspection.top_contributions(report), hide_index=True, width="content")
    else:
        st.markdown(f"**Reads** one value of {source}{_where(report)}: **{float(report.inputs):.4f}**")


def _where(report: UnitReport) -> str:
    """Which value a per-value layer reads: its own unit of the source, or flatten's map cell."""
    if report.source_box is None:
        return f", unit {report.unit[0]}"
    channel = report.params.get("channel", report.unit[0])
    return f", map {int(channel)} at row {report.source_box.top}, column {report.source_box.left}"


def _window_numbers(report: UnitReport, key: str) -> None:
    """The window's numbers (and the filter's), one input map at a time: what the sum adds up."""
    patch = report.inputs if report.inputs.ndim == 3 else report.inputs[None]
    with st.expander("The numbers", icon=":material/pin:"):
        channel = 0
        if len(patch) > 1:
            channel = st.selectbox("Input map", range(len(patch)), help=NUMBERING,
                                   key=_unit_key(key, state.UNIT_NUMBERS, report.layer))
        st.caption("input window x")
        st.dataframe(pd.DataFrame(patch[channel]), width="content")
        if report.weights is not None:
            st.caption("filter weights w")
            st.dataframe(pd.DataFrame(report.weights[channel]), width="content")


def _partial_sums(report: UnitReport) -> pd.DataFrame | None:
    """Σ w·x per input map, when a convolution reads more than one."""
    sums = partial_sums(report)
    if sums is None or len(sums) < 2:
        return None
    return pd.DataFrame({"input map": np.arange(len(sums)), "Σ w·x": sums})


def _show_calculation(report: UnitReport, outputs: dict[str, torch.Tensor]) -> None:
    st.markdown("**Calculation**")
    st.markdown(f"*{report.rule}*")
    if report.bias is not None:
        st.markdown(f"bias b = `{format_number(report.bias)}`")
    for key, value in report.params.items():
        if key in ("running_mean", "running_var", "gamma", "beta"):
            st.markdown(f"{key.replace('_', ' ')} = `{format_number(value)}`")
    st.code("\n".join(report.steps), language=None, wrap_lines=True)
    forward = float(outputs[report.layer][report.unit])
    # Both at the value's precision: the steps carry two more decimals, so that their last one
    # (rounding) never reads as a disagreement with the forward pass (1.078976 vs 1.078977).
    st.metric(f"{report.name}", format_fixed(report.value, VALUE_DECIMALS))
    agrees = abs(forward - report.value) <= 1e-5 * max(1.0, abs(forward))
    (st.success if agrees else st.error)(
        f"The forward pass gives {format_fixed(forward, VALUE_DECIMALS)}: "
        f"{'the same value' if agrees else 'a different value'}.",
        icon=":material/check_circle:" if agrees else ":material/error:")


def unit_inspector_expander(model: nn.Sequential, arch: Architecture, seen: Forward, image: np.ndarray,
                            key_prefix: str) -> None:
    """The inspector in an expander that builds its contents only while open: a page that reruns
    on every stroke (Draw) pays nothing for it until a person opens it."""
    box = st.expander("Inspect one unit", icon=":material/center_focus_strong:",
                      key=state.key(key_prefix, state.UNIT_OPEN), on_change="rerun")
    if box.open:
        with box:
            render_unit_inspector(model, arch, seen, image, key_prefix)
