"""``datasets``: which datasets can be used here, from where, and how to get the others."""

from __future__ import annotations

import json
import sys

from lenet_core import data
from lenet_core.format import format_megabytes

STATE_MARK = {data.AVAILABLE: "✓", data.DOWNLOADABLE: "↓", data.UNAVAILABLE: "✗"}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "datasets", help="show each dataset's availability, or download one",
        description="For each dataset: available (from where, with sizes), downloadable, or "
                    "unavailable, with the exact command that fixes it. Reading the report never "
                    "touches the network; --download does.",
    )
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of objects (name, state, source, train_size, test_size, "
                        "remedy, ...) instead of the text report")
    p.add_argument("--download", metavar="NAME", choices=[n for n in data.DATASETS
                                                          if n in data.TORCHVISION_FOLDER],
                   help="download a dataset with torchvision into <LENET_LAB_HOME>/data "
                        "(needs the internet; nothing is downloaded if it is already available)")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.download:
        return _download(args.download)
    reports = data.availability()
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        print(render(reports))
    return 0


def _download(name: str) -> int:
    before = data.dataset_availability(name)
    if before.state == data.AVAILABLE:
        print(f"{name} is already available ({before.source}: {before.location}); nothing downloaded")
        return 0
    target = data.data_folder(name)
    print(f"downloading {name} into {target} (needs the internet) ...", file=sys.stderr, flush=True)
    report = data.download(name)
    print(render([report]))
    return 0 if report.state == data.AVAILABLE else 1


def render(reports: list[data.Availability]) -> str:
    """The text report: one block per dataset, the state first, then where or what to do."""
    width = max(len(r.name) for r in reports)
    lines = []
    for r in reports:
        head = f"{STATE_MARK[r.state]} {r.name:<{width}}  {r.state:<12}"
        if r.state == data.AVAILABLE:
            lines.append(f"{head}  {r.train_size:,} train / {r.test_size:,} test, "
                         f"{format_megabytes(r.bytes_on_disk)} on disk")
            lines.append(f"  {'':<{width}}  from {r.source}: {r.location}")
        else:
            lines.append(f"{head}  {r.remedy}")
        lines += [f"  {'':<{width}}  skipped: {problem}" for problem in r.problems]
    return "\n".join(lines)
