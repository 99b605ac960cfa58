"""The session layer shared by the TUI and headless front ends.

Imports the user's target, discovers and starts its loops, captures their output,
measures event-loop lag and turns what happens into events. Never imports textual.
"""

from .loader import (
    TargetError, TargetImportError, TargetUsageError, find_module_loops, load_target,
)
from .recorder import RecordError, Recorder
from .sanitize import safe_text
from .session import Session

__all__ = [
    "Session", "TargetError", "TargetImportError", "TargetUsageError", "RecordError",
    "Recorder", "find_module_loops", "load_target", "safe_text",
]
