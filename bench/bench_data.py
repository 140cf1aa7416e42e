"""How fast is a Fashion-MNIST split ready? Cold ``.gz`` parse vs the ``.npy`` disk cache vs memory.

    .venv/bin/python bench/bench_data.py [--split train] [--repeats 5]

Runs in a temporary LENET_LAB_HOME (your own cache is left alone), so the split comes from the
system package unless you pass --home. Variants are interleaved (A B C A B C ...) and medians
quoted, because this machine's speed drifts from moment to moment. The target: a cached train
split ready in under 1 s, also in a fresh process (imports included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lenet_core import data  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="train", choices=data.SPLITS)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--home", type=Path, default=None,
                        help="LENET_LAB_HOME to use (default: a fresh temporary folder)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="bench-data-"))

    report = data.dataset_availability(NAME, home)
    if report.state != data.AVAILABLE:
        print(f"{NAME} is {report.state}: {report.remedy}")
        return 1
    print(f"{NAME} {args.split} from {report.source} ({report.location}); home {home}")
    data.load_split(NAME, args.split, home)  # writes the disk cache

    variants = {"cold .gz parse": cold_parse, "disk cache (.npy)": disk_cached,
                "memory (same process)": in_memory}
    times: dict[str, list[float]] = {name: [] for name in variants}
    fresh: list[tuple[float, float]] = []
    for _ in range(args.repeats):
        for name, fn in variants.items():
            times[name].append(timed(lambda fn=fn: fn(home, args.split)))
        fresh.append(fresh_process(home, args.split))

    print(f"{'variant':<34} {'median s':>9} {'min s':>8}   ({args.repeats} interleaved repeats)")
    for name, values in times.items():
        print(f"{name:<34} {statistics.median(values):>9.3f} {min(values):>8.3f}")
    imports = [i for i, _ in fresh]
    loads = [load for _, load in fresh]
    total = [i + load for i, load in fresh]
    print(f"{'fresh process: import lenet_core':<34} {statistics.median(imports):>9.3f} {min(imports):>8.3f}")
    print(f"{'fresh process: load_split (cache)':<34} {statistics.median(loads):>9.3f} {min(loads):>8.3f}")
    print(f"{'fresh process: both':<34} {statistics.median(total):>9.3f} {min(total):>8.3f}")
    cold, cached = statistics.median(times["cold .gz parse"]), statistics.median(loads)
    verdict = "under" if cached < 1 else "OVER"
    print(f"cached split ready in {cached:.3f} s ({verdict} the 1 s target), "
          f"{cold / cached:.0f}× faster than parsing the .gz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
