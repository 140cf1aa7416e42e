"""The package's layers, checked on its own source: each subpackage imports only the layers
below it (docs/architecture.md draws them), and nothing in lenet_core imports Streamlit."""

import ast
from pathlib import Path

from helpers import ROOT

ORDER = ["base", "model", "data", "training", "runs", "inspect", "present", "cli"]
BASE = {"errors", "paths", "format", "__init__", "__main__"}


def layer(module: str) -> str:
    """``lenet_core.runs.store`` -> ``runs``; ``lenet_core.errors`` -> ``base``."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in BASE:
        return "base"
    return parts[1]


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "lenet_core":
                found |= {f"lenet_core.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_import_runs_upward_and_none_reaches_streamlit():
    upward, streamlit = [], []
    for path in sorted((ROOT / "lenet_core").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = layer(module)
        for name in imports(path):
            if name.split(".")[0] in ("streamlit", "streamlit_drawable_canvas"):
                streamlit.append(module)
            if name.startswith("lenet_core") and ORDER.index(layer(name)) > ORDER.index(own):
                if module != "lenet_core.__main__":  # `python -m lenet_core` is the CLI's door
                    upward.append(f"{module} ({own}) imports {name} ({layer(name)})")
    assert streamlit == []
    assert upward == []


def test_every_subpackage_says_what_it_owns_and_what_it_may_import():
    for package in ORDER[1:]:
        doc = ast.get_docstring(ast.parse((ROOT / "lenet_core" / package / "__init__.py").read_text()))
        assert doc and "Owns:" in doc and "May import:" in doc, package
