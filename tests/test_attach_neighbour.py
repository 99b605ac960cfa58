"""Another user on the machine can neither stand in for a program's agent nor stop it
from starting: real processes, one of them run as a second, unprivileged user.

The temp dir is shared (no ``$XDG_RUNTIME_DIR``); before the program starts, the
neighbour makes the folder named for this user's sockets, puts live fake agents in it,
in the temp dir and in a folder of the right prefix, and a file at a socket path. The
agent starts anyway, in a fresh private folder; discovery lists only this user's socket;
``looptui attach`` by name or pid reaches the real program and never says hello to the
fake ones. Needs root (to run the neighbour) and ``useradd``; skipped otherwise.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from agent_helpers import GUARD, Program, until
from looptui.session.remote.address import AddressError, resolve_addresses
from looptui.session.remote.discovery import agent_sockets
from looptui.session.remote.remote_session import RemoteSession

pytestmark = pytest.mark.asyncio

IMPOSTOR = Path(__file__).parent / "fixtures" / "agent" / "impostor.py"
NEIGHBOUR = "looptui-neighbour"
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def neighbour() -> str:
    """The second user's name (made once with ``useradd``)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a process as a second user")
    if not os.path.exists(SYSTEM_PYTHON):
        pytest.skip(f"needs {SYSTEM_PYTHON} for the second user's process")
    try:
        pwd.getpwnam(NEIGHBOUR)
    except KeyError:
        if shutil.which("useradd") is None:
            pytest.skip("useradd is not available to make a second user")
        made = subprocess.run(["useradd", "--system", "--no-create-home", NEIGHBOUR],
                              capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"useradd failed: {made.stderr.strip()}")
    return NEIGHBOUR


@pytest.fixture()
def shared_tmp(monkeypatch: pytest.MonkeyPatch):
    """A temp dir every user may write to (mode 1777, as /tmp), used by this process
    and the programs it starts."""
    folder = Path(tempfile.mkdtemp(prefix="looptui-shared-", dir="/tmp"))
    folder.chmod(0o1777)
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Impostor:
    """The neighbour's fake agents, listening on *paths* (``{pid}``: its own pid)."""

    def __init__(self, user: str, folder: Path, *paths: str) -> None:
        self.log = folder / "impostor.log"
        script = folder / "impostor.py"
        shutil.copy(IMPOSTOR, script)
        script.chmod(0o644)
        self.proc = subprocess.Popen([SYSTEM_PYTHON, str(script), str(self.log), *paths],
                                     user=user, group=user, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=folder)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", self.proc.stderr.read() if self.proc.stderr else ""

    def heard(self) -> str:
        """What clients sent it (a hello here means someone was fooled)."""
        return self.log.read_text() if self.log.exists() else ""

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(GUARD)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}


async def test_a_neighbour_can_neither_stand_in_nor_stop_the_agent(
        neighbour: str, shared_tmp: Path) -> None:
    uid = os.getuid()
    own = shared_tmp / f"looptui-{uid}"  # the folder this user's sockets would go to
    impostor = Impostor(neighbour, shared_tmp,
                        str(own / "looptui-program-{pid}.sock"),
                        str(shared_tmp / "looptui-program-{pid}.sock"),
                        str(shared_tmp / f"looptui-{uid}-evil" / "looptui-program-{pid}.sock"))
    try:
        assert own.stat().st_uid != uid  # the neighbour got there first
        with Program("-", env=_env()) as program:
            path = Path(program.address.removeprefix("unix:"))
            folder = path.parent
            info = folder.lstat()
            assert folder != own and folder.name.startswith(f"looptui-{uid}-")
            assert info.st_uid == uid and stat.S_IMODE(info.st_mode) == 0o700
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            listed = agent_sockets()
            assert [(s.path, s.pid) for s in listed] == [(path, program.pid)]
            # by name and by pid: the real program only
            for given in ("program", str(program.pid)):
                addresses, _ = resolve_addresses([given])
                assert [a.pid for a in addresses] == [program.pid]
                session = RemoteSession(addresses)
                await session.start()
                try:
                    registry = session.registry
                    await until(lambda: registry.get("tick"), "the real loops")  # noqa: B023
                    assert registry.get("impostor") is None
                finally:
                    await session.shutdown()
            with pytest.raises(AddressError):  # the impostor's pid has no socket of ours
                resolve_addresses([str(impostor.proc.pid)])
        assert impostor.heard() == ""  # nobody ever said hello to the fake agents
    finally:
        impostor.close()


async def test_a_planted_file_at_the_socket_path_does_not_stop_start(
        neighbour: str, shared_tmp: Path) -> None:
    planted = shared_tmp / "bot.sock"
    subprocess.run(["touch", str(planted)], user=neighbour, check=True)
    with Program(planted, env=_env()) as program:
        path = Path(program.address.removeprefix("unix:"))
        assert path != planted and path.parent.lstat().st_uid == os.getuid()
        assert planted.stat().st_uid != os.getuid() and stat.S_ISREG(planted.stat().st_mode)
        session = RemoteSession(resolve_addresses([str(program.pid)])[0])
        await session.start()
        try:
            await until(lambda: session.registry.get("tick"), "the loops")
        finally:
            await session.shutdown()
        program.kill()
        assert f"{planted} is taken" in program.stderr()


async def test_start_that_fails_on_its_metrics_port_leaves_nothing_served(
        tmp_path: Path) -> None:
    busy = socket.create_server(("127.0.0.1", 0))
    sock = tmp_path / "agent.sock"
    try:
        port = busy.getsockname()[1]
        with Program(sock, "--metrics", f"127.0.0.1:{port}", "--guarded") as program:
            assert program.address.startswith("failed:")
            assert not sock.exists()  # the Unix socket was never left bound or served
            probe = socket.socket(socket.AF_UNIX)
            with pytest.raises(OSError):
                probe.connect(str(sock))
            probe.close()
            assert program.proc.poll() is None  # the program goes on without the agent
    finally:
        busy.close()
