"""Run the user's program as ``__main__``, the way ``python bot.py`` / ``python -m pkg`` do.

Most bots start under ``if __name__ == "__main__":``; imported under any other name that
code never runs. :func:`resolve_program` decides what a target is (a ``.py`` file, a
module name, a package with ``__main__.py``, a folder with ``__main__.py``) and
:func:`run_program` executes it into a fresh module object named ``__main__``:

* a file: ``__file__`` its absolute path, ``__spec__`` ``None``, ``sys.path[0]`` its folder;
* a module (``-m``): its packages imported normally, the module run with ``__spec__``
  and ``__package__`` set (relative imports work), ``sys.argv[0]`` its file,
  ``sys.path[0]`` the working folder;
* a package: its ``__main__`` submodule run as above; a package without one is imported
  normally (its loops are monitored; nothing is run as ``__main__``).

The new module is put in :data:`sys.modules` as ``__main__`` (pickle, ``typing`` and
``dataclasses`` find the program's classes there, as under Python); the module that was
there before is given back by :func:`restore_main` when the session ends. The working
folder is left as the user had it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from looptui.session.program.loader import (
    TargetUsageError,
    find_module_spec,
    import_error,
    load_target,
    not_importable,
    resolve_target,
)

__all__ = ["Program", "check_program", "resolve_program", "run_program", "restore_main", "MAIN"]

MAIN = "__main__"


@dataclass(frozen=True)
class Program:
    """What the target names and how Python would run it.

    Attributes:
        kind: ``file`` (a script, or a folder's ``__main__.py``) or ``module`` (as
            ``-m``: a module, a package's ``__main__``; a package without one is imported).
        target: The target as given.
        name: For ``module``/``package``, the module name (``pkg``, ``pkg.bot``).
        file: For ``file``, the script's absolute path.
        path0: The folder put first on :data:`sys.path`.
        display: What the header shows (``bot.py``, ``pkg``).
    """

    kind: str
    target: str
    name: str | None = None
    file: str | None = None
    path0: str = ""
    display: str = ""


def resolve_program(target: str, as_module: bool = False) -> Program:
    """Decide how to run *target* (``as_module``: it was given with ``-m``).

    Raises:
        TargetUsageError: as :func:`~.loader.resolve_target`; a folder without
            ``__main__.py``; ``-m`` with a path.
    """
    if as_module:
        if not all(part.isidentifier() for part in target.split(".")):
            raise TargetUsageError(
                f"-m {target}: not a module name.\n"
                "Give a module or package name as for python -m (looptui -m mybot), "
                "or a path without -m (looptui bot.py)."
            )
        return Program("module", target, name=target, path0=os.getcwd(), display=target)
    path = Path(target).expanduser()
    if path.is_dir():
        return _folder_program(target, path.resolve())
    kind, where = resolve_target(target)
    if kind == "file":
        return Program("file", target, file=where, path0=str(Path(where).parent),
                       display=Path(where).name)
    return Program("module", target, name=where, path0=os.getcwd(), display=where)


def check_program(target: str, as_module: bool = False) -> None:
    """Everything about *target* that can be checked without running any of its code.

    :func:`resolve_program`, and for a top-level module name whether it can be found (a
    dotted name is checked when it runs: finding it imports its packages).

    Raises:
        TargetUsageError: as :func:`resolve_program`, or a module that cannot be found.
    """
    program = resolve_program(target, as_module)
    name = program.name
    if program.kind != "module" or not name or "." in name or name in sys.modules:
        return
    _put_first_on_path(program.path0)
    if importlib.util.find_spec(name) is None:
        raise not_importable(target)


def _folder_program(target: str, folder: Path) -> Program:
    if not (folder / "__main__.py").is_file():
        raise TargetUsageError(
            f"{target} is a directory without a __main__.py.\n"
            "Give the .py file that starts your bot (looptui path/to/bot.py), a package "
            "with a __main__.py (looptui mypackage, as python -m mypackage), or a module "
            "name (looptui mypackage.bot)."
        )
    if (folder / "__init__.py").is_file() and folder.name.isidentifier():
        # a package: as python -m NAME run from the folder above it
        return Program("module", target, name=folder.name, path0=str(folder.parent),
                       display=folder.name)
    main = folder / "__main__.py"  # a plain folder: as python FOLDER (its own path entry)
    return Program("file", target, file=str(main), path0=str(folder), display=folder.name)


def _put_first_on_path(folder: str) -> None:
    """``sys.path[0]`` is *folder*, as Python sets it for the script it runs."""
    if not sys.path or sys.path[0] != folder:
        if folder in sys.path[1:]:
            sys.path.remove(folder)
        sys.path.insert(0, folder)


_SAVED_MAIN: list[Any] = []
"""The ``__main__`` module from before the first :func:`run_program` (looptui's own)."""


def restore_main() -> None:
    """Give :data:`sys.modules` its ``__main__`` from before the program ran."""
    if _SAVED_MAIN:
        previous = _SAVED_MAIN.pop()
        if previous is None:
            sys.modules.pop(MAIN, None)
        else:
            sys.modules[MAIN] = previous


def run_program(program: Program,
                exit_is_late: Callable[[], bool] = lambda: False) -> tuple[types.ModuleType, SystemExit | None]:
    """Run *program* as ``__main__`` into a new module object.

    Returns the module, and the ``SystemExit`` it raised when *exit_is_late* says the
    exit came after a run call that looptui took over (``bot.run(TOKEN)`` then
    ``sys.exit(0)``): under Python that exit happens once the bot ended, so it is
    handed back to be raised then, not taken for a failed start. On failure the
    ``__main__`` from before is put back.

    Raises:
        TargetUsageError: a module name that cannot be found.
        TargetImportError: the program raised or had a syntax error.
    """
    _put_first_on_path(program.path0)
    if program.kind == "file":
        assert program.file is not None
        code, module = _script(program.file)
    else:
        found = _module_code(program)
        if found is None:  # a package without __main__.py: import it as a package
            return load_target(program.name or program.target), None
        code, module = found
    if not _SAVED_MAIN:
        _SAVED_MAIN.append(sys.modules.get(MAIN))
    previous = sys.modules.get(MAIN)
    sys.modules[MAIN] = module
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        if exit_is_late():
            return module, exc
        _put_back(previous)
        raise import_error(program.target, exc) from None
    except Exception as exc:
        _put_back(previous)
        raise import_error(program.target, exc) from None
    return module, None


def _put_back(previous: types.ModuleType | None) -> None:
    if previous is None:
        sys.modules.pop(MAIN, None)
    else:
        sys.modules[MAIN] = previous


def _script(path: str) -> tuple[types.CodeType, types.ModuleType]:
    try:
        source = importlib.util.decode_source(Path(path).read_bytes())
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise import_error(path, exc) from None
    except OSError as exc:
        raise TargetUsageError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    module = types.ModuleType(MAIN)
    module.__file__ = path
    module.__cached__ = None  # type: ignore[attr-defined]
    module.__loader__ = importlib.machinery.SourceFileLoader(MAIN, path)
    module.__spec__ = None
    module.__package__ = None
    return code, module


def _module_code(program: Program) -> tuple[types.CodeType, types.ModuleType] | None:
    """The code of the module *program* names (a package: its ``__main__``), as ``-m``."""
    name = program.name or program.target
    spec = find_module_spec(name)
    if spec is None or spec.loader is None:
        raise not_importable(program.target)
    if spec.submodule_search_locations is not None:  # a package: run its __main__
        main_spec = find_module_spec(f"{name}.{MAIN}")
        if main_spec is None or main_spec.loader is None:
            return None
        spec = main_spec
    try:
        code = spec.loader.get_code(spec.name)
    except (Exception, SystemExit) as exc:  # a syntax error in the module
        raise import_error(program.target, exc) from None
    if code is None:
        raise not_importable(program.target)
    module = types.ModuleType(MAIN)
    module.__file__ = spec.origin
    module.__cached__ = spec.cached  # type: ignore[attr-defined]
    module.__loader__ = spec.loader
    module.__spec__ = spec
    module.__package__ = spec.parent
    if sys.argv and isinstance(spec.origin, str):
        sys.argv[0] = spec.origin  # as python -m sets it
    return code, module
