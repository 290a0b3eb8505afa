"""The code the README and docs/ point at exists: a module renamed or removed without its
documentation fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE_REF = re.compile(r"`((?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-]+\.py)`")


def _resolves(ref: str) -> bool:
    if any((base / ref).exists() for base in (ROOT, ROOT / "src" / "assay", ROOT / "src")):
        return True
    # a bare module name (``states.py``) or a path inside a package (``vex/statements.py``)
    tops = ("src/assay", "benchmarks", "scripts", "tests")
    return any(any(ROOT.joinpath(top).glob(f"**/{ref}")) for top in tops)


def test_a_missing_file_is_noticed() -> None:
    assert _resolves("accountability/states.py") and _resolves("bench_reaudit.py")
    assert not _resolves("accountability/no_such_module.py") and not _resolves("nothing.py")


def test_every_python_file_the_docs_name_exists() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {
        (doc.name, ref)
        for doc in documents
        for ref in SOURCE_REF.findall(doc.read_text(encoding="utf-8"))
    }
    assert len(named) > 30  # the docs do point at code
    assert sorted((doc, ref) for doc, ref in named if not _resolves(ref)) == []
