"""HEAD on GET routes, the API documentation from local files, and the "since" diff link of
firmware registered from a folder (no image hash), on the real assessment of the bundled image."""

from __future__ import annotations

import copy
import html
import re
from typing import Any

from fastapi.testclient import TestClient

from assay.registry import Registry


def test_head_is_answered_like_get(registry: Registry, wr703n_assessment: dict[str, Any]) -> None:
    from assay.web import Settings, create_app

    stored = registry.add(wr703n_assessment, scanned=True)
    slug = stored.product_slug
    # no background re-audit here: it could change a page between the GET and the HEAD (it
    # did, twice, in a loaded CI run), and HEAD, not the re-audit, is what this test is about
    with TestClient(create_app(Settings(reaudit_interval=0), registry)) as client:
        _head_like_get(client, slug, stored.assessment_id)


def _head_like_get(client: TestClient, slug: str, assessment_id: int) -> None:
    for path in (
        "/",
        f"/products/{slug}",
        f"/products/{slug}/label.svg",
        f"/products/{slug}/label.png?lang=de",
        f"/assessments/{assessment_id}",
        "/api/v1/products",
        f"/api/v1/products/{slug}/label",
        "/openapi.json",
        "/docs",
        "/redoc",
        "/static/style.css",
        "/docs-assets/swagger-ui-bundle.js",
        "/products/no-such-product",
    ):
        got, head, again = client.get(path), client.head(path), client.get(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert len(got.content) == len(again.content), path  # nothing changes it meanwhile
        assert head.headers["content-length"] == str(len(got.content)), path
        assert head.headers["x-content-type-options"] == "nosniff", path
    assert client.head("/api/v1/uploads").status_code == 405  # POST only: still refused


def test_api_docs_use_local_files_only(client: TestClient) -> None:
    for path, assets in (
        ("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")),
        ("/redoc", ("redoc.standalone.js",)),
    ):
        page = client.get(path)
        assert page.status_code == 200
        links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert links and all(link.startswith("/") for link in links), links
        for asset in assets:
            served = client.get(f"/docs-assets/{asset}")
            assert served.status_code == 200 and len(served.content) > 10_000, asset
        policy = page.headers["content-security-policy"]
        assert "http" not in policy and "script-src 'self'" in policy, policy
    assert "fonts.googleapis" not in client.get("/redoc").text


def test_since_link_works_for_firmware_registered_from_a_folder(
    client: TestClient, registry: Registry, wr703n_assessment: dict[str, Any]
) -> None:
    versions = ("OpenWrt 12.09 r36088", "OpenWrt 12.09 r40000")
    for version in versions:
        folder = copy.deepcopy(wr703n_assessment)
        folder["target"] = {"name": "rootfs", "kind": "directory", "sha256": "", "size": 0}
        folder["declaration"]["product"]["firmware_version"] = version
        slug = registry.add(folder, scanned=True).product_slug
    page = client.get(f"/products/{slug}").text
    links = re.findall(r'<a class="diff" href="([^"]+)">since ([^<]+)</a>', page)
    assert [text for _href, text in links] == [versions[0]]
    diff = client.get(html.unescape(links[0][0]))
    assert diff.status_code == 200, diff.text
    assert versions[0] in diff.text and versions[1] in diff.text
