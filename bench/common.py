"""What every benchmark here shares: its command line (--json, --quick), interleaved timing with
medians, a scratch home, and one way to print a report (a table, or one JSON object).

This machine's speed drifts from moment to moment and other jobs share its two cores, so every
comparison is measured side by side in one run (A B C A B C ...) and quoted as medians and
ratios; no benchmark asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lenet_core import data, paths
from lenet_core.format import format_figure as fmt  # noqa: F401 (re-exported: the scripts call it fmt)

ROOT = Path(__file__).resolve().parents[1]


def parser(doc: str) -> argparse.ArgumentParser:
    """A benchmark's command line, its first paragraph as the description."""
    p = argparse.ArgumentParser(description=doc.strip().split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a smoke run: seconds, not minutes")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (the report) instead of the table")
    return p


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number ≥ ``low`` (argparse prints the message in one line)."""
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is out of range: at least {low}")
        return value
    return check


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def pick_dataset(requested: str | None, quick: bool = False) -> str:
    """The full Fashion-MNIST when it is here (and not --quick), else the offline digits."""
    if requested:
        return data.get_dataset(requested).name
    if not quick and data.dataset_availability("fashion-mnist").state == data.AVAILABLE:
        return "fashion-mnist"
    return "mnist-5k"


def require(name: str) -> None:
    """A dataset named on the command line must be here before minutes of benchmarking start."""
    report = data.dataset_availability(name)
    if report.state != data.AVAILABLE:
        sys.exit(f"error: {report.title} is {report.state} here, so it cannot be benchmarked: "
                 f"{report.remedy}")


def scratch_home(folder: Path) -> Path:
    """A throwaway LENET_LAB_HOME (the bench's runs stay out of yours) that reads datasets from
    your home's data folder, so a dataset available to you is available to the bench."""
    home = folder / "lab"
    home.mkdir(parents=True, exist_ok=True)
    real = paths.data_dir()
    if real.is_dir() and not (home / "data").exists():
        (home / "data").symlink_to(real, target_is_directory=True)
    return home


@dataclass
class Report:
    """A benchmark's result: a heading, table rows (measure, value, target or note), and the
    figures as plain data for --json."""

    title: str
    heading: str = ""
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def row(self, measure: str, value: str, target: str = "") -> None:
        self.rows.append((measure, value, target))

    def table(self) -> str:
        widths = [max(len(r[i]) for r in [("measure", "value", "target"), *self.rows]) for i in range(3)]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        out = [self.title, *([self.heading] if self.heading else []), "",
               line.format("measure", "value", "target").rstrip(), "  ".join("-" * w for w in widths)]
        out += [line.format(*r).rstrip() for r in self.rows]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "heading": self.heading, **self.figures,
                "table": [dict(zip(("measure", "value", "target"), r)) for r in self.rows]}


def emit(report: Report, as_json: bool) -> None:
    print(json.dumps(report.to_dict(), default=str) if as_json else report.table(), flush=True)


def verdict(value: float | None, target: float, text: str, higher_is_better: bool = False) -> str:
    """``text`` with (met) or (missed) after it, or alone when nothing was measured."""
    if value is None:
        return text
    met = value >= target if higher_is_better else value < target
    return f"{text} ({'met' if met else 'missed'})"


def log(line: str) -> None:
    """Progress goes to stderr, so --json's stdout holds the JSON alone."""
    print(line, file=sys.stderr, flush=True)
