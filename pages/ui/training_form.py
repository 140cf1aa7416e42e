"""The Training page's sidebar launcher: one widget per TrainConfig field, two presets, Start.

Every widget comes from its field's declaration (:data:`lenet_core.training.config.SETTINGS`): a choice is
a selectbox, yes/no a checkbox, and a number a text box (a browser's number box turned "1e309",
"" and "1.5" into 0, 0 and 1 and started runs nobody asked for; a text box hands over what was
typed, and validation says what is wrong with it). Each widget's key is ``form_<field>``. Start
validates in a callback (before the page redraws), so each message can be drawn under its own
field. Each submission carries a request id made of the form's token (one per session), the
settings and the name (:func:`lenet_core.runs.start_from_form`): a double click sends the same one
twice, and the run store's UNIQUE column turns the second into "started already".
"""

from __future__ import annotations

import streamlit as st

from lenet_core import data, runs
from lenet_core.errors import LabError
from lenet_core.model.architectures import ARCHITECTURES
from lenet_core.runs import queue
from lenet_core.training.config import DEFAULTS, FIELDS, PRESETS, SETTINGS, Choice, YesNo, preset_values
from lenet_core.training.device import describe_device, device_choices
from pages.ui import state

PRESET_TITLES = {"tutorial": "Tutorial recipe", "best": "Best recipe"}
PRESET_INTROS = {"tutorial": "The d2l tutorial's recipe", "best": "A LeNet-sized modern recipe"}
TUTORIAL_NAMED = ("dataset", "arch", "optimizer", "lr", "batch_size", "epochs", "init")


def preset_help(name: str) -> str:
    """A preset button's tooltip, written from the preset itself (so it cannot fall behind it):
    the tutorial's main settings, or what another preset changes from them."""
    values = preset_values(name)
    changed = [f for f in FIELDS if f in PRESETS[name]]
    named = changed or list(TUTORIAL_NAMED)

    def shown(value) -> str:
        return ("on" if value else "off") if isinstance(value, bool) else str(value)

    settings = ", ".join(f"{SETTINGS[f].title.lower()} {shown(values[f])}" for f in named)
    if changed:
        return f"{PRESET_INTROS[name]}; the tutorial's, with {settings}."
    return f"{PRESET_INTROS[name]}: {settings}."


key = state.form_key


def is_text(field: str) -> bool:
    """Numbers are typed as text: 0.9, 1e-3 and 5e-4 all read naturally, and nothing is rounded."""
    return not isinstance(SETTINGS[field].rule, (Choice, YesNo)) and field != "device"


def _as_widget_value(field: str, value):
    if not is_text(field):
        return value
    return f"{value:g}" if isinstance(value, float) else str(value)


def _apply(values: dict) -> None:
    for field, value in values.items():
        st.session_state[key(field)] = _as_widget_value(field, value)
    st.session_state[state.FORM_ERRORS] = {}


def _form_keys() -> list[str]:
    return [key(field) for field in FIELDS] + [key("name")]


def _init_defaults(reports: dict[str, data.Availability]) -> None:
    """The form as the user left it (kept across page visits, :mod:`pages.ui.state`); the
    tutorial's defaults on a first view."""
    state.restore(*_form_keys())
    if key("dataset") in st.session_state:
        return
    defaults = dict(DEFAULTS)
    if reports[defaults["dataset"]].state != data.AVAILABLE:
        usable = [name for name, r in reports.items() if r.state == data.AVAILABLE]
        defaults["dataset"] = usable[0] if usable else defaults["dataset"]
    _apply(defaults)
    st.session_state[key("name")] = ""


def _apply_preset(name: str, reports: dict[str, data.Availability]) -> None:
    values = preset_values(name)
    _apply(values)
    if reports[values["dataset"]].state != data.AVAILABLE:
        st.session_state[state.FORM_NOTICE] = ("warning", f"The {PRESET_TITLES[name].lower()} trains on "
                                    f"{reports[values['dataset']].title}, which is not here yet: "
                                    "see the note under Dataset.")
    else:
        st.session_state[state.FORM_NOTICE] = ("info", f"{PRESET_TITLES[name]} loaded: press Start training.")


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


def _start(reports: dict[str, data.Availability], form_token: str, home) -> None:
    """Start's callback: validate, check the dataset and device are here, start once per
    submission."""
    raw = {field: st.session_state.get(key(field)) for field in FIELDS}
    name = st.session_state.get(key("name")) or ""
    outcome = runs.start_from_form(raw, name, form_token, reports, home)
    st.session_state[state.FORM_ERRORS] = outcome.errors
    if outcome.errors:
        st.session_state[state.FORM_NOTICE] = ("error", "Not started: fix the fields marked in red.")
        return
    st.session_state[state.SELECTED_RUN] = outcome.run_id
    st.session_state[state.FORM_NOTICE] = ("success" if outcome.started else "info", outcome.message)


def _field_error(field: str) -> None:
    message = st.session_state.get(state.FORM_ERRORS, {}).get(field)
    if message:
        st.error(message, icon=":material/error:")


def launcher(home) -> None:
    """Draw the launcher in the sidebar (runs go to the store at ``home``)."""
    reports = {r.name: r for r in data.availability(home)}
    _init_defaults(reports)
    form_token = st.session_state.setdefault(state.FORM_TOKEN, runs.new_request_id())
    sidebar = st.sidebar
    sidebar.header("New run")
    for column, name in zip(sidebar.columns(len(PRESETS)), PRESETS):
        column.button(PRESET_TITLES[name], on_click=_apply_preset, args=(name, reports),
                      width="stretch", help=preset_help(name))
    with sidebar:  # outside the form: choosing a dataset tells at once whether it is here
        _dataset_field(reports)
    with sidebar.form("launch", border=False):
        _fields(main=True)
        st.text_input("Run name", key=key("name"), placeholder="optional, e.g. tutorial-baseline")
        _field_error("name")
        with st.expander("More settings"):
            _fields(main=False)
        st.form_submit_button("Start training", type="primary", width="stretch",
                              icon=":material/play_arrow:", on_click=_start,
                              args=(reports, form_token, home))
    state.keep(*_form_keys())
    notice = st.session_state.pop(state.FORM_NOTICE, None)  # said once: about the click just made
    if notice:
        getattr(sidebar, notice[0])(notice[1])
    _slots_note(home)


def _slots_note(home) -> None:
    """How many of the CPU's slots are in use, and how to have more (a bad setting, said)."""
    try:
        waiting = queue.queue_state(runs.RunStore(home).list())
        st.sidebar.caption(f"{queue.summary(waiting, 'cpu')}. A run started while every slot is "
                           f"busy waits its turn; `{queue.SLOTS_ENV}=cpu=2` allows two at once.")
    except LabError as exc:
        st.sidebar.error(str(exc), icon=":material/error:")


def _dataset_field(reports: dict[str, data.Availability]) -> None:
    st.selectbox(SETTINGS["dataset"].title, list(reports), key=key("dataset"),
                 format_func=lambda name: _dataset_label(reports[name]), help=SETTINGS["dataset"].help)
    report = reports[st.session_state[key("dataset")]]
    if report.state != data.AVAILABLE:
        st.warning(f"**{report.title} is {report.state}** and cannot be trained on yet: "
                   f"{report.remedy}", icon=":material/block:")
    _field_error("dataset")


def layout(main: bool) -> list[tuple[str, ...]]:
    """The form's rows: every field of the section once, in declaration order, two numbers that
    follow each other sharing a row (Epochs | Batch size, Learning rate | Seed)."""
    section = [f for f, s in SETTINGS.items() if s.more != main and f != "dataset"]
    rows: list[tuple[str, ...]] = []
    for field in section:
        if main and rows and len(rows[-1]) == 1 and is_text(rows[-1][0]) and is_text(field):
            rows[-1] = (rows[-1][0], field)
        else:
            rows.append((field,))
    return rows


def _fields(main: bool) -> None:
    for row in layout(main):
        for column, field in zip(st.columns(len(row)) if len(row) > 1 else [st.container()], row):
            with column:
                _widget(field)
                _field_error(field)


def _widget(field: str) -> None:
    setting = SETTINGS[field]
    if field == "device":  # the devices present here, each described
        st.selectbox(setting.title, device_choices(), key=key(field), format_func=_device_label,
                     help=setting.help)
    elif field == "arch":
        st.selectbox(setting.title, list(ARCHITECTURES), key=key(field), help=setting.help,
                     format_func=lambda name: f"{name} — {ARCHITECTURES[name].title}")
    elif isinstance(setting.rule, Choice):
        st.selectbox(setting.title, setting.rule.options, key=key(field), help=setting.help,
                     format_func=setting.rule.title)
    elif isinstance(setting.rule, YesNo):
        st.checkbox(setting.title, key=key(field), help=setting.help)
    else:
        st.text_input(setting.title, key=key(field), help=setting.help)
