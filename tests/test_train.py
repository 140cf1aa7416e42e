"""The training engine on the real offline digits (mnist-5k): tiny runs, a few seconds each."""

import math
import threading

import pytest
import torch
from helpers import ONE_PASS_DIGITS, SUMMARY_KEYS

from lenet_core import data
from lenet_core.errors import LabError
from lenet_core.model.architectures import build_model
from lenet_core.model.checkpoints import CheckpointMeta, load_model, read_checkpoint
from lenet_core.model.inputs import standardise
from lenet_core.training.augment import (
    ELASTIC_SHARE,
    _warp,
    augment,
    elastic_flow,
    shift_rotate_maps,
    stroke_width,
)
from lenet_core.training.config import TrainConfig
from lenet_core.training.engine import batch_count, batch_slice, lr_at, reporting_points, train
from lenet_core.training.evaluation import evaluate
from lenet_core.training.records import Recorder

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


class Capture(Recorder):
    """Keeps everything the engine reports; optionally asks it to stop after a given step."""

    def __init__(self, stop: threading.Event | None = None, stop_after_step: int | None = None):
        self.rows, self.checkpoints, self.info, self.outcome = [], [], None, None
        self.stop, self.stop_after_step = stop, stop_after_step
        self.progress_calls = 0
        self.rates = []  # (epoch, batch, examples/s) of each progress report

    def start(self, info):
        self.info = info

    def progress(self, progress):
        self.progress_calls += 1
        self.rates.append((progress.epoch, progress.batch, progress.examples_per_sec))
        if self.stop_after_step is not None and progress.step >= self.stop_after_step:
            self.stop.set()

    def metrics(self, step, epoch, values, wall_time):
        self.rows += [(step, round(epoch, 6), name, value) for name, value in values.items()]

    def checkpoint(self, epoch, path):
        self.checkpoints.append(path.name)

    def finish(self, outcome):
        self.outcome = outcome

    def named(self, name):
        return [(step, epoch, value) for step, epoch, n, value in self.rows if n == name]


def test_reporting_points_are_five_an_epoch_ending_at_its_end():
    assert reporting_points(235) == {47, 94, 141, 188, 235}  # Fashion-MNIST at batch 256
    assert reporting_points(63) == {13, 25, 38, 50, 63}
    assert reporting_points(3) == {1, 2, 3}  # fewer batches than points: one point a batch at most


def test_cosine_schedule_runs_from_lr_down_to_zero():
    config = TrainConfig(lr=0.4, schedule="cosine")
    assert lr_at(config, 0, 100) == pytest.approx(0.4)
    assert lr_at(config, 50, 100) == pytest.approx(0.2)
    assert lr_at(config, 100, 100) == pytest.approx(0.0, abs=1e-12)
    assert lr_at(TrainConfig(lr=0.4), 77, 100) == 0.4


@pytest.mark.slow
def test_short_run_beats_chance_and_reports_like_the_tutorial(tmp_path, lab_home):
    rec = Capture()
    outcome = train(TrainConfig(**{**ONE_PASS_DIGITS, "epochs": 2}), rec, checkpoint_dir=tmp_path, run_id="t")
    assert outcome.status == "completed" and outcome.epochs_done == 2
    # 63 batches an epoch: train loss/accuracy 5 times an epoch, the 5th at its end; test each epoch
    train_points = rec.named("train_loss")
    assert [epoch for _, epoch, _ in train_points] == [
        round(e + b / 63, 6) for e in (0, 1) for b in (13, 25, 38, 50, 63)]
    assert len(rec.named("train_acc")) == len(rec.named("lr")) == 10
    assert [epoch for _, epoch, _ in rec.named("test_acc")] == [1.0, 2.0]
    assert [epoch for _, epoch, _ in rec.named("examples_per_sec")] == [1.0, 2.0]
    summary = outcome.summary
    assert SUMMARY_KEYS <= set(summary)
    assert summary["test_acc"] > 0.5  # chance is 0.1
    assert summary["train_loss"] < math.log(10)
    assert summary["device"].startswith("CPU") and summary["params"] > 0
    assert len(summary["per_class_acc"]) == 10
    assert sum(map(sum, summary["confusion"])) == 1000
    assert rec.checkpoints == ["epoch-001.pt", "epoch-002.pt", "final.pt"]
    # The final checkpoint holds the same network: evaluating it again gives the same accuracy.
    model, meta = load_model(tmp_path / "final.pt")
    assert (meta.arch, meta.dataset, meta.epoch, meta.run_id) == ("lenet-modern", "mnist-5k", 2, "t")
    assert meta.metrics["test_acc"] == summary["test_acc"]
    images, labels = data.load_split("mnist-5k", "test")
    again = evaluate(model, images, labels, meta=meta)  # its mean/std and architecture
    assert again.accuracy == pytest.approx(summary["test_acc"], abs=1e-9)


@pytest.mark.slow
def test_a_fixed_seed_repeats_exactly_on_the_cpu(tmp_path, lab_home):
    config = TrainConfig(**ONE_PASS_DIGITS, train_subset=512, augment="digits")
    runs = []
    for name in ("a", "b"):
        rec = Capture()
        train(config, rec, checkpoint_dir=tmp_path / name)
        runs.append(rec)
    values = [[r for r in rec.rows if r[2] != "examples_per_sec"] for rec in runs]
    assert values[0] == values[1]
    first, second = (read_checkpoint(tmp_path / n / "final.pt")["state_dict"] for n in ("a", "b"))
    assert all(torch.equal(first[k], second[k]) for k in first)
    other = Capture()
    train(TrainConfig(**ONE_PASS_DIGITS, train_subset=512, augment="digits", seed=1), other)
    assert other.named("train_loss") != runs[0].named("train_loss")


@pytest.mark.slow
def test_stop_then_resume_continues_exactly_where_it_stopped(tmp_path, lab_home):
    config = TrainConfig(**{**ONE_PASS_DIGITS, "epochs": 2, "train_subset": 512, "optimizer": "sgd-momentum",
                            "lr": 0.05, "schedule": "cosine"})  # 8 batches an epoch
    whole = Capture()
    train(config, whole, checkpoint_dir=tmp_path / "whole")

    stop = threading.Event()
    first = Capture(stop, stop_after_step=11)  # mid-way through the second epoch
    outcome = train(config, first, checkpoint_dir=tmp_path / "split", stop=stop)
    assert outcome.status == "stopped" and outcome.epochs_done == 1
    assert first.checkpoints == ["epoch-001.pt", "last.pt"]
    stopped_model, meta = load_model(tmp_path / "split" / "last.pt")  # loadable as it is
    assert meta.epoch == 1

    second = Capture()
    outcome = train(config, second, checkpoint_dir=tmp_path / "split",
                    resume_from=tmp_path / "split" / "last.pt")
    assert outcome.status == "completed" and outcome.epochs_done == 2
    assert (second.info["start_epoch"], second.info["start_batch"]) == (1, 11 - 8)
    timing = ("examples_per_sec",)
    assert [r for r in first.rows + second.rows if r[2] not in timing] == \
        [r for r in whole.rows if r[2] not in timing]
    a = read_checkpoint(tmp_path / "whole" / "final.pt")["state_dict"]
    b = read_checkpoint(tmp_path / "split" / "final.pt")["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not (tmp_path / "split" / "last.pt").exists()  # superseded by final.pt


@pytest.mark.slow
def test_stop_before_the_first_batch_still_leaves_a_checkpoint(tmp_path, lab_home):
    stop = threading.Event()
    stop.set()
    rec = Capture()
    outcome = train(TrainConfig(**ONE_PASS_DIGITS, train_subset=128), rec, checkpoint_dir=tmp_path, stop=stop)
    assert outcome.status == "stopped" and rec.rows == []
    assert load_model(tmp_path / "last.pt")[1].epoch == 0


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["lenet-classic", "lenet-modern"])
def test_a_huge_learning_rate_diverges_and_stops(arch, tmp_path, lab_home):
    rec = Capture()
    config = TrainConfig(dataset="mnist-5k", arch=arch, lr=1e6, batch_size=64, epochs=3)
    outcome = train(config, rec, checkpoint_dir=tmp_path)
    assert outcome.status == "diverged"
    assert "learning rate 1e6 is too high" in outcome.error
    assert rec.named("test_acc") == []  # stopped at the first reporting point of epoch 1
    assert "step 13 " in outcome.error  # 63 batches an epoch: the first point is after batch 13
    assert rec.progress_calls == 13  # one a batch, the diverging one included (the page shows it)
    assert rec.checkpoints == []  # NaN weights are not worth a file


def test_evaluate_matches_a_plain_forward_pass():
    torch.manual_seed(0)
    model = build_model("lenet5").eval()
    images, labels = data.load_split("mnist-5k", "test")
    info = data.get_dataset("mnist-5k")
    meta = CheckpointMeta("lenet5", "mnist-5k", list(info.classes), info.mean, info.std)
    result = evaluate(model, images, labels, meta=meta, batch_size=300)
    x = torch.nn.functional.pad((images[:, None].float() / 255 - info.mean) / info.std, (2, 2, 2, 2))
    with torch.no_grad():
        logits = model(x)
    expected = logits.argmax(1)
    assert torch.equal(result.predictions, expected)
    assert result.accuracy == pytest.approx((expected == labels).float().mean().item())
    assert result.loss == pytest.approx(torch.nn.functional.cross_entropy(logits, labels).item(),
                                        rel=1e-5)
    assert torch.allclose(result.confidences, logits.softmax(1).max(1).values)
    assert result.confusion.sum() == 1000 and result.confusion.shape == (10, 10)
    for digit in range(10):
        members = labels == digit
        assert result.per_class_acc[digit] == pytest.approx(
            (expected[members] == digit).float().mean().item())
    assert not model.training


def test_evaluate_needs_the_checkpoint_metadata_for_raw_pixels():
    with pytest.raises(LabError, match="normalisation"):
        evaluate(build_model("lenet-classic"), torch.zeros(2, 28, 28, dtype=torch.uint8),
                 torch.zeros(2, dtype=torch.int64))


def digits_as_input(count: int = 16):
    images, _ = data.load_split("mnist-5k", "train")
    info = data.get_dataset("mnist-5k")
    return standardise(images[:count], info.mean, info.std, "lenet-classic"), (0 - info.mean) / info.std


@pytest.mark.parametrize("kind", ["digits", "canvas", "clothing"])
def test_each_augmentation_moves_the_images_repeatably_and_keeps_the_background(kind):
    x, background = digits_as_input()
    moved = augment(kind, x, torch.Generator().manual_seed(1), background)
    assert moved.shape == x.shape and moved.is_contiguous(memory_format=torch.channels_last)
    assert not torch.allclose(moved, x)
    assert torch.equal(moved, augment(kind, x, torch.Generator().manual_seed(1), background))
    assert not torch.equal(moved, augment(kind, x, torch.Generator().manual_seed(2), background))
    blank = torch.full((4, 1, 28, 28), background)
    assert torch.allclose(augment(kind, blank, torch.Generator().manual_seed(2), background), blank)
    ink = x > 1.0  # light: most ink stays ink
    assert (moved[ink] > 0).float().mean() > 0.5
    assert torch.equal(augment("none", x, torch.Generator(), background), x)


def test_clothing_mirrors_about_half_the_batch_and_nothing_else():
    background = -0.5
    x = torch.full((200, 1, 28, 28), background)
    x[:, :, 12:15, 3:6] = 2.0  # a blob on the left: mirrored, it lands on the right
    moved = augment("clothing", x, torch.Generator().manual_seed(0), background)
    mirrored = torch.tensor([torch.equal(m, o.flip(2)) for m, o in zip(moved, x)])
    kept = torch.tensor([torch.equal(m, o) for m, o in zip(moved, x)])
    assert (mirrored | kept).all() and not (mirrored & kept).any()
    assert 70 < int(mirrored.sum()) < 130


def test_canvas_makes_strokes_thinner_and_thicker_and_bends_them_smoothly():
    x, background = digits_as_input(90)
    changed = stroke_width(x, torch.Generator().manual_seed(0), background)
    ink, new_ink = (x - background).sum((1, 2, 3)), (changed - background).sum((1, 2, 3))
    assert (new_ink < 0.9 * ink).sum() > 15 and (new_ink > 1.1 * ink).sum() > 15
    assert (new_ink == ink).sum() > 15
    flow = elastic_flow(8, 28, 28, torch.Generator().manual_seed(0))
    pixels = flow * 14  # grid units → pixels on a 28-pixel side
    assert 1.0 < float(pixels.pow(2).sum(-1).sqrt().mean()) < 3.0  # about 1.5 px a point
    neighbours = (pixels[:, 1:] - pixels[:, :-1]).abs().mean()
    assert float(neighbours) < 0.3 * float(pixels.abs().mean())  # smooth: a bend, not noise


def test_canvas_bends_about_half_the_batch_and_only_shifts_and_rotates_the_rest():
    # Bending every drawing, or slanting and scaling them, cost accuracy on drawn digits (see
    # lenet_core/training/augment.py): the other half keeps the smooth strokes a pen makes.
    x, background = digits_as_input(200)
    moved = augment("canvas", x, torch.Generator().manual_seed(3), background)
    same_draws = torch.Generator().manual_seed(3)  # the recipe's draws, in its order, minus the bend
    thinned = stroke_width(x, same_draws, background)
    unbent = _warp(thinned, shift_rotate_maps(200, 28, 28, same_draws), background)
    kept = torch.tensor([torch.allclose(m, u, atol=1e-5) for m, u in zip(moved, unbent)])
    assert ELASTIC_SHARE == 0.5
    assert 70 < int(kept.sum()) < 130


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_an_absent_gpu_is_explained(lab_home):
    with pytest.raises(LabError, match="no CUDA GPU is available"):
        train(TrainConfig(**ONE_PASS_DIGITS, device="cuda"))


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_run_with_bf16_names_the_gpu(tmp_path, lab_home):
    rec = Capture()
    config = TrainConfig(**ONE_PASS_DIGITS, device="cuda", precision="bf16")
    outcome = train(config, rec, checkpoint_dir=tmp_path)
    assert outcome.status == "completed"
    assert torch.cuda.get_device_name(0) in outcome.summary["device"]
    assert outcome.summary["test_acc"] > 0.5
    model, _ = load_model(tmp_path / "final.pt")  # saved on the CPU, loads anywhere
    assert next(model.parameters()).device.type == "cpu"


@pytest.mark.slow
def test_the_live_rate_counts_only_examples_whose_time_was_measured(tmp_path, lab_home):
    """The clock is read at reporting points only: between them the rate must stay put, not grow
    with every batch (which showed 22,000 examples/s on a machine that trains 5,000)."""
    rec = Capture()
    train(TrainConfig(**ONE_PASS_DIGITS, train_subset=20 * 64), rec, checkpoint_dir=tmp_path)  # 20 batches
    points = reporting_points(20)  # {4, 8, 12, 16, 20}
    rates = {batch: rate for _, batch, rate in rec.rates}
    assert all(rates[b] == 0.0 for b in range(1, 4))  # nothing timed yet this epoch
    for start in sorted(points)[:-1]:
        between = {rates[b] for b in range(start, start + 4)}  # a point and the batches after it
        assert len(between) == 1 and between.pop() > 0


# ---- batch norm and a batch of one ----------------------------------------------------------

def test_a_trailing_batch_of_one_is_merged_for_batch_norm_and_kept_otherwise():
    assert batch_count(4000, 3999, merge_single=True) == 1  # one batch of 4,000
    assert batch_count(4000, 3999, merge_single=False) == 2  # 3,999 and 1
    assert batch_count(65, 64, merge_single=True) == 1
    assert batch_count(129, 64, merge_single=True) == 2  # 64 and 65
    assert batch_slice(1, 2, 64, 129) == slice(64, 129)
    assert batch_count(128, 64, merge_single=True) == 2  # nothing to merge
    assert batch_count(1, 64, merge_single=True) == 1


@pytest.mark.slow
def test_lenet_modern_trains_when_the_last_batch_would_hold_one_example(lab_home):
    """PyTorch's batch norm refuses a batch of one ("Expected more than 1 value per channel"): it
    failed mid-run with a traceback at batch size 3,999 on the 4,000 offline digits."""
    rec = Capture()
    config = TrainConfig(**{**ONE_PASS_DIGITS, "batch_size": 64, "train_subset": 129})  # 64, 64 and 1
    outcome = train(config, rec)
    assert outcome.status == "completed"
    assert rec.info["batches"] == 2 and rec.info["examples"] == 129
