"""``shapes``: the layer-by-layer shape table of an architecture."""

from lenet_core.errors import LabError
from lenet_core.model import saved, shapes
from lenet_core.model.architectures import Architecture
from lenet_core.model.grammar import parse_layers


def add_parser(sub) -> None:
    p = sub.add_parser(
        "shapes", help="print the layer-by-layer shape table of an architecture",
        description="Print each layer's output shape, parameters and multiply-adds for one input.",
    )
    given = p.add_mutually_exclusive_group()
    given.add_argument("--arch", default="lenet-classic", metavar="NAME",
                       help="a built-in or saved network (default: lenet-classic, the tutorial's; "
                       "`arch list` shows them)")
    given.add_argument("--layers", metavar="TEXT", help="a network written in the grammar, e.g. "
                       "\"conv(6,5,pad=2) sigmoid maxpool(2) conv(16,5) sigmoid maxpool(2) flatten "
                       "fc(120) sigmoid fc(84) sigmoid fc(10)\"")
    p.add_argument("--input", default=None, metavar="CxHxW",
                   help="input size, e.g. 1x28x28 (default: the architecture's own input)")
    p.add_argument("--format", default="table", choices=shapes.FORMATS,
                   help="output format (default: table)")
    p.set_defaults(func=run)


def run(args) -> int:
    """The table; for an input that does not fit, the layers it reaches with the break marked
    (text table only), then why on one ``error:`` line and exit status 2."""
    table = shapes.trace_shapes(_network(args), args.input)
    if table.broken is not None:
        if args.format == "table":
            print(shapes.render(table, args.format), flush=True)
        raise LabError(table.broken.message)
    print(shapes.render(table, args.format))
    return 0


def _network(args) -> Architecture:
    """The network asked for: written out (its input from ``--input``, else 1×28×28), or named."""
    if args.layers is None:
        return saved.find_network(args.arch)
    channels, side, _ = shapes.parse_input_size(args.input) if args.input else (1, 28, 28)
    return Architecture("layers", "the layers given", "", side, parse_layers(args.layers, side, channels),
                        input_channels=channels)
