"""The inspect layer — looking inside a trained model. Owns: every layer's output, top guesses and
saliency (``activations``), one unit taken apart to its weighted sum (``unit``), the 3D view's
units and their layout (``geometry``), a selected unit's lines and arithmetic in that view
(``selection``), the Layer Explorer's pools and statistics (``explore``), and a run's most
confident mistakes (``mistakes``). May import: ``runs`` (a run's checkpoint files), ``training``,
``model``, ``data`` and the base modules.
"""
