"""docs/norms.md and docs/declaration.md are generated and must not drift from the data."""

from __future__ import annotations

from pathlib import Path

from assay.declaration import docs as declaration_docs
from assay.declaration import schema
from assay.norms import docs as norms_docs
from assay.norms import load_catalog
from assay.norms.catalog import referenced

ROOT = Path(__file__).resolve().parents[3]


def test_norms_doc_is_current() -> None:
    expected = norms_docs.render_markdown(load_catalog())
    assert (ROOT / "docs" / "norms.md").read_text(encoding="utf-8") == expected, (
        "run: python -m assay.norms.docs > docs/norms.md"
    )
    for req in load_catalog().requirements():
        assert f"### `{req.uid}` " in expected


def test_declaration_doc_is_current() -> None:
    expected = declaration_docs.render_markdown()
    assert (ROOT / "docs" / "declaration.md").read_text(encoding="utf-8") == expected, (
        "run: python -m assay.declaration.docs > docs/declaration.md"
    )


def test_every_declaration_field_the_norms_read_exists_in_the_schema() -> None:
    catalog = load_catalog()
    fields: set[str] = set()
    for kind in ("declared", "declared_true", "declared_false", "declared_any"):
        fields |= referenced(catalog, kind)
    fields |= referenced(catalog, "declared_future_date")
    for path in sorted(fields):
        node = schema()
        for part in path.split("."):
            assert part in (node.get("properties") or {}), f"{path} is not in the schema"
            node = node["properties"][part]
