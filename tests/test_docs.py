"""The repository explains itself: no reference to documents it does not contain, and
``docs/architecture.md`` names only files that exist.

The architecture document is what code comments cite for the design; a rename that
leaves it pointing at nothing fails here instead of misleading the next reader.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# Spelled in pieces so that this file does not cite them itself.
FOREIGN = ("DESIGN" + ".md", "DESIGN" + " §", "../" + "shared")


def _repository_text_files() -> list[Path]:
    folders = ("looptui", "tests", "docs", "scripts", "benchmarks", "examples", ".ci")
    files = [ROOT / "README.md", ROOT / "pyproject.toml"]
    for folder in folders:
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()
                  and p.suffix in (".py", ".md", ".toml", ".txt", "") and "__pycache__" not in p.parts]
    return files


def test_nothing_cites_a_document_outside_the_repository() -> None:
    found = []
    for path in _repository_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for line_no, line in enumerate(text.splitlines(), 1):
            if any(word in line for word in FOREIGN):
                found.append(f"{path.relative_to(ROOT)}:{line_no}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_architecture_document_names_only_real_paths() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:looptui/|tests/|docs/|\.ci/)?[\w/]+(?:\.py|\.md|/))`", text))
    assert len(named) > 20, named  # the document does name the modules
    missing = []
    for name in sorted(named):
        candidates = [ROOT / name, ROOT / "looptui" / name]
        if not any(c.exists() for c in candidates):
            missing.append(name)
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def test_the_readme_map_points_to_the_architecture_document() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    development = readme[readme.index("## Development"):]
    assert "(docs/architecture.md)" in development
