"""The model layer — LeNet as data.

Owns: the architectures as lists of layer specs and the networks built from them
(``architectures``), the layer-by-layer shape table (``shapes``), checkpoints with their
metadata (``checkpoints``, and the bundled digit model in ``pretrained/``), and the one way
pixels become a model's input (``inputs``). May import: ``lenet_core.errors`` only (and torch).
"""
