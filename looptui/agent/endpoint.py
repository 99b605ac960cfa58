"""Where an agent listens: its Unix socket path, a TCP address, tokens, and finding a pid's socket.

The default endpoint is a Unix domain socket, mode 0600, in ``$XDG_RUNTIME_DIR`` (else a
private folder of the user's in the temp dir, see
:mod:`looptui.session.remote.discovery`), named ``looptui-<program>-<pid>.sock`` so
``looptui attach <pid>`` finds it.
TCP is used only when asked for; it always needs a token.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import socket
import stat
import sys
from pathlib import Path

from looptui.session.remote.discovery import socket_dir

__all__ = [
    "socket_dir", "program_name", "default_socket_path", "parse_hostport",
    "new_token", "same_token", "bind_unix", "PathTaken", "socket_name", "LOOPBACK",
]

LOOPBACK = "127.0.0.1"
"""Where a TCP endpoint listens when no host is named."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def program_name() -> str:
    """The running program's name for the socket file (``bot`` for ``python bot.py``)."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else "python"
    name = Path(argv0).name
    if name.endswith(".py"):
        name = name[:-3]
    if name in ("__main__", "-c", ""):
        name = "python"
    return _UNSAFE.sub("_", name)[:40] or "python"


def socket_name(pid: int | None = None) -> str:
    """``looptui-<program>-<pid>.sock``: the name discovery finds by pid and program."""
    return f"looptui-{program_name()}-{pid or os.getpid()}.sock"


def default_socket_path(pid: int | None = None) -> Path:
    """``<socket dir>/looptui-<program>-<pid>.sock``."""
    return socket_dir() / socket_name(pid)


def parse_hostport(text: str, default_host: str = LOOPBACK) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` or ``PORT`` as ``(host, port)`` (loopback unless named).

    Raises:
        ValueError: not a port number in 0–65535, or an empty host part in brackets.
    """
    text = text.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "", text
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"{text!r} is not [HOST:]PORT (the port must be a number)") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range (0-65535)")
    return (host or default_host, port)


def new_token() -> str:
    """A fresh random token (URL-safe, 32 characters)."""
    return secrets.token_urlsafe(24)


def same_token(given: object, expected: str) -> bool:
    """Compare tokens in constant time (a non-string never matches)."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


class PathTaken(OSError):
    """The socket path is used by something else (a live agent, a file someone put
    there, a folder that cannot be written): the agent listens elsewhere."""


def bind_unix(path: Path) -> socket.socket:
    """A Unix socket bound at *path* with mode 0600, not yet listening.

    The mode is set before ``listen()``, so nobody can connect while it is still wider.
    A stale socket file of this user's (nothing listens there) is replaced.

    Raises:
        PathTaken: something listens there, the path holds anything but a socket of
            this user's, or it cannot be bound.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise PathTaken(f"cannot look at it ({err.strerror or err})") from None
    if info is not None:
        if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
            raise PathTaken("something that is not a socket of this user's is there")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # nobody listens: a leftover
        else:
            raise PathTaken("a running agent listens there")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        os.chmod(path, 0o600)
    except OSError as err:
        sock.close()
        raise PathTaken(err.strerror or str(err)) from None
    except BaseException:
        sock.close()
        raise
    return sock
