"""Hook a library's ``ext.tasks`` module the moment the user's code imports it.

:func:`watch` puts a finder at the front of :data:`sys.meta_path` that recognises the
watched module names. It lets the normal finders locate the module, then runs a callback
right after the module has executed, before the importer gets it back. So installing
looptui's hooks never imports a Discord library itself, and a library that is never
imported costs nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import sys
from types import ModuleType
from typing import Any, Callable, Sequence

__all__ = ["watch", "unwatch", "is_watching"]

_log = logging.getLogger("looptui.adapters")

OnImport = Callable[[ModuleType], None]


class _PatchAfterExec(importlib.abc.Loader):
    """Wraps the real loader: executes the module, then calls the callback on it."""

    def __init__(self, real: Any, callback: OnImport) -> None:
        self._real = real
        self._callback = callback

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module keeps its real loader (inspect, linecache and reloads use it).
        module.__loader__ = self._real
        if module.__spec__ is not None:
            module.__spec__.loader = self._real
        self._real.exec_module(module)
        try:
            self._callback(module)
        except Exception:  # never break the user's import because of the monitor
            _log.exception("looptui could not hook %s", module.__name__)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _TasksFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: decorates the spec other finders return for watched names."""

    def __init__(self, names: dict[str, OnImport]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        callback = self.names.get(fullname)
        if callback is None:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchAfterExec(spec.loader, callback)
        return spec


_finder: _TasksFinder | None = None


def watch(fullname: str, callback: OnImport) -> None:
    """Call ``callback(module)`` once *fullname* is imported (now if it already is)."""
    global _finder
    module = sys.modules.get(fullname)
    if module is not None:
        callback(module)
        return
    if _finder is None:
        _finder = _TasksFinder({})
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    _finder.names[fullname] = callback


def unwatch(fullname: str | None = None) -> None:
    """Stop watching *fullname* (every name when ``None``); the finder leaves when idle."""
    global _finder
    if _finder is None:
        return
    if fullname is None:
        _finder.names.clear()
    else:
        _finder.names.pop(fullname, None)
    if not _finder.names:
        try:
            sys.meta_path.remove(_finder)
        except ValueError:
            pass
        _finder = None


def is_watching(fullname: str) -> bool:
    return _finder is not None and fullname in _finder.names
