"""Let ``looptui attach`` watch and control the loops of a program already running.

Add one call to a program started the usual way (``python bot.py``, systemd, docker)::

    import looptui.agent

    async def main():
        looptui.agent.start()          # or: await looptui.agent.serve()
        ...

The agent runs on the program's own event loop and observes its loops (looptui's and
those of discord.py, nextcord, disnake and py-cord, also loops created before the agent
started). It listens on a Unix socket only the same user can open
(``$XDG_RUNTIME_DIR/looptui-<program>-<pid>.sock``); TCP only when asked, always with a
token. While nobody is attached it costs nothing on the loops' path. Starting, it removes
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
from looptui.session.remote.discovery import remove_stale

from .attached import AttachedWatch
from .debugging import AgentDebug
from .endpoint import default_socket_path, new_token, parse_hostport, program_name
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

    Calling it again returns the same address (the first call's options hold).

    Args:
        path: The Unix socket's path (default: ``looptui-<program>-<pid>.sock`` in
            ``$XDG_RUNTIME_DIR``, else the temp dir).
        tcp: Also listen on TCP, ``"[HOST:]PORT"`` (loopback unless a host is named).
        token: The token TCP clients must give (generated when not given).
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
        OSError: the socket or port cannot be bound.
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
    metrics_server = None
    if metrics is not None:
        from .metrics import MetricsServer  # ImportError with advice when missing

        metrics_server = MetricsServer(REGISTRY, *parse_hostport(metrics))
    if tcp is not None and token is None:
        token = new_token()
    server = AgentServer(REGISTRY, program_name(), token)
    server.while_attached.append(AttachedWatch(REGISTRY, server.broadcast))
    server.debug = AgentDebug(REGISTRY, server.broadcast, console_on_tcp=console)
    server.debug.install()
    sock_path = Path(path) if path is not None else default_socket_path()
    stale = remove_stale(sock_path.parent)  # left by programs killed by a signal
    addresses: list[str] = []
    unix_sock = _bound_unix(server, sock_path)
    tcp_sock = socket.create_server(parse_hostport(tcp)) if tcp is not None else None
    observe_loops(REGISTRY)
    loop.create_task(_listen(server, unix_sock, tcp_sock), name="looptui-agent")
    addresses.append(f"unix:{sock_path}")
    if tcp_sock is not None:
        host, port = tcp_sock.getsockname()[:2]
        addresses.append(f"{host}:{port}?token={token}")
    if metrics_server is not None:
        metrics_server.bind()
        loop.create_task(metrics_server.serve(), name="looptui-metrics")
        _state["metrics"] = metrics_server
    _state.update(server=server, addresses=addresses, loop=loop)
    atexit.register(server.remove_files)
    if announce:
        lines = [f"looptui agent: listening on {addresses[0]} "
                 f"(looptui attach {os.getpid()})"]
        if tcp_sock is not None:
            lines.append(f"looptui agent: TCP {addresses[1]} (the token is shown only now)")
        if stale:
            lines.append(f"looptui agent: removed {len(stale)} stale socket(s) of programs "
                         f"that are gone: {', '.join(p.name for p in stale)}")
        if metrics_server is not None:
            lines.append(f"looptui agent: metrics on http://{metrics_server.address}/metrics")
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()
    return addresses[-1]


def _bound_unix(server: AgentServer, path: Path) -> socket.socket:
    from .endpoint import bind_unix

    sock = bind_unix(path)
    sock.listen(128)  # connectable from now on; accepted once the loop runs the server
    server.track_file(path)
    return sock


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
