"""The dashboard's pages, in one list: the entrypoint builds navigation from it and the home
page describes each page from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"  # scripts/screenshots.py


@dataclass(frozen=True)
class PageInfo:
    path: str
    title: str
    icon: str
    blurb: str

    @property
    def picture(self) -> Path:
        """The page's screenshot (the README shows the same): ``docs/screenshots/<page>.png``."""
        return SCREENSHOTS / f"{Path(self.path).stem}.png"


PAGES = [
    PageInfo("pages/views/home.py", "Home", ":material/home:",
             "What LeNet Lab is, the compute device, and the datasets available here."),
    PageInfo("pages/views/shapes.py", "Layer Shapes", ":material/table_chart:",
             "Layer-by-layer output shapes, parameters and multiply-adds of each LeNet, for any "
             "input size, with a picture of how the tensor shrinks."),
    PageInfo("pages/views/designer.py", "Network Designer", ":material/architecture:",
             "Start from any LeNet or a tutorial exercise and edit its layers as a list: shapes, "
             "parameters and multiply-adds follow each change; save it under a name and train it."),
    PageInfo("pages/views/training.py", "Training", ":material/model_training:",
             "Train LeNet from the sidebar and watch its loss and accuracy live; compare runs, "
             "and read a finished run's confusion matrix and its most confident mistakes."),
    PageInfo("pages/views/draw.py", "Draw & Classify", ":material/draw:",
             "Draw a digit or upload a picture: the 28×28 image the network sees, its first and "
             "second guess, which strokes drove it, and every layer's output."),
    PageInfo("pages/views/network3d.py", "Network in 3D", ":material/view_in_ar:",
             "Draw on a pad and watch every unit of every layer, and the guess, change while the "
             "pen moves: the network runs in your browser. Point at a unit for its lines, click it "
             "to take it apart."),
    PageInfo("pages/views/explorer.py", "Layer Explorer", ":material/layers:",
             "Every layer's output for real samples, for any model and saved epoch: per-channel "
             "statistics, two samples side by side, and one unit taken apart to its weighted sum."),
]
