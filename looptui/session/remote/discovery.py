"""Find agent sockets on this machine: by pid, by program name, live or stale — only this
user's.

Agents listen on ``looptui-<program>-<pid>.sock`` in ``$XDG_RUNTIME_DIR`` (the user's own
folder), else in a folder of the user's own in the temp dir, ``looptui-<uid>`` (mode
0700): the temp dir is shared by every user of the machine, and a socket in it could be
anybody's. A folder is used only when it is a real folder (not a link) of this user's
that nobody else can write to; a folder someone else made at that name is never used —
the agent then makes a fresh one, ``looptui-<uid>-XXXXXXXX`` (:func:`private_dir`), where
discovery looks too. Only sockets owned by this user are listed: another user cannot
stand in for a program by putting a socket where ``looptui attach`` looks.

A socket file outlives a program killed by a signal; such a file is *stale* when its pid
is dead and nothing accepts connections on it. Stale files are skipped by
``looptui attach`` (and named) and removed by the next agent that starts.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AgentSocket", "socket_dir", "socket_dirs", "private_dir", "is_private",
           "agent_sockets", "pid_alive", "is_stale", "remove_stale", "SOCKET_NAME"]

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


def _runtime_dir() -> Path | None:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime)
    return None


def _own_name() -> str:
    return f"looptui-{os.getuid()}"


def is_private(folder: Path) -> bool:
    """Whether *folder* is a real folder (not a link) of this user's that no one else
    may write to (group and others have no write permission)."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def socket_dir() -> Path:
    """Where this user's agents listen by default: ``$XDG_RUNTIME_DIR`` when set and a
    folder, else ``<temp dir>/looptui-<uid>`` (which may not exist yet, or may be
    someone else's: see :func:`private_dir`)."""
    runtime = _runtime_dir()
    if runtime is not None:
        return runtime
    return Path(tempfile.gettempdir()) / _own_name()


def private_dir(fresh: bool = False) -> tuple[Path, str | None]:
    """A folder for this user's agent sockets, made if needed (mode 0700).

    Returns:
        The folder, and ``None`` — or, when the usual folder cannot be trusted (someone
        else made it, it is a link, others may write to it), a fresh folder and a
        sentence saying why it was not used. *fresh*: always a fresh folder (the usual
        one's socket name was taken).
    """
    usual = socket_dir()
    why: str | None = None
    if not fresh:
        if usual == _runtime_dir():
            return usual, None
        try:
            usual.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError as err:
            why = f"{usual} cannot be made ({err.strerror or err})"
        if why is None:
            if is_private(usual):
                return usual, None
            why = f"{usual} is not a private folder of this user's (someone else made it?)"
    parent = usual if usual == _runtime_dir() else usual.parent
    made = Path(tempfile.mkdtemp(prefix=f"{_own_name()}-", dir=parent))  # mode 0700
    return made, why


def socket_dirs() -> list[Path]:
    """Where this user's agents may listen: the runtime dir (when set), this user's
    private folders in it and in the temp dir (see :func:`is_private`)."""
    dirs: list[Path] = []
    runtime = _runtime_dir()
    if runtime is not None:
        dirs.append(runtime)
    for parent in ([runtime] if runtime is not None else []) + [Path(tempfile.gettempdir())]:
        try:
            found = sorted(parent.glob(f"{_own_name()}*"))
        except OSError:
            continue
        for folder in found:
            name = folder.name
            if (name == _own_name() or name.startswith(_own_name() + "-")) and \
                    is_private(folder) and folder not in dirs:
                dirs.append(folder)
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


def _own_socket(path: Path) -> bool:
    """Whether *path* is a socket file (not a link) owned by this user."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid()


def is_stale(path: Path, pid: int) -> bool:
    """True when *path* is this user's, process *pid* is dead and nothing listens there."""
    return _own_socket(path) and not pid_alive(pid) and _refuses(path)


def agent_sockets(folders: list[Path] | None = None) -> list[AgentSocket]:
    """Every default-named agent socket of this user's in *folders* (default:
    :func:`socket_dirs`); sockets of other users are not listed."""
    found: list[AgentSocket] = []
    for folder in folders if folders is not None else socket_dirs():
        try:
            paths = sorted(folder.glob("looptui-*-*.sock"))
        except OSError:
            continue
        for path in paths:
            match = SOCKET_NAME.match(path.name)
            if match is None or not _own_socket(path):
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
