"""The Training page's sidebar launcher: every TrainConfig field, two presets, Start.

Each field's widget has the key ``form_<field>``. Start validates in a callback (before the page
redraws), so each message can be drawn under its own field; the launch itself happens once per
click, and :func:`lenet_core.run_views.launch_once` refuses a second identical launch within a
few seconds (a double click, a second tab), so no run is ever started twice.
"""

from __future__ import annotations

import streamlit as st

from lenet_core import data, run_views
from lenet_core.config import FIELDS, INITS, OPTIMIZERS, PRECISIONS, PRESETS, SCHEDULES, TrainConfig
from lenet_core.device import describe_device, device_choices
from lenet_core.errors import LabError
from lenet_core.models import ARCHITECTURES

ERRORS = "form_errors"  # {field: message} from the last Start
NOTICE = "form_notice"  # (kind, text) to show under the Start button
SAVED = "form_saved"  # the form's values, kept while the user is on other pages
SELECTED = "selected_run"  # the run the live view shows; set to a run just launched
PRESET_TITLES = {"tutorial": "Tutorial recipe", "best": "Best recipe"}
OPTIMIZER_TITLES = {"sgd": "SGD", "sgd-momentum": "SGD + Nesterov momentum 0.9", "adam": "Adam"}
TEXT_FIELDS = ("lr", "weight_decay")  # typed as text: 0.9, 1e-3 and 5e-4 all read naturally


def key(field: str) -> str:
    return f"form_{field}"


def _as_widget_value(field: str, value):
    return f"{value:g}" if field in TEXT_FIELDS else value


def _apply(values: dict) -> None:
    for field, value in values.items():
        st.session_state[key(field)] = _as_widget_value(field, value)
    st.session_state[ERRORS] = {}


def _form_keys() -> list[str]:
    return [key(field) for field in FIELDS] + [key("name")]


def _init_defaults(reports: dict[str, data.Availability]) -> None:
    """Keep the form as the user left it; the tutorial's defaults on a first view.

    Streamlit drops a widget's value once a page without that widget has run, so the values are
    copied to a plain session key on every run and put back when the user returns to this page.
    """
    if key("dataset") in st.session_state:
        st.session_state[SAVED] = {k: st.session_state[k] for k in _form_keys() if k in st.session_state}
        return
    if SAVED in st.session_state:
        st.session_state.update(st.session_state[SAVED])
        return
    defaults = TrainConfig().to_dict()
    if reports[defaults["dataset"]].state != data.AVAILABLE:
        usable = [name for name, r in reports.items() if r.state == data.AVAILABLE]
        defaults["dataset"] = usable[0] if usable else defaults["dataset"]
    _apply(defaults)
    st.session_state[key("name")] = ""


def _apply_preset(name: str, reports: dict[str, data.Availability]) -> None:
    values = dict(PRESETS[name])
    _apply(values)
    if reports[values["dataset"]].state != data.AVAILABLE:
        st.session_state[NOTICE] = ("warning", f"The {PRESET_TITLES[name].lower()} trains on "
                                    f"{reports[values['dataset']].title}, which is not here yet: "
                                    "see the note under Dataset.")
    else:
        st.session_state[NOTICE] = ("info", f"{PRESET_TITLES[name]} loaded: press Start training.")


def _dataset_label(report: data.Availability) -> str:
    if report.state == data.AVAILABLE:
        return f"{report.title} — {report.train_size:,} train / {report.test_size:,} test"
    return f"{report.title} — {report.state}, not here yet"


def _device_label(choice: str) -> str:
    if choice == "auto":
        return f"auto — {describe_device().summary}"
    if choice == "cpu":
        return f"cpu — {describe_device('cpu').summary}"
    try:
        return f"{choice} — {describe_device(choice).summary}"
    except (LabError, RuntimeError, AssertionError):
        return choice


def _start(reports: dict[str, data.Availability]) -> None:
    """Start's callback: validate, check the dataset and device are here, launch once."""
    raw = {field: st.session_state.get(key(field)) for field in FIELDS}
    raw = {f: (v.strip() or None) if isinstance(v, str) else v for f, v in raw.items()}
    name = (st.session_state.get(key("name")) or "").strip() or None
    outcome = run_views.launch_once(raw, name, reports)
    st.session_state[ERRORS] = outcome.errors
    if outcome.errors:
        st.session_state[NOTICE] = ("error", "Not started: fix the fields marked in red.")
        return
    st.session_state[SELECTED] = outcome.run_id
    st.session_state[NOTICE] = ("success" if outcome.started else "info", outcome.message)


def _field_error(field: str) -> None:
    message = st.session_state.get(ERRORS, {}).get(field)
    if message:
        st.error(message, icon=":material/error:")


def launcher() -> None:
    """Draw the launcher in the sidebar."""
    reports = {r.name: r for r in data.availability()}
    _init_defaults(reports)
    sidebar = st.sidebar
    sidebar.header("New run")
    left, right = sidebar.columns(2)
    left.button(PRESET_TITLES["tutorial"], on_click=_apply_preset, args=("tutorial", reports),
                width="stretch", help="The tutorial's recipe: lenet-classic (sigmoid, average pooling) on "
                "Fashion-MNIST, SGD lr 0.9, batch 256, 10 epochs, Xavier init.")
    right.button(PRESET_TITLES["best"], on_click=_apply_preset, args=("best", reports),
                 width="stretch", help="A LeNet-sized modern recipe: lenet-modern (ReLU, max pooling, "
                 "batch norm), SGD with momentum, cosine schedule, weight decay, 10 epochs.")
    with sidebar:  # outside the form: choosing a dataset tells at once whether it is here
        _dataset_field(reports)
    with sidebar.form("launch", border=False):
        _fields()
        st.form_submit_button("Start training", type="primary", width="stretch",
                              icon=":material/play_arrow:", on_click=_start, args=(reports,))
    notice = st.session_state.pop(NOTICE, None)  # said once: it is about the click just made
    if notice:
        getattr(sidebar, notice[0])(notice[1])


def _dataset_field(reports: dict[str, data.Availability]) -> None:
    st.selectbox("Dataset", list(reports), key=key("dataset"),
                 format_func=lambda name: _dataset_label(reports[name]))
    report = reports[st.session_state[key("dataset")]]
    if report.state != data.AVAILABLE:
        st.warning(f"**{report.title} is {report.state}** and cannot be trained on yet: "
                   f"{report.remedy}", icon=":material/block:")
    _field_error("dataset")


def _fields() -> None:
    st.selectbox("Architecture", list(ARCHITECTURES), key=key("arch"),
                 format_func=lambda name: f"{name} — {ARCHITECTURES[name].title}")
    _field_error("arch")
    left, right = st.columns(2)
    with left:
        st.number_input("Epochs", step=1, key=key("epochs"), help="Whole passes over the training set.")
        _field_error("epochs")
    with right:
        st.number_input("Batch size", step=32, key=key("batch_size"))
        _field_error("batch_size")
    left, right = st.columns(2)
    with left:
        st.text_input("Learning rate", key=key("lr"), help="e.g. 0.9 (the tutorial's SGD) or 1e-3 (Adam).")
        _field_error("lr")
    with right:
        st.number_input("Seed", step=1, key=key("seed"), help="Same seed, same config: same run.")
        _field_error("seed")
    st.selectbox("Optimizer", OPTIMIZERS, key=key("optimizer"), format_func=OPTIMIZER_TITLES.get)
    _field_error("optimizer")
    st.selectbox("Device", device_choices(), key=key("device"), format_func=_device_label)
    _field_error("device")
    st.text_input("Run name", key=key("name"), placeholder="optional, e.g. tutorial-baseline")
    with st.expander("More settings"):
        _more_fields()


def _more_fields() -> None:
    st.text_input("Weight decay", key=key("weight_decay"), help="L2 penalty, e.g. 5e-4; 0 for none.")
    _field_error("weight_decay")
    st.selectbox("Learning-rate schedule", SCHEDULES, key=key("schedule"),
                 help="cosine: from the learning rate down to 0 over the whole run.")
    _field_error("schedule")
    st.selectbox("Weight init", INITS, key=key("init"),
                 help="xavier: the tutorial's Xavier-uniform; default: PyTorch's.")
    _field_error("init")
    st.checkbox("Standardise pixels (mean and std)", key=key("normalise"),
                help="Off: pixels only scaled to [0, 1], as the tutorial's ToTensor() does.")
    st.number_input("Label smoothing", step=0.05, format="%.2f", key=key("label_smoothing"))
    _field_error("label_smoothing")
    st.checkbox("Augment (random shifts and rotations)", key=key("augment"))
    st.selectbox("Precision", PRECISIONS, key=key("precision"),
                 help="bf16 autocasts the forward pass: faster on recent GPUs.")
    _field_error("precision")
    st.number_input("Train subset (0 = whole split)", step=1000, key=key("train_subset"),
                    help="Train on the first N examples of a fixed shuffle: for quick trials.")
    _field_error("train_subset")
