"""Hostile text from user code: escapes, control characters, invalid UTF-8, megabytes.

The readable output shows it inert and cut to a line; JSON (``--json``, ``--record``)
carries it complete and escaped, so that every line parses and printing the file on a
terminal does nothing either.
"""

from __future__ import annotations

import io
import json
import re

import pytest

from looptui.core.registry import REGISTRY
from looptui.core.tracker import OUTPUT_LINE_SIZE
from looptui.headless import run_headless
from looptui.session.program.runner import run_bounded
from robust_support import isolated, target  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("isolated")

HUGE = 1_000_000
# ESC, BEL, other C0 controls but newline, DEL, C1, bidi overrides, separators, surrogates
TERMINAL_ACTIVE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e"
    "\u2066-\u2069\ufeff\ud800-\udfff]"
)


def _run(json_mode: bool, record: str | None = None) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_bounded(run_headless(
        target("hostile.py"), watch=False, json_mode=json_mode, record=record,
        duration=None, out=out, err=err,
    ))
    return out.getvalue(), err.getvalue(), code


def test_readable_output_is_inert_and_cut_to_a_line():
    out, err, code = _run(json_mode=False)
    assert code == 3  # the loop failed
    assert not TERMINAL_ACTIVE.search(out), TERMINAL_ACTIVE.search(out)
    assert "␛[2J␛[H" in out and "␛]0;pwned␇" in out  # visible, not acted on
    assert "\\x9b31m" in out and "\\u202e" in out and "surrogate: \\xff" in out
    assert "invalid utf-8: \ufffd\ufffd" in out
    assert max(len(line) for line in out.splitlines()) < 1200  # a megabyte cut to a line
    assert "ValueError: boom" in out


def test_json_output_is_valid_escaped_and_complete():
    out, _err, _code = _run(json_mode=True)
    assert out.isascii()  # every non-ASCII character, controls included, is escaped
    events = [json.loads(line) for line in out.splitlines()]
    failed = next(e for e in events if e["event"] == "iteration_failed")
    assert failed["message"].startswith("boom \x1b[31mred")
    assert len(failed["message"]) > HUGE  # the whole message
    logs = [e["text"] for e in events if e["event"] == "log" and e["loop"] == "shouty"]
    assert any(text == "big: " + "y" * HUGE for text in logs)  # the whole line
    assert "surrogate: \udcff" in logs


def test_the_record_file_is_valid_complete_and_inert(tmp_path):
    path = tmp_path / "events.jsonl"
    _run(json_mode=False, record=str(path))
    raw = path.read_text(encoding="utf-8", errors="surrogateescape")
    assert not TERMINAL_ACTIVE.search(raw.replace("\n", ""))
    events = [json.loads(line) for line in raw.splitlines()]
    failed = next(e for e in events if e["event"] == "iteration_failed")
    assert len(failed["message"]) > HUGE and "\x9b31m\x07" in failed["message"]
    assert events[-1]["event"] == "summary"


def test_the_output_ring_keeps_a_bounded_copy_of_a_huge_line():
    _run(json_mode=False)
    lines = [text for _t, _s, text in REGISTRY.get("shouty").output]
    big = next(text for text in lines if text.startswith("big: "))
    assert len(big) < OUTPUT_LINE_SIZE + 100 and big.endswith("more characters]")
    info = REGISTRY.get("shouty").last_exception
    assert len(info.message) > HUGE  # the exception itself is kept whole


def test_an_empty_loop_name_is_never_a_blank_row(isolated):
    from looptui import loop
    from looptui.core.registry import REGISTRY, UNNAMED

    @loop(seconds=1, name="")
    async def first():
        pass

    @loop(seconds=1, name="   ")
    async def second():
        pass

    names = [t.name for t in REGISTRY.trackers()]
    assert names == [UNNAMED, f"{UNNAMED}#2"]
