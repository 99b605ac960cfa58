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


def test_what_else_must_stop_is_called_only_when_the_guard_acts():
    from looptui.ui.terminal import TerminalGuard

    called: list[str] = []
    guard = TerminalGuard(None, None)
    guard.on_restore.append(lambda: called.append("released"))
    guard.on_restore.append(lambda: 1 / 0)  # a failing one does not stop the restore
    guard.entered()
    guard.left()
    assert guard.restore() is False and called == []
    guard.entered()
    assert guard.restore() is True and called == ["released"]


def test_a_hung_up_terminal_is_swapped_for_dev_null():
    import pty

    from looptui.ui.terminal import TerminalGuard

    master, slave = pty.openpty()
    try:
        guard = TerminalGuard(slave, slave)
        guard.entered()
        assert guard.hang_up() is False  # still there (kill -HUP by hand): left alone
        assert guard.active
        os.close(master)  # the terminal hangs up
        master = -1
        assert guard.hang_up() is True
        assert not guard.active  # nothing left to restore
        assert os.write(slave, b"drawn on nothing") == 16  # no EIO: it goes nowhere
        assert os.stat(os.devnull).st_rdev == os.fstat(slave).st_rdev
    finally:
        if master >= 0:
            os.close(master)
        os.close(slave)
