"""Tracebacks as the user needs them: their own frames, not looptui's machinery.

An exception raised in a loop's body passes through looptui's ``Loop._run_body`` and
``_loop``; an import error passes through importlib. Those frames say nothing about the
user's bug, so they are dropped (at every level of a chained exception) before display.
The adapters' wrappers, which re-raise the user's exceptions to the library, drop their
own frame at once instead (:func:`hide_frame`), so the library's tracebacks read as
without looptui.
"""

from __future__ import annotations

import os
import sys
import traceback
from types import TracebackType

__all__ = ["format_user_exception", "is_own_frame", "hide_frame", "user_exc_info"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def is_own_frame(filename: str) -> bool:
    """True for frames of looptui itself or of importlib's bootstrap."""
    return filename.startswith((_PACKAGE_DIR, "<frozen importlib"))


def _chain(te: traceback.TracebackException) -> list[traceback.TracebackException]:
    """*te* and every exception chained to it (cause, context), each once."""
    seen: list[traceback.TracebackException] = []
    todo = [te]
    while todo:
        cur = todo.pop()
        if any(cur is s for s in seen):
            continue
        seen.append(cur)
        todo.extend(x for x in (cur.__cause__, cur.__context__) if x is not None)
    return seen


def user_exc_info(
    exc: BaseException,
) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    """``exc_info`` for logging *exc* without looptui's frames at the head of its
    traceback (the loop machinery that called the user's body); the exception itself
    is left as it is."""
    tb = exc.__traceback__
    while tb is not None and is_own_frame(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return type(exc), exc, tb


def format_user_exception(exc: BaseException) -> str:
    """Format *exc* like Python does, without looptui's or importlib's frames.

    A part left with no frame (a ``SyntaxError`` raised by the import machinery) is
    shown without a "Traceback" header: its message already names the file and line.
    """
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    for part in _chain(te):
        part.stack = traceback.StackSummary.from_list(
            [frame for frame in part.stack if not is_own_frame(frame.filename)]
        )
    return "".join(te.format())


def hide_frame(exc: BaseException) -> None:
    """Drop the caller's frame from *exc*'s traceback; call it just before a bare ``raise``.

    The wrappers looptui puts between a library and the user's code catch and re-raise;
    without this, every traceback the library prints (or the task ends with) would show
    an extra adapter frame. With it, tracebacks read exactly as without looptui.
    """
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame is sys._getframe(1):
        exc.__traceback__ = tb.tb_next
