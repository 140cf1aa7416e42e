"""``python -m lenet_core``: mistakes a user makes on the command line, and Ctrl-C during ``train``.

Real subprocesses (or ``lenet_core.cli.main``) against a temporary home; tiny runs on mnist-5k.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lenet_core import runs
from lenet_core.cli import main

ROOT = Path(__file__).resolve().parents[1]


def lenet(home: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "lenet_core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, **kwargs)


# ---- usage mistakes -------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["train", "--preset", "bogus"], ["runs", "show"], ["nonsense"]])
def test_a_usage_mistake_is_one_error_line_with_exit_2(lab_home, argv, capsys):
    """argparse printed its whole usage block (eleven lines for train) above the message."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out = capsys.readouterr()
    assert exited.value.code == 2 and out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--help`" in lines[0], out.err


def test_a_number_flag_that_is_not_a_number_says_what_is_allowed(lab_home, capsys):
    """Was argparse's "invalid float value: 'abc'", without the allowed range the form shows."""
    assert main(["train", "--lr", "abc", "--epochs", "1.5", "--seed", "x"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --epochs: '1.5' is not a whole number (allowed: 1 to 1,000)",
        "error: --lr: 'abc' is not a number (allowed: > 0 and ≤ 1e7)",
        "error: --seed: 'x' is not a whole number (allowed: 0 to 2,147,483,647)"]
    assert runs.RunStore(lab_home).list() == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_an_absent_device_or_dataset_is_refused_before_a_run_is_recorded(lab_home, capsys):
    """Each was recorded as a failed run first, cluttering the Training page's list."""
    assert main(["train", "--dataset", "mnist-5k", "--device", "cuda:7", "--train-subset", "16"]) == 2
    assert capsys.readouterr().err.startswith("error: --device: device 'cuda:7' was asked for but no")
    assert main(["train", "--dataset", "mnist", "--train-subset", "16"]) == 2  # nothing in lab_home
    err = capsys.readouterr().err
    assert err.startswith("error: --dataset: MNIST is ") and "--download mnist" in err
    assert runs.RunStore(lab_home).list() == []


def test_resume_refuses_settings_it_would_ignore(lab_home, capsys):
    """`train --resume ID --epochs 5` continued with the old epoch count and said nothing."""
    assert main(["train", "--resume", "20261128-143012-3fa9", "--epochs", "5", "--lr", "0.1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --resume continues run 20261128-143012-3fa9 with the settings it "
                          "started with, so --epochs, --lr cannot apply")
