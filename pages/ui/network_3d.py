"""The 3D network view, shared by the Draw page and the Layer Explorer.

    render_network_3d(prefix, picked.model, picked.arch, x, outputs, probabilities, classes,
                      reference=None, reference_label=None)

Every unit of every layer as a tile coloured by its value (lenet_core.inspect.geometry builds
the scene, lenet_core.present.scene the deck); camera presets and a reset; a toggle per layer;
hover a tile for its layer, map, row, column and value; click one for the lines to every unit it
reads and its arithmetic (lenet_core.inspect.selection), and the unit inspector below opens on it
(its select_unit). ``reference``: a second scene of the same network (another sample, another
epoch): the view colours the difference.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.inspect import geometry, selection
from lenet_core.inspect.activations import forward_pass
from lenet_core.inspect.unit import format_number
from lenet_core.model.architectures import Architecture
from lenet_core.present import camera, colours
from lenet_core.present import scene as scene3d
from pages.ui import state
from pages.ui.unit_inspector import select_unit


def _key(prefix: str, part: str) -> str:
    return state.key(prefix, part)


def _selected(prefix: str, planes: list[geometry.Plane]) -> tuple[geometry.Plane, tuple[int, ...]] | None:
    """The unit a click selected, if it exists in this network (a new model may not have it)."""
    chosen = st.session_state.get(_key(prefix, state.NET3D_UNIT))
    if not chosen:
        return None
    name, unit = chosen
    plane = next((p for p in planes if p.name == name), None)
    fits = plane is not None and len(unit) == len(plane.shape) and all(
        0 <= u < n for u, n in zip(unit, plane.shape))
    if not fits:
        return None
    return plane, tuple(unit)


def _on_pick(chart_key: str, prefix: str, planes: list[geometry.Plane]) -> None:
    """A click: remember the unit, and point the unit inspector at it (and open it)."""
    event = st.session_state.get(chart_key) or {}
    picked = scene3d.picked_unit(planes, event.get("selection"))
    if picked is None:  # a click on empty space, or on the selected tile again: deselect
        st.session_state[_key(prefix, state.NET3D_UNIT)] = None
        return
    st.session_state[_key(prefix, state.NET3D_UNIT)] = picked
    name, unit = picked
    plane = next(p for p in planes if p.name == name)
    if plane.weighted is not None:  # an input pixel computes nothing to inspect
        select_unit(prefix, plane.weighted, unit)


def _reset_camera(prefix: str) -> None:
    key = _key(prefix, state.NET3D_CAMERA)
    st.session_state[key] = st.session_state.get(key, 0) + 1


def _show_all(prefix: str, names: list[str]) -> None:
    st.session_state[_key(prefix, state.NET3D_LAYERS)] = names


def controls(prefix: str, planes: list[geometry.Plane]) -> tuple[str, set[str]]:
    """Camera preset (and reset), and which planes to show."""
    names = [p.name for p in planes]
    layers_key = _key(prefix, state.NET3D_LAYERS)
    if st.session_state.get(layers_key) is not None and not set(st.session_state[layers_key]) <= set(names):
        del st.session_state[layers_key]  # another architecture's planes
    state.restore(_key(prefix, state.NET3D_VIEW), layers_key)
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        view = st.segmented_control("Camera", list(camera.VIEWS), default=camera.DEFAULT_VIEW,
                                    key=_key(prefix, state.NET3D_VIEW), required=True,
                                    on_change=_reset_camera, args=(prefix,),
                                    help="Drag to turn, scroll to zoom, shift-drag to pan.")
        st.button("Reset camera", icon=":material/restart_alt:", key=_key(prefix, state.NET3D_RESET),
                  on_click=_reset_camera, args=(prefix,))
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        shown = st.pills("Layers", names, selection_mode="multi", default=names, key=layers_key,
                         help="Hide a layer to see past it; a hidden layer's tiles cannot be picked.")
        st.button("Show all", key=_key(prefix, state.NET3D_ALL), on_click=_show_all, args=(prefix, names))
    state.keep(_key(prefix, state.NET3D_VIEW), layers_key)
    return view, set(shown or [])


def too_large(arch: Architecture) -> bool:
    """Whether the network has more units than the 3D view draws; if so, says so in one line."""
    refused = scene3d.too_many_to_draw(geometry.planes(arch))
    if refused:
        st.info(f"{refused[0].upper()}{refused[1:]}: every layer's output is still shown in the layer "
                "pictures on this page.", icon=":material/view_in_ar_off:")
    return refused is not None


def render_network_3d(prefix: str, model: nn.Sequential, arch: Architecture, x: torch.Tensor,
                      outputs: dict[str, torch.Tensor], probabilities: torch.Tensor, classes,
                      reference: geometry.Scene | None = None, reference_label: str | None = None) -> None:
    if too_large(arch):
        return
    planes = geometry.planes(arch)
    view, visible = controls(prefix, planes)
    scene = geometry.build_scene(arch, x, outputs, probabilities, classes)
    difference = reference is not None
    if difference:
        scene = geometry.difference(scene, reference)
    scales = scene3d.plane_scales(scene, model, outputs, difference=difference)
    selected = _selected(prefix, planes)
    edges = None
    if selected is not None and selected[0].name in visible:
        edges = selection.unit_edges(model, arch, x, outputs, scene, selected[0].name, selected[1])
    if not visible:
        st.info("Every layer is hidden: choose one above, or Show all.", icon=":material/visibility_off:")
        return
    deck = scene3d.build_deck(scene, scales, visible, view=view, edges=edges, difference=difference)
    resets = st.session_state.get(_key(prefix, state.NET3D_CAMERA), 0)  # a new chart each reset
    chart_key = _key(prefix, f"{state.NET3D_CHART}_{resets}")
    st.pydeck_chart(deck, on_select=lambda: _on_pick(chart_key, prefix, planes), key=chart_key,
                    selection_mode="single-object", height=scene3d.view_height(scene, view))
    if difference:
        st.caption(f"Colours show the change from {reference_label}: red rose, blue fell, white "
                   "stayed the same.")
    st.caption(scene3d.legend_text(edges))
    _legends(planes, visible, scales)
    if selected is not None:
        _selected_panel(model, arch, x, outputs, scene, selected, visible)


def _legends(planes: list[geometry.Plane], visible: set[str], scales) -> None:
    with st.expander("What the colours mean", icon=":material/palette:"):
        shown = [p for p in planes if p.name in visible]
        columns = st.columns(min(4, len(shown)) or 1)
        for k, plane in enumerate(shown):
            with columns[k % len(columns)]:
                st.caption(plane.title)
                st.html(colours.legend_html(scales[plane.name], width=160))


def _selected_panel(model, arch, x, outputs, scene, selected, visible) -> None:
    plane, unit = selected
    where = scene3d.unit_where(plane, int(np.ravel_multi_index(unit, plane.shape)), scene.classes)
    value = float(scene.value[scene.find(plane.name, unit)])
    st.markdown(f"**Selected: {plane.name} {where}** · value {format_number(value)}")
    if plane.name not in visible:
        st.caption("Its layer is hidden: show it to see its lines.")
    try:
        chain = selection.unit_chain(model, arch, x, outputs, plane, unit)
    except LabError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if not chain:
        st.caption("An input pixel: it reads nothing, it is the image the network sees.")
        return
    steps = [f"{report.layer}: {step}" for report in chain for step in report.steps]
    st.code("\n".join(steps), language=None, wrap_lines=True)
    st.caption("The unit inspector below is open on this unit: its receptive field, the window "
               "and filter it multiplies, and every number of the sum.")


# ---- the Layer Explorer's 3D view: one sample through the epochs, or a difference -----------------

CHANGE_FROM_B = "Change from the other sample"
CHANGE_FROM_EPOCH = "Change from the epoch before"


def explorer_network_3d(prefix: str, picked, run_option, pixels: np.ndarray,
                        second_pixels: np.ndarray | None = None) -> None:
    """The Explorer's 3D view of sample ``x``: its own checkpoint slider over the run's epochs
    (the same sample through epoch 1 … N), and colours by value or by the change from the other sample
    or from the epoch before."""
    from pages.ui.epoch_picker import epoch_options, run_id_of
    from pages.ui.models import load_option

    if too_large(picked.arch):  # every epoch of a run is the same network
        return
    options = epoch_options(run_option) if run_id_of(run_option) is not None else []
    shown = picked
    epochs = [epoch for epoch, _ in options]
    before = None
    if len(epochs) > 1:
        epoch = st.select_slider("Checkpoint of the 3D view", epochs, value=epochs[-1],
                                 key=_key(prefix, state.NET3D_EPOCH),
                                 help="The same sample through epoch 1 … N of the run.")
        shown = load_option(dict(options)[epoch])
        k = epochs.index(epoch)
        before = (epochs[k - 1], load_option(dict(options)[epochs[k - 1]])) if k > 0 else None
    choices = ["Values"] + ([CHANGE_FROM_B] if second_pixels is not None else []) + \
        ([CHANGE_FROM_EPOCH] if before is not None else [])
    colour_by = st.segmented_control("Colour by", choices, default="Values", required=True,
                                     key=_key(prefix, state.NET3D_COLOUR))
    if colour_by not in choices:
        colour_by = "Values"
    arch, classes = shown.arch, shown.meta.classes
    seen = forward_pass(shown.model, shown.meta, pixels)
    reference, label = None, None
    if colour_by == CHANGE_FROM_B:  # the same model, the other sample
        reference = _scene(forward_pass(shown.model, shown.meta, second_pixels), arch, classes)
        label = "the other sample"
    elif colour_by == CHANGE_FROM_EPOCH:  # the same sample, the checkpoint before
        epoch, older = before
        reference = _scene(forward_pass(older.model, older.meta, pixels), arch, classes)
        label = f"epoch {epoch}"
    render_network_3d(prefix, shown.model, arch, seen.x, seen.outputs, seen.probabilities, classes,
                      reference=reference, reference_label=label)


def _scene(seen, arch, classes) -> geometry.Scene:
    return geometry.build_scene(arch, seen.x, seen.outputs, seen.probabilities, classes)
