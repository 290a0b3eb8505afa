"""Hostile archives uploaded through ``POST /api/v1/uploads``: whatever the job's outcome, the
canary outside the server's work directories stays untouched and nothing of a host file
reaches the registry."""

from __future__ import annotations

import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assay.extract.safe_tar import MAX_HEADER_DATA
from assay.registry import Registry
from hostile_archives import (
    SECRET,
    assert_untouched,
    hard_link_read,
    hard_link_write,
    make_canary,
    symlink_then_file,
)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "registry.sqlite"


MAKER = "Sample Router Works Ltd (fictitious)"  # the manufacturer of the sample declaration


def upload_and_wait(
    client: TestClient, token: str, name: str, data: bytes, declaration: Path
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/uploads",
        files={
            "firmware": (name, data, "application/octet-stream"),
            "declaration": (declaration.name, declaration.read_bytes(), "application/yaml"),
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202, response.text
    status_url = response.json()["status_url"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(status_url).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("upload job did not finish")


@pytest.mark.parametrize(
    "build", [symlink_then_file, hard_link_write, hard_link_read], ids=lambda f: f.__name__
)
def test_hostile_tar_uploads_stay_contained(
    client: TestClient,
    registry: Registry,
    database: Path,
    tmp_path: Path,
    declaration_path: Path,
    build: Callable[[Path], bytes],
) -> None:
    canary = make_canary(tmp_path / "host")
    token = registry.create_token(MAKER)
    job = upload_and_wait(client, token, "rootfs.tar", build(canary), declaration_path)
    assert_untouched(canary)
    assert job["status"] == "done", job
    stored = client.get(f"/api/v1/products/{job['result']['product_slug']}")
    assert stored.status_code == 200
    assert SECRET not in stored.text
    assert SECRET.encode() not in database.read_bytes()


def test_an_oversized_tar_header_upload_fails_in_one_line(
    client: TestClient, registry: Registry, tmp_path: Path, declaration_path: Path
) -> None:
    """A pax header claiming more than the bound is refused before it is read (a large one
    would otherwise be read whole into the worker's memory)."""
    canary = make_canary(tmp_path / "host")
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = MAX_HEADER_DATA + 1
    data = header.tobuf(format=tarfile.USTAR_FORMAT) + bytes(MAX_HEADER_DATA + 512 + 1024)
    token = registry.create_token(MAKER)
    job = upload_and_wait(client, token, "pax.tar", data, declaration_path)
    assert_untouched(canary)
    assert job["status"] == "failed"
    assert "header data claims" in job["error"]["message"]
    assert "\n" not in job["error"]["message"] and "Traceback" not in job["error"]["message"]
    assert registry.count_products() == 0
