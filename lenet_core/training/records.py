"""What the training engine tells the world: its progress after every batch, the outcome, and
the :class:`Recorder` protocol through which it says so (the run store's writer, the CLI's
progress bar). The engine never prints or draws."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Progress:
    """Where a run is, after every batch. Built without reading the device (no sync)."""

    epoch: int  # the epoch in progress, 1-based
    epochs: int
    batch: int  # batches done in this epoch
    batches: int
    step: int  # batches done in the whole run
    examples_per_sec: float  # over the training steps so far in this epoch (the tutorial's way)
    eta_s: float | None
    elapsed_s: float
    train_loss: float | None  # as of the last reporting point
    train_acc: float | None
    at: float  # Unix time when elapsed_s was read: a reader adds the time since

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Outcome:
    status: str  # completed, stopped, diverged
    summary: dict[str, Any]
    error: str | None = None
    epochs_done: int = 0


class Recorder:
    """What the engine tells the world; every method is a no-op here, override what you need."""

    def start(self, info: dict[str, Any]) -> None:
        """Once, before the first batch: device, params, batches per epoch, epochs, start point."""

    def progress(self, progress: Progress) -> None:
        """After every batch: keep it cheap (throttle writes)."""

    def metrics(self, step: int, epoch: float, values: dict[str, float], wall_time: float) -> None:
        """At each reporting point and each epoch's end: named values at a fractional epoch."""

    def checkpoint(self, epoch: int, path: Path) -> None:
        """After a checkpoint file was written."""

    def finish(self, outcome: Outcome) -> None:
        """Once, when the loop ends (completed, stopped or diverged)."""


class Recorders(Recorder):
    """Several recorders as one, called in order."""

    def __init__(self, *recorders: Recorder):
        self.recorders = [r for r in recorders if r is not None]

    def start(self, info):
        for r in self.recorders:
            r.start(info)

    def progress(self, progress):
        for r in self.recorders:
            r.progress(progress)

    def metrics(self, step, epoch, values, wall_time):
        for r in self.recorders:
            r.metrics(step, epoch, values, wall_time)

    def checkpoint(self, epoch, path):
        for r in self.recorders:
            r.checkpoint(epoch, path)

    def finish(self, outcome):
        for r in self.recorders:
            r.finish(outcome)


# ---- evaluation ----------------------------------------------------------------------------
