"""An epoch slider for a training run: pick which of the run's checkpoints to look at.

    picked = pick_model("explore", digits_only=False)   # ui.models: bundled model or a run
    picked = pick_epoch(picked, "explore")              # a run: its checkpoint at the chosen epoch

Moving the slider over a run's epoch checkpoints shows its feature maps forming as training went
on. The bundled model has no epochs and is returned as it is. Checkpoints are loaded through
``ui.models.load_option`` and so share its cache.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from torch import nn

from lenet_core.model.checkpoints import CheckpointMeta
from lenet_core.paths import lab_home
from lenet_core.runs import checkpoint_paths
from pages.ui import state
from pages.ui.models import ModelOption, PickedModel, load_option

RUN_PREFIX = "run:"


def run_id_of(option: ModelOption) -> str | None:
    return option.key[len(RUN_PREFIX):] if option.key.startswith(RUN_PREFIX) else None


def epoch_options(option: ModelOption, home: Path | None = None) -> list[tuple[int, ModelOption]]:
    """``[(epoch, option)]`` for each checkpoint the run saved, in epoch order."""
    by_epoch: dict[int, Path] = {}
    for epoch, path in checkpoint_paths(run_id_of(option), home or lab_home()):
        # final.pt (and a stopped run's last.pt) repeat the last epoch's number: keep one per epoch
        by_epoch.setdefault(int(epoch), Path(path))
    return [(epoch, ModelOption(f"{option.key}:epoch:{epoch}", f"{option.label} · epoch {epoch}",
                                path, option.dataset, option.arch, None, option.name))
            for epoch, path in sorted(by_epoch.items())]


def pick_epoch(picked: PickedModel, key: str, container=None) -> PickedModel:
    """For a run, a slider over its saved epochs (the last by default) and that checkpoint loaded."""
    where = container or st
    run_id = run_id_of(picked.option)
    if run_id is None:
        return picked
    options = epoch_options(picked.option)
    if not options:
        where.warning(f"{picked.option.name} has no epoch checkpoints to step through (it saved only "
                      "its final model): showing the final model.", icon=":material/history:")
        return picked
    epochs = [epoch for epoch, _ in options]
    if len(epochs) == 1:
        where.caption(f"{picked.option.name} saved one checkpoint, after epoch {epochs[0]}.")
        return load_option(options[0][1])
    epoch = where.select_slider("Epoch", epochs, value=epochs[-1], key=state.key(key, f"epoch_{run_id}"),
                                help="The run's checkpoint after this many epochs: slide to watch the "
                                "feature maps form as training went on.")
    return load_option(dict(options)[epoch])


def epoch_models(option: ModelOption) -> list[tuple[int, nn.Module, CheckpointMeta]]:
    """Every epoch checkpoint of a run, loaded (through the shared cache):
    ``[(epoch, model, meta)]``."""
    if run_id_of(option) is None:
        return []
    loaded = [(epoch, load_option(o)) for epoch, o in epoch_options(option)]
    return [(epoch, picked.model, picked.meta) for epoch, picked in loaded]
