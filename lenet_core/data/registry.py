"""The datasets this lab knows: names, titles, class names, the mean and std of their pixels."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lenet_core.errors import LabError

log = logging.getLogger(__name__)

SPLITS = ("train", "test")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    classes: tuple[str, ...]
    mean: float  # of the training pixels scaled to [0, 1]; used to normalise inputs
    std: float
    is_digits: bool
    side: int = 28  # the images are side×side
    channels: int = 1  # 1 grey, 3 colour
    imported: bool = False  # a folder of the user's own images (lenet_core.data.imported)


FASHION_CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                   "sneaker", "bag", "ankle boot")  # the tutorial's text labels
DIGITS = tuple(str(d) for d in range(10))

DATASETS: dict[str, DatasetInfo] = {
    "fashion-mnist": DatasetInfo("fashion-mnist", "Fashion-MNIST", FASHION_CLASSES,
                                 0.2860, 0.3530, is_digits=False),
    "mnist": DatasetInfo("mnist", "MNIST", DIGITS, 0.1307, 0.3081, is_digits=True),
    "mnist-5k": DatasetInfo("mnist-5k", "MNIST 5k (offline subset)", DIGITS,
                            0.1307, 0.3081, is_digits=True),
}


def builtin_dataset(name: str) -> DatasetInfo:
    """A built-in dataset; a LabError naming them otherwise (any dataset, imported ones included:
    :func:`lenet_core.data.imported.get_dataset`)."""
    try:
        return DATASETS[name]
    except KeyError:
        raise LabError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}") from None


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise LabError(f"unknown split {split!r}: choose train or test")




def digit_dataset(name: str) -> bool:
    """Whether a dataset's images are handwritten digits (the Draw and 3D pages' models): MNIST,
    its 5k subset, and the drawings you keep (my-digits)."""
    return DATASETS[name].is_digits if name in DATASETS else name == "my-digits"
