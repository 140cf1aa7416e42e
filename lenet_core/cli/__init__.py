"""The CLI layer — ``python -m lenet_core`` (or ``lenet-lab``): the engine's command-line face.

Owns: one module per command. May import: every layer below it.

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
    ("arch", "arch"),
    ("datasets", "datasets"),
    ("predict", "predict"),
    ("train", "train"),
    ("runs", "runs"),
    ("sweep", "sweep"),
]


class LabParser(argparse.ArgumentParser):
    """argparse with the project's rule for usage mistakes too: one ``error: ...`` line, exit 2.

    argparse's own error prints the whole usage block (eleven lines for ``train``) above the
    message; the line here names the mistake and where the full usage is. Subparsers inherit it.
    """

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or ``command``'s part of it alone. Each command's module imports
    what that command needs, and a process runs one command: a training process need not hold
    what ``sweep`` or ``predict`` import (memory a trainer keeps for its whole run)."""
    parser = LabParser(
        prog="python -m lenet_core",
        description="LeNet Lab: shape tables, datasets, training runs and predictions for LeNet.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS:
        if command in (None, name):
            importlib.import_module(f"lenet_core.cli.{module}").add_parser(sub)
    return parser


def _command_in(argv: list[str]) -> str | None:
    """The command ``argv`` starts with, if it starts with one (``--help`` first: none)."""
    return argv[0] if argv and argv[0] in dict(COMMANDS) else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at exit: a closed pipe is then caught below
        return status
    except BrokenPipeError:
        return _reader_gone()
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _reader_gone() -> int:
    """The reader of our output left (``... | head -3``): stop quietly, as Unix tools do.

    Standard output is pointed at /dev/null so the interpreter's last flush cannot fail again.
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1
