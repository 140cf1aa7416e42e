"""LeNet Lab engine: models, shapes, data, training, run store, inference.

Knows nothing of Streamlit; the pages and the CLI are thin faces over it.
"""

__version__ = "0.1.0"
