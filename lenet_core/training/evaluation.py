"""Evaluation: loss, accuracy, per-class accuracy, confusion matrix and per-sample predictions
of a model on a split, and the one way the engine turns a split into model input."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lenet_core import data
from lenet_core.errors import LabError
from lenet_core.model.architectures import Architecture
from lenet_core.model.checkpoints import CheckpointMeta
from lenet_core.model.inputs import class_probabilities, mirrored, model_input, standardise

EVAL_BATCH = 512  # 128-512 is fastest for evaluation on the CPU (docs/training.md)


@dataclass
class EvalResult:
    loss: float
    accuracy: float
    per_class_acc: list[float]
    confusion: np.ndarray  # rows: true class, columns: predicted class
    predictions: torch.Tensor  # int64, one per sample (CPU)
    confidences: torch.Tensor  # softmax probability of the predicted class (CPU)


def input_scaling(info: data.DatasetInfo, normalise: bool) -> data.DatasetInfo:
    """The dataset with the mean/std its inputs are scaled by: its own, or 0/1 (pixels in [0, 1],
    the tutorial's ToTensor()). Checkpoints record the pair, so inference repeats it."""
    return info if normalise else replace(info, mean=0.0, std=1.0)


def prepare_images(images: torch.Tensor, info: data.DatasetInfo, arch: Architecture,
                   device: torch.device) -> torch.Tensor:
    """uint8 N×S×S (grey) or N×3×S×S (colour) -> normalised, padded float N×C×H×W on ``device``
    (converted there).

    The result is the only float copy of the images made on the way (:func:`standardise` fills
    it in place); with one channel it is channels-last and contiguous at once, so the layout
    the model runs in costs no further copy.
    """
    x = standardise(images.to(device), info.mean, info.std, arch)
    return x.contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *,
             meta: CheckpointMeta | None = None, device: torch.device | str | None = None,
             batch_size: int = EVAL_BATCH, num_classes: int | None = None,
             bf16: bool = False, mirror: bool | None = None) -> EvalResult:
    """Loss, accuracy, per-class accuracy, confusion matrix and per-sample predictions.

    ``images`` are either float tensors already prepared for the model (the engine's), or uint8
    N×28×28 straight from :func:`data.load_split` with the checkpoint's ``meta``: its mean/std
    and architecture turn them into the model's input (:func:`lenet_core.model.inputs.model_input`).
    The model is put in eval mode and given back in the mode it came in. ``mirror``: predict
    with the average of each image and its mirror image (default: as the checkpoint's run did,
    :func:`lenet_core.model.inputs.mirrored`; off without ``meta``).
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    if images.dtype == torch.uint8 and meta is None:
        raise LabError("evaluate: uint8 images need the checkpoint's metadata (its normalisation)")
    if mirror is None:
        mirror = mirrored(meta)
    if num_classes is None:
        num_classes = len(meta.classes) if meta is not None else int(labels.max()) + 1
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    preds, confs = [], []
    labels_dev = labels.to(device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device)
        if x.dtype == torch.uint8:
            x = model_input(x, meta)
        y = labels_dev[start:start + batch_size]
        with autocast:
            if mirror:  # the loss of the averaged probabilities
                probabilities = class_probabilities(model, x, mirror=True)
                loss_sum += F.nll_loss(probabilities.clamp_min(1e-12).log(), y, reduction="sum")
            else:
                logits = model(x).float()
                loss_sum += F.cross_entropy(logits, y, reduction="sum")
                probabilities = logits.softmax(1)
        prob, pred = probabilities.max(1)
        preds.append(pred)
        confs.append(prob)
    model.train(was_training)
    predictions = torch.cat(preds) if preds else torch.zeros(0, dtype=torch.int64, device=device)
    confidences = torch.cat(confs) if confs else torch.zeros(0, device=device)
    confusion = torch.bincount(labels_dev * num_classes + predictions,
                               minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    confusion = confusion.cpu().numpy()
    totals = confusion.sum(1)
    per_class = [float(confusion[c, c] / totals[c]) if totals[c] else float("nan")
                 for c in range(num_classes)]
    n = max(len(labels), 1)
    return EvalResult(loss=float(loss_sum) / n, accuracy=float(np.trace(confusion)) / n,
                      per_class_acc=per_class, confusion=confusion,
                      predictions=predictions.cpu(), confidences=confidences.float().cpu())


