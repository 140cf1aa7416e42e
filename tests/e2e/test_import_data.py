"""Journey: import a zip of one's own pictures from Home in Chromium (a real upload), see the new
dataset with its pictures of each class, and delete it."""

import zipfile

import pytest
from helpers import write_shapes

from .support import LOAD_TIMEOUT_MS, assert_no_exception, expect, open_app, wait_for_run

pytestmark = pytest.mark.e2e


def test_upload_a_zip_import_it_and_delete_it(page, fresh_app_server, tmp_path):
    folder = write_shapes(tmp_path / "shapes", per_class=6)
    archive = tmp_path / "shapes.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(folder.rglob("*.*")):
            z.write(path, path.relative_to(tmp_path))
    open_app(page, fresh_app_server)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(archive))
    expect(page.get_by_text("shapes.zip")).to_be_visible()
    page.locator(".st-key-dataset_import_name input").fill("shapes")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported shapes")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)
    expect(page.get_by_text("shapes (3 classes, 28×28 grey) — the first test images")).to_be_visible()
    expect(page.get_by_text("triangle", exact=True)).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete shapes").click()
    expect(page.get_by_text("Deleted shapes.")).to_be_visible()
    wait_for_run(page)
    expect(page.get_by_text("Imported here")).to_have_count(0)
