"""What ``looptui attach`` accepts as an address, and how each is reached.

A socket path, ``unix:PATH``, ``HOST:PORT`` (``?token=…`` or ``--token``), or the pid of a
program whose agent socket is found in ``$XDG_RUNTIME_DIR`` or the temp dir.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Address", "parse_address", "AddressError", "find_pid_socket"]


class AddressError(ValueError):
    """An address that is not one of the accepted forms (a usage error)."""


@dataclass(frozen=True)
class Address:
    """One program to attach to.

    Attributes:
        text: The address as given (shown until the program says its name).
        path: The Unix socket, for ``unix`` addresses.
        pid: For a pid: the socket is looked up again at every (re)connection.
        host, port, token: For TCP.
    """

    text: str
    path: Path | None = None
    pid: int | None = None
    host: str | None = None
    port: int | None = None
    token: str | None = None

    def socket_path(self) -> Path | None:
        """The Unix socket to connect to now (``None``: a pid without a socket yet)."""
        if self.pid is not None:
            return find_pid_socket(self.pid)
        return self.path


def _socket_dirs() -> list[Path]:
    dirs = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        dirs.append(Path(runtime))
    temp = Path(tempfile.gettempdir())
    if temp not in dirs:
        dirs.append(temp)
    return dirs


def find_pid_socket(pid: int) -> Path | None:
    """The agent socket of process *pid*, or ``None`` when there is none."""
    for folder in _socket_dirs():
        try:
            found = sorted(folder.glob(f"looptui-*-{pid}.sock"))
        except OSError:
            continue
        if found:
            return found[0]
    return None


_HOSTPORT = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:/\s]+)):(?P<port>\d{1,5})$")


def parse_address(text: str, token: str | None = None) -> Address:
    """Turn one command-line address into an :class:`Address`.

    Raises:
        AddressError: not a pid with an agent socket, an existing socket path,
            ``unix:PATH`` or ``HOST:PORT``.
    """
    raw = text.strip()
    if raw.startswith("unix:"):
        return Address(raw, path=Path(raw[5:]))
    if raw.isdigit():
        pid = int(raw)
        if find_pid_socket(pid) is None:
            where = " or ".join(str(d) for d in _socket_dirs())
            raise AddressError(
                f"no looptui agent socket for pid {pid} in {where}.\n"
                "Is the program running, and does it call looptui.agent.start()? "
                "A program started as another user, or with another XDG_RUNTIME_DIR, "
                "is attached by its socket path."
            )
        return Address(raw, pid=pid)
    base, _, query = raw.partition("?")
    match = _HOSTPORT.match(base)
    if match and not os.path.exists(raw):
        params = urllib.parse.parse_qs(query)
        given = params.get("token", [None])[0] or token
        if not given:
            raise AddressError(
                f"{raw}: a TCP address needs the token the agent printed when it started: "
                f"{base}?token=TOKEN or --token TOKEN"
            )
        port = int(match.group("port"))
        if port > 65535:
            raise AddressError(f"{raw}: port {port} is out of range")
        return Address(raw, host=match.group("v6") or match.group("host"), port=port,
                       token=given)
    path = Path(raw)
    if path.exists():
        return Address(raw, path=path)
    raise AddressError(
        f"{raw}: not an agent address. Give a pid, a socket path, unix:PATH or HOST:PORT "
        "(the agent prints its address when it starts)."
    )
