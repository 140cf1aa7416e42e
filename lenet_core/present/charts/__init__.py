"""Charts: plain data in, ``alt.Chart`` out — every Altair chart of the lab, one module per thing
shown. Pure functions, shared by every page that shows the same thing, and tested on their specs
without Streamlit (pages draw them with ``pages/ui/charts.show_chart``).

    curves      a run's training curves (live and finished), runs compared, TensorBoard smoothing
    evaluation  a finished run's confusion matrix and accuracy per class
    guesses     class probabilities of one image (the Draw page and the Explorer)
    unit_map    the unit inspector's clickable map of one layer
    sweeps      a sweep's settings against its metric
    shapes      how the tensor shrinks, layer by layer (the Shapes page)

Pictures (NumPy arrays) are :mod:`lenet_core.present.pictures`; colour rules
:mod:`lenet_core.present.colours`.
"""
