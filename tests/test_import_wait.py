"""An import error at start: the TUI shows it and imports again on each save (headless
and --no-reload exit 1 at once, as before)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from looptui.cli import _waits_for_fix, _watched_folder
from looptui.ui.import_error_app import ImportErrorApp


@pytest.mark.asyncio
async def test_a_save_imports_again_until_it_works(tmp_path: Path) -> None:
    source = tmp_path / "bot.py"
    source.write_text("raise RuntimeError('config missing')\n")
    errors = ["ValueError: still broken", None]
    attempts: list[int] = []

    async def retry() -> str | None:
        attempts.append(1)
        return errors[len(attempts) - 1]

    app = ImportErrorApp(str(source), "bot.py raised:\n\nRuntimeError: config missing\n\n"
                         "Fix it and run looptui again.", str(tmp_path), retry)
    async with app.run_test(size=(80, 24)) as pilot:
        wait = app.query_one("#import-wait")
        assert "waiting for a save" in str(wait.render())
        assert "run looptui again" not in str(app.query_one("#import-error").render())

        async def save_until(count: int) -> None:
            for k in range(400):  # bounded: watchfiles reports a save within a second
                if len(attempts) >= count:
                    return
                if k % 40 == 0:
                    source.write_text(f"x = {k}\n")
                await asyncio.sleep(0.025)
            raise AssertionError("the save was not seen")

        await save_until(1)
        await pilot.pause()
        assert "failed again (1)" in str(wait.render())
        assert "still broken" in str(app.query_one("#import-error").render())
        await save_until(2)
        for _ in range(200):
            if app.return_value is not None:
                break
            await asyncio.sleep(0.01)
    assert app.return_value is True


@pytest.mark.asyncio
async def test_q_gives_up(tmp_path: Path) -> None:
    async def retry() -> str | None:
        raise AssertionError("no save happened")

    app = ImportErrorApp("bot.py", "boom", str(tmp_path), retry)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
    assert app.return_value is False


def test_who_waits_for_a_fix(tmp_path: Path) -> None:
    class Local:  # a session of a program in this process: it is its own ``local``
        @property
        def local(self) -> Local:
            return self

    class Attached:
        local = None

    tui = argparse.Namespace(no_reload=False, headless=False)
    assert _waits_for_fix(tui, Local())  # type: ignore[arg-type]
    assert not _waits_for_fix(argparse.Namespace(no_reload=True, headless=False), Local())  # type: ignore[arg-type]
    assert not _waits_for_fix(argparse.Namespace(no_reload=False, headless=True), Local())  # type: ignore[arg-type]
    assert not _waits_for_fix(tui, Attached())  # type: ignore[arg-type]  # attached: no files
    script = tmp_path / "bot.py"
    assert _watched_folder(str(script)) == str(tmp_path)
