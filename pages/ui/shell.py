"""The app around every page: page config and navigation. ``app.py`` runs it, and so does each
``pages/<page>.py`` (why, below).

Streamlit decides once per server process whether an app uses the legacy ``pages/`` folder: by
whether a folder named ``pages`` sits next to the entrypoint. Ours does, so until ``st.navigation``
has run once, the first session runs in legacy mode: a page is then looked up among
``pages/*.py`` by its address. A first visit to ``/training`` (a bookmark, a tab reconnecting to a
restarted server) used to find nothing there and showed "Page not found" over the right page.
Each page's address now has a two-line ``pages/<address>.py`` that runs this shell, whose
``st.navigation`` then runs the real page (in ``pages/views/``) and switches Streamlit out of
legacy mode for good. No Streamlit internals are touched, and plain ``streamlit run app.py`` is
right from the first request.
"""

from __future__ import annotations

import streamlit as st

from pages.ui.nav import PAGES


def run_app() -> None:
    st.set_page_config(page_title="LeNet Lab", page_icon=":material/neurology:", layout="wide")
    navigation = st.navigation(
        [st.Page(p.path, title=p.title, icon=p.icon, default=(i == 0)) for i, p in enumerate(PAGES)]
    )
    navigation.run()
