"""Loops of live objects that nothing started: found, listed ``idle``, never started by looptui.

A loop defined in a class body (a cog's ``@tasks.loop``, one in a ``Bot`` subclass) gets
its per-instance copy only when the instance's attribute is first read — usually by the
``.start()`` call. A loop started only on some event, or never (the forgotten
``.start()``), would therefore be invisible. :class:`LiveObjects` reads those attributes
on the objects the program holds — instances among the module's globals, every Discord
client it created and the cogs added to them — so each copy exists and registers as
``idle``; ``r`` starts it. It checks again on every :meth:`scan` (cogs are often added
after login) and looks at each object once.

:func:`unbound_idle` picks the loops an import created that belong to no instance
(module level, in lists or dicts, made by factories): those the session starts unless
``--no-start``.
"""

from __future__ import annotations

import weakref
from types import ModuleType
from typing import Any, Iterable

from looptui.adapters.foreign import loop_object
from looptui.core.tracker import Tracker

__all__ = ["LiveObjects", "loop_object", "unbound_idle", "is_bound"]


def is_bound(tracker: Tracker) -> bool:
    """Whether *tracker*'s loop is the per-instance copy of a loop in a class body."""
    return getattr(loop_object(tracker), "_injected", None) is not None


def unbound_idle(trackers: Iterable[Tracker], before: set[int]) -> list[Tracker]:
    """Trackers not in *before* (ids) that are ``idle`` and belong to no instance."""
    return [t for t in trackers
            if id(t) not in before and t.state.value == "idle" and t.controls is not None
            and not is_bound(t)]


def _loop_types() -> tuple[type, ...]:
    from looptui.adapters import loop_classes
    from looptui.core.loop import Loop

    return (Loop, *loop_classes())


class LiveObjects:
    """Makes the per-instance loops of the program's live objects exist (see module doc)."""

    def __init__(self) -> None:
        self._seen: dict[int, Any] = {}
        # weak: a reload's old classes (and their loops) must be free to go
        self._names: weakref.WeakKeyDictionary[type, tuple[str, ...]] = weakref.WeakKeyDictionary()

    def _loop_names(self, cls: type, loop_types: tuple[type, ...]) -> tuple[str, ...]:
        names = self._names.get(cls)
        if names is None:
            found: dict[str, None] = {}
            for klass in reversed(cls.__mro__):
                for name, value in vars(klass).items():
                    if isinstance(value, loop_types):
                        found[name] = None
            names = self._names[cls] = tuple(found)
        return names

    def _visit(self, obj: Any, loop_types: tuple[type, ...]) -> int:
        key = id(obj)
        ref = self._seen.get(key)
        if ref is not None and ref() is obj:
            return 0
        if isinstance(obj, (type, ModuleType)) or callable(getattr(obj, "__get__", None)):
            return 0  # classes, modules, functions and loops themselves hold no instance loops
        names = self._loop_names(type(obj), loop_types)
        try:
            self._seen[key] = weakref.ref(obj)
        except TypeError:  # looked at again next time; binding twice does nothing
            pass
        bound = 0
        for name in names:
            try:
                if name not in getattr(obj, "__dict__", {}):
                    getattr(obj, name)  # the library (or looptui) binds and registers it
                    bound += 1
            except Exception:  # a property-like surprise: leave that object alone
                continue
        return bound

    def scan(self, module: ModuleType | None, clients: Iterable[Any]) -> int:
        """Bind the loops of *module*'s instances, each client and its cogs; return how many."""
        loop_types = _loop_types()
        objects: list[Any] = []
        if module is not None:
            objects.extend(vars(module).values())
        for client in clients:
            objects.append(client)
            cogs: Any = getattr(client, "cogs", None)
            if isinstance(cogs, dict) or hasattr(cogs, "values"):
                try:
                    objects.extend(list(cogs.values()))
                except Exception:
                    pass
        bound = 0
        for obj in objects:
            if obj is None or isinstance(obj, (str, bytes, int, float, bool, list, dict,
                                              tuple, set)):
                continue
            bound += self._visit(obj, loop_types)
        self._seen = {k: r for k, r in self._seen.items() if r() is not None}
        return bound
