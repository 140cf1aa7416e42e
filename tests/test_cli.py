"""``python -m lenet_core``: mistakes a user makes on the command line, and Ctrl-C during ``train``.

Real subprocesses (or ``lenet_core.cli.main``) against a temporary home; tiny runs on mnist-5k.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import write_dataset

from lenet_core import runs
from lenet_core.cli import main

ROOT = Path(__file__).resolve().parents[1]


def lenet(home: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "lenet_core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, **kwargs)


# ---- usage mistakes -------------------------------------------------------------------------

def test_a_command_imports_its_own_module_alone(lab_home):
    """A trainer keeps what it imported for its whole run: ``train`` does not load what ``sweep``
    and ``predict`` need, while ``--help`` still lists every command."""
    code = ("import sys\nfrom lenet_core.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('lenet_core.cli.')), file=sys.stderr)")
    env = {**os.environ, "LENET_LAB_HOME": str(lab_home)}
    train = subprocess.run([sys.executable, "-c", code, "train", "--help"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert train.stderr.splitlines()[-1] == "['lenet_core.cli.train']", train.stderr
    whole = subprocess.run([sys.executable, "-m", "lenet_core", "--help"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert all(f"    {command} " in whole.stdout for command in ("shapes", "train", "runs", "sweep"))


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


def test_a_dataset_refused_for_a_damaged_file_names_the_file(lab_home, capsys):
    folder = lab_home / "data" / "MNIST" / "raw"
    write_dataset(folder, gz=True)
    cut = folder / "train-images-idx3-ubyte.gz"
    cut.write_bytes(cut.read_bytes()[:-50])  # a download cut short
    assert main(["train", "--dataset", "mnist", "--train-subset", "16"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --dataset: MNIST is ") and f"(skipped: {cut}: truncated" in err
    assert len(err.splitlines()) == 1 and runs.RunStore(lab_home).list() == []


def test_resume_refuses_settings_it_would_ignore(lab_home, capsys):
    """`train --resume ID --epochs 5` continued with the old epoch count and said nothing."""
    assert main(["train", "--resume", "20261128-143012-3fa9", "--epochs", "5", "--lr", "0.1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --resume continues run 20261128-143012-3fa9 with the settings it "
                          "started with, so --epochs, --lr cannot apply")


# ---- Ctrl-C during a foreground train ---------------------------------------------------------

def interrupt_when_training(home: Path, argv: list[str]) -> tuple[subprocess.Popen, str, str]:
    """Start ``train`` and send SIGINT (Ctrl-C) once it has recorded a training metric, so the
    stop comes mid-epoch; returns the process, its stderr and the run id."""
    env = {**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "lenet_core", "train", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()  # "run <id>: 4,000 examples, ..." once it has loaded the data
    run_id = first.split()[1].rstrip(":")
    store, deadline = runs.RunStore(home), time.monotonic() + 120
    while store.metrics([run_id]).empty and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    return proc, first + rest, run_id


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """A foreground run on mnist-5k (500 batches an epoch), Ctrl-C'd in its first epoch."""
    home = tmp_path_factory.mktemp("lab")
    proc, err, run_id = interrupt_when_training(
        home, ["--dataset", "mnist-5k", "--epochs", "2", "--batch-size", "8", "--name", "ctrl-c"])
    return home, proc, err, run_id


@pytest.mark.slow
def test_ctrl_c_stops_with_a_checkpoint_exit_130_and_says_how_to_resume(interrupted):
    home, proc, err, run_id = interrupted
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert runs.RunStore(home).get(run_id).status == "stopped"
    assert (runs.run_dir(run_id, home) / "last.pt").is_file()
    assert f"checkpoint saved: continue with `python -m lenet_core train --resume {run_id}`" in err


@pytest.mark.slow
def test_a_resumed_run_says_where_it_picks_up(interrupted):
    """It said "from epoch 0" for a run stopped in its first epoch."""
    home, _, _, run_id = interrupted
    proc, err, _ = interrupt_when_training(home, ["--resume", run_id])
    first = err.splitlines()[0]
    assert ", resuming at epoch 1, batch " in first and "from epoch 0" not in first, err
    assert proc.returncode == 130 and runs.RunStore(home).get(run_id).status == "stopped"


@pytest.mark.slow
def test_runs_show_writes_a_dash_for_figures_not_measured_yet(interrupted):
    """A run stopped before its first test read "test acc  (best ...)" with a gap."""
    home, _, _, run_id = interrupted
    done = lenet(home, "runs", "show", run_id)
    assert done.returncode == 0, done.stderr
    summary = next(line for line in done.stdout.splitlines() if line.startswith("summary"))
    assert "test acc — (" in summary and " , " not in summary and "acc  (" not in summary, summary
