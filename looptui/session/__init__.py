"""The session layer shared by the TUI and headless front ends.

Imports the user's target, discovers and starts its loops, captures their output,
measures event-loop lag and turns what happens into events. Never imports textual.
"""

from typing import TYPE_CHECKING

from looptui.session.events.recorder import Recorder, RecordError
from looptui.session.output.sanitize import safe_text
from looptui.session.program.loader import (
    TargetError,
    TargetImportError,
    TargetUsageError,
    find_module_loops,
    load_target,
)
from looptui.session.session import Session

if TYPE_CHECKING:  # the seam, checked by mypy in CI (typed assignments, never run)
    from looptui.session.interface import LocalSession, SessionView
    from looptui.session.remote.remote_session import RemoteSession

    def _both_sessions_are_what_the_front_ends_read(local: Session,
                                                    remote: RemoteSession) -> None:
        in_process: LocalSession = local
        attached: SessionView = remote
        viewed: SessionView = in_process
        assert viewed is not attached

__all__ = [
    "Session", "TargetError", "TargetImportError", "TargetUsageError", "RecordError",
    "Recorder", "find_module_loops", "load_target", "safe_text",
]
