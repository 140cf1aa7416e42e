"""The Training page's sidebar launcher: one widget per TrainConfig field, two presets, Start.

Every widget comes from its field's declaration (:data:`lenet_core.training.config.SETTINGS`): a choice is
a selectbox, yes/no a checkbox, and a number a text box (a browser's number box turned "1e309",
"" and "1.5" into 0, 0 and 1 and started runs nobody asked for; a text box hands over what was
typed, and validation says what is wrong with it). Each widget's key is ``form_<field>``. Start
validates in a callback (before the page redraws), so each message can be drawn under its own
field. Each submission carries a request id made of the form's token (one per session), the
settings and the name (:func:`pages.ui.launching.start_from_form`): a double click sends the same one
twice, and the run store's UNIQUE column turns the second into "started already".
"""

from __future__ import annotations

import streamlit as st

from lenet_core import data, paths, runs
from lenet_core.errors import LabError
from lenet_core.format import format_setting
from lenet_core.model import saved
from lenet_core.model.architectures import ARCHITECTURES
from lenet_core.runs import queue
from lenet_core.training.config import (
    BUNDLED,
    DEFAULTS,
    FIELDS,
    PRESETS,
    SETTINGS,
    Choice,
    DatasetName,
    NetworkName,
    StartFrom,
    YesNo,
    preset_values,
    validate,
)
from lenet_core.training.device import describe_device, device_choices
from pages.ui import state
from pages.ui.launching import start_from_form

PRESET_TITLES = {"tutorial": "Tutorial recipe", "best": "Best recipe", "quick": "Quick digits recipe"}
PRESET_INTROS = {"tutorial": "The d2l tutorial's recipe", "best": "A LeNet-sized modern recipe",
                 "quick": "A first look in seconds"}
SIDEBAR_PRESETS = ("tutorial", "best")  # a button each; the quick one is "Try it now" (pages/ui/try_it.py)
MORE_KEY = "form_more_settings"  # the "More settings" expander: opened by Start when it holds an error
TUTORIAL_NAMED = ("dataset", "arch", "optimizer", "lr", "batch_size", "epochs", "init")


def preset_help(name: str) -> str:
    """A preset button's tooltip, written from the preset itself (so it cannot fall behind it):
    the tutorial's main settings, or what another preset changes from them."""
    values = preset_values(name)
    changed = [f for f in FIELDS if f in PRESETS[name]]
    named = changed or list(TUTORIAL_NAMED)

    def shown(value) -> str:
        return ("on" if value else "off") if isinstance(value, bool) else format_setting(value)

    settings = ", ".join(f"{SETTINGS[f].title.lower()} {shown(values[f])}" for f in named)
    if changed:
        return f"{PRESET_INTROS[name]}; the tutorial's, with {settings}."
    return f"{PRESET_INTROS[name]}: {settings}."


key = state.form_key
# What the form edits. A saved network's layers are read when its run starts, never kept in the
# form: a form that held them would train stale layers after another network is chosen.
FORM_FIELDS = tuple(field for field in FIELDS if SETTINGS[field].form)


def is_text(field: str) -> bool:
    """Numbers are typed as text: 0.9, 1e-3 and 5e-4 all read naturally, and nothing is rounded."""
    picked = (Choice, YesNo, DatasetName, NetworkName, StartFrom)  # from a list, or a box to tick
    return not isinstance(SETTINGS[field].rule, picked) and field != "device"


def _as_widget_value(field: str, value):
    if not is_text(field):
        return value
    return format_setting(value)


def _apply(values: dict) -> None:
    for field, value in values.items():
        if field not in FORM_FIELDS:
            continue
        st.session_state[key(field)] = _as_widget_value(field, value)
    st.session_state[state.FORM_ERRORS] = {}


def form_words(reports: dict[str, data.Availability]) -> str | None:
    """What Start would train, read from the form as it stands (None while a value is wrong)."""
    config, errors = validate({field: st.session_state.get(key(field)) for field in FORM_FIELDS})
    if config is None:
        return None
    optimizer = SETTINGS["optimizer"].rule.title(config.optimizer)
    epochs = f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}"
    return (f"{config.arch} on {reports[config.dataset].title} for {epochs} ({optimizer}, learning rate "
            f"{format_setting(config.lr)}, batch {config.batch_size})")


def load_into_form(values: dict) -> None:
    """Show ``values`` (TrainConfig fields, and ``name``) in the run form the next time it is
    drawn, on any page: from a callback, before the form's widgets exist in this run."""
    values = {key(field): _as_widget_value(field, value) if field in SETTINGS else value
              for field, value in values.items() if field in FORM_FIELDS or field not in SETTINGS}
    st.session_state.update(values)
    st.session_state.setdefault(state.KEPT, {}).update(values)  # a page without the form drops widget keys
    st.session_state[state.FORM_ERRORS] = {}


def _form_keys() -> list[str]:
    return [key(field) for field in FORM_FIELDS] + [key("name")]


def _init_defaults(reports: dict[str, data.Availability]) -> None:
    """The form as the user left it (kept across page visits, :mod:`pages.ui.state`); the
    tutorial's defaults on a first view, under what another page chose for it (the designer's
    Train it: the network alone)."""
    state.restore(*_form_keys())
    if key("dataset") in st.session_state:
        return
    defaults = dict(DEFAULTS)
    if reports[defaults["dataset"]].state != data.AVAILABLE:
        usable = [name for name, r in reports.items() if r.state == data.AVAILABLE]
        defaults["dataset"] = usable[0] if usable else defaults["dataset"]
    _apply({field: value for field, value in defaults.items() if key(field) not in st.session_state})
    st.session_state.setdefault(key("name"), "")


def _apply_preset(name: str, reports: dict[str, data.Availability]) -> None:
    values = preset_values(name)
    _apply(values)
    if reports[values["dataset"]].state != data.AVAILABLE:
        st.session_state[state.FORM_NOTICE] = ("warning", f"The {PRESET_TITLES[name].lower()} trains on "
                                    f"{reports[values['dataset']].title}, which is not here yet: "
                                    "see the note under Dataset.")
    else:
        st.session_state[state.FORM_NOTICE] = ("info", f"{PRESET_TITLES[name]} loaded: press Start training.")


# A select shows a short name (a sidebar select cuts its text at about 30 characters); what the
# chosen option means is said in a line under it.

def dataset_label(report: data.Availability) -> str:
    return report.title if report.state == data.AVAILABLE else f"{report.title} ({report.state})"


def dataset_detail(report: data.Availability) -> str:
    if report.state != data.AVAILABLE:
        return "not here yet: see below"
    info = data.get_dataset(report.name)
    # a colour or 32×32 set: the network is fitted to it (conv1 reads 3 channels, a 32×32 input)
    kind = "" if (info.side, info.channels) == (28, 1) else \
        f", {info.side}×{info.side} {'colour' if info.channels == 3 else 'grey'}"
    return f"{report.train_size:,} training and {report.test_size:,} test images{kind}"


def device_detail(choice: str) -> str:
    try:
        return describe_device(None if choice == "auto" else choice).summary
    except (LabError, RuntimeError, AssertionError):
        return "not present here"


def option_label(title: str) -> str:
    """``Digits: shifts ±2 px, rotations ±10°`` -> ``Digits``: the name before the details."""
    return title.split(": ", 1)[0]


def option_detail(title: str) -> str | None:
    return title.split(": ", 1)[1] if ": " in title else None


def _start(reports: dict[str, data.Availability], form_token: str, home) -> None:
    """Start's callback: validate, check the dataset and device are here, start once per
    submission."""
    raw = {field: st.session_state.get(key(field)) for field in FORM_FIELDS}
    name = st.session_state.get(key("name")) or ""
    outcome = start_from_form(raw, name, form_token, reports, home)
    st.session_state[state.FORM_ERRORS] = outcome.errors
    if outcome.errors:
        if any(SETTINGS[f].more for f in outcome.errors if f in SETTINGS):
            st.session_state[MORE_KEY] = True  # an error is never hidden in a closed section
        st.session_state[state.FORM_NOTICE] = ("error", not_started(outcome.errors))
        return
    st.session_state[state.SELECTED_RUN] = outcome.run_id
    st.session_state[state.FORM_NOTICE] = ("success" if outcome.started else "info", outcome.message)


def field_title(field: str) -> str:
    return "Run name" if field == "name" else SETTINGS[field].title if field in SETTINGS else field


def not_started(errors: dict[str, str]) -> str:
    """The notice under Start: the field at fault (and where, when it is under More settings) and
    what is wrong with it; with several, their names (each message is under its own field)."""
    def where(field: str) -> str:
        hidden = field in SETTINGS and SETTINGS[field].more
        return field_title(field) + (" in More settings" if hidden else "")

    fields = list(errors)
    if len(fields) == 1:
        return f"Not started. {where(fields[0])}: {errors[fields[0]]}"
    names = [where(f) for f in fields]
    return f"Not started: fix {', '.join(names[:-1])} and {names[-1]}; each is marked in red."


def _field_error(field: str) -> None:
    message = st.session_state.get(state.FORM_ERRORS, {}).get(field)
    if message:
        st.error(message, icon=":material/error:")


def launcher(home, reports: dict[str, data.Availability]) -> None:
    """Draw the launcher in the sidebar (runs go to the store at ``home``; ``reports``: each
    dataset's availability, by name)."""
    _init_defaults(reports)
    form_token = st.session_state.setdefault(state.FORM_TOKEN, runs.new_request_id())
    sidebar = st.sidebar
    sidebar.header("New run")
    for column, name in zip(sidebar.columns(len(SIDEBAR_PRESETS)), SIDEBAR_PRESETS):
        column.button(PRESET_TITLES[name], on_click=_apply_preset, args=(name, reports),
                      width="stretch", help=preset_help(name))
    with sidebar:  # outside the form: choosing a dataset tells at once whether it is here
        _dataset_field(reports)
    with sidebar.form("launch", border=False):
        _fields(main=True)
        st.text_input("Run name", key=key("name"), placeholder="optional, e.g. tutorial-baseline")
        _field_error("name")
        with st.expander("More settings", key=MORE_KEY, on_change="rerun"):
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
        waiting = queue.queue_state(state.run_store(home).list())
        st.sidebar.caption(f"{queue.summary(waiting, 'cpu')}. A run started while every slot is "
                           f"busy waits its turn; `{queue.SLOTS_ENV}=cpu=2` allows two at once.")
    except LabError as exc:
        st.sidebar.error(str(exc), icon=":material/error:")


def _dataset_field(reports: dict[str, data.Availability]) -> None:
    st.selectbox(SETTINGS["dataset"].title, list(reports), key=key("dataset"),
                 format_func=lambda name: dataset_label(reports[name]), help=SETTINGS["dataset"].help)
    report = reports[st.session_state[key("dataset")]]
    st.caption(dataset_detail(report))  # outside the form: it follows the choice at once
    if report.state != data.AVAILABLE:
        st.warning(f"**{report.title} is {report.state}** and cannot be trained on yet: "
                   f"{report.remedy}", icon=":material/block:")
    _field_error("dataset")


def layout(main: bool) -> list[tuple[str, ...]]:
    """The form's rows: every field of the section once, in declaration order, two numbers that
    follow each other sharing a row (Epochs | Batch size, Learning rate | Seed)."""
    section = [f for f, s in SETTINGS.items() if s.more != main and s.form and f != "dataset"]
    rows: list[tuple[str, ...]] = []
    for field in section:
        if main and rows and len(rows[-1]) == 1 and is_text(rows[-1][0]) and is_text(field):
            rows[-1] = (rows[-1][0], field)
        else:
            rows.append((field,))
    return rows


def _fields(main: bool) -> None:
    for row in layout(main):
        if len(row) == 1:
            _widget(row[0])
            _field_error(row[0])
            continue
        for column, field in zip(st.columns(len(row)), row):
            with column:
                _widget(field)
        for field in row:  # under the row, the sidebar's whole width: a half-width column broke numbers
            _field_error(field)


def _widget(field: str) -> None:
    """One field's widget. Inside the form a widget's value reaches the page only on Start, so
    what each option means is listed in its tooltip, not in a line under it."""
    setting = SETTINGS[field]
    if field == "device":  # the devices present here, each described
        choices = device_choices()
        st.selectbox(setting.title, choices, key=key(field),
                     help=options_help(setting.help, {c: device_detail(c) for c in choices}))
    elif field == "arch":
        _network_picker(setting)
    elif field == "init_from":
        _start_picker(setting)
    elif isinstance(setting.rule, Choice):
        titles = {option: setting.rule.title(option) for option in setting.rule.options}
        details = {option_label(title): option_detail(title) for title in titles.values()}
        st.selectbox(setting.title, setting.rule.options, key=key(field),
                     format_func=lambda option: option_label(titles[option]),
                     help=options_help(setting.help, details))
    elif isinstance(setting.rule, YesNo):
        st.checkbox(setting.title, key=key(field), help=setting.help)
    else:
        st.text_input(setting.title, key=key(field), help=setting.help)


def _start_picker(setting) -> None:
    """Fresh weights, the bundled digit model, or a finished run's: whose weights a run starts from."""
    finished = {run.id: run for run in state.run_store(paths.lab_home()).list() if run.status == "completed"}
    options = ["", BUNDLED, *finished]
    if (chosen := st.session_state.get(key("init_from"))) and chosen not in options:
        options.append(chosen)  # put in the form from elsewhere (a run's settings): shown as it is
    words = {"": "fresh weights (Weight init)", BUNDLED: "the bundled digit model (lenet-wide)"}
    st.selectbox(setting.title, options, key=key("init_from"), help=setting.help,
                 format_func=lambda o: words.get(o) or (f"{finished[o].name} · {o}" if o in finished else o))


def _network_picker(setting) -> None:
    """Built-in and saved networks; a saved file that cannot be used is named with its error."""
    usable, broken = saved.picker_networks()
    if st.session_state.get(key("arch")) not in usable:  # deleted since it was chosen
        st.session_state[key("arch")] = DEFAULTS["arch"]
    st.selectbox(setting.title, list(usable), key=key("arch"), format_func=network_label,
                 help=options_help(setting.help, {name: arch.title if name in ARCHITECTURES
                                                  else arch.description or "saved" for name, arch
                                                  in usable.items()}))
    if words := saved.broken_words(broken):
        st.caption(f":material/warning: {words}")


def network_label(name: str) -> str:
    return name if name in ARCHITECTURES else f"{name} (saved)"


def options_help(text: str, details: dict[str, str | None]) -> str:
    """A tooltip: the setting's sentence, then each option that has more to say, one a line."""
    lines = [f"- **{option}**: {about}" for option, about in details.items() if about]
    return "\n".join([text, "", *lines]) if lines else text
