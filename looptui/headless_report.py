"""Readable headless output as a CI log should read: each failure once, a closing verdict.

Two things the event printer of :mod:`looptui.headless` does with them:

* :class:`EchoFilter`: a loop's default error handler prints the traceback that the
  failure event has just shown (``Unhandled exception in internal background task …``
  then the same lines, on the loop's stderr or through logging). Those lines are left
  out, so each failure is one block; a line that is not part of that echo ends it and
  is printed as usual. A retry's delay (``Retrying in 1.70s``) is kept, in one line.
* :func:`closing_lines`: after the summary, one ``FAILED name - error`` line per failed
  loop (and main), then a last line with the counts by state and the exit status, as
  pytest's short summary ends a test run.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from looptui.session.output.sanitize import safe_text

__all__ = ["EXIT_REASONS", "EchoFilter", "closing_lines"]

_HEADERS = re.compile(
    r"^(Unhandled exception in internal background task .*"
    r"|Exception in (before_loop|after_loop|the error handler|error handler) of .*"
    r"|Handling exception in internal background task .*)$")
"""First lines of what the libraries' and looptui's default handlers print with a
traceback (discord.py, nextcord, disnake, py-cord and looptui word them alike)."""
_RETRY = re.compile(r"Retrying in (\d+(?:\.\d+)?s)")

EXIT_REASONS = {
    0: "no loop failed",
    1: "the target failed to import",
    3: "a loop ended failed or the main failed",
    4: "the --record file could not be written",
    130: "interrupted",
}
"""What each exit status of headless runs means (the last line says it)."""


class EchoFilter:
    """Leaves out the repeat of a traceback just printed with a failure event."""

    def __init__(self) -> None:
        self._expect: dict[str, list[str]] = {}
        """Per loop: the traceback lines still expected, in order."""

    def failed(self, loop: str, traceback: str) -> None:
        """A failure of *loop* with *traceback* was printed: its echo may follow."""
        lines = list(traceback.rstrip("\n").split("\n"))
        self._expect[loop] = lines

    def log(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """*event* as it should be printed: ``None`` when it only repeats the traceback,
        a shorter one for a retry's header line, or *event* itself."""
        loop = event.get("loop")
        expected = self._expect.get(loop) if isinstance(loop, str) else None
        text = event.get("text")
        if expected is None or event.get("stream") not in ("stderr", "logging") or \
                not isinstance(text, str):
            return event
        kept: list[str] = []
        for line in text.rstrip("\n").split("\n"):
            if expected and line == expected[0]:
                expected.pop(0)
            elif _HEADERS.match(line):
                retry = _RETRY.search(line)
                if retry:
                    kept.append(f"retrying in {retry.group(1)}")
            else:
                self._expect.pop(str(loop), None)
                kept.append(line)
                expected = []
        if not expected:
            self._expect.pop(str(loop), None)
        if not kept:
            return None
        return {**event, "text": "\n".join(kept)}


def closing_lines(summary: dict[str, Any] | None, status: int,
                  reason: str | None = None) -> list[str]:
    """The short summary: ``FAILED`` lines, then ``== 1 failed, 2 stopped · exit 3 … ==``
    (*reason*: why the status, when not the usual one of :data:`EXIT_REASONS`)."""
    loops = (summary or {}).get("loops") or []
    lines: list[str] = []
    for entry in loops:
        if entry.get("state") == "failed":
            name = safe_text(entry.get("loop"), 200, multiline=False)
            error = entry.get("last_error")
            lines.append(f"FAILED {name}" + (
                f" - {safe_text(error, 300, multiline=False)}" if error else ""))
    main = (summary or {}).get("main")
    if isinstance(main, dict) and main.get("state") == "failed":
        name = safe_text(main.get("name"), 200, multiline=False)
        error = main.get("error")
        lines.append(f"FAILED main {name}" + (
            f" - {safe_text(error, 300, multiline=False)}" if error else ""))
    states = Counter(str(entry.get("state")) for entry in loops)
    order = sorted(states, key=lambda s: (s != "failed", s != "retrying", -states[s], s))
    counts = ", ".join(f"{states[s]} {safe_text(s, 20, multiline=False)}" for s in order)
    if not loops:
        counts = "no loops"
    reason = reason or EXIT_REASONS.get(status, "")
    verdict = f"{counts} · exit status {status}" + (f": {reason}" if reason else "")
    lines.append(f"== {verdict} ==")
    return lines
