"""``arch``: the networks there are to train — the built-in ones and those saved in the home
folder — listed, shown in the grammar, added from text or a file, and deleted."""

from __future__ import annotations

import json
from pathlib import Path

from lenet_core.errors import LabError
from lenet_core.model import saved
from lenet_core.model.architectures import ARCHITECTURES
from lenet_core.model.grammar import layers_text
from lenet_core.model.shapes import shape_table


def add_parser(sub) -> None:
    p = sub.add_parser("arch", help="list, show, add or delete networks (built-in and saved)",
                       description="Networks: the built-in ones, and those saved in "
                       "<LENET_LAB_HOME>/architectures/ as NAME.json.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    v = verbs.add_parser("list", help="every network: built-in, then saved (a broken file with why)")
    v.add_argument("--json", action="store_true", help="a JSON list of objects")
    v.set_defaults(func=list_networks)
    v = verbs.add_parser("show", help="one network: its layers in the grammar and its size")
    v.add_argument("name")
    v.add_argument("--json", action="store_true", help="the saved file's form")
    v.set_defaults(func=show)
    v = verbs.add_parser("add", help="save a network under a name",
                         description="Save a network: its layers as text, e.g. "
                         "\"conv(6,5,pad=2) sigmoid maxpool(2) conv(16,5) sigmoid maxpool(2) flatten "
                         "fc(120) sigmoid fc(84) sigmoid fc(10)\", or a network file (JSON).")
    v.add_argument("name", help="1 to 40 lowercase letters, digits and hyphens")
    given = v.add_mutually_exclusive_group(required=True)
    given.add_argument("--layers", metavar="TEXT", help="the layers in the grammar")
    given.add_argument("--from", dest="source", metavar="FILE", help="a network file (JSON) to copy")
    v.add_argument("--description", default="", help="one line on what it is for")
    v.add_argument("--input-size", type=int, default=28, choices=saved.INPUT_SIZES,
                   help="the side of the input it reads: 28, or 32 for a 28×28 image padded by 2")
    v.set_defaults(func=add)
    v = verbs.add_parser("delete", help="delete a saved network (runs trained on it keep working)")
    v.add_argument("name")
    v.set_defaults(func=delete)


def _parameters(arch) -> int:
    return shape_table(arch).total_params


def list_networks(args) -> int:
    listed = [("built-in", a, None) for a in ARCHITECTURES.values()]
    listed += [("saved", n.arch, n.error) if n.arch else ("saved", n.name, n.error)
               for n in saved.saved_networks()]
    if args.json:
        print(json.dumps([{"name": a if isinstance(a, str) else a.name, "kind": kind, "error": error}
                          for kind, a, error in listed]))
        return 0
    print(f"{'name':<20} {'kind':<9} {'parameters':>10}  layers / problem")
    for kind, arch, error in listed:
        if error:
            print(f"{arch:<20} {kind:<9} {'—':>10}  cannot be used: {error}")
        else:
            print(f"{arch.name:<20} {kind:<9} {_parameters(arch):>10,}  {layers_text(arch.layers)}")
    return 0


def show(args) -> int:
    arch = saved.find_network(args.name)
    if args.json:
        print(json.dumps(saved.to_json(arch), indent=2))
        return 0
    print(f"{arch.name}: {arch.description}")
    print(f"input      {'×'.join(map(str, arch.input_shape))}")
    print(f"parameters {_parameters(arch):,}")
    print(f"layers     {layers_text(arch.layers)}")
    return 0


def add(args) -> int:
    if args.source is not None:
        path = Path(args.source)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LabError(f"{path}: cannot be read as a network file ({exc})") from None
        if isinstance(raw, dict):
            raw = {**raw, "name": args.name}  # saved under the name asked for
        arch = saved.from_json(raw, str(path))
    else:
        arch = saved.network(args.name, args.description, args.layers, args.input_size)
    path = saved.save_network(arch)
    print(f"saved {arch.name} ({_parameters(arch):,} parameters) to {path}")
    return 0


def delete(args) -> int:
    saved.delete_network(args.name)
    print(f"deleted {args.name}")
    return 0
