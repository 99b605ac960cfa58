"""What ``looptui attach`` accepts as an address, and how each is reached.

A socket path, ``unix:PATH``, ``HOST:PORT`` (its token from ``$LOOPTUI_TOKEN``,
``--token-file``, ``?token=…`` or ``--token``), the pid of a
program whose agent socket is found in ``$XDG_RUNTIME_DIR`` or the user's private
folder in the temp dir (sockets of other users are never used), or a program's name (every live socket of that program). A pid or a name *follows* the
program: when it restarts (a new pid, a new socket), its new socket is found by name.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Set
from dataclasses import dataclass, field
from pathlib import Path

from .discovery import AgentSocket, agent_sockets, pid_alive, socket_dirs

__all__ = ["Address", "parse_address", "resolve_addresses", "AddressError", "redact",
           "find_pid_socket", "program_sockets"]


class AddressError(ValueError):
    """An address that is not one of the accepted forms (a usage error)."""


@dataclass(frozen=True)
class Address:
    """One program to attach to.

    Attributes:
        text: The address as given without its token (shown until the program says
            its name; the token is never shown, logged or put in an event).
        path: The Unix socket, for ``unix`` addresses.
        pid: For a pid (or one socket of a program named): the process first attached.
        program: For a program named: its name (a pid learns it from the agent's hello).
        host, port, token: For TCP.
    """

    text: str
    path: Path | None = None
    pid: int | None = None
    program: str | None = None
    host: str | None = None
    port: int | None = None
    token: str | None = field(default=None, repr=False)  # never shown, not even in a repr

    @property
    def follows(self) -> bool:
        """Whether a restarted program is looked for by name (a pid or a program name)."""
        return self.pid is not None or self.program is not None


def find_pid_socket(pid: int) -> Path | None:
    """The live agent socket of process *pid*, or ``None`` when there is none."""
    for found in agent_sockets():
        if found.pid == pid and not found.stale:
            return found.path
    return None


def program_sockets(program: str, *, exclude: Set[Path] = frozenset()) -> list[AgentSocket]:
    """The live agent sockets of the program called *program* (not those in *exclude*)."""
    return [found for found in agent_sockets()
            if found.program == program and not found.stale and found.path not in exclude]


def _stale_notes(sockets: list[AgentSocket]) -> list[str]:
    return [f"ignoring stale socket {s.path} (process {s.pid} is gone)"
            for s in sockets if s.stale]


def _live_programs() -> str:
    by_program: dict[str, list[int]] = {}
    for found in agent_sockets():
        if not found.stale:
            by_program.setdefault(found.program, []).append(found.pid)
    if not by_program:
        where = " or ".join(str(d) for d in socket_dirs())
        return f"No program with a looptui agent is running (no live socket in {where})."
    listed = ", ".join(f"{name} (pid {', '.join(map(str, pids))})"
                       for name, pids in sorted(by_program.items()))
    return f"Programs with a looptui agent: {listed}."


_HOSTPORT = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:/\s]+)):(?P<port>\d{1,5})$")


def parse_address(text: str, token: str | None = None) -> Address:
    """Turn one command-line address that names one program into an :class:`Address`.

    Raises:
        AddressError: not a pid with a live agent socket, an existing socket path,
            ``unix:PATH`` or ``HOST:PORT``.
    """
    addresses, _notes = resolve_addresses([text], token)
    if len(addresses) != 1:
        raise AddressError(f"{redact(text)}: names {len(addresses)} programs, not one")
    return addresses[0]


def resolve_addresses(texts: list[str],
                      token: str | None = None) -> tuple[list[Address], list[str]]:
    """The addresses *texts* name (a program name may name several) and notes to show.

    The notes name the stale sockets that were skipped.

    Raises:
        AddressError: an address that names nothing to attach to; the message says why
            (a process that is gone, the live programs when a name matches none).
    """
    addresses: list[Address] = []
    notes: list[str] = []
    for text in texts:
        addresses += _resolve(text.strip(), token, notes)
    return addresses, notes


def redact(text: str) -> str:
    """*text* (an address) without its ``?token=…`` part: how an address is shown,
    logged, recorded and sent in events."""
    base, sep, _ = text.partition("?")
    return base if sep else text


def _resolve(raw: str, token: str | None, notes: list[str]) -> list[Address]:
    if raw.startswith("unix:"):
        return [Address(raw, path=Path(raw[5:]))]
    if raw.isdigit():
        return [_pid_address(raw, notes)]
    base, _, query = raw.partition("?")
    match = _HOSTPORT.match(base)
    if match and not os.path.exists(raw):
        params = urllib.parse.parse_qs(query)
        given = params.get("token", [None])[0] or token
        if not given:
            raise AddressError(
                f"{base}: a TCP address needs the token the agent printed when it started: "
                "$LOOPTUI_TOKEN, --token-file FILE, or --token TOKEN"
            )
        port = int(match.group("port"))
        if port > 65535:
            raise AddressError(f"{base}: port {port} is out of range")
        return [Address(base, host=match.group("v6") or match.group("host"), port=port,
                        token=given)]
    path = Path(raw)
    if path.exists():
        return [Address(raw, path=path)]
    if _PROGRAM.match(raw):
        return _program_addresses(raw, notes)
    raise AddressError(
        f"{redact(raw)}: not an agent address. Give a pid, a program name, a socket path, "
        "unix:PATH or HOST:PORT (the agent prints its address when it starts)."
    )


_PROGRAM = re.compile(r"^[A-Za-z0-9_.-]+$")


def _pid_address(raw: str, notes: list[str]) -> Address:
    pid = int(raw)
    mine = [s for s in agent_sockets() if s.pid == pid]
    notes += _stale_notes(mine)
    if not pid_alive(pid):
        raise AddressError(
            f"process {pid} is gone (no such process)"
            + "".join(f"; its stale socket {s.path} was ignored" for s in mine) + "."
            + "\n" + _live_programs()
        )
    if not any(not s.stale for s in mine):
        where = " or ".join(str(d) for d in socket_dirs())
        raise AddressError(
            f"no looptui agent socket for pid {pid} in {where}.\n"
            "Is the program running, and does it call looptui.agent.start()? "
            "A program started as another user, or with another XDG_RUNTIME_DIR, "
            "is attached by its socket path."
        )
    return Address(raw, pid=pid)


def _program_addresses(name: str, notes: list[str]) -> list[Address]:
    named = [s for s in agent_sockets() if s.program == name]
    notes += _stale_notes(named)
    live = [s for s in named if not s.stale]
    if not live:
        raise AddressError(f"{name}: no running program of that name has a looptui agent"
                           + (" (only stale sockets)" if named else "") + ".\n"
                           + _live_programs())
    return [Address(name if len(live) == 1 else f"{name}[{s.pid}]", pid=s.pid, program=name)
            for s in live]
