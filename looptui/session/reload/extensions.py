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
from types import ModuleType
from typing import Any, Iterable

from looptui.session.program.sources import source_path

__all__ = ["Extension", "loaded_extensions", "extensions_for", "check_source",
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


def extensions_for(files: Iterable[str], clients: Iterable[Any]) -> list[Extension] | None:
    """The extensions to reload for the saved *files*, or ``None`` if one is not an extension.

    Every file must be the source of an extension some client loaded; a file loaded by two
    clients is reloaded in both.
    """
    wanted = {os.path.abspath(f) for f in files}
    if not wanted:
        return None
    loaded = [ext for ext in loaded_extensions(clients) if ext.file in wanted]
    if {ext.file for ext in loaded} != wanted:
        return None
    return loaded


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
