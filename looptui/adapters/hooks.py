"""The wrappers installed on a library's ``Loop`` class, and how to remove them.

Each wrapper calls the library's original method unchanged and reports to the loop's
:class:`~looptui.adapters.foreign.ForeignLoop` before or after; a loop looptui has no
adapter for goes straight through. Subclasses (disnake's ``cls=``) inherit the wrappers.

The body is observed without replacing the loop's ``coro``: a data descriptor on the
class keeps the value in the instance ``__dict__`` as before and returns it unchanged to
everyone, except to the library's own iteration code (``_loop``, and py-cord's runners
for ``overlap``), which gets a thin callable that records the call. So ``loop.coro`` is
still the user's function and ``await loop()`` is not counted as an iteration.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import types
from typing import Any

from ..core.tracebacks import hide_frame
from .foreign import adapter_of, attach
from .traits import LibraryTraits

__all__ = ["hook_class", "unhook_class", "hooked_classes", "traits_of"]

_log = logging.getLogger("looptui.adapters")

_ABSENT = object()
_HOOKED: dict[type, tuple[LibraryTraits, dict[str, Any]]] = {}
"""Hooked class → (its traits, the class attributes it had before: restored on unhook)."""

_WRAPPED_NAMES = (
    "__init__", "__get__", "_loop", "_call_loop_function", "_try_sleep_until", "start",
    "stop", "change_interval", "coro",
)
"""What :func:`hook_class` wraps; a class missing one is left alone (with a warning)."""

# The private names of the libraries' ``Loop`` that looptui relies on, all listed here:
# the wrapped ones above, and those the adapter reads or sets on a loop (``foreign``,
# ``controls``, ``loopinfo``, ``traits``), always through ``getattr`` with a default so
# a missing one costs a detail, never the user's loop. ``tests/test_private_names.py``
# checks each against every installed library, and that the adapter uses no other.
LOOP_PRIVATE_NAMES: tuple[str, ...] = (
    "_task", "_handle", "_injected", "_before_loop", "_error", "_valid_exception",
    "_current_loop", "_last_iteration", "_next_iteration", "_last_iteration_failed",
    "_stop_next_iteration", "_get_next_sleep_time",
)
"""Read or set on every library's ``Loop`` by the adapter."""
LIBRARY_ONLY_NAMES: dict[str, tuple[str, ...]] = {
    "_name": ("discord.py",),  # the name= of a loop
    "_run_direct": ("py-cord",),  # overlap=: the runners that call the body
    "_semaphore_runner_factory": ("py-cord",),
}
"""Private names read where one library has them (and skipped where it does not)."""


def hooked_classes() -> list[type]:
    return list(_HOOKED)


def traits_of(cls: type) -> LibraryTraits | None:
    for base in cls.__mro__:
        entry = _HOOKED.get(base)
        if entry is not None:
            return entry[0]
    return None


_warned = False


def _internal_error() -> None:
    """A hook's own bookkeeping failed: the user's loop goes on, the monitor says so once."""
    global _warned
    if not _warned:
        _warned = True
        _log.warning("looptui could not follow a loop; its row may be out of date", exc_info=True)
    else:
        _log.debug("looptui adapter hook failed", exc_info=True)


class _ObservedBody:
    """What the library's ``_loop`` sees as ``self.coro``: records the call it makes."""

    __slots__ = ("_adapter", "_real")

    def __init__(self, adapter: Any, real: Any) -> None:
        self._adapter = adapter
        self._real = real

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._adapter.run_body(self._real, args, kwargs)

    def __getattr__(self, name: str) -> Any:  # __qualname__, __name__ … for the library's logs
        return getattr(self._real, name)


class _CoroSlot:
    """Data descriptor for ``coro``: the instance ``__dict__`` keeps the real value.

    *runners* holds the library functions that call the body for an iteration; only a
    read from one of their frames gets the observing callable (compared by identity of
    the code object, which is cheap and exact).
    """

    def __init__(self, runners: _Runners) -> None:
        self.runners = runners

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            real = obj.__dict__["coro"]
        except KeyError:
            raise AttributeError("coro") from None
        if id(sys._getframe(1).f_code) in self.runners.ids:
            adapter = adapter_of(obj)
            if adapter is not None:
                return _ObservedBody(adapter, real)
        return real

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["coro"] = value

    def __delete__(self, obj: Any) -> None:
        try:
            del obj.__dict__["coro"]
        except KeyError:
            raise AttributeError("coro") from None


class _Runners:
    """Code objects (kept alive here) whose frames run the body, and their ids."""

    def __init__(self) -> None:
        self.codes: list[types.CodeType] = []
        self.ids: set[int] = set()

    def add(self, codes: set[types.CodeType]) -> None:
        for code in codes:
            if id(code) not in self.ids:
                self.codes.append(code)
                self.ids.add(id(code))


def _runner_codes(cls: type) -> set[types.CodeType]:
    """Code objects of the library functions that call the body for an iteration."""
    codes: set[types.CodeType] = set()
    for name in ("_loop", "_run_direct"):
        func = cls.__dict__.get(name)
        code = getattr(func, "__code__", None)
        if code is not None:
            codes.add(code)
    factory = getattr(cls.__dict__.get("_semaphore_runner_factory"), "__code__", None)
    if factory is not None:  # py-cord: ``overlap=N`` runs the body in a nested ``runner``
        codes.update(c for c in factory.co_consts if isinstance(c, types.CodeType))
    return codes


def _note_subclass_runners(cls: type, runners: _Runners) -> None:
    """A subclass that overrides ``_loop`` still has its body observed."""
    for klass in cls.__mro__:
        if klass in _HOOKED:
            break
        runners.add(_runner_codes(klass))


def hook_class(cls: type, source: str) -> bool:
    """Install the wrappers on *cls* (a library's ``Loop``). False if already hooked."""
    if cls in _HOOKED:
        return False
    missing = [name for name in _WRAPPED_NAMES if name != "coro" and not hasattr(cls, name)]
    if missing:  # a library version that works differently: leave it alone
        _log.warning("looptui cannot monitor %s loops (no %s)", source, ", ".join(missing))
        return False
    traits = LibraryTraits(cls, source)
    saved = {name: cls.__dict__.get(name, _ABSENT) for name in _WRAPPED_NAMES}
    runners = _Runners()
    runners.add(_runner_codes(cls))
    seen_subclasses: set[type] = set()

    lib: Any = cls  # the library's class, read and patched by name (checked above)
    orig_init = lib.__init__
    orig_get = lib.__get__
    orig_loop = lib._loop
    orig_call = lib._call_loop_function
    orig_sleep = lib._try_sleep_until
    orig_start = lib.start
    orig_stop = lib.stop
    orig_change = lib.change_interval

    @functools.wraps(orig_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        orig_init(self, *args, **kwargs)
        try:
            kind = type(self)
            if kind is not cls and kind not in seen_subclasses:
                seen_subclasses.add(kind)
                _note_subclass_runners(kind, runners)
            attach(self, traits)
        except Exception:
            _internal_error()

    @functools.wraps(orig_get)
    def __get__(self: Any, obj: Any, objtype: Any = None) -> Any:
        copy = orig_get(self, obj, objtype)
        if obj is not None and copy is not self:
            try:
                adapter = adapter_of(copy)
                if adapter is None:
                    adapter = attach(copy, traits)
                adapter.on_bound(obj)
            except Exception:
                _internal_error()
        return copy

    @functools.wraps(orig_loop)
    async def _loop(self: Any, *args: Any, **kwargs: Any) -> Any:
        adapter = adapter_of(self)
        if adapter is None:
            return await orig_loop(self, *args, **kwargs)
        adapter.on_run_began()
        try:
            result = await orig_loop(self, *args, **kwargs)
        except asyncio.CancelledError as exc:
            hide_frame(exc)
            adapter.on_run_ended(self, "cancelled", None)
            raise
        except BaseException as exc:
            hide_frame(exc)
            adapter.on_run_ended(self, "failed", exc)
            raise
        adapter.on_run_ended(self, None, None)
        return result

    @functools.wraps(orig_call)
    async def _call_loop_function(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        adapter = adapter_of(self)
        if adapter is None:
            return await orig_call(self, name, *args, **kwargs)
        adapter.on_hook_entered(self, name)
        try:
            result = await orig_call(self, name, *args, **kwargs)
        except asyncio.CancelledError as exc:
            hide_frame(exc)
            raise
        except BaseException as exc:
            hide_frame(exc)
            adapter.on_hook_failed(self, name, exc, args)
            raise
        adapter.on_hook_done(self, name)
        return result

    @functools.wraps(orig_sleep)
    def _try_sleep_until(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = orig_sleep(self, *args, **kwargs)
        adapter = adapter_of(self)
        if adapter is not None:
            try:
                adapter.on_sleep(self, args[0] if args else kwargs.get("dt"))
            except Exception:
                _internal_error()
        return result

    @functools.wraps(orig_start)
    def start(self: Any, *args: Any, **kwargs: Any) -> Any:
        task = orig_start(self, *args, **kwargs)
        adapter = adapter_of(self)
        if adapter is not None:
            try:
                adapter.on_started(self, args, kwargs, task)
            except Exception:
                _internal_error()
        return task

    @functools.wraps(orig_stop)
    def stop(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = orig_stop(self, *args, **kwargs)
        adapter = adapter_of(self)
        if adapter is not None:
            try:
                adapter.on_stop(self)
            except Exception:
                _internal_error()
        return result

    @functools.wraps(orig_change)
    def change_interval(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = orig_change(self, *args, **kwargs)
        adapter = adapter_of(self)
        if adapter is not None:
            try:
                adapter.on_interval_changed(self)
            except Exception:
                _internal_error()
        return result

    lib.__init__ = __init__
    lib.__get__ = __get__
    lib._loop = _loop
    lib._call_loop_function = _call_loop_function
    lib._try_sleep_until = _try_sleep_until
    lib.start = start
    lib.stop = stop
    lib.change_interval = change_interval
    lib.coro = _CoroSlot(runners)
    _HOOKED[cls] = (traits, saved)
    return True


def unhook_class(cls: type) -> None:
    """Put back *cls*'s original attributes (loops keep their trackers, now inert)."""
    entry = _HOOKED.pop(cls, None)
    if entry is None:
        return
    _traits, saved = entry
    for name, value in saved.items():
        if value is _ABSENT:
            try:
                delattr(cls, name)
            except AttributeError:
                pass
        else:
            setattr(cls, name, value)
