"""The shape chart's spec: one bar per layer, in the network's order, both panels."""

import pandas as pd

from lenet_core.model import shapes
from lenet_core.model.architectures import get_architecture
from lenet_core.present.charts.shapes import shapes_charts


def _rows():
    arch = get_architecture("lenet-classic")
    rows = pd.DataFrame(shapes.to_records(shapes.shape_table(arch)))
    rows["kind"] = [spec.kind for spec in arch.layers]
    return rows


def test_shapes_charts_have_a_bar_per_layer_in_order():
    left, right = (chart.to_dict() for chart in shapes_charts(_rows()))
    values = left["datasets"][next(iter(left["datasets"]))]
    assert len(values) == 12
    assert left["encoding"]["x"]["field"] == "elements"
    assert right["encoding"]["x"]["field"] == "params"
    assert left["encoding"]["y"]["sort"][0] == "conv1 · 6@28×28"
    assert [v["elements"] for v in values][:3] == [4704, 4704, 1176]
    assert left["width"] == right["width"] == "container"


def test_shapes_charts_are_linear_unless_log_is_asked_and_say_so():
    left, right = (chart.to_dict() for chart in shapes_charts(_rows()))
    # Linear: a bar's length is its count (a square-root axis made 2,416 look a quarter of 48,120).
    assert "scale" not in left["encoding"]["x"] and "scale" not in right["encoding"]["x"]
    assert "log" not in right["encoding"]["x"]["title"]
    left, right = (chart.to_dict() for chart in shapes_charts(_rows(), log=True))
    assert right["encoding"]["x"]["scale"] == {"type": "symlog"}
    assert right["encoding"]["x"]["title"] == "parameters (log scale)"
