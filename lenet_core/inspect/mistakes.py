"""A finished run's mistakes: the test images its model gets wrong, the most confident first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lenet_core import data
from lenet_core.errors import LabError
from lenet_core.model.checkpoints import load_model
from lenet_core.runs.files import best_checkpoint
from lenet_core.training.evaluation import evaluate


@dataclass(frozen=True)
class Mistakes:
    images: np.ndarray  # uint8 k×S×S (k×3×S×S in colour), the most confident mistakes first
    table: pd.DataFrame  # index (in the test split), true, predicted, confidence
    total: int  # mistakes in the whole test split
    tested: int  # images in the test split


def misclassified(run_id: str, home: Path | None = None, limit: int = 24) -> Mistakes:
    """The test images a finished run's model gets wrong, the most confident first (the ones
    it is surest about are the most telling), using the engine's own :func:`evaluate`."""
    path = best_checkpoint(run_id, home)
    if path is None:
        raise LabError(f"run {run_id} has no checkpoint to evaluate")
    model, meta = load_model(path)
    images, labels = data.load_split(meta.dataset, "test", home)
    result = evaluate(model, images, labels, meta=meta)
    predicted, confidence = result.predictions.numpy(), result.confidences.numpy()
    wrong = np.flatnonzero(predicted != labels.numpy())
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:limit]
    classes = data.get_dataset(meta.dataset).classes
    table = pd.DataFrame({"index": order,
                          "true": [classes[int(labels[i])] for i in order],
                          "predicted": [classes[int(predicted[i])] for i in order],
                          "confidence": confidence[order].astype(float)})
    return Mistakes(images[order].numpy(), table, len(wrong), len(labels))
