"""A run's files: its folder ``<home>/runs/<id>/`` and the checkpoints in it.

``epoch-001.pt`` ... at each epoch's end, ``last.pt`` when the run was stopped mid-epoch (what
a resume needs), ``final.pt`` once it completed; ``worker.log`` holds its trainer's output.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lenet_core import paths
from lenet_core.errors import LabError
from lenet_core.model.checkpoints import pretrained_path, read_checkpoint
from lenet_core.runs.rows import RUN_ID, validate_run_id
from lenet_core.training.config import BUNDLED


def run_dir(run_id: str, home: Path | None = None) -> Path:
    return paths.runs_dir(home) / validate_run_id(run_id)


def checkpoint_paths(run_id: str, home: Path | None = None) -> list[tuple[int, Path]]:
    """``(epoch, path)`` for each epoch's checkpoint in order, then ``last.pt`` (written when
    the run was stopped) and ``final.pt`` if present; ``epoch`` counts completed epochs."""
    folder = run_dir(run_id, home)
    found = []
    for path in sorted(folder.glob("epoch-*.pt")):
        number = path.stem.split("-", 1)[1]
        if number.isdigit():
            found.append((int(number), path))
    for name in ("last.pt", "final.pt"):
        path = folder / name
        if path.is_file():
            found.append((_checkpoint_epoch(path), path))
    return found


def _checkpoint_epoch(path: Path) -> int:
    stat = path.stat()
    return _epoch_in(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _epoch_in(path: str, mtime_ns: int, size: int) -> int:
    """The epoch a checkpoint file holds, read once per version of the file (a page asks on every
    rerun, and loading a checkpoint takes ~15 ms)."""
    try:
        return int(read_checkpoint(Path(path))["meta"].get("epoch", 0))
    except LabError:
        return 0


def best_checkpoint(run_id: str, home: Path | None = None) -> Path | None:
    """The checkpoint that holds the run's result: ``final.pt``, else the newest one."""
    found = checkpoint_paths(run_id, home)
    finals = [p for _, p in found if p.name == "final.pt"]
    return finals[0] if finals else (found[-1][1] if found else None)


def resume_point(run_id: str, home: Path | None = None) -> tuple[Path, int, float]:
    """The checkpoint a resume starts from, its step and the run's elapsed seconds there: the
    further on of ``last.pt`` (written on stop) and the newest epoch checkpoint. A file that cannot
    be read safely is an error."""
    found = [p for _, p in checkpoint_paths(run_id, home) if p.name != "final.pt"]
    epoch_files = [p for p in found if p.name.startswith("epoch-")]
    candidates = [p for p in found if p.name == "last.pt"] + epoch_files[-1:]
    best: tuple[Path, int, float] | None = None
    for path in candidates:
        resume = read_checkpoint(path).get("extra", {}).get("resume")
        if resume is None:
            raise LabError(f"{path}: holds no training state to resume from")
        if best is None or int(resume["step"]) > best[1]:
            best = (path, int(resume["step"]), float(resume.get("elapsed", 0.0)))
    if best is None:
        raise LabError(f"run {run_id} has no checkpoint to resume from")
    return best


def start_checkpoint(init_from: str, home: Path | None = None) -> Path | None:
    """The checkpoint whose weights a run starts from (its ``init_from``): None for fresh weights,
    the bundled digit model, or a run's result (``final.pt``, else its newest checkpoint)."""
    if not init_from:
        return None
    if init_from == BUNDLED:
        return pretrained_path()
    if not RUN_ID.match(init_from):
        raise LabError(f"{init_from!r} is neither a run's id (lenet-lab runs list) nor {BUNDLED}")
    path = best_checkpoint(init_from, home)
    if path is None:
        raise LabError(f"run {init_from} has no checkpoint here to start from (lenet-lab runs list)")
    return path
