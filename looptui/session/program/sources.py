"""Which files make up the user's program: what the hot reload watches and re-imports.

The program's *root* is the folder the target lives in (for a module name, the folder of
its top-level package). A *user module* is a module imported from a ``.py`` file under the
root after the session began — the target and the siblings it imports. Modules of
libraries (virtualenvs, ``site-packages``), of looptui itself, and modules that were
already imported before the session started are never re-imported.

Python's bytecode cache records a source's modification time in whole seconds plus its
size, so a file saved twice within one second with the same length would be loaded from
a stale ``.pyc``: the reload would run the old code. :func:`forget_bytecode` removes the
cached files of the modules about to be re-imported, so they are compiled from source.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterable

__all__ = [
    "IGNORED_DIRS", "is_ignored_dir", "program_root", "source_path", "user_modules",
    "watch_dirs", "forget_bytecode", "MAX_WATCHED_DIRS",
]

IGNORED_DIRS = frozenset({
    "__pycache__", "node_modules", "site-packages", "dist-packages", "venv", "virtualenv",
})
"""Folder names never watched nor re-imported from (hidden folders are skipped too)."""
MAX_WATCHED_DIRS = 500
"""At most this many folders under the root are watched (plus those of imported files)."""

_OWN_PREFIX = str(Path(__file__).resolve().parents[2]) + os.sep  # the looptui package


def is_ignored_dir(name: str) -> bool:
    """Hidden folders (``.venv``, ``.git`` …), caches and virtualenv/library folders."""
    return name.startswith(".") or name in IGNORED_DIRS


def source_path(module: ModuleType) -> str | None:
    """The absolute ``.py`` file *module* was imported from, or ``None``."""
    try:
        file = getattr(module, "__file__", None)
    except Exception:  # an odd object in sys.modules
        return None
    if not isinstance(file, str) or not file.endswith(".py"):
        return None
    return os.path.abspath(file)


def program_root(module: ModuleType) -> Path:
    """The folder holding the user's program: the target's folder, or its top package's.

    ``mypkg.sub.bot`` (``…/mypkg/sub/bot.py``) has root ``…/mypkg``; a file target or a
    top-level module has its own folder. A module run as ``__main__`` with ``-m`` is
    placed by its real name (``mypkg.__main__``: ``…/mypkg``).
    """
    file = source_path(module)
    if file is None:
        return Path.cwd()
    folder = Path(file).parent
    spec = getattr(module, "__spec__", None)
    name = getattr(spec, "name", None) or module.__name__
    depth = name.count(".")
    if Path(file).name != "__init__.py":
        depth -= 1
    for _ in range(max(depth, 0)):
        folder = folder.parent
    return folder


def _inside(file: str, prefix: str) -> bool:
    if not file.startswith(prefix) or file.startswith(_OWN_PREFIX):
        return False
    return not any(is_ignored_dir(part) for part in file[len(prefix):].split(os.sep)[:-1])


def user_modules(root: Path, baseline: Iterable[str] = ()) -> dict[str, ModuleType]:
    """Modules in :data:`sys.modules` imported from ``.py`` files under *root*.

    Left out: names in *baseline* (what was imported before the session began) and other
    names for those same module objects (``__mp_main__`` is ``__main__``), dunder names,
    files in ignored folders and looptui's own modules.
    """
    skip = set(baseline)
    skip_ids = {id(sys.modules.get(name)) for name in skip}
    prefix = str(root) + os.sep
    found: dict[str, ModuleType] = {}
    for name, module in list(sys.modules.items()):
        if name in skip or module is None or id(module) in skip_ids or name.startswith("__"):
            continue
        file = source_path(module)
        if file is not None and _inside(file, prefix):
            found[name] = module
    return found


def watch_dirs(root: Path, files: Iterable[str] = (), limit: int = MAX_WATCHED_DIRS) -> list[str]:
    """Folders to watch: *root* and its sub-folders (ignored and virtualenv ones pruned).

    The walk stops after *limit* folders (a root like the home folder must not cost a
    watch per folder); the folders of *files* (the imported sources) are always included.
    """
    found: list[str] = []
    for folder, subdirs, _files in os.walk(root):
        subdirs[:] = sorted(
            d for d in subdirs
            if not is_ignored_dir(d) and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
        )
        found.append(folder)
        if len(found) >= limit:
            break
    for file in files:
        folder = os.path.dirname(file)
        if folder not in found and os.path.isdir(folder):
            found.append(folder)
    return sorted(set(found))


def forget_bytecode(files: Iterable[str]) -> None:
    """Delete the cached bytecode of *files*, so their next import compiles the source."""
    for file in files:
        try:
            os.remove(importlib.util.cache_from_source(file))
        except (OSError, ValueError, NotImplementedError):
            pass
