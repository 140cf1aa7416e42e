"""Numbers as the lab writes them: one formatter per kind of quantity, so that the pages, the CLI
and the benchmarks write a duration, an accuracy, a rate or a count the same way.

A base module (next to ``errors`` and ``paths``): it imports nothing from ``lenet_core``, so every
layer can use it — ``runs.report`` writes the runs table's durations, ``model.shapes`` its shapes,
``inspect.unit`` a unit's arithmetic, the CLI its summary lines. Pure functions, a number in and a
``str`` out. A figure that was not measured (None) is :data:`MISSING`, never an empty gap or
"None". A count inside a sentence is Python's own ``f"{n:,}"``; :func:`format_count` is for a
count that stands alone and may be unknown.
"""

from __future__ import annotations

import math

MISSING = "—"  # an em dash: a figure not measured yet (a run stopped in its first epoch)
MINUS = "−"  # U+2212: a sign as wide as the plus, so that columns of values line up


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def format_figure(value: float | None, spec: str, suffix: str = "") -> str:
    """Any measured figure by a format spec, with its unit: ``format_figure(12.5, ".1f", " ms")``
    is ``12.5 ms``. For tables of measurements (the benchmarks') whose columns each pick their
    own precision; a quantity with a formatter of its own below uses that one."""
    return f"{format(value, spec)}{suffix}" if _known(value) else MISSING


def format_count(n: int | None) -> str:
    """``1,234,567``: examples, parameters, multiply-adds, images — whole numbers with a comma
    every three digits, as every message and table of the lab writes them."""
    return f"{int(n):,}" if _known(n) else MISSING


def format_shape(shape: list[int] | tuple[int, ...]) -> str:
    """``1×16×5×5``: a tensor's dimensions joined by ``×``, as C×H×W is written in the Shapes
    page's input box and table; a dimension of a thousand or more with separators (``1×8,464``)."""
    return "×".join(f"{n:,}" for n in shape)


def format_duration(seconds: float | None) -> str:
    """``42s``, ``3m 05s``, ``1h 02m``: two units at most, short enough for a metric tile, with
    the smaller unit padded so that a ticking clock does not jitter."""
    if not _known(seconds) or not math.isfinite(seconds):
        return MISSING
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_rate(per_second: float | None) -> str:
    """``12,346``: examples a second, whole (at thousands a second a fraction says nothing).
    :data:`MISSING` also for 0: no batch has been timed yet, not a stalled run."""
    return f"{per_second:,.0f}" if _known(per_second) and per_second else MISSING


def format_percent(fraction: float | None) -> str:
    """``95.8%``: an accuracy or a share, with one decimal (a 10,000-image test split moves in
    steps of 0.01%; two runs worth telling apart differ in the first decimal)."""
    return f"{fraction:.1%}" if _known(fraction) else MISSING


def format_probability(p: float) -> str:
    """``98.1%``, as :func:`format_percent`; the ends as ``>99.9%`` and ``<0.1%``, so that a
    confident guess never reads 100% and an unlikely class never reads 0%."""
    if p > 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    return f"{p:.1%}"


def format_metric(value: float | None) -> str:
    """``0.477``: a loss, or an accuracy as a fraction, three decimals, as the d2l tutorial's
    ``train_ch6`` prints its own (``loss 0.477, train acc 0.820, test acc 0.812``): the CLI's
    lines, read side by side with the tutorial's, and the Training page's train-loss tile."""
    return f"{value:.3f}" if _known(value) else MISSING


def format_setting(value) -> str:
    """A setting's value as a person types it on the command line or in the form: ``0.9``,
    ``1e-5``, ``1e7``, ``64``, ``true``, ``adam``. A float is Python's ``g`` without the exponent's
    sign and zero padding (``1e-05`` -> ``1e-5``): learning rates, a range's ends, a sweep's values."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    return str(value)


def format_fixed(value: float, places: int) -> str:
    """``−0.123400``: a computed value with a fixed number of decimals and a true minus sign, as
    the unit inspector writes its sums (the places are the caller's: so many that the written
    numbers add up by hand)."""
    return f"{value:.{places}f}".replace("-", MINUS)


def format_significant(value: float, digits: int = 3) -> str:
    """``−0.0123``, ``4.56e+03``: a value whose size varies by layer, to ``digits`` significant
    digits with a true minus sign: the ends of a colour legend, a map's smallest and largest."""
    return f"{value:.{digits}g}".replace("-", MINUS)


def format_megabytes(size: int | None) -> str:
    """``30.9 MB``: bytes on disk in decimal megabytes (10**6 bytes, as ``du --si`` counts them)."""
    return f"{size / 1e6:.1f} MB" if _known(size) else MISSING
