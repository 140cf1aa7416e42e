"""The data layer — datasets: Fashion-MNIST, MNIST and the offline 5,000-digit MNIST subset.

A split is one uint8 tensor of N×28×28 images and one int64 tensor of N labels, read once per
process and kept in memory (and, when it came from slow ``.gz`` files, cached on disk as ``.npy``).
Float conversion and normalisation happen later, on the device (:func:`normalise`).

Sources are tried in order (:func:`idx_folders`): files already in ``<home>/data`` in
torchvision's layout, then system packages (Debian's ``dataset-fashion-mnist``). Reading never
touches the network; only :func:`download` does, and only when asked.

Owns: the dataset registry (registry), the idx format (idx), where datasets come from and whether
they are here (sources), reading splits into memory (splits), downloading (download), a drawing
or photo made MNIST-style (preprocess, imported module by module: it brings PIL), and a folder of
the user's own images imported as a dataset (imported). May import:
``lenet_core.errors`` and ``lenet_core.paths`` only. Its public names are re-exported here, so a
caller writes ``data.load_split(...)``.
"""

from lenet_core.data.download import download
from lenet_core.data.idx import (
    IDX_IMAGES_MAGIC,
    IDX_LABELS_MAGIC,
    IDX_NAMES,
    check_idx,
    idx_files,
    read_idx,
    read_idx_pair,
    read_idx_split,
)
from lenet_core.data.imported import get_dataset
from lenet_core.data.registry import DATASETS, SPLITS, DatasetInfo, digit_dataset
from lenet_core.data.sources import (
    AVAILABLE,
    DOWNLOADABLE,
    TORCHVISION_FOLDER,
    UNAVAILABLE,
    Availability,
    availability,
    data_folder,
    dataset_availability,
    debian_dataset_folder,
    idx_folders,
    mnist5k_path,
    torchvision_installed,
)
from lenet_core.data.splits import (
    cache_dir,
    class_index,
    clear_memory_cache,
    gallery,
    indices_by_class,
    load_split,
    read_split,
    sample,
)

__all__ = [
    "AVAILABLE", "DATASETS", "DOWNLOADABLE", "IDX_IMAGES_MAGIC", "IDX_LABELS_MAGIC", "IDX_NAMES",
    "SPLITS", "TORCHVISION_FOLDER", "UNAVAILABLE", "Availability", "DatasetInfo", "availability",
    "cache_dir", "check_idx", "class_index", "clear_memory_cache", "data_folder", "dataset_availability",
    "debian_dataset_folder", "digit_dataset", "download", "gallery", "get_dataset", "idx_files",
    "idx_folders", "indices_by_class", "load_split", "mnist5k_path", "read_idx", "read_idx_pair",
    "read_idx_split", "read_split", "sample", "torchvision_installed",
]
