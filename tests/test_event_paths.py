"""One encoder for ``--json``, ``--record`` and every-event attach clients: the same objects as the general path.

The events of every iteration skip the event dict on all three paths (raw into the
batches of ``--json`` and ``--record``, straight into the protocol's ``event`` message
for attach clients). These tests hold that what comes out decodes to exactly what the
general path (``loop_event`` + ``json.dumps`` / ``wire.encode``) gives, byte for byte
for ``--json`` (its bytes are ``json.dumps(event)``'s: every non-ASCII character
escaped), hostile text included, in this process and through the writer process; and
that a session hands each routine event to each sink once, raw or as a dict.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest
from test_record_encoding import (
    HOSTILE_NAMES,
    ITERATION_FIELDS,
    NOW,
    UNUSUAL_FIELDS,
    _Frozen,
    _Named,
)

from looptui.core import clock
from looptui.core.registry import Registry
from looptui.core.states import LoopState
from looptui.core.tracker import Tracker
from looptui.headless import EventPrinter
from looptui.session.events.build import loop_event
from looptui.session.events.encode import (
    ascii_line,
    encode_line,
    event_message,
    iteration_line,
)
from looptui.session.remote import wire

TARGETS = Path(__file__).parent / "fixtures" / "targets"


@pytest.fixture
def frozen_clock():
    previous = clock.get_clock()
    clock.set_clock(_Frozen())  # a raw event without a time takes the clock's
    try:
        yield
    finally:
        clock.set_clock(previous)


def _general_json(kind: str, name: str, fields: dict[str, Any]) -> str:
    """What ``--json`` wrote for one event before: ``json.dumps`` of its dict."""
    return json.dumps(loop_event(kind, _Named(name), dict(fields))) + "\n"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_ascii_lines_are_the_bytes_json_dumps_writes(name):
    event = {"event": "log", "time": "2024-05-01T09:00:00.000Z", "loop": name,
             "stream": "stdout", "text": name + "\x00\x1b[31m", "n": [1.5, None, True]}
    line = ascii_line(encode_line(event))
    assert line == json.dumps(event) + "\n"
    assert line.isascii()


def test_json_printer_writes_raw_and_dict_events_as_json_dumps_would(frozen_clock):
    out = io.StringIO()
    printer = EventPrinter(out, json_mode=True)  # no event loop: written at once
    expected = []
    for name in HOSTILE_NAMES[:-1]:
        for kind, fields in ITERATION_FIELDS + UNUSUAL_FIELDS[1:]:
            printer.take_raw(kind, _Named(name), dict(fields))
            expected.append(_general_json(kind, name, fields))
        event = {"event": "log", "time": "2024-05-01T09:00:00.000Z", "loop": name,
                 "stream": "stderr", "text": name}
        printer(event)
        expected.append(json.dumps(event) + "\n")
    printer.close()
    assert out.getvalue() == "".join(expected)


@pytest.mark.skipif(os.name != "posix", reason="the writer process is POSIX only")
def test_json_printer_on_a_real_file_writes_through_the_writer_process(tmp_path, frozen_clock):
    path = tmp_path / "out.jsonl"
    expected: list[str] = []

    async def run(out: IO[str]) -> int | None:
        printer = EventPrinter(out, json_mode=True)
        for name in HOSTILE_NAMES:
            for kind, fields in ITERATION_FIELDS:
                printer.take_raw(kind, _Named(name), dict(fields))
                expected.append(_general_json(kind, name, fields))
        printer.flush()
        pid = printer._lines.writer_pid if printer._lines is not None else None
        printer.close()
        return pid

    with open(path, "w", encoding="utf-8") as out:
        pid = asyncio.run(run(out))
    assert pid is not None and pid != os.getpid()  # a child encoded and wrote it
    assert path.read_text(encoding="ascii") == "".join(expected)


@pytest.mark.parametrize("kind, fields", ITERATION_FIELDS)
@pytest.mark.parametrize("name", HOSTILE_NAMES[:-1])
def test_the_attach_event_message_decodes_to_the_general_one(kind, fields, name):
    data = event_message(kind, name, fields)
    if len(iteration_line(kind, name, fields) or "") > 8192:
        assert data is None  # a long one goes the protocol's general way
        return
    assert data is not None  # the template took it
    assert data.endswith(b"\n") and data.count(b"\n") == 1 and data.isascii()
    general = wire.encode({"type": "event", "data": loop_event(kind, _Named(name), dict(fields))})
    assert wire.decode(data) == wire.decode(general)
    assert list(wire.decode(data)["data"]) == list(wire.decode(general)["data"])  # key order


@pytest.mark.parametrize("kind, fields", UNUSUAL_FIELDS)
def test_unusual_fields_and_long_names_leave_the_attach_template(kind, fields):
    assert event_message(kind, "job", fields) is None
    assert event_message("state", HOSTILE_NAMES[-1], {"state": "running", "time": NOW}) is None


def test_a_session_hands_each_routine_event_once_raw_or_as_a_dict(tmp_path):
    """``--json`` and ``--record`` take the events of every iteration raw, another sink
    gets them as dicts; nobody gets one twice."""
    from looptui.session import Session

    registry = Registry()
    session = Session("examples/demo.py", watch=False, registry=registry,
                      record=str(tmp_path / "r.jsonl"))
    raw: list[tuple[str, str]] = []
    dicts: list[dict[str, Any]] = []

    class RawSink:
        def wants(self, kind: str, fields: dict[str, Any]) -> bool:
            return True

        def take_raw(self, kind: str, tracker: Tracker, fields: dict[str, Any]) -> None:
            raw.append((kind, tracker.name))

        def __call__(self, event: dict[str, Any]) -> None:
            raw.append((event["event"], "dict"))

    tracker = registry.register(Tracker("job", schedule="5s"))
    session.add_sink(RawSink())
    session.add_sink(dicts.append)
    seq = tracker.iteration_started(0, clock.now(), state=LoopState.RUNNING)
    tracker.iteration_finished(seq, then=LoopState.SLEEPING)
    tracker.set_state(LoopState.FAILED)  # not routine, but still a state: raw
    kinds = ["state", "iteration_started", "iteration_finished", "state", "state"]
    assert raw == [(kind, "job") for kind in kinds]
    assert [event["event"] for event in dicts] == kinds
    assert dicts[0] == loop_event("state", tracker, {"state": "running",
                                                     "time": tracker.history.record(0).started})
    assert session.recorder is not None
    assert session.recorder.written == 1 + len(kinds)  # (the recorder saw loop_added too)
    session.close_record()


def test_json_run_writes_the_bytes_of_json_dumps(tmp_path):
    """A real ``--json`` run (the writer process writes stdout): every line is what
    ``json.dumps`` writes for the object it decodes to, ASCII only."""
    out = tmp_path / "out.jsonl"
    with open(out, "wb") as stdout:
        subprocess.run([sys.executable, "-m", "looptui", str(TARGETS / "events_all.py"),
                        "--headless", "--json", "--for", "1.5"],
                       stdout=stdout, stderr=subprocess.PIPE, timeout=60, check=False)
    data = out.read_bytes()
    assert data.isascii()
    lines = data.decode().splitlines()
    assert lines and json.loads(lines[-1])["event"] == "summary"
    kinds = set()
    for line in lines:
        event = json.loads(line)
        kinds.add(event["event"])
        assert line == json.dumps(event)
    assert {"state", "iteration_started", "iteration_finished", "log"} <= kinds
