"""The seam between the front ends and the sessions holds.

The type checker does the main part: ``looptui/session/__init__.py`` assigns a
``Session`` to a ``LocalSession`` and a ``RemoteSession`` to a ``SessionView`` in a block
only mypy reads, so a field one session lacks fails ``.ci/run`` before any test. Here:
the front ends never probe a session for attributes, they use few session modules, and
``local`` is what each session says it is.
"""

from __future__ import annotations

import ast
from pathlib import Path

from looptui.session import Session
from looptui.session.remote.address import Address
from looptui.session.remote.remote_session import RemoteSession

PACKAGE = Path(__file__).resolve().parent.parent / "looptui"
FRONT_ENDS = {
    "headless.py": [PACKAGE / "headless.py"],
    "cli.py": [PACKAGE / "cli.py"],
    "ui/": sorted((PACKAGE / "ui").rglob("*.py")),
}


def _names_a_session(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return text in ("session", "view") or text.endswith(".session")


def test_the_front_ends_never_probe_a_session_for_attributes() -> None:
    probes = []
    for files in FRONT_ENDS.values():
        for path in files:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in ("getattr", "hasattr") and node.args
                        and _names_a_session(node.args[0])):
                    probes.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: "
                                  f"{ast.unparse(node)}")
    assert not probes, "\n".join(probes)


def _session_modules(files: list[Path]) -> set[str]:
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "looptui.session" or node.module.startswith("looptui.session."):
                    found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("looptui.session")}
    return found


def test_each_front_end_imports_at_most_three_session_modules() -> None:
    for front_end, files in FRONT_ENDS.items():
        modules = _session_modules(files)
        assert modules, front_end
        assert len(modules) <= 3, (front_end, sorted(modules))


def test_local_says_which_session_runs_the_program_here(tmp_path: Path) -> None:
    target = tmp_path / "bot.py"
    target.write_text("x = 1\n")
    local = Session(str(target), watch=False)
    assert local.local is local and not local.live and local.status == ""
    remote = RemoteSession([Address("agent.sock", path=tmp_path / "agent.sock")])
    assert remote.local is None and remote.live
