"""The bench: `python -m lenet_core bench --quick --json` on a tiny setting (no timing assertions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lenet_core import bench, data
from lenet_core.cli import main

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("tutorial_examples_per_sec", "engine_examples_per_sec", "floor_examples_per_sec",
            "speedup_vs_tutorial", "fraction_of_floor", "canvas_ms_median", "device")


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LENET_LAB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lenet_core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory) -> dict:
    """One tiny bench: 512 digits, one round, every part (live reader and memory included)."""
    home = tmp_path_factory.mktemp("lab")
    (home / "data").mkdir()
    (home / "data" / "keep.txt").write_text("the bench borrows this folder and leaves it alone")
    done = run_cli("bench", "--quick", "--json", "--rounds", "1", "--warmup", "0", "--train-subset", "512",
                   "--canvas-repeats", "5", "--workers", "2", home=home)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, "--json prints exactly one line on stdout (the log goes to stderr)"
    assert (home / "data" / "keep.txt").is_file(), "the scratch home's link to data/ was followed"
    assert not (home / "runs.db").exists(), "the bench's runs went into the user's store"
    return json.loads(lines[0])


@pytest.mark.slow
def test_quick_json_has_the_promised_keys(quick_report):
    for key in REQUIRED:
        assert key in quick_report, key
    assert quick_report["dataset"] == "mnist-5k"
    assert quick_report["train_examples"] == 512
    assert quick_report["device"].startswith("CPU")


@pytest.mark.slow
def test_quick_json_figures_are_consistent(quick_report):
    r = quick_report
    a, b, c = r["tutorial_examples_per_sec"], r["engine_examples_per_sec"], r["floor_examples_per_sec"]
    assert a > 0 and b > 0 and c > 0
    assert r["speedup_vs_tutorial"] == pytest.approx(b / a)
    assert r["fraction_of_floor"] == pytest.approx(b / c)
    # each variant ran once and trained on the 512 examples of one epoch
    for variant in ("tutorial", "engine", "floor", "engine_live"):
        assert len(r["rounds"][variant]) == 1, variant
    assert r["rounds"]["tutorial"][0]["examples"] == 512
    assert r["rounds"]["engine"][0]["examples"] == 512
    assert r["rounds"]["engine"][0]["status"] == "completed"
    assert r["rounds"]["floor"][0]["examples"] == 512  # 2 steps of 256


@pytest.mark.slow
def test_quick_json_accuracy_store_canvas_memory(quick_report):
    r = quick_report
    assert 0.0 <= r["tutorial_test_acc"] <= 1.0 and 0.0 <= r["engine_test_acc"] <= 1.0
    assert r["accuracy_gap_points"] == pytest.approx((r["engine_test_acc"] - r["tutorial_test_acc"]) * 100)
    # same initial weights, same batches in the same order: the two loops agree
    assert abs(r["accuracy_gap_points"]) < 1.0
    # the engine wrote metrics at its reporting points (2 batches: 2 distinct points)
    assert r["store_writes_per_epoch"] >= 2
    assert 0.0 < r["store_write_share"] < 1.0
    assert r["rounds"]["engine_live"][0]["page_reads"] >= 0
    assert r["canvas_ms_median"] > 0
    assert r["canvas"]["bare_forward_ms"] > 0
    assert r["memory"]["exit_status"] == 0
    assert r["peak_rss_mb"] > 50  # a Python process with torch loaded


@pytest.mark.slow
def test_text_report_is_the_performance_table(quick_report):
    text = bench.render(quick_report)
    lines = text.splitlines()
    assert "| measure | value | target |" in lines
    speedup = next(line for line in lines if line.startswith("| B/A speedup over the tutorial |"))
    assert f"{quick_report['speedup_vs_tutorial']:.2f}×" in speedup
    assert any(line.startswith("| C compute floor (examples/s) |") for line in lines)


def test_bench_refuses_zero_rounds(capsys):
    assert main(["bench", "--quick", "--rounds", "0"]) == 2
    assert "error: --rounds: 0 is out of range" in capsys.readouterr().err


def test_tutorial_reads_the_same_data_as_the_engine(tmp_path):
    """Variant A's torchvision dataset holds exactly the engine's images and labels."""
    settings = bench.BenchSettings(dataset="mnist-5k", workers=0)
    loop = bench.TutorialLoop("mnist-5k", tmp_path / "lab", tmp_path / "tv", settings, torch.device("cpu"))
    images, labels = data.read_split("mnist-5k", "train")
    dataset = loop.train_iter.dataset
    assert len(dataset) == len(labels)
    for index in (0, 1234, len(labels) - 1):
        x, y = dataset[index]
        assert y == int(labels[index])
        np.testing.assert_allclose(x.numpy()[0], images[index] / 255.0, atol=1e-6)  # ToTensor


def test_warm_up_rounds_stay_out_of_the_medians():
    samples = bench.Samples()
    rates_by_variant = {"tutorial": (4_000, 5_000), "engine": (15_000, 16_000), "floor": (16_000, 17_000)}
    for variant, rates in rates_by_variant.items():
        samples.add(f"warmup_{variant}", {"seconds": 1.0, "examples": 1})  # a slow first epoch
        for rate in rates:
            samples.add(variant, {"seconds": 1.0, "examples": rate, "test_acc": 0.5, "eval_s": 0.1,
                                  "store_share": 0.01, "store_writes": 5, "store_write_ms": [2.0]})
    report = bench.summarise(bench.BenchSettings(rounds=2), "mnist-5k", torch.device("cpu"), samples,
                             canvas={}, memory=None, load_before=None, load_after=None)
    assert report["tutorial_examples_per_sec"] == 4_500
    assert report["engine_examples_per_sec"] == 15_500
    assert report["speedup_vs_tutorial"] == pytest.approx(15_500 / 4_500)
    assert report["fraction_of_floor"] == pytest.approx(15_500 / 16_500)
    assert len(report["rounds"]["warmup_engine"]) == 1
    assert report["live_read_slowdown"] is None  # no B+live rounds
    assert "| B/C fraction of the floor | 0.94 |" in bench.render(report)


def test_bench_refuses_negative_counts_before_it_starts(capsys):
    """--workers -1 reached the DataLoader: a ValueError traceback after the data had loaded."""
    assert main(["bench", "--quick", "--workers", "-1", "--canvas-repeats", "-5",
                 "--train-subset", "-1"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --workers: -1 is out of range: at least 0",
        "error: --canvas-repeats: -5 is out of range: at least 0",
        "error: --train-subset: -1 is out of range: at least 0"]


def test_bench_names_an_absent_dataset_with_this_homes_remedy(lab_home, capsys):
    """The bench trains in a scratch home: its remedy named that temporary folder."""
    assert main(["bench", "--quick", "--dataset", "mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: MNIST is ") and "cannot be benchmarked" in err
    assert str(lab_home / "data" / "MNIST" / "raw") in err and "lenet-bench" not in err
