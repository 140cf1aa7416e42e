"""The browser's 3D network element (``pages/components/net3d``): a Streamlit component of our
own that draws every unit with three.js, with its layer switches, camera presets, hover lines and
click-to-select. Fed once per model with the network's view (:mod:`lenet_core.present.view_spec`)
and its checkpoint (:mod:`lenet_core.model.browser`); then, on the Network in 3D page, the
browser draws and computes everything itself.

The element's value tells the page what it holds (``have``: the model it was sent, so that the
weights travel once per model, not at every rerun) and which unit a click selected (``selected``,
with the 28×28 image it was seen on). Why a components-v1 element (a folder Streamlit serves as
it is): see ``pages/components/net3d/streamlit.js``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
import streamlit.components.v1 as components

from lenet_core.model.browser import bundle_json
from lenet_core.model.checkpoints import architecture_of
from lenet_core.present.view_spec import digest, spec_json
from pages.ui import state

FOLDER = Path(__file__).resolve().parents[1] / "components" / "net3d"
THREE = FOLDER / "node_modules" / "three" / "build" / "three.module.js"
# The one line a page shows when the JavaScript packages were never installed (pip only).
JS_MISSING = ("The 3D view needs its JavaScript packages (three.js), installed once with "
              "`bash scripts/setup.sh` (or `npm ci --omit=dev` in pages/components/net3d).")

_element = components.declare_component("net3d", path=str(FOLDER))


def js_missing(folder: Path = FOLDER) -> str | None:
    """Why the element cannot draw here (three.js not installed in ``folder``), or None."""
    return None if (folder / THREE.relative_to(FOLDER)).is_file() else JS_MISSING


@dataclass(frozen=True)
class Selected:
    """The unit a click selected, and the 28×28 image (0–1) the browser showed it on."""

    plane: str
    unit: tuple[int, ...]
    image: np.ndarray | None


@st.cache_data(show_spinner=False, max_entries=16)
def _payload(option_key: str, mtime: float, _model, _meta) -> tuple[str, str, str]:
    """(model id, bundle JSON, view JSON) of one checkpoint file, made once per file."""
    bundle = bundle_json(_model, _meta)
    spec = spec_json(architecture_of(_meta), _meta.classes)
    return digest(bundle, spec), bundle, spec


def network_element(prefix: str, picked, mode: str = "live", values: dict[str, str] | None = None,
                    reference: dict[str, str] | None = None, reference_label: str | None = None,
                    height: int = 620) -> Selected | None:
    """Draw the element for the model ``picked`` (pages/ui/models.py's PickedModel); return the
    unit a click selected, if any. ``mode`` "live": the pad and the browser's own forward pass;
    "server": ``values`` (plane name -> base64 float32) from this rerun, and ``reference`` the
    values to colour the change from (``reference_label`` names them)."""
    key = state.key(prefix, state.NET3D_ELEMENT)
    path = Path(picked.option.path)
    model_id, bundle, spec = _payload(picked.option.key, path.stat().st_mtime if path.exists() else 0.0,
                                      picked.model, picked.meta)
    last = st.session_state.get(key) or {}
    sending = last.get("have") != model_id
    value = _element(mode=mode, key=key, model_id=model_id, bundle=bundle if sending else None,
                     spec=spec if sending else None, values=values, reference=reference,
                     reference_label=reference_label, default=None, height=height)
    return selected_unit(value)


def selected_unit(value) -> Selected | None:
    """The element's value -> the selected unit, or None (nothing selected, or a value that is
    not what the element sends)."""
    chosen = (value or {}).get("selected") if isinstance(value, dict) else None
    if not isinstance(chosen, dict):
        return None
    plane, unit = chosen.get("plane"), chosen.get("unit")
    if not isinstance(plane, str) or not isinstance(unit, list) or not all(isinstance(u, int) for u in unit):
        return None
    image = None
    text = value.get("image")
    if isinstance(text, str):
        try:
            pixels = np.frombuffer(base64.b64decode(text, validate=True), dtype="<f4")
        except ValueError:
            pixels = np.zeros(0, np.float32)
        if pixels.size == 28 * 28 and np.isfinite(pixels).all():
            image = np.clip(pixels.reshape(28, 28), 0.0, 1.0)
    return Selected(plane, tuple(unit), image)
