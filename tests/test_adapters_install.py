"""Installing and removing the hooks: lazy, idempotent, reversible."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "foreign"))
from foreign_support import LIBS, tasks_of  # noqa: E402

from looptui import adapters  # noqa: E402
from looptui.adapters import importhook  # noqa: E402
from looptui.core.registry import Registry  # noqa: E402

HOOKED_NAMES = (
    "__init__", "__get__", "_loop", "_call_loop_function", "_try_sleep_until", "start", "stop",
    "change_interval", "coro",
)


def run_python(code: str) -> dict:
    """Run *code* in a fresh interpreter; it prints one JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_install_imports_no_library_and_hooks_on_import() -> None:
    result = run_python(
        """
        import json, sys
        import looptui.adapters as adapters
        names = adapters.install()
        imported_early = sorted(m for m in ("discord", "nextcord", "disnake") if m in sys.modules)
        from nextcord.ext import tasks

        @tasks.loop(seconds=1)
        async def job():
            pass

        tracker = adapters.tracker_for(job)
        print(json.dumps({
            "names": names, "imported_early": imported_early,
            "source": tracker.source if tracker else None,
            "discord_imported": "discord" in sys.modules,
        }))
        """
    )
    assert result["names"] == ["discord.py", "nextcord", "disnake"]
    assert result["imported_early"] == []
    assert result["source"] == "nextcord"
    assert result["discord_imported"] is False


def test_loop_module_keeps_its_real_loader() -> None:
    result = run_python(
        """
        import json, inspect
        import looptui.adapters as adapters
        adapters.install()
        from disnake.ext import tasks
        print(json.dumps({
            "loader": type(tasks.__loader__).__name__,
            "source_ok": "class Loop" in inspect.getsource(tasks),
        }))
        """
    )
    assert result == {"loader": "SourceFileLoader", "source_ok": True}


@pytest.mark.parametrize("lib", LIBS)
def test_install_is_idempotent_and_uninstall_restores(lib: str) -> None:
    cls = tasks_of(lib).Loop
    before = {name: cls.__dict__.get(name) for name in HOOKED_NAMES}
    try:
        first = adapters.install(Registry())
        wrapped = {name: cls.__dict__.get(name) for name in HOOKED_NAMES}
        second = adapters.install(Registry())
        assert first == second
        assert {name: cls.__dict__.get(name) for name in HOOKED_NAMES} == wrapped
        assert all(wrapped[name] is not before[name] for name in HOOKED_NAMES)
    finally:
        adapters.uninstall()
    assert {name: cls.__dict__.get(name) for name in HOOKED_NAMES} == before
    assert "coro" not in cls.__dict__
    assert not importhook.is_watching(f"{lib}.ext.tasks")


@pytest.mark.parametrize("lib", LIBS)
def test_loops_made_after_uninstall_are_not_tracked(lib: str) -> None:
    tasks = tasks_of(lib)
    registry = Registry()
    adapters.install(registry)
    adapters.uninstall()

    @tasks.loop(seconds=1)
    async def job() -> None:
        pass

    assert adapters.tracker_for(job) is None
    assert len(registry) == 0


def test_source_names_of_imported_libraries() -> None:
    from looptui.adapters.libraries import installed_source, source_of_module

    for lib in LIBS:
        tasks_of(lib)
    assert source_of_module("discord") == "discord.py"
    assert source_of_module("nextcord") == "nextcord"
    assert installed_source("discord") == "discord.py"
    assert installed_source("surely_not_a_library_here") is None


def test_discord_source_told_apart_before_import() -> None:
    result = run_python(
        """
        import json, sys
        from looptui.adapters.libraries import installed_source
        print(json.dumps({"source": installed_source("discord"),
                          "imported": "discord" in sys.modules}))
        """
    )
    assert result == {"source": "discord.py", "imported": False}


def test_recognise_for_the_loader() -> None:
    tasks = tasks_of("disnake")
    try:
        adapters.install(Registry())

        @tasks.loop(seconds=1)
        async def job() -> None:
            pass

        assert adapters.recognise(job) is job
        assert adapters.recognise(object()) is None
        assert adapters.is_foreign_loop(job)
    finally:
        adapters.uninstall()
