"""Why a run learns, or does not: the inside figures (lenet_core.training.inside) read by rules
declared once, each giving its finding in words with the figures that show it.

A rule reads the figures at the run's latest reporting points (:class:`Inside`, built from the
store's long table) and answers with a :class:`Finding` or None. The rules, in the order a reader
meets them:

- ``plateau``: the loss sits near the loss of guessing, ln(classes), while the first layer's
  gradient is orders of magnitude smaller than the last's: the first layers barely learn (the
  tutorial's sigmoid LeNet in its first epochs);
- ``too-high``: a step moved the weights by a large share of their size (a healthy run's steps
  move them by a few per cent at most), or the loss jumped far above guessing: the learning rate is
  too high, before the run diverges;
- ``saturated``: most of an activation layer's outputs sit at a bound of its sigmoid or tanh,
  where no gradient passes;
- ``dead``: a ReLU layer has most of its units at 0 for every image of a batch;
- ``healthy``: none of the above, and the loss has fallen below guessing.

The thresholds are stated here once; :mod:`tests.test_diagnosis` holds them to real short runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lenet_core.format import format_significant
from lenet_core.runs.report import PLATEAU_STEPS

if TYPE_CHECKING:
    import pandas as pd

PLATEAU_BAND = 0.15  # the loss within 15 % of ln(classes): where a net that guesses sits
VANISHING = 1e-2  # the first weighted layer's gradient norm under 1/100 of the last one's
SATURATED_SHARE = 0.5  # of a sigmoid or tanh layer's outputs at a bound
DEAD_SHARE = 0.5  # of a ReLU layer's units at 0 for every image of the batch
TOO_HIGH_UPDATE = 0.3  # the median layer's step moved its weights by 30 % of their norm
LOSS_SPIKE = 2.0  # the loss above twice the loss of guessing
RECENT = 3  # reporting points read: the run's latest ones


@dataclass(frozen=True)
class Finding:
    rule: str  # plateau, saturated, too-high, dead, healthy
    title: str  # one line
    evidence: str  # the figures that show it
    advice: str  # what changes it ("" for a healthy run)


@dataclass(frozen=True)
class Inside:
    """A run's inside figures at its latest reporting points, with its losses, ready for the rules."""

    figures: pd.DataFrame  # step, layer, name, value (the RECENT latest points)
    losses: list[float]  # train loss at those points
    classes: int
    weighted: list[str]  # in network order
    activations: list[str]
    largest_step: float = 0.0  # the median layer's update ratio at the run's worst point so far
    largest_loss: float = 0.0  # the highest train loss so far

    def latest(self, layer: str, name: str) -> float | None:
        rows = self.figures[(self.figures["layer"] == layer) & (self.figures["name"] == name)]
        return float(rows["value"].iloc[-1]) if len(rows) else None

    def mean(self, layer: str, name: str) -> float | None:
        rows = self.figures[(self.figures["layer"] == layer) & (self.figures["name"] == name)]
        return float(rows["value"].mean()) if len(rows) else None

    @property
    def step(self) -> int:
        """The latest reporting point's step: how far the run has come."""
        return int(self.figures["step"].max())

    @property
    def guessing(self) -> float:
        return math.log(self.classes)

    def gradients(self) -> tuple[str, float, str, float] | None:
        """``(first layer, its gradient norm, last layer, its gradient norm)``, each the mean over
        the recent points: the one pair every sentence about the gradient's spread quotes."""
        if len(self.weighted) < 2:
            return None
        first, last = self.weighted[0], self.weighted[-1]
        return first, self.mean(first, "grad_norm") or 0.0, last, self.mean(last, "grad_norm") or 0.0


def read(inside: pd.DataFrame, metrics: pd.DataFrame, classes: int, recent: int = RECENT) -> Inside | None:
    """The rules' view of a run (its ``inside`` and ``metrics`` long tables), or None before its
    first reporting point."""
    if inside.empty:
        return None
    steps = sorted(set(inside["step"]))[-recent:]
    shown = inside[inside["step"].isin(steps)]
    loss = metrics[(metrics["name"] == "train_loss") & metrics["step"].isin(steps)]
    order = list(dict.fromkeys(shown["layer"]))
    weighted = [layer for layer in order if (shown["layer"].eq(layer) & shown["name"].eq("grad_norm")).any()]
    activations = [layer for layer in order if layer not in weighted]
    steps_taken = inside[inside["name"] == "update_ratio"].groupby("step")["value"].median()
    losses = metrics.loc[metrics["name"] == "train_loss", "value"]
    return Inside(shown, [float(v) for v in loss["value"]], classes, weighted, activations,
                  largest_step=float(steps_taken.max()) if len(steps_taken) else 0.0,
                  largest_loss=float(losses.max()) if len(losses) else 0.0)


def _n(value: float) -> str:
    return format_significant(value)


def plateau(run: Inside) -> Finding | None:
    spread = run.gradients()
    if not run.losses or spread is None:
        return None
    loss = run.losses[-1]
    first, g_first, last, g_last = spread
    near = abs(loss - run.guessing) <= PLATEAU_BAND * run.guessing
    if not (near and g_last and g_first / g_last < VANISHING):
        return None
    return Finding(
        "plateau", "On the plateau: the loss is still about what guessing scores, and the first "
        "layers barely learn",
        f"Train loss {_n(loss)} against ln {run.classes} = {_n(run.guessing)} for guessing; the gradient "
        f"at {first} is {_n(g_first)}, {_n(g_last / max(g_first, 1e-30))}× smaller than at {last} "
        f"({_n(g_last)}): each layer the error passes back through shrinks it (a sigmoid's slope is at "
        "most 0.25)",
        (f"Train for more steps (the tutorial's net leaves its plateau after about {PLATEAU_STEPS}), or "
         if run.step < PLATEAU_STEPS else
         f"It has taken {run.step:,} steps already: more of them alone may not help; ")
        + "shorten it: ReLU and batch normalisation (lenet-modern) keep the gradient at the first "
        "layer within a few times the last's; a larger learning rate helps the sigmoid net too (the "
        "tutorial's 0.9), a smaller one when its units saturate.")


def _worst(run: Inside, name: str) -> tuple[float | None, str | None]:
    """The activation layer with the largest ``name`` share (saturated, dead) at the latest point."""
    found = [(share, layer) for layer in run.activations if (share := run.latest(layer, name)) is not None]
    return max(found, default=(None, None))


def saturated(run: Inside) -> Finding | None:
    share, layer = _worst(run, "saturated")
    if share is None or share < SATURATED_SHARE:
        return None
    return Finding(
        "saturated", f"{layer} is saturated: most of its outputs sit at a bound, where no gradient passes",
        f"{share:.0%} of {layer}'s outputs are within 2 % of its range from 0 or 1 (or ±1 for tanh)",
        "Lower the learning rate, or use ReLU with batch normalisation (lenet-modern): a ReLU's slope "
        "is 1 wherever its output is positive, so the gradient passes there whole.")


def too_high(run: Inside) -> Finding | None:
    if run.largest_step < TOO_HIGH_UPDATE and run.largest_loss < LOSS_SPIKE * run.guessing:
        return None
    return Finding(
        "too-high", "The learning rate is too high: steps throw the weights far from where they were",
        f"A step moved the median layer's weights by up to {run.largest_step:.0%} of their size (a "
        f"healthy run's steps move them a few per cent at most); the loss reached {_n(run.largest_loss)}, "
        f"against {_n(run.guessing)} for guessing",
        "Lower the learning rate ten times, or use Adam at 0.001–0.003; a run left so diverges "
        "(its loss becomes NaN or ever larger).")


def dead(run: Inside) -> Finding | None:
    share, layer = _worst(run, "dead")
    if share is None or share < DEAD_SHARE:
        return None
    return Finding(
        "dead", f"Dead ReLUs in {layer}: most of its units output 0 for every image",
        f"{share:.0%} of {layer}'s units were 0 for every image of the last batch: no gradient reaches "
        "their weights, so they stay dead",
        "Lower the learning rate (a large step pushes a unit's bias so far down that it never fires "
        "again), or add batch normalisation before the ReLU.")


def healthy(run: Inside) -> Finding | None:
    spread = run.gradients()
    if not run.losses or spread is None or run.losses[-1] >= (1 - PLATEAU_BAND) * run.guessing:
        return None
    first, g_first, last, g_last = spread
    ratios = [v for layer in run.weighted if (v := run.mean(layer, "update_ratio")) is not None]
    return Finding(
        "healthy", "Healthy: the error reaches every layer and the loss falls",
        f"Train loss {_n(run.losses[-1])}, below {_n(run.guessing)} for guessing; the gradient at "
        f"{first} is {_n(g_first)} against {_n(g_last)} at {last}; a step moves the weights by "
        f"{min(ratios):.1%}–{max(ratios):.1%} of their size", "")


# The rules in the order they are read; ``healthy`` speaks only when no other rule found anything.
RULES = (plateau, too_high, saturated, dead)


def diagnose(run: Inside | None) -> list[Finding]:
    """Every finding for the run, or ``healthy`` alone; empty before its first reporting point (or
    when nothing is clear yet)."""
    if run is None:
        return []
    found = [finding for rule in RULES if (finding := rule(run)) is not None]
    if found:
        return found
    well = healthy(run)
    return [well] if well else []


def of_run(store, run, inside: pd.DataFrame | None = None) -> Inside | None:
    """The rules' view of a stored run (live or ended); ``inside``: its figures, when the caller
    has read them already."""
    from lenet_core.data import get_dataset
    from lenet_core.errors import LabError

    try:
        classes = len(get_dataset(run.config.dataset, store.home).classes)
    except LabError:  # an imported dataset deleted since: its run still knows its classes
        classes = len(run.summary.get("classes") or run.summary.get("per_class_acc") or range(10))
    figures = store.inside(run.id) if inside is None else inside
    return read(figures, store.metrics(run.id), classes)
