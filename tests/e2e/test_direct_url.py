"""A page opened by its own address (a bookmark, a reload, a tab reconnecting to a restarted
server) as the first visit after the server starts must run inside the app, with its navigation
and page config, and no "Page not found" dialog: with the README's start command and with plain
``streamlit run app.py``."""

from .support import expect, heading, open_app


def test_first_visit_by_direct_url_runs_inside_the_app(page, fresh_server_each_way):
    # This module's servers are fresh: nothing has run app.py yet.
    open_app(page, fresh_server_each_way, "shapes")
    expect(heading(page, "Layer shapes")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Layer Shapes", exact=True)).to_be_visible(timeout=5_000)
    expect(nav.get_by_role("link", name="Layer Explorer", exact=True)).to_be_visible()
    for stray in ("app", "shapes", "views"):  # legacy pages/ mode lists file names
        expect(nav.get_by_role("link", name=stray, exact=True)).to_have_count(0)
    # Streamlit's legacy pages/ mode answered a first deep link with this dialog (pages/ui/shell.py).
    expect(page.get_by_text("Page not found")).to_have_count(0)
    # the wide layout of the app's page config (a page run on its own is 736 px wide at most)
    assert page.get_by_test_id("stMainBlockContainer").bounding_box()["width"] > 900
