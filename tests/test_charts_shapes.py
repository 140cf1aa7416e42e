"""The shape chart's spec: one bar per layer, in the network's order, both panels."""

import pandas as pd

from lenet_core.model import shapes
from lenet_core.model.architectures import get_architecture
from lenet_core.present.charts import shapes_chart


def test_shapes_chart_has_a_bar_per_layer_in_order():
    arch = get_architecture("lenet-classic")
    rows = pd.DataFrame(shapes.to_records(shapes.shape_table(arch)))
    rows["kind"] = [spec.kind for spec in arch.layers]
    spec = shapes_chart(rows).to_dict()
    values = spec["datasets"][next(iter(spec["datasets"]))]
    assert len(values) == 12
    left, right = spec["hconcat"]
    assert left["encoding"]["x"]["field"] == "elements"
    assert right["encoding"]["x"]["field"] == "params"
    assert left["encoding"]["y"]["sort"][0] == "conv1 · 6@28×28"
    assert [v["elements"] for v in values][:3] == [4704, 4704, 1176]
