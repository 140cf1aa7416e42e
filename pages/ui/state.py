"""The pages' state: every ``st.session_state`` key they use, the one helper that keeps widget
values across page visits, and the one run store per home.

Streamlit drops a widget's value once a page without that widget has run: coming back to the
Training page would reset its form and its choices. :func:`keep` copies the named widgets'
values to one plain session key after they are drawn; :func:`restore` puts them back before the
widgets are drawn again.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lenet_core import runs
from lenet_core.runs import RunStore

# ---- the Training page ------------------------------------------------------------------------
FORM_ERRORS = "form_errors"  # {field: message} from the last Start
FORM_NOTICE = "form_notice"  # (kind, text) to show under the Start button, once
FORM_TOKEN = "form_token"  # this session's form: part of every request id it sends
SELECTED_RUN = "selected_run"  # the run picker; set to a run just started
CONFIRM_DELETE = "confirm_delete"  # the run id awaiting a second click on Delete
RESUME_NOTICE = "resume_notice"  # (kind, text) about the Resume click just made
STOP_ERROR = "stop_error"
DELETE_NOTICE = "delete_notice"
DELETE_ERROR = "delete_error"
COMPARE = "compare_runs"  # the runs overlaid in the comparison
COMPARE_AUTO = "compare_runs_auto"  # the newest runs chosen for the user, until they choose
SMOOTHING = "compare_smoothing"
X_AXIS = "compare_x"
LOG_LOSS = "compare_log_loss"
COMPARE_CHART = "compare_chart"
DELETE_YES = "delete_yes"
DELETE_NO = "delete_no"
TRY_STARTED = "try_started"  # Try it now started its run: open the Training page on it
TRY_NOTICE = "try_notice"  # why Try it now could not start its run
TRAINING_VIEW = "training_view"  # Runs or Sweeps: the page's two views (shown once a sweep exists)
INSIDE_BESIDE = "inside_beside"  # the run shown beside the chosen one in "Inside the network"
INSIDE_LAYER = "inside_layer"  # key(INSIDE_LAYER, run id): the layer whose histograms are shown
INSIDE_KIND = "inside_kind"  # key(INSIDE_KIND, run id): weights or activations

# ---- the Training page's sweeps ---------------------------------------------------------------
SWEEP_OPEN = "sweep_open"  # the sidebar's "New sweep" section, closed until opened
SWEEP_PRESET = "sweep_preset"
SWEEP_DATASET = "sweep_dataset"
SWEEP_ARCH = "sweep_arch"  # the trials' network unless the space varies it
SWEEP_EPOCHS = "sweep_epochs"
SWEEP_SPACE = "sweep_space"  # the space editor's text
SWEEP_DRAWS = "sweep_draws"
SWEEP_METRIC = "sweep_metric"
SWEEP_BACKEND = "sweep_backend"
SWEEP_ADDRESS = "sweep_address"  # a Ray cluster's address (empty: a Ray of this machine)
SWEEP_EARLY = "sweep_early_stop"
SWEEP_NAME = "sweep_name"
SWEEP_START = "sweep_start"
SWEEP_STARTED = "sweep_started"  # Start sweep was pressed: rerun the page to show the sweep
SWEEP_NOTICE = "sweep_notice"  # (kind, text) about the Start sweep click just made
SELECTED_SWEEP = "selected_sweep"  # the sweep picker; set to a sweep just started
SWEEP_ACTION = "sweep_action"  # (kind, text) about Stop / Resume / Train best just clicked

# ---- the Layer Shapes page ----------------------------------------------------------------------
SHAPES_LOG = "shapes_log"  # the shape charts on a log axis
SHAPES_ARCH = "shapes_arch"  # and key("shapes_input", arch): each architecture keeps its own input

# ---- the Draw page ----------------------------------------------------------------------------
DRAW_SOURCE = "draw_source"  # Draw or Upload
DRAW_CANVAS = "draw_canvas"  # the canvas component: one key for the life of the page
DRAW_STROKE = "draw_stroke"
DRAW_UPLOAD = "draw_upload"
DRAW_UPLOAD_FAILED = "draw_upload_failed"

# ---- the 3D view (Draw page and Layer Explorer): state.key(page prefix, part) -------------------
NET3D_ELEMENT = "3d_element"  # the browser's 3D element (pages/ui/net3d.py): its last value
LIVE = "live"  # the Network in 3D page's prefix
NET3D_UNIT = "3d_unit"  # (plane, unit) of the click the unit inspector was last pointed at
NET3D_SHOW = "3d_show"  # the toggle that shows the view
NET3D_EPOCH = "3d_epoch"  # the Explorer's checkpoint slider of the 3D view
NET3D_COLOUR = "3d_colour"  # values, or a difference

# ---- the unit inspector (Draw page and Layer Explorer) -----------------------------------------
# Only pages/ui/unit_inspector.py writes these; another widget points it at a unit through its
# select_unit().
UNIT_OPEN = "unit_open"  # key(page prefix, UNIT_OPEN): its expander, open or shut
UNIT = "unit"  # key(page prefix, UNIT): the prefix of the inspector's own widgets, below
UNIT_LAYER = "layer"  # the layer inspected
UNIT_MAP, UNIT_ROW, UNIT_COL = "map", "row", "col"  # a unit of maps: key(.., f"{part}_{layer}")
UNIT_INDEX = "index"  # a unit of a vector layer: key(.., f"index_{layer}")
UNIT_CHART = "chart"  # the clickable map: key(.., f"chart_{layer}")
UNIT_NUMBERS = "numbers"  # the input map whose numbers are shown: key(.., f"numbers_{layer}")

KEPT = "kept_widget_values"  # {widget key: value}, for the widgets of pages not on screen


def form_key(field: str) -> str:
    """The Training form's widget of a TrainConfig field (and ``name`` for the run name)."""
    return f"form_{field}"


def key(prefix: str, part: str) -> str:
    """A widget of a page section that can appear more than once (``explore_index``,
    ``explore_a_popover_conv1``): the section's prefix, then the widget's own name."""
    return f"{prefix}_{part}"


def restore(*keys: str) -> None:
    """Put back kept values of widgets that Streamlit dropped while another page ran. Call it
    before the widgets are drawn."""
    kept = st.session_state.get(KEPT, {})
    for widget in keys:
        if widget not in st.session_state and widget in kept:
            st.session_state[widget] = kept[widget]


def keep(*keys: str) -> None:
    """Remember these widgets' current values (call it after they are drawn: a fragment's rerun
    too) for :func:`restore`."""
    kept = st.session_state.setdefault(KEPT, {})
    kept.update({widget: st.session_state[widget] for widget in keys if widget in st.session_state})


@st.cache_resource(show_spinner=False)
def _store(home: str) -> RunStore:
    return runs.store_for(home)


def run_store(home: Path) -> RunStore:
    """The run store of ``home``: one per home for the server process, not one per rerun.
    (A RunStore holds no connection: each operation opens its own, from any thread.)"""
    return _store(str(Path(home).resolve()))

# ---- the Network Designer page ------------------------------------------------------------------
DESIGN_ROWS = "designer_rows"  # the layer list being edited: a tuple of lenet_core.model.edit.Row
DESIGN_VERSION = "designer_version"  # bumped when the list is replaced or reordered: fresh row widgets
DESIGN_ROW = "designer_row"  # key(DESIGN_ROW, f"{version}_{row}_{field}"): a row's kind and numbers
DESIGN_SOURCE = "designer_source"  # what the list was loaded from, in words
DESIGN_FROM = "designer_from"  # the "Start from" picker
DESIGN_INPUT = "designer_input"  # 28 or 32
DESIGN_DATASET = "designer_dataset"  # its class count is the output layer's width
DESIGN_TEXT = "designer_text"  # the network as text (editable)
DESIGN_TEXT_SHOWN = "designer_text_shown"  # the list's text the box was last set to
DESIGN_TEXT_ERROR = "designer_text_error"  # why the text just applied does not read
DESIGN_ADD_KIND = "designer_add_kind"  # the kind Add adds
DESIGN_ADD_AT = "designer_add_at"  # key(DESIGN_ADD_AT, version): where Add puts the new layer
DESIGN_NAME = "designer_name"
DESIGN_DESCRIPTION = "designer_description"
DESIGN_REPLACE = "designer_replace"  # key(DESIGN_REPLACE, name): replace the saved network of that name
DESIGN_NOTICE = "designer_notice"  # (kind, text) about the Save click just made
DESIGN_DELETE_NOTICE = "designer_delete_notice"  # (kind, text) about the Delete click just made
DESIGN_RELOAD = "designer_reload"  # load the network chosen in "Start from" again
DESIGN_EXERCISE = "designer_exercise"  # key(DESIGN_EXERCISE, name): an exercise's button
DESIGN_SAVED = "designer_saved"  # the name just saved: the Train it button
DESIGN_TRAIN = "designer_train"  # Train it was clicked: open the Training page
DESIGN_CONFIRM_DELETE = "designer_confirm_delete"  # the saved network awaiting a second click on Delete
