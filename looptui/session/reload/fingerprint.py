"""What a loop *is*, for telling a changed loop from an unchanged one after a reload.

A loop counts as changed when, under the same display name, its coroutine's code (or a
hook's: ``before_loop``, ``after_loop``, a custom ``error``) or its schedule differs. Code
is compared by its compiled form, not by its text or line numbers, so adding a line above
a loop, or a comment inside it, does not mark it changed; reading the source would not
work anyway, since the file on disk already holds the new code.
"""

from __future__ import annotations

import inspect
from types import CodeType
from typing import TYPE_CHECKING, Any, Hashable

from looptui.adapters.foreign import loop_object

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = [
    "code_fingerprint", "function_fingerprint", "loop_fingerprint", "loop_object", "loop_coroutine",
]

_HOOKS = ("_before_loop", "_after_loop")


def _constant(value: Any) -> Hashable:
    if isinstance(value, CodeType):
        return code_fingerprint(value)
    if isinstance(value, tuple):
        return ("tuple", tuple(_constant(v) for v in value))
    if isinstance(value, frozenset):
        return ("frozenset", tuple(sorted(repr(_constant(v)) for v in value)))
    return (type(value).__name__, repr(value))


def code_fingerprint(code: CodeType) -> Hashable:
    """The parts of *code* that decide what it does (line numbers left out)."""
    return (
        code.co_name, code.co_code, tuple(_constant(c) for c in code.co_consts),
        code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
        code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags,
    )


def function_fingerprint(func: Any) -> Hashable:
    """Code plus default argument values of a function (or bound method), else ``None``."""
    func = getattr(func, "__func__", func)
    try:
        func = inspect.unwrap(func)
    except Exception:
        pass
    code = getattr(func, "__code__", None)
    if not isinstance(code, CodeType):
        return None
    defaults = getattr(func, "__defaults__", None) or ()
    kwdefaults = getattr(func, "__kwdefaults__", None) or {}
    extra: tuple[str, ...]
    try:
        extra = (repr(defaults), repr(sorted(kwdefaults.items())))
    except Exception:  # a default with a broken __repr__
        extra = ()
    return (code_fingerprint(code), extra)


def loop_coroutine(loop: Any) -> Any:
    """The user's coroutine function of *loop* (``None`` when there is no loop)."""
    if loop is None:
        return None
    try:
        stored = vars(loop).get("coro")  # adapters observe the body through a descriptor
    except TypeError:
        stored = None
    return stored if stored is not None else getattr(loop, "coro", None)


def loop_fingerprint(tracker: Tracker) -> Hashable:
    """Schedule, ``count`` and the code of the body and hooks of *tracker*'s loop."""
    loop = loop_object(tracker)
    parts: list[Hashable] = [tracker.schedule, tracker.count]
    if loop is None:
        return tuple(parts)
    parts.append(function_fingerprint(loop_coroutine(loop)))
    for name in _HOOKS:
        hook = getattr(loop, name, None)
        parts.append(function_fingerprint(hook) if hook is not None else None)
    handler = vars(loop).get("_error") if hasattr(loop, "__dict__") else None
    parts.append(function_fingerprint(handler) if inspect.isfunction(handler) else None)
    return tuple(parts)
