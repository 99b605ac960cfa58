"""The TUI in a real terminal (tmux, 80×24), driven as a user drives it: ``y`` puts the
traceback on the clipboard through OSC 52 (tmux keeps it as a paste buffer with
``set-clipboard on``), and an import error at start waits for the fix to be saved."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = Path(__file__).parent / "fixtures" / "targets"
GUARD = 30.0
"""Seconds a condition may take to hold before the test fails (a bound, not a sleep)."""

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class Tmux:
    """A tmux server of its own (socket in *tmp*), one 80×24 window running *command*."""

    def __init__(self, tmp: Path, command: list[str]) -> None:
        self.socket = str(tmp / "tmux.sock")
        conf = tmp / "tmux.conf"
        conf.write_text("set -g set-clipboard on\n")
        line = " ".join(_quote(part) for part in command)
        self.run("-f", str(conf), "new-session", "-d", "-x", "80", "-y", "24",
                 f"cd {_quote(str(ROOT))} && {line}")

    def run(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True,
                                text=True, timeout=GUARD, check=False)
        return result.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", *keys)

    def until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + GUARD
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.screen()}"
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True,
                       timeout=GUARD, check=False)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.fixture
def tmux_of(tmp_path: Path) -> Iterator[Callable[[list[str]], Tmux]]:
    made: list[Tmux] = []

    def start(args: list[str], env: str = "") -> Tmux:
        prefix = ["env", env] if env else []
        made.append(Tmux(tmp_path, [*prefix, sys.executable, "-m", "looptui", *args]))
        return made[-1]

    yield start
    for tmux in made:
        tmux.close()


def test_y_copies_the_traceback_to_the_terminals_clipboard(tmux_of) -> None:
    tmux = tmux_of([str(TARGETS / "failing.py"), "--no-reload"])
    tmux.until(lambda: "ValueError: doomed" in tmux.screen(), "the failed row")
    screen = tmux.screen()
    assert "? more" in screen and "1 failed" in screen, "at 80 columns: trouble and help"
    assert "doomed" in screen and "failed" in screen
    tmux.keys("y")  # the cursor is on the first row: doomed
    tmux.until(lambda: "ValueError: doomed" in tmux.run("show-buffer"), "the paste buffer")
    copied = tmux.run("show-buffer")
    assert copied.startswith("Traceback (most recent call last):")
    assert 'failing.py", line 8, in doomed' in copied
    assert "looptui/core" not in copied, "no frame of looptui's own"
    tmux.keys("q")


def test_an_import_error_waits_for_the_fix_and_loads_it(tmux_of, tmp_path: Path) -> None:
    bot = tmp_path / "bot.py"
    bot.write_text("from looptui import loop\n\n@loop(seconds=1)\nasync def tick():\n"
                   "    pass\n\nraise RuntimeError('config missing')\n")
    tmux = tmux_of([str(bot)])
    tmux.until(lambda: "waiting for a save" in tmux.screen(), "the waiting screen")
    assert "RuntimeError: config missing" in tmux.screen()
    bot.write_text(bot.read_text().replace("raise RuntimeError('config missing')", "pass"))
    tmux.until(lambda: "1 loop" in tmux.screen() and "tick" in tmux.screen(), "the table")
    assert "tick#2" not in tmux.screen(), "the failed import's loop is not listed again"
    tmux.keys("q")


def test_e_hands_the_terminal_to_the_editor_at_the_loops_line(tmux_of, tmp_path: Path) -> None:
    opened = tmp_path / "opened"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\necho "$@" > {opened}\n')
    editor.chmod(0o755)
    tmux = tmux_of([str(TARGETS / "failing.py"), "--no-reload"], f"EDITOR={editor}")
    tmux.until(lambda: "ValueError: doomed" in tmux.screen(), "the table")
    tmux.keys("E")  # the cursor is on doomed, defined at line 6 (its decorator)
    tmux.until(opened.exists, "the editor's run")
    assert opened.read_text().split() == ["+6", str(TARGETS / "failing.py")]
    tmux.until(lambda: "ValueError: doomed" in tmux.screen(), "the table back")
    tmux.keys("q")
