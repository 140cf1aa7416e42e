"""What one row of the run store holds, in Python: a :class:`Run` (and a :class:`Sweep`), the
ids that name them, and a stored config read back.

A config was validated where it entered (the form, the CLI, a sweep's space); a row written by an
older version may hold a value this version no longer accepts (a renamed architecture, a range
since tightened). :func:`stored_config` checks each stored text once per process (it is memoised:
a page listing a hundred runs every second validates each config once) and reads it leniently:
fields this version does not know are left out, a value that no longer validates is replaced by
the default and the run carries a note saying so, so it never takes a page down.

Status: queued -> running -> completed | stopped | failed | diverged | pruned (a sweep's early
stop).
"""

from __future__ import annotations

import functools
import json
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lenet_core.errors import LabError
from lenet_core.model.architectures import ARCHITECTURES
from lenet_core.training.config import DEFAULTS, SETTINGS, TrainConfig, validate

STATUSES = ("queued", "running", "completed", "stopped", "failed", "diverged", "pruned")
ACTIVE = ("queued", "running")
RESUMABLE = ("stopped", "failed")
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")  # 20261128-143012-3fa9: sortable, path-safe
SWEEP_ID = re.compile(r"^sw-\d{8}-\d{6}-[0-9a-f]{4}$")  # sw-20261202-150102-0b1c
NAME_LIMIT = 80  # characters: a name shows in the run picker, the legend and `runs list`

def validate_run_id(run_id: str) -> str:
    """Run ids become folder names: anything but the strict pattern (e.g. ``../x``) is refused."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise LabError(f"{run_id!r} is not a run id (they look like 20261128-143012-3fa9; "
                       "`python -m lenet_core runs list` shows them)")
    return run_id


def validate_sweep_id(sweep_id: str) -> str:
    if not isinstance(sweep_id, str) or not SWEEP_ID.match(sweep_id):
        raise LabError(f"{sweep_id!r} is not a sweep id (they look like sw-20261202-150102-0b1c; "
                       "`python -m lenet_core sweep list` shows them)")
    return sweep_id


def new_run_id() -> str:
    return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a run (too long, or a line break or other control character that
    would break a table line), or None. An empty name means the default one."""
    if len(name.strip()) > NAME_LIMIT:
        return f"{len(name.strip())} characters is too long: at most {NAME_LIMIT}"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "it holds a line break or another control character: use one line of text"
    return None


def distinct_run_ids(count: int) -> list[str]:
    """``count`` run ids, no two alike (many drawn in one second share its prefix)."""
    ids: dict[str, None] = {}
    while len(ids) < count:
        ids[new_run_id()] = None
    return list(ids)


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Run:
    id: str
    name: str
    created: float  # Unix seconds; to_dict() gives ISO 8601
    config: TrainConfig
    status: str
    pid: int | None
    device: str | None
    started: float | None
    finished: float | None
    error: str | None
    summary: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    heartbeat: float | None = None
    request_id: str | None = None
    note: str | None = None  # the stored config no longer validates here: what was replaced
    dispatched: float | None = None  # when a queued run got a slot (None: waiting for one)
    sweep_id: str | None = None  # the sweep this run is a trial of
    trial: int | None = None  # its number in the sweep, from 1
    backend: str | None = None  # "ray": trained by a Ray sweep's driver, not by the local queue
    rung: int | None = None  # pruned: the epoch after which the early stop cut it

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": iso(self.created),
                "status": self.status, "config": self.config.to_dict(), "pid": self.pid,
                "device": self.device, "started": iso(self.started), "finished": iso(self.finished),
                "error": self.error, "summary": self.summary, "progress": self.progress,
                "note": self.note, "dispatched": iso(self.dispatched), "sweep_id": self.sweep_id,
                "trial": self.trial, "backend": self.backend, "rung": self.rung}


@dataclass
class Sweep:
    """A sweep as stored: its spec (base config, space, metric, backend, early stop, ...) and the
    state of its driver. Its trials are runs (:meth:`RunStore.sweep_runs`)."""

    id: str
    name: str
    created: float
    spec: dict[str, Any]
    status: str  # running | stopped | ended (what its trials say is worked out by sweeps.progress)
    pid: int | None  # the driver (a Ray sweep's, or the CLI watching a local one)
    finished: float | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": iso(self.created), "spec": self.spec,
                "status": self.status, "pid": self.pid, "finished": iso(self.finished),
                "error": self.error}


def json_safe(value: Any) -> Any:
    """NaN/inf become null, so the stored JSON is standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(json_safe(value))



def _network_missing(raw: dict) -> dict[str, str]:
    """A run copies its saved network's layers when it starts: a name without them is of a
    built-in renamed or retired since, a network this version cannot build."""
    arch = raw.get("arch")
    if isinstance(arch, str) and arch not in ARCHITECTURES and not raw.get("layers"):
        return {"arch": f"{arch!r} is no built-in network and the run holds no layers"}
    return {}


@functools.lru_cache(maxsize=4096)  # each stored text is checked once per process
def stored_config(text: str, home: Path | None = None) -> tuple[TrainConfig, str | None]:
    """A run's stored config (of a store in ``home``), leniently: fields this version does not know
    are left out, and a value that no longer validates is replaced by the default, said in the
    note (TrainConfig is frozen, so one read is shared safely). Such a config is for showing the
    run: a run whose config has a note is never trained (:func:`lenet_core.runs.worker.execute`)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, dict):
        return TrainConfig(), "stored config could not be read: it is shown with the default settings"
    known = {k: v for k, v in raw.items() if k in SETTINGS}
    missing = _network_missing(known)
    config, errors = validate({k: v for k, v in known.items() if k not in missing}, home)
    if config is not None and not missing:
        return config, None
    errors = {**missing, **errors}
    config, more = (config, {}) if config is not None else validate(
        {k: v for k, v in known.items() if k not in errors}, home)
    if config is None:  # what is left fails together (batch norm and a batch of one)
        config, more = TrainConfig(), {}
    replaced = "; ".join(f"{k}: {m} (shown as {DEFAULTS[k]!r})" for k, m in {**errors, **more}.items())
    return config, f"stored settings no longer hold here: {replaced}"

