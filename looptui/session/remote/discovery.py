"""Find agent sockets on this machine: by pid, by program name, live or stale.

Agents listen on ``looptui-<program>-<pid>.sock`` in ``$XDG_RUNTIME_DIR`` (else the temp
dir). A socket file outlives a program killed by a signal; such a file is *stale* when it
belongs to this user, its pid is dead, and nothing accepts connections on it. Stale files
are skipped by ``looptui attach`` (and named) and removed by the next agent that starts.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AgentSocket", "socket_dir", "socket_dirs", "agent_sockets", "pid_alive",
           "is_stale", "remove_stale", "SOCKET_NAME"]

SOCKET_NAME = re.compile(r"^looptui-(?P<program>.+)-(?P<pid>\d+)\.sock$")
"""The default socket file name: the program's name, then its pid."""


@dataclass(frozen=True)
class AgentSocket:
    """One agent socket file found in a socket directory.

    Attributes:
        path: The socket file.
        program: The program's name, as in its file name (and the agent's hello).
        pid: The pid in its file name.
        stale: The program is gone and left the file behind (see :func:`is_stale`).
    """

    path: Path
    program: str
    pid: int
    stale: bool


def socket_dir() -> Path:
    """``$XDG_RUNTIME_DIR`` when set and a directory, else the temp dir."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime)
    return Path(tempfile.gettempdir())


def socket_dirs() -> list[Path]:
    """Where agents may listen: the runtime dir (when set), then the temp dir."""
    dirs = [socket_dir()]
    temp = Path(tempfile.gettempdir())
    if temp not in dirs:
        dirs.append(temp)
    return dirs


def pid_alive(pid: int) -> bool:
    """Whether a process with *pid* exists (also one of another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _refuses(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        return True
    finally:
        probe.close()
    return False


def is_stale(path: Path, pid: int) -> bool:
    """True when *path* is this user's, process *pid* is dead and nothing listens there."""
    try:
        if path.lstat().st_uid != os.getuid():
            return False
    except OSError:
        return False
    return not pid_alive(pid) and _refuses(path)


def agent_sockets(folders: list[Path] | None = None) -> list[AgentSocket]:
    """Every default-named agent socket in *folders* (default: :func:`socket_dirs`)."""
    found: list[AgentSocket] = []
    for folder in folders if folders is not None else socket_dirs():
        try:
            paths = sorted(folder.glob("looptui-*-*.sock"))
        except OSError:
            continue
        for path in paths:
            match = SOCKET_NAME.match(path.name)
            if match is None:
                continue
            pid = int(match.group("pid"))
            found.append(AgentSocket(path, match.group("program"), pid, is_stale(path, pid)))
    return found


def remove_stale(folder: Path) -> list[Path]:
    """Remove the stale agent sockets in *folder*; the paths removed."""
    removed = []
    for found in agent_sockets([folder]):
        if found.stale:
            try:
                found.path.unlink()
            except OSError:
                continue
            removed.append(found.path)
    return removed
