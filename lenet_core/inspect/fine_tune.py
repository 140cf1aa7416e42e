"""Before and after fine-tuning on your drawings: each model's guesses on the drawings held out
(lenet_core.data.my_digits), its accuracy there, and the drawings whose guess changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lenet_core.data.my_digits import my_drawings
from lenet_core.model.inputs import class_probabilities, mirrored, model_input


@dataclass(frozen=True)
class Changed:
    """A held-out drawing whose first guess is not the same after as before."""

    drawing_id: int
    label: int
    before: int
    after: int
    image: np.ndarray  # 28×28 uint8


@dataclass(frozen=True)
class HeldOut:
    count: int
    before_acc: float
    after_acc: float
    changed: tuple[Changed, ...]


def guesses(model, meta, images: np.ndarray) -> np.ndarray:
    """The first guess of a checkpoint's model for each image (N×28×28 uint8)."""
    with torch.no_grad():
        x = model_input(torch.from_numpy(images), meta)
        return class_probabilities(model.eval(), x, mirrored(meta)).argmax(dim=1).numpy()


def held_out_comparison(before, after, home: Path | None = None) -> HeldOut | None:
    """``before`` and ``after``: ``(model, meta)`` each. None while no drawing is held out."""
    drawings = my_drawings(home)
    held = drawings.held_out
    if not held.any():
        return None
    images, labels, ids = drawings.images[held], drawings.labels[held], drawings.ids[held]
    first, then = guesses(*before, images), guesses(*after, images)
    changed = tuple(Changed(int(i), int(y), int(a), int(b), image)
                    for i, y, a, b, image in zip(ids, labels, first, then, images, strict=True) if a != b)
    return HeldOut(len(labels), float((first == labels).mean()), float((then == labels).mean()), changed)
