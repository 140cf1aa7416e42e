"""Your own handwriting: the drawings a person labels on the Draw page, kept in the home folder,
and the dataset a network is fine-tuned on from them.

    <home>/my-digits/drawings.npz     images (N×28×28 uint8, prepared as the page prepares them),
                                      labels (N), ids (N, increasing: the order they were added)
    <home>/datasets/my-digits/        the dataset (lenet_core.data.imported's format), rebuilt from
                                      them after every change: MNIST 5k's training images plus your
                                      drawings to train on; your held-out drawings to test on

Every fifth drawing of each digit, in the order they were added, is held out: a drawing keeps its
side as more are added, so a before-and-after on the held-out ones compares like with like. Each
change is written to a temporary file and renamed over the old one, and the dataset is replaced
whole: a reader sees the old state or the new, never half of one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet_core import paths
from lenet_core.data import imported
from lenet_core.data.registry import DATASETS
from lenet_core.data.sources import read_mnist5k
from lenet_core.errors import LabError

NAME = imported.MY_DIGITS  # the dataset's name, and the folder of the drawings
CLASSES = tuple(str(d) for d in range(10))
HOLD_OUT_EVERY = 5  # the 5th, 10th, ... drawing of each digit is held out to test on
MAX_DRAWINGS = 10_000


def drawings_file(home: Path | None = None) -> Path:
    return (home or paths.lab_home()) / NAME / "drawings.npz"


@dataclass(frozen=True)
class Drawings:
    images: np.ndarray  # N×28×28 uint8
    labels: np.ndarray  # N int64
    ids: np.ndarray  # N int64, increasing

    @property
    def held_out(self) -> np.ndarray:
        """Which drawings are held out to test on: every fifth of each digit, in the order added."""
        out = np.zeros(len(self.ids), bool)
        for digit in range(len(CLASSES)):
            members = np.flatnonzero(self.labels == digit)  # in id order: the file keeps them so
            out[members[HOLD_OUT_EVERY - 1::HOLD_OUT_EVERY]] = True
        return out

    def counts(self) -> list[int]:
        return np.bincount(self.labels, minlength=len(CLASSES)).tolist()


def my_drawings(home: Path | None = None) -> Drawings:
    """The drawings kept so far (none yet: empty arrays)."""
    path = drawings_file(home)
    if not path.is_file():
        return Drawings(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64))
    try:
        with np.load(path) as f:
            found = Drawings(f["images"], f["labels"].astype(np.int64), f["ids"].astype(np.int64))
    except (OSError, ValueError, KeyError) as exc:
        raise LabError(f"{path}: your drawings cannot be read ({exc}); move the file away to start "
                       "again") from None
    if found.images.shape[1:] != (28, 28) or not len(found.images) == len(found.labels) == len(found.ids):
        raise LabError(f"{path}: your drawings do not match their labels; move the file away to start again")
    return found


def add_drawing(image: np.ndarray, label: int, home: Path | None = None) -> int:
    """Keep one prepared drawing (28×28, values in [0, 1], white ink on black) as ``label``;
    returns its id. The dataset is rebuilt."""
    image = np.asarray(image, dtype=np.float32)
    if image.shape != (28, 28) or not np.isfinite(image).all():
        raise LabError(f"a drawing to keep is a prepared 28×28 image; got shape {image.shape}")
    if not image.any():
        raise LabError("the drawing is blank: draw a digit first")
    if not (isinstance(label, int | np.integer) and 0 <= int(label) < len(CLASSES)):
        raise LabError(f"{label!r} is not a digit: choose 0 to 9")
    kept = my_drawings(home)
    if len(kept.ids) >= MAX_DRAWINGS:
        raise LabError(f"you keep {MAX_DRAWINGS:,} drawings already: delete some first")
    new_id = int(kept.ids.max()) + 1 if len(kept.ids) else 1
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    _save(Drawings(np.concatenate([kept.images, pixels[None]]), np.append(kept.labels, int(label)),
                   np.append(kept.ids, new_id)), home)
    return new_id


def delete_drawing(drawing_id: int, home: Path | None = None) -> None:
    kept = my_drawings(home)
    keep = kept.ids != int(drawing_id)
    if keep.all():
        raise LabError(f"there is no drawing #{drawing_id}")
    _save(Drawings(kept.images[keep], kept.labels[keep], kept.ids[keep]), home)


def _save(drawings: Drawings, home: Path | None) -> None:
    path = drawings_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}-{os.getpid()}.npz")
    try:
        np.savez(temporary, images=drawings.images, labels=drawings.labels, ids=drawings.ids)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    rebuild_dataset(drawings, home)


def rebuild_dataset(drawings: Drawings, home: Path | None = None) -> None:
    """The ``my-digits`` dataset from the drawings: MNIST 5k's training images and your drawings
    to train on, your held-out drawings to test on (none held out yet: no dataset)."""
    root = imported.datasets_dir(home)
    held = drawings.held_out
    if not held.any():
        if (root / NAME).exists():
            imported.discard(root / NAME)
        return
    mnist_images, mnist_labels = read_mnist5k("train")
    splits = {"train": (np.concatenate([mnist_images, drawings.images[~held]])[:, None],
                        np.concatenate([mnist_labels.astype(np.int64), drawings.labels[~held]])),
              "test": (drawings.images[held][:, None], drawings.labels[held])}
    mnist = DATASETS["mnist-5k"]
    manifest = {
        "format": imported.FORMAT, "name": NAME, "classes": list(CLASSES),
        "counts": {split: np.bincount(labels, minlength=10).tolist() for split, (_, labels) in
                   splits.items()},
        "side": 28, "channels": 1, "style": "mnist",
        "split": f"every {HOLD_OUT_EVERY}th drawing of each digit held out; MNIST 5k's training images "
                 "added",
        "mean": mnist.mean, "std": mnist.std,  # MNIST's: a digit model standardised on it reads these alike
        "source": {"path": str(drawings_file(home)), "kind": "drawings", "skipped": 0},
        "drawings": {"train": int((~held).sum()), "test": int(held.sum())},
    }
    imported.write_dataset(root, NAME, splits, manifest, replace=True)
