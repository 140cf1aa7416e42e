"""Shared fixtures: every test gets its own LeNet Lab home folder."""

import pytest


@pytest.fixture
def lab_home(tmp_path, monkeypatch):
    """A fresh, empty ``LENET_LAB_HOME`` for this test (real folder, real files)."""
    home = tmp_path / "lab"
    home.mkdir()
    monkeypatch.setenv("LENET_LAB_HOME", str(home))
    return home


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def open_page(path: str, timeout: float = 60):
    """Run the real entrypoint (navigation included), then switch to ``path`` and run it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout).run()
    if path != "pages/views/home.py":
        at.switch_page(path).run()
    return at
