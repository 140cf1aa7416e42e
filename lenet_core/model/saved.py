"""Networks a person designed, saved in the home folder: ``<home>/architectures/<name>.json``.

A file holds exactly four keys, the layers in the grammar of :mod:`lenet_core.model.grammar`::

    {"name": "lenet-max", "description": "the tutorial's net with max pooling",
     "input_size": 28, "layers": "conv(6,5,pad=2) sigmoid maxpool(2) ... fc(10)"}

Every file is validated when read, as anything a person may have edited by hand: a file that is
not JSON, has a key missing or one this version does not know, a name that does not match its
file, or layers that do not parse is listed with its one-line error by :func:`saved_networks`
and is refused where it would be used, never taking a page or a command down. Saving writes a
temporary file in the same folder and renames it over the name: a file is whole or absent.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lenet_core import paths
from lenet_core.errors import LabError
from lenet_core.model.architectures import ARCHITECTURES, Architecture
from lenet_core.model.grammar import INPUT_SIZES, layers_text, parse_layers
from lenet_core.model.limits import size_problem

FOLDER = "architectures"
KEYS = ("name", "description", "input_size", "layers")

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # a file name, a CLI word, a picker label
DESCRIPTION_LIMIT = 200


@dataclass(frozen=True)
class Listed:
    """A saved network as the lists show it: its architecture, or why its file cannot be used."""

    name: str
    path: Path
    arch: Architecture | None
    error: str | None


def folder(home: Path | None = None) -> Path:
    return (home or paths.lab_home()) / FOLDER


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a saved network, or None."""
    if not isinstance(name, str) or not name.strip():
        return "a network needs a name: lowercase letters, digits and hyphens, e.g. lenet-max"
    if name in ARCHITECTURES:
        return f"{name!r} is a built-in network: choose another name"
    if not NAME.match(name):
        shown = name if len(name) <= 40 else name[:37] + "..."
        return (f"{shown!r} cannot name a network: use 1 to 40 lowercase letters, digits and "
                "hyphens, starting with a letter or digit (e.g. lenet-max)")
    return None


def network(name: str, description: str, layers: str, input_size: int = 28) -> Architecture:
    """A saved network's architecture from its parts, each checked; a LabError in one line."""
    if problem := name_problem(name):
        raise LabError(problem)
    if not isinstance(description, str) or "\n" in description or len(description) > DESCRIPTION_LIMIT:
        raise LabError(f"the description must be one line of at most {DESCRIPTION_LIMIT} characters")
    if input_size not in INPUT_SIZES or isinstance(input_size, bool):
        raise LabError(f"input_size must be 28 (the image as it is) or 32 (padded by 2), not {input_size!r}")
    return Architecture(name=name, title=name, description=description.strip(),
                        input_size=input_size, layers=parse_layers(layers, input_size))


def to_json(arch: Architecture) -> dict:
    """The file's four keys for ``arch`` (any architecture, built-ins included: a starting point)."""
    return {"name": arch.name, "description": arch.description, "input_size": arch.input_size,
            "layers": layers_text(arch.layers)}


def from_json(raw, source: str) -> Architecture:
    """An architecture from a saved file's contents; ``source`` names it in the error."""
    if not isinstance(raw, dict):
        raise LabError(f"{source}: a network file holds one JSON object with the keys {', '.join(KEYS)}")
    missing = [k for k in KEYS if k not in raw]
    extra = sorted(set(raw) - set(KEYS))
    if missing or extra:
        said = [f"missing {', '.join(missing)}" if missing else "",
                f"keys this version does not know: {', '.join(extra)}" if extra else ""]
        raise LabError(f"{source}: {'; '.join(s for s in said if s)} (a network file has exactly "
                       f"{', '.join(KEYS)})")
    if not isinstance(raw["layers"], str):
        raise LabError(f"{source}: layers must be one line of text, e.g. "
                       "\"conv(6,5,pad=2) sigmoid ... fc(10)\"")
    try:
        return network(raw["name"], raw["description"], raw["layers"], raw["input_size"])
    except LabError as exc:
        raise LabError(f"{source}: {exc}") from None


def read_network(path: Path) -> Architecture:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabError(f"{path.name}: cannot be read as a network file ({exc})") from None
    arch = from_json(raw, path.name)
    if arch.name != path.stem:
        raise LabError(f"{path.name}: it names itself {arch.name!r}: a file is named after its network")
    return arch


def saved_networks(home: Path | None = None) -> list[Listed]:
    """Every ``*.json`` in the folder, by name: readable ones with their architecture, the others
    with their error."""
    found = []
    for path in sorted(folder(home).glob("*.json")) if folder(home).is_dir() else []:
        try:
            found.append(Listed(path.stem, path, read_network(path), None))
        except LabError as exc:
            found.append(Listed(path.stem, path, None, str(exc)))
    return found


def picker_networks(home: Path | None = None) -> tuple[dict[str, Architecture], list[Listed]]:
    """What an architecture picker offers: every usable network by name, built-ins first, then
    the saved ones; and the saved files that cannot be used (each with its one-line error)."""
    listed = saved_networks(home)
    usable = {**ARCHITECTURES, **{n.name: n.arch for n in listed if n.arch is not None}}
    return usable, [n for n in listed if n.arch is None]


def broken_words(broken: list[Listed]) -> str | None:
    """One line on the saved files a picker leaves out, or None when there are none."""
    if not broken:
        return None
    return (f"{len(broken)} saved network file{'s' if len(broken) != 1 else ''} cannot be used: "
            + "; ".join(n.error for n in broken))


def find_network(name: str, home: Path | None = None) -> Architecture:
    """A built-in network or a saved one, by name; a LabError that says which exist."""
    if name in ARCHITECTURES:
        return ARCHITECTURES[name]
    if name_problem(name) is None and (path := folder(home) / f"{name}.json").is_file():
        return read_network(path)
    saved = [n.name for n in saved_networks(home) if n.arch is not None]
    raise LabError(f"unknown network {name!r}: the built-in ones are {', '.join(ARCHITECTURES)}"
                   + (f"; saved: {', '.join(saved)}" if saved else "; none is saved yet"))


def save_network(arch: Architecture, home: Path | None = None, replace: bool = False) -> Path:
    """Write ``arch`` as ``<home>/architectures/<name>.json``, atomically (whole or absent). A
    network this machine cannot train (:mod:`lenet_core.model.limits`) is refused: the designer
    and ``arch add`` save only what the Training page can start."""
    arch = network(arch.name, arch.description, layers_text(arch.layers), arch.input_size)
    if problem := size_problem(arch):
        raise LabError(f"not saved: {problem}")
    target = folder(home) / f"{arch.name}.json"
    if target.exists() and not replace:
        raise LabError(f"a network named {arch.name!r} is saved already: delete it first, or choose "
                       "another name")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{arch.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(to_json(arch), out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def delete_network(name: str, home: Path | None = None) -> None:
    if name in ARCHITECTURES:
        raise LabError(f"{name!r} is a built-in network: it cannot be deleted")
    if (problem := name_problem(name)) is not None:
        raise LabError(problem)
    path = folder(home) / f"{name}.json"
    if not path.is_file():
        raise LabError(f"no saved network {name!r} in {folder(home)}")
    path.unlink()
