"""The loader: what a target can be, the errors a user gets, and loop discovery."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from looptui import Loop
from looptui.core.registry import REGISTRY
from looptui.session.program import loader
from looptui.session.program.loader import (
    LOOP_RECOGNISERS, TargetImportError, TargetUsageError, find_module_loops, load_target,
)

TARGETS = Path(__file__).parent / "fixtures" / "targets"


pytestmark = pytest.mark.usefixtures("isolated_imports")
"""Every test here loads user programs: see ``isolated_imports`` in conftest.py."""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


# ----------------------------------------------------------------- usage errors
def test_directory_is_a_usage_error(tmp_path):
    with pytest.raises(TargetUsageError, match="is a directory") as info:
        load_target(str(tmp_path))
    assert info.value.exit_code == 2


def test_not_a_py_file_is_a_usage_error(tmp_path):
    path = write(tmp_path, "bot.txt", "x = 1\n")
    with pytest.raises(TargetUsageError, match=r"not a \.py file"):
        load_target(str(path))


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(TargetUsageError, match="no such file"):
        load_target(str(tmp_path / "nope.py"))


def test_unknown_module_name_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TargetUsageError, match="no module with that name"):
        load_target("surely_not_a_module_xyz")
    with pytest.raises(TargetUsageError, match="no module with that name"):
        load_target("surely_not_a_package_xyz.sub")


def test_invalid_name_is_a_usage_error():
    with pytest.raises(TargetUsageError, match="neither an existing .py file"):
        load_target("not a-name")


# ---------------------------------------------------------------- import errors
def test_syntax_error_shows_the_users_file_and_line(tmp_path):
    path = write(tmp_path, "broken_syntax.py", "x = 1\ndef f(:\n    pass\n")
    with pytest.raises(TargetImportError) as info:
        load_target(str(path))
    err = info.value
    assert err.exit_code == 1
    assert f'File "{path}", line 2' in err.traceback_text
    assert "SyntaxError" in err.traceback_text
    assert "has a syntax error" in str(err)
    assert "looptui" not in err.traceback_text and "<frozen" not in err.traceback_text


def test_exception_at_import_shows_the_users_traceback(tmp_path):
    write(tmp_path, "raising_helper.py", """\
        def explode():
            raise RuntimeError("bad config")
    """)
    path = write(tmp_path, "raising_bot.py", """\
        import raising_helper

        raising_helper.explode()
    """)
    with pytest.raises(TargetImportError) as info:
        load_target(str(path))
    text = info.value.traceback_text
    assert text.startswith("Traceback (most recent call last):")
    assert f'File "{path}", line 3, in <module>' in text
    assert f'File "{tmp_path / "raising_helper.py"}", line 2, in explode' in text
    assert text.rstrip().endswith("RuntimeError: bad config")
    assert "looptui" not in text and "<frozen" not in text
    assert "raising_bot" not in sys.modules  # a failed import leaves nothing behind


def test_chained_exceptions_are_kept(tmp_path):
    path = write(tmp_path, "chained_bot.py", """\
        try:
            {}["token"]
        except KeyError as exc:
            raise RuntimeError("no token configured") from exc
    """)
    with pytest.raises(TargetImportError) as info:
        load_target(str(path))
    text = info.value.traceback_text
    assert "KeyError: 'token'" in text and "direct cause" in text
    assert "RuntimeError: no token configured" in text


def test_sys_exit_at_import_is_an_import_error(tmp_path):
    path = write(tmp_path, "exiting_bot.py", "import sys\nsys.exit('missing TOKEN')\n")
    with pytest.raises(TargetImportError, match=r"called sys.exit\('missing TOKEN'\)"):
        load_target(str(path))


def test_relative_import_in_a_file_gets_a_hint(tmp_path):
    path = write(tmp_path, "relpkg/bot.py", "from . import helpers\n")
    write(tmp_path, "relpkg/__init__.py", "")
    with pytest.raises(TargetImportError, match="give its module name instead"):
        load_target(str(path))


def test_missing_dependency_inside_a_package_is_an_import_error(tmp_path, monkeypatch):
    write(tmp_path, "deppkg/__init__.py", "import surely_missing_dependency_xyz\n")
    write(tmp_path, "deppkg/bot.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TargetImportError, match="surely_missing_dependency_xyz"):
        load_target("deppkg.bot")


# --------------------------------------------------------------------- importing
def test_module_is_not_main_and_its_guard_does_not_run():
    module = load_target(str(TARGETS / "guarded.py"))
    assert module.__name__ == "guarded"
    assert module.ran_main_guard is False
    assert sys.modules["guarded"] is module


def test_sibling_imports_work(tmp_path):
    write(tmp_path, "sibling_config.py", "INTERVAL = 7\n")
    path = write(tmp_path, "sibling_bot.py", "from sibling_config import INTERVAL\n")
    module = load_target(str(path))
    assert module.INTERVAL == 7
    assert sys.path[0] == str(tmp_path.resolve())


def test_each_load_is_a_fresh_module_and_a_failed_reload_keeps_the_old(tmp_path):
    path = write(tmp_path, "reloadable_bot.py", "VALUE = 1\n")
    first = load_target(str(path))
    path.write_text("VALUE = 2\n")
    second = load_target(str(path))
    assert second is not first and second.VALUE == 2
    assert sys.modules["reloadable_bot"] is second
    path.write_text("VALUE = (\n")
    with pytest.raises(TargetImportError):
        load_target(str(path))
    assert sys.modules["reloadable_bot"] is second


def test_a_file_named_like_a_stdlib_module_shadows_nothing(tmp_path):
    import json

    path = write(tmp_path, "json.py", "MINE = True\n")
    module = load_target(str(path))
    assert module.MINE is True
    assert sys.modules["json"] is json
    assert module.__name__ != "json"


def test_module_name_target_is_imported_from_the_current_folder(tmp_path, monkeypatch):
    write(tmp_path, "mypkg/__init__.py", "")
    write(tmp_path, "mypkg/bot.py", "from . import helpers\nVALUE = helpers.X\n")
    write(tmp_path, "mypkg/helpers.py", "X = 3\n")
    monkeypatch.chdir(tmp_path)
    module = load_target("mypkg.bot")
    assert module.__name__ == "mypkg.bot" and module.VALUE == 3


def test_raising_parent_package_is_an_import_error(tmp_path, monkeypatch):
    write(tmp_path, "badpkg/__init__.py", "raise ValueError('package init failed')\n")
    write(tmp_path, "badpkg/bot.py", "")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TargetImportError, match="package init failed"):
        load_target("badpkg.bot")


# --------------------------------------------------------------------- discovery
def test_find_module_loops_returns_each_module_level_loop_once():
    module = load_target(str(TARGETS / "counting.py"))
    loops = find_module_loops(module)
    assert loops == [module.counter, module.chatter]
    assert all(isinstance(lp, Loop) for lp in loops)


def test_loops_bound_to_instances_register_themselves():
    # starts_itself.py calls start() at import, which needs a running event loop
    import asyncio

    async def main():
        module = load_target(str(TARGETS / "starts_itself.py"))
        assert find_module_loops(module) == []  # a class attribute is not module level
        names = [t.name for t in REGISTRY.trackers()]
        assert names == ["DatabaseManager.autosave"]
        module.manager.autosave.cancel()

    asyncio.run(main())


def test_recognisers_extend_discovery(monkeypatch):
    class Foreign:
        pass

    marker = object()
    monkeypatch.setattr(loader, "LOOP_RECOGNISERS", [])
    loader.LOOP_RECOGNISERS.append(lambda obj: marker if isinstance(obj, Foreign) else None)
    module = type(sys)("foreign_mod")
    module.a = Foreign()
    module.b = 1
    assert find_module_loops(module) == [marker]
    assert LOOP_RECOGNISERS == []  # the module-level list itself was not touched
