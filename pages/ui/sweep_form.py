"""The Training page's sidebar Sweep form, in its own section (closed until opened, so the
sidebar is one form long): a base recipe, the dataset and epochs, a space editor, the trial count
shown before Start, and Start sweep. The engine (:mod:`lenet_core.runs.space`,
:mod:`lenet_core.runs.sweeps`) checks everything; this draws it and says each problem in the
form's words. Its widgets live outside a form, so the count follows each edit."""

from __future__ import annotations

import streamlit as st

from lenet_core import data
from lenet_core.errors import LabError
from lenet_core.model import saved
from lenet_core.runs import sweeps
from lenet_core.runs.space import METRIC_TITLES, METRICS, read_lines
from lenet_core.training.config import SETTINGS, preset_values
from pages.ui import state
from pages.ui.training_form import PRESET_TITLES, dataset_detail, dataset_label, network_label, options_help

SPACE_HELP = ("One setting a line. A list is crossed with the other lists (a grid): `lr = 0.03, 0.1`. "
              "A line with one value sets it for every trial: `weight_decay = 0`. `log(a, b)` and "
              "`range(a, b)` draw values at random, as many times as **Random draws** says: "
              "`lr = log(1e-3, 1)`; `~ optimizer = sgd, adam` draws from a list. Any setting of the run "
              "form can be swept, by its name: " + ", ".join(f for f in SETTINGS if SETTINGS[f].form)
              + ". Networks too: `arch = lenet-classic, lenet5, my-net` (built-in and saved), and one "
              "layer's setting: `conv1.channels = 4, 6, 8, 16` (also `.kernel`, `.stride`, `.pad`; "
              "`fc1.units`; `pool1.kernel`; `dropout1.p`).")
DEFAULT_RECIPE = "quick"
DEFAULT_EPOCHS = "2"  # the quick recipe's single epoch, twice: 4 trials take about a minute on 2 cores
DEFAULT_SPACE = "lr = 0.05, 0.1\nbatch_size = 64, 128"
BACKENDS = {"local": "this machine's run queue", "ray": "Ray Tune, on this machine or a cluster (an "
            "optional extra), with early stopping"}
EARLY_STOPS = {"none": "every trial trains to its end", "asha": "ASHA stops weak trials after epoch 1, "
               "2, 4, …"}


def _widgets() -> list[str]:
    return [state.SWEEP_OPEN, state.SWEEP_PRESET, state.SWEEP_DATASET, state.SWEEP_ARCH, state.SWEEP_EPOCHS,
            state.SWEEP_SPACE,
            state.SWEEP_DRAWS, state.SWEEP_METRIC, state.SWEEP_BACKEND, state.SWEEP_ADDRESS,
            state.SWEEP_EARLY, state.SWEEP_NAME]


def _defaults() -> None:
    state.restore(*_widgets())
    recipe = preset_values(DEFAULT_RECIPE)
    for widget, value in ((state.SWEEP_OPEN, False), (state.SWEEP_PRESET, DEFAULT_RECIPE),
                          (state.SWEEP_DATASET, recipe["dataset"]), (state.SWEEP_ARCH, recipe["arch"]),
                          (state.SWEEP_EPOCHS, DEFAULT_EPOCHS),
                          (state.SWEEP_SPACE, DEFAULT_SPACE), (state.SWEEP_DRAWS, "0"),
                          (state.SWEEP_METRIC, "test_acc"), (state.SWEEP_BACKEND, "local"),
                          (state.SWEEP_ADDRESS, ""), (state.SWEEP_EARLY, "none"), (state.SWEEP_NAME, "")):
        st.session_state.setdefault(widget, value)


def _recipe_chosen() -> None:
    """A recipe brings its own dataset and epochs (the fields stay editable)."""
    recipe = preset_values(st.session_state[state.SWEEP_PRESET])
    st.session_state[state.SWEEP_DATASET] = recipe["dataset"]
    st.session_state[state.SWEEP_ARCH] = recipe["arch"]
    st.session_state[state.SWEEP_EPOCHS] = str(recipe["epochs"])


def _network_picker() -> None:
    """The trials' network unless the space varies it (``arch = ...``): built-in or saved."""
    networks, broken = saved.picker_networks()
    if st.session_state.get(state.SWEEP_ARCH) not in networks:  # a saved network deleted since
        st.session_state[state.SWEEP_ARCH] = preset_values(st.session_state[state.SWEEP_PRESET])["arch"]
    st.selectbox("Network", list(networks), key=state.SWEEP_ARCH, format_func=network_label,
                 help="Every trial's network, unless a line of the space varies it (arch = a, b) or one "
                 "of its layers (conv1.channels = 4, 8).")
    if words := saved.broken_words(broken):
        st.caption(f":material/warning: {words}")


def _draws() -> tuple[int | None, str | None]:
    """Random draws as typed (0 or empty: none), or what is wrong with them."""
    text = str(st.session_state.get(state.SWEEP_DRAWS) or "0").strip()
    if not text.isdigit():
        return None, f"Random draws: {text!r} is not a whole number (0 for none)"
    return int(text) or None, None


def planned(reports: dict[str, data.Availability]) -> tuple[sweeps.Plan | None, list[str]]:
    """The sweep the form describes, checked by the engine: the plan, or every problem at once."""
    s = st.session_state
    problems = []
    epochs, problem = SETTINGS["epochs"].rule.check(s[state.SWEEP_EPOCHS])
    if problem:
        problems.append(f"Epochs: {problem}")
    samples, problem = _draws()
    problems += [problem] if problem else []
    space, space_problems = read_lines(s[state.SWEEP_SPACE], samples)
    problems += [f"Search space, {p}" for p in space_problems]
    report = reports[s[state.SWEEP_DATASET]]
    if report.state != data.AVAILABLE:
        problems.append(f"Dataset: {report.title} is {report.state} here: {report.remedy}")
    if problems:
        return None, problems
    ray = s[state.SWEEP_BACKEND] == "ray"
    address = (s.get(state.SWEEP_ADDRESS) or "").strip() if ray else ""
    options = {"address": address} if address else None
    try:
        base = {"dataset": report.name, "epochs": epochs, "arch": s[state.SWEEP_ARCH]}
        return sweeps.plan(preset=s[state.SWEEP_PRESET], base=base,
                           parsed=space, metric=s[state.SWEEP_METRIC], backend=s[state.SWEEP_BACKEND],
                           early_stop=s[state.SWEEP_EARLY] if ray else "none",
                           name=s[state.SWEEP_NAME] or None, options=options), []
    except LabError as exc:
        return None, [str(exc)[:1].upper() + str(exc)[1:]]


def _start(reports: dict[str, data.Availability], home) -> None:
    plan, problems = planned(reports)
    if plan is None:
        st.session_state[state.SWEEP_NOTICE] = ("error", "Not started: " + "; ".join(problems))
        return
    try:
        sweep = sweeps.start(plan, home)
    except LabError as exc:
        st.session_state[state.SWEEP_NOTICE] = ("error", f"Not started: {exc}")
        return
    st.session_state[state.SELECTED_SWEEP] = sweep.id
    st.session_state[state.TRAINING_VIEW] = "Sweeps"
    st.session_state[state.SWEEP_STARTED] = True
    st.session_state[state.SWEEP_NOTICE] = ("success",
                                            f"Started “{sweep.name}”: {sweep.spec['trials']} trials.")


def sweep_launcher(home, reports: dict[str, data.Availability]) -> None:
    """The Sweep form, in the sidebar under the run launcher, in a section of its own."""
    _defaults()
    st.sidebar.divider()
    with st.sidebar:
        _section(home, reports)


@st.fragment
def _section(home, reports: dict[str, data.Availability]) -> None:
    """A fragment: an edit of the space reruns this form alone (the trial count follows it), not
    the Training page's charts; a started sweep reruns the page, which then shows it."""
    if st.session_state.pop(state.SWEEP_STARTED, False):
        st.rerun()  # the whole page: its Sweeps view, on the sweep just started, and the notice
    with st.expander("New sweep", key=state.SWEEP_OPEN, on_change="rerun", icon=":material/grid_view:"):
        _fields(reports)
        plan, problems = planned(reports)
        if problems:
            st.error("\n".join(f"- {p}" for p in problems), icon=":material/error:")
        else:
            count = len(plan.configs)
            st.markdown(f"**{count} trial{'s' if count != 1 else ''}**: {plan.space.describe()}")
        st.button("Start sweep", type="primary", width="stretch", icon=":material/grid_view:",
                  disabled=plan is None, on_click=_start, args=(reports, home), key=state.SWEEP_START)
        if notice := st.session_state.pop(state.SWEEP_NOTICE, None):
            getattr(st, notice[0])(notice[1])
    state.keep(*_widgets())


def _fields(reports: dict[str, data.Availability]) -> None:
    st.caption("Many runs at once: a recipe with some settings varied. Each trial is a run of its own "
               "(its curves, checkpoints and analysis as any run).")
    recipes = list(PRESET_TITLES)
    st.selectbox("Base recipe", recipes, key=state.SWEEP_PRESET, format_func=PRESET_TITLES.get,
                 on_change=_recipe_chosen, help="Every trial starts from this recipe; the lines below "
                 "change it.")
    st.selectbox("Dataset", list(reports), key=state.SWEEP_DATASET,
                 format_func=lambda name: dataset_label(reports[name]))
    st.caption(dataset_detail(reports[st.session_state[state.SWEEP_DATASET]]))
    _network_picker()
    st.text_area("Search space", key=state.SWEEP_SPACE, height=90, help=SPACE_HELP)
    left, right = st.columns(2)
    left.text_input("Epochs", key=state.SWEEP_EPOCHS, help=SETTINGS["epochs"].help)
    right.text_input("Random draws", key=state.SWEEP_DRAWS,
                     help="How many times log()/range() lines are drawn (each draw crossed with the lists).")
    st.selectbox("Optimise", list(METRICS), key=state.SWEEP_METRIC, format_func=METRIC_TITLES.get,
                 help="Each trial's best value of this over its epochs ranks the trials.")
    st.selectbox("Backend", list(BACKENDS), key=state.SWEEP_BACKEND, help=options_help("Where the trials "
                 "train.", BACKENDS))
    if st.session_state[state.SWEEP_BACKEND] == "ray":
        if missing := sweeps.ray_missing():
            st.warning(missing, icon=":material/extension:")
        st.text_input("Ray cluster address", key=state.SWEEP_ADDRESS,
                      placeholder="empty: a Ray of this machine",
                      help="HEAD:6379 of a cluster started with `ray start --head` (docs/sweeps.md).")
        st.selectbox("Early stopping", list(EARLY_STOPS), key=state.SWEEP_EARLY,
                     help=options_help("Ray Tune's scheduler.", EARLY_STOPS))
    st.text_input("Sweep name", key=state.SWEEP_NAME, placeholder="optional")
