"""Your own handwriting (lenet_core.data.my_digits): drawings kept with their labels, every fifth of
each digit held out, the my-digits dataset rebuilt from them after each change, and a fine-tune
from the bundled model compared before and after on the held-out drawings (real files, real runs)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import finished_run

from lenet_core import data
from lenet_core.data import imported
from lenet_core.data.my_digits import add_drawing, delete_drawing, my_drawings
from lenet_core.errors import LabError


def digit_images(label: int, count: int) -> list[np.ndarray]:
    """MNIST test digits standing in for drawings (prepared 28×28, values in [0, 1])."""
    images, labels = data.read_split("mnist-5k", "test")
    return [images[i] / 255 for i in np.flatnonzero(labels == label)[:count]]


def test_kept_drawings_hold_every_fifth_of_each_digit_out_and_make_the_my_digits_dataset(lab_home):
    for image in digit_images(3, 6):
        add_drawing(image, 3, lab_home)
    for image in digit_images(7, 4):
        add_drawing(image, 7, lab_home)
    kept = my_drawings(lab_home)
    assert kept.ids.tolist() == list(range(1, 11)) and kept.counts()[3] == 6 and kept.counts()[7] == 4
    assert kept.ids[kept.held_out].tolist() == [5]  # the fifth 3; the 7s have not reached five
    images, labels = data.read_split("my-digits", "test", lab_home)
    assert labels.tolist() == [3] and np.array_equal(images[0], kept.images[4])
    train_images, train_labels = data.read_split("my-digits", "train", lab_home)
    assert len(train_labels) == 4000 + 9  # MNIST 5k's training digits and your other drawings
    info = data.get_dataset("my-digits", lab_home)
    assert info.classes == tuple("0123456789") and (info.mean, info.std) == (0.1307, 0.3081)
    assert data.digit_dataset("my-digits")
    delete_drawing(5, lab_home)  # the held-out one: the next 3 (#6) is now the fifth
    kept = my_drawings(lab_home)
    assert 5 not in kept.ids and kept.ids[kept.held_out].tolist() == [6]
    delete_drawing(1, lab_home)  # four 3s and four 7s: none held out, so no dataset to test on
    assert "my-digits" not in imported.imported_names(lab_home)


def test_bad_drawings_and_names_are_refused_in_one_line(lab_home, tmp_path):
    for image, label, message in [(np.zeros((28, 28)), 1, "the drawing is blank"),
                                  (np.ones((20, 20)), 1, "a prepared 28×28 image"),
                                  (np.ones((28, 28)), 10, "10 is not a digit")]:
        with pytest.raises(LabError, match=message):
            add_drawing(image, label, lab_home)
    with pytest.raises(LabError, match="there is no drawing #7"):
        delete_drawing(7, lab_home)
    with pytest.raises(LabError, match="my-digits is made from the drawings you keep"):
        imported.import_dataset(tmp_path, "my-digits")
    with pytest.raises(LabError, match="delete drawings on the Draw page"):
        imported.delete_dataset("my-digits", lab_home)


@pytest.mark.slow
def test_fine_tuning_the_bundled_model_on_your_digits_is_compared_on_the_held_out_ones(lab_home, one_thread):
    from lenet_core.inspect.fine_tune import held_out_comparison
    from lenet_core.model.checkpoints import load_model, pretrained_path
    from lenet_core.runs import run_dir

    for digit in (1, 4, 9):
        for image in digit_images(digit, 10):
            add_drawing(image, digit, lab_home)
    tuned = finished_run(lab_home, "mine", dataset="my-digits", arch="lenet-wide", init_from="bundled",
                         optimizer="adam", lr=1e-4, batch_size=64, epochs=1, train_subset=0)
    assert tuned.status == "completed"
    compared = held_out_comparison(load_model(pretrained_path()), load_model(run_dir(tuned.id, lab_home)
                                                                             / "final.pt"), lab_home)
    assert compared.count == 6  # two of each digit held out
    assert compared.before_acc >= 0.8 and compared.after_acc >= 0.8
    for change in compared.changed:
        assert change.before != change.after and change.image.shape == (28, 28)
