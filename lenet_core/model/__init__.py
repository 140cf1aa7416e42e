"""The model layer — LeNet as data.

Owns: the architectures as lists of layer specs and the networks built from them
(``architectures``), the layer-by-layer shape table (``shapes``), checkpoints with their
metadata (``checkpoints``, and the bundled digit model in ``pretrained/``), the one way
pixels become a model's input (``inputs``), and the learner's own networks: one line of text per
network (``grammar``), saved in the home folder (``saved``), edited as a list (``edit``), the
tutorial's exercises (``exercises``), one layer's setting changed (``tweak``) and what this
machine can train (``limits``); a checkpoint as the browser runs it (``browser``) and as an ONNX
file (``onnx_export``). May import: the base layer (``errors``, ``paths``, ``format``), torch, and
onnx and onnxruntime (in ``onnx_export``).
"""
