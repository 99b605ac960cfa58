"""Shared helpers of the robustness tests (``test_robust_*.py``).

Waiting is always on a condition with a generous bound, never on a fixed sleep, so the
tests do not depend on the speed of the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import polling

ROBUST = Path(__file__).parent / "fixtures" / "robust"
TIMEOUT = 60.0
"""Seconds a subprocess or a condition gets before the test fails (never reached when
things work)."""


def target(name: str) -> str:
    return str(ROBUST / name)


@pytest.fixture
def isolated(isolated_imports: None) -> None:
    """A clean registry and module table around a test that imports targets (the
    shared ``isolated_imports`` of conftest.py, under the name these tests use)."""


async def wait_for(condition: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """Wait until ``condition()`` is true (virtual or real time), or fail."""
    await polling.until(condition, timeout=timeout, every=0.01)


def wait_until(condition: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """The same, for code outside an event loop (subprocess tests)."""
    polling.wait_until(condition, timeout=timeout, every=0.02)


def looptui_process(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    """``python -m looptui ARGS`` with its output piped (text)."""
    return subprocess.Popen(
        [sys.executable, "-m", "looptui", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class PtyRun:
    """``python -m looptui ARGS`` on a fresh pseudo-terminal that is its controlling
    terminal (a session of its own, as a shell's job in an ssh session or tmux window).

    :meth:`until` reads what is drawn until a condition holds; :meth:`hang_up` closes the
    terminal's master side: the kernel hangs the terminal up and sends SIGHUP, as when
    the ssh session or the tmux window is closed.
    """

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import fcntl
        import os
        import pty
        import termios

        self.master, slave = pty.openpty()
        self.modes_before = termios.tcgetattr(slave)
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "30", **env}

        def controlling_terminal() -> None:  # in the child, after setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "looptui", *args], stdin=slave, stdout=slave, stderr=slave,
            env=env, start_new_session=True, preexec_fn=controlling_terminal,
        )
        os.close(slave)
        self.screen = bytearray()
        self.open = True

    def read(self, wait: float) -> bool:
        """Read what is there within *wait* seconds; False once the terminal is closed."""
        import os
        import select

        if not self.open:
            return False
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed its side
            return False
        self.screen += chunk
        return bool(chunk)

    def until(self, condition: Callable[[bytes], Any], timeout: float = TIMEOUT) -> None:
        """Keep reading (so the process never waits on a full terminal) until
        ``condition(screen)`` is true, or fail."""
        deadline = time.monotonic() + timeout
        while not condition(bytes(self.screen)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"condition not met (exit status {self.proc.poll()})")
            self.read(0.05)

    def keep_reading(self, seconds: float) -> None:
        """Read for *seconds*, or until the process has exited (a real terminal always
        takes what is written: a full one would block the process's writes)."""
        deadline = time.monotonic() + seconds
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read(0.05)

    def drain(self) -> None:
        """Read until the process has exited and closed its side of the terminal."""
        deadline = time.monotonic() + TIMEOUT
        while self.read(0.05) and time.monotonic() < deadline:
            if self.proc.poll() is not None and not self.read(0):
                break

    def hang_up(self) -> None:
        """Close the terminal (its master side), as a closed ssh session or tmux window."""
        import os

        if self.open:
            self.open = False
            os.close(self.master)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)
        self.hang_up()
