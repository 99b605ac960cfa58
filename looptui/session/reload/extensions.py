"""Extensions the program's Discord clients loaded, and reloading one the library's way.

A bot that loads ``cogs/ticker.py`` with ``bot.load_extension("cogs.ticker")`` — at
import, in ``setup_hook``, in ``on_ready`` — expects a changed cog to be replaced the way
the library replaces it: ``reload_extension`` runs the old cog's teardown
(``cog_unload``, the extension's ``teardown``), imports the file afresh and runs its
``setup``; when that fails, the library puts the old module back and sets it up again.
discord.py's ``reload_extension`` is a coroutine; nextcord's, disnake's and py-cord's are
plain functions: :func:`reload_through_library` calls either.

:func:`check_source` compiles the saved file first, so a syntax error is reported
without the library tearing the running cog down at all.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from dataclasses import dataclass
from types import FunctionType, ModuleType
from typing import Any, Iterable, Mapping

from looptui.session.program.sources import source_path

__all__ = ["Extension", "loaded_extensions", "extensions_for", "helper_modules", "check_source",
           "reload_through_library", "library_cause"]


@dataclass(frozen=True)
class Extension:
    """One extension a client loaded.

    Attributes:
        client: The client (a ``Bot``) that loaded it.
        name: The extension's name as loaded (``cogs.ticker``).
        module: Its module now.
        file: Its absolute ``.py`` file.
    """

    client: Any
    name: str
    module: ModuleType
    file: str


def loaded_extensions(clients: Iterable[Any]) -> list[Extension]:
    """Every extension of *clients* loaded from a ``.py`` file (clients without any: none)."""
    found: list[Extension] = []
    for client in clients:
        try:
            extensions = dict(getattr(client, "extensions", None) or {})
        except Exception:  # not a mapping: not a commands.Bot
            continue
        for name, module in extensions.items():
            file = source_path(module) if isinstance(module, ModuleType) else None
            if file is not None and callable(getattr(client, "reload_extension", None)):
                found.append(Extension(client, name, module, file))
    return found


def extensions_for(files: Iterable[str], clients: Iterable[Any],
                   modules: Mapping[str, ModuleType] | None = None) -> list[Extension] | None:
    """The extensions to reload for the saved *files*, or ``None`` if one has no owner.

    A file is owned by an extension when it is the extension's source, or the source of
    one of *modules* (the program's own modules) that the extension imports, directly or
    through other modules of the program (``cogs/help/help.py`` imported by the extension
    ``cogs.help``). A file loaded by two clients is reloaded in both.
    """
    wanted = {os.path.abspath(f) for f in files}
    if not wanted:
        return None
    loaded = loaded_extensions(clients)
    helpers = _modules_of(wanted - {ext.file for ext in loaded}, modules or {})
    chosen: list[Extension] = []
    owned: set[str] = set()
    for ext in loaded:
        uses = {ext.file} | {helpers[name] for name in _imported(ext.module, helpers, modules or {})}
        if uses & wanted:
            chosen.append(ext)
            owned |= uses & wanted
    if owned != wanted:
        return None
    return chosen


def helper_modules(files: Iterable[str], extensions: Iterable[Extension],
                   modules: Mapping[str, ModuleType]) -> list[str]:
    """Names of the saved *files*' modules that are not extensions themselves: they leave
    :data:`sys.modules` before the library reloads the extensions that import them, so the
    extension's fresh import runs the new code of its helpers too."""
    own = {ext.file for ext in extensions}
    return sorted(_modules_of({os.path.abspath(f) for f in files} - own, modules))


def _modules_of(files: set[str], modules: Mapping[str, ModuleType]) -> dict[str, str]:
    """``{module name: file}`` of *modules* whose source is one of *files*."""
    found: dict[str, str] = {}
    for name, module in modules.items():
        file = source_path(module)
        if file in files:
            found[name] = file
    return found


def _imported(module: ModuleType, targets: Mapping[str, str],
              modules: Mapping[str, ModuleType]) -> set[str]:
    """Which of *targets* (module names) *module* uses, directly or through *modules*."""
    found: set[str] = set()
    seen = {module.__name__}
    todo = [module]
    while todo:
        current = todo.pop()
        for name in _referenced(current):
            if name in seen:
                continue
            seen.add(name)
            if name in targets:
                found.add(name)
            inner = modules.get(name)
            if inner is not None:
                todo.append(inner)
    return found


def _referenced(module: ModuleType) -> set[str]:
    """Names of the modules *module*'s globals are (``import x``) or come from
    (``from x import f``: ``f.__module__``)."""
    names: set[str] = set()
    for value in list(vars(module).values()):
        if isinstance(value, ModuleType):
            names.add(value.__name__)
            continue
        try:
            owner = getattr(value, "__module__", None) if isinstance(
                value, (type, FunctionType)) or callable(value) else None
        except Exception:  # an odd object: it refers to nothing we reload
            continue
        if isinstance(owner, str):
            names.add(owner)
    return names


def check_source(file: str) -> None:
    """Compile *file* without running it.

    Raises:
        SyntaxError: the saved code does not compile (file and line in it).
        OSError: the file cannot be read (deleted, moved).
    """
    with open(file, "rb") as handle:
        source = handle.read()
    compile(source, file, "exec", dont_inherit=True)


async def reload_through_library(extension: Extension) -> None:
    """``reload_extension`` on the client that loaded *extension* (awaited if a coroutine).

    nextcord schedules an ``async def setup`` as a task instead of awaiting it: the event
    loop is given a turn so that the new cog is added before this returns.

    Raises:
        Exception: whatever the library raises (its ``ExtensionFailed`` wraps the error
            of the cog's code; see :func:`library_cause`). The library has then put the
            previous module back.
    """
    result = extension.client.reload_extension(extension.name)
    if inspect.isawaitable(result):
        await result
    await asyncio.sleep(0)


def library_cause(exc: BaseException) -> BaseException:
    """The error of the user's code behind a library's wrapper (``ExtensionFailed``)."""
    seen = 0
    while type(exc).__name__ == "ExtensionFailed" and seen < 5:
        inner = getattr(exc, "original", None) or exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc, seen = inner, seen + 1
    return exc
