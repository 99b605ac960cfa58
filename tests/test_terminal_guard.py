"""The terminal guard puts a pseudo-terminal back the way it was, only when needed."""

from __future__ import annotations

import os
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminal")


def _read_all(fd: int) -> bytes:
    import select

    data = b""
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def test_an_app_that_did_not_end_cleanly_gets_the_terminal_restored():
    import pty
    import termios
    import tty

    from looptui.ui.terminal import RESET, TerminalGuard

    master, slave = pty.openpty()
    try:
        before = termios.tcgetattr(slave)
        guard = TerminalGuard(slave, slave)
        guard.entered()
        tty.setraw(slave)  # what the app did: raw keys, alternate screen, no cursor
        os.write(slave, b"\x1b[?1049h\x1b[?25l\x1b[?1000h")
        assert termios.tcgetattr(slave) != before
        assert guard.restore() is True
        assert termios.tcgetattr(slave) == before
        drawn = _read_all(master)
        assert drawn.endswith(RESET.encode("ascii").replace(b"\n", b"\r\n"))
        assert guard.restore() is False  # once is enough
    finally:
        os.close(master)
        os.close(slave)


def test_an_app_that_ended_cleanly_is_left_alone():
    import pty

    from looptui.ui.terminal import TerminalGuard

    master, slave = pty.openpty()
    try:
        guard = TerminalGuard(slave, slave)
        guard.entered()
        guard.left()
        assert guard.restore() is False
        assert _read_all(master) == b""
    finally:
        os.close(master)
        os.close(slave)


def test_no_terminal_no_trouble(tmp_path):
    from looptui.ui.terminal import TerminalGuard

    with open(tmp_path / "out", "wb") as out:
        guard = TerminalGuard(out.fileno(), out.fileno())  # not a terminal: no settings
        guard.entered()
        assert guard.restore() is True  # the sequences only; nothing raises
