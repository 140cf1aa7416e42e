"""AppTest: the entrypoint, the home page and the Layer Shapes page run for real."""

from helpers import open_page


def test_entrypoint_runs_the_home_page(lab_home):
    at = open_page("pages/views/home.py")
    assert not at.exception
    assert at.title[0].value == "LeNet Lab"


def test_home_names_every_page_and_the_device(lab_home):
    at = open_page("pages/views/home.py")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Layer-by-layer output shapes" in text
    device_boxes = [b.value for b in at.info] + [b.value for b in at.success]
    assert any("CPU" in v or "GPU" in v or "cuda" in v for v in device_boxes)


def _shape_rows(at):
    frame = at.dataframe[0].value
    return frame[frame["name"] != "total"]


def test_shapes_page_shows_the_tutorial_table(lab_home):
    at = open_page("pages/views/shapes.py")
    assert not at.exception
    rows = _shape_rows(at)
    assert list(rows["layer"]) == ["Conv2d", "Sigmoid", "AvgPool2d", "Conv2d", "Sigmoid",
                                   "AvgPool2d", "Flatten", "Linear", "Sigmoid", "Linear",
                                   "Sigmoid", "Linear"]
    assert list(rows["output_shape"])[:3] == ["1×6×28×28", "1×6×28×28", "1×6×14×14"]
    assert [m.value for m in at.metric][1] == "61,706"
    assert any("400" in box.value for box in at.info)


def test_changing_architecture_changes_the_table(lab_home):
    at = open_page("pages/views/shapes.py")
    at.selectbox(key="shapes_arch").set_value("lenet5").run()
    assert not at.exception
    rows = _shape_rows(at)
    assert "MaxPool2d" in list(rows["layer"]) and "Tanh" in list(rows["layer"])
    assert [m.value for m in at.metric][1] == "63,802"


def test_saved_networks_are_offered_and_a_broken_file_is_named(lab_home):
    from lenet_core.model import saved

    saved.save_network(saved.network("lenet-three", "three convolutions", "conv(6,5,pad=2) relu "
                                     "maxpool(2) conv(16,5) relu conv(32,3,pad=1) relu maxpool(2) "
                                     "flatten fc(120) relu fc(10)"), lab_home)
    (lab_home / "architectures" / "hand-edited.json").write_text("{not json")
    at = open_page("pages/views/shapes.py")
    picker = at.selectbox(key="shapes_arch")
    assert picker.options[-1] == "lenet-three (saved)"
    assert any("hand-edited.json: cannot be read as a network file" in c.value for c in at.caption)
    picker.set_value("lenet-three").run()
    assert not at.exception
    assert list(_shape_rows(at)["name"])[5] == "conv3"
    (lab_home / "architectures" / "lenet-three.json").unlink()  # deleted while chosen
    at.run()
    assert not at.exception and at.selectbox(key="shapes_arch").value == "lenet-classic"


def test_bad_input_size_shows_an_error_not_a_traceback(lab_home):
    at = open_page("pages/views/shapes.py")
    at.text_input(key="shapes_input_lenet-classic").set_value("1x8x8").run()
    assert not at.exception
    assert len(at.error) == 1 and "conv2" in at.error[0].value
    at.text_input(key="shapes_input_lenet-classic").set_value("abc").run()
    assert not at.exception and at.error[0].value == ("'abc' is not an input size: write C×H×W (1x28x28), "
                                                      "or H×W for one channel (28x28).")
    assert "does not fit" not in at.error[0].value and "cannot take" not in at.error[0].value


def test_an_input_that_stops_fitting_shows_the_layers_before_the_break(lab_home):
    at = open_page("pages/views/shapes.py")
    at.text_input(key="shapes_input_lenet-classic").set_value("1x100x100").run()
    assert not at.exception
    assert at.error[0].value.startswith("**lenet-classic cannot take a 1×100×100 input: it stops "
                                        "at layer 8, fc1.**")
    assert "gets 8,464" in at.error[0].value
    frame = at.dataframe[0].value
    shown = frame.data if hasattr(frame, "data") else frame  # a Styler marks the broken row
    assert list(shown["name"]) == ["conv1", "sigmoid1", "pool1", "conv2", "sigmoid2", "pool2",
                                   "flatten", "fc1"]
    assert list(shown["output_shape"])[-2:] == ["1×8,464", "✗ does not fit"]


def test_height_by_width_is_read_as_one_channel_and_said_so(lab_home):
    at = open_page("pages/views/shapes.py")
    at.text_input(key="shapes_input_lenet-classic").set_value("1x28").run()
    assert not at.exception
    assert any(c.value == "Read as 1×1×28: one channel of 1×28 (height × width)." for c in at.caption)
    assert "stops at layer 3, pool1" in at.error[0].value


def test_every_page_address_has_a_deep_link_entry_that_runs_the_app():
    """Streamlit's first session looks a deep link up among pages/*.py (pages/ui/shell.py): each
    page's address has its entry there, nothing else is there, and each entry calls the shell
    app.py calls. (tests/e2e/test_direct_url.py opens a deep link on a fresh server.)"""
    import ast
    from pathlib import Path

    from pages.ui.nav import PAGES

    root = Path(__file__).resolve().parents[1]

    def calls_the_shell(path: Path) -> bool:
        tree = ast.parse(path.read_text())
        imported = any(isinstance(n, ast.ImportFrom) and n.module == "pages.ui.shell"
                       and any(a.name == "run_app" for a in n.names) for n in tree.body)
        called = any(isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                     and getattr(n.value.func, "id", None) == "run_app" for n in tree.body)
        return imported and called

    addresses = {Path(p.path).stem for p in PAGES[1:]}  # the home page is app.py itself
    entries = sorted((root / "pages").glob("*.py"))
    assert {path.stem for path in entries} == addresses
    assert all(calls_the_shell(path) for path in [*entries, root / "app.py"])


def test_an_input_the_first_layer_refuses_says_so_without_counting_zero_layers(lab_home):
    at = open_page("pages/views/shapes.py")
    at.text_input(key="shapes_input_lenet-classic").set_value("3x64x64").run()
    assert not at.exception
    assert "stops at layer 1, conv1" in at.error[0].value
    assert [c.value for c in at.caption if "stops" in c.value] == ["It stops at the first layer:"]
