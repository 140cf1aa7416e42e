"""Question: how fast is a Fashion-MNIST split ready? Cold ``.gz`` parse vs the ``.npy`` disk cache
vs memory.

    .venv/bin/python -m bench.data_loading [--quick] [--json] [--split train] [--repeats 5]

Runs in a temporary LENET_LAB_HOME (your own cache is left alone), so the split comes from the
system package unless you pass --home. Variants are interleaved (A B C A B C ...) and medians
quoted, because this machine's speed drifts from moment to moment. The target: a cached train
split ready in under 1 s, also in a fresh process (imports included).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Report, at_least, emit, parser, require, verdict
from lenet_core import data

NAME = "fashion-mnist"

FRESH_PROCESS = """
import time
start = time.perf_counter()
from lenet_core import data
imported = time.perf_counter()
images, labels = data.load_split({name!r}, {split!r})
done = time.perf_counter()
print(f"{{imported - start:.3f}} {{done - imported:.3f}}")
"""


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cold_parse(home: Path, split: str) -> None:
    data.read_split(NAME, split, home)  # the .gz files, parsed and checked, no cache


def disk_cached(home: Path, split: str) -> None:
    data.clear_memory_cache()
    data.load_split(NAME, split, home)


def in_memory(home: Path, split: str) -> None:
    data.load_split(NAME, split, home)


def fresh_process(home: Path, split: str) -> tuple[float, float]:
    env = {**os.environ, "LENET_LAB_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", FRESH_PROCESS.format(name=NAME, split=split)],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    imports, load = (float(x) for x in out.split())
    return imports, load


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--split", default="train", choices=data.SPLITS)
    p.add_argument("--repeats", type=at_least(1), default=None, help="default 5 (--quick 1)")
    p.add_argument("--home", type=Path, default=None,
                   help="LENET_LAB_HOME to use (default: a fresh temporary folder)")
    args = p.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    home = args.home or Path(tempfile.mkdtemp(prefix="bench-data-"))
    require(NAME)
    found = data.dataset_availability(NAME, home)
    data.load_split(NAME, args.split, home)  # writes the disk cache
    variants = {"cold .gz parse": cold_parse, "disk cache (.npy)": disk_cached,
                "memory (same process)": in_memory}
    times: dict[str, list[float]] = {name: [] for name in variants}
    fresh: list[tuple[float, float]] = []
    for _ in range(repeats):
        for name, fn in variants.items():
            times[name].append(timed(lambda fn=fn: fn(home, args.split)))
        fresh.append(fresh_process(home, args.split))
    out = Report(f"Data loading: a {NAME} {args.split} split, ready",
                 f"from {found.source} ({found.location}); home {home}; medians of {repeats} "
                 "interleaved repeats")
    for name, values in times.items():
        out.row(f"{name} (s)", f"{statistics.median(values):.3f}", f"min {min(values):.3f}")
    imports = [i for i, _ in fresh]
    loads = [load for _, load in fresh]
    out.row("fresh process: import lenet_core (s)", f"{statistics.median(imports):.3f}")
    out.row("fresh process: load_split from the cache (s)", f"{statistics.median(loads):.3f}",
            verdict(statistics.median(loads), 1.0, "< 1 s"))
    cold, cached = statistics.median(times["cold .gz parse"]), statistics.median(loads)
    out.figures = {"cold_s": cold, "cached_s": cached, "speedup": cold / cached,
                   **{name: statistics.median(v) for name, v in times.items()}}
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
