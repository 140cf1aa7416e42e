"""``shapes``: the layer-by-layer shape table of an architecture."""

from lenet_core.errors import LabError
from lenet_core.model import shapes
from lenet_core.model.architectures import ARCHITECTURES


def add_parser(sub) -> None:
    p = sub.add_parser(
        "shapes", help="print the layer-by-layer shape table of an architecture",
        description="Print each layer's output shape, parameters and multiply-adds for one input.",
    )
    p.add_argument("--arch", default="lenet-classic", choices=list(ARCHITECTURES),
                   help="architecture (default: lenet-classic, the tutorial's)")
    p.add_argument("--input", default=None, metavar="CxHxW",
                   help="input size, e.g. 1x28x28 (default: the architecture's own input)")
    p.add_argument("--format", default="table", choices=shapes.FORMATS,
                   help="output format (default: table)")
    p.set_defaults(func=run)


def run(args) -> int:
    """The table; for an input that does not fit, the layers it reaches with the break marked
    (text table only), then why on one ``error:`` line and exit status 2."""
    table = shapes.trace_shapes(args.arch, args.input)
    if table.broken is not None:
        if args.format == "table":
            print(shapes.render(table, args.format), flush=True)
        raise LabError(table.broken.message)
    print(shapes.render(table, args.format))
    return 0
