"""The Draw page's "Teach it your handwriting": keep a drawing with its label (one button per digit,
beside the guess), browse and delete what was kept, fine-tune the chosen model on it, and see
before and after on the drawings held out. The work is lenet_core's (data.my_digits,
runs.check_launch/start, inspect.fine_tune); this module draws it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from lenet_core import runs
from lenet_core.data import my_digits
from lenet_core.errors import LabError
from lenet_core.format import format_percent
from lenet_core.inspect.fine_tune import held_out_comparison
from lenet_core.model.checkpoints import load_model
from lenet_core.present import pictures
from lenet_core.runs import queue, report
from lenet_core.runs.files import start_checkpoint
from lenet_core.training.config import BUNDLED as START_FROM_BUNDLED
from pages.ui import state
from pages.ui.models import BUNDLED, PickedModel

PREFIX = "draw_teach"
FINE_TUNE_RUN = f"{PREFIX}_run"  # the id of a fine-tune started in this session: its section opens
REFRESH_EVERY_S = 2.0
SHOWN = 40  # drawings shown in the browser, newest first
# What "Fine-tune on my digits" trains: a few passes, a small step, strokes varied as a hand varies them.
RECIPE = dict(dataset=my_digits.NAME, epochs=2, batch_size=64, optimizer="adam", lr=1e-4, init="default",
              augment="canvas")


def add_buttons(image: np.ndarray, first_guess: int, home: Path) -> None:
    """"Keep it as": ten buttons, the first guess's the primary one; a click keeps the drawing."""
    st.caption("Keep this drawing in **my digits** as:")
    with st.container(horizontal=True, gap="small"):
        for digit in range(10):
            st.button(str(digit), key=f"{PREFIX}_add_{digit}", on_click=_add, args=(image, digit, home),
                      type="primary" if digit == first_guess else "secondary")


def _add(image: np.ndarray, digit: int, home: Path) -> None:
    try:
        drawing_id = my_digits.add_drawing(image, digit, home)
    except LabError as exc:
        st.toast(str(exc), icon=":material/error:")
        return
    kept = my_digits.my_drawings(home)
    held = "held out to test on" if kept.held_out[kept.ids == drawing_id][0] else "to train on"
    st.toast(f"Kept as a {digit} (#{drawing_id}, {held}): {len(kept.ids)} drawings in my digits.",
             icon=":material/check_circle:")


def section(picked: PickedModel, home: Path) -> None:
    """Your handwriting: what was kept, the fine-tune and its before and after."""
    kept = my_digits.my_drawings(home)
    held = kept.held_out
    store = state.run_store(home)
    every = store.list()  # read once a rerun: the page reruns at every stroke
    if (last := last_fine_tune(every)) is not None and last.active:
        st.session_state[FINE_TUNE_RUN] = last.id  # open while it trains, even after a reload
    title = f"Teach it your handwriting · {len(kept.ids)} drawings kept" if len(kept.ids) else \
        "Teach it your handwriting"
    with st.expander(title, expanded=bool(st.session_state.get(FINE_TUNE_RUN)), icon=":material/school:"):
        st.caption("Keep drawings with the digit buttons beside the guess. Every "
                   f"{my_digits.HOLD_OUT_EVERY}th drawing of each digit is held out to test on; "
                   "fine-tuning trains on MNIST 5k's digits plus the others, starting from the model "
                   "chosen above.")
        if not len(kept.ids):
            st.caption(":material/draw: No drawing kept yet: draw a digit, then click its button under the "
                       "guess.")
            return
        counts = kept.counts()
        held_counts = np.bincount(kept.labels[held], minlength=10).tolist()
        st.markdown(" · ".join(f"**{d}**: {n}" + (f" ({h} held out)" if h else "")
                               for d, (n, h) in enumerate(zip(counts, held_counts, strict=True)) if n))
        _browse(kept, held, home)
        if _fine_tune(picked, held, home):  # the click started one: read again
            every = store.list()
            last = last_fine_tune(every)
        if last is not None:
            _progress(store, last, every, home)


def _browse(kept: my_digits.Drawings, held: np.ndarray, home: Path) -> None:
    newest = np.argsort(-kept.ids)[:SHOWN]  # one picture, not forty: this runs at every stroke
    picture = pictures.tile(kept.images[newest], ncols=10, scale=2)
    st.html(pictures.sized_img_html(picture, picture.shape[1], f"the newest {len(newest)} drawings kept"))
    st.caption("Newest first, row by row: " + ", ".join(
        f"#{kept.ids[i]} {kept.labels[i]}" + (" (test)" if held[i] else "") for i in newest) + ".")
    pick, button = st.columns([3, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Delete a drawing", [int(i) for i in kept.ids[::-1]], key=f"{PREFIX}_delete_id",
                            format_func=lambda i: f"#{i} · {kept.labels[kept.ids == i][0]}")
    button.button("Delete", icon=":material/delete:", key=f"{PREFIX}_delete", on_click=_delete,
                  args=(chosen, home))


def _delete(drawing_id: int, home: Path) -> None:
    try:
        my_digits.delete_drawing(drawing_id, home)
        st.toast(f"Deleted drawing #{drawing_id}.", icon=":material/delete:")
    except LabError as exc:
        st.toast(str(exc), icon=":material/error:")


def fine_tune_config(picked: PickedModel) -> dict:
    """The run that fine-tunes ``picked`` on my digits: its network, its input scaling, its weights."""
    start = START_FROM_BUNDLED if picked.option.key == BUNDLED else picked.option.key.removeprefix("run:")
    return {**RECIPE, "arch": picked.meta.arch, "layers": picked.meta.layers or "",
            "normalise": picked.meta.std != 1.0, "init_from": start}


def _fine_tune(picked: PickedModel, held: np.ndarray, home: Path) -> bool:
    """The button; True when its click started a fine-tune."""
    if not held.any():
        st.caption(f"Fine-tuning needs a drawing held out to compare on: keep {my_digits.HOLD_OUT_EVERY} "
                   "drawings of one digit.")
    if st.button(f"Fine-tune {picked.option.name} on my digits", icon=":material/model_training:",
                 key=f"{PREFIX}_start", disabled=not held.any()):
        config, errors = runs.check_launch(fine_tune_config(picked), home=home)
        if config is None:
            st.error("**The fine-tune cannot start.** " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
                     icon=":material/error:")
        else:
            run, _ = runs.start(config, f"{picked.meta.arch} · fine-tuned on my digits", home=home)
            st.session_state[FINE_TUNE_RUN] = run.id
            return True
    return False


def last_fine_tune(every: list[runs.Run]) -> runs.Run | None:
    """The newest run that fine-tunes a model on my digits (``every`` is newest first): the store
    keeps it, so a reload, a lost session or a later visit finds it as the click left it."""
    return next((r for r in every if r.config.dataset == my_digits.NAME and r.config.init_from), None)


def _progress(store: runs.RunStore, last: runs.Run, every: list[runs.Run], home: Path) -> None:
    """While the last fine-tune waits or trains, a fragment follows it (the page reruns once when it
    ends); once it has ended, its outcome is drawn with the page, buttons and all."""
    if not last.active:
        _outcome(last, every, home)
        return

    @st.fragment(run_every=REFRESH_EVERY_S)
    def follow() -> None:
        every = runs.reap(store)  # a trainer that vanished is noticed, not waited on
        run = next((r for r in every if r.id == last.id), None)
        if run is None or not run.active:
            st.rerun()  # the page, once: it ended (the model picker lists it now), or was deleted
        _said(run, every)
        st.info(_progress_words(run, every), icon=":material/hourglass_top:")

    follow()


def _said(run: runs.Run, every: list[runs.Run]) -> None:
    st.caption(f"Last fine-tune: **{run.name}** ({run.id}), starting from {_start_name(run, every)}.")


def _outcome(run: runs.Run, every: list[runs.Run], home: Path) -> None:
    _said(run, every)
    if run.status != "completed":
        st.error(f"The fine-tune run {run.id} {run.status}: {run.error or 'see the Training page'}",
                 icon=":material/error:")
        return
    _before_after(run, home)


def _start_name(run: runs.Run, every: list[runs.Run]) -> str:
    if run.config.init_from == START_FROM_BUNDLED:
        return "the bundled model"
    start = next((r for r in every if r.id == run.config.init_from), None)
    return f"run {start.name} ({start.id})" if start else f"run {run.config.init_from}, deleted since"


def _progress_words(run: runs.Run, every: list[runs.Run]) -> str:
    """How far it is (``running, epoch 1 of 2``), or where it waits while another run has the slot."""
    if waiting := report.queue_words(run, queue.queue_state(every)):
        return f"Fine-tuning is {waiting}. It starts by itself when the run before it ends."
    return f"Fine-tuning: {run.status}, epoch {run.progress.get('epoch') or 0} of {run.config.epochs} …"


@st.cache_data(show_spinner=False, max_entries=8)
def _compared(run_id: str, init_from: str, home: Path, drawings_stamp: int):
    """The held-out comparison of a finished fine-tune, made once per set of drawings (it loads two
    models: tens of milliseconds the page would otherwise spend again at every stroke)."""
    before = load_model(start_checkpoint(init_from, home))
    after = load_model(runs.run_dir(run_id, home) / "final.pt")
    return held_out_comparison(before, after, home)


def _before_after(run: runs.Run, home: Path) -> None:
    drawings = my_digits.drawings_file(home)
    try:
        compared = _compared(run.id, run.config.init_from, home,
                             drawings.stat().st_mtime_ns if drawings.exists() else 0)
    except LabError as exc:
        st.caption(f":material/info: No before and after: {exc}.")
        return
    if compared is None:
        st.caption("No drawing is held out now: keep more to compare.")
        return
    st.markdown(f"**Before and after, on your {compared.count} held-out drawings:** "
                f"{format_percent(compared.before_acc)} → **{format_percent(compared.after_acc)}** right.")
    if compared.changed:
        st.html(pictures.captioned_row_html(
            [pictures.upscale(c.image, 2) for c in compared.changed],
            [f"#{c.drawing_id} ({c.label}): {c.before} → {c.after}" for c in compared.changed], width=56))
    else:
        st.caption("No held-out drawing changed its first guess.")
    st.button("Use the fine-tuned model", key=f"{PREFIX}_use", icon=":material/swap_horiz:", on_click=_use,
              args=(run.id,))


def _use(run_id: str) -> None:
    """Choose the fine-tuned model: a callback sets the picker before the page draws it again."""
    st.session_state[state.key("draw", "model")] = f"run:{run_id}"
