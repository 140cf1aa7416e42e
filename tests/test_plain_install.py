"""Installed the usual Streamlit way: ``pip install -r requirements.txt``, then ``streamlit run
app.py`` from the checkout, with no ``pip install -e .``. ``lenet_core`` is then importable only
because the checkout is the current folder; the trainer a page starts runs elsewhere (its home
folder) and must still find the same ``lenet_core``.

The test builds such an environment for real: a fresh virtualenv whose only link to this one is a
``.pth`` line naming its site-packages (so torch, streamlit and the rest import, but the editable
install's own ``.pth`` hook is not run and ``lenet_core`` does not import from elsewhere).
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ROOT, TINY

pytestmark = pytest.mark.slow

START_AND_WAIT = textwrap.dedent(f"""
    import sys, time
    from pathlib import Path
    from lenet_core import runs
    from lenet_core.training.config import TrainConfig
    home = Path(sys.argv[1])
    run, _ = runs.start(TrainConfig(**{TINY!r}), "plain install", home=home)
    store = runs.RunStore(home)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        run = next(r for r in runs.reap(store) if r.id == run.id)
        if not run.active:
            break
        time.sleep(0.2)
    print(run.status, run.error or "", sep="|")
""")


def bare_venv(folder: Path) -> Path:
    """A virtualenv that sees this one's packages but not the editable install of lenet_core;
    returns its python."""
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    target = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                            check=True, capture_output=True, text=True).stdout.strip()
    (Path(target) / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "LENET_LAB_HOME": str(home)}


def test_a_run_started_from_a_checkout_without_pip_install_e_trains(tmp_path):
    python = bare_venv(tmp_path / "venv")
    home = tmp_path / "lab"
    env = clean_env(home)
    # The premise: away from the checkout, this Python has torch but no lenet_core.
    probe = subprocess.run([str(python), "-c", "import torch\nimport lenet_core"], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
    assert "No module named 'lenet_core'" in probe.stderr, probe.stderr

    # From the checkout (as `streamlit run app.py` is run), a page starts a run; it must train.
    done = subprocess.run([str(python), "-c", START_AND_WAIT, str(home)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    status, error = done.stdout.strip().splitlines()[-1].split("|", 1)
    log = next(home.glob("runs/*/worker.log")).read_text()
    assert status == "completed", f"{status}: {error}\n{log}"
