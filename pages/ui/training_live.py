"""The Training page's view of one run: pick it, watch it live, stop it, and read the result.

The live panel is an ``st.fragment`` that re-reads the run store every second while the run is
queued or running, and not at all otherwise. When the run it watches ends, it reruns the whole
page once, so the result and the runs table appear and the timer stops.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.format import (
    MISSING,
    format_duration,
    format_metric,
    format_percent,
    format_probability,
    format_rate,
    format_setting,
)
from lenet_core.inspect import mistakes as run_mistakes
from lenet_core.present import pictures
from lenet_core.present.charts.curves import training_curves_spec
from lenet_core.present.charts.evaluation import confusion_chart, per_class_chart
from lenet_core.runs import export, queue, report
from pages.ui import state
from pages.ui.charts import show_chart
from pages.ui.launching import resume_blocker, resume_once

LIVE_EVERY_S = 1.0
BADGES = {  # status -> (colour, icon)
    "queued": ("gray", ":material/schedule:"), "running": ("blue", ":material/directions_run:"),
    "completed": ("green", ":material/check_circle:"), "stopped": ("orange", ":material/stop_circle:"),
    "failed": ("red", ":material/error:"), "diverged": ("red", ":material/trending_up:"),
    "pruned": ("orange", ":material/content_cut:"),
}


def pick_run(all_runs: list[runs.Run]) -> runs.Run | None:
    """The run picker: the run just launched, else the one chosen, else the newest active one,
    else the newest."""
    if not all_runs:
        return None
    ids = [r.id for r in all_runs]
    state.restore(state.SELECTED_RUN)
    if st.session_state.get(state.SELECTED_RUN) not in ids:
        active = [r.id for r in all_runs if r.active]
        st.session_state[state.SELECTED_RUN] = (active or ids)[0]
    labels = report.run_labels(all_runs)
    by_id = {r.id: r for r in all_runs}
    chosen = st.selectbox("Run", ids, key=state.SELECTED_RUN,
                          format_func=lambda i: f"{labels[i]} · {i}")
    state.keep(state.SELECTED_RUN)
    return by_id[chosen]


def badge(status: str) -> None:
    colour, icon = BADGES.get(status, ("gray", None))
    st.badge(status, color=colour, icon=icon)


def live_panel(run: runs.Run, store: runs.RunStore) -> None:
    """Status, progress and curves of ``run``, refreshed every second while it is active (each
    tick notices a trainer that vanished: :func:`lenet_core.runs.reap`)."""
    run_id, home, was_active = run.id, store.home, run.active

    @st.fragment(run_every=LIVE_EVERY_S if was_active else None)
    def panel() -> None:
        current = {r.id: r for r in runs.reap(store)} if was_active else None
        try:
            run = current[run_id] if current is not None else store.get(run_id)
        except (KeyError, LabError):  # deleted meanwhile (from another tab or the CLI)
            st.rerun()
        if was_active != run.active:
            # The whole page: once a run ends, its result, the table and a fragment without a
            # timer; once it is going again (Resume), a fragment that ticks every second.
            st.rerun()
        # Read and build everything first, then draw: the elements are replaced in one quick
        # burst, so a slow read never leaves the chart greyed out as stale between ticks.
        metrics = store.metrics(run_id)
        # The spec is built once per run length and only the rows change: cheap enough to redraw
        # every second without slowing the training run that shares the cores.
        chart = None if metrics.empty else training_curves_spec(metrics, epochs=run.config.epochs)
        _status_line(run, home, metrics)
        _progress(run, metrics)
        if chart is None:  # an empty frame would show a lone 0.000000 axis
            st.caption("The curves appear at the first reporting point (a fifth of an epoch)." if run.active
                       else "This run recorded no metrics.")
            return
        spec, rows = chart
        st.vega_lite_chart(rows, spec, width="stretch", key=state.key("curves", run_id))

    panel()


def _status_line(run: runs.Run, home: Path | None, metrics) -> None:
    left, middle, right = st.columns([1, 4, 1], vertical_alignment="center")
    with left:
        badge(run.status)
    c = run.config
    # the whole queue is read only for a queued run (not on every tick of a running one)
    waiting = (report.queue_words(run, queue.queue_state(state.run_store(home).list()))
               if run.status == "queued" else None)
    device = run.device or f"{c.device} ({'waiting' if waiting else 'starting'})"
    middle.markdown(f"**{run.name}** · {c.arch} on {c.dataset} · {c.optimizer} lr {format_setting(c.lr)} · "
                    f"batch {c.batch_size} · seed {c.seed} · device **{device}**")
    blocker = None if run.active else resume_blocker(run, home)
    if waiting:
        right.button("Cancel", key=state.key("stop", run.id), icon=":material/close:", width="stretch",
                     on_click=_stop, args=(run.id, home), help="Takes it out of the queue: it never "
                     "starts (it is kept, marked stopped).")
        st.info(f"Queued, {waiting}. It starts by itself when the run before it ends; if a "
                "trainer was killed instead, **Start waiting runs** above starts it. "
                f"`{queue.SLOTS_ENV}` sets the slots (e.g. cpu=2).", icon=":material/schedule:")
    elif run.active:
        right.button("Stop", key=state.key("stop", run.id), icon=":material/stop:", width="stretch",
                     on_click=_stop, args=(run.id, home), help="Stops between batches and saves a "
                     "checkpoint; the run is marked stopped and can be resumed.")
    elif run.status in runs.RESUMABLE:
        right.button("Resume", key=state.key("resume", run.id), icon=":material/play_arrow:", width="stretch",
                     on_click=_resume, args=(run.id, home), disabled=blocker is not None,
                     help=f"Cannot resume: {blocker}." if blocker else "Continues from the last "
                     "checkpoint in its own process, with the same settings; the curves carry on.")
    if run.status in ("failed", "diverged"):
        st.error(f"**This run {run.status}.** {_sentence(run.error) or 'No reason was recorded.'}"
                 f"{_resume_hint(run, blocker)}", icon=BADGES[run.status][1])
    elif run.status == "stopped":
        st.warning(f"Stopped by request. {_sentence(run.error)}".strip() + _resume_hint(run, blocker),
                   icon=BADGES["stopped"][1])
    if run.note:  # a stored config this version no longer accepts in full
        st.warning(f"This run's {run.note}.", icon=":material/history:")
    if run.status in ("running", "completed", "stopped") and (note := report.stuck_note(run, metrics)):
        st.warning(note, icon=":material/trending_flat:")
    if notice := st.session_state.pop(state.RESUME_NOTICE, None):
        getattr(st, notice[0])(notice[1])


def _sentence(text: str | None) -> str:
    """The engine's one-line reasons are lower case without a full stop (they follow ``error:``
    in the CLI); after "This run failed." they are a sentence of their own."""
    text = (text or "").strip()
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


def _resume_hint(run: runs.Run, blocker: str | None) -> str:
    """What the Resume button beside a stopped or failed run will (or cannot) do."""
    if run.status not in runs.RESUMABLE:
        return ""
    if blocker:
        return f" It cannot be resumed: {blocker}."
    return " **Resume** continues it from its last checkpoint."


def _resume(run_id: str, home: Path | None) -> None:
    outcome = resume_once(run_id, home)
    kind = "success" if outcome.started else ("error" if outcome.errors else "info")
    st.session_state[state.RESUME_NOTICE] = (kind, outcome.message)


def _stop(run_id: str, home: Path | None) -> None:
    try:
        runs.stop(run_id, home)
    except LabError as exc:
        st.session_state[state.STOP_ERROR] = str(exc)


def _progress(run: runs.Run, metrics) -> None:
    view = report.progress_view(run)
    st.progress(view.fraction, text=view.text)
    if error := st.session_state.pop(state.STOP_ERROR, None):
        st.error(error)
    test_acc, best = report.latest_test_acc(metrics)
    cols = st.columns(5)
    # The engine's rate restarts each epoch (0 until its first reporting point): show the last
    # epoch's meanwhile rather than a dash.
    rate = view.examples_per_sec or report.last_value(metrics, "examples_per_sec")
    cols[0].metric("Examples/s", format_rate(rate))
    cols[1].metric("Elapsed", format_duration(view.elapsed_s))
    cols[2].metric("ETA", format_duration(view.eta_s) if run.active else MISSING)
    train_loss = run.progress.get("train_loss")
    cols[3].metric("Train loss", format_metric(train_loss))
    cols[4].metric("Test acc", format_percent(test_acc),
                   help=None if best is None else
                   f"Latest epoch's; the best so far is {format_percent(best)}.")


# ---- after a run -----------------------------------------------------------------------------

@st.cache_data(show_spinner="Finding the test images this model gets wrong ...", max_entries=16)
def _mistakes(run_id: str, checkpoint: str, mtime: float, home: str) -> run_mistakes.Mistakes:
    """Cached per checkpoint file (its path and time are the key): a new checkpoint is new."""
    return run_mistakes.misclassified(run_id, Path(home))


def result(run: runs.Run, store: runs.RunStore) -> None:
    """Confusion matrix, per-class accuracy and the misclassified gallery of a finished run."""
    home = store.home
    summary = run.summary
    if not summary.get("confusion"):
        st.info(_no_evaluation_note(run))
        return
    classes = summary.get("classes") or [str(i) for i in range(len(summary["confusion"]))]
    st.subheader("Result on the test set")
    left, right = st.columns([3, 2])
    show_chart(confusion_chart(summary["confusion"], classes), left, width="stretch")
    show_chart(per_class_chart(summary["per_class_acc"], classes), right, width="stretch")
    checkpoint = runs.best_checkpoint(run.id, home)
    if checkpoint is None:
        if note := report.missing_checkpoint_note(run, home):
            st.warning(note, icon=":material/folder_off:")
        return
    try:
        mistakes = _mistakes(run.id, str(checkpoint), checkpoint.stat().st_mtime, str(home))
    except LabError as exc:
        st.error(f"The misclassified images could not be computed. {exc}", icon=":material/error:")
        return
    st.markdown(f"**Misclassified test images** — {mistakes.total:,} of {mistakes.tested:,} wrong "
                f"({checkpoint.name}); the {len(mistakes.table)} the model was surest about:")
    captions = [f"{row.true} → {row.predicted} ({format_probability(row.confidence)})"
                for row in mistakes.table.itertuples()]
    st.image([pictures.sample_picture(image, 3) for image in mistakes.images], caption=captions, width=84)
    st.caption("Each caption reads true class → predicted class (the model's confidence).")


def _no_evaluation_note(run: runs.Run) -> str:
    """Why an ended run has no confusion matrix: it never finished an epoch ("yet" would promise
    one that a failed or diverged run will never get)."""
    if run.summary.get("epochs"):  # resumed, then ended before the next epoch's end
        note = (f"No test evaluation in this run's last session: it {run.status} before the end "
                "of an epoch, where the test set is evaluated.")
    else:
        note = (f"No test evaluation: this run {run.status} before the end of its first epoch, "
                "where the test set is evaluated.")
    return note + (" Resume it to get one." if run.status in runs.RESUMABLE else "")


def actions(run: runs.Run, store: runs.RunStore) -> None:
    """Download the metrics, the inside figures, the checkpoint and its network as ONNX; delete the
    run after a confirmation (an ended run: :func:`lenet_core.runs.delete` refuses an active one)."""
    # One row that wraps: four buttons in equal columns cut their labels short in a 1024 px window.
    row = st.container(horizontal=True)
    home = store.home
    metrics = store.metrics(run.id)
    # The files are made when the button is pressed, not on every rerun of the page.
    row.download_button("Metrics (CSV)", lambda: export.to_csv(metrics), f"{run.id}-metrics.csv",
                        mime="text/csv", icon=":material/download:", disabled=metrics.empty,
                        key=state.key("csv", run.id))
    row.download_button("Inside (CSV)", lambda: export.to_csv(store.inside(run.id)),
                        f"{run.id}-inside.csv", mime="text/csv", icon=":material/download:",
                        key=state.key("inside_csv", run.id),
                        help="The inside of training: each layer's gradient, weights, step, and its "
                        "activations' mean, spread and saturated or dead share, five times an epoch.")
    checkpoint = runs.best_checkpoint(run.id, home)
    row.download_button(f"Checkpoint ({checkpoint.name if checkpoint else 'none'})",
                        checkpoint.read_bytes if checkpoint else b"",
                        f"{run.id}-{checkpoint.name if checkpoint else 'none'}",
                        mime="application/octet-stream", icon=":material/download:",
                        disabled=checkpoint is None, key=state.key("pt", run.id))
    row.download_button("Model (ONNX)", (lambda: _onnx(checkpoint)) if checkpoint else b"",
                        f"{run.id}.onnx", mime="application/octet-stream", icon=":material/download:",
                        disabled=checkpoint is None, key=state.key("onnx", run.id),
                        help="The network of the checkpoint beside it, for Netron, onnxruntime or a "
                        "phone app: input 'image', outputs 'logits' and 'probabilities'. How to "
                        "prepare an image is in the file's metadata.")
    if row.button("Delete run", icon=":material/delete:", key=state.key("delete", run.id)):
        st.session_state[state.CONFIRM_DELETE] = run.id
    if st.session_state.get(state.CONFIRM_DELETE) == run.id:
        _confirm_delete(run, home)


def _onnx(checkpoint: Path) -> bytes:
    # Imported on a click: onnx and onnxruntime stay out of every other rerun of the page.
    from lenet_core.model.onnx_export import checkpoint_onnx

    return checkpoint_onnx(checkpoint)


def _confirm_delete(run: runs.Run, home: Path) -> None:
    with st.container(border=True):
        st.warning(f"Delete **{run.name}** ({run.id})? Its metrics and checkpoints are removed "
                   "for good.", icon=":material/warning:")
        yes, no = st.columns(2)
        yes.button("Yes, delete", type="primary", key=state.DELETE_YES, on_click=_delete,
                   args=(run.id, home), width="stretch")
        no.button("Cancel", key=state.DELETE_NO, width="stretch",
                  on_click=lambda: st.session_state.pop(state.CONFIRM_DELETE, None))


def _delete(run_id: str, home: Path) -> None:
    st.session_state.pop(state.CONFIRM_DELETE, None)
    try:
        runs.delete(run_id, home)
    except LabError as exc:
        st.session_state[state.DELETE_ERROR] = str(exc)
        return
    st.session_state.pop(state.SELECTED_RUN, None)
    st.session_state[state.DELETE_NOTICE] = f"Deleted run {run_id}."
