"""What the front ends (the TUI, headless, the command line) use of the session layer
besides :mod:`~looptui.session.interface`, in one import.

The pieces live where they belong (output, signals, events, the loader); this module only
names the set the front ends may use, so ``headless.py`` and ``cli.py`` depend on three
session modules at most: the interface, this one and the package (for ``Session``). It
imports nothing heavy: ``looptui --help`` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from looptui.session.commands import is_paused
from looptui.session.debug.console import is_complete
from looptui.session.debug.tasks import row_matches
from looptui.session.events.batched import BatchedLines, ThreadedLines
from looptui.session.events.recorder import EXIT_RECORD_FAILED
from looptui.session.health.watchdog import DEFAULT_THRESHOLD
from looptui.session.output.cells import cell_width
from looptui.session.output.clip import clip_line
from looptui.session.output.flood import RATE as LOG_RATE
from looptui.session.output.line_writer import LineWriter
from looptui.session.output.sanitize import ELLIPSIS, one_line, safe_text
from looptui.session.program.as_main import check_program
from looptui.session.program.loader import TargetError, TargetImportError, TargetUsageError
from looptui.session.program.runner import run_bounded
from looptui.session.program.signals import QuitSignals, forced_exit_started
from looptui.session.reload.watcher import python_source_filter

if TYPE_CHECKING:
    from looptui.session.remote.remote_session import RemoteSession

__all__ = [
    "BatchedLines", "EXIT_RECORD_FAILED", "DEFAULT_THRESHOLD", "ELLIPSIS", "LOG_RATE", "LineWriter",
    "QuitSignals", "TargetError", "ThreadedLines", "TargetImportError", "TargetUsageError", "attached_session",
    "cell_width", "check_program", "clip_line", "forced_exit_started", "is_complete", "is_paused", "one_line",
    "python_source_filter", "row_matches", "run_bounded", "safe_text",
]


def attached_session(addresses: list[str], token: str | None, *, record: str | None,
                     say: Callable[[str], object]) -> RemoteSession:
    """The session of ``looptui attach ADDRESS...`` (nothing connected yet); *say* gets
    each note about what the addresses resolved to (stale sockets skipped …) first.

    Raises:
        TargetUsageError: An address names nothing to attach to (exit code 2).
    """
    from looptui.session.remote.address import AddressError, resolve_addresses
    from looptui.session.remote.remote_session import RemoteSession

    try:
        resolved, notes = resolve_addresses(addresses, token)
    except AddressError as err:
        raise TargetUsageError(str(err)) from None
    for note in notes:
        say(note)
    return RemoteSession(resolved, record=record, notes=notes)
