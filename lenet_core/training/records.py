"""What the training engine tells the world: its progress after every batch, the outcome, and
the :class:`Recorder` protocol through which it says so (the run store's writer, the CLI's
progress bar). The engine never prints or draws.

A recorder that wants to look inside the network while it learns (gradients, activations)
overrides :meth:`Recorder.inside`: at each reporting point the engine hands it the model with the
batch's gradients in place, and the loop needs no change for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import torch
    from torch import nn


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
    """How a call of the engine ended: the one value every way out returns. A request the engine
    cannot serve, or a crash, raises instead; the caller records that run as failed."""

    status: Literal["completed", "stopped", "diverged"]
    summary: dict[str, Any]
    error: str | None = None  # what a person can do about a diverged run
    epochs_done: int = 0


@dataclass(frozen=True)
class InsidePoint:
    """The network at a reporting point, after the batch's backward pass and before the
    optimizer's step: each parameter's ``.grad`` holds this batch's gradient, and the weights are
    the ones that produced it.

    Look, do not change: the run goes on with this model. A forward pass of your own belongs under
    ``torch.no_grad()`` in eval mode (train mode would move batch norm's running statistics),
    with the model given back in train mode. Its time counts as training time: keep it short.
    """

    model: nn.Module
    x: torch.Tensor  # the batch as the model saw it (augmented, on the device)
    y: torch.Tensor
    logits: torch.Tensor
    loss: torch.Tensor  # the batch's mean loss, a scalar on the device
    step: int  # the metrics row's step and epoch that this point reports
    epoch: float
    test_x: torch.Tensor | None = None  # the test split as model input (a fixed sample is its start)
    last_of_epoch: bool = False  # the epoch's last reporting point


class Recorder:
    """What the engine tells the world; every method is a no-op here, override what you need."""

    def start(self, info: dict[str, Any]) -> None:
        """Once, before the first batch: device, params, batches per epoch, epochs, start point."""

    def progress(self, progress: Progress) -> None:
        """After every batch: keep it cheap (throttle writes)."""

    def inside(self, point: InsidePoint) -> None:
        """At each reporting point (the one a run diverges at included), inside the step: the
        model with the batch's gradients. Before that point's :meth:`metrics`."""

    def metrics(self, step: int, epoch: float, values: dict[str, float], wall_time: float) -> None:
        """At each reporting point and each epoch's end: named values at a fractional epoch."""

    def checkpoint(self, epoch: int, path: Path) -> None:
        """After a checkpoint file was written."""

    def finish(self, outcome: Outcome) -> None:
        """Once, when the loop ends (completed, stopped or diverged); not when it raises."""


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

    def inside(self, point):
        for r in self.recorders:
            r.inside(point)

    def metrics(self, step, epoch, values, wall_time):
        for r in self.recorders:
            r.metrics(step, epoch, values, wall_time)

    def checkpoint(self, epoch, path):
        for r in self.recorders:
            r.checkpoint(epoch, path)

    def finish(self, outcome):
        for r in self.recorders:
            r.finish(outcome)
