"""Where LeNet Lab keeps its files: one home folder, ``LENET_LAB_HOME`` (default ``./lab``)."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "LENET_LAB_HOME"


def lab_home() -> Path:
    """The home folder (not created here): ``runs.db``, ``runs/`` and ``data/`` live inside it."""
    return Path(os.environ.get(HOME_ENV, "lab")).expanduser().resolve()


def data_dir(home: Path | None = None) -> Path:
    return (home or lab_home()) / "data"


def runs_dir(home: Path | None = None) -> Path:
    return (home or lab_home()) / "runs"


def db_path(home: Path | None = None) -> Path:
    return (home or lab_home()) / "runs.db"
