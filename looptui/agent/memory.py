"""Give the memory of dropped clients back to the system.

A client that does not read is cut off once its queue is full (:mod:`.client`); what was
queued for it — megabytes per client — is freed then, but the C allocator keeps freed
memory for later, and after many such clients the program's resident size stays as high
as at the worst moment. On glibc, ``malloc_trim`` returns the free pages; it is asked
for once the dropped clients' buffers are gone (a moment after the last drop, so a crowd
of drops costs one trim). Elsewhere this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from typing import Any

__all__ = ["release_soon", "TRIM_DELAY"]

TRIM_DELAY = 0.5
"""Seconds after the last drop before the free memory is given back."""
_state: dict[str, Any] = {"trim": None, "handle": None}


def _trim_function() -> Any:
    if _state["trim"] is None:
        trim: Any = False
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            trim = getattr(libc, "malloc_trim", False)
        except OSError:
            pass
        _state["trim"] = trim
    return _state["trim"]


def _release() -> None:
    _state["handle"] = None
    trim = _trim_function()
    if trim:
        trim(0)


def release_soon() -> None:
    """Give free memory back to the system :data:`TRIM_DELAY` after the last call."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    handle = _state["handle"]
    if handle is not None:
        handle.cancel()
    _state["handle"] = loop.call_later(TRIM_DELAY, _release)
