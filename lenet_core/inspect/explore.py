"""The Layer Explorer's engine: which samples to show, how to step through them, what the model
predicts for them, and per-channel statistics of a layer's output.

A *pool* is the sorted array of dataset indices a person is browsing: every sample, one class,
or the samples the model gets wrong (optionally of one class). Stepping moves to the next or
previous member of the pool and wraps around at the ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.model.architectures import Architecture
from lenet_core.model.checkpoints import CheckpointMeta
from lenet_core.model.inputs import class_probabilities, mirrored, model_input
from lenet_core.training.evaluation import evaluate

POOLS = ("all", "class", "misclassified")
POOL_TITLES = {"all": "All samples", "class": "One class", "misclassified": "Misclassified only"}


# ---- predictions --------------------------------------------------------------------------

@dataclass(frozen=True)
class Predictions:
    """The model's answer for every sample of a split (arrays indexed like the split)."""

    predicted: np.ndarray  # int64 class index
    confidence: np.ndarray  # float32 probability of the predicted class
    labels: np.ndarray  # int64 true class index

    @property
    def wrong(self) -> np.ndarray:
        return self.predicted != self.labels

    @property
    def accuracy(self) -> float:
        return float((~self.wrong).mean()) if len(self.labels) else 0.0


def predict(model: nn.Module, meta: CheckpointMeta, images: torch.Tensor, labels: torch.Tensor
            ) -> Predictions:
    """Classify a whole split with the training engine's own evaluation pass.

    The inputs are standardised as the model was trained (its checkpoint's mean and std, which
    are 0 and 1 for a run that did not standardise pixels), whichever dataset the images come
    from, and padded for its architecture.
    """
    result = evaluate(model, images, labels, meta=meta)
    return Predictions(result.predictions.numpy().astype(np.int64),
                       result.confidences.numpy().astype(np.float32),
                       np.asarray(labels, dtype=np.int64))


def class_mismatch(model_classes, dataset_classes) -> str | None:
    """A warning when a model's classes are not the dataset's (a digit model on clothes): its
    class numbers are still compared with the labels, but "misclassified" means little."""
    if list(model_classes) == list(dataset_classes):
        return None
    return (f"this model's classes ({', '.join(map(str, model_classes[:4]))}, …) are not the "
            f"dataset's ({', '.join(map(str, dataset_classes[:4]))}, …): predictions are class "
            "numbers of another task, so right and wrong compare unrelated classes")


# ---- pools and stepping -------------------------------------------------------------------

def pool(labels: np.ndarray, kind: str = "all", label: int | None = None,
         predictions: Predictions | None = None) -> np.ndarray:
    """The sorted dataset indices to browse.

    ``kind``: ``all``; ``class`` (needs ``label``); ``misclassified`` (needs ``predictions``;
    ``label`` optionally keeps one true class).
    """
    labels = np.asarray(labels)
    if kind not in POOLS:
        raise LabError(f"unknown sample pool {kind!r}: choose one of {', '.join(POOLS)}")
    keep = np.ones(len(labels), dtype=bool)
    if kind == "class" and label is None:
        raise LabError("choose a class to browse one class")
    if label is not None and kind != "all":
        keep &= labels == label
    if kind == "misclassified":
        if predictions is None:
            raise LabError("misclassified samples need the model's predictions on this split")
        keep &= predictions.wrong
    return np.flatnonzero(keep)


def describe_pool(kind: str, count: int, class_name: str | None = None) -> str:
    """"412 misclassified samples of class 7" — the pool in words, for captions and messages."""
    noun = "sample" if count == 1 else "samples"
    what = {"all": noun, "class": noun, "misclassified": f"misclassified {noun}"}[kind]
    of = f" of class {class_name}" if class_name is not None and kind != "all" else ""
    return f"{count:,} {what}{of}"


def check_index(index: int, count: int, where: str) -> int:
    """``index`` if 0 ≤ index < count, else a LabError naming the range."""
    if not 0 <= int(index) < count:
        raise LabError(f"index {int(index):,} is out of range: {where} has {count:,} samples "
                       f"(0–{count - 1:,})")
    return int(index)


def _non_empty(members: np.ndarray) -> np.ndarray:
    if len(members) == 0:
        raise LabError("no sample matches this choice: choose another class or pool")
    return members


def step(members: np.ndarray, current: int, delta: int) -> int:
    """The member ``delta`` places after (or before, if negative) ``current``, wrapping around.

    If ``current`` is not a member (the pool just changed), the first step goes to the nearest
    member in the direction of travel.
    """
    members = _non_empty(np.asarray(members))
    pos = int(np.searchsorted(members, current))
    if pos < len(members) and members[pos] == current:
        return int(members[(pos + delta) % len(members)])
    if delta > 0:  # members[pos] is the first one after current
        return int(members[(pos + delta - 1) % len(members)])
    return int(members[(pos + delta) % len(members)])  # members[pos - 1] is the last before


def random_member(members: np.ndarray, rng: np.random.Generator, avoid: int | None = None) -> int:
    """A random member, other than ``avoid`` when there is a choice ("Random" must move)."""
    members = _non_empty(np.asarray(members))
    if avoid is not None and len(members) > 1:
        members = members[members != avoid]
    return int(rng.choice(members))


def position(members: np.ndarray, current: int) -> int | None:
    """1-based place of ``current`` in the pool ("12 of 412"), or None when it is not in it."""
    pos = int(np.searchsorted(members, current))
    return pos + 1 if pos < len(members) and members[pos] == current else None


# ---- per-channel statistics ---------------------------------------------------------------

def active_threshold(arch: Architecture, layer: str) -> float:
    """Above what value a unit counts as active: 0.5 (the midpoint) for what a sigmoid produced
    (its outputs are never ≤ 0), else 0. Pooling and flatten keep what came before them."""
    threshold = 0.0
    for spec in arch.layers:
        if spec.module in ("Sigmoid",):
            threshold = 0.5
        elif spec.module in ("Tanh", "ReLU", "Conv2d", "Linear", "BatchNorm2d", "BatchNorm1d"):
            threshold = 0.0
        if spec.name == layer:
            return threshold
    raise LabError(f"{arch.name} has no layer {layer!r}")


def channel_stats(values: torch.Tensor | np.ndarray, threshold: float = 0.0) -> pd.DataFrame:
    """One row per channel of a C×H×W output (maps numbered from 1, as the layer views number
    them), or one row for a vector: min, max, mean and the fraction of values above ``threshold``."""
    v = np.asarray(values.detach().cpu() if isinstance(values, torch.Tensor) else values, np.float64)
    flat = v.reshape(v.shape[0], -1) if v.ndim == 3 else v.reshape(1, -1)
    names = [str(i) for i in range(flat.shape[0])] if v.ndim == 3 else ["all units"]
    return pd.DataFrame({
        "map": names,
        "min": flat.min(axis=1),
        "max": flat.max(axis=1),
        "mean": flat.mean(axis=1),
        "active": (flat > threshold).mean(axis=1),
    })


# ---- one sample across a run's epochs -----------------------------------------------------

@torch.inference_mode()
def epoch_trace(checkpoints: list[tuple[int, nn.Module, CheckpointMeta]], pixels, label: int
                ) -> pd.DataFrame:
    """How one image fared at each saved epoch: the guess, its probability, and the probability
    of the true class. ``pixels`` is the 28×28 image (0–255 or 0–1); each checkpoint gets it
    as its own metadata says (:func:`lenet_core.model.inputs.model_input`)."""
    rows = []
    for epoch, model, meta in checkpoints:
        device = next(model.parameters()).device
        p = class_probabilities(model, model_input(pixels, meta).to(device), mirrored(meta))[0].cpu()
        rows.append({"epoch": epoch, "guess": int(p.argmax()), "confidence": float(p.max()),
                     "p_label": float(p[label])})
    return pd.DataFrame(rows, columns=["epoch", "guess", "confidence", "p_label"])
