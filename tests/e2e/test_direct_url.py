"""A page opened by its own address (a bookmark, a reload) as the first visit after the server
starts must still run inside the app: its navigation, its page config."""

from .support import expect, heading, open_app


def test_first_visit_by_direct_url_runs_inside_the_app(page, fresh_app_server):
    # This module's server is fresh: nothing has run app.py yet.
    open_app(page, fresh_app_server, "shapes")
    expect(heading(page, "Layer shapes")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Layer Shapes", exact=True)).to_be_visible(timeout=5_000)
    expect(nav.get_by_role("link", name="app", exact=True)).to_have_count(0)
    # Streamlit's legacy pages/ mode answered a first deep link with this dialog (ui/serve.py).
    expect(page.get_by_text("Page not found")).to_have_count(0)
