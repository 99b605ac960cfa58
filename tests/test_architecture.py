"""The package map holds: imports go down the layers, no circles, textual only in ``ui/``.

Reads every module of ``looptui`` with :mod:`ast` (imports inside functions and under
``TYPE_CHECKING`` count too: a circle is a circle even when it only shows at run time)
and checks the rules the README's "Development" map states.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "looptui"

# Lower number = lower layer. A module may import its own group and any lower one.
LAYERS: dict[str, int] = {
    "looptui.core": 0,
    "looptui.adapters": 1,
    "looptui.session.interface": 2,
    "looptui.session.output": 3,
    "looptui.session.commands": 4,
    "looptui.session.program": 4,
    "looptui.session.health": 5,
    "looptui.session.events": 5,
    "looptui.session.reload": 6,
    "looptui.session.debug": 6,
    "looptui.session.remote": 7,
    "looptui.session.session": 7,
    "looptui.session": 8,  # the package's __init__: the session layer's public face
    "looptui.headless": 9,
    "looptui.ui": 9,
    "looptui.agent": 9,
    "looptui.cli": 10,
    "looptui.__main__": 11,
    "looptui.tasks": 1,
    "looptui.testing": 1,
    "looptui": 12,  # the package's __init__: the public API
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def group_of(name: str) -> str:
    """The longest :data:`LAYERS` key that *name* is, or is inside."""
    best = ""
    for group in LAYERS:
        if (name == group or name.startswith(group + ".")) and len(group) > len(best):
            best = group
    assert best, f"{name} is in no layer: add it to LAYERS (and the README map)"
    return best


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> list[tuple[str, list[str], int]]:
    """``(module imported, names taken from it, line)`` for every import in *name*."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            names = [alias.name for alias in node.names]
            # "from pkg import mod" imports the module pkg.mod
            subs = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
            if subs:
                found += [(sub, [], node.lineno) for sub in subs]
                rest = [n for n in names if f"{base}.{n}" not in MODULES]
                if rest:
                    found.append((base, rest, node.lineno))
            else:
                found.append((base, names, node.lineno))
    return found


def own_imports(name: str) -> list[tuple[str, list[str], int]]:
    return [(target, names, line) for target, names, line in imports_of(name)
            if target == "looptui" or target.startswith("looptui.")]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_go_down(name: str) -> None:
    mine = group_of(name)
    for target, _names, line in own_imports(name):
        theirs = group_of(target)
        if theirs == mine or mine.startswith(theirs + ".") or theirs.startswith(mine + "."):
            continue
        assert LAYERS[theirs] < LAYERS[mine], (
            f"{name}:{line} imports {target}: {theirs} is not below {mine}"
        )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_crosses_modules(name: str) -> None:
    for target, names, line in own_imports(name):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{name}:{line} imports private {private} from {target}"
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("looptui"):
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            raise AssertionError(
                f"{name}:{node.lineno} uses private {aliases[node.value.id]}.{node.attr}"
            )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_ui_imports_textual(name: str) -> None:
    if group_of(name) == "looptui.ui":
        return
    for target, _names, line in imports_of(name):
        assert target.split(".")[0] != "textual", f"{name}:{line} imports {target}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in *graph* (``[a, b, a]``), or ``None`` when there is none."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circles() -> None:
    """Between modules (package ``__init__`` re-exports aside), imports form no cycle."""
    packages = {n for n, p in MODULES.items() if p.name == "__init__.py"}
    graph = {
        name: {t for t, _, _ in own_imports(name) if t in MODULES and t not in packages}
        for name in MODULES if name not in packages
    }
    assert sum(map(len, graph.values())) > 50  # the graph really holds the imports
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_checks_can_fail() -> None:
    """The rules catch what they are meant to: a circle, layers in the right order."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert group_of("looptui.session.reload.hot_reload") == "looptui.session.reload"
    assert LAYERS[group_of("looptui.ui.app")] > LAYERS[group_of("looptui.session.session")]
