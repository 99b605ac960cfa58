"""Every private name of a third-party library that looptui relies on is listed in one
module per library, and exists in the installed version: an upgrade that renames one
fails here, in CI, instead of a feature going quiet at a user's.

* asyncio: :mod:`looptui.core.asyncio_internals` (checked on the C and the pure-Python
  tasks and futures, and on a real selector event loop);
* Textual: :mod:`looptui.ui.widgets.textual_internals` (checked on a real ``DataTable``,
  ``LinuxDriver`` and ``App``);
* discord.py, nextcord, disnake: :mod:`looptui.adapters.hooks` (checked on a real loop of
  each). py-cord cannot be imported beside discord.py: its loops run under the adapter in
  ``test_adapters_pycord.py``, which does not check this list name by name.

Each list is also checked against the code: a private name used and not listed fails.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
from pathlib import Path

import pytest
from textual.app import App
from textual.drivers.linux_driver import LinuxDriver
from textual.widgets import DataTable

from looptui.adapters import hooks
from looptui.core import asyncio_internals
from looptui.ui.widgets import textual_internals

PACKAGE = Path(__file__).resolve().parent.parent / "looptui"


def private_attributes(path: Path, *, of_self: bool = False) -> set[str]:
    """``_names`` *path* reads or sets as an attribute of another object (also of
    ``self`` with *of_self*: a subclass's inherited names), or names as a string to
    ``getattr``/``hasattr``/``setattr``/``.get`` (dunder names left out)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = None
        if isinstance(node, ast.Attribute):
            is_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            name = node.attr if of_self or not is_self else None
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            arg = node.args[1] if called in ("getattr", "hasattr", "setattr") and len(
                node.args) > 1 else node.args[0] if called == "get" else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                name = arg.value
        if name and name.startswith("_") and not name.startswith("__"):
            found.add(name)
    return found


def own_names(folder: Path) -> set[str]:
    """The ``_names`` the modules in *folder* define themselves: functions, classes,
    module globals and attributes they set on ``self``."""
    own: set[str] = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id == "self"):
                own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
    return own


# ------------------------------------------------------------------------ asyncio
def _asyncio_objects(loop: asyncio.AbstractEventLoop) -> dict[str, list[object]]:
    """Real objects of each kind :data:`PRIVATE_NAMES` names, both implementations."""
    from asyncio import futures, tasks

    async def idle() -> None:
        await asyncio.sleep(3600)

    task_classes = {tasks.Task, tasks._PyTask}
    future_classes = {futures.Future, futures._PyFuture}
    made_tasks = [cls(idle(), loop=loop) for cls in task_classes]
    gather = asyncio.gather(loop.create_future(), loop.create_future())
    return {
        "Task": made_tasks,
        "Future": [cls(loop=loop) for cls in future_classes],
        "gather()'s future": [gather],
        "BaseSelectorEventLoop": [loop],
        "BaseEventLoop": [loop],
        "asyncio": [asyncio],
    }


def test_every_asyncio_private_name_exists_in_both_implementations() -> None:
    loop = asyncio.SelectorEventLoop()
    try:
        objects = _asyncio_objects(loop)
        assert set(objects) == set(asyncio_internals.PRIVATE_NAMES)
        missing = [f"{where}.{name} ({type(obj).__name__})"
                   for where, names in asyncio_internals.PRIVATE_NAMES.items()
                   for obj in objects[where] for name in names if not hasattr(obj, name)]
        assert not missing, f"asyncio lacks: {missing}"
        for task in objects["Task"]:
            task.cancel()
            asyncio_internals.forget_pending_task(task)
            assert getattr(task, "_log_destroy_pending") is False
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()


def test_the_asyncio_helpers_read_what_asyncio_keeps() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert asyncio_internals.running_loop() is loop
        gate = loop.create_future()

        async def waiting() -> None:
            await gate

        task = asyncio.create_task(waiting())
        await asyncio.sleep(0)
        assert asyncio_internals.task_waiter(task) is gate
        pair = asyncio.gather(loop.create_future(), loop.create_future())
        assert len(asyncio_internals.gathered(pair) or []) == 2
        assert asyncio_internals.gathered(gate) is None
        assert asyncio_internals.loop_selector(loop) is not None
        assert asyncio_internals.clock_resolution(loop) > 0
        failed = loop.create_future()
        failed.set_exception(KeyError("x"))
        assert isinstance(asyncio_internals.peek_exception(failed), KeyError)
        failed.exception()  # retrieved: asyncio does not report it at exit
        gate.set_result(None)
        await task
        pair.cancel()

    asyncio.run(main())
    assert asyncio_internals.running_loop() is None


def test_no_module_uses_an_asyncio_private_name_but_the_internals_module() -> None:
    names = {n for group in asyncio_internals.PRIVATE_NAMES.values() for n in group}
    users = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                   if names & private_attributes(p))
    assert users == ["core/asyncio_internals.py"], users


# ------------------------------------------------------------------------ Textual
@pytest.mark.asyncio
async def test_every_textual_private_name_exists() -> None:
    table = DataTable()
    missing = [name for name in textual_internals.DATA_TABLE_PRIVATE_NAMES
               if not (hasattr(table, name) or hasattr(DataTable, name))]
    assert not missing, f"textual.widgets.DataTable lacks: {missing}"
    driver = LinuxDriver(App())
    missing = [name for name in textual_internals.DRIVER_PRIVATE_NAMES
               if not hasattr(driver, name)]
    assert not missing, f"LinuxDriver lacks: {missing}"
    assert textual_internals.driver_output(driver) is not None
    app = App()
    missing = [name for name in textual_internals.APP_PRIVATE_NAMES if not hasattr(app, name)]
    assert not missing, f"textual.app.App lacks: {missing}"
    assert textual_internals.app_driver(app) is None  # not running


def test_the_table_uses_only_the_listed_private_names_of_data_table() -> None:
    table = DataTable()
    inherited = {name for name in private_attributes(PACKAGE / "ui/widgets/loop_table.py",
                                                     of_self=True)
                 if hasattr(table, name) or hasattr(DataTable, name)}
    assert inherited == set(textual_internals.DATA_TABLE_PRIVATE_NAMES)


def test_no_other_module_reaches_into_the_driver_or_the_app() -> None:
    names = set(textual_internals.DRIVER_PRIVATE_NAMES + textual_internals.APP_PRIVATE_NAMES)
    users = sorted(p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "ui").rglob("*.py")
                   if names & private_attributes(p))
    assert users == ["ui/widgets/textual_internals.py"], users


# ------------------------------------------------------------------------ Discord
LIBRARIES = {"discord.py": "discord.ext.tasks", "nextcord": "nextcord.ext.tasks",
             "disnake": "disnake.ext.tasks"}


@pytest.mark.parametrize("source", sorted(LIBRARIES))
def test_every_discord_private_name_exists_in_each_library(source: str) -> None:
    tasks = importlib.import_module(LIBRARIES[source])

    async def body() -> None:
        pass

    made = tasks.loop(seconds=5)(body)
    for name in hooks._WRAPPED_NAMES:  # (coro is the instance's: hook_class adds a slot)
        assert hasattr(type(made) if name != "coro" else made, name), f"{source}: Loop.{name}"
    missing = [name for name in hooks.LOOP_PRIVATE_NAMES if not hasattr(made, name)]
    assert not missing, f"{source}'s Loop lacks: {missing}"
    for name, libraries in hooks.LIBRARY_ONLY_NAMES.items():
        assert hasattr(made, name) == (source in libraries), (source, name)


def test_the_adapter_uses_only_the_listed_private_names_of_the_libraries() -> None:
    listed = (set(hooks.LOOP_PRIVATE_NAMES) | set(hooks.LIBRARY_ONLY_NAMES)
              | {n for n in hooks._WRAPPED_NAMES if n.startswith("_")})
    used = set().union(*(private_attributes(p) for p in (PACKAGE / "adapters").glob("*.py")))
    ours = own_names(PACKAGE / "adapters") - listed  # the adapter's own fields and helpers
    unlisted = sorted(used - listed - ours - {"_getframe"})  # sys._getframe: the stdlib's
    assert not unlisted, f"private names used in adapters/ and not listed in hooks.py: {unlisted}"
