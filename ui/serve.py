"""Start the dashboard: ``python -m ui.serve [streamlit options]`` is ``streamlit run app.py``
with one Streamlit quirk settled first.

Streamlit decides once per server process whether an app uses the legacy ``pages/`` folder: by
whether a folder named ``pages`` sits next to the entrypoint. Ours does (it holds the page scripts
under ``pages/views/``), so until ``app.py``'s ``st.navigation`` has run once, Streamlit runs the
first session in legacy mode. A first visit to a page's own address after the server starts (a
bookmark, or a tab reconnecting to a restarted server on /training) then showed a "Page not
found" dialog over the right page. Telling Streamlit before it starts that the app navigates with
``st.navigation`` removes the dialog; ``tests/e2e/test_direct_url.py`` guards it.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"


def main(argv: list[str]) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False  # read at the first session only when still None
    sys.argv = ["streamlit", "run", str(APP), *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
