"""Shared fixtures: every test gets its own LeNet Lab home folder."""

import pytest


@pytest.fixture
def lab_home(tmp_path, monkeypatch):
    """A fresh, empty ``LENET_LAB_HOME`` for this test (real folder, real files)."""
    home = tmp_path / "lab"
    home.mkdir()
    monkeypatch.setenv("LENET_LAB_HOME", str(home))
    return home


@pytest.fixture
def one_thread(monkeypatch):
    """The machine is shared: a run on one thread keeps OpenMP threads from waiting on each other
    when two trainers (or other jobs) share the cores. Trainer subprocesses inherit it."""
    import torch

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]

# A LeNet that learns the offline digits (4,000 training, 1,000 test images) in one pass of
# 63 batches: a few seconds a run.
ONE_PASS_DIGITS = dict(dataset="mnist-5k", arch="lenet-modern", init="default", optimizer="adam",
                       lr=0.01, batch_size=64, epochs=1)
# What every finished run's summary holds.
SUMMARY_KEYS = {"train_loss", "train_acc", "test_loss", "test_acc", "best_test_acc",
                "examples_per_sec", "seconds", "device", "per_class_acc", "confusion", "params"}


def open_page(path: str, timeout: float = 60):
    """Run the real entrypoint (navigation included), then switch to ``path`` and run it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout).run()
    if path != "pages/views/home.py":
        at.switch_page(path).run()
    return at


def wait_for(store, run_id: str, done, timeout: float = 240):
    """Poll the run store until ``done(run)``; on timeout, fail showing the trainer's log."""
    import time

    from lenet_core import runs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = store.get(run_id)
        if done(run):
            return run
        time.sleep(0.1)  # a real trainer process works meanwhile
    log = runs.run_dir(run_id, store.home) / "worker.log"
    pytest.fail(f"run {run_id} still {store.get(run_id).status}; log:\n"
                f"{log.read_text() if log.exists() else '(none)'}")


def cli(*argv) -> tuple[int, str]:
    """``python -m lenet_core ARGV`` in this process: its exit status and what it printed."""
    import io
    from contextlib import redirect_stdout

    from lenet_core.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()
