"""Question: does importing a folder of your own images take under 60 s and 1 GB for 60,000 28×28
PNGs here, and does the imported dataset load for training as fast as a built-in one?

    .venv/bin/python -m bench.dataset_import [--quick] [--json] [--images 60000] [--repeats 5]

Writes ``--images`` PNGs from Fashion-MNIST's training split (the offline digits when it is not
here; --quick: 3,000) into a scratch folder, a subfolder per class, and imports it with
``python -m lenet_core datasets import`` in a process of its own (bench.memory: its wall time and
peak memory, imports of torch included). Then loads both splits for training as a trainer does
(``data.load_split(..., keep=False)``), the imported dataset and the built-in one it came from
(read from its .npy disk cache) taking turns, and compares the medians per 1,000 images.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench.common import (
    Report,
    at_least,
    emit,
    fmt,
    load_average,
    log,
    median,
    parser,
    pick_dataset,
    ratio,
    scratch_home,
    verdict,
)
from bench.memory import peak_rss
from lenet_core import data

SECONDS, MEGABYTES, IMAGES = 60.0, 1024.0, 60_000
NAME = "bench-import"


def write_folder(dataset: str, count: int, folder: Path, home: Path) -> None:
    """``count`` training images of ``dataset`` as PNG files, ``folder/<class>/<index>.png``."""
    images, labels = data.read_split(dataset, "train", home, disk_cache=True)
    classes = data.get_dataset(dataset).classes
    for name in classes:
        (folder / name).mkdir(parents=True)
    for index in range(min(count, len(labels))):
        Image.fromarray(images[index]).save(folder / classes[labels[index]] / f"{index}.png")


def load_ms(name: str, home: Path) -> tuple[float, int]:
    """Both splits loaded as a trainer loads them: (milliseconds, images)."""
    started = time.perf_counter()
    count = sum(len(data.load_split(name, split, home, keep=False)[1]) for split in data.SPLITS)
    return (time.perf_counter() - started) * 1000, count


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--images", type=at_least(100), help=f"PNG files to import (default {IMAGES:,}; "
                                                        "--quick 3,000)")
    p.add_argument("--repeats", type=at_least(1), default=5, help="loads of each dataset (default 5)")
    args = p.parse_args(argv)
    count = args.images or (3_000 if args.quick else IMAGES)
    dataset = pick_dataset(None)
    with tempfile.TemporaryDirectory(prefix="lenet-bench-import-") as scratch:
        home = scratch_home(Path(scratch))
        folder = Path(scratch) / "folder"
        log(f"writing {count:,} PNG files from {dataset} ...")
        write_folder(dataset, count, folder, home)
        log("importing them with python -m lenet_core datasets import ...")
        env = {**os.environ, "LENET_LAB_HOME": str(home)}
        imported = peak_rss([sys.executable, "-m", "lenet_core", "datasets", "import", str(folder),
                             "--name", NAME], Path(scratch), env)
        if imported["exit_status"] != 0:
            sys.exit(f"error: the import failed: {' '.join(imported['lines'][-3:])}")
        loads = {NAME: [], dataset: []}
        for _ in range(args.repeats):  # taking turns: the machine's drift falls on both alike
            for name in loads:
                data.clear_memory_cache()
                loads[name].append(load_ms(name, home))
    per_thousand = {name: median([ms / n * 1000 for ms, n in times]) for name, times in loads.items()}
    seconds, peak = imported["process_s"], imported["peak_rss_mb"]
    out = Report("Importing a folder of your own images, and loading it for training",
                 f"{count:,} 28×28 PNG files from {dataset}; loads: median of {args.repeats}, taking "
                 f"turns; load average {fmt(load_average(), '.2f')}")
    full = count == IMAGES  # the targets are for 60,000 images
    out.row("import: wall time, process start to exit (s)", fmt(seconds, ".1f"),
            verdict(seconds, SECONDS, f"< {SECONDS:.0f} s") if full else f"(the target is for {IMAGES:,})")
    out.row("import: peak memory of the process (MB)", fmt(peak, ",.0f"),
            verdict(peak, MEGABYTES, f"< {MEGABYTES:,.0f} MB") if full else f"(the target is for {IMAGES:,})")
    out.row("import: images a second", fmt(count / seconds, ",.0f"))
    out.row(f"load for training, imported ({loads[NAME][0][1]:,} images): ms per 1,000 images",
            fmt(per_thousand[NAME], ".2f"))
    out.row(f"load for training, built-in {dataset} ({loads[dataset][0][1]:,} images): ms per 1,000",
            fmt(per_thousand[dataset], ".2f"))
    out.row("imported / built-in, per image", fmt(ratio(per_thousand[NAME], per_thousand[dataset]), ".2f"),
            "about 1 or less: as fast")
    out.figures = {"images": count, "dataset": dataset, "import_seconds": seconds, "peak_rss_mb": peak,
                   "load_ms_per_thousand": per_thousand, "load_ratio": ratio(per_thousand[NAME],
                                                                             per_thousand[dataset]),
                   "load_average": load_average()}
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
