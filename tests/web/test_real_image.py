"""Scanning the real bundled image through the registry: the CLI, and a web upload that is
processed in the background while the server keeps answering."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assay.registry import Registry
from assay.web import Settings, create_app

pytestmark = pytest.mark.slow


def test_cli_scans_and_stores_the_image(
    wr703n_image: Path, declaration_path: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "assay",
            "registry",
            "add",
            str(wr703n_image),
            "--declaration",
            str(declaration_path),
            "--registry",
            url,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    slug = json.loads(done.stdout)["product_slug"]
    registry = Registry.open(url)
    detail = registry.product(slug)
    assert detail.summary.support_until == "2016-04-30"
    assert detail.latest is not None
    document = registry.assessment(detail.latest.id).document
    assert document["target"]["name"] == wr703n_image.name
    failed = {f["check"] for f in document["findings"] if f["verdict"] == "FAIL"}
    assert "credentials.empty-password" in failed and "services.telnet" in failed
    assert registry.verdict_counts(detail.latest.id)["en303645"]["FAIL"] >= 1
    # the ledger dates the release by the kernel's build (2013), not by its registration
    from datetime import date

    from assay.accountability.from_registry import registry_products

    (product,) = registry_products(registry, slug=slug)
    assert [r.released for r in product.releases] == [date(2013, 3, 23)]
    registry.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, Registry]]:
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.sqlite'}")
    with TestClient(create_app(Settings(max_pending=1), registry)) as test_client:
        yield test_client, registry
    registry.close()


def test_uploaded_image_is_scanned_without_blocking_the_server(
    client: tuple[TestClient, Registry], wr703n_image: Path, declaration_path: Path
) -> None:
    http, registry = client
    token = registry.create_token("Sample Router Works Ltd (fictitious)")
    response = http.post(
        "/api/v1/uploads",
        headers={"Authorization": f"Bearer {token}"},
        files={
            "firmware": (
                "<b>router</b>.bin",
                wr703n_image.read_bytes(),
                "application/octet-stream",
            ),
            "declaration": ("sample.yaml", declaration_path.read_bytes(), "application/yaml"),
        },
    )
    assert response.status_code == 202, response.text
    status_url = response.json()["status_url"]
    busy = http.post(
        "/api/v1/uploads",
        headers={"Authorization": f"Bearer {token}"},
        files={"firmware": ("again.bin", wr703n_image.read_bytes(), "application/octet-stream")},
    )
    assert busy.status_code == 503 and "1 uploads are already waiting" in busy.text
    slowest, running_seen = 0.0, False
    deadline = time.monotonic() + 600
    while True:
        start = time.monotonic()
        assert http.get("/").status_code == 200
        slowest = max(slowest, time.monotonic() - start)
        job = http.get(status_url).json()
        running_seen = running_seen or job["status"] == "running"
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert job["status"] == "done", job
    assert running_seen
    assert slowest < 2.0  # pages kept coming while the image was being scanned
    slug = job["result"]["product_slug"]
    page = http.get(f"/products/{slug}").text
    assert "2016-04-30" in page
    assert registry.product(slug).firmware[0].file_name == "<b>router</b>.bin"
    assert "&lt;b&gt;router&lt;/b&gt;.bin" in page and "<b>router" not in page
