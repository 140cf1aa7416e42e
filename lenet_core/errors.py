"""Errors a person can read: raised by the engine, shown by the CLI and the pages."""


class LabError(Exception):
    """A problem with what was asked for: the message says what was wrong and what to do.

    The CLI prints it on one line and exits 2; a page shows it with ``st.error``.
    """
