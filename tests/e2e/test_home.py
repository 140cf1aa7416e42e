"""Journey: the home page loads cleanly and every page it links to opens."""

import re

from pages.ui.nav import PAGES

from .support import assert_no_exception, expect, heading, open_app, wait_for_run


def test_home_loads_and_every_page_link_opens(page, app_server):
    open_app(page, app_server)
    expect(heading(page, "LeNet Lab")).to_be_visible()
    expect(page.get_by_text("Compute device")).to_be_visible()

    main = page.get_by_test_id("stMain")
    for info in PAGES[1:]:
        main.get_by_role("link", name=info.title).click()
        # The new page's first heading replaces the home title once its own run has started.
        expect(page.locator("h1").first).not_to_have_text("LeNet Lab")
        wait_for_run(page)
        assert_no_exception(page)
        expect(page).to_have_url(re.compile(rf"/{re.escape(_url_path(info.path))}/?$"))
        expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name=info.title)).to_have_attribute(
            "aria-current", "page")

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Home", exact=True).click()
        expect(heading(page, "LeNet Lab")).to_be_visible()
        wait_for_run(page)


def _url_path(script: str) -> str:
    """Streamlit's default URL for a page: its file name without the extension."""
    return script.rsplit("/", 1)[-1].removesuffix(".py")


def test_each_gallery_shows_its_ten_classes_on_one_row_at_1280_px(page, app_server):
    # The tenth class ("ankle boot", "9") used to wrap onto a row of its own at 1280 px.
    page.set_viewport_size({"width": 1280, "height": 900})
    open_app(page, app_server)
    # The class pictures have captions (the pages' cards show their screenshots without one).
    gallery = page.get_by_test_id("stImageContainer").filter(has=page.get_by_test_id("stImageCaption"))
    expect(gallery).to_have_count(20)  # mnist-5k and Fashion-MNIST: ten classes each
    # Measured once every picture has loaded and the page has stopped moving: on a loaded machine
    # the first image of a row was measured before the others had their height.
    gallery.locator("img").evaluate_all("imgs => Promise.all(imgs.map(i => i.decode()))")
    wait_for_run(page)
    tops = None
    for _ in range(25):  # until two reads 0.2 s apart agree (5 s at most)
        before, tops = tops, [round(box["y"]) for box in (image.bounding_box() for image in gallery.all())]
        if tops == before:
            break
        page.wait_for_timeout(200)
    assert len(set(tops[:10])) == 1 and len(set(tops[10:])) == 1, tops


def test_a_users_toolbar_has_no_deploy_button_or_developer_menu(page, app_server):
    open_app(page, app_server)
    expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
    page.get_by_test_id("stMainMenu").click()
    menu = page.get_by_test_id("stMainMenuPopover")
    expect(menu).to_contain_text("Print")
    for developer_item in ("Rerun", "Clear cache", "Deploy"):
        expect(menu).not_to_contain_text(developer_item)


def test_try_it_now_opens_the_training_page_on_a_run_that_trains_live(page, fresh_app_server):
    open_app(page, fresh_app_server)
    page.get_by_test_id("stMain").get_by_role("button", name=re.compile("Try it now")).click()
    expect(heading(page, "Training")).to_be_visible()
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("quick digits")
    # It trains and ends by itself (one epoch of MNIST 5k), the page following it.
    badge = main.locator("span.stMarkdownBadge").first
    expect(badge).to_have_text(re.compile(r"completed$"), timeout=180_000)
    wait_for_run(page)
    expect(page.get_by_role("heading", name="Result on the test set")).to_be_visible()
    # The run form shows what trained: Start would train the same.
    expect(page.get_by_test_id("stSidebar").get_by_label("Epochs", exact=True).first).to_have_value("1")
