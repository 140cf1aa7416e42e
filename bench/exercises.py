"""The tutorial's exercises, trained: each network of the designer's exercise menu beside
lenet-classic, with the tutorial's recipe (SGD lr 0.9, batch 256, Xavier init, pixels in [0, 1]).

Each network trains in a process of its own (``lenet_core train --preset tutorial --arch NAME
--layers TEXT``), one after another, on Fashion-MNIST when it is here (the offline digits
otherwise, or --quick). Prints test accuracy, parameters and seconds of training for each: the
table in docs/training.md. Seconds compare only within one run of this script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import (
    ROOT,
    Report,
    at_least,
    emit,
    fmt,
    load_average,
    parser,
    pick_dataset,
    require,
    scratch_home,
)
from lenet_core.model.architectures import LENET_CLASSIC
from lenet_core.model.exercises import EXERCISES
from lenet_core.model.grammar import network_text


def networks() -> list[tuple[str, str, str]]:
    """(name, menu title, text): the tutorial's network, then each exercise."""
    return [(LENET_CLASSIC.name, "The tutorial's LeNet", network_text(LENET_CLASSIC))] + [
        (e.name, e.title, e.text) for e in EXERCISES]


def train(name: str, text: str, dataset: str, epochs: int, home: Path, lr: str | None) -> dict:
    """One network, trained in a process of its own; its closing JSON line."""
    layers = [] if name == LENET_CLASSIC.name else ["--layers", text]
    command = [sys.executable, "-m", "lenet_core", "train", "--preset", "tutorial", "--arch", name,
               *layers, "--dataset", dataset, "--epochs", str(epochs), *(["--lr", lr] if lr else []),
               "--json"]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "LENET_LAB_HOME": str(home)},
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode not in (0, 1) or not lines:  # 1: diverged or failed, reported in the row
        sys.exit(f"error: training {name} exited with {done.returncode}: {done.stderr.strip()[-400:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__)
    p.add_argument("--dataset", help="default: fashion-mnist when available, else mnist-5k")
    p.add_argument("--epochs", type=at_least(1), default=10, help="epochs each (default: 10)")
    p.add_argument("--lr", help="another learning rate than the tutorial's 0.9")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=[n for n, _, _ in networks()],
                   help="just these networks")
    args = p.parse_args(argv)
    dataset = pick_dataset(args.dataset, args.quick)
    require(dataset)
    epochs = 1 if args.quick else args.epochs
    chosen = [n for n in networks() if not args.only or n[0] in args.only]
    chosen = chosen[:2] if args.quick else chosen
    recipe = "the tutorial's recipe" + (f" with lr {args.lr}" if args.lr else "")
    report = Report(f"The tutorial's exercises: {epochs} epochs of {dataset}, {recipe}",
                    f"load average at the start: {fmt(load_average(), '.2f')}")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        home = scratch_home(Path(folder))
        for name, title, text in chosen:
            result = train(name, text, dataset, epochs, home, args.lr)
            rows.append({"name": name, "title": title, "layers": text, "status": result["status"],
                         "test_acc": result.get("test_acc"), "params": result.get("params"),
                         "seconds": result.get("seconds")})
            acc = result.get("test_acc")
            report.row(f"{title} ({name})", f"{acc:.3f}" if acc is not None else result["status"],
                       f"{result.get('params') or 0:,} parameters, {result.get('seconds') or 0:.0f} s")
    report.figures.update(dataset=dataset, epochs=epochs, lr=args.lr or "0.9", networks=rows)
    emit(report, args.json)


if __name__ == "__main__":
    main()
