"""The training engine: a TrainConfig in, metrics, checkpoints and an outcome out.

It reads top to bottom as the training story: put the whole split on the device once, build
the model and optimizer, then for each epoch slice shuffled index batches, step, and at five
points an epoch (as the tutorial's plot does) read the running loss and accuracy. After each
epoch it evaluates the test split and writes a checkpoint.

The engine never prints or draws. It tells a :class:`Recorder` what happened (the run store's
writer, the CLI's progress bar) and stops between batches when its ``stop`` event is set.
"""

from __future__ import annotations

import math
import os
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
from lenet_core.model.architectures import build_model, count_params, get_architecture
from lenet_core.model.checkpoints import CheckpointMeta, read_checkpoint, save_checkpoint
from lenet_core.training.augment import augment
from lenet_core.training.config import MOMENTUM, TrainConfig
from lenet_core.training.device import describe_device, resolve_device
from lenet_core.training.evaluation import EvalResult, evaluate, input_scaling, prepare_images
from lenet_core.training.records import Outcome, Progress, Recorder

POINTS_PER_EPOCH = 5  # train loss/accuracy read 5 times an epoch, the last at its end (d2l's plot)
SUBSET_SEED = 0  # train_subset takes the first N of this fixed shuffle, the same for every run
# A run has diverged when its loss is NaN/inf, or above 100× the loss of guessing (100·ln 10 ≈ 230
# for 10 classes): sigmoid and tanh nets saturate at a huge lr and their loss stays finite but
# never comes back (lr 1e6 gives ~1e7).
DIVERGED_FACTOR = 100



# ---- pieces of the loop --------------------------------------------------------------------

def use_all_cores() -> None:
    """torch may default to fewer threads than the cores this process may use; one thread is
    ~1.65× slower than two on an idle 2-core machine. ``OMP_NUM_THREADS`` overrides this: on a
    busy machine one thread a run can be much faster (OpenMP threads wait on each other)."""
    if os.environ.get("OMP_NUM_THREADS"):
        return  # the person chose (e.g. 1 on a machine shared with other jobs)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cores and torch.get_num_threads() < cores:
        torch.set_num_threads(cores)


def make_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = model.parameters()
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd-momentum":
        return torch.optim.SGD(params, lr=config.lr, momentum=MOMENTUM, nesterov=True,
                               weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, weight_decay=config.weight_decay)


def lr_at(config: TrainConfig, step: int, total_steps: int) -> float:
    """The learning rate for batch ``step`` (0-based): constant, or cosine from lr down to 0."""
    if config.schedule == "cosine":
        return config.lr * 0.5 * (1 + math.cos(math.pi * step / max(total_steps, 1)))
    return config.lr


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that the clock measures it (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def batch_count(examples: int, batch_size: int, merge_single: bool) -> int:
    """Batches an epoch. With ``merge_single`` (a batch-norm network, which cannot train on one
    example) a trailing batch of one is merged into the batch before it: 3,999 a batch over
    4,000 examples is one batch of 4,000, not 3,999 and 1."""
    batches = math.ceil(examples / batch_size)
    if merge_single and batches > 1 and examples % batch_size == 1:
        batches -= 1
    return batches


def batch_slice(index: int, batches: int, batch_size: int, examples: int) -> slice:
    """Positions in the epoch's shuffle of batch ``index``; the last one runs to the end."""
    end = examples if index == batches - 1 else (index + 1) * batch_size
    return slice(index * batch_size, end)


def reporting_points(batches: int) -> set[int]:
    """Batch counts after which train loss/accuracy are read: 5 an epoch, the last at its end."""
    return {max(1, round(k * batches / POINTS_PER_EPOCH)) for k in range(1, POINTS_PER_EPOCH + 1)}


@dataclass
class LoopState:
    """Everything needed to continue a run exactly where it stopped (saved in checkpoints)."""

    epoch: int = 0  # epochs completed
    batch: int = 0  # batches done in the epoch in progress
    step: int = 0  # batches done in the run
    perm: torch.Tensor | None = None  # the epoch in progress's shuffle (None at an epoch boundary)
    loss_sum: float = 0.0  # running sums of the epoch in progress
    correct: int = 0
    count: int = 0
    epoch_seconds: float = 0.0  # time in the training steps, the epoch in progress
    train_seconds: float = 0.0  # time in the training steps, the whole run
    examples: int = 0  # examples trained on, the whole run
    elapsed: float = 0.0  # wall-clock seconds of earlier sessions (before a resume)
    best_test_acc: float = 0.0
    last: dict[str, float] = field(default_factory=dict)  # latest value of each metric

    def to_extra(self, optimizer, generator) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items()}
        return {"resume": {**state, "optimizer": optimizer.state_dict(),
                           "generator": generator.get_state()}}

    @classmethod
    def from_extra(cls, extra: dict[str, Any], optimizer, generator) -> LoopState:
        resume = dict(extra["resume"])
        optimizer.load_state_dict(resume.pop("optimizer"))
        generator.set_state(resume.pop("generator"))
        return cls(**resume)


# ---- the loop ------------------------------------------------------------------------------

def train(config: TrainConfig, recorder: Recorder | None = None, *,
          checkpoint_dir: Path | None = None, run_id: str | None = None, home: Path | None = None,
          stop: threading.Event | None = None, resume_from: Path | None = None,
          started_at: float | None = None) -> Outcome:
    """Train ``config`` to completion, a stop request, or a non-finite loss.

    Elapsed time counts from ``started_at`` (Unix time; default: now), data loading included: the
    run store's worker passes the moment it claimed the run, so the page's clock never goes back.

    Checkpoints go to ``checkpoint_dir`` (``epoch-001.pt`` ... ``final.pt``; ``last.pt`` when
    stopped mid-run, holding what :func:`train` needs to continue with ``resume_from``).
    Problems with the request (an absent dataset or device) raise :class:`LabError`.
    """
    started_at = time.time() if started_at is None else started_at
    recorder = recorder or Recorder()
    stop = stop or threading.Event()
    use_all_cores()
    device = resolve_device(config.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed batch shapes: pick the fastest kernels once
    info = input_scaling(data.get_dataset(config.dataset), config.normalise)
    arch = get_architecture(config.arch)

    # The whole split lives on the device; a batch is one index_select, no per-sample work.
    train_x, train_y = data.load_split(config.dataset, "train", home)
    test_x, test_y = data.load_split(config.dataset, "test", home)
    if config.train_subset:
        keep = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(SUBSET_SEED))
        keep = keep[:config.train_subset]
        train_x, train_y = train_x[keep], train_y[keep]
    xs, ys = prepare_images(train_x, info, arch, device), train_y.to(device)
    test_xs, test_ys = prepare_images(test_x, info, arch, device), test_y.to(device)
    background = (0.0 - info.mean) / info.std

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

    n = len(ys)
    batches = batch_count(n, config.batch_size, merge_single=arch.batch_norm)
    total_steps = batches * config.epochs
    points = reporting_points(batches)
    diverged_loss = DIVERGED_FACTOR * math.log(len(info.classes))
    autocast = (torch.autocast(device.type, dtype=torch.bfloat16) if config.precision == "bf16"
                else nullcontext())
    described = describe_device(device)
    params = count_params(model)

    def meta(epoch: int) -> CheckpointMeta:
        return CheckpointMeta(arch=arch.name, dataset=info.name, classes=list(info.classes),
                              mean=info.mean, std=info.std, epoch=epoch, metrics=dict(state.last),
                              run_id=run_id, config=config.to_dict())

    def save(name: str) -> None:
        if checkpoint_dir is None:
            return
        state.elapsed = wall()
        path = save_checkpoint(Path(checkpoint_dir) / name, model, meta(state.epoch),
                               extra=state.to_extra(optimizer, generator))
        recorder.checkpoint(state.epoch, path)

    last_eval: EvalResult | None = None

    def summary() -> dict[str, Any]:
        out = {key: state.last.get(key) for key in ("train_loss", "train_acc", "test_loss", "test_acc")}
        out.update(
            # None, not 0.0, until an epoch has been evaluated: a run stopped or diverged in its
            # first epoch has no test accuracy (the runs table showed it as 0%).
            best_test_acc=state.best_test_acc if state.epoch else None,
            examples_per_sec=state.examples / state.train_seconds if state.train_seconds else 0.0,
            seconds=wall(), train_seconds=state.train_seconds, epochs=state.epoch,
            device=described.summary, device_kind=described.kind, params=params,
            classes=list(info.classes),
            per_class_acc=last_eval.per_class_acc if last_eval else None,
            confusion=last_eval.confusion.tolist() if last_eval else None,
        )
        return out

    session_start = time.perf_counter()  # the loop's start, for the time a batch takes (ETA)
    elapsed_before = state.elapsed  # wall-clock seconds of the sessions before a resume

    def wall() -> float:
        return elapsed_before + time.time() - started_at

    recorder.start({"device": described.summary, "device_kind": described.kind, "params": params,
                    "batches": batches, "epochs": config.epochs, "examples": n,
                    "start_epoch": state.epoch, "start_batch": state.batch, "elapsed_s": wall()})
    model.train()
    loss_sum = torch.tensor(state.loss_sum, device=device)
    correct = torch.tensor(state.correct, device=device)
    session_batches = 0

    def bank_time(tick: float, pending: int) -> None:
        """Add the training-step time and examples since ``tick`` (the device is in sync)."""
        seconds = time.perf_counter() - tick
        state.epoch_seconds += seconds
        state.train_seconds += seconds
        state.examples += pending

    while state.epoch < config.epochs:
        if state.perm is None:
            state.perm = torch.randperm(n, generator=generator)
        perm = state.perm.to(device)
        pending = 0  # examples trained on since the last reporting point
        tick = time.perf_counter()
        while state.batch < batches:
            if stop.is_set():
                synchronize(device)
                bank_time(tick, pending)
                state.loss_sum, state.correct = float(loss_sum), int(correct)
                save("last.pt")
                outcome = Outcome("stopped", summary(), epochs_done=state.epoch)
                recorder.finish(outcome)
                return outcome
            index = perm[batch_slice(state.batch, batches, config.batch_size, n)]
            x, y = xs[index], ys[index]
            x = augment(config.augment, x, generator, background)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(config, state.step, total_steps)
            with autocast:
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            # Accumulate on the device: reading a value (.item()) would wait for every step.
            with torch.no_grad():
                loss_sum += loss.detach() * len(y)
                correct += (logits.argmax(1) == y).sum()
            state.count += len(y)
            state.batch += 1
            state.step += 1
            session_batches += 1
            pending += len(y)

            if state.batch in points:
                synchronize(device)
                bank_time(tick, pending)
                pending = 0
                epoch_loss = float(loss_sum) / state.count
                if not math.isfinite(epoch_loss) or epoch_loss > diverged_loss:
                    # The batch it diverged on, so the page's "batch i/n" agrees with the message.
                    recorder.progress(_progress(config, state, batches, session_batches, session_start,
                                                wall(), pending))
                    outcome = Outcome("diverged", summary(), epochs_done=state.epoch, error=(
                        f"loss became {epoch_loss:.4g} at epoch {state.epoch + 1}, step {state.step}"
                        f" (guessing scores {math.log(len(info.classes)):.2f}): the learning rate "
                        f"{config.lr:g} is too high; try a smaller one"))
                    recorder.finish(outcome)
                    return outcome
                state.last.update(train_loss=epoch_loss, train_acc=int(correct) / state.count,
                                  lr=optimizer.param_groups[0]["lr"])
                recorder.metrics(state.step, state.epoch + state.batch / batches,
                                 {k: state.last[k] for k in ("train_loss", "train_acc", "lr")}, wall())
                tick = time.perf_counter()
            recorder.progress(_progress(config, state, batches, session_batches, session_start,
                                        wall(), pending))

        # End of an epoch: test accuracy, throughput, a checkpoint; reset the running sums.
        last_eval = evaluate(model, test_xs, test_ys, num_classes=len(info.classes),
                             bf16=config.precision == "bf16", mirror=config.test_mirror)
        state.epoch += 1
        state.last.update(test_loss=last_eval.loss, test_acc=last_eval.accuracy,
                          examples_per_sec=state.count / state.epoch_seconds if state.epoch_seconds else 0.0)
        state.best_test_acc = max(state.best_test_acc, last_eval.accuracy)
        recorder.metrics(state.step, float(state.epoch),
                         {k: state.last[k] for k in ("test_loss", "test_acc", "examples_per_sec")},
                         wall())
        loss_sum.zero_()
        correct.zero_()
        state.batch, state.perm, state.count, state.epoch_seconds = 0, None, 0, 0.0
        state.loss_sum, state.correct = 0.0, 0
        save(f"epoch-{state.epoch:03d}.pt")

    if last_eval is None:  # resumed after the last epoch had already ended
        last_eval = evaluate(model, test_xs, test_ys, num_classes=len(info.classes),
                             mirror=config.test_mirror)
    save("final.pt")
    if checkpoint_dir is not None:
        (Path(checkpoint_dir) / "last.pt").unlink(missing_ok=True)  # superseded by final.pt
    outcome = Outcome("completed", summary(), epochs_done=state.epoch)
    recorder.finish(outcome)
    return outcome


def _progress(config: TrainConfig, state: LoopState, batches: int, session_batches: int,
              session_start: float, wall_s: float, pending: int) -> Progress:
    """``pending``: examples trained on since the last reporting point, whose time is not yet in
    ``state.epoch_seconds`` (the clock is read only at reporting points, where the device syncs)."""
    remaining = (config.epochs - state.epoch) * batches - state.batch
    per_batch = (time.perf_counter() - session_start) / max(session_batches, 1)
    timed = state.count - pending
    rate = timed / state.epoch_seconds if state.epoch_seconds and timed > 0 else 0.0
    return Progress(epoch=state.epoch + 1, epochs=config.epochs, batch=state.batch, batches=batches,
                    step=state.step, examples_per_sec=rate, eta_s=remaining * per_batch,
                    elapsed_s=wall_s, train_loss=state.last.get("train_loss"),
                    train_acc=state.last.get("train_acc"), at=time.time())
