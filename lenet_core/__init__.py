"""LeNet Lab engine: models, shapes, data, training, run store, inference — no Streamlit.

The layers, each importing only those below it (``tests/test_layers.py`` checks it):

    cli        the command line: one module per command
    present    charts, pictures and colour rules a page shows
    inspect    looking inside a trained model: activations, one unit, the explorer, mistakes
    runs       training runs: the store, trainer processes, launching, the worker, reports
    training   the config, the device, the loop, evaluation
    data       datasets: registry, idx files, sources, splits, download
    model      architectures as data, shapes, checkpoints, model input
    base       errors.py, paths.py, format.py (numbers as the lab writes them)

The pages (``pages/``) and the CLI are thin faces over it.
"""

__version__ = "0.2.0"
