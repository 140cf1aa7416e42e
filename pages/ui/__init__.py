"""Streamlit-side helpers shared by the pages (navigation, common widgets). Views only."""
