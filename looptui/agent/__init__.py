"""Let ``looptui attach`` watch and control the loops of a program already running.

Add one call to a program started the usual way (``python bot.py``, systemd, docker)::

    import looptui.agent

    async def main():
        looptui.agent.start()          # or: await looptui.agent.serve()
        ...

The agent runs on the program's own event loop and observes its loops (looptui's and
those of discord.py, nextcord, disnake and py-cord, also loops created before the agent
started). It listens on a Unix socket only the same user can open
(``$XDG_RUNTIME_DIR/looptui-<program>-<pid>.sock``, else in a private folder of the
user's in the temp dir); TCP only when asked, always with a token (``$LOOPTUI_TOKEN`` or
a generated one). While nobody is attached it costs nothing on the loops' path. Starting, it removes
the stale sockets of this user's programs that died by a signal (see
:mod:`looptui.session.remote.discovery`). ``metrics=`` also
serves Prometheus metrics of the loops (``looptui[metrics]``). While a client is attached
(only then) the program's output is also sent to it, and blocked and stuck loops are
reported (:mod:`looptui.agent.attached`).

``LOOPTUI_AGENT=0`` in the environment turns :func:`start` into a no-op, so the call can
stay in the code and be switched off per deployment.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import socket
import sys
from pathlib import Path
from typing import Any

from looptui.core.registry import REGISTRY
from looptui.session.remote.discovery import private_dir, remove_stale, socket_dir

from .attached import AttachedWatch
from .debugging import AgentDebug
from .endpoint import PathTaken, bind_unix, new_token, parse_hostport, program_name, socket_name
from .observe import observe_loops
from .server import AgentServer

__all__ = ["start", "serve", "stop", "address", "metrics_address", "server"]

_state: dict[str, Any] = {"server": None, "addresses": [], "loop": None, "metrics": None}


def _disabled() -> bool:
    return os.environ.get("LOOPTUI_AGENT", "").strip().lower() in ("0", "off", "no", "false")


def start(*, path: str | os.PathLike[str] | None = None, tcp: str | None = None,
          token: str | None = None, metrics: str | None = None,
          announce: bool = True, console: bool = False) -> str | None:
    """Start the agent on the running event loop and return its address.

    Calling it again returns the same address (the first call's options hold). A file
    someone put at the socket's path never stops it: the agent then listens in a fresh
    private folder and says so. When it cannot start (a TCP or metrics port taken), it
    raises and leaves nothing behind: no socket bound, no file, no task.

    Args:
        path: The Unix socket's path (default: ``looptui-<program>-<pid>.sock`` in
            ``$XDG_RUNTIME_DIR``, else in the user's private folder in the temp dir).
        tcp: Also listen on TCP, ``"[HOST:]PORT"`` (loopback unless a host is named).
        token: The token TCP clients must give (default: ``$LOOPTUI_TOKEN``, else a
            generated one, shown once).
        metrics: Serve Prometheus metrics on ``"[HOST:]PORT"`` (needs ``looptui[metrics]``).
        announce: Write the address (and a generated token, once) to stderr.
        console: Also answer the console (``c`` in ``looptui attach``: Python evaluated in
            the program) on TCP. On the Unix socket, which only the program's user can
            open, it is always answered.

    Returns:
        ``unix:PATH``, or ``HOST:PORT?token=…`` when *tcp* is given; ``None`` when
        ``LOOPTUI_AGENT=0`` switched the agent off.

    Raises:
        RuntimeError: no event loop is running in this thread.
        ValueError: *tcp* or *metrics* is not ``[HOST:]PORT``.
        OSError: the TCP or metrics port cannot be bound.
        ImportError: *metrics* given without ``prometheus_client`` installed.
    """
    if _state["server"] is not None:
        return _state["addresses"][-1]
    if _disabled():
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "looptui.agent.start() must be called from code running on the program's "
            "event loop (inside an async function), or use `await looptui.agent.serve()`"
        ) from None
    tcp_address = parse_hostport(tcp) if tcp is not None else None
    generated = False
    if tcp is not None and token is None:
        token = os.environ.get("LOOPTUI_TOKEN", "").strip() or None
        if token is None:
            token, generated = new_token(), True
    server = AgentServer(REGISTRY, program_name(), token)
    opened: list[Any] = []  # undone, in reverse, when a later step fails
    try:
        metrics_server = None
        if metrics is not None:
            from .metrics import MetricsServer  # ImportError with advice when missing

            metrics_server = MetricsServer(REGISTRY, *parse_hostport(metrics))
            opened.append(metrics_server)
            metrics_server.bind()
        unix_sock, sock_path, notes = _bound_unix(server, Path(path) if path else None)
        opened.append(server)
        opened.append(unix_sock)
        tcp_sock = socket.create_server(tcp_address) if tcp_address is not None else None
    except BaseException:
        for part in reversed(opened):
            part.remove_files() if isinstance(part, AgentServer) else part.close()
        raise
    server.while_attached.append(AttachedWatch(REGISTRY, server.broadcast))
    server.debug = AgentDebug(REGISTRY, server.broadcast, console_on_tcp=console)
    server.debug.serve(server.handlers)
    observe_loops(REGISTRY)
    loop.create_task(_listen(server, unix_sock, tcp_sock), name="looptui-agent")
    addresses = [f"unix:{sock_path}"]
    if tcp_sock is not None:
        host, port = tcp_sock.getsockname()[:2]
        addresses.append(f"{host}:{port}?token={token}")
    if metrics_server is not None:
        loop.create_task(metrics_server.serve(), name="looptui-metrics")
        _state["metrics"] = metrics_server
    _state.update(server=server, addresses=addresses, loop=loop)
    atexit.register(server.remove_files)
    if announce:
        lines = [f"looptui agent: {note}" for note in notes]
        lines.append(f"looptui agent: listening on {addresses[0]} "
                     f"(looptui attach {os.getpid()})")
        if tcp_sock is not None:
            host, port = tcp_sock.getsockname()[:2]
            lines.append(f"looptui agent: TCP {addresses[1]} (the token is shown only now)"
                         if generated else
                         f"looptui agent: TCP {host}:{port} (with the token given)")
        if metrics_server is not None:
            lines.append(f"looptui agent: metrics on http://{metrics_server.address}/metrics")
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()
    return addresses[-1]


def _bound_unix(server: AgentServer,
                path: Path | None) -> tuple[socket.socket, Path, list[str]]:
    """The Unix socket bound and listening (at *path*, else the default path), its path,
    and notes to announce (stale sockets removed, a taken path or folder avoided)."""
    notes: list[str] = []
    if path is None:
        folder, why = private_dir()
        if why is not None:
            notes.append(f"{why}; using {folder} instead")
        path = folder / socket_name()
    else:
        folder = None
    stale = remove_stale(path.parent)  # left by programs killed by a signal
    if stale:
        notes.append(f"removed {len(stale)} stale socket(s) of programs that are gone: "
                     + ", ".join(p.name for p in stale))
    try:
        sock = bind_unix(path)
    except PathTaken as err:
        folder, _ = private_dir(fresh=True)
        taken, path = path, folder / socket_name()
        notes.append(f"{taken} is taken ({err}); listening on {path} instead")
        sock = bind_unix(path)  # a fresh folder of this user's: nobody else is there
    made_folder = folder if folder is not None and folder != socket_dir() else None
    server.track_file(path, folder=made_folder)
    try:
        sock.listen(128)  # connectable from now on; accepted once the loop runs the server
    except BaseException:
        sock.close()
        server.remove_files()
        raise
    return sock, path, notes


async def _listen(server: AgentServer, unix_sock: socket.socket,
                  tcp_sock: socket.socket | None) -> None:
    await server.serve_socket(unix_sock, unix=True)
    if tcp_sock is not None:
        await server.serve_socket(tcp_sock, unix=False)


async def serve(**options: Any) -> None:
    """Start the agent (as :func:`start`) and wait until :func:`stop` or cancellation."""
    start(**options)
    server = _state["server"]
    if server is None:
        return
    await server.wait_closed()


def stop() -> None:
    """Stop the agent: clients are dropped, the socket file removed. Idempotent."""
    server: AgentServer | None = _state["server"]
    metrics_server = _state["metrics"]
    _state.update(server=None, addresses=[], loop=None, metrics=None)
    if metrics_server is not None:
        metrics_server.close()
    if server is not None:
        if server.debug is not None:
            server.debug.uninstall()
        server.close_now()


def address() -> str | None:
    """The agent's address (as :func:`start` returned it), or ``None`` when not running."""
    return _state["addresses"][-1] if _state["server"] is not None else None


def metrics_address() -> str | None:
    """``host:port`` of the metrics endpoint, or ``None`` when not serving metrics."""
    metrics_server = _state["metrics"]
    return metrics_server.address if metrics_server is not None else None


def server() -> AgentServer | None:
    """The running agent's server (counters for tests and benchmarks), or ``None``."""
    return _state["server"]
