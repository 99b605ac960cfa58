"""Monitor the ``tasks.Loop`` objects of discord.py, nextcord, disnake and py-cord.

The user's code is not changed: :func:`install` hooks each installed library's ``Loop``
class (when its ``ext.tasks`` module is imported, or at once if it already is), so every
loop created afterwards gets a :class:`~looptui.core.tracker.Tracker` in the registry —
module-level loops, the per-instance copies of loops defined in a class or cog, and
loops created later at run time. :func:`find_foreign_loops` finds the loops among a
module's globals (also ones created before :func:`install`) so a loader can start them.

Trackers report ``source`` as ``discord.py``, ``nextcord``, ``disnake`` or ``py-cord``;
their ``controls`` is a :class:`~looptui.adapters.foreign.ForeignLoop`.
"""

from __future__ import annotations

import logging
import sys
from types import ModuleType
from typing import Any

from ..core.registry import REGISTRY, Registry
from ..core.tracker import Tracker
from . import importhook
from .foreign import ForeignLoop, adapter_of, attach, set_registry
from .hooks import hook_class, hooked_classes, traits_of, unhook_class
from .libraries import LIBRARIES, TASKS_MODULES, installed_source, source_of_module

__all__ = [
    "install", "uninstall", "find_foreign_loops", "recognise", "tracker_for",
    "is_foreign_loop", "ForeignLoop", "loop_classes",
]

_log = logging.getLogger("looptui.adapters")

_installed: dict[str, str] = {}
"""tasks module name → source name, for every library :func:`install` took care of."""


def _hook_module(module: ModuleType) -> None:
    """Hook the ``Loop`` class of an imported ``<package>.ext.tasks`` module."""
    loop_cls = getattr(module, "Loop", None)
    if not isinstance(loop_cls, type):
        return
    package = module.__name__.split(".", 1)[0]
    try:
        hook_class(loop_cls, source_of_module(package))
    except Exception:  # the user's program must run even if its library surprises us
        _log.warning("looptui could not hook %s", module.__name__, exc_info=True)


def install(registry: Registry = REGISTRY) -> list[str]:
    """Hook every installed Discord library's ``Loop`` class; return their source names.

    A library whose ``ext.tasks`` is already imported is hooked now; one that is
    installed but not imported yet is hooked by an import hook the moment the user's code
    imports it (looptui never imports it itself). Libraries that are not installed are
    skipped. Calling it again does nothing new (apart from switching *registry*).
    """
    set_registry(registry)
    names: list[str] = []
    for lib in LIBRARIES:
        module_name = lib.tasks_module
        if module_name in _installed:
            names.append(_installed[module_name])
            continue
        source = installed_source(lib.package)
        if source is None:
            continue
        _installed[module_name] = source
        importhook.watch(module_name, _on_imported)
        names.append(source)
    return names


def _on_imported(module: ModuleType) -> None:
    _hook_module(module)
    importhook.unwatch(module.__name__)
    package = module.__name__.split(".", 1)[0]
    _installed[module.__name__] = source_of_module(package)


def uninstall() -> None:
    """Remove every hook and the import watcher; the original classes are restored.

    Trackers already registered stay in the registry (no longer updated).
    """
    importhook.unwatch(None)
    for cls in hooked_classes():
        unhook_class(cls)
    _installed.clear()
    set_registry(REGISTRY)


def loop_classes() -> tuple[type, ...]:
    """The ``Loop`` classes of the libraries that are imported right now."""
    found = []
    for module_name in TASKS_MODULES:
        module = sys.modules.get(module_name)
        cls = getattr(module, "Loop", None) if module is not None else None
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def is_foreign_loop(obj: object) -> bool:
    """Whether *obj* is a ``tasks.Loop`` of an imported Discord library (or a subclass)."""
    classes = loop_classes()
    return bool(classes) and isinstance(obj, classes)


def _ensure_tracked(loop: Any) -> ForeignLoop:
    """Hook the loop's library if needed and give the loop an adapter."""
    adapter = adapter_of(loop)
    if adapter is not None:
        return adapter
    traits = traits_of(type(loop))
    if traits is None:
        module = sys.modules.get(_tasks_module_of(type(loop)) or "")
        if module is not None:
            _hook_module(module)
        traits = traits_of(type(loop))
    if traits is None:
        raise TypeError(f"{loop!r} is not a loop of a known library")
    adapter = attach(loop, traits)
    adapter.adopt(loop)
    return adapter


def _tasks_module_of(cls: type) -> str | None:
    for klass in cls.__mro__:
        if klass.__module__ in TASKS_MODULES:
            return klass.__module__
    return None


def find_foreign_loops(module: ModuleType) -> list[Any]:
    """The foreign loops among *module*'s globals, in definition order, each once.

    Every one of them is tracked afterwards, also loops created before :func:`install`
    (their library is hooked if it was not). Returns the loop objects themselves: call
    ``start()`` (or ``tracker_for(loop).controls.ui_start()``) on those not running.
    """
    if not loop_classes():
        return []
    found: list[Any] = []
    seen: set[int] = set()
    for value in list(vars(module).values()):
        if id(value) in seen or not is_foreign_loop(value):
            continue
        seen.add(id(value))
        try:
            _ensure_tracked(value)
        except TypeError:
            continue
        found.append(value)
    return found


def recognise(obj: object) -> Any:
    """*obj* if it is a foreign loop (tracked from now on), else ``None``.

    Shaped for :data:`looptui.session.program.loader.LOOP_RECOGNISERS`.
    """
    if not is_foreign_loop(obj):
        return None
    try:
        _ensure_tracked(obj)
    except TypeError:
        return None
    return obj


def tracker_for(loop: object) -> Tracker | None:
    """The tracker of a foreign *loop*, or ``None`` if it is not tracked."""
    adapter = adapter_of(loop)
    return adapter.tracker if adapter is not None else None
