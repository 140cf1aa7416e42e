"""What the pages say when they start or resume a run: a form's values in, the engine's
:func:`lenet_core.runs.check_launch` and :func:`~lenet_core.runs.start` called, and the sentence
and the field errors the page shows out. The engine returns values; the words are here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lenet_core import data, runs
from lenet_core.errors import LabError
from lenet_core.runs import queue, report


@dataclass(frozen=True)
class LaunchOutcome:
    run_id: str | None
    started: bool  # False: refused (errors), or this request had started its run already
    message: str
    errors: dict[str, str] = field(default_factory=dict)  # field -> message, for the form


def start_from_form(raw: dict, name: str | None, form_token: str,
                    reports: dict[str, data.Availability] | None = None,
                    home: Path | None = None) -> LaunchOutcome:
    """Check a form's values and its run name, then start the run once per submission
    (:func:`lenet_core.runs.request_id`)."""
    config, errors = runs.check_launch(raw, reports)
    if name is not None and (problem := runs.name_problem(name)):
        config, errors = None, {**errors, "name": problem}
    if config is None:
        return LaunchOutcome(None, False, "not started: " + "; ".join(errors.values()), errors)
    try:
        name = (name or "").strip() or None
        run, started = runs.start(config, name, request_id=runs.request_id(form_token, config, name),
                                  home=home)
    except LabError as exc:
        return LaunchOutcome(None, False, str(exc), {"dataset": str(exc)})
    if not started:
        return LaunchOutcome(run.id, False, f"“{run.name}” was started from this form with these "
                             "settings already: showing it rather than starting it twice (change a "
                             "setting, the seed say, to start another).")
    waiting = report.queue_words(run, queue.queue_state(runs.store_for(home).list()))
    if waiting:
        return LaunchOutcome(run.id, True, f"Queued “{run.name}”, {waiting}: it starts by itself "
                             "when a slot frees.")
    return LaunchOutcome(run.id, True, f"Started “{run.name}”.")




def resume_once(run_id: str, home: Path | None = None) -> LaunchOutcome:
    """Resume a stopped or failed run in a detached process, unless it is already going again (a
    double click, a second tab: queueing it again from stopped is one atomic UPDATE, and this says
    so in words instead of an error)."""
    store = runs.store_for(home)
    run = store.get(run_id)
    if run.active:
        return LaunchOutcome(run_id, False, f"“{run.name}” is already {run.status}: "
                             "it was resumed just now.")
    if reason := resume_blocker(run, store.home):
        return LaunchOutcome(run_id, False, f"“{run.name}” cannot be resumed: {reason}.",
                             {"resume": reason})
    try:
        runs.resume(run_id, store.home)
    except LabError as exc:
        if store.get(run_id).active:  # a second click won the race to queue it
            return LaunchOutcome(run_id, False, f"“{run.name}” is already running: it was resumed just now.")
        return LaunchOutcome(run_id, False, f"“{run.name}” could not be resumed: {exc}",
                             {"resume": str(exc)})
    return LaunchOutcome(run_id, True, f"Resumed “{run.name}” from its last checkpoint.")


def resume_blocker(run: runs.Run, home: Path | None = None) -> str | None:
    """Why the page cannot offer to resume ``run``, or None when it can: only a stopped or failed
    run that saved a checkpoint to continue from (one at each epoch's end, and on Stop)."""
    if run.status not in runs.RESUMABLE:
        return f"a {run.status} run cannot be resumed (only a stopped or failed one)"
    if run.note:
        return f"its {run.note}"
    if run.backend == "ray":
        return f"it is a trial of a Ray sweep: resume the sweep ({run.sweep_id}) from its view"
    if not any(p.name != "final.pt" for _, p in runs.checkpoint_paths(run.id, home)):
        return ("it saved no checkpoint to continue from (one is saved at each epoch's end and on "
                "Stop): start it again from the sidebar")
    return None
