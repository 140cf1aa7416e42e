"""Reliability and security (issue 10): faults, bad input and load, each proven here.

Real SQLite files, real trainer processes, real file-size limits; nothing of our own is mocked.
The cases already proven elsewhere are listed in docs/reliability.md with their test names.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from helpers import ROOT, TINY_LENET5, cli, wait_for

from lenet_core import runs
from lenet_core.cli import main
from lenet_core.data.preprocess import load_image
from lenet_core.errors import LabError
from lenet_core.model.checkpoints import read_checkpoint
from lenet_core.runs.export import escape_cell, to_csv, write_csv
from lenet_core.training.config import TrainConfig

CHILD_ENV = {"OMP_NUM_THREADS": "1"}  # the machine is shared: one thread a trainer


# ---- faults ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_runs_outlive_a_crashed_server_three_at_once_on_two_cores(lab_home, monkeypatch):
    """Three runs launched by three processes that are then killed -9, as a Streamlit server
    restarted mid-run: each detached trainer carries on, and each keeps to its own rows."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    launcher = ("import os, signal, sys\nfrom lenet_core import runs\n"
                "from lenet_core.training.config import TrainConfig\n"
                f"run, _ = runs.start(TrainConfig(**{TINY_LENET5!r}, seed=int(sys.argv[1])),"
                " name=sys.argv[1])\n"
                "run_id = run.id\n"
                "print(run_id, flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n")
    ids = []
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", launcher, seed], capture_output=True, text=True,
                              cwd=ROOT, timeout=120)
        assert done.returncode == -signal.SIGKILL  # the "server" died right after launching
        ids.append(done.stdout.strip())
    store = runs.RunStore()
    for run_id in ids:
        run = wait_for(store, run_id, lambda r: not r.active)
        assert run.status == "completed", run.error
    frame = store.metrics(ids)
    for seed, run_id in zip(("1", "2", "3"), ids, strict=True):
        assert store.get(run_id).name == seed
        losses = frame[(frame.run_id == run_id) & (frame.name == "train_loss")]
        assert len(losses) == 4 and losses["step"].is_monotonic_increasing  # 4 batches, one point each
        assert read_checkpoint(runs.run_dir(run_id) / "final.pt")["meta"]["run_id"] == run_id
    assert len({store.get(i).pid for i in ids}) == 3


def _limit_file_size(limit: int):
    def apply():
        # As a full disk: a write past the limit fails with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.slow
def test_a_full_disk_fails_the_run_in_one_line_and_leaves_nothing_half_written(lab_home):
    """The trainer may write no file past 100 kB (a LeNet-5 checkpoint is ~250 kB): the run fails
    with a message saying what happened, no partial checkpoint is left, the store stays sound."""
    argv = [sys.executable, "-m", "lenet_core", "train", "--name", "full disk"]
    argv += [f"--{k.replace('_', '-')}={v}" for k, v in TINY_LENET5.items()]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=240,
                          env={**os.environ, **CHILD_ENV}, preexec_fn=_limit_file_size(100_000))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("error: ") and "could not write the checkpoint (File too large)" in message
    (run,) = runs.RunStore().list()
    assert run.status == "failed" and "File too large" in run.error
    folder = runs.run_dir(run.id)
    assert [p.name for p in folder.iterdir() if p.name != "worker.log"] == []  # no .tmp, no .pt
    with sqlite3.connect(lab_home / "runs.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not runs.RunStore().metrics(run.id).empty  # what it recorded before is kept


def test_a_home_that_is_a_file_or_inside_one_is_refused_in_words(tmp_path, monkeypatch, capsys):
    """ENOTDIR and EEXIST work even as root (chmod does not stop root): the store says what to do,
    the CLI prints one line and exits 2, and the file in the way is untouched."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("my notes")
    for home in (blocker, blocker / "lab"):
        with pytest.raises(LabError, match="cannot open the run store.*LENET_LAB_HOME"):
            runs.RunStore(home)
        monkeypatch.setenv("LENET_LAB_HOME", str(home))
        assert main(["runs", "list"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "cannot open the run store" in err and "Traceback" not in err
    assert blocker.read_text() == "my notes"


def run_with_read_only_home(home, *argv) -> subprocess.CompletedProcess:
    """``python -m lenet_core ARGV`` while ``home`` is read-only: by chmod for a normal user; for
    root, whom chmod does not stop, by a read-only bind mount in a private mount namespace."""
    command = [sys.executable, "-m", "lenet_core", *argv]
    env = {**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1"}
    if os.geteuid() != 0:
        home.chmod(0o500)
        try:
            return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        finally:
            home.chmod(0o700)
    can_unshare = shutil.which("unshare") and subprocess.run(["unshare", "-m", "true"]).returncode == 0
    if not can_unshare:
        pytest.skip("root without mount namespaces here: no way to make a folder read-only for root")
    remount = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", remount, str(home), *command], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_a_read_only_home_is_refused_in_words_and_its_runs_are_untouched(lab_home):
    """A home folder the user cannot write: starting a run or listing runs says what is wrong and
    what to do, in one line with exit status 2; the store already there is left exactly as it was."""
    assert cli("train", "--dataset", "mnist-5k", "--arch", "lenet-modern", "--epochs", "1",
               "--train-subset", "128", "--init", "default", "--name", "before")[0] == 0
    before = (lab_home / "runs.db").read_bytes()
    for argv in (["train", "--dataset", "mnist-5k", "--epochs", "1", "--train-subset", "128"],
                 ["runs", "list"]):
        result = run_with_read_only_home(lab_home, *argv)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert "cannot open the run store" in result.stderr and "writable folder" in result.stderr
    assert (lab_home / "runs.db").read_bytes() == before
    assert [r.name for r in runs.RunStore(lab_home).list()] == ["before"]


@pytest.mark.slow
def test_a_busy_store_waits_for_the_other_writer_and_loses_no_rows(lab_home):
    """Another process holds the write lock for a second and a half: our writes wait, then land;
    both writers' rows are there."""
    store = runs.RunStore()
    run = store.create(TrainConfig(**TINY_LENET5), "busy")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "conn.execute('BEGIN IMMEDIATE')\n"
         "conn.execute(\"INSERT INTO metrics VALUES (?, 0, 0, 'lr', 0.5, 0)\", (sys.argv[2],))\n"
         "print('locked', flush=True)\ntime.sleep(1.5)\nconn.execute('COMMIT')\n",
         str(store.path), run.id], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    recorder = runs.StoreRecorder(store, run.id)
    began = time.monotonic()
    for step in range(1, 21):
        recorder.metrics(step, step / 20, {"train_loss": 1.0 / step, "train_acc": 0.5}, float(step))
    waited = time.monotonic() - began
    assert holder.wait(30) == 0
    frame = store.metrics(run.id)
    assert frame["name"].value_counts().to_dict() == {"train_loss": 20, "train_acc": 20, "lr": 1}
    assert waited > 0.5  # the first write really waited for the lock (a fact, not a speed limit)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_checkpoint_is_refused_in_words(tmp_path, damage):
    from lenet_core.model.checkpoints import pretrained_path
    good = pretrained_path().read_bytes()
    path = tmp_path / "final.pt"
    path.write_bytes({"truncated": good[: len(good) // 2], "garbage": b"\x00not a zip" * 100,
                      "empty": b""}[damage])
    with pytest.raises(LabError, match="corrupt or truncated checkpoint"):
        read_checkpoint(path)
    assert path.stat().st_size == {"truncated": len(good) // 2, "garbage": 1000, "empty": 0}[damage]


# ---- bad input ---------------------------------------------------------------------------------

def test_an_empty_upload_is_not_an_image():
    with pytest.raises(LabError, match=r"empty.png: not an image: the file is empty \(0 bytes\)"):
        load_image(b"", "empty.png")


@pytest.mark.parametrize("run_id", ["../../etc/passwd", "/etc/passwd", "20261128-143012-3fa9/../x", "", "."])
def test_every_run_command_refuses_a_path_as_run_id(lab_home, run_id, capsys):
    for verb in ("show", "stop", "resume", "delete", "export"):
        assert main(["runs", verb, run_id]) == 2
        assert "is not a run id" in capsys.readouterr().err
    assert not any(p for p in lab_home.parent.iterdir() if p.name not in ("lab",))


# ---- load and security -----------------------------------------------------------------------

def test_metric_reads_use_the_run_index(lab_home):
    store = runs.RunStore()
    with sqlite3.connect(store.path) as conn:
        plan = conn.execute("EXPLAIN QUERY PLAN SELECT run_id, step, epoch, name, value, wall_time "
                            "FROM metrics WHERE run_id IN (?, ?) ORDER BY run_id, step, rowid",
                            ("a", "b")).fetchall()
    details = " ".join(row[-1] for row in plan)
    assert "USING INDEX metrics_by_run" in details and "SCAN metrics" not in details


def test_exported_csv_cells_that_could_be_formulas_are_escaped(lab_home):
    store = runs.RunStore()
    run = store.create(TrainConfig(**TINY_LENET5), "export")
    with sqlite3.connect(store.path) as conn:  # a hostile metric name written straight into the file
        conn.executemany("INSERT INTO metrics VALUES (?, ?, 0, ?, ?, 0)",
                         [(run.id, 1, '=HYPERLINK("http://x","y")', 1.0), (run.id, 2, "+1", 2.0),
                          (run.id, 3, "@SUM(A1)", 3.0), (run.id, 4, "train_loss", -0.5)])
    code, out = cli("runs", "export", run.id)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'@SUM(A1)", "train_loss"]
    assert rows[-1]["value"] == "-0.5"  # numbers stay numbers
    assert cli("runs", "export", run.id, "--output", str(lab_home / "out.csv"))[0] == 0
    assert (lab_home / "out.csv").read_text() == out  # the file gets exactly what stdout does
    frame = pd.DataFrame({"name": ["-2", "\tx", "ok", None], "value": [-1.0, 2.0, 3.0, 4.0]})
    assert to_csv(frame).splitlines()[1:] == ["'-2,-1.0", "'\tx,2.0", "ok,3.0", ",4.0"]
    assert escape_cell(-3) == -3


def test_a_csv_export_that_cannot_be_written_leaves_the_old_file_whole(tmp_path):
    """Out of space half-way (a real file-size limit in a child process): the earlier export at
    that path is untouched, no temp file is left, and the message says what happened."""
    target = tmp_path / "metrics.csv"
    target.write_text("an earlier export\n")
    child = ("import sys, pandas as pd\nfrom lenet_core.errors import LabError\n"
             "from lenet_core.runs.export import write_csv\n"
             "frame = pd.DataFrame({'name': ['train_loss'] * 50_000, 'value': [0.5] * 50_000})\n"
             "try:\n    write_csv(frame, sys.argv[1])\nexcept LabError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", child, str(target)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, preexec_fn=_limit_file_size(50_000))
    assert "cannot write the CSV (File too large)" in done.stdout, done.stderr
    assert target.read_text() == "an earlier export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.csv"]
    with pytest.raises(LabError, match="cannot write the CSV"):
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "metrics.csv" / "inside-a-file.csv")
