"""``python -m lenet_core``: the engine's command-line face.

Each command lives in its own module under ``lenet_core.cli`` and exposes ``add_parser``;
a command returns its exit status. A :class:`~lenet_core.errors.LabError` is printed on one line
(``error: ...``) with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from lenet_core.errors import LabError

# (command, module under lenet_core.cli): each module defines add_parser(subparsers)
COMMANDS = [
    ("shapes", "shapes"),
    ("datasets", "datasets"),
    ("predict", "predict"),
    ("train", "train"),
    ("runs", "runs"),
    ("bench", "bench"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lenet_core",
        description="LeNet Lab: shape tables, datasets, training runs and predictions for LeNet.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for _, module in COMMANDS:
        importlib.import_module(f"lenet_core.cli.{module}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
