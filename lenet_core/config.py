"""TrainConfig: one validated, frozen description of a training run, and the named presets.

The sidebar form and the CLI flags both build a plain dict and hand it to :func:`validate`, which
returns either a config or one message per field ("lr: 0 is out of range: must be > 0 and ≤ 1e7"),
so a form can show each message next to its field. The config is stored with its run as JSON.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from lenet_core.data import DATASETS
from lenet_core.errors import LabError
from lenet_core.models import ARCHITECTURES

OPTIMIZERS = ("sgd", "sgd-momentum", "adam")
SCHEDULES = ("constant", "cosine")
INITS = ("xavier", "default")
PRECISIONS = ("fp32", "bf16")
MOMENTUM = 0.9  # the momentum of "sgd-momentum" (Nesterov): the usual value, not worth a field
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda|cuda:\d+)$")


@dataclass(frozen=True)
class TrainConfig:
    """A training run. The defaults are the source tutorial's recipe (the ``tutorial`` preset)."""

    dataset: str = "fashion-mnist"
    arch: str = "lenet-classic"
    epochs: int = 10
    batch_size: int = 256
    lr: float = 0.9
    optimizer: str = "sgd"
    weight_decay: float = 0.0
    schedule: str = "constant"  # cosine: per step from lr down to 0 over the whole run
    init: str = "xavier"  # the tutorial's Xavier-uniform, or PyTorch's default
    # Standardise pixels with the dataset's mean/std; False: only scale to [0, 1] as the
    # tutorial's ToTensor() does (its sigmoid net then sits longer on the first plateau).
    normalise: bool = False
    label_smoothing: float = 0.0
    augment: bool = False  # random shifts (±2 px) and rotations (±10°) of each batch, on the device
    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"  # bf16: autocast the forward pass (fast on recent GPUs)
    # Test/benchmark knob: train on the first N examples of a fixed shuffle (0: the whole split).
    train_subset: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        """Build and validate; every problem is named in one LabError."""
        config, errors = validate(raw)
        if errors:
            raise LabError(format_errors(errors))
        return config

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LabError(f"stored config is not valid JSON ({exc})") from None
        if not isinstance(raw, dict):
            raise LabError("stored config is not a JSON object")
        return cls.from_dict(raw)


FIELDS = tuple(f.name for f in fields(TrainConfig))

PRESETS: dict[str, dict[str, Any]] = {
    # d2l's LeNet chapter: lenet-classic on Fashion-MNIST, SGD lr 0.9, batch 256, 10 epochs,
    # Xavier init, pixels in [0, 1]. It printed loss 0.469, train acc 0.823, test acc 0.779.
    "tutorial": dict(dataset="fashion-mnist", arch="lenet-classic", epochs=10, batch_size=256,
                     lr=0.9, optimizer="sgd", weight_decay=0.0, schedule="constant",
                     init="xavier", normalise=False, label_smoothing=0.0, augment=False),
    # Same data and 10 epochs; a LeNet-sized net (lenet-modern, < 100k parameters) trained the
    # way small CNNs train well today. Measured figures: docs/training.md.
    "best": dict(dataset="fashion-mnist", arch="lenet-modern", epochs=10, batch_size=128,
                 lr=0.1, optimizer="sgd-momentum", weight_decay=5e-4, schedule="cosine",
                 init="default", normalise=True, label_smoothing=0.0, augment=False),
}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """A preset's config with ``overrides`` on top; unknown presets and bad values are LabErrors."""
    if name not in PRESETS:
        raise LabError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return TrainConfig.from_dict({**PRESETS[name], **overrides})


# ---- validation ----------------------------------------------------------------------------

def _choice(value, allowed) -> tuple[Any, str | None]:
    if value in allowed:
        return value, None
    return None, f"{value!r} is not one of {', '.join(allowed)}"


def _int(value, low: int, high: int) -> tuple[Any, str | None]:
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None, f"{value!r} is not a whole number (allowed: {low:,} to {high:,})"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"{value!r} is not a whole number (allowed: {low:,} to {high:,})"
    if not low <= value <= high:
        return None, f"{value:,} is out of range: allowed {low:,} to {high:,}"
    return value, None


def _g(x: float) -> str:
    """1e+07 -> 1e7: numbers in messages as a person writes them."""
    return f"{x:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _float(value, low: float, high: float, low_open: bool = False) -> tuple[Any, str | None]:
    rule = f"{'>' if low_open else '≥'} {_g(low)} and ≤ {_g(high)}"
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None, f"{value!r} is not a number (allowed: {rule})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"{value!r} is not a number (allowed: {rule})"
    value = float(value)
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        return None, f"{_g(value)} is out of range: must be {rule}"
    return value, None


def _bool(value) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    if isinstance(value, str) and value.lower() in ("true", "false", "on", "off", "yes", "no"):
        return value.lower() in ("true", "on", "yes"), None
    return None, f"{value!r} is not true or false"


def _device(value) -> tuple[Any, str | None]:
    if isinstance(value, str) and DEVICE_PATTERN.match(value):
        return value, None
    return None, f"{value!r} is not one of auto, cpu, cuda, cuda:N, mps"


CHECKS = {
    "dataset": lambda v: _choice(v, tuple(DATASETS)),
    "arch": lambda v: _choice(v, tuple(ARCHITECTURES)),
    "epochs": lambda v: _int(v, 1, 1000),
    "batch_size": lambda v: _int(v, 1, 65_536),
    "lr": lambda v: _float(v, 0.0, 1e7, low_open=True),
    "optimizer": lambda v: _choice(v, OPTIMIZERS),
    "weight_decay": lambda v: _float(v, 0.0, 1.0),
    "schedule": lambda v: _choice(v, SCHEDULES),
    "init": lambda v: _choice(v, INITS),
    "label_smoothing": lambda v: _float(v, 0.0, 0.5),
    "normalise": _bool,
    "augment": _bool,
    "seed": lambda v: _int(v, 0, 2**31 - 1),
    "device": _device,
    "precision": lambda v: _choice(v, PRECISIONS),
    "train_subset": lambda v: _int(v, 0, 10_000_000),
}
assert set(CHECKS) == set(FIELDS), "every TrainConfig field has exactly one check"


def validate(raw: dict[str, Any]) -> tuple[TrainConfig | None, dict[str, str]]:
    """``(config, {})`` when every value is allowed, else ``(None, {field: message})``.

    Missing fields take their defaults; ``None`` counts as missing (a form's empty box).
    Numbers may come as strings (``"0.1"``). Whether a device is *present* is checked when the
    run starts (:func:`lenet_core.device.resolve_device`), so a stored config stays loadable
    on another machine.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        if key not in CHECKS:
            errors[key] = f"unknown setting (known: {', '.join(FIELDS)})"
            continue
        if value is None:
            continue
        checked, message = CHECKS[key](value)
        if message:
            errors[key] = message
        else:
            values[key] = checked
    if errors:
        return None, errors
    errors = _batch_norm_errors(TrainConfig(**values))
    if errors:
        return None, errors
    return TrainConfig(**values), {}


def _batch_norm_errors(config: TrainConfig) -> dict[str, str]:
    """Batch norm needs two examples a batch: a batch size of 1, or a subset of 1 example, cannot
    train such a network. (A trailing batch of one is merged into the batch before it.)"""
    arch = ARCHITECTURES[config.arch]
    if not arch.batch_norm:
        return {}
    why = f"{arch.name} uses batch normalisation, which needs at least 2 examples a batch"
    if config.batch_size == 1:
        return {"batch_size": f"1 is too small: {why}; choose 2 or more (or another architecture)"}
    if config.train_subset == 1:
        return {"train_subset": f"1 example is too few: {why}; choose 2 or more, or 0 for all"}
    return {}


def format_errors(errors: dict[str, str]) -> str:
    """One line: ``lr: 0 is out of range ...; epochs: ...``."""
    return "; ".join(f"{field}: {message}" for field, message in errors.items())
