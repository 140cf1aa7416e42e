"""/network3d as the first visit after the server starts: Streamlit's legacy pages/ lookup finds
this file, which runs the app as app.py does (pages/ui/shell.py says why)."""

from pages.ui.shell import run_app

run_app()
