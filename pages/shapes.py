"""/shapes as the first visit after the server starts: Streamlit's legacy pages/ lookup finds
this file, which runs the app as app.py does (ui/shell.py says why)."""

from ui.shell import run_app

run_app()
