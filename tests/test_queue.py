"""The run queue: slots per device, runs waiting in order, a slot freed by stop, failure and
kill -9 — real workers (subprocesses) on a real run store."""

import json
import os
import signal
import subprocess

import pytest
from helpers import TINY, lab, wait_for

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.runs import queue
from lenet_core.training.config import TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

LONG = {**TINY, "epochs": 50, "device": "cpu"}  # trains until it is stopped


def test_slots_setting_reads_a_number_or_one_per_kind_and_refuses_the_rest():
    assert queue.parse_slots(None) == {"cpu": 1, "cuda": 2, "mps": 1}
    assert queue.parse_slots("3") == {"cpu": 3, "cuda": 3, "mps": 3}
    assert queue.parse_slots("cpu=2, cuda=4") == {"cpu": 2, "cuda": 4, "mps": 1}
    for bad, why in [("0", "from 1 to 64"), ("-1", "from 1 to 64"), ("two", "not a number"),
                     ("gpu=2", "unknown device kind 'gpu'"), ("cpu=", "not a number")]:
        with pytest.raises(LabError, match=why):
            queue.parse_slots(bad)


def test_device_keys():
    assert queue.device_key("cuda") == "cuda:0"
    assert queue.device_key("cuda:1") == "cuda:1"
    assert queue.device_key(None) == "cpu"


def state(store) -> queue.QueueState:
    return queue.queue_state(store.list())


@pytest.mark.slow
def test_three_runs_one_slot_wait_in_order_and_each_freed_slot_starts_the_next(lab_home, monkeypatch):
    monkeypatch.setenv(queue.SLOTS_ENV, "cpu=1")
    store = runs.RunStore()
    first, second, third = (runs.start(TrainConfig(**LONG), name=n)[0] for n in ("a", "b", "c"))
    assert store.get(first.id).dispatched is not None  # the free slot: started at once
    now = state(store)
    assert now.in_use("cpu") == 1
    assert [now.position(r.id) for r in (first, second, third)] == [None, 1, 2]
    assert queue.summary(now) == "1 of 1 CPU slot in use · 2 waiting"
    wait_for(store, first.id, lambda r: r.status == "running" and r.progress.get("batch"))
    assert store.get(second.id).status == "queued" and store.get(second.id).pid is None

    # Stop the first: its worker, ending, starts the second (no page, no server involved).
    runs.stop(first.id)
    wait_for(store, first.id, lambda r: r.status == "stopped")
    running = wait_for(store, second.id, lambda r: r.status == "running")
    assert state(store).position(third.id) == 1

    # kill -9 the second: nothing of it runs any more; the next read (reap) marks it failed,
    # and starts nothing: the third waits in a free slot until asked (the page's button).
    os.kill(running.pid, signal.SIGKILL)
    wait_for(store, second.id, lambda r: r.status == "failed")
    assert "vanished" in store.get(second.id).error
    assert store.get(third.id).dispatched is None
    assert runs.report.stalled_words(state(store)).startswith("1 run waits while a slot is free")
    assert runs.start_waiting(store) == [third.id]
    wait_for(store, third.id, lambda r: r.status == "running")
    runs.stop(third.id, wait=60)
    assert [store.get(r.id).status for r in (first, second, third)] == ["stopped", "failed", "stopped"]


@pytest.mark.slow
def test_a_failing_run_frees_its_slot_and_a_waiting_run_can_be_cancelled(lab_home, monkeypatch):
    monkeypatch.setenv(queue.SLOTS_ENV, "1")
    store = runs.RunStore()
    broken = runs.start(TrainConfig(**{**LONG, "lr": 1e6, "optimizer": "sgd", "epochs": 1,
                                       "arch": "lenet-classic"}), name="diverges")[0]
    waiting = runs.start(TrainConfig(**LONG), name="next")[0]
    cancelled = runs.start(TrainConfig(**LONG), name="cancelled")[0]
    assert runs.stop(cancelled.id).status == "stopped"
    assert "cancelled while queued" in store.get(cancelled.id).error
    wait_for(store, broken.id, lambda r: not r.active)
    assert store.get(broken.id).status in ("diverged", "failed", "completed")
    wait_for(store, waiting.id, lambda r: r.status == "running")
    assert store.get(cancelled.id).status == "stopped" and store.get(cancelled.id).pid is None
    runs.stop(waiting.id, wait=60)


@pytest.mark.slow
def test_a_waiting_run_is_never_failed_for_waiting(lab_home, monkeypatch):
    monkeypatch.setenv(queue.SLOTS_ENV, "1")
    store = runs.RunStore()
    holder = store.create(TrainConfig(**LONG), "foreground")  # holds the only slot
    waiting = runs.start(TrainConfig(**LONG), name="waits")[0]
    with store._connect() as conn:  # it has waited an hour
        conn.execute("UPDATE runs SET created = created - 3600, heartbeat = heartbeat - 3600 "
                     "WHERE id = ?", (waiting.id,))
    assert runs.stop(holder.id).status == "stopped"  # the slot frees; the next read starts it
    by_id = {r.id: r for r in runs.reap(store)}
    assert by_id[waiting.id].status in ("queued", "running") and by_id[waiting.id].pid
    runs.stop(waiting.id, wait=60)


def test_runs_list_shows_places_in_the_queue_and_refuses_a_bad_slots_setting(lab_home, monkeypatch):
    monkeypatch.setenv(queue.SLOTS_ENV, "cpu=1")
    store = runs.RunStore()
    store.create(TrainConfig(**LONG), "foreground")  # holds the slot
    first = runs.start(TrainConfig(**LONG), name="first")[0]
    second = runs.start(TrainConfig(**LONG), name="second")[0]
    code, out, err = lab("runs", "list")
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines() if line[:1].isdigit()}
    assert "queued · 1st" in lines[first.id] and "queued · 2nd" in lines[second.id]
    assert "cpu: 1 of 1 CPU slot in use · 2 waiting (LENET_LAB_SLOTS sets how many)" in out
    code, out, err = lab("runs", "list", "--json")
    positions = {r["id"]: r["queue_position"] for r in json.loads(out)}
    assert positions[first.id] == 1 and positions[second.id] == 2
    code, out, err = lab("runs", "list", env={queue.SLOTS_ENV: "many"})
    assert code != 0 and "Traceback" not in err
    assert "LENET_LAB_SLOTS: 'many' is not a number of slots from 1 to 64" in err
    assert store.get(first.id).status == "queued"  # nothing lost, nothing started


@pytest.mark.slow
def test_runs_list_says_when_runs_wait_in_a_free_slot_and_start_waiting_starts_them(lab_home, monkeypatch):
    monkeypatch.setenv(queue.SLOTS_ENV, "cpu=1")
    store = runs.store_for()
    holder = store.create(TrainConfig(**LONG), "killed")
    gone = subprocess.Popen(["true"])
    gone.wait()  # a real pid that no longer runs: its trainer was killed with -9
    assert store.claim(holder.id, gone.pid)
    waiting = runs.start(TrainConfig(**LONG), name="waits")[0]
    code, out, err = lab("runs", "list")
    assert code == 0, err
    assert ("1 run waits while a slot is free (a trainer ended without starting it): "
            "python -m lenet_core runs start-waiting") in out
    assert store.get(holder.id).status == "failed" and store.get(waiting.id).dispatched is None
    code, out, err = lab("runs", "start-waiting")
    assert (code, out.strip()) == (0, f"started 1 waiting run: {waiting.id}"), err
    wait_for(store, waiting.id, lambda r: r.status == "running")
    runs.stop(waiting.id, wait=60)
    code, out, err = lab("runs", "start-waiting")
    assert out.strip() == "started 0 waiting runs"
