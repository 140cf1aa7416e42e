"""lenet_core.format: each formatter on the shapes the pages, the CLI and the docs already show
(the shape table, docs/datasets.md, the tutorial's closing line), and the CLI's summary line,
which writes every one of a run's figures through them."""

import math

import pytest

from lenet_core.cli.runs import summary_line
from lenet_core.format import (
    MISSING,
    format_count,
    format_duration,
    format_figure,
    format_fixed,
    format_megabytes,
    format_metric,
    format_percent,
    format_probability,
    format_rate,
    format_setting,
    format_shape,
    format_significant,
)


def test_counts_have_a_comma_every_three_digits():
    assert format_count(1234567) == "1,234,567"
    assert format_count(61706) == "61,706"  # LeNet-5's parameters, as the Shapes page shows them
    assert format_count(999) == "999"
    assert format_count(None) == MISSING == "—"


def test_shapes_join_dimensions_with_a_times_sign():
    assert format_shape((1, 16, 5, 5)) == "1×16×5×5"
    assert format_shape([1, 8464]) == "1×8,464"


@pytest.mark.parametrize(("seconds", "text"), [(None, "—"), (0.4, "0s"), (42, "42s"), (65.2, "1m 05s"),
                                              (185, "3m 05s"), (3720, "1h 02m"), (float("nan"), "—"),
                                              (math.inf, "—")])
def test_duration(seconds, text):
    assert format_duration(seconds) == text


def test_rate_is_whole_examples_and_a_dash_before_the_first_timing():
    assert format_rate(12345.6) == "12,346"
    assert format_rate(None) == format_rate(0) == "—"


def test_percent_has_one_decimal():
    assert format_percent(0.9582) == "95.8%"
    assert format_percent(1.0) == "100.0%"
    assert format_percent(None) == "—"


def test_probability_never_claims_certainty():
    assert format_probability(0.9996) == ">99.9%"
    assert format_probability(0.0004) == "<0.1%"
    assert format_probability(0.4321) == "43.2%"


def test_metric_has_the_tutorials_three_decimals():
    assert format_metric(0.81234) == "0.812"
    assert format_metric(None) == format_metric(float("nan")) == "—"


@pytest.mark.parametrize(("value", "text"), [(0.9, "0.9"), (1e-5, "1e-5"), (5e-4, "0.0005"), (1e7, "1e7"),
                                            (2.5e-12, "2.5e-12"), (64, "64"), (True, "true"),
                                            (False, "false"), ("adam", "adam")])
def test_setting_as_a_person_types_it(value, text):
    assert format_setting(value) == text


def test_a_typed_setting_reads_back_as_the_same_number():
    for value in (0.9, 1e-5, 3.7e-4, 0.123456, 1e7):
        assert float(format_setting(value)) == value


def test_fixed_and_significant_write_a_true_minus():
    assert format_fixed(-0.1234, 6) == "−0.123400"
    assert format_fixed(1.5, 4) == "1.5000"
    assert format_significant(-0.012345) == "−0.0123"
    assert format_significant(0.5) == "0.5"


def test_megabytes_as_docs_datasets_shows_them():
    assert format_megabytes(30_900_000) == "30.9 MB"
    assert format_megabytes(None) == "—"


def test_figure_carries_its_own_spec_and_unit():
    assert format_figure(12.54, ".1f", " ms") == "12.5 ms"
    assert format_figure(61706.0, ",.0f") == "61,706"
    assert format_figure(None, ".1f", " ms") == "—"


def test_the_cli_summary_writes_each_figure_by_its_formatter():
    line = summary_line({"train_loss": 0.4771, "train_acc": 0.8204, "test_acc": 0.8123,
                         "best_test_acc": 0.8123, "examples_per_sec": 12345.6, "seconds": 185.3,
                         "params": 61706})
    assert line == ("summary    loss 0.477, train acc 0.820, test acc 0.812 (best 0.812), "
                    "12,346 examples/sec, 3m 05s, 61,706 parameters")
    assert summary_line({}) == ("summary    loss —, train acc —, test acc — (best —), — examples/sec, —, "
                                "— parameters")
