"""The README is the front door: short, its two commands the ones that work (CI runs the test
one), and every picture and link it shows there."""

import re

from helpers import ROOT

README = (ROOT / "README.md").read_text()


def test_the_readme_is_a_front_door_of_at_most_150_lines():
    assert len(README.splitlines()) <= 150


def test_its_two_commands_are_the_start_and_the_test_scripts_and_ci_runs_the_test_one():
    quick_start = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick_start.strip().splitlines()]
    assert commands == ["bash scripts/start.sh", "bash scripts/test.sh"]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec bash scripts/test.sh")
    assert "pip install -r requirements.txt && streamlit run app.py" in README  # the usual Streamlit way


def test_every_picture_and_link_points_at_a_file_here():
    targets = re.findall(r'\]\(([^)#]+)(?:#[^)]*)?\)', README) + re.findall(r'src="([^"]+)"', README)
    local = [t for t in targets if not t.startswith(("http://", "https://"))]
    assert local and all((ROOT / t).exists() for t in local), [t for t in local if not (ROOT / t).exists()]
    pictures = re.findall(r'src="(docs/screenshots/[^"]+)"', README)
    assert {p.rsplit("/", 1)[1] for p in pictures} == {
        "home.png", "shapes.png", "training.png", "sweeps.png", "draw.png", "explorer.png", "designer.png",
        "network3d.png"}
