"""The benchmarks under bench/: each script runs on a tiny setting and prints its table or one
JSON object with the figures it promises (no timing is asserted: speeds live in the report)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import ROOT

pytestmark = pytest.mark.slow


def bench(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def report(*args: str, home) -> dict:
    done = bench(*args, "--json", home=home)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, "--json prints exactly one line on stdout (progress goes to stderr)"
    return json.loads(lines[0])


def test_engine_speed_reports_a_b_c_and_memory(lab_home):
    (lab_home / "data").mkdir()
    (lab_home / "data" / "keep.txt").write_text("the bench borrows this folder and leaves it alone")
    r = report("bench.engine_speed", "--quick", "--rounds", "1", "--warmup", "0",
               "--train-subset", "512", "--workers", "2", home=lab_home)
    a, b, c = r["tutorial_examples_per_sec"], r["engine_examples_per_sec"], r["floor_examples_per_sec"]
    assert a > 0 and b > 0 and c > 0
    assert r["speedup_vs_tutorial"] == pytest.approx(b / a) and r["fraction_of_floor"] == pytest.approx(b / c)
    assert (r["dataset"], r["train_examples"]) == ("mnist-5k", 512)
    for variant in ("tutorial", "engine", "floor"):
        assert len(r["rounds"][variant]) == 1 and r["rounds"][variant][0]["examples"] == 512
    # same initial weights, same batches in the same order: the two loops agree
    assert abs(r["accuracy_gap_points"]) < 1.0
    assert r["peak_rss_mb"] > 100 and r["memory"]["exit_status"] == 0
    assert [row["measure"] for row in r["table"]][:3] == ["A tutorial loop (examples/s)",
                                                         "B our engine (examples/s)",
                                                         "C compute floor (examples/s)"]
    assert (lab_home / "data" / "keep.txt").is_file() and not (lab_home / "runs.db").exists()


def test_store_overhead_times_each_write_and_the_reading_page(lab_home):
    r = report("bench.store_overhead", "--quick", "--train-subset", "1024", home=lab_home)
    assert r["store_writes_per_epoch"] >= 2  # at its reporting points at least
    assert 0.0 < r["store_write_share"] < 1.0 and r["store_write_ms_median"] > 0
    assert r["engine_live_examples_per_sec"] > 0


def test_inside_overhead_times_the_inside_recorder_within_each_run(lab_home):
    r = report("bench.inside_overhead", "--quick", home=lab_home)
    assert set(r["share"]) == {"lenet-classic", "lenet-modern"}
    assert all(0.0 < share < 1.0 for share in r["share"].values()) and r["target"] == 0.03
    assert r["points_per_run"] == 4  # 1,024 examples in batches of 256: every batch is a point


def test_canvas_and_store_load_and_the_table_without_json(lab_home):
    canvas = report("bench.canvas_latency", "--repeats", "5", home=lab_home)
    assert 0 < canvas["canvas_ms_worst"] < 1000 and canvas["budget_ms"] == 3.0
    load = report("bench.store_load", "--runs", "5", "--rows", "500", "--repeats", "1", home=lab_home)
    assert load["uses_index"] and load["total_ms"] > 0
    table = bench("bench.store_load", "--runs", "5", "--rows", "500", "--repeats", "1", home=lab_home)
    assert table.returncode == 0 and table.stdout.startswith("Store load: ")
    assert "all three (ms)" in table.stdout


def test_python_m_bench_runs_the_chosen_scripts_and_refuses_bad_numbers(lab_home):
    r = report("bench", "--only", "store_load", "--quick", home=lab_home)
    assert list(r) == ["store_load"] and r["store_load"]["runs"] == 20
    bad = bench("bench.engine_speed", "--workers", "-1", home=lab_home)
    assert bad.returncode == 2 and "-1 is out of range: at least 0" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_scene_update_reports_what_each_input_and_each_model_send(lab_home):
    out = report("bench.scene_update", "--quick", home=lab_home)
    assert set(out["architectures"]) == {"lenet-classic", "lenet5", "lenet-modern", "lenet-wide"}
    for figures in out["architectures"].values():
        # 4 bytes a unit in base64 (4/3), a little JSON around them
        assert figures["units"] * 16 / 3 < figures["values_kb"] * 1000 < figures["units"] * 6
        assert figures["ms"] > 0 and 100 < figures["bundle_kb"] + figures["view_kb"] < out["once_limit_kb"]
    assert out["architectures"]["lenet5"]["units"] == 9_134


def test_page_reruns_times_a_rerun_of_every_page(lab_home):
    out = report("bench.page_reruns", "--quick", "--no-browser", "--rounds", "1", home=lab_home)
    tree = out["trees"]["working tree"]
    assert set(tree["pages"]) == {"home", "shapes", "training", "draw", "explorer"}
    assert all(page["rerun_ms"] > 0 and page["page_load_s"] is None for page in tree["pages"].values())
    assert tree["sweep_edit_s"] is None  # a browser figure: --no-browser leaves it out


def test_time_to_accuracy_times_each_target_from_process_start(lab_home):
    out = report("bench.time_to_accuracy", "--quick", home=lab_home)
    assert set(out["targets"]) == {"0.50", "0.60"}
    (run,) = out["rounds"]
    assert run["status"] in ("completed", "stopped") and run["best_test_acc"] >= 0.6
    for target in out["targets"].values():
        seconds = target["seconds"][0]
        assert target["median_seconds"] == seconds and target["epochs"] == [1]
        # after the process started (imports and data loading count), before it was timed out
        assert 1 < seconds < 600
    bad = bench("bench.time_to_accuracy", "--targets", "0.9,2", home=lab_home)
    assert bad.returncode == 2 and "each target must be between 0 and 1" in bad.stderr


def test_gpu_check_writes_one_json_and_says_when_it_ran_on_the_cpu(tmp_path):
    """bench/gpu_check.sh as a GPU machine runs it (here, without one: on the CPU, shortened)."""
    import torch

    env = {**os.environ, "OUT": str(tmp_path / "out"), "LENET_LAB_HOME": str(tmp_path / "lab"),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run(["bash", "bench/gpu_check.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out" / "gpu-check.json").read_text())
    assert result["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    for name in ("tests", "tutorial", "bench", "time_to_accuracy"):
        assert result[name]["exit_status"] == 0, result[name]
    assert result["tutorial"]["run"]["status"] == "completed"
    assert set(result["tutorial"]["vs_tutorial"]) == {"train_loss", "train_acc", "test_acc"}
    assert result["bench"]["b_over_a"] > 0
    assert all(target["rounds_reaching"] == 1 for target in result["time_to_accuracy"]["targets"].values())
    if result["device"] == "cpu":
        assert "no CUDA GPU" in result["note"] and result["gpu"] is None


def test_exercises_trains_the_tutorials_net_and_an_exercise_as_saved_elsewhere(lab_home):
    out = report("bench.exercises", "--quick", "--only", "lenet-classic", "lenet-fc2", "--lr", "0.3",
                 home=lab_home)
    assert out["dataset"] == "mnist-5k" and out["epochs"] == 1 and out["lr"] == "0.3"
    classic, fewer = out["networks"]
    assert (classic["name"], fewer["name"]) == ("lenet-classic", "lenet-fc2")
    assert (classic["params"], fewer["params"]) == (61_706, 51_902)  # fc2's 84 units and weights gone
    assert fewer["layers"].endswith("flatten fc(120) sigmoid fc(10)") and fewer["status"] == "completed"
    assert not (lab_home / "runs.db").exists()  # its runs live in a scratch home


@pytest.mark.e2e
def test_browser_engines_runs_both_engines_on_every_network_and_counts_their_bytes(lab_home):
    from bench.browser_engines import ORT_DIST, ORT_MODULE
    from tests.e2e.support import in_ci, missing_browser

    reason = missing_browser() or (None if (ORT_DIST / ORT_MODULE).is_file() else "no onnxruntime-web")
    if reason and not in_ci():
        pytest.skip(f"real-browser bench: {reason}")
    out = report("bench.browser_engines", "--quick", "--inputs", "4", "--ready-rounds", "1", home=lab_home)
    assert list(out["networks"]) == ["bundled lenet-wide", "lenet-classic", "lenet5", "lenet-modern",
                                     "own: conv(32) conv(64) fc(128)"]
    assert out["multiply_adds"]["lenet-classic"] == 416_520  # the tutorial's table (docs/cli.md)
    for name, engines in out["networks"].items():
        for engine, figures in engines.items():
            assert figures["agree"] == 4, (name, engine)  # the first guess of all four as PyTorch's
            assert figures["worst_layer"] < 1e-4, (name, engine, figures["worst"])
            assert len(figures["times"]) == 4
        sizes = out["model_bytes"][name]
        assert sizes["onnx"] < sizes["interpreter"]  # raw float32 against base64 in JSON
    from lenet_core.model.browser import bundle_json
    from lenet_core.model.checkpoints import load_model, pretrained_path
    from lenet_core.model.onnx_export import onnx_bytes

    model, meta = load_model(pretrained_path("digits"))
    assert out["model_bytes"]["bundled lenet-wide"]["interpreter"] == len(bundle_json(model, meta))
    assert out["model_bytes"]["bundled lenet-wide"]["onnx"] == len(onnx_bytes(model, meta, every_layer=True))
    assert out["runtime_bytes"]["/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm"] > 1e6
    assert out["lines"]["interpreter"]["pages/components/net3d/forward.js"] > 50


def test_dataset_import_times_an_import_and_compares_loading(lab_home):
    out = report("bench.dataset_import", "--images", "300", "--repeats", "1", home=lab_home)
    assert out["images"] == 300 and out["import_seconds"] > 0 and out["peak_rss_mb"] > 10
    assert set(out["load_ms_per_thousand"]) == {"bench-import", out["dataset"]} and out["load_ratio"] > 0
    assert not (lab_home / "datasets").exists()  # it imported into a scratch home
