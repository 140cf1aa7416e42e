"""The training layer — a TrainConfig in, metrics, checkpoints and an outcome out.

Owns: the validated config with one declaration per setting and the presets (``config``), the
compute device (``device``), the loop as named steps (``engine``, its parts in ``steps``),
evaluation (``evaluation``) and what the loop reports through the Recorder protocol (``records``:
curves, checkpoints, the outcome, and ``inside``, a hook with the model and its gradients at each
reporting point, for recorders that look inside a layer). May import: ``model``, ``data`` and the
base modules (``errors``, ``paths``). It never prints, draws or touches the run store.
"""
