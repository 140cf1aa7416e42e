"""The parts the training loop is made of, each small enough to test alone: how many threads,
which optimizer, the learning rate at a step, an epoch's batches and its reporting points, and
:class:`LoopState`, what a checkpoint keeps so that a stopped run continues exactly.

The loop that puts them together is :func:`lenet_core.training.engine.train`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from lenet_core.training.config import MOMENTUM, TrainConfig

POINTS_PER_EPOCH = 5  # train loss/accuracy read 5 times an epoch, the last at its end (d2l's plot)


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

    def next_epoch(self) -> None:
        """Empty the epoch's running sums and shuffle: the next epoch starts from nothing."""
        self.batch, self.perm, self.count, self.epoch_seconds = 0, None, 0, 0.0
        self.loss_sum, self.correct = 0.0, 0

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
