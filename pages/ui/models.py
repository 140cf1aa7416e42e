"""Model picker: the bundled pretrained digit model, or any completed run, loaded once per file.

Used by the Draw page and the Layer Explorer::

    picked = pick_model("draw", digits_only=True)   # draws a selectbox, returns a PickedModel
    picked.model, picked.meta, picked.arch, picked.label, picked.test_acc

The bundled model comes first and is the default, so a page works on first launch. A checkpoint
that cannot be read shows ``st.error`` and stops the page (never a traceback).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import streamlit as st
import torch
from torch import nn

from lenet_core.data import digit_dataset
from lenet_core.errors import LabError
from lenet_core.format import format_percent
from lenet_core.model.architectures import Architecture
from lenet_core.model.checkpoints import (
    CheckpointMeta,
    architecture_of,
    load_model,
    pretrained_path,
    read_checkpoint,
)
from lenet_core.paths import db_path, lab_home
from lenet_core.runs import Run, checkpoint_paths, report, run_dir
from pages.ui import state

BUNDLED = "bundled:digits"


@dataclass(frozen=True)
class ModelOption:
    key: str  # "bundled:digits" or "run:<id>"
    label: str
    path: Path
    dataset: str
    arch: str
    test_acc: float | None
    name: str = "the bundled digit model"  # a run's own name, for sentences about it


@dataclass(frozen=True)
class PickedModel:
    option: ModelOption
    model: nn.Sequential
    meta: CheckpointMeta

    @property
    def arch(self) -> Architecture:
        return architecture_of(self.meta)

    @property
    def label(self) -> str:
        return self.option.label

    @property
    def test_acc(self) -> float | None:
        return self.option.test_acc


def _percent(acc: float | None) -> str:
    return "test accuracy unknown" if acc is None else f"test accuracy {format_percent(acc)}"


def bundled_option() -> ModelOption | None:
    path = pretrained_path("digits")
    if not path.is_file():
        return None
    try:
        meta = _checkpoint_meta(str(path), path.stat().st_mtime)
    except LabError:
        return None
    acc = (meta.get("metrics") or {}).get("test_acc")
    return ModelOption(BUNDLED, f"Bundled digit model · {meta['arch']} · {_percent(acc)}", path,
                       meta["dataset"], meta["arch"], acc)


@lru_cache(maxsize=16)
def _checkpoint_meta(path: str, mtime: float) -> dict:
    # Read once per file version: the page reruns on every stroke and must not reload weights.
    return read_checkpoint(Path(path))["meta"]


def run_label(run: Run) -> str:
    """"Run tiny · lenet5 · mnist-5k · test accuracy 60.8% · <id>", without repeating what the
    name already says: a run named by default is called "lenet5 · mnist-5k" already."""
    said = set(run.name.split(" · "))
    parts = [f"Run {run.name}"] + ([] if run.status == "completed" else [run.status])
    parts += [part for part in (run.config.arch, run.config.dataset) if part not in said]
    return " · ".join(parts + [_percent(run.summary.get("test_acc")), run.id])


def run_options(home: Path, digits_only: bool, any_status: bool = False) -> list[ModelOption]:
    """Completed runs that have a final checkpoint, newest first (as the run store lists them).

    ``any_status`` (the explorer's epoch slider) lists running, stopped and failed runs too, each
    pointing at its newest checkpoint, which may not exist yet (the picker then says so).
    """
    if not db_path(home).is_file():  # a page that only reads never creates the store
        return []
    options = []
    for run in state.run_store(home).list():
        if digits_only and not digit_dataset(run.config.dataset):
            continue
        if run.status != "completed" and not any_status:
            continue
        path = run_dir(run.id, home) / "final.pt"
        if not path.is_file():
            if not any_status:
                continue
            saved = checkpoint_paths(run.id, home)
            path = saved[-1][1] if saved else path
        options.append(ModelOption(f"run:{run.id}", run_label(run), path, run.config.dataset,
                                   run.config.arch, run.summary.get("test_acc"), f"“{run.name}”"))
    return options


def model_options(home: Path | None = None, digits_only: bool = True,
                  any_status: bool = False) -> list[ModelOption]:
    bundled = bundled_option()
    return ([bundled] if bundled else []) + run_options(home or lab_home(), digits_only, any_status)


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _load(path: str, mtime: float) -> tuple[nn.Sequential, CheckpointMeta]:
    # mtime is part of the cache key: a checkpoint rewritten in place is loaded again.
    model, meta = load_model(Path(path))
    arch = architecture_of(meta)
    with torch.inference_mode():  # the first pass is slow (allocations): pay it here, not on a stroke
        model(torch.zeros(1, *arch.input_shape))
    return model, meta


def load_option(option: ModelOption) -> PickedModel:
    model, meta = _load(str(option.path), option.path.stat().st_mtime)
    return PickedModel(option, model, meta)


def _missing_note(key: str) -> str | None:
    """"checkpoint missing" when the chosen run's folder was emptied by hand (see lenet_core.runs.report)."""
    if not key.startswith("run:"):
        return None
    try:
        return report.missing_checkpoint_note(state.run_store(lab_home()).get(key.removeprefix("run:")))
    except LabError:
        return None  # deleted meanwhile: the generic message will do


def pick_model(key: str, digits_only: bool = True, container=None, any_status: bool = False) -> PickedModel:
    """A selectbox of the models (bundled first), and the chosen one loaded (cached).

    ``any_status`` lists unfinished runs too (see :func:`run_options`)."""
    where = container or st
    options = model_options(digits_only=digits_only, any_status=any_status)
    if not options:
        where.error("No model is available: the bundled model file lenet_core/model/pretrained/digits.pt "
                    "is missing and no training run has completed. Train one with "
                    "`python -m lenet_core train --dataset mnist-5k`.", icon=":material/error:")
        st.stop()
    by_key = {o.key: o for o in options}
    chosen = where.selectbox("Model", list(by_key), format_func=lambda k: by_key[k].label,
                             key=state.key(key, "model"),
                             help="The bundled model ships with LeNet Lab; completed training runs "
                             "on a digit dataset appear here too.")
    if not by_key[chosen].path.is_file():  # only listed with any_status
        if note := _missing_note(chosen):
            where.error(note, icon=":material/folder_off:")
            st.stop()
        where.error(f"**{by_key[chosen].label.split(' · ')[0]} has no checkpoint yet.** A run saves one "
                    "at the end of each epoch: wait for its first epoch to finish, or choose another "
                    "model.", icon=":material/hourglass_empty:")
        st.stop()
    try:
        return load_option(by_key[chosen])
    except LabError as exc:
        where.error(f"**This model cannot be loaded.** {exc}", icon=":material/error:")
        st.stop()
