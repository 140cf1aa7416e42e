"""``python -m lenet_core datasets``: a real subprocess against a home folder with real files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import write_dataset

from lenet_core.cli import main

ROOT = Path(__file__).resolve().parents[1]


def lenet(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LENET_LAB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "lenet_core", "datasets", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_json_report_lists_every_dataset_with_state_source_and_sizes(lab_home):
    write_dataset(lab_home / "data" / "MNIST" / "raw", gz=True)
    done = lenet(lab_home, "--json")
    assert done.returncode == 0, done.stderr
    reports = {r["name"]: r for r in json.loads(done.stdout)}
    assert list(reports) == ["fashion-mnist", "mnist", "mnist-5k"]
    for report in reports.values():
        assert {"name", "state", "source", "train_size", "test_size", "remedy"} <= set(report)
        assert report["state"] in ("available", "downloadable", "unavailable")
        assert (report["remedy"] is None) == (report["state"] == "available")
    mnist = reports["mnist"]
    assert (mnist["state"], mnist["source"], mnist["train_size"], mnist["test_size"]) == (
        "available", "data folder", 30, 20)
    assert (reports["mnist-5k"]["train_size"], reports["mnist-5k"]["test_size"]) == (4000, 1000)


@pytest.mark.slow
def test_text_report_gives_the_remedy_and_download_never_runs_for_files_present(lab_home):
    done = lenet(lab_home)
    assert done.returncode == 0, done.stderr
    mnist_line = next(line for line in done.stdout.splitlines() if " mnist " in line)
    assert "downloadable" in mnist_line and "--download mnist" in mnist_line
    assert "4,000 train / 1,000 test" in done.stdout

    write_dataset(lab_home / "data" / "MNIST" / "raw", gz=False)
    done = lenet(lab_home, "--download", "mnist")
    assert done.returncode == 0, done.stderr
    assert "mnist is already available (data folder" in done.stdout and "nothing downloaded" in done.stdout
    assert sorted(p.name for p in (lab_home / "data").iterdir()) == ["MNIST"]


def test_an_unknown_dataset_is_a_usage_error(lab_home, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["datasets", "--download", "cifar10"])
    assert exited.value.code == 2
    assert "invalid choice: 'cifar10'" in capsys.readouterr().err
