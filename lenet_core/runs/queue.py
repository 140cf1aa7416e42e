"""The run queue: each device has slots, and a run started while its device is full waits.

A queued run is *waiting* until a slot is reserved for it (``dispatched`` set), then its worker
is spawned and claims it (``running``). Slots are counted per device key (``cpu``, ``cuda:0``,
...): runs running there, and runs whose slot is reserved but whose worker has not claimed them
yet. A foreground ``train`` run counts while it runs (it never waits: it was asked for at the
terminal).

No server process is needed. :func:`dispatch` starts the oldest waiting runs that fit, and three
things call it: :func:`lenet_core.runs.launch.start` (a slot may be free now), a worker as it ends
(its slot frees), and :func:`lenet_core.runs.process.reap` (every Training page refresh and every
``runs list``: after a kill -9 or a restart of the dashboard, the next read starts the next run).
Reserving is one write transaction: two dispatchers (a page and a finishing trainer) never fill
one slot twice.

Setting: ``LENET_LAB_SLOTS`` — a number for every device (``2``), or per kind
(``cpu=1,cuda=3``). Defaults: one CPU slot (two runs on two cores thrash each other), two per GPU
(LeNet is small).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lenet_core.errors import LabError
from lenet_core.runs.rows import Run
from lenet_core.training.device import resolve_device

SLOTS_ENV = "LENET_LAB_SLOTS"
DEFAULT_SLOTS = {"cpu": 1, "cuda": 2, "mps": 1}


def parse_slots(text: str | None) -> dict[str, int]:
    """Slots per device kind from ``LENET_LAB_SLOTS``' text; a LabError naming what is wrong."""
    slots = dict(DEFAULT_SLOTS)
    text = (text or "").strip()
    if not text:
        return slots
    example = f"set {SLOTS_ENV} to a number (2) or to cpu=1,cuda=3"
    if "=" not in text:
        return {kind: _count(text, example) for kind in slots}
    for part in text.split(","):
        kind, _, value = part.partition("=")
        kind = kind.strip().lower()
        if kind not in slots:
            raise LabError(f"{SLOTS_ENV}: unknown device kind {kind!r} (cpu, cuda or mps); {example}")
        slots[kind] = _count(value, example)
    return slots


def _count(value: str, example: str) -> int:
    value = value.strip()
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise LabError(f"{SLOTS_ENV}: {value!r} is not a number of slots from 1 to 64; {example}")
    return int(value)


def slots() -> dict[str, int]:
    return parse_slots(os.environ.get(SLOTS_ENV))


def device_key(device: str | None) -> str:
    """The queue a device belongs to: ``cpu``, ``mps``, ``cuda:N`` (``cuda`` is ``cuda:0``)."""
    device = (device or "cpu").strip().lower()
    if device == "cuda":
        return "cuda:0"
    return device


def slots_of(key: str, table: dict[str, int] | None = None) -> int:
    table = table or slots()
    return table[key.split(":")[0]]


def run_key(run: Run) -> str:
    """The device queue of a run: where its config asks (``auto`` resolved here; a device that
    is absent queues on the CPU, and the run fails with the reason when it starts)."""
    try:
        return device_key(str(resolve_device(run.config.device)))
    except LabError:
        return "cpu"


@dataclass(frozen=True)
class Entry:
    """One active run as the queue sees it."""

    id: str
    key: str  # device key
    created: float
    holds_slot: bool  # running, or its slot reserved
    dispatched: float | None
    trial: int = 0  # a sweep's trials, recorded in the same instant, start in their order


@dataclass(frozen=True)
class QueueState:
    """Who holds each device's slots and who waits, in order."""

    entries: tuple[Entry, ...]
    table: dict[str, int]

    def in_use(self, key: str) -> int:
        return sum(1 for e in self.entries if e.key == key and e.holds_slot)

    def waiting(self, key: str | None = None) -> list[Entry]:
        return sorted((e for e in self.entries if not e.holds_slot and (key is None or e.key == key)),
                      key=lambda e: (e.created, e.trial, e.id))

    def position(self, run_id: str) -> int | None:
        """1 for the next run to start on its device; None for a run that holds a slot."""
        entry = next((e for e in self.entries if e.id == run_id), None)
        if entry is None or entry.holds_slot:
            return None
        return [e.id for e in self.waiting(entry.key)].index(run_id) + 1

    def to_start(self) -> list[str]:
        """The waiting runs that fit in the free slots, oldest first on each device."""
        chosen = []
        for key in sorted({e.key for e in self.entries}):
            free = slots_of(key, self.table) - self.in_use(key)
            chosen += [e.id for e in self.waiting(key)[:max(free, 0)]]
        return chosen

    def keys(self) -> list[str]:
        return sorted({e.key for e in self.entries})


def queue_state(runs: list[Run], table: dict[str, int] | None = None) -> QueueState:
    """The queue as ``runs`` (any list of runs; the inactive ones are left out) show it. Trials
    of a Ray sweep are left out too: Ray schedules them on its own resources."""
    entries = tuple(Entry(r.id, run_key(r), r.created,
                          r.status == "running" or r.dispatched is not None, r.dispatched, r.trial or 0)
                    for r in runs if r.active and r.backend != "ray")
    return QueueState(entries, table or slots())


def summary(state: QueueState, key: str = "cpu") -> str:
    """``1 of 1 CPU slot in use · 2 waiting`` for a sidebar note or ``runs list``."""
    total = slots_of(key, state.table)
    name = "CPU" if key == "cpu" else key.upper() if key == "mps" else key
    text = f"{state.in_use(key)} of {total} {name} slot{'s' if total != 1 else ''} in use"
    waiting = len(state.waiting(key))
    return text + (f" · {waiting} waiting" if waiting else "")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
