"""The training engine: a TrainConfig in, metrics, checkpoints and an outcome out.

:func:`train` tells the training story in named steps: :func:`prepare` puts the whole split on
the device and builds the model and optimizer (or takes them from a checkpoint to resume); then
each epoch steps through its shuffled batches, reads the running loss and accuracy at five points
(as the tutorial's plot does), evaluates the test split and writes a checkpoint. Completed,
stopped and diverged are one :class:`Outcome`, returned from one place and told to the recorder
once.

The engine never prints or draws. It tells a :class:`Recorder` what happened (the run store's
writer, the CLI's progress bar) and stops between batches when its ``stop`` event is set. The
parts the steps are made of (batches, reporting points, the schedule, the state a checkpoint
keeps) are in :mod:`lenet_core.training.steps`.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lenet_core import data
from lenet_core.errors import LabError
from lenet_core.format import format_setting
from lenet_core.model.architectures import Architecture, build_model, count_params
from lenet_core.model.checkpoints import CheckpointMeta, read_checkpoint, save_checkpoint
from lenet_core.model.grammar import network_text
from lenet_core.training.augment import augment
from lenet_core.training.config import TrainConfig, network_of
from lenet_core.training.device import describe_device, resolve_device
from lenet_core.training.evaluation import EvalResult, evaluate, input_scaling, prepare_images
from lenet_core.training.records import InsidePoint, Outcome, Progress, Recorder
from lenet_core.training.steps import (
    LoopState,
    batch_count,
    batch_slice,
    lr_at,
    make_optimizer,
    reporting_points,
    synchronize,
    use_all_cores,
)

# The parts callers (the tests, the benchmarks, the Ray sweep) name through the engine.
__all__ = ["DIVERGED_FACTOR", "SUBSET_SEED", "Session", "batch_count", "batch_slice", "lr_at",
           "make_optimizer", "prepare", "reporting_points", "synchronize", "train", "use_all_cores"]

SUBSET_SEED = 0  # train_subset takes the first N of this fixed shuffle, the same for every run
# A run has diverged when its loss is NaN/inf, or above 100× the loss of guessing (100·ln 10 ≈ 230
# for 10 classes): sigmoid and tanh nets saturate at a huge lr and their loss stays finite but
# never comes back (lr 1e6 gives ~1e7).
DIVERGED_FACTOR = 100


def train(config: TrainConfig, recorder: Recorder | None = None, *,
          checkpoint_dir: Path | None = None, run_id: str | None = None, home: Path | None = None,
          stop: threading.Event | None = None, resume_from: Path | None = None,
          start_weights: Path | None = None, started_at: float | None = None) -> Outcome:
    """Train ``config`` to completion, a stop request, or a diverging loss.

    Elapsed time counts from ``started_at`` (Unix time; default: now), data loading included: the
    run store's worker passes the moment it claimed the run, so the page's clock never goes back.

    Checkpoints go to ``checkpoint_dir`` (``epoch-001.pt`` ... ``final.pt``; ``last.pt`` when
    stopped mid-run, holding what :func:`train` needs to continue with ``resume_from``).
    ``start_weights``: a checkpoint of the same network whose weights the model starts from (the
    config's ``init_from``, found by the caller); a resume starts from its own checkpoint instead.
    Problems with the request (an absent dataset or device) raise :class:`LabError`.
    """
    started_at = time.time() if started_at is None else started_at
    stop = stop or threading.Event()
    session = prepare(config, recorder or Recorder(), home=home, resume_from=resume_from,
                      start_weights=start_weights, checkpoint_dir=checkpoint_dir, run_id=run_id,
                      started_at=started_at)
    session.announce()
    outcome = None
    while outcome is None and session.state.epoch < config.epochs:
        outcome = session.run_epoch(stop)
    if outcome is None:
        outcome = session.complete()
    session.recorder.finish(outcome)
    return outcome


def prepare(config: TrainConfig, recorder: Recorder, *, home: Path | None, resume_from: Path | None,
            checkpoint_dir: Path | None, run_id: str | None, started_at: float,
            start_weights: Path | None = None) -> Session:
    """The data on the device, the model, its optimizer and the shuffling generator, seeded; with
    ``resume_from``, their state where that checkpoint left them."""
    use_all_cores()
    device = resolve_device(config.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed batch shapes: pick the fastest kernels once
    info = input_scaling(data.get_dataset(config.dataset, home), config.normalise)
    arch = network_of(config, home)
    xs, ys, test_xs, test_ys = splits_on_device(config, info, arch, device, home)

    torch.manual_seed(config.seed)
    model = build_model(arch, init=config.init).to(device, memory_format=torch.channels_last)
    optimizer = make_optimizer(config, model)
    generator = torch.Generator().manual_seed(config.seed)  # shuffles and augmentation
    state = LoopState()
    if resume_from is not None:
        payload = read_checkpoint(resume_from)
        if "resume" not in payload.get("extra", {}):
            raise LabError(f"{resume_from}: holds no training state to resume from")
        model.load_state_dict(payload["state_dict"])
        state = LoopState.from_extra(payload["extra"], optimizer, generator)
    elif start_weights is not None:
        load_start_weights(model, start_weights)
    return Session(config, recorder, device, info, arch, xs, ys, test_xs, test_ys, model, optimizer,
                   generator, state, checkpoint_dir, run_id, started_at)


def load_start_weights(model: nn.Module, path: Path) -> None:
    """The weights of ``path`` (the same network, trained before) into ``model``: fine-tuning."""
    try:
        model.load_state_dict(read_checkpoint(path)["state_dict"])
    except RuntimeError as exc:  # another network's tensors: named in the first line PyTorch gives
        raise LabError(f"init_from: {path} holds another network's weights "
                       f"({str(exc).splitlines()[0]})") from None


def splits_on_device(config: TrainConfig, info: data.DatasetInfo, arch: Architecture,
                     device: torch.device, home: Path | None) -> tuple[torch.Tensor, ...]:
    """The train split (or its fixed subset) and the test split as model input, on the device:
    there a batch is one index_select, with no per-sample work."""
    train_x, train_y = data.load_split(config.dataset, "train", home, keep=False)
    test_x, test_y = data.load_split(config.dataset, "test", home, keep=False)
    if config.train_subset:
        keep = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(SUBSET_SEED))
        keep = keep[:config.train_subset]
        train_x, train_y = train_x[keep], train_y[keep]
    return (prepare_images(train_x, info, arch, device), train_y.to(device),
            prepare_images(test_x, info, arch, device), test_y.to(device))


@dataclass(eq=False)
class Session:
    """One session of a run (a fresh start or a resume) and the loop's state. Its methods are the
    steps :func:`train` takes, in the order it takes them; ``state`` is what a checkpoint keeps."""

    config: TrainConfig
    recorder: Recorder
    device: torch.device
    info: data.DatasetInfo  # with the mean/std the inputs are scaled by
    arch: Architecture
    xs: torch.Tensor  # the train split as model input, on the device
    ys: torch.Tensor
    test_xs: torch.Tensor
    test_ys: torch.Tensor
    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator  # shuffles and augmentation
    state: LoopState
    checkpoint_dir: Path | None
    run_id: str | None
    started_at: float  # Unix time this session's wall clock counts from
    last_eval: EvalResult | None = None  # the latest test evaluation, for the summary
    # On the device, so that a step never waits for a read (.item() would wait for every step):
    loss_sum: torch.Tensor = field(init=False)  # the epoch's summed loss and correct answers
    correct: torch.Tensor = field(init=False)
    perm: torch.Tensor = field(init=False)  # the epoch's shuffle
    # The clock is read only where the device syncs anyway (reporting points, the end):
    tick: float = 0.0  # perf_counter when the training steps not yet banked began
    pending: int = 0  # examples trained on since ``tick``
    session_start: float = 0.0  # perf_counter at the first batch, for the time a batch takes (ETA)
    session_batches: int = 0

    def __post_init__(self) -> None:
        self.batches = batch_count(len(self.ys), self.config.batch_size, merge_single=self.arch.batch_norm)
        self.total_steps = self.batches * self.config.epochs
        self.points = reporting_points(self.batches)
        self.diverged_loss = DIVERGED_FACTOR * math.log(len(self.info.classes))
        self.bf16 = self.config.precision == "bf16"
        self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16) if self.bf16 else nullcontext()
        self.background = (0.0 - self.info.mean) / self.info.std  # a blank pixel, as model input
        self.described = describe_device(self.device)
        self.params = count_params(self.model)
        self.elapsed_before = self.state.elapsed  # wall-clock seconds of the sessions before

    # ---- the steps, in train()'s order --------------------------------------------------------

    def announce(self) -> None:
        """Tell the recorder where this session starts; the running sums continue from the state."""
        self.session_start = time.perf_counter()
        s = self.state
        self.recorder.start({"device": self.described.summary, "device_kind": self.described.kind,
                             "params": self.params, "batches": self.batches, "epochs": self.config.epochs,
                             "examples": len(self.ys), "start_epoch": s.epoch, "start_batch": s.batch,
                             "elapsed_s": self.wall()})
        self.model.train()
        self.loss_sum = torch.tensor(s.loss_sum, device=self.device)
        self.correct = torch.tensor(s.correct, device=self.device)

    def run_epoch(self, stop: threading.Event) -> Outcome | None:
        """The epoch in progress, from its next batch to its checkpoint. Returns the outcome when
        the run ends inside it (stopped, diverged); None when the epoch ran to its end."""
        self.begin_epoch()
        while self.state.batch < self.batches:
            if stop.is_set():
                return self.stopped()
            self.train_batch()
            if self.state.batch in self.points:
                loss = self.read_point()
                if not math.isfinite(loss) or loss > self.diverged_loss:
                    return self.diverged(loss)
                self.record_point(loss)
            self.recorder.progress(self.progress())
        self.end_epoch()
        return None

    def begin_epoch(self) -> None:
        """The epoch's shuffle (kept in the state, so a resume repeats it); the clock starts."""
        if self.state.perm is None:
            self.state.perm = torch.randperm(len(self.ys), generator=self.generator)
        self.perm = self.state.perm.to(self.device)
        self.pending = 0
        self.tick = time.perf_counter()

    def train_batch(self) -> None:
        """One optimizer step on the epoch's next batch; a reporting point's recorder looks inside
        between the backward pass and the step."""
        s, config = self.state, self.config
        index = self.perm[batch_slice(s.batch, self.batches, config.batch_size, len(self.ys))]
        x, y = self.xs[index], self.ys[index]
        x = augment(config.augment, x, self.generator, self.background)
        for group in self.optimizer.param_groups:
            group["lr"] = lr_at(config, s.step, self.total_steps)
        with self.autocast:
            logits = self.model(x)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=config.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if s.batch + 1 in self.points:
            self.recorder.inside(InsidePoint(self.model, x, y, logits.detach(), loss.detach(),
                                             step=s.step + 1, epoch=s.epoch + (s.batch + 1) / self.batches,
                                             test_x=self.test_xs,
                                             last_of_epoch=s.batch + 1 == self.batches))
        self.optimizer.step()
        with torch.no_grad():
            self.loss_sum += loss.detach() * len(y)
            self.correct += (logits.argmax(1) == y).sum()
        s.count += len(y)
        s.batch += 1
        s.step += 1
        self.session_batches += 1
        self.pending += len(y)

    def read_point(self) -> float:
        """At a reporting point: the device in sync, its time banked, the epoch's running loss."""
        synchronize(self.device)
        self.bank_time()
        return float(self.loss_sum) / self.state.count

    def record_point(self, loss: float) -> None:
        s = self.state
        s.last.update(train_loss=loss, train_acc=int(self.correct) / s.count,
                      lr=self.optimizer.param_groups[0]["lr"])
        self.recorder.metrics(s.step, s.epoch + s.batch / self.batches,
                              {k: s.last[k] for k in ("train_loss", "train_acc", "lr")}, self.wall())
        self.tick = time.perf_counter()

    def end_epoch(self) -> None:
        """Test loss and accuracy, the epoch's throughput, a checkpoint; the running sums restart."""
        s = self.state
        self.evaluate(bf16=self.bf16)
        s.epoch += 1
        s.last.update(test_loss=self.last_eval.loss, test_acc=self.last_eval.accuracy,
                      examples_per_sec=s.count / s.epoch_seconds if s.epoch_seconds else 0.0)
        s.best_test_acc = max(s.best_test_acc, self.last_eval.accuracy)
        self.recorder.metrics(s.step, float(s.epoch),
                              {k: s.last[k] for k in ("test_loss", "test_acc", "examples_per_sec")},
                              self.wall())
        self.loss_sum.zero_()
        self.correct.zero_()
        s.next_epoch()
        self.checkpoint(f"epoch-{s.epoch:03d}.pt")

    # ---- the ways out: each builds the one Outcome that train() returns -------------------------

    def stopped(self) -> Outcome:
        """Between batches, on request: the time banked, and last.pt to resume from."""
        synchronize(self.device)
        self.bank_time()
        self.state.loss_sum, self.state.correct = float(self.loss_sum), int(self.correct)
        self.checkpoint("last.pt")
        return self.outcome("stopped")

    def diverged(self, loss: float) -> Outcome:
        """No checkpoint (NaN weights are not worth a file); the progress of the batch it diverged
        on, so the page's "batch i/n" agrees with the message."""
        self.recorder.progress(self.progress())
        s, guessing = self.state, math.log(len(self.info.classes))
        return self.outcome("diverged", error=(
            f"loss became {loss:.4g} at epoch {s.epoch + 1}, step {s.step} (guessing scores "
            f"{guessing:.2f}): the learning rate {format_setting(self.config.lr)} is too high; "
            "try a smaller one"))

    def complete(self) -> Outcome:
        if self.last_eval is None:  # resumed after the last epoch had already ended
            self.evaluate(bf16=False)
        self.checkpoint("final.pt")
        if self.checkpoint_dir is not None:
            (Path(self.checkpoint_dir) / "last.pt").unlink(missing_ok=True)  # superseded by final.pt
        return self.outcome("completed")

    def outcome(self, status: str, error: str | None = None) -> Outcome:
        return Outcome(status, self.summary(), error=error, epochs_done=self.state.epoch)

    # ---- what the steps share -------------------------------------------------------------------

    def evaluate(self, bf16: bool) -> None:
        self.last_eval = evaluate(self.model, self.test_xs, self.test_ys, num_classes=len(self.info.classes),
                                  bf16=bf16, mirror=self.config.test_mirror)

    def checkpoint(self, name: str) -> None:
        """The weights, the metadata inference needs, and the state to resume from."""
        if self.checkpoint_dir is None:
            return
        s = self.state
        s.elapsed = self.wall()
        meta = CheckpointMeta(arch=self.arch.name, dataset=self.info.name, classes=list(self.info.classes),
                              mean=self.info.mean, std=self.info.std, epoch=s.epoch, metrics=dict(s.last),
                              run_id=self.run_id, config=self.config.to_dict(),
                              layers=network_text(self.arch))
        path = save_checkpoint(Path(self.checkpoint_dir) / name, self.model, meta,
                               extra=s.to_extra(self.optimizer, self.generator))
        self.recorder.checkpoint(s.epoch, path)

    def wall(self) -> float:
        """Wall-clock seconds of the whole run: the sessions before, and this one so far."""
        return self.elapsed_before + time.time() - self.started_at

    def bank_time(self) -> None:
        """Add the training steps' time and examples since ``tick`` (the device is in sync)."""
        seconds = time.perf_counter() - self.tick
        self.state.epoch_seconds += seconds
        self.state.train_seconds += seconds
        self.state.examples += self.pending
        self.pending = 0

    def progress(self) -> Progress:
        """Where the run is, without reading the device. The live rate counts only examples whose
        time is banked (the ``pending`` ones' time is not measured yet)."""
        s = self.state
        remaining = (self.config.epochs - s.epoch) * self.batches - s.batch
        per_batch = (time.perf_counter() - self.session_start) / max(self.session_batches, 1)
        timed = s.count - self.pending
        rate = timed / s.epoch_seconds if s.epoch_seconds and timed > 0 else 0.0
        return Progress(epoch=s.epoch + 1, epochs=self.config.epochs, batch=s.batch, batches=self.batches,
                        step=s.step, examples_per_sec=rate, eta_s=remaining * per_batch,
                        elapsed_s=self.wall(), train_loss=s.last.get("train_loss"),
                        train_acc=s.last.get("train_acc"), at=time.time())

    def summary(self) -> dict[str, Any]:
        """The run's figures at its end, for the store and the CLI."""
        s, last_eval = self.state, self.last_eval
        out = {key: s.last.get(key) for key in ("train_loss", "train_acc", "test_loss", "test_acc")}
        out.update(
            # None, not 0.0, until an epoch has been evaluated: a run stopped or diverged in its
            # first epoch has no test accuracy.
            best_test_acc=s.best_test_acc if s.epoch else None,
            examples_per_sec=s.examples / s.train_seconds if s.train_seconds else 0.0,
            seconds=self.wall(), train_seconds=s.train_seconds, epochs=s.epoch,
            device=self.described.summary, device_kind=self.described.kind, params=self.params,
            classes=list(self.info.classes),
            per_class_acc=last_eval.per_class_acc if last_eval else None,
            confusion=last_eval.confusion.tolist() if last_eval else None,
        )
        return out
