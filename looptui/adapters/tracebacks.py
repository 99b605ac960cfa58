"""Keep looptui's own frames out of the user's tracebacks."""

from __future__ import annotations

import sys

__all__ = ["hide_frame"]


def hide_frame(exc: BaseException) -> None:
    """Drop the caller's frame from *exc*'s traceback; call it just before a bare ``raise``.

    The wrappers looptui puts between a library and the user's code catch and re-raise;
    without this, every traceback the library prints (or the task ends with) would show
    an extra adapter frame. With it, tracebacks read exactly as without looptui.
    """
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame is sys._getframe(1):
        exc.__traceback__ = tb.tb_next
