"""The trainer's named steps seen from a recorder: a recorder looks inside the network at each
reporting point without the loop changing, and every way a run ends is one Outcome, told once."""

import copy
import threading

import pytest
import torch
import torch.nn.functional as F
from helpers import TINY

from lenet_core.training.config import TrainConfig
from lenet_core.training.engine import batch_count, reporting_points, train
from lenet_core.training.records import InsidePoint, Recorder, Recorders

pytestmark = [pytest.mark.usefixtures("one_thread", "lab_home"), pytest.mark.slow]

# 8 batches an epoch (400 examples, 50 a batch): five distinct reporting points, {2, 3, 5, 6, 8}.
EIGHT_BATCHES = {**TINY, "batch_size": 50, "epochs": 2}


def weighted_layers(model: torch.nn.Module) -> dict[str, torch.nn.Module]:
    return {name: m for name, m in model.named_modules() if list(m.parameters(recurse=False))}


class GradientNorms(Recorder):
    """What the 'inside of training' recording needs, as a recorder alone: each weighted layer's
    gradient norm at every reporting point. It also takes the gradient apart by hand: a copy of
    the model at that point, run forward and backward on the same batch."""

    def __init__(self):
        self.points: list[tuple[int, float, dict[str, float]]] = []
        self.by_hand: list[dict[str, float]] = []
        self.losses: list[tuple[float, float]] = []  # (the point's loss, the copy's loss)
        self.events: list[tuple[str, int]] = []

    def inside(self, point: InsidePoint):
        assert point.model.training
        layers = weighted_layers(point.model)
        self.points.append((point.step, point.epoch, {name: layer_norm(m) for name, m in layers.items()}))
        self.events.append(("inside", point.step))
        twin = copy.deepcopy(point.model)  # the weights that produced the gradients, if before the step
        twin.zero_grad(set_to_none=True)
        loss = F.cross_entropy(twin(point.x).float(), point.y)
        loss.backward()
        self.by_hand.append({name: layer_norm(m) for name, m in weighted_layers(twin).items()})
        self.losses.append((point.loss.item(), loss.item()))

    def metrics(self, step, epoch, values, wall_time):
        if "train_loss" in values:
            self.events.append(("metrics", step))


def layer_norm(module: torch.nn.Module) -> float:
    grads = [p.grad.flatten() for p in module.parameters(recurse=False)]
    return float(torch.linalg.vector_norm(torch.cat(grads)))


class Rows(Recorder):
    def __init__(self):
        self.rows = []

    def metrics(self, step, epoch, values, wall_time):
        self.rows += [(step, epoch, name, value) for name, value in values.items()
                      if name != "examples_per_sec"]


def test_a_recorder_sees_every_layers_gradient_at_each_reporting_point_and_changes_nothing():
    config = TrainConfig(**EIGHT_BATCHES)
    norms, rows = GradientNorms(), Rows()
    outcome = train(config, Recorders(norms, rows))
    assert outcome.status == "completed"

    assert batch_count(400, 50, merge_single=True) == 8 and len(reporting_points(8)) == 5
    assert len(norms.points) == 5 * 2  # five points an epoch, two epochs
    train_rows = [(step, epoch) for step, epoch, name, _ in rows.rows if name == "train_loss"]
    assert [(step, epoch) for step, epoch, _ in norms.points] == train_rows  # the same points
    assert norms.events == [(kind, step) for step, _ in train_rows for kind in ("inside", "metrics")]

    names = ["conv1", "bn1", "conv2", "bn2", "fc1", "bn3", "fc2", "bn4", "fc3"]  # lenet-modern
    for (_, _, seen), by_hand, (loss, again) in zip(norms.points, norms.by_hand, norms.losses):
        assert list(seen) == names
        assert all(value > 0 for value in seen.values())
        # The batch's gradient of the weights before the step: a copy recomputes it exactly.
        assert seen == pytest.approx(by_hand, rel=1e-5)
        assert loss == pytest.approx(again, rel=1e-6)
    assert norms.points[0][2] != norms.points[-1][2]  # each point's own gradients, not one read

    plain = Rows()
    train(config, plain)
    assert plain.rows == rows.rows  # looking inside changed no number of the run


class Ending(Recorder):
    """Everything after the end is a bug: it notes each call, and the outcome it was told."""

    def __init__(self, stop: threading.Event | None = None, stop_at_step: int | None = None):
        self.stop, self.stop_at_step = stop, stop_at_step
        self.calls: list[str] = []
        self.told = []
        self.inside_steps: list[int] = []

    def inside(self, point):
        self.calls.append("inside")
        self.inside_steps.append(point.step)

    def progress(self, progress):
        self.calls.append("progress")
        if self.stop_at_step is not None and progress.step >= self.stop_at_step:
            self.stop.set()

    def metrics(self, step, epoch, values, wall_time):
        self.calls.append("metrics")

    def checkpoint(self, epoch, path):
        self.calls.append(f"checkpoint {path.name}")

    def finish(self, outcome):
        self.calls.append("finish")
        self.told.append(outcome)


@pytest.mark.parametrize("way", ["completed", "stopped", "diverged"])
def test_each_way_out_is_one_outcome_returned_and_told_once_at_the_very_end(way, tmp_path):
    stop = threading.Event()
    settings = {**TINY, "lr": 1e6} if way == "diverged" else TINY  # 4 batches: points {1, 2, 3, 4}
    recorder = Ending(stop, stop_at_step=2 if way == "stopped" else None)
    outcome = train(TrainConfig(**settings), recorder, checkpoint_dir=tmp_path, stop=stop)

    assert outcome.status == way
    assert recorder.told == [outcome] and recorder.told[0] is outcome
    assert recorder.calls[-1] == "finish"
    last_file = {"completed": "checkpoint final.pt", "stopped": "checkpoint last.pt", "diverged": None}[way]
    assert (recorder.calls[-2] == last_file) if last_file else not any(
        c.startswith("checkpoint") for c in recorder.calls)
    assert (outcome.error is not None) == (way == "diverged")
    assert outcome.epochs_done == (1 if way == "completed" else 0)
    # The recorder looked inside at each point reached, the diverging one included.
    assert recorder.inside_steps == {"completed": [1, 2, 3, 4], "stopped": [1, 2],
                                     "diverged": [1, 2]}[way]
    if way == "diverged":
        assert "step 2 " in outcome.error


def test_a_crash_inside_the_loop_raises_and_no_outcome_is_told():
    """A failed run is the caller's to record (the worker marks it failed with the message): the
    engine lets the error through and tells the recorder no ending it did not reach."""

    class Breaks(Ending):
        def metrics(self, step, epoch, values, wall_time):
            raise RuntimeError("the store went away")

    recorder = Breaks()
    with pytest.raises(RuntimeError, match="the store went away"):
        train(TrainConfig(**TINY), recorder)
    assert recorder.told == [] and "finish" not in recorder.calls
