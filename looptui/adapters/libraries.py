"""Which Discord libraries have a ``tasks.Loop`` class, and how to tell them apart.

discord.py and py-cord both install a top-level package called ``discord``; only one of
them can be imported in a process. Before it is imported, the distribution whose files
hold ``discord/__init__.py`` says which one it is; once it is imported, its ``__title__``
does (``"discord"`` for discord.py, ``"pycord"`` for py-cord). Nothing here imports a
library: it only looks at installed metadata and at :data:`sys.modules`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass

__all__ = ["Library", "LIBRARIES", "TASKS_MODULES", "source_of_module", "installed_source"]


@dataclass(frozen=True)
class Library:
    """A package that provides ``<package>.ext.tasks.Loop``."""

    package: str
    """The top-level import name (``discord``, ``nextcord``, ``disnake``)."""

    @property
    def tasks_module(self) -> str:
        return f"{self.package}.ext.tasks"


LIBRARIES = (Library("discord"), Library("nextcord"), Library("disnake"))
"""Every package looptui can hook (``discord`` is discord.py or py-cord)."""

TASKS_MODULES = {lib.tasks_module: lib for lib in LIBRARIES}
"""``discord.ext.tasks`` → its :class:`Library`."""

_DISCORD_DISTRIBUTIONS = {"py-cord": "py-cord", "discord.py": "discord.py"}


def source_of_module(package: str) -> str:
    """The source name for an imported top-level *package* (``py-cord`` or the package)."""
    if package != "discord":
        return package
    module = sys.modules.get("discord")
    title = getattr(module, "__title__", None)
    if title == "pycord":
        return "py-cord"
    if title is not None:
        return "discord.py"
    return installed_source("discord") or "discord.py"


def installed_source(package: str) -> str | None:
    """The source name of *package* if it can be imported here, without importing it.

    Returns ``None`` when the package is not installed. For ``discord`` the answer is the
    distribution that owns the ``discord`` package Python would import (the first on
    :data:`sys.path`), so a py-cord found first on ``PYTHONPATH`` wins over a discord.py
    installed in the environment.
    """
    if package in sys.modules:
        return source_of_module(package)
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if package != "discord":
        return package
    origin = spec.origin
    if origin is None:
        return "discord.py"
    real_origin = os.path.realpath(origin)
    for dist_name, source in _DISCORD_DISTRIBUTIONS.items():
        for dist in _distributions(dist_name):
            try:
                owned = os.path.realpath(str(dist.locate_file("discord/__init__.py")))
            except Exception:  # a broken distribution must not break the monitor
                continue
            if owned == real_origin:
                return source
    return "discord.py"


def _distributions(name: str) -> list[importlib.metadata.Distribution]:
    """Every installed distribution called *name* (several paths may each hold one)."""
    wanted = name.lower().replace("_", "-")
    found = []
    for dist in importlib.metadata.distributions():
        try:
            dist_name = dist.metadata["Name"]
        except Exception:
            continue
        if dist_name and dist_name.lower().replace("_", "-") == wanted:
            found.append(dist)
    return found
