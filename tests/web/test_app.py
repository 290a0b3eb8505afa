"""The web app in-process (Starlette's test client) on a SQLite registry holding the real
assessment of the bundled OpenWrt image plus crafted hostile and upload cases."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assay.present.report import render_html
from assay.registry import Registry
from assay.web.revive import assessment_from_dict

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def real_slug(registry: Registry, wr703n_assessment: dict[str, Any]) -> str:
    return registry.add(wr703n_assessment, scanned=True).product_slug  # made by assess()


def assert_error(response: Any, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "hint"}
    assert body["error"]["status"] == status
    assert text in body["error"]["message"]


def test_home_search_and_product_page_on_the_real_image(client: TestClient, real_slug: str) -> None:
    found = client.get("/", params={"q": "TL-WR703N"})
    assert found.status_code == 200
    assert f'href="/products/{real_slug}"' in found.text
    assert "1 product matches" in found.text and "2016-04-30 (expired)" in found.text
    assert 'href="/self-assessment"' in found.text  # every page offers the free self-check
    assert client.get("/self-assessment").status_code == 200
    assert f"/products/{real_slug}" not in client.get("/", params={"q": "no-such-thing"}).text
    page = client.get(f"/products/{real_slug}")
    assert page.status_code == 200
    text = page.text
    # the sample declaration's support end date (2016-04-30) is long past: EXPIRED
    assert 'id="support-until">2016-04-30<' in text and "EXPIRED" in text
    assert '<dd id="level">Level 0 of 4</dd>' in text
    assert "Has a default or empty password." in text and "No default passwords" not in text
    assert "MAC addresses and host names of connected clients" in text  # declared personal data
    assert "Issued by Assay from the manufacturer&#39;s declaration" in text
    assert "en303645" in text and "not met" in text  # verdicts per norm in plain words
    assert "mailto:security@sample-router-works.example" in text
    assert "OpenWrt 12.09 r36088" in text  # firmware history
    label = client.get(f"/api/v1/products/{real_slug}/label").json()
    assert label["status"] == "EXPIRED"
    assert label["facts"]["no_default_passwords"]["value"] is False  # root has no password
    kev = label["facts"]["known_exploited_unfixed"]["count"]
    tone = "bad" if kev else "good"
    assert f'<dd class="tone-{tone}" id="kev"><span class="count">{kev}</span>' in text


def test_label_images_and_developer_report(client: TestClient, real_slug: str) -> None:
    svg = client.get(f"/products/{real_slug}/label.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert "EXPIRED" in svg.text
    png = client.get(f"/products/{real_slug}/label.png")
    assert png.content[:4] == b"\x89PNG"
    assessment_id = client.get(f"/api/v1/products/{real_slug}").json()["latest_assessment"]["id"]
    report = client.get(f"/assessments/{assessment_id}")
    assert report.status_code == 200
    # the report engineer's report.html, rendered from the stored document
    document = client.get(f"/assessments/{assessment_id}/assessment.json").json()
    assert report.text == render_html(assessment_from_dict(document))
    assert "script-src 'none'" in report.headers["content-security-policy"]
    raw = client.get(f"/assessments/{assessment_id}/assessment.json").json()
    assert raw["target"]["name"].endswith(".bin")


def test_json_api_and_openapi(client: TestClient, real_slug: str) -> None:
    listing = client.get("/api/v1/products", params={"q": "wr703n"}).json()
    assert listing["total"] == 1 and listing["items"][0]["slug"] == real_slug
    firmware = client.get(f"/api/v1/products/{real_slug}/firmware").json()["items"]
    assert firmware[0]["version"] == "OpenWrt 12.09 r36088"
    full = client.get(f"/api/v1/assessments/{firmware[0]['assessments'][0]}").json()
    assert full["document"]["verdicts"]
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/products",
        "/api/v1/products/{slug}",
        "/api/v1/products/{slug}/firmware",
        "/api/v1/products/{slug}/label",
        "/api/v1/assessments/{assessment_id}",
        "/api/v1/uploads",
    ):
        assert path in paths
    assert "multipart/form-data" in paths["/api/v1/uploads"]["post"]["requestBody"]["content"]


def test_errors_have_one_shape(client: TestClient) -> None:
    assert_error(client.get("/api/v1/products/nope"), 404, "no product 'nope'")
    assert_error(client.get("/api/v1/assessments/12345"), 404, "no assessment 12345")
    assert_error(client.get("/api/v1/assessments/abc"), 422, "assessment_id")
    assert_error(client.get("/api/v1/products", params={"limit": 0}), 422, "limit")
    assert_error(client.get("/api/v1/nothing"), 404, "nothing at /api/v1/nothing")
    page = client.get("/products/nope")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


def hostile_document(make: str = "Acme") -> dict[str, Any]:
    return {
        "schema_version": "1.0.0",
        "created": "2026-11-20T10:00:00+00:00",
        "target": {"name": f"{HOSTILE}.bin", "kind": "image", "sha256": "c" * 64, "size": 1},
        "identity": {"os_name": "OpenWrt"},
        "components": [{"name": HOSTILE, "version": "1"}],
        "vulnerabilities": [],
        "findings": [
            {
                "check": "services.telnet",
                "verdict": "FAIL",
                "severity": "high",
                "title": f"Banner {HOSTILE}",
                "summary": HOSTILE,
                "evidence": [
                    {
                        "path": f"/etc/{HOSTILE}",
                        "line": 1,
                        "excerpt": f"Welcome {HOSTILE}<img src=x onerror=alert(2)>",
                    }
                ],
            }
        ],
        "verdicts": [
            {
                "norm": "en303645",
                "requirement": "5.1-1",
                "verdict": "FAIL",
                "title": HOSTILE,
                "reason": HOSTILE,
            }
        ],
        "declaration": {  # hostile, yet valid by the schema (stored declarations are)
            "schema_version": "1",
            "manufacturer": {"name": make, "contact": "mailto:info@acme.example"},
            "product": {"name": f"Cam {HOSTILE}", "model": "C-1"},
            "vulnerability_disclosure": {
                "contact": [f"mailto:psirt@acme.example?subject={HOSTILE}"],
                "policy_url": f"https://acme.example/{HOSTILE}",
            },
        },
        "problems": [],
    }


def test_strings_from_images_are_escaped_everywhere(client: TestClient, registry: Registry) -> None:
    stored = registry.add(hostile_document())
    pages = [
        client.get("/", params={"q": "cam"}).text,
        client.get(f"/products/{stored.product_slug}").text,
        client.get(f"/assessments/{stored.assessment_id}").text,
        client.get(f"/products/{stored.product_slug}/label.svg").text,
        client.get(f"/products/{stored.product_slug}/inventory").text,
        client.get(f"/products/{stored.product_slug}/findings").text,
        client.get(f"/products/{stored.product_slug}/findings", params={"group": "firmware"}).text,
    ]
    for text in pages:
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert 'href="javascript:' not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.bin" in pages[2]  # the file name
    assert "Welcome &lt;script&gt;" in pages[2]  # the banner


def upload(client: TestClient, token: str | None, files: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/uploads", files=files, headers=headers)


def wait_for(client: TestClient, status_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(status_url).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("upload job did not finish")


def test_upload_needs_a_token_of_the_right_manufacturer(
    client: TestClient,
    registry: Registry,
    wr703n_assessment: dict[str, Any],
    declaration_path: Path,
) -> None:
    document = json.dumps(wr703n_assessment).encode()
    files = {
        "firmware": ("assessment.json", document, "application/json"),
        "declaration": ("d.yaml", declaration_path.read_bytes(), "application/yaml"),
    }
    assert_error(upload(client, None, files), 401, "needs an API token")
    assert_error(upload(client, "assay_wrong", files), 401, "unknown or revoked")
    other = registry.create_token("Globex")
    assert_error(upload(client, other, files), 403, "belongs to 'Globex'")
    assert registry.count_products() == 0
    own = registry.create_token("Sample Router Works Ltd (fictitious)")
    accepted = upload(client, own, files)
    assert accepted.status_code == 202, accepted.text
    job = wait_for(client, accepted.json()["status_url"])
    assert job["status"] == "done", job
    assert registry.products("wr703n")[0].slug == job["result"]["product_slug"]
    # the other manufacturer still cannot add firmware to it
    assert_error(upload(client, other, files), 403, "belongs to 'Globex'")
    assert len(registry.product(job["result"]["product_slug"]).firmware[0].assessments) == 1


def test_broken_uploads_get_one_clear_error_and_store_nothing(
    client: TestClient, registry: Registry
) -> None:
    token = registry.create_token("Acme")
    good = json.dumps(hostile_document()).encode()
    cases = [
        ({"firmware": ("a.json", b"{broken", "application/json")}, 400, "not a JSON assessment"),
        ({"firmware": ("a.json", b'{"x": 1}', "application/json")}, 400, "not an Assay assessment"),
        ({"firmware": ("a.bin", b"", "application/octet-stream")}, 400, "the file is empty"),
        (
            {
                "firmware": ("a.json", good, "application/json"),
                "declaration": ("d.yaml", b"manufacturer: [unclosed", "text/yaml"),
            },
            400,
            "not valid YAML",
        ),
        (
            {
                "firmware": ("a.json", good, "application/json"),
                "declaration": ("d.yaml", b"- a list", "text/yaml"),
            },
            400,
            "must be a mapping",
        ),
        (
            {
                "firmware": ("a.json", good, "application/json"),
                "declaration": (
                    "d.yaml",
                    b"schema_version: '1'\nmanufacturer: {name: Acme}\n",
                    "text/yaml",
                ),
            },
            400,
            "declaration d.yaml",
        ),
        ({"declaration": ("d.yaml", b"a: 1", "text/yaml")}, 400, "no 'firmware' file"),
        (
            {"firmware": ("big.bin", b"\0" * (5 * 1024 * 1024), "application/octet-stream")},
            413,
            "over the limit",
        ),
    ]
    for files, status, message in cases:
        assert_error(upload(client, token, files), status, message)
    assert registry.count_products() == 0


def test_an_image_upload_is_processed_in_the_background(
    client: TestClient, registry: Registry
) -> None:
    token = registry.create_token("Acme")
    response = upload(
        client, token, {"firmware": ("fw.bin", b"not really an image", "application/octet-stream")}
    )
    assert response.status_code == 202
    job = wait_for(client, response.json()["status_url"])
    assert job["status"] == "failed"  # not a firmware image (or no scanner yet): one clear error
    assert set(job["error"]) == {"status", "code", "message", "hint"}
    assert registry.count_products() == 0


def test_stored_documents_revive_exactly(wr703n_assessment: dict[str, Any]) -> None:
    assert assessment_from_dict(wr703n_assessment).to_dict() == wr703n_assessment
    assert assessment_from_dict({}).to_dict()["findings"] == []
