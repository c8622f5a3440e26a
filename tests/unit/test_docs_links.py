"""The docs' links hold: every link in README.md and docs/ to a file of the repository names one that exists (and a
heading of it, where it names one), and every function the code map ("Where things are" in docs/architecture.md)
names, "`name()` in [file](path)", is defined in the file it links to."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
ARCHITECTURE = ROOT / "docs" / "architecture.md"

_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")  # [text](target), not images
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...
_CODE_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
# "`a()` in [file](path)", "`a()` and `B.c()` in [file](path)": the names, the path.
_NAMED = re.compile(r"((?:`[A-Za-z_][\w.]*\(\)`(?:,? and |, | or )?)+) in \[[^\]\n]*\]\(([^)\s]+)\)")
_NAME = re.compile(r"`([A-Za-z_][\w.]*)\(\)`")


def _links(doc: Path) -> list[str]:
    return _LINK.findall(_CODE_BLOCK.sub("", doc.read_text(encoding="utf-8")))


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    text = _CODE_BLOCK.sub("", doc.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def _code_map() -> str:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert "## Where things are" in text
    return text.split("## Where things are", 1)[1].split("\n## ", 1)[0]


def _defined(path: Path) -> set[str]:
    """Top-level functions and classes of a module, and `Class.method` for each class's methods."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return names


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_every_link_to_a_file_of_the_repository_resolves(doc: Path):
    broken = []
    for target in _links(doc):
        if _EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        linked = (doc.parent / path_part).resolve() if path_part else doc
        if not linked.exists() or not linked.is_relative_to(ROOT):
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading #{anchor}")
    assert broken == []


def test_the_code_map_links_files_not_lines():
    targets = _LINK.findall(_code_map())
    assert len(targets) >= 12  # a code map, not an empty section
    assert [t for t in targets if "#" in t or _EXTERNAL.match(t)] == []


def test_every_function_the_code_map_names_is_defined_in_the_file_it_links():
    pairs = [(name, path) for names, path in _NAMED.findall(_code_map()) for name in _NAME.findall(names)]
    assert len(pairs) >= 15
    missing = [
        f"{name}() in {path}"
        for name, path in pairs
        if not (ARCHITECTURE.parent / path).is_file() or name not in _defined(ARCHITECTURE.parent / path)
    ]
    assert missing == []


def test_the_readme_points_to_the_code_map():
    assert "docs/architecture.md#where-things-are" in _links(ROOT / "README.md")
