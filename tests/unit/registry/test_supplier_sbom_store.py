"""Supplier SBOMs stored with a product on SQLite and PostgreSQL: kept per firmware, the latest
shown, a refused one stores nothing (the bundled-image cases are in tests/unit/supply)."""

from __future__ import annotations

import json

import pytest
from registry_documents import make_document

from assay.errors import InputError
from assay.registry import NotFound, Registry


def _bom(*components: tuple[str, str]) -> bytes:
    items = [{"type": "library", "name": n, "version": v} for n, v in components]
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": items}
    return json.dumps(bom).encode()


def test_kept_per_firmware_and_the_latest_shown(registry: Registry) -> None:
    slug = registry.add(make_document(firmware="1.0", sha="a" * 64), scanned=True).product_slug
    registry.add(make_document(firmware="2.0", sha="b" * 64), scanned=True)
    old = registry.attach_supplier_sbom(slug, _bom(("busybox", "1.19.4")), "v1.cdx.json", "1.0")
    assert old["firmware"]["version"] == "1.0" and old["comparison"]["verdict"] == "FAITHFUL"
    assert registry.supplier_sbom(slug) is None  # the latest assessment is of firmware 2.0
    wrong = registry.attach_supplier_sbom(slug, _bom(("busybox", "1.36.1")), "v2.cdx.json")
    assert wrong["firmware"]["version"] == "2.0"
    assert wrong["comparison"]["counts"]["version"] == 1
    assert wrong["comparison"]["requirement"]["verdict"] == "FAIL"
    fixed = registry.attach_supplier_sbom(slug, _bom(("busybox", "1.19.4")), "v2b.cdx.json")
    shown = registry.supplier_sbom(slug)
    assert shown == fixed and shown is not None and shown["file_name"] == "v2b.cdx.json"
    assert registry.supplier_sbom(slug, "sha256:aaaa") == old


def test_refused_input_changes_nothing(registry: Registry) -> None:
    slug = registry.add(make_document(), scanned=True).product_slug
    with pytest.raises(InputError, match="format not recognised"):
        registry.attach_supplier_sbom(slug, b"\x00\x01binary", "blob.bin")
    with pytest.raises(NotFound):
        registry.attach_supplier_sbom(slug, _bom(("busybox", "1.19.4")), "x.json", "sha256:ff")
    assert registry.supplier_sbom(slug) is None
    assert [e.kind for e in registry.product(slug).history if e.kind == "supplier-sbom"] == []


def test_a_newer_assessment_of_the_firmware_is_compared_on_read(registry: Registry) -> None:
    slug = registry.add(make_document(), scanned=True).product_slug
    first = registry.attach_supplier_sbom(slug, _bom(("busybox", "1.19.4")), "s.cdx.json")
    assert first["comparison"]["verdict"] == "FAITHFUL"
    again = make_document()
    again["components"][0]["version"] = "1.19.5"  # the same image, read better this time
    newer = registry.add(again, scanned=True).assessment_id
    shown = registry.supplier_sbom(slug)
    assert shown is not None and shown["assessment_id"] == newer
    assert shown["comparison"]["counts"]["version"] == 1
    assert registry.supplier_sbom(slug) == shown  # kept: the second read recompares nothing
