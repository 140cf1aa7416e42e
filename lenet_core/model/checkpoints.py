"""Checkpoints: a state_dict plus plain metadata, written atomically, read with weights_only.

A checkpoint file is ``torch.save({"format": 1, "meta": {...}, "state_dict": {...}})``. The
metadata says everything needed to rebuild and use the model without its run: the architecture,
the dataset with its class names and normalisation, the epoch and the metrics at that point.
It is loaded with ``torch.load(weights_only=True)``: a file carrying pickled code is refused.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.model.architectures import ARCHITECTURES, Architecture, build_model, get_architecture
from lenet_core.model.grammar import network_text, parse_network

FORMAT = 1
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"


@dataclass
class CheckpointMeta:
    arch: str
    dataset: str
    classes: list[str]
    mean: float
    std: float
    epoch: int = 0  # epochs completed when this was written
    metrics: dict[str, float] = field(default_factory=dict)  # e.g. test_acc, train_loss
    run_id: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # the TrainConfig as plain data
    # The whole network as one line of the grammar (``input(32)`` first for a 32×32 input), so
    # the checkpoint works after its saved network is renamed, edited or deleted, and on another
    # machine. Checkpoints written before networks could be saved lack it: ``arch`` is a built-in.
    layers: str = ""


@functools.lru_cache(maxsize=64)
def _architecture(name: str, layers: str) -> Architecture:
    builtin = ARCHITECTURES.get(name)
    if not layers or (builtin is not None and network_text(builtin) == layers):
        return get_architecture(name)  # a built-in keeps its title and description
    return parse_network(layers, name, f"Its layers: {layers}.")


def architecture_of(meta: CheckpointMeta) -> Architecture:
    """The network a checkpoint was trained as: the one door from a checkpoint to its layers."""
    return _architecture(meta.arch, getattr(meta, "layers", "") or "")


def save_checkpoint(path: Path, model: nn.Module, meta: CheckpointMeta,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write atomically: a temp file in the same folder, fsync, then rename over ``path``.

    ``extra`` holds further tensors/plain data (e.g. the optimizer state for resuming).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LabError(f"{path.parent}: cannot create the checkpoint folder ({exc.strerror}); "
                       "check that LENET_LAB_HOME is a writable folder") from None
    payload = {"format": FORMAT, "meta": asdict(meta),
               "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    if extra:
        payload["extra"] = extra
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise LabError(f"{path.parent}: cannot write a checkpoint here ({exc.strerror}); check that "
                       "LENET_LAB_HOME is a writable folder with free space") from None
    try:
        # Serialise in memory first: torch's zip writer turns a failed write (full disk) into an
        # opaque RuntimeError, a plain write gives the OSError that says what happened.
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        # A full disk or a file-size limit: the temp file goes, the previous checkpoint stays.
        Path(tmp).unlink(missing_ok=True)
        raise LabError(f"{path}: could not write the checkpoint ({exc.strerror or exc}); free some "
                       "disk space and resume the run: earlier checkpoints are untouched") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The raw payload, read safely; every way a file can be wrong becomes a readable LabError."""
    path = Path(path)
    if not path.is_file():
        raise LabError(f"checkpoint missing: {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "GLOBAL" not in str(exc):  # bytes that are no pickle at all (garbage), not code
            raise LabError(f"{path}: corrupt or truncated checkpoint (not a PyTorch file)") from None
        # torch's own message advises weights_only=False; that is exactly what we never do.
        raise LabError(f"{path}: refused to load: it carries pickled objects or code beyond "
                       "weights and plain data; only weights-only checkpoints are accepted") from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LabError(f"{path}: corrupt or truncated checkpoint ({first})") from None
    if not isinstance(payload, dict) or "state_dict" not in payload or "meta" not in payload:
        raise LabError(f"{path}: not a LeNet Lab checkpoint (no state_dict/meta)")
    return payload


def load_model(path: Path, device: str | torch.device = "cpu"
               ) -> tuple[nn.Sequential, CheckpointMeta]:
    """Rebuild the network a checkpoint describes, load its weights, and put it in eval mode."""
    payload = read_checkpoint(path)
    try:
        meta = CheckpointMeta(**payload["meta"])
        model = build_model(architecture_of(meta))
        model.load_state_dict(payload["state_dict"])
    except LabError as exc:
        raise LabError(f"{path}: {exc}") from None
    except (TypeError, RuntimeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise LabError(f"{path}: its weights do not fit its architecture ({first})") from None
    return model.to(device).eval(), meta


def pretrained_path(name: str = "digits") -> Path:
    """The bundled pretrained model shipped inside the package."""
    return PRETRAINED_DIR / f"{name}.pt"
