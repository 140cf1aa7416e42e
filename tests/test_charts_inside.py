"""The inside charts (lenet_core.present.charts.inside): built from the store's long tables, checked
on their specs and rows."""

import numpy as np
import pandas as pd
import pytest

from lenet_core.present.charts import inside


def figures() -> pd.DataFrame:
    rows = []
    for step, epoch in ((3, 0.2), (6, 0.4)):
        for layer, grad in (("conv1", 0.001), ("fc1", 0.1), ("fc2", 1.0)):
            rows.append((step, epoch, layer, "grad_norm", grad * step))
        rows.append((step, epoch, "sigmoid1", "saturated", 0.25))
        rows.append((step, epoch, "relu1", "dead", 0.5))
    return pd.DataFrame(rows, columns=["step", "epoch", "layer", "name", "value"])


def test_the_gradient_heatmap_is_layer_by_point_in_network_order_on_a_log_scale():
    spec = inside.gradient_heatmap(figures()).to_dict()
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert len(data) == 6 and spec["encoding"]["y"]["sort"] == ["conv1", "fc1", "fc2"]
    assert spec["encoding"]["color"]["field"] == "log10"
    assert data.loc[data["layer"] == "conv1", "log10"].tolist() == pytest.approx(np.log10([0.003, 0.006]))
    shared = inside.gradient_heatmap(figures(), domain=(-4.0, 1.0)).to_dict()
    assert shared["encoding"]["color"]["scale"]["domain"] == [-4.0, 1.0]


def test_saturated_and_dead_shares_are_one_line_a_layer():
    spec = inside.shares_chart(figures()).to_dict()
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert set(data["series"]) == {"sigmoid1 saturated", "relu1 dead"}
    assert spec["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert inside.shares_chart(figures()[figures()["name"] == "grad_norm"]) is None


def test_histograms_stack_one_epoch_above_the_other_its_tallest_bin_at_nine_tenths():
    found = pd.DataFrame([(1.0, "fc1", "weights", -1.0, 1.0, [1, 3, 2, 0]),
                          (2.0, "fc1", "weights", 0.0, 4.0, [0, 5, 5, 10])],
                         columns=["epoch", "layer", "kind", "low", "high", "counts"])
    rows = inside.ridge_rows(found, "fc1", "weights")
    first = rows[rows["epoch"] == 1.0]
    assert first["value"].tolist() == [-0.75, -0.25, 0.25, 0.75]  # the bins' centres
    assert first["top"].tolist() == pytest.approx([1.3, 1.9, 1.6, 1.0])
    assert rows.groupby("epoch")["top"].max().tolist() == pytest.approx([1.9, 2.9])
    spec = inside.histogram_ridges(found, "fc1", "weights").to_dict()
    assert spec["encoding"]["y2"]["field"] == "base" and spec["encoding"]["y"]["axis"]["values"] == [1.0, 2.0]
    assert inside.ridge_rows(found, "fc2", "weights").empty


def test_a_long_run_is_thinned_evenly_keeping_its_first_and_last():
    assert inside.evenly(list(range(5)), 10) == [0, 1, 2, 3, 4]
    kept = inside.evenly(list(range(1500)), 120)
    assert len(kept) == 120 and kept[0] == 0 and kept[-1] == 1499
    rows = [(step, step / 5, layer, "grad_norm", 1.0)
            for step in range(1, 1501) for layer in ("conv1", "fc1")]
    long_run = pd.DataFrame(rows, columns=["step", "epoch", "layer", "name", "value"])
    data = pd.DataFrame(next(iter(inside.gradient_heatmap(long_run).to_dict()["datasets"].values())))
    assert len(data) == 2 * inside.MAX_POINTS and data["step"].max() == 1500
    epochs = pd.DataFrame([(float(e), "fc1", "weights", 0.0, 1.0, [1, 2]) for e in range(1, 301)],
                          columns=["epoch", "layer", "kind", "low", "high", "counts"])
    spec = inside.histogram_ridges(epochs, "fc1", "weights").to_dict()
    shown = spec["encoding"]["y"]["axis"]["values"]
    assert len(shown) == inside.MAX_RIDGES and shown[0] == 1.0 and shown[-1] == 300.0
