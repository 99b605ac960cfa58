"""The pieces of the hot reload on their own: fingerprints, sources, errors, output."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from looptui.core.registry import REGISTRY
from looptui.core.tracker import Tracker
from looptui.headless import format_event
from looptui.session.events import build as events
from looptui.session.reload.fingerprint import function_fingerprint
from looptui.session.reload.handover import carry_over
from looptui.session.program.loader import TargetImportError, load_target
from looptui.session.reload.outcome import describe_failure
from looptui.session.reload.watcher import python_source_filter
from looptui.session.program.sources import program_root, user_modules, watch_dirs


def compile_function(source: str, name: str = "body"):
    namespace: dict = {}
    exec(compile(textwrap.dedent(source), "<test>", "exec"), namespace)
    return namespace[name]


# ------------------------------------------------------------------- fingerprints
def test_fingerprint_ignores_line_numbers_and_comments():
    a = compile_function("""
        async def body():
            return 1
    """)
    b = compile_function("""


        # moved down, with a comment
        async def body():
            return 1  # same code
    """)
    assert function_fingerprint(a) == function_fingerprint(b)


@pytest.mark.parametrize("other", [
    "async def body():\n    return 2\n",
    "async def body():\n    return 1.0\n",
    "async def body(x=1):\n    return 1\n",
    "async def body():\n    def inner():\n        return 3\n    return 1\n",
])
def test_fingerprint_sees_code_changes(other):
    base = compile_function("async def body():\n    return 1\n")
    assert function_fingerprint(base) != function_fingerprint(compile_function(other))


def test_fingerprint_sees_changes_in_nested_functions():
    a = compile_function("async def body():\n    def inner():\n        return 3\n")
    b = compile_function("async def body():\n    def inner():\n        return 4\n")
    assert function_fingerprint(a) != function_fingerprint(b)


# ------------------------------------------------------------------------ sources
def test_program_root_of_files_and_packages(tmp_path):
    def module(name: str, file: Path) -> types.ModuleType:
        mod = types.ModuleType(name)
        mod.__file__ = str(file)
        return mod

    assert program_root(module("bot", tmp_path / "bot.py")) == tmp_path
    assert program_root(module("pkg.bot", tmp_path / "pkg" / "bot.py")) == tmp_path / "pkg"
    assert program_root(module("pkg.sub.bot", tmp_path / "pkg/sub/bot.py")) == tmp_path / "pkg"
    assert program_root(module("pkg", tmp_path / "pkg" / "__init__.py")) == tmp_path / "pkg"


def test_user_modules_leave_out_libraries_baseline_and_aliases(tmp_path, monkeypatch):
    def put(name: str, relative: str) -> types.ModuleType:
        mod = types.ModuleType(name)
        mod.__file__ = str(tmp_path / relative)
        monkeypatch.setitem(sys.modules, name, mod)
        return mod

    mine = put("mine_x", "mine_x.py")
    put("in_venv_x", ".venv/lib/python3.11/site-packages/in_venv_x.py")
    put("in_sitepkg_x", "env/lib/site-packages/in_sitepkg_x.py")
    put("compiled_x", "compiled_x.so")
    early = put("early_x", "early_x.py")
    monkeypatch.setitem(sys.modules, "__alias_x__", mine)
    monkeypatch.setitem(sys.modules, "early_alias_x", early)
    found = user_modules(tmp_path, baseline={"early_x"})
    assert found == {"mine_x": mine}


def test_watch_dirs_prune_hidden_caches_and_virtualenvs(tmp_path):
    for folder in ("src/sub", ".git/objects", "__pycache__", "venv/lib", "myenv/lib",
                   "node_modules/x"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    elsewhere = tmp_path.parent / (tmp_path.name + "_other")
    elsewhere.mkdir()
    dirs = watch_dirs(tmp_path, [str(elsewhere / "lib.py")])
    assert dirs == sorted([str(tmp_path), str(tmp_path / "src"), str(tmp_path / "src/sub"),
                           str(elsewhere)])


def test_watch_dirs_are_capped(tmp_path):
    for n in range(20):
        (tmp_path / f"d{n:02}").mkdir()
    assert len(watch_dirs(tmp_path, limit=5)) == 5


@pytest.mark.parametrize(("path", "watched"), [
    ("/p/bot.py", True),
    ("/p/pkg/helpers.py", True),
    ("/p/bot.pyc", False),
    ("/p/.bot.py", False),
    ("/p/.#bot.py", False),
    ("/p/bot.py~", False),
    ("/p/bot.py.swp", False),
    ("/p/notes.txt", False),
    ("/p/.venv/lib/x.py", False),
    ("/p/__pycache__/bot.py", False),
    ("/p/venv/x.py", False),
])
def test_source_filter(path, watched):
    assert python_source_filter(None, path) is watched


# ------------------------------------------------------------------------- errors
def test_describe_failure_names_the_users_file_and_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "helper_y.py").write_text("x = 1\nraise KeyError('token')\n")
    bot = tmp_path / "bot_y.py"
    bot.write_text("import helper_y\n")
    with pytest.raises(TargetImportError) as info:
        load_target(str(bot))
    error = describe_failure(info.value)
    assert error.summary == "KeyError: 'token' (helper_y.py:2)"
    assert (error.file, error.line) == (str(tmp_path / "helper_y.py"), 2)
    assert f'File "{bot}", line 1' in error.traceback
    assert "importlib" not in error.traceback
    sys.modules.pop("helper_y", None)


def test_describe_failure_of_a_vanished_file(tmp_path):
    with pytest.raises(Exception) as info:
        load_target(str(tmp_path / "gone.py"))
    error = describe_failure(info.value)
    assert "no such file" in error.summary and error.file is None


# -------------------------------------------------------------------- handing over
def test_carry_over_keeps_time_order_and_counters():
    old, new = Tracker("job"), Tracker("job")
    for n in range(3):
        old.iteration_finished(old.iteration_started(n, None))
    old.add_output("stdout", "old line")
    new.iteration_finished(new.iteration_started(0, None))
    new.add_output("stdout", "new line")
    carry_over(new, old)
    assert new.total_iterations == 4
    assert [r.started for r in new.history] == sorted(r.started for r in new.history)
    assert [text for _, _, text in new.output] == ["old line", "new line"]
    REGISTRY.clear()


# ------------------------------------------------------------------------- output
def test_headless_prints_reload_events():
    ok = events.session_event("reload", added=["a"], removed=["b"], changed=["c", "d"])
    assert format_event(ok)[0].endswith("reloaded: added a; removed b; changed c, d")
    failed = events.session_event(
        "reload_failed", error="NameError: name 'x' is not defined (bot.py:3)",
        traceback='Traceback (most recent call last):\n  File "bot.py", line 3\nNameError\n',
    )
    lines = format_event(failed)
    assert lines[0].endswith("reload failed: NameError: name 'x' is not defined (bot.py:3)")
    assert lines[2] == '      File "bot.py", line 3'


def test_reload_modules_import_no_ui_library_nor_watchfiles():
    code = (
        "import sys, looptui.session.reload.watcher, looptui.session.reload.hot_reload; "
        "print(','.join(m for m in ('textual', 'rich', 'watchfiles') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
