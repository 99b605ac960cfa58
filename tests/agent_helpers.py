"""Start the agent test program as a real process and wait on conditions (attach tests)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import polling

PROGRAM = Path(__file__).parent / "fixtures" / "agent" / "program.py"
GUARD = 20.0
"""Seconds after which a condition that never came true fails the test (a guard only)."""


class Program:
    """``python program.py SOCKET …`` running; :attr:`address` as the agent printed it.

    *runtime*: the program's ``XDG_RUNTIME_DIR`` (where its default socket goes).
    """

    def __init__(self, socket_path: Path | str, *extra: str, runtime: Path | None = None,
                 script: Path = PROGRAM, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
        if runtime is not None:
            env["XDG_RUNTIME_DIR"] = str(runtime)
        self.socket = socket_path
        self._stderr: str | None = None
        self.rest = ""
        """What the program printed on stdout that was not read (once it was killed)."""
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(socket_path), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
        )
        self.address = self.read_line()
        self.lines: list[str] = []

    def read_line(self) -> str:
        """The program's next stdout line (fails if none comes within the guard).

        Read byte by byte from the pipe, so nothing sits in a buffer that ``select``
        cannot see.
        """
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        line = b""
        while not line.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], GUARD)
            assert ready, f"the program printed nothing; stderr: {self.stderr()}"
            byte = os.read(fd, 1)
            assert byte, f"the program ended; stderr: {self.stderr()}"
            line += byte
        return line.decode().strip()

    def stderr(self) -> str:
        """What the program wrote on stderr (once it ended)."""
        if self.proc.poll() is None:
            return "(still running)"
        if self._stderr is None:
            assert self.proc.stderr is not None
            self._stderr = self.proc.stderr.read()
        return self._stderr

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(GUARD)
        self.stderr()
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.rest = self.proc.stdout.read()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Program:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill()


async def until(condition: Callable[[], Any], what: str = "condition") -> Any:
    """Wait until *condition()* is truthy; fail after :data:`GUARD` seconds."""
    return await polling.until(condition, timeout=GUARD, what=what, every=0.02)


def wait_until(condition: Callable[[], Any], what: str = "condition") -> Any:
    """:func:`until` for code outside an event loop."""
    return polling.wait_until(condition, timeout=GUARD, what=what, every=0.02)
