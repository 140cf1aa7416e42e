"""The training layer — a TrainConfig in, metrics, checkpoints and an outcome out.

Owns: the validated config with one declaration per setting and the presets (``config``), the
compute device (``device``), the loop (``engine``), evaluation (``evaluation``) and what the loop
reports through the Recorder protocol (``records``). May import: ``model``, ``data`` and the
base modules (``errors``, ``paths``). It never prints, draws or touches the run store.
"""
