"""Training chart builders: specs (layers, encodings, data) and TensorBoard's smoothing."""

import math

import numpy as np
import pandas as pd
import pytest

from lenet_core.present.charts.curves import (
    compare_runs_panels,
    ema_smooth,
    smooth_metrics,
    training_curves_chart,
    training_curves_spec,
)
from lenet_core.present.charts.evaluation import confusion_chart, per_class_chart
from lenet_core.present.colours import run_colours, runs_legend_html


def fake_metrics(run_id: str, epochs: int = 2, per_epoch: int = 5, start: float = 0.5) -> pd.DataFrame:
    """The run store's long format, shaped as the engine records it: train loss and accuracy
    ``per_epoch`` times an epoch at fractional epochs, test accuracy at each epoch's end;
    wall_time in seconds since the run began (``start`` = the setup time before step 1)."""
    rows, step = [], 0
    for epoch in range(epochs):
        for i in range(per_epoch):
            step += 3
            frac = epoch + (i + 1) / per_epoch
            wall = start + 2.0 * frac
            rows.append((run_id, step, frac, "train_loss", 2.3 / (1 + frac), wall))
            rows.append((run_id, step, frac, "train_acc", 0.1 + 0.4 * frac / epochs, wall))
            rows.append((run_id, step, frac, "lr", 0.9, wall))
        rows.append((run_id, step, epoch + 1.0, "test_acc", 0.5 + 0.1 * epoch, start + 2.0 * (epoch + 1)))
        rows.append((run_id, step, epoch + 1.0, "examples_per_sec", 12000.0, start + 2.0 * (epoch + 1)))
    return pd.DataFrame(rows, columns=["run_id", "step", "epoch", "name", "value", "wall_time"])


def only_dataset(spec: dict) -> list[dict]:
    assert len(spec["datasets"]) == 1
    return next(iter(spec["datasets"].values()))


# ---- smoothing -------------------------------------------------------------------------------

def test_ema_matches_tensorboards_debiased_formula():
    # By hand with TensorBoard's rule: last = w*last + (1-w)*v from 0, divided by 1 - w**n.
    assert ema_smooth([1.0, 2.0, 3.0], 0.5) == pytest.approx([1.0, 1.25 / 0.75, 2.125 / 0.875])


def test_ema_weight_zero_is_identity_and_first_point_is_never_pulled_to_zero():
    values = [2.3, 1.1, 0.7, 0.6]
    assert list(ema_smooth(values, 0.0)) == values
    assert ema_smooth(values, 0.99)[0] == pytest.approx(2.3)


def test_ema_lets_non_finite_values_through_without_poisoning_the_rest():
    out = ema_smooth([1.0, math.nan, 3.0, math.inf], 0.5)
    assert math.isnan(out[1]) and math.isinf(out[3])
    assert out[2] == pytest.approx((0.5 * 0.5 + 0.5 * 3.0) / 0.75)


def test_ema_rejects_a_weight_of_one():
    with pytest.raises(ValueError, match="smoothing weight"):
        ema_smooth([1.0], 1.0)


def test_smooth_metrics_smooths_each_run_and_metric_separately():
    metrics = pd.concat([fake_metrics("a"), fake_metrics("b", start=2.0)])
    out = smooth_metrics(metrics, 0.6)
    for (_, _), group in out.groupby(["run_id", "name"]):
        assert group["smoothed"].iloc[0] == pytest.approx(group["value"].iloc[0])
        assert list(group["smoothed"]) == pytest.approx(list(ema_smooth(group["value"], 0.6)))


# ---- one run, as the tutorial plots it -------------------------------------------------------

def test_training_curves_plot_the_three_tutorial_series_against_fractional_epoch():
    spec = training_curves_chart(fake_metrics("a"), epochs=2).to_dict()
    lines, points = spec["layer"]
    assert lines["mark"]["type"] == "line" and points["mark"]["type"] == "point"
    assert lines["encoding"]["strokeDash"]["field"] == "series"
    enc = points["encoding"]
    assert enc["x"]["field"] == "epoch"
    assert enc["x"]["scale"]["domain"] == [0, 2]
    assert enc["x"]["axis"]["values"] == [0, 1, 2]  # a tick per epoch
    assert enc["color"]["field"] == "series"
    assert enc["color"]["scale"]["domain"] == ["train loss", "train acc", "test acc"]
    assert {t["field"] for t in enc["tooltip"]} >= {"series", "epoch", "value"}
    values = only_dataset(spec)
    counts = pd.Series([v["series"] for v in values]).value_counts().to_dict()
    assert counts == {"train loss": 10, "train acc": 10, "test acc": 2}  # lr etc. left out
    assert [v["epoch"] for v in values if v["series"] == "train loss"][:2] == [0.2, 0.4]
    assert [v["epoch"] for v in values if v["series"] == "test acc"] == [1.0, 2.0]


def test_training_curves_of_a_run_with_no_metrics_yet_is_an_empty_chart():
    empty = fake_metrics("a").iloc[0:0]
    spec = training_curves_chart(empty, epochs=3).to_dict()
    assert only_dataset(spec) == []



def test_the_live_panels_spec_is_the_same_chart_with_its_rows_handed_over_separately():
    metrics = fake_metrics("a")
    full = training_curves_chart(metrics, epochs=2).to_dict()
    spec, rows = training_curves_spec(metrics, epochs=2)
    assert "data" not in spec and "datasets" not in spec  # the rows travel beside it
    assert spec["layer"] == full["layer"] and spec["height"] == full["height"]
    assert rows.to_dict("records") == only_dataset(full)
    spec["layer"].clear()  # Streamlit edits the spec it is given: the cache must not share it
    assert training_curves_spec(metrics, epochs=2)[0]["layer"] == full["layer"]
    longer, _ = training_curves_spec(metrics, epochs=5)
    assert longer["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 5]

# ---- several runs overlaid ---------------------------------------------------------------------

def compare(metrics, labels, **options) -> list[dict]:
    return [panel.to_dict() for panel in compare_runs_panels(metrics, labels, **options)]


def test_compare_runs_has_a_panel_per_curve_and_one_colour_per_run():
    metrics = pd.concat([fake_metrics("r1"), fake_metrics("r2", start=2.0), fake_metrics("r3")])
    labels = {"r1": "first", "r2": "second"}  # r3 not selected
    panels = compare(metrics, labels)
    assert [p["title"] for p in panels] == ["Train loss", "Train accuracy", "Test accuracy"]
    for panel in panels:
        assert panel["width"] == "container"  # as wide as the page's column, never wider
        color = panel["layer"][0]["encoding"]["color"]
        assert color["field"] == "run" and color["scale"]["domain"] == ["first", "second"]
        assert color["scale"]["range"] == list(run_colours(["first", "second"]).values())
        assert color["legend"] is None  # the page draws one legend above the three
        assert panel["layer"][0]["encoding"]["x"]["field"] == "epoch"
        assert panel["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 2.0]  # aligned panels
    filters = [p["layer"][0]["transform"][0]["filter"] for p in panels]
    assert filters == ["(datum.name === 'train_loss')", "(datum.name === 'train_acc')",
                       "(datum.name === 'test_acc')"]
    values = only_dataset(panels[0])
    assert {v["run"] for v in values} == {"first", "second"}
    assert len(values) == 2 * (10 + 10 + 2)


def test_the_runs_legend_names_each_run_in_its_lines_colour():
    legend = runs_legend_html(["first", "<b>second</b>"])
    colours = run_colours(["first", "<b>second</b>"])
    assert legend.index(colours["first"]) < legend.index("first") < legend.index(colours["<b>second</b>"])
    assert "&lt;b&gt;second&lt;/b&gt;" in legend  # a run's name is text, never markup


def test_compare_runs_loss_on_a_log_axis_when_asked():
    loss, acc, _ = compare(fake_metrics("r1"), {"r1": "one"}, log_loss=True)
    assert loss["layer"][0]["encoding"]["y"]["scale"] == {"type": "log"}
    assert loss["layer"][0]["encoding"]["y"]["title"] == "log scale"
    assert "scale" not in acc["layer"][0]["encoding"]["y"]
    plain, _, _ = compare(fake_metrics("r1"), {"r1": "one"})
    assert "scale" not in plain["layer"][0]["encoding"]["y"]


@pytest.mark.parametrize(("x", "field"), [("epoch", "epoch"), ("step", "step"), ("wall_time", "seconds")])
def test_compare_runs_x_axis_by_epoch_step_or_wall_time(x, field):
    panels = compare(fake_metrics("r1"), {"r1": "one"}, x=x)
    assert panels[0]["layer"][0]["encoding"]["x"]["field"] == field


def test_compare_runs_wall_time_is_seconds_since_each_run_began():
    metrics = pd.concat([fake_metrics("r1", start=0.5), fake_metrics("r2", start=3.0)])
    values = only_dataset(compare(metrics, {"r1": "a", "r2": "b"}, x="wall_time")[0])
    first = {run: min(v["seconds"] for v in values if v["run"] == run) for run in ("a", "b")}
    assert first == {"a": pytest.approx(0.9), "b": pytest.approx(3.4)}  # setup time kept


def test_compare_runs_smoothing_draws_faded_raw_line_under_the_smoothed_one():
    raw = compare(fake_metrics("r1"), {"r1": "one"})
    assert [layer["mark"]["type"] for layer in raw[0]["layer"]] == ["line", "point"]
    smooth = compare(fake_metrics("r1"), {"r1": "one"}, smoothing=0.8)
    faded, line, _ = smooth[0]["layer"]
    assert faded["mark"]["opacity"] < 1 and faded["encoding"]["y"]["field"] == "value"
    assert line["encoding"]["y"]["field"] == "smoothed"
    values = [v for v in only_dataset(smooth[0]) if v["name"] == "train_loss"]
    assert values[1]["smoothed"] != pytest.approx(values[1]["value"])


def test_compare_runs_rejects_an_unknown_x_axis():
    with pytest.raises(ValueError, match="epoch, step, wall_time"):
        compare_runs_panels(fake_metrics("r1"), {"r1": "one"}, x="minutes")


# ---- after a run ---------------------------------------------------------------------------------

def test_confusion_chart_has_a_cell_per_pair_with_counts_and_row_shares():
    confusion = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 0]])
    spec = confusion_chart(confusion, ["cat", "dog", "eel"]).to_dict()
    rect, text = spec["layer"]
    assert rect["mark"]["type"] == "rect" and text["mark"]["type"] == "text"
    enc = rect["encoding"]
    assert enc["x"]["field"] == "predicted" and enc["y"]["field"] == "true"
    assert enc["y"]["sort"] == ["cat", "dog", "eel"]
    assert text["encoding"]["text"]["field"] == "count"
    cells = {(v["true"], v["predicted"]): v for v in only_dataset(spec)}
    assert len(cells) == 9
    assert cells[("cat", "dog")]["count"] == 2 and cells[("cat", "dog")]["share"] == 0.2
    assert cells[("eel", "eel")]["share"] == 0.0  # an empty class does not divide by zero
    assert spec["width"] == "container"  # never wider than its column, legend included


def test_per_class_chart_has_a_bar_per_class_in_class_order():
    spec = per_class_chart([0.9, 0.5, 1.0], ["0", "1", "2"]).to_dict()
    bars, text = spec["layer"]
    assert bars["mark"]["type"] == "bar" and text["mark"]["type"] == "text"
    enc = bars["encoding"]
    assert enc["y"]["sort"] == ["0", "1", "2"]
    assert enc["x"]["scale"]["domain"] == [0, 1]
    assert [v["accuracy"] for v in only_dataset(spec)] == [0.9, 0.5, 1.0]


def test_compare_runs_panel_without_points_has_a_0_to_1_axis_and_says_why():
    stopped_early = fake_metrics("r1")
    stopped_early = stopped_early[stopped_early["name"] != "test_acc"]  # no epoch ended yet
    loss, _, test = compare(stopped_early, {"r1": "one"})
    assert "scale" not in loss["layer"][0]["encoding"]["y"]  # panels with points scale to them
    assert test["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 1]
    notes = [layer for layer in test["layer"] if layer["mark"]["type"] == "text"]
    assert len(notes) == 1 and "measured at each epoch's end" in str(test["datasets"])
    assert notes[0]["encoding"]["x"] == {"value": {"expr": "width / 2"}}  # centred at any width


# ---- a sweep's settings against its metric ------------------------------------------------------

def test_sweep_panels_one_per_setting_as_typed_with_the_statuses_present():
    from lenet_core.present.charts.sweeps import sweep_panels

    table = pd.DataFrame({"trial": [1, 2, 3, 4], "lr": [0.01, 0.1, 0.01, 0.1],
                          "batch_size": [64, 64, 128, 128],
                          "status": ["completed", "pruned after epoch 2", "completed", "running"],
                          "test_acc": [0.9, 0.8, 0.91, None]})
    panels = sweep_panels(table, ["lr", "batch_size"], "test_acc", "test acc")
    lr, batch = (panel.to_dict() for panel in panels)
    assert lr["width"] == batch["width"] == "container"
    assert batch["encoding"]["x"]["axis"]["format"] == "d"  # 64, not 64.000000
    assert lr["encoding"]["x"]["axis"]["format"] == "~g"
    colour = lr["encoding"]["color"]
    assert colour["scale"]["domain"] == ["completed", "pruned"]  # the running trial has no score yet
    assert batch["encoding"]["color"]["legend"] is None  # said once, on the first panel
