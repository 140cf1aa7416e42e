"""The 3D network view of the Draw page and the Layer Explorer: the browser's own element
(:mod:`pages.ui.net3d`, the same one the Network in 3D page draws with), fed with the server's
activations.

    render_network_3d(prefix, picked, x, outputs, probabilities, reference=None, reference_label=None)

The element is sent the network and its weights once per model, then only each input's values
(one float32 array a plane): its camera presets and reset, its layer switches, hover lines and
labels need no rerun. A click on a unit comes back as the element's value: the panel under the
view says what the unit computed, and the unit inspector below opens on it. ``reference``: the
values of another sample or checkpoint of the same network: the view colours the difference.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from lenet_core.errors import LabError
from lenet_core.inspect import geometry, selection
from lenet_core.inspect.activations import forward_pass
from lenet_core.inspect.unit import format_number
from lenet_core.model.architectures import Architecture
from lenet_core.present import scene as scene3d
from lenet_core.present.view_spec import scene_values
from pages.ui import state
from pages.ui.net3d import Selected, js_missing, network_element
from pages.ui.unit_inspector import select_unit


def too_large(arch: Architecture) -> bool:
    """Whether the network has more units than the 3D view draws; if so, says so in one line."""
    refused = scene3d.too_many_to_draw(geometry.planes(arch))
    if refused:
        st.info(f"{refused[0].upper()}{refused[1:]}: every layer's output is still shown in the layer "
                "pictures on this page.", icon=":material/view_in_ar_off:")
    return refused is not None


def render_network_3d(prefix: str, picked, x: torch.Tensor, outputs: dict[str, torch.Tensor],
                      probabilities: torch.Tensor, reference: geometry.Scene | None = None,
                      reference_label: str | None = None) -> None:
    """The element for ``picked`` (a PickedModel) on input ``x`` and its ``outputs``."""
    arch, model, classes = picked.arch, picked.model, picked.meta.classes
    if too_large(arch):
        return
    if missing := js_missing():
        st.info(missing, icon=":material/view_in_ar_off:")
        return
    scene = geometry.build_scene(arch, x, outputs, probabilities, classes)
    selected = network_element(prefix, picked, mode="server", values=scene_values(scene),
                               reference=scene_values(reference) if reference is not None else None,
                               reference_label=reference_label)
    if reference is not None:
        st.caption(f"Colours show the change from {reference_label}: red rose, blue fell, white "
                   "stayed the same.")
    chosen = _chosen(prefix, scene.planes, selected)
    if chosen is not None:
        _selected_panel(model, arch, x, outputs, scene, *chosen)


def _chosen(prefix: str, planes: list[geometry.Plane], selected: Selected | None):
    """The clicked unit, if it exists in this network (a new model may not have it); a new click
    points the unit inspector below at it, once (later choices there are the person's own)."""
    if selected is None:
        return None
    plane = next((p for p in planes if p.name == selected.plane), None)
    unit = tuple(selected.unit)
    fits = plane is not None and len(unit) == len(plane.shape) and all(
        0 <= u < n for u, n in zip(unit, plane.shape))
    if not fits:
        return None
    applied = state.key(prefix, state.NET3D_UNIT)
    if st.session_state.get(applied) != (plane.name, unit):
        st.session_state[applied] = (plane.name, unit)
        if plane.weighted is not None:  # an input pixel computes nothing to inspect
            select_unit(prefix, plane.weighted, unit)
    return plane, unit


def _selected_panel(model, arch, x, outputs, scene, plane: geometry.Plane, unit: tuple[int, ...]) -> None:
    where = scene3d.unit_where(plane, int(np.ravel_multi_index(unit, plane.shape)), scene.classes)
    value = float(scene.value[scene.find(plane.name, unit)])
    st.markdown(f"**Selected: {plane.name} {where}** · value {format_number(value)}")
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
                                 key=state.key(prefix, state.NET3D_EPOCH),
                                 help="The same sample through epoch 1 … N of the run.")
        shown = load_option(dict(options)[epoch])
        k = epochs.index(epoch)
        before = (epochs[k - 1], load_option(dict(options)[epochs[k - 1]])) if k > 0 else None
    choices = ["Values"] + ([CHANGE_FROM_B] if second_pixels is not None else []) + \
        ([CHANGE_FROM_EPOCH] if before is not None else [])
    colour_by = st.segmented_control("Colour by", choices, default="Values", required=True,
                                     key=state.key(prefix, state.NET3D_COLOUR))
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
    render_network_3d(prefix, shown, seen.x, seen.outputs, seen.probabilities, reference=reference,
                      reference_label=label)


def _scene(seen, arch, classes) -> geometry.Scene:
    return geometry.build_scene(arch, seen.x, seen.outputs, seen.probabilities, classes)
