"""LeNet Lab: the Streamlit entrypoint. Run with ``streamlit run app.py``."""

from pages.ui.shell import run_app

run_app()
