"""Shared fixtures: every test gets its own LeNet Lab home folder. Shared functions: helpers.py."""

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
