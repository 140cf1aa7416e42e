"""The unit inspector's pictures and clickable chart, checked on their pixels and specs."""

import numpy as np

from lenet_core.inspect.unit import Box
from lenet_core.present import colours, pictures
from lenet_core.present.charts import unit_map


def test_outline_frames_exactly_the_box():
    picture = np.zeros((40, 40, 3), np.uint8)
    framed = pictures.outline(picture, Box(1, 2, 2, 3), cell=10, width=2)
    amber = np.all(framed == pictures.FIELD_COLOUR, axis=2)
    rows, cols = np.nonzero(amber)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (10, 29, 20, 39)
    assert not amber[15, 25]  # the inside stays as it was
    assert not picture.any()  # the input picture is not drawn on


def test_field_picture_is_the_28x28_view_with_the_field():
    image = np.zeros((28, 28), np.float32)
    picture = pictures.field_picture(image, Box(0, 0, 4, 4), cell=10)
    assert picture.shape == (280, 280, 3)
    assert tuple(picture[0, 25]) == pictures.FIELD_COLOUR  # on the frame
    assert tuple(picture[100, 100]) != pictures.FIELD_COLOUR  # outside it


def test_unit_map_chart_selects_by_flat_index_and_frames_the_chosen_unit():
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    scale = colours.signed_scale(values)
    spec = unit_map.unit_map_chart(values, scale, selected=6).to_dict()
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    assert len(rows) == 12
    chosen = [r for r in rows if r["chosen"]]
    assert [(r["unit"], r["row"], r["col"]) for r in chosen] == [(6, 1, 2)]
    r, g, b = scale.colour(np.array([11.0]))[0]
    assert rows[11]["colour"] == f"#{r:02x}{g:02x}{b:02x}"
    assert spec["params"][0]["name"] == unit_map.SELECTION
    assert spec["params"][0]["select"]["fields"] == ["unit"]


def test_a_vector_wraps_into_rows():
    assert unit_map.grid_shape(np.zeros(120)) == (6, 20)
    assert unit_map.grid_shape(np.zeros(10)) == (1, 10)
    assert unit_map.grid_shape(np.zeros((5, 7))) == (5, 7)


def test_clicked_unit_reads_the_selection_event():
    assert unit_map.clicked_unit({"selection": {"unit": [{"unit": 17}]}}) == 17
    assert unit_map.clicked_unit({"selection": {"unit": []}}) is None
    assert unit_map.clicked_unit(None) is None
