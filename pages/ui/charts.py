"""Drawing the lab's Altair charts (the :mod:`lenet_core.present.charts` modules) on a page.

``st.altair_chart`` turns a chart into its Vega-Lite spec with Altair's ``to_dict()``, which checks
the whole spec against Vega-Lite's JSON schema on every rerun: 30 to 250 ms of a page's rerun
here (``python -m bench.page_reruns --profile explorer``), for specs that only change in their
data. The builders' specs are checked against the schema by their unit tests
(tests/test_charts_*.py call ``to_dict()``), so a page draws them unchecked; everything else
(Streamlit's Arrow data, theme, selections) is ``st.altair_chart``'s own.
"""

from __future__ import annotations

import functools

import altair as alt
import streamlit as st


def show_chart(chart: alt.TopLevelMixin, where=None, **kwargs):
    """``st.altair_chart(chart, **kwargs)`` in ``where`` (default: here), without the per-rerun
    schema check; returns what ``st.altair_chart`` returns (a selection, with ``on_select``)."""
    # This chart object only: its own to_dict, told not to validate (Altair's documented
    # argument); Streamlit calls it as chart.to_dict().
    object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
    return (where or st).altair_chart(chart, **kwargs)
