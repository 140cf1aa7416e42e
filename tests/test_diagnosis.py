"""Why a run learns, or does not (lenet_core.runs.diagnosis): the rules read real one-epoch runs on
mnist-5k as the tutorial's plateau, a healthy run and a learning rate too high; the CLI prints the
diagnosis and exports the figures."""

import io

import pandas as pd
import pytest
from helpers import TINY, cli, finished_run

from lenet_core import runs
from lenet_core.runs import diagnosis

pytestmark = [pytest.mark.usefixtures("one_thread"), pytest.mark.slow]

# One epoch of mnist-5k's 4,000 training digits in batches of 256: 16 steps, five reporting points.
EPOCH = {**TINY, "train_subset": 0, "batch_size": 256, "epochs": 1}


def findings(home, run) -> list[str]:
    return [f.rule for f in diagnosis.diagnose(diagnosis.of_run(runs.RunStore(home), run))]


def test_the_tutorials_sigmoid_lenet_at_lr_0_9_reads_as_the_plateau(lab_home):
    run = finished_run(lab_home, "tutorial", **{**EPOCH, "arch": "lenet-classic", "lr": 0.9,
                                                "optimizer": "sgd", "init": "xavier"})
    (finding,) = diagnosis.diagnose(diagnosis.of_run(runs.RunStore(lab_home), run))
    assert finding.rule == "plateau"
    assert "smaller than at fc3" in finding.evidence and "ln 10 = 2.3" in finding.evidence
    assert finding.advice.startswith("Train for more steps (the tutorial's net leaves its plateau after "
                                     "about 400)")


def test_lenet_modern_reads_as_healthy(lab_home):
    run = finished_run(lab_home, "modern", **{**EPOCH, "arch": "lenet-modern"})
    assert findings(lab_home, run) == ["healthy"]


def test_a_learning_rate_of_50_reads_as_too_high_before_the_run_diverges(lab_home):
    run = finished_run(lab_home, "lr 50", **{**EPOCH, "arch": "lenet-classic", "lr": 50,
                                             "optimizer": "sgd", "init": "xavier"})
    store = runs.RunStore(lab_home)
    figures, metrics = store.inside(run.id), store.metrics(run.id)
    first = figures["step"].min()  # what was known at the first reporting point alone
    early = diagnosis.read(figures[figures["step"] == first], metrics[metrics["step"] <= first], 10)
    assert "too-high" in [f.rule for f in diagnosis.diagnose(early)]
    assert findings(lab_home, run)[0] == "too-high"


def made_up(layer_figures: dict[tuple[str, str], float], losses=(1.0,), classes=10, step=5
            ) -> diagnosis.Inside:
    """An Inside of one reporting point (``step``) with the given figures."""
    rows = [(step, 1.0, layer, name, value) for (layer, name), value in layer_figures.items()]
    figures = pd.DataFrame(rows, columns=["step", "epoch", "layer", "name", "value"])
    metrics = pd.DataFrame([(step, 1.0, "train_loss", loss, 0.0) for loss in losses],
                           columns=["step", "epoch", "name", "value", "wall_time"])
    return diagnosis.read(figures, metrics, classes)


def test_a_plateau_that_outlasted_the_tutorials_400_steps_does_not_advise_more_steps():
    stuck = {("conv1", "grad_norm"): 1e-4, ("conv1", "weight_norm"): 1.0, ("conv1", "update_ratio"): 1e-4,
             ("fc3", "grad_norm"): 0.02, ("fc3", "weight_norm"): 1.0, ("fc3", "update_ratio"): 1e-3}
    (finding,) = diagnosis.diagnose(made_up(stuck, losses=(2.31,), step=2520))
    assert finding.rule == "plateau"
    assert finding.advice.startswith("It has taken 2,520 steps already: more of them alone may not help")


def test_a_relu_layer_with_most_units_dead_is_named_and_nothing_recorded_says_nothing():
    weights = {("fc1", "grad_norm"): 0.1, ("fc1", "weight_norm"): 1.0, ("fc1", "update_ratio"): 0.01,
               ("fc2", "grad_norm"): 0.1, ("fc2", "weight_norm"): 1.0, ("fc2", "update_ratio"): 0.01}
    seen = made_up({**weights, ("relu1", "mean"): 0.01, ("relu1", "std"): 0.1, ("relu1", "dead"): 0.8})
    (finding,) = diagnosis.diagnose(seen)
    assert finding.rule == "dead" and finding.title.startswith("Dead ReLUs in relu1")
    assert "80% of relu1's units" in finding.evidence
    seen = made_up({**weights, ("relu1", "mean"): 0.3, ("relu1", "std"): 0.3, ("relu1", "dead"): 0.1})
    assert [f.rule for f in diagnosis.diagnose(seen)] == ["healthy"]
    empty = pd.DataFrame(columns=["step", "epoch", "layer", "name", "value"])
    no_metrics = pd.DataFrame(columns=["step", "name", "value"])
    assert diagnosis.diagnose(diagnosis.read(empty, no_metrics, 10)) == []


def test_runs_show_inside_prints_the_diagnosis_and_export_inside_writes_the_figures(lab_home):
    run = finished_run(lab_home, "modern", **{**EPOCH, "arch": "lenet-modern"})
    code, out = cli("runs", "show", run.id, "--inside")
    assert code == 0
    assert "inside     Healthy: the error reaches every layer and the loss falls." in out
    assert "\nconv1      gradient " in out and "\nrelu1      mean " in out and "% dead" in out
    code, out = cli("runs", "export", run.id, "--inside")
    table = pd.read_csv(io.StringIO(out))
    assert code == 0 and list(table.columns) == ["run_id", "step", "epoch", "layer", "name", "value"]
    assert set(table["name"]) == {"grad_norm", "weight_norm", "update_ratio", "mean", "std", "dead"}
    assert len(table) == len(runs.RunStore(lab_home).inside(run.id))
