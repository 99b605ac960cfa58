"""What the package ships besides code: its licence, its typing marker, one version.

The version is written once, in ``pyproject.toml``; the installed metadata carries it,
and :func:`looptui.core.version.looptui_version` is the one place that reads it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import tomllib
from pathlib import Path

import looptui
from looptui.cli import main
from looptui.core.version import looptui_version

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "looptui"


def test_the_licence_is_mit_and_named_in_the_metadata() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "looptui contributors" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]


def test_the_package_says_it_is_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()
    classifiers = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["classifiers"]
    assert "Typing :: Typed" in classifiers


def test_every_reader_of_the_version_gets_the_one_in_pyproject(capsys) -> None:
    written = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["version"]
    assert importlib.metadata.version("looptui") == written
    assert looptui_version() == written
    assert looptui.__version__ == written
    try:
        main(["--version"])
    except SystemExit:
        pass
    assert capsys.readouterr().out == f"looptui {written}\n"
    # (the agent's hello carries it too: test_agent_event_modes checks it on the wire)


def test_only_one_module_reads_the_version_from_the_metadata() -> None:
    """A call ``version("looptui")`` (however ``version`` was imported) in one module."""
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name == "version" and isinstance(first, ast.Constant) and first.value == "looptui":
                readers.append(path.relative_to(PACKAGE).as_posix())
    assert readers == ["core/version.py"], readers
