"""The present layer — everything a page shows, as plain values: pictures, charts, colour rules.

Owns: one rule for which goes where: an Altair chart is built in ``charts/`` (a module per
thing shown: curves, evaluation, guesses, unit_map, sweeps, shapes), a NumPy picture
(what ``st.image`` shows) in ``pictures``, what the browser's 3D element is sent once per network
in ``view_spec`` (with ``camera``'s framed presets and ``scene``'s formula writer and unit budget),
a colour rule and its legend in ``colours``. Pure
functions, tested without Streamlit. May import: ``inspect`` (a unit's report, for its pictures),
``model`` and the base modules.
"""
