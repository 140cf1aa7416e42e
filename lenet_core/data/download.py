"""Downloading a dataset with torchvision: the only code in the lab that uses the network."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

from lenet_core import paths
from lenet_core.data.registry import DatasetInfo, builtin_dataset
from lenet_core.data.sources import (
    AVAILABLE,
    TORCHVISION_FOLDER,
    Availability,
    _copy_remedy,
    data_folder,
    dataset_availability,
    torchvision_installed,
)
from lenet_core.data.splits import clear_memory_cache
from lenet_core.errors import LabError

# ---- download (the only code here that uses the network) ----------------------------------

DOWNLOAD_TIMEOUT_S = 30  # per socket operation: a dead network fails instead of hanging


def download(name: str, home: Path | None = None) -> Availability:
    """Download ``name`` with torchvision into ``<home>/data`` (torchvision's layout).

    Nothing is downloaded when the dataset is already available. torchvision shows its own
    progress bars on stderr. Files already in the data folder are never deleted: one that a
    download replaces is kept beside it as ``<file>.replaced-<time>``.
    """
    info = builtin_dataset(name)
    before = dataset_availability(name, home)
    if before.state == AVAILABLE:
        return before
    if name not in TORCHVISION_FOLDER:
        raise LabError(f"{name} cannot be downloaded: {before.remedy}")
    if not torchvision_installed():
        raise LabError(f"downloading {name} needs torchvision: `pip install torchvision`")
    target = data_folder(name, home)
    target.mkdir(parents=True, exist_ok=True)
    # A fresh folder of our own, beside the target so that moving the files in is a rename.
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=paths.data_dir(home)))
    try:
        _torchvision_download(info, staging, _copy_remedy(name, home))
        _move_in(staging / TORCHVISION_FOLDER[name] / "raw", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # only the staging folder made above
    clear_memory_cache()
    return dataset_availability(name, home)


def _torchvision_download(info: DatasetInfo, root: Path, copy_remedy: str) -> None:
    from torchvision import datasets as tv_datasets

    dataset_class = getattr(tv_datasets, TORCHVISION_FOLDER[info.name])
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        dataset_class(root=str(root), train=False, download=True)
    except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError, timeouts ...
        reason = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        raise LabError(f"could not download {info.name} ({reason[-1].strip()}): connect to the "
                       f"internet and retry; or {copy_remedy}") from None
    finally:
        socket.setdefaulttimeout(previous)


def _move_in(source: Path, target: Path) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for file in sorted(source.iterdir()):
        dest = target / file.name
        if dest.exists():
            dest.rename(dest.with_name(f"{dest.name}.replaced-{stamp}"))
        os.replace(file, dest)
