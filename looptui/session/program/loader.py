"""Import the user's module (a ``.py`` path or a module name) and find its loops.

The module is imported under its own name, never as ``__main__``, so a
``bot.run(TOKEN)`` guarded by ``if __name__ == "__main__":`` does not run. Each call
executes the module afresh into a new module object (the reloader calls it again when the
file changes); the previous module stays in :data:`sys.modules` if the new import fails.

Mistakes the user can make become one of two exceptions whose text is ready to print:
:class:`TargetUsageError` (the target is not something we can import: exit 2) and
:class:`TargetImportError` (the user's code failed while importing: exit 1, carrying the
user's traceback with looptui's and importlib's own frames removed).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from looptui.core.tracebacks import format_user_exception

__all__ = [
    "TargetError", "TargetUsageError", "TargetImportError", "load_target",
    "resolve_target", "find_module_loops", "LOOP_RECOGNISERS", "user_traceback",
    "find_module_spec", "import_error", "not_importable",
]



class TargetError(Exception):
    """A problem with the target; ``str()`` is the message, ``exit_code`` the status."""

    exit_code = 1


class TargetUsageError(TargetError):
    """The target cannot be imported as given (missing, a directory, not ``.py`` …)."""

    exit_code = 2


class TargetImportError(TargetError):
    """The user's module raised (or had a syntax error) while being imported.

    Attributes:
        traceback_text: The user's traceback, file and line included.
    """

    exit_code = 1

    def __init__(self, message: str, traceback_text: str) -> None:
        super().__init__(message)
        self.traceback_text = traceback_text


# --------------------------------------------------------------------------- resolving
def resolve_target(target: str) -> tuple[str, str]:
    """Decide what *target* names: ``("file", absolute_path)`` or ``("module", name)``.

    Raises:
        TargetUsageError: the path is missing, a directory, or not a ``.py`` file; or a
            module name that cannot be found.
    """
    path = Path(target).expanduser()
    looks_like_path = (
        target.endswith(".py") or os.sep in target or (os.altsep or os.sep) in target
        or target.startswith(".")
    )
    if path.is_dir():
        raise TargetUsageError(
            f"{target} is a directory.\n"
            "Give the .py file that defines your loops (looptui path/to/bot.py), "
            "or, for a package, its module name (looptui mypackage.bot)."
        )
    if path.exists():
        if path.suffix != ".py":
            raise TargetUsageError(
                f"{target} is not a .py file.\n"
                "Give the Python file that defines your loops, e.g. looptui bot.py."
            )
        return "file", str(path.resolve())
    if looks_like_path:
        raise TargetUsageError(
            f"{target}: no such file.\n"
            f"Check the path (looked in {Path.cwd()}), or give an importable module name."
        )
    if not all(part.isidentifier() for part in target.split(".")):
        raise TargetUsageError(
            f"{target!r} is neither an existing .py file nor a valid module name.\n"
            "Give a path like bot.py or a module name like mypackage.bot."
        )
    return "module", target


def check_target(target: str) -> None:
    """Everything about *target* that can be checked without running any of its code.

    :func:`resolve_target`, and for a top-level module name whether it can be found
    (a dotted name is checked on import: finding it imports its packages).

    Raises:
        TargetUsageError: as :func:`resolve_target`, or a module name that cannot be found.
    """
    kind, where = resolve_target(target)
    if kind != "module" or "." in where or where in sys.modules:
        return
    _add_to_path(os.getcwd())  # as load_target does
    if importlib.util.find_spec(where) is None:
        raise not_importable(target)


def not_importable(target: str) -> TargetUsageError:
    """The usage error for a module name that nothing can import."""
    return TargetUsageError(
        f"{target}: no module with that name can be imported.\n"
        "Give a path to a .py file, or a module name importable from here "
        f"({os.getcwd()}), e.g. looptui mypackage.bot."
    )


def _module_name_for(path: str) -> str:
    """A stable module name for the file at *path* that shadows nothing else."""
    stem = Path(path).stem
    name = stem if stem.isidentifier() else "_looptui_target_" + "".join(
        c if c.isalnum() else "_" for c in stem
    )
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) != path:
        name = "_looptui_target_" + name
    return name


def _add_to_path(folder: str) -> None:
    if folder not in sys.path:
        sys.path.insert(0, folder)


# --------------------------------------------------------------------------- importing
def load_target(target: str, module_name: str | None = None) -> ModuleType:
    """Import *target* into a new module object and return it.

    Args:
        target: A path to a ``.py`` file, or an importable (dotted) module name.
        module_name: For a file, the name to register it under in :data:`sys.modules`
            (default: the file's stem, made unique if that name is taken).

    Raises:
        TargetUsageError: *target* is not a ``.py`` file or an importable module.
        TargetImportError: the module raised or had a syntax error while importing.
    """
    kind, where = resolve_target(target)
    if kind == "file":
        _add_to_path(str(Path(where).parent))
        name = module_name or _module_name_for(where)
        spec = importlib.util.spec_from_file_location(name, where)
    else:
        _add_to_path(os.getcwd())  # like ``python -m``: modules beside you are importable
        name = where
        spec = find_module_spec(where)
    if spec is None or spec.loader is None:
        raise not_importable(target)
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        if previous is not None:
            sys.modules[name] = previous
        else:
            sys.modules.pop(name, None)
        raise import_error(target, exc) from None
    return module


def find_module_spec(name: str) -> Any:
    """``importlib.util.find_spec(name)``; ``None`` when a package on the way is missing.

    Raises:
        TargetImportError: a parent package raised, or imports a missing module.
    """
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None  # a package on the way to *name* does not exist
        raise import_error(name, exc) from None  # the package imports a missing module
    except (Exception, SystemExit) as exc:  # a parent package raised while importing
        raise import_error(name, exc) from None


def import_error(target: str, exc: BaseException) -> TargetImportError:
    """The one-screen error for *exc* raised by the program's code (with its traceback)."""
    text = user_traceback(exc)
    if isinstance(exc, SystemExit):
        what = f"called sys.exit({exc.code!r}) while being imported"
    elif isinstance(exc, SyntaxError):
        what = "has a syntax error"
    else:
        what = "raised an exception while being imported"
    hint = "Fix it and run looptui again."
    if isinstance(exc, ImportError) and "relative import" in str(exc):
        hint = (
            "It uses relative imports: give its module name instead of its path "
            "(looptui mypackage.bot, run from the folder above the package)."
        )
    return TargetImportError(f"{target} {what}:\n\n{text.rstrip()}\n\n{hint}", text)


def user_traceback(exc: BaseException) -> str:
    """Format *exc* as Python would, without looptui's or importlib's frames."""
    return format_user_exception(exc)


# --------------------------------------------------------------------------- discovery
LOOP_RECOGNISERS: list[Callable[[object], Any]] = []
"""Extra recognisers for loops that are not looptui's own (adapters append here).

Each takes any module-level object and returns a loop-like object (with ``get_task()``
and ``start()``) to monitor, or ``None`` when the object is not a loop it knows.
"""


def find_module_loops(module: ModuleType) -> list[Any]:
    """Return the loops defined at module level in *module*, in definition order.

    Recognises :class:`looptui.Loop` instances and whatever :data:`LOOP_RECOGNISERS`
    accept. The same loop bound to two names is returned once. Loops bound to instances
    or created later are not found here: they register themselves in the registry.
    """
    loop_type = _loop_type()
    found: list[Any] = []
    seen: set[int] = set()
    for value in list(vars(module).values()):
        candidate = None
        if loop_type is not None and isinstance(value, loop_type):
            candidate = value
        else:
            for recognise in LOOP_RECOGNISERS:
                candidate = recognise(value)
                if candidate is not None:
                    break
        if candidate is not None and id(candidate) not in seen:
            seen.add(id(candidate))
            found.append(candidate)
    return found


def _loop_type() -> type | None:
    try:
        from looptui.core.loop import Loop
    except ImportError:  # the engine is optional for discovery of foreign loops
        return None
    return Loop
