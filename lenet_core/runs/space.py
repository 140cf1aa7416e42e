"""A sweep's search space: which TrainConfig fields vary, over which values, and the trials that
makes — parsed, checked and counted before anything is recorded.

Two kinds of dimension, written as a person types them on the command line or in the page's
space editor:

- grid (``--grid lr=0.01,0.03,0.1``): every listed value; a range ``range(1,5)`` of a whole-number
  field lists each whole number from 1 to 5. Grid dimensions are crossed.
- random (``--space 'lr=log(1e-3,1)'``): ``log(a,b)`` log-uniform, ``range(a,b)`` uniform (whole
  numbers for a whole-number field), or a list ``64,128,256`` to choose from.

As in Ray Tune, ``--random N`` draws the random dimensions N times and crosses each draw with the
grid: N × (product of the grid's lengths) trials. The trials are drawn once, from a fixed seed,
when the sweep is recorded, so resuming a sweep trains the same configs. Each value is checked by
the field's own rule (:mod:`lenet_core.training.config`) and every trial's whole config is
validated, so a bad space is refused in one line before a run exists.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

from lenet_core.errors import LabError
from lenet_core.format import format_setting
from lenet_core.model.grammar import network_text
from lenet_core.model.tweak import check_value, is_layer_setting, layer_value, with_layer_setting
from lenet_core.training.config import (
    FIELDS,
    SETTINGS,
    Choice,
    Number,
    TrainConfig,
    Whole,
    YesNo,
    network_of,
    validate,
    with_saved_network,
)

MAX_TRIALS = 10_000  # a bigger sweep needs --yes: a typo (0.001,...,1 step 1e-6) must not queue a week
HARD_LIMIT = 50_000  # even with --yes: run ids drawn in one second must stay distinct
DRAW_SEED = 0  # random dimensions are drawn from this seed: the same sweep, the same trials
FUNCTION = re.compile(r"^(log|range)\((.*)\)$")
METRICS = {"test_acc": "max", "test_loss": "min", "train_acc": "max", "train_loss": "min"}
METRIC_TITLES = {"test_acc": "test accuracy", "test_loss": "test loss", "train_acc": "train accuracy",
                 "train_loss": "train loss"}


@dataclass(frozen=True)
class Dimension:
    """One varied field: ``grid`` (every value), ``choice`` (one of the values, at random),
    ``uniform`` or ``log`` (a number between low and high, at random)."""

    field: str
    kind: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    def text(self) -> str:
        """As typed: ``lr=0.01,0.1`` or ``lr=log(0.001,1)``."""
        if self.kind in ("grid", "choice"):
            return f"{self.field}={','.join(format_setting(v) for v in self.values)}"
        name = "log" if self.kind == "log" else "range"
        return f"{self.field}={name}({format_setting(self.low)},{format_setting(self.high)})"

    def draw(self, rng: random.Random) -> Any:
        if self.kind == "choice":
            return rng.choice(self.values)
        whole = _whole(self.field)
        if self.kind == "log":
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
            return round(value) if whole else float(f"{value:.4g}")
        if whole:
            return rng.randint(int(self.low), int(self.high))
        return float(f"{rng.uniform(self.low, self.high):.4g}")


@dataclass(frozen=True)
class Space:
    grid: tuple[Dimension, ...] = ()
    random: tuple[Dimension, ...] = ()
    samples: int = 1  # draws of the random dimensions (--random N)

    @property
    def fields(self) -> list[str]:
        return [d.field for d in (*self.grid, *self.random)]

    @property
    def varied(self) -> list[str]:
        """The fields whose value differs between trials (``epochs = 3``, one value, does not)."""
        return [d.field for d in (*self.grid, *self.random) if d.kind != "grid" or len(d.values) > 1]

    def count(self) -> int:
        return self.samples * math.prod(len(d.values) for d in self.grid)

    def overrides(self) -> list[dict[str, Any]]:
        """Each trial's varied values, in order: draw by draw, the grid crossed within a draw."""
        rng = random.Random(DRAW_SEED)
        combos = list(product(*(d.values for d in self.grid)))
        trials = []
        for _ in range(self.samples):
            drawn = {d.field: d.draw(rng) for d in self.random}
            for combo in combos:
                trials.append({**dict(zip((d.field for d in self.grid), combo)), **drawn})
        return trials

    def to_dict(self) -> dict[str, Any]:
        return {"grid": [d.text() for d in self.grid], "random": [d.text() for d in self.random],
                "samples": self.samples}

    def describe(self) -> str:
        """``lr=0.01,0.1 × batch_size=64,128`` (and ``8 draws of lr=log(...)``)."""
        parts = [" × ".join(d.text() for d in self.grid)] if self.grid else []
        if self.random:
            draws = f"{self.samples} draw{'s' if self.samples != 1 else ''}"
            parts.append(f"{draws} of {', '.join(d.text() for d in self.random)}")
        return " · ".join(parts)


class SpaceError(LabError):
    """One dimension's problem: the setting it names (when known) and what is wrong, without
    saying where it was written, so that the command line can prefix its flag (``--grid lr: ...``)
    and the page's editor its line (``line 2 (lr): ...``)."""

    def __init__(self, problem: str, field: str | None = None, flag: str | None = None):
        self.problem, self.field = problem, field
        where = f"{flag} {field}: " if flag and field else f"{flag} " if flag else ""
        super().__init__(where + problem)


def _split(text: str, flag: str | None) -> tuple[str, str]:
    name, sep, values = text.partition("=")
    name = name.strip()
    example = f"{flag} lr=0.01,0.1" if flag else "lr = 0.01, 0.1"
    if not sep or not name:
        raise SpaceError(f"{text!r}: write a setting, '=' and its values, e.g. {example}", flag=flag)
    if name not in SETTINGS and not is_layer_setting(name):
        raise SpaceError(f"unknown setting (known: {', '.join(FIELDS)}; or a layer's, e.g. "
                         "conv1.channels)", name, flag)
    if not values.strip():
        raise SpaceError("no values after '='", name, flag)
    return name, values.strip()


def _check(field: str, text: str, flag: str | None) -> Any:
    """One value, by the field's own rule (a layer's setting: a number; whether it fits its layer
    is checked with each trial's network)."""
    if is_layer_setting(field):
        value, problem = check_value(field, text)
    else:
        value, problem = SETTINGS[field].rule.check(text.strip())
    if problem:
        raise SpaceError(problem, field, flag)
    return value


def _list(field: str, text: str, flag: str | None) -> tuple[Any, ...]:
    values = [_check(field, part, flag) for part in text.split(",")]
    if len(set(values)) != len(values):
        raise SpaceError(f"a value is listed twice ({text})", field, flag)
    return tuple(values)


def _bounds(field: str, inner: str, flag: str | None, log: bool) -> tuple[float, float]:
    parts = inner.split(",")
    name = "log" if log else "range"
    if len(parts) != 2:
        raise SpaceError(f"{name}() takes two numbers, low and high, e.g. {name}(0.001,1)", field, flag)
    low, high = (_check(field, part, flag) for part in parts)
    if not low < high:
        raise SpaceError(f"{name}({parts[0].strip()},{parts[1].strip()}) needs low < high", field, flag)
    if log and low <= 0:
        raise SpaceError("log() needs a low end above 0", field, flag)
    return low, high


def _whole(field: str) -> bool:
    """Whether a field takes whole numbers: a Whole setting, or a layer's (but a dropout's p)."""
    if is_layer_setting(field):
        return not field.endswith(".p")
    return isinstance(getattr(SETTINGS.get(field), "rule", None), Whole)


def _rangeable(field: str, flag: str | None, what: str) -> None:
    if is_layer_setting(field):
        return
    if not isinstance(SETTINGS[field].rule, (Number, Whole)):
        kind = "a choice" if isinstance(SETTINGS[field].rule, (Choice, YesNo)) else "not a number"
        raise SpaceError(f"{what} needs a numeric setting ({field} is {kind}: list its values instead)",
                         field, flag)


def parse_grid(text: str, flag: str | None = "--grid") -> Dimension:
    """``lr=0.01,0.03,0.1`` or ``epochs=range(1,5)`` (a whole-number field)."""
    field, values = _split(text, flag)
    if match := FUNCTION.match(values):
        if match.group(1) == "log" or not _whole(field):
            raise SpaceError(f"a grid lists its values ({field}=0.01,0.1); log() and range() of numbers "
                             "belong in --space with --random N", field, flag)
        low, high = _bounds(field, match.group(2), flag, log=False)
        return Dimension(field, "grid", tuple(range(int(low), int(high) + 1)))
    return Dimension(field, "grid", _list(field, values, flag))


def parse_random(text: str, flag: str | None = "--space") -> Dimension:
    """``lr=log(1e-3,1)``, ``lr=range(0.01,0.1)`` or ``batch_size=64,128,256`` (choose one)."""
    field, values = _split(text, flag)
    if match := FUNCTION.match(values):
        log = match.group(1) == "log"
        _rangeable(field, flag, f"{match.group(1)}()")
        low, high = _bounds(field, match.group(2), flag, log=log)
        return Dimension(field, "log" if log else "uniform", low=low, high=high)
    values = _list(field, values, flag)
    return Dimension(field, "choice", values)


def parse_space(grid: list[str] | tuple[str, ...] = (), space: list[str] | tuple[str, ...] = (),
                samples: int | None = None) -> Space:
    """The space the flags (or the page's editor) describe; a LabError in one line if it is wrong."""
    grid_dims = tuple(parse_grid(text) for text in grid)
    random_dims = tuple(parse_random(text) for text in space)
    seen: set[str] = set()
    for dim in (*grid_dims, *random_dims):
        if dim.field in seen:
            raise LabError(f"{dim.field} is varied twice: give each setting one --grid or --space")
        seen.add(dim.field)
    if random_dims and not samples:
        raise LabError("--space draws values at random: say how many trials with --random N")
    if samples is not None and not random_dims and samples != 1:
        raise LabError("--random N draws from --space: add one, e.g. --space 'lr=log(1e-3,1)'")
    if samples is not None and not 1 <= samples <= MAX_TRIALS:
        raise LabError(f"--random {samples}: draw from 1 to {MAX_TRIALS:,} trials")
    if not grid_dims and not random_dims:
        raise LabError("nothing to sweep: give --grid FIELD=V1,V2 or --space FIELD=log(A,B) with --random N")
    return Space(grid_dims, random_dims, samples or 1)


def read_lines(text: str, samples: int | None) -> tuple[Space | None, list[str]]:
    """The page's space editor: one dimension a line, ``lr = 0.01, 0.1`` (a list: crossed with
    the other lists) or ``lr = log(1e-3, 1)`` / ``range(a, b)`` / ``~ lr = 0.01, 0.1`` (drawn at
    random, ``samples`` times); ``#`` starts a comment. Returns the space, or every problem at
    once, each naming its line, in the editor's words."""
    grid, random_dims, problems = [], [], []
    lines: dict[str, list[int]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        compact = re.sub(r"\s+", "", line)
        drawn = compact.startswith("~") or bool(FUNCTION.match(compact.partition("=")[2])
                                                 and not _grid_range(compact))
        try:
            dim = parse_random(compact.lstrip("~"), None) if drawn else parse_grid(compact, None)
        except SpaceError as exc:
            problems.append(f"line {number}" + (f" ({exc.field})" if exc.field else "") + f": {exc.problem}")
            continue
        (random_dims if drawn else grid).append(dim)
        lines.setdefault(dim.field, []).append(number)
    for field, numbers in lines.items():
        if len(numbers) > 1:
            problems.append(f"{field} is on lines {' and '.join(map(str, numbers))}: keep one")
    problems += _draw_problems(bool(random_dims), samples)
    if not lines and not problems:
        problems.append("the search space is empty: write a setting and its values, e.g. lr = 0.01, 0.1")
    if problems:
        return None, problems
    return Space(tuple(grid), tuple(random_dims), samples if random_dims else 1), []


def _draw_problems(drawing: bool, samples: int | None) -> list[str]:
    if drawing and not samples:
        return ["log(), range() and ~ lines draw values at random: set how many random draws"]
    if samples and not drawing:
        return [f"{samples} random draws, but no line draws at random (log(a, b), range(a, b) or "
                "~ a list): set the draws to 0, or add such a line"]
    if samples is not None and not 0 <= samples <= MAX_TRIALS:
        return [f"random draws: from 1 to {MAX_TRIALS:,}"]
    return []


def _grid_range(compact: str) -> bool:
    """``epochs=range(1,5)`` of a whole-number field is a grid line in the editor."""
    field, _, values = compact.partition("=")
    return values.startswith("range(") and _whole(field)


def trial_configs(base: TrainConfig, space: Space, allow_many: bool = False,
                  home: Path | None = None) -> list[TrainConfig]:
    """Every trial's config: the base with each trial's values on top, each one validated. A
    trial's network is read when it is planned: a saved one's layers are copied in, and a layer's
    setting (``conv1.channels``) rewrites the layers; the sweep never needs the saved file again."""
    count = space.count()
    if count > HARD_LIMIT:
        raise LabError(f"this sweep has {count:,} trials: at most {HARD_LIMIT:,} can be recorded; "
                       "narrow the space")
    if count > MAX_TRIALS and not allow_many:
        raise LabError(f"this sweep has {count:,} trials (more than {MAX_TRIALS:,}): narrow the space "
                       "(the sweep command's --yes records them all)")
    configs = []
    for number, values in enumerate(space.overrides(), 1):
        varied = ", ".join(f"{k}={format_setting(v)}" for k, v in values.items())
        try:
            configs.append(trial_config(base, values, home))
        except LabError as exc:
            raise LabError(f"trial {number} ({varied}) cannot train: {exc}") from None
    return configs


def trial_config(base: TrainConfig, values: dict[str, Any], home: Path | None = None) -> TrainConfig:
    """One trial: the base with its settings on top, its network read and its layers' settings
    applied; a LabError naming each problem."""
    settings = {k: v for k, v in values.items() if not is_layer_setting(k)}
    raw = {**base.to_dict(), **settings}
    if "arch" in settings and settings["arch"] != base.arch:
        raw["layers"] = ""  # another network: its own layers, not the base's
    config, errors = validate(raw)
    if config is None:
        raise LabError("; ".join(f"{k}: {m}" for k, m in errors.items()))
    config = with_saved_network(config, home)
    layer_values = {k: v for k, v in values.items() if is_layer_setting(k)}
    if not layer_values:
        return config
    arch = network_of(config)
    for name, value in layer_values.items():
        arch = with_layer_setting(arch, name, value)
    changed = variant_name(config.arch, layer_values)
    config, errors = validate({**config.to_dict(), "arch": changed, "layers": network_text(arch)})
    if config is None:
        raise LabError("; ".join(f"{k}: {m}" for k, m in errors.items()))
    return config


def variant_name(base: str, layer_values: dict[str, Any]) -> str:
    """A network named after its base and what changed: ``lenet-classic-conv1-channels-16``; too
    long for a name, the base and a short digest of the change."""
    change = "-".join(f"{k.replace('.', '-')}-{format_setting(v).replace('.', 'p')}"
                      for k, v in layer_values.items())
    name = f"{base}-{change}"
    if len(name) <= 40:
        return name
    digest = hashlib.sha256(change.encode()).hexdigest()[:8]
    return f"{base[:31]}-{digest}"


def config_value(config: TrainConfig, field: str) -> Any:
    """A trial's value of a varied field: a setting, or a layer's setting read from its network."""
    if is_layer_setting(field):
        try:
            return layer_value(network_of(config), field)
        except LabError:
            return None
    return getattr(config, field)
