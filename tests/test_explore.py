"""Sample pools, stepping, predictions on a split and per-channel statistics, on real data."""

import numpy as np
import pytest
import torch

from lenet_core import data
from lenet_core.data import get_dataset, load_split
from lenet_core.errors import LabError
from lenet_core.inspect import explore
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.model.inputs import model_input


@pytest.fixture(scope="module")
def bundled():
    model, meta = load_model(pretrained_path())
    return model, meta, ARCHITECTURES[meta.arch]


@pytest.fixture(scope="module")
def mnist_test():
    return load_split("mnist-5k", "test")


def test_predictions_match_one_by_one_forward_passes(bundled, mnist_test):
    model, meta, arch = bundled
    images, labels = mnist_test
    preds = explore.predict(model, meta, images, labels)
    assert len(preds.predicted) == len(labels) == 1000
    assert 0.9 < preds.accuracy <= 1.0  # the bundled digit model reads these digits well
    for index in (0, 517, 999):  # the same input the Draw page builds, one image at a time
        x = model_input(images[index], meta)
        _, probabilities = forward_all(model, x)
        assert preds.predicted[index] == int(probabilities.argmax())
        assert preds.confidence[index] == pytest.approx(float(probabilities.max()), abs=1e-5)


def test_misclassified_pool_holds_exactly_the_wrong_answers(bundled, mnist_test):
    model, meta, arch = bundled
    images, labels = mnist_test
    preds = explore.predict(model, meta, images, labels)
    wrong = explore.pool(labels.numpy(), "misclassified", predictions=preds)
    assert len(wrong) == int((preds.predicted != labels.numpy()).sum()) > 0
    assert all(preds.predicted[i] != int(labels[i]) for i in wrong)
    sevens = explore.pool(labels.numpy(), "misclassified", label=7, predictions=preds)
    assert set(sevens) <= set(wrong) and all(int(labels[i]) == 7 for i in sevens)


def test_class_pool_is_sorted_and_matches_the_dataset_helper(mnist_test):
    _, labels = mnist_test
    threes = explore.pool(labels.numpy(), "class", label=3)
    assert len(threes) == 100 and np.all(np.diff(threes) > 0)
    from lenet_core.data import indices_by_class
    np.testing.assert_array_equal(threes, indices_by_class("mnist-5k", "test", 3))
    assert len(explore.pool(labels.numpy(), "all")) == 1000


def test_step_wraps_around_and_joins_a_new_pool_at_the_nearest_member():
    members = np.array([3, 8, 20])
    assert explore.step(members, 8, +1) == 20
    assert explore.step(members, 20, +1) == 3  # wraps to the first
    assert explore.step(members, 3, -1) == 20  # wraps to the last
    assert explore.step(members, 10, +1) == 20 and explore.step(members, 10, -1) == 8
    assert explore.step(members, 25, +1) == 3 and explore.step(members, 0, -1) == 20
    assert explore.position(members, 20) == 3 and explore.position(members, 10) is None
    with pytest.raises(LabError, match="no sample matches"):
        explore.step(np.array([], dtype=np.int64), 0, 1)


def test_random_member_moves_and_stays_in_the_pool():
    rng = np.random.default_rng(0)
    members = np.array([4, 9])
    picks = {explore.random_member(members, rng, avoid=4) for _ in range(10)}
    assert picks == {9}
    assert explore.random_member(np.array([5]), rng, avoid=5) == 5


def test_bad_choices_are_explained():
    words = r"index 1,000 is out of range: mnist-5k test has 1,000 samples \(0–999\)"
    with pytest.raises(LabError, match=words):
        explore.check_index(1000, 1000, "mnist-5k test")
    with pytest.raises(LabError, match="need the model's predictions"):
        explore.pool(np.array([1, 2]), "misclassified")
    with pytest.raises(LabError, match="choose a class"):
        explore.pool(np.array([1, 2]), "class")


def test_class_mismatch_is_named():
    digits, clothes = get_dataset("mnist-5k").classes, get_dataset("fashion-mnist").classes
    assert explore.class_mismatch(digits, digits) is None
    assert "not the dataset's" in explore.class_mismatch(digits, clothes)


def test_channel_stats_per_map_and_for_a_vector():
    maps = torch.tensor([[[0.0, 1.0], [2.0, -1.0]], [[0.6, 0.4], [0.5, 0.9]]])
    frame = explore.channel_stats(maps, threshold=0.5)
    assert list(frame["map"]) == ["0", "1"]  # from 0, as PyTorch indexes (and every page numbers)
    assert frame.loc[0, ["min", "max", "mean", "active"]].tolist() == [-1.0, 2.0, 0.5, 0.5]
    assert frame.loc[1, "active"] == pytest.approx(0.5)  # 0.6 and 0.9 are above 0.5; 0.5 is not
    vector = explore.channel_stats(torch.tensor([-1.0, 0.0, 3.0]))
    assert len(vector) == 1 and vector.loc[0, "active"] == pytest.approx(1 / 3)


def test_active_threshold_follows_the_last_activation():
    classic, modern = ARCHITECTURES["lenet-classic"], ARCHITECTURES["lenet-modern"]
    assert explore.active_threshold(classic, "conv1") == 0.0
    assert explore.active_threshold(classic, "sigmoid1") == 0.5
    assert explore.active_threshold(classic, "pool1") == 0.5  # averages of sigmoid outputs
    assert explore.active_threshold(modern, "pool1") == 0.0


def test_predictions_use_the_models_normalisation_on_another_dataset(bundled):
    if data.dataset_availability("fashion-mnist").state != data.AVAILABLE:
        pytest.skip("Fashion-MNIST is not installed here")
    model, meta, arch = bundled
    images, labels = load_split("fashion-mnist", "test")
    preds = explore.predict(model, meta, images[:50], labels[:50])
    for index in (0, 49):  # a digit model on clothes: normalised as its digits were
        x = model_input(images[index], meta)
        _, probabilities = forward_all(model, x)
        assert preds.predicted[index] == int(probabilities.argmax())


def test_epoch_trace_follows_each_checkpoint(bundled, mnist_test):
    model, meta, arch = bundled
    images, labels = mnist_test
    x = model_input(images[3], meta)
    untrained = build_model(arch).eval()
    trace = explore.epoch_trace([(1, untrained, meta), (8, model, meta)], images[3], int(labels[3]))
    assert list(trace["epoch"]) == [1, 8]
    _, probabilities = forward_all(model, x)
    assert trace.loc[1, "guess"] == int(probabilities.argmax())
    assert trace.loc[1, "p_label"] == pytest.approx(float(probabilities[int(labels[3])]), abs=1e-6)
    assert trace.loc[1, "p_label"] > trace.loc[0, "p_label"]  # the trained model is surer of the truth


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A run trained on raw [0, 1] pixels (the form's default) and one on standardised pixels:
    lenet5 (padded input), one epoch of the offline digits each, through the real engine."""
    from lenet_core.training.config import TrainConfig
    from lenet_core.training.engine import train

    trained = {}
    for normalise in (False, True):
        folder = tmp_path_factory.mktemp(f"normalise-{normalise}")
        config = TrainConfig(dataset="mnist-5k", arch="lenet5", epochs=1, batch_size=64, lr=0.1,
                             optimizer="sgd-momentum", normalise=normalise, device="cpu")
        outcome = train(config, checkpoint_dir=folder)
        trained[normalise] = (outcome.summary, *load_model(folder / "final.pt"))
    return trained


@pytest.mark.slow
@pytest.mark.parametrize("normalise", [False, True])
def test_misclassified_pool_agrees_with_the_runs_own_confusion_matrix(two_runs, mnist_test, normalise):
    summary, model, meta = two_runs[normalise]
    assert (meta.mean, meta.std) == ((0.1307, 0.3081) if normalise else (0.0, 1.0))
    images, labels = mnist_test
    preds = explore.predict(model, meta, images, labels)
    confusion = np.asarray(summary["confusion"])
    wrong_in_training = int(confusion.sum() - np.trace(confusion))
    assert 0 < int(preds.wrong.sum()) == wrong_in_training
    assert preds.accuracy == pytest.approx(summary["test_acc"], abs=1e-9)
    pooled = explore.pool(labels.numpy(), "misclassified", predictions=preds)
    for index in pooled:  # each one really is wrong, one image at a time as the page shows it
        _, probabilities = forward_all(model, model_input(images[index], meta))
        assert int(probabilities.argmax()) != int(labels[index])
