"""``datasets``: which datasets can be used here, from where, and how to get the others; importing
a folder of your own images as a dataset (``datasets import``), and deleting one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tqdm import tqdm

from lenet_core import data
from lenet_core.data import imported
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
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    add_import_parser(actions)
    remove = actions.add_parser("delete", help="delete a dataset you imported",
                                description="Delete an imported dataset from the home folder. Runs "
                                            "trained on it keep their checkpoints.")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=run_delete)


def add_import_parser(actions) -> None:
    p = actions.add_parser(
        "import", help="import a folder (or a zip) of your own images as a dataset",
        description="Import a folder with one subfolder of images per class (PATH/cat/1.png, "
                    "PATH/dog/7.jpg: torchvision's ImageFolder layout), or train/ and test/ each "
                    "holding such subfolders, or a zip of either. PNG, JPEG, BMP and GIF of any "
                    "size; 2 to 100 classes. Files that cannot be read are skipped and named. The "
                    "dataset is stored in the home folder and trains like the built-in ones.")
    p.add_argument("path", metavar="PATH", type=Path, help="the folder or the zip")
    p.add_argument("--name", required=True, help="the dataset's name: lower-case letters, digits, - and _")
    p.add_argument("--side", type=int, choices=imported.SIDES, default=28,
                   help="the images' side in pixels (default 28)")
    p.add_argument("--colour", "--color", action="store_true",
                   help="keep the colours (3 channels); grey by default")
    p.add_argument("--style", choices=list(imported.STYLES), default="fit",
                   help="fit: " + imported.STYLES["fit"] + "; mnist: " + imported.STYLES["mnist"]
                   + " (default fit)")
    p.add_argument("--test-share", type=float, default=0.2, metavar="SHARE",
                   help="the share of each class held out to test on, when PATH has no train/ and "
                        "test/ (default 0.2)")
    p.add_argument("--seed", type=int, default=0, help="the seed of that random choice (default 0)")
    p.set_defaults(func=run_import)


def run_import(args) -> int:
    options = imported.ImportOptions(args.side, args.colour, args.style, args.test_share, args.seed)
    with tqdm(total=0, unit="image", desc=f"importing {args.name}", file=sys.stderr,
              disable=None, leave=False) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        made = imported.import_dataset(args.path, args.name, options, progress=progress)
    print(import_summary(made))
    return 0


def import_summary(made: imported.Imported) -> str:
    """What an import made, and what it skipped (the first few named)."""
    m = made.manifest
    train, test = sum(m["counts"]["train"]), sum(m["counts"]["test"])
    kind = "colour" if m["channels"] == 3 else "grey"
    lines = [f"imported {m['name']}: {len(m['classes'])} classes ({', '.join(m['classes'][:10])}"
             f"{', ...' if len(m['classes']) > 10 else ''}), {train:,} train / {test:,} test images, "
             f"{m['side']}×{m['side']} {kind}",
             f"  into {made.folder}"]
    if made.skipped:
        lines.append(f"  skipped {len(made.skipped):,} files: {imported.some_of(list(made.skipped))}")
    return "\n".join(lines)


def run_delete(args) -> int:
    folder = imported.delete_dataset(args.name)
    print(f"deleted {args.name} ({folder})")
    return 0


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
