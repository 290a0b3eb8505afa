"""A hostile supplier SBOM through the API: markup in names stays text on the product page, a
hostile file name is reduced to a safe one, a bomb-sized upload is refused unread."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from assay.registry import Registry

MARKUP = '<img src=x onerror="alert(1)">'


def _document() -> dict[str, Any]:
    return {
        "schema_version": "1.0.0",
        "tool": {"name": "assay", "version": "0.1.0"},
        "created": "2026-11-20T10:00:00+00:00",
        "target": {"name": "fw.bin", "kind": "image", "sha256": "c" * 64, "size": 1},
        "identity": {"vendor": "Acme", "model": "AC-9", "os_name": "OpenWrt"},
        "components": [{"name": "busybox", "version": "1.19.4"}],
        "findings": [],
        "verdicts": [],
        "vulnerabilities": [],
        "problems": [],
        "facts": {},
    }


def test_markup_and_names_stay_inert(client: TestClient, registry: Registry) -> None:
    slug = registry.add(_document(), scanned=True).product_slug
    token = registry.create_token(registry.product(slug).summary.manufacturer)
    auth = {"Authorization": f"Bearer {token}"}
    items = [{"type": "library", "name": MARKUP, "version": "<b>1</b>"}]
    bom = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": items})
    name = "../../<script>alert(1)</script>.json"
    api = f"/api/v1/products/{slug}/supplier-sbom"
    made = client.post(api, files={"sbom": (name, bom.encode(), "application/json")}, headers=auth)
    assert made.status_code == 201, made.text
    assert "/" not in made.json()["file_name"] and "<" not in made.json()["file_name"]
    page = client.get(f"/products/{slug}").text
    assert MARKUP not in page and "&lt;img src=x" in page
    assert "<script>alert" not in page


def test_an_oversized_upload_is_refused_before_it_is_read(
    client: TestClient, registry: Registry
) -> None:
    slug = registry.add(_document(), scanned=True).product_slug
    token = registry.create_token(registry.product(slug).summary.manufacturer)
    headers = {"Authorization": f"Bearer {token}", "Content-Length": str(1 << 40)}
    refused = client.post(f"/api/v1/products/{slug}/supplier-sbom", headers=headers, content=b"")
    assert refused.status_code == 413
    assert client.get(f"/api/v1/products/{slug}/supplier-sbom").status_code == 404
