"""LeNet Lab: the Streamlit entrypoint. Run with ``streamlit run app.py``."""

import streamlit as st

from ui.nav import PAGES

st.set_page_config(page_title="LeNet Lab", page_icon=":material/neurology:", layout="wide")

navigation = st.navigation(
    [st.Page(p.path, title=p.title, icon=p.icon, default=(i == 0)) for i, p in enumerate(PAGES)]
)
navigation.run()
