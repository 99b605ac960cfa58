"""The session layer shared by the TUI and headless front ends.

Imports the user's target, discovers and starts its loops, captures their output,
measures event-loop lag and turns what happens into events. Never imports textual.
"""

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

__all__ = [
    "Session", "TargetError", "TargetImportError", "TargetUsageError", "RecordError",
    "Recorder", "find_module_loops", "load_target", "safe_text",
]
