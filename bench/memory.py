"""Peak resident memory of a command, each measured in a process of its own.

On Linux a process's peak (``ru_maxrss``) starts from the peak of the memory it replaced when it
exec'd: a command started straight from the bench inherits the bench's own high-water mark
(a `python -c pass` started by a process holding 1.5 GB reports 1,526 MB). So the command is
started by a small launcher process (plain Python, no torch: about 10 MB), which waits for it and
writes the command's own figures to a file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, scratch_home

# Runs argv[2:] with the launcher's stdin/stdout/stderr, then writes its peak and exit status to
# argv[1]. Linux reports ru_maxrss in kilobytes, macOS in bytes.
LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"peak_bytes": usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024),
               "exit_status": os.waitstatus_to_exitcode(status),
               "seconds": time.perf_counter() - start}, f)
"""


def peak_rss(command: list[str], work: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command`` (its output to ``work/out.txt``) and return its peak RSS in MB, its exit
    status, its wall time and its output's lines."""
    figures, output = work / "peak.json", work / "out.txt"
    with open(output, "w") as out:
        subprocess.run([sys.executable, "-c", LAUNCHER, str(figures), *command], cwd=ROOT, env=env,
                       stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)
    result = json.loads(figures.read_text())
    return {"peak_rss_mb": result["peak_bytes"] / 2**20, "exit_status": result["exit_status"],
            "process_s": result["seconds"], "lines": output.read_text().strip().splitlines()}


def peak_rss_of_training(name: str, arch: str, device: str, train_subset: int = 0) -> dict[str, Any]:
    """Peak resident memory of a fresh `python -m lenet_core train` process: one epoch of
    ``name``, as a run started from the dashboard (a process of its own) trains it."""
    work = Path(tempfile.mkdtemp(prefix="lenet-bench-mem-"))
    env = {**os.environ, "LENET_LAB_HOME": str(scratch_home(work))}
    command = [sys.executable, "-m", "lenet_core", "train", "--dataset", name, "--arch", arch,
               "--epochs", "1", "--device", device, "--json"]
    if train_subset:
        command += ["--train-subset", str(train_subset)]
    try:
        measured = peak_rss(command, work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = measured.pop("lines")
    result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return {**measured, "dataset": name, "examples_per_sec": result.get("examples_per_sec"),
            "test_acc": result.get("test_acc")}
