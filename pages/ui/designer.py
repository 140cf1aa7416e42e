"""The Network Designer's widgets: the picker, the exercises menu, the layer list, the network
as text, and Save / Delete / Train it.

The layer list in the session (:data:`state.DESIGN_ROWS`) is the one truth; the edits are
:mod:`lenet_core.model.edit`'s pure functions, called from the widgets' callbacks. A row's
widgets carry the list's version in their keys: replacing or reordering the list bumps it, so
each widget is drawn afresh from its row and never shows another row's old value.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lenet_core.errors import LabError
from lenet_core.format import format_count, format_shape
from lenet_core.model import edit, limits, saved
from lenet_core.model.architectures import ARCHITECTURES, Architecture
from lenet_core.model.exercises import EXERCISES
from lenet_core.model.grammar import KINDS
from pages.ui import state, training_form

START = "lenet-classic"  # the tutorial's network: where a first visit starts
TRAINING_PAGE = "pages/views/training.py"
KEPT = (state.DESIGN_FROM, state.DESIGN_INPUT, state.DESIGN_DATASET, state.DESIGN_NAME,
        state.DESIGN_DESCRIPTION, state.DESIGN_ADD_KIND)
FIELD_LABELS = {"out_channels": "maps", "kernel_size": "window", "stride": "stride", "pad": "padding",
                "p": "share dropped", "out_features": "units"}
KIND_LABELS = {"conv": "convolution", "avgpool": "average pooling", "maxpool": "max pooling",
               "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "batchnorm": "batch norm",
               "dropout": "dropout", "flatten": "flatten", "fc": "dense"}


def rows() -> tuple[edit.Row, ...]:
    return st.session_state[state.DESIGN_ROWS]


def _set_rows(new_rows, source: str | None = None) -> None:
    """Replace the list (its row widgets drawn afresh); ``source`` says what it was loaded from."""
    st.session_state[state.DESIGN_ROWS] = tuple(new_rows)
    st.session_state[state.DESIGN_VERSION] = st.session_state.get(state.DESIGN_VERSION, 0) + 1
    st.session_state.pop(state.DESIGN_TEXT_ERROR, None)
    st.session_state.pop(state.DESIGN_SAVED, None)  # Train it trains what was saved, not an edit of it
    if source is not None:
        st.session_state[state.DESIGN_SOURCE] = source


def init() -> None:
    """A first visit starts from the tutorial's network; a later one finds the list as left."""
    state.restore(*KEPT)
    if state.DESIGN_ROWS not in st.session_state:
        _set_rows(edit.rows_of(ARCHITECTURES[START]), f"the built-in {START}")
        st.session_state[state.DESIGN_FROM] = START
        st.session_state[state.DESIGN_INPUT] = ARCHITECTURES[START].input_size


def keep() -> None:
    state.keep(*KEPT)


# ---- starting points ------------------------------------------------------------------------------

def _load(networks: dict[str, Architecture]) -> None:
    arch = networks[st.session_state[state.DESIGN_FROM]]
    _set_rows(edit.rows_of(arch), f"the {'built-in' if arch.name in ARCHITECTURES else 'saved'} {arch.name}")
    st.session_state[state.DESIGN_INPUT] = arch.input_size
    mine = arch.name not in ARCHITECTURES  # a saved one keeps its name: Save then replaces it
    st.session_state[state.DESIGN_NAME] = arch.name if mine else ""
    st.session_state[state.DESIGN_DESCRIPTION] = arch.description if mine else ""


def picker(home: Path) -> None:
    """Start from: the built-in and the saved networks; the saved files that cannot be used listed
    with why; Delete for a saved one."""
    networks, broken = saved.picker_networks(home)
    if st.session_state.get(state.DESIGN_FROM) not in networks:
        st.session_state[state.DESIGN_FROM] = START
    st.selectbox("Start from", list(networks), key=state.DESIGN_FROM, on_change=_load, args=(networks,),
                 format_func=lambda n: n if n in ARCHITECTURES else f"{n} (saved)",
                 help="Loads a network into the list below, replacing what is there.")
    if words := saved.broken_words(broken):
        st.warning(words, icon=":material/warning:")
    chosen = st.session_state[state.DESIGN_FROM]
    reload, delete = st.columns(2)
    reload.button(f"Load {chosen} again", icon=":material/refresh:", key=state.DESIGN_RELOAD, on_click=_load,
                  args=(networks,), help="Replaces the list below with the network chosen here.")
    if chosen not in ARCHITECTURES:
        with delete:
            _delete_button(chosen, home)
    _notice(state.DESIGN_DELETE_NOTICE)


def _notice(which: str) -> None:
    """The (kind, text) a click just left under ``which``, shown once."""
    if notice := st.session_state.pop(which, None):
        kind, words = notice
        getattr(st, kind)(words, icon=":material/check:" if kind == "success" else ":material/error:")


def _delete_button(name: str, home: Path) -> None:
    if st.session_state.get(state.DESIGN_CONFIRM_DELETE) != name:
        st.button(f"Delete {name}", icon=":material/delete:", on_click=_ask_delete, args=(name,),
                  key=state.key(state.DESIGN_CONFIRM_DELETE, "ask"))
        return
    st.warning(f"Delete the saved network **{name}**? Its file is removed; runs trained from it keep "
               "their own copy of its layers.", icon=":material/delete:")
    yes, no = st.columns(2)
    yes.button("Yes, delete", type="primary", key=state.key(state.DESIGN_CONFIRM_DELETE, "yes"),
               on_click=_delete, args=(name, home))
    no.button("No", key=state.key(state.DESIGN_CONFIRM_DELETE, "no"), on_click=_cancel_delete)


def _ask_delete(name: str) -> None:
    st.session_state[state.DESIGN_CONFIRM_DELETE] = name


def _cancel_delete() -> None:
    st.session_state.pop(state.DESIGN_CONFIRM_DELETE, None)


def _delete(name: str, home: Path) -> None:
    st.session_state.pop(state.DESIGN_CONFIRM_DELETE, None)
    try:
        saved.delete_network(name, home)
    except LabError as exc:
        st.session_state[state.DESIGN_DELETE_NOTICE] = ("error", f"Could not delete {name}: {exc}")
        return
    st.session_state[state.DESIGN_FROM] = START
    st.session_state[state.DESIGN_DELETE_NOTICE] = ("success", f"Deleted {name}. The list below still holds "
                                             "its layers: save them again under a name to keep them.")


def _load_exercise(index: int) -> None:
    exercise = EXERCISES[index]
    size, exercise_rows = edit.rows_from_text(exercise.text)
    _set_rows(exercise_rows, f"the exercise “{exercise.title}”")
    st.session_state[state.DESIGN_INPUT] = size
    st.session_state[state.DESIGN_NAME] = exercise.name
    st.session_state[state.DESIGN_DESCRIPTION] = exercise.why


def exercises_menu() -> None:
    with st.expander("The tutorial's exercises", icon=":material/school:"):
        st.caption("Each is the tutorial's network (lenet-classic) with one change. One click loads it.")
        for index, exercise in enumerate(EXERCISES):
            button, why = st.columns([1, 3], vertical_alignment="center")
            button.button(exercise.title, key=state.key(state.DESIGN_EXERCISE, exercise.name),
                          on_click=_load_exercise, args=(index,), width="stretch")
            why.caption(exercise.why)


# ---- the layer list -------------------------------------------------------------------------------

def _changed(index: int, name: str, widget: str) -> None:
    st.session_state[state.DESIGN_ROWS] = edit.change(rows(), index, name, st.session_state[widget])
    st.session_state.pop(state.DESIGN_SAVED, None)


def _kind_changed(index: int, widget: str) -> None:
    _set_rows(edit.set_word(rows(), index, st.session_state[widget]))


def _row_key(index: int, part: str) -> str:
    return state.key(state.DESIGN_ROW, f"{st.session_state.get(state.DESIGN_VERSION, 0)}_{index}_{part}")


def _row(index: int, row: edit.Row, done: edit.Design) -> None:
    """One row: its number and output, its kind, its numbers, and up / down / remove."""
    output = edit.output_index(done.rows)
    table = done.table
    misfit = table.broken if table is not None and table.broken and table.broken.index == index + 1 else None
    cells = st.columns([0.45, 2.0, 1.1, 1.1, 1.1, 1.1, 1.45, 0.5, 0.5, 0.5], vertical_alignment="bottom")
    reached = table.rows[index] if table is not None and index < len(table.rows) else None
    cells[0].markdown(f"**{index + 1}**")
    # What the layer gives, beside it: an edit shows its effect here, not only in the table below.
    cells[6].markdown(":red[:material/error: does not fit]" if misfit else
                      f"→ {format_shape(reached.output_shape[1:])}" if reached else "—")
    kind = _row_key(index, "kind")
    cells[1].selectbox(f"Layer {index + 1}", list(KINDS), index=list(KINDS).index(row.word), key=kind,
                       format_func=KIND_LABELS.get, on_change=_kind_changed, args=(index, kind),
                       label_visibility="collapsed")
    for cell, (name, value) in zip(cells[2:6], row.values.items()):
        if index == output and name == "out_features":
            cell.caption(f"{value} units: the classes")  # the designer sets it (edit.with_classes)
            continue
        widget = _row_key(index, name)
        fraction = name in edit.FRACTIONS
        number = float if fraction else int
        cell.number_input(FIELD_LABELS[name], value=number(value), min_value=number(0),
                          max_value=number(edit.LARGEST), step=0.05 if fraction else 1, key=widget,
                          format="%.2f" if fraction else "%d", on_change=_changed, args=(index, name, widget))
    for cell, (icon, step, label) in zip(cells[7:9], ((":material/arrow_upward:", -1, "Move up"),
                                                      (":material/arrow_downward:", 1, "Move down"))):
        cell.button("", icon=icon, key=_row_key(index, label), help=label,
                    disabled=not 0 <= index + step < len(done.rows),
                    on_click=lambda i=index, s=step: _set_rows(edit.move(rows(), i, s)))
    cells[9].button("", icon=":material/close:", key=_row_key(index, "remove"), help="Remove",
                    on_click=lambda i=index: _set_rows(edit.remove(rows(), i)))
    if misfit:
        st.error(misfit.message, icon=":material/error:")


def _add(at: str) -> None:
    _set_rows(edit.insert(rows(), st.session_state[at], st.session_state[state.DESIGN_ADD_KIND]))


def layer_list(done: edit.Design) -> None:
    for index, row in enumerate(done.rows):
        _row(index, row, done)
    output = edit.output_index(done.rows)
    kind, where, button = st.columns([2, 3, 1.3], vertical_alignment="bottom")
    kind.selectbox("Add a layer", list(KINDS), key=state.DESIGN_ADD_KIND, format_func=KIND_LABELS.get)
    at = state.key(state.DESIGN_ADD_AT, str(st.session_state.get(state.DESIGN_VERSION, 0)))
    where.selectbox("Where", range(len(done.rows) + 1), key=at,
                    index=len(done.rows) if output is None else output,  # before the output layer
                    format_func=lambda i: (f"before layer {i + 1}, {done.rows[i].text}" if i < len(done.rows)
                                           else "at the end"))
    button.button("Add", icon=":material/add:", key=state.key(state.DESIGN_ADD_KIND, "button"),
                  on_click=_add, args=(at,))


# ---- what it makes ----------------------------------------------------------------------------------

def totals(done: edit.Design) -> None:
    """Parameters and multiply-adds, or why there are none to show (a layer that does not fit is
    marked in the list, with its reason, where it can be changed)."""
    if done.problem and (done.table is None or done.table.broken is None):
        st.error(done.problem, icon=":material/error:")
    if done.table is None or done.table.broken is not None:
        return
    params, units = limits.totals(done.arch)
    one, two, three = st.columns(3)
    one.metric("Parameters", format_count(params), help=f"At most {limits.MAX_PARAMS:,} train here.")
    two.metric("Multiply-adds per image", format_count(done.table.total_macs))
    three.metric("Units", format_count(units), help="Every layer's outputs for one image: at most "
                 f"{limits.MAX_UNITS:,} train here.")


def _apply_text() -> None:
    try:
        size, new_rows = edit.rows_from_text(st.session_state[state.DESIGN_TEXT])
    except LabError as exc:
        st.session_state[state.DESIGN_TEXT_ERROR] = str(exc)
        return
    _set_rows(new_rows, "the text you applied")
    st.session_state[state.DESIGN_INPUT] = size


def text_box(done: edit.Design) -> None:
    """The network as one line of the grammar: it follows the list; what is typed is kept until
    the list changes, and Apply makes it the list."""
    shown = st.session_state.get(state.DESIGN_TEXT_SHOWN)
    if shown != done.text or state.DESIGN_TEXT not in st.session_state:
        st.session_state[state.DESIGN_TEXT] = done.text
        st.session_state[state.DESIGN_TEXT_SHOWN] = done.text
    st.text_area("The network as text", key=state.DESIGN_TEXT, height=68,
                 help="The same network in the grammar the command line and the saved files use, e.g. "
                 "conv(6,5,pad=2) sigmoid avgpool(2) ... fc(10); input(32) first for a 32×32 input. "
                 "Edit it and Apply: it replaces the list.")
    st.button("Apply text", icon=":material/check:", on_click=_apply_text)
    if error := st.session_state.get(state.DESIGN_TEXT_ERROR):
        st.error(f"The text was not applied: {error}", icon=":material/error:")


# ---- Save, Train it ---------------------------------------------------------------------------------

def _save(done: edit.Design, home: Path) -> None:
    name = st.session_state.get(state.DESIGN_NAME, "").strip()
    replace = st.session_state.get(state.key(state.DESIGN_REPLACE, name), False)
    exists = (saved.folder(home) / f"{name}.json").is_file() and saved.name_problem(name) is None
    st.session_state.pop(state.DESIGN_SAVED, None)
    if exists and not replace:
        st.session_state[state.DESIGN_NOTICE] = (
            "error", f"A network named {name} is saved already: tick “Replace the saved {name}” to "
            "overwrite it, or choose another name.")
        return
    try:
        edit.save(done, name, st.session_state.get(state.DESIGN_DESCRIPTION, ""), home, replace=exists)
    except LabError as exc:
        st.session_state[state.DESIGN_NOTICE] = ("error", f"Not saved: {exc}")
        return
    st.session_state[state.DESIGN_SAVED] = name
    st.session_state[state.DESIGN_FROM] = name
    st.session_state[state.DESIGN_SOURCE] = f"the saved {name}"
    st.session_state[state.DESIGN_NOTICE] = ("success", f"Saved {name} in {saved.folder(home)}.")


def _train(name: str) -> None:
    training_form.load_into_form({"arch": name})
    st.session_state[state.DESIGN_TRAIN] = True


def save_panel(done: edit.Design, home: Path) -> None:
    name_box, description_box = st.columns([1, 2])
    name_box.text_input("Name", key=state.DESIGN_NAME, placeholder="lenet-max",
                        help="Lowercase letters, digits and hyphens: the file's name and the word the "
                        "Training form and the command line use.")
    description_box.text_input("Description", key=state.DESIGN_DESCRIPTION, max_chars=saved.DESCRIPTION_LIMIT,
                               placeholder="the tutorial's net with max pooling")
    name = st.session_state.get(state.DESIGN_NAME, "").strip()
    if saved.name_problem(name) is None and (saved.folder(home) / f"{name}.json").is_file():
        st.checkbox(f"Replace the saved {name}", key=state.key(state.DESIGN_REPLACE, name))
    st.button("Save", type="primary", icon=":material/save:", disabled=done.problem is not None,
              on_click=_save, args=(done, home),
              help="Saves it in the home folder's architectures/." if done.problem is None else
              "Saved once it fits: " + done.problem)
    _notice(state.DESIGN_NOTICE)
    if (just_saved := st.session_state.get(state.DESIGN_SAVED)) is not None:
        st.button("Train it", icon=":material/model_training:", on_click=_train, args=(just_saved,),
                  help=f"Opens the Training page with {just_saved} chosen in its form.")
    if st.session_state.pop(state.DESIGN_TRAIN, False):
        st.switch_page(TRAINING_PAGE)
