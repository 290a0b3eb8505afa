"""What changed between two registered firmware: the API, the page, and the link to it from the
product page followed in Debian's headless Chromium (real WR703N package list, real NVD)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "unit" / "vex"))
sys.path.insert(0, str(HERE.parent / "unit" / "accountability"))
from reaudit_world import T0, World, split_feeds  # noqa: E402

from assay.accountability.reaudit import reaudit  # noqa: E402
from assay.extract.rootfs import RootFS  # noqa: E402
from assay.web import Settings, create_app  # noqa: E402

SLUG = "tp-link-tl-wr703n-v1"
OLD, NEW = "OpenWrt 12.09 r36088", "OpenWrt 12.09 r40000"


@pytest.fixture
def world(tmp_path: Path, wr703n_rootfs: RootFS, shared_data: Path) -> World:
    early, _late = split_feeds(shared_data, tmp_path)
    w = World(tmp_path, wr703n_rootfs, early)
    doc = w.scan()
    w.registry.add(doc)
    newer = w.with_dropbear("2020.80-1")
    w.registry.add(w.scan(build="r40000", comps=newer))
    reaudit(w.registry, w.store, now=T0)
    return w


def _dropbear(world: World) -> set[str]:
    doc = world.registry.assessment(1).document
    return {v["id"] for v in doc["vulnerabilities"] if "dropbear" in v["component"]}


def test_diff_api_and_page(world: World) -> None:
    settings = Settings(vuln_store=Path(str(world.store.location)), reaudit_interval=0)
    with TestClient(create_app(settings, world.registry)) as client:
        url = f"/api/v1/products/{SLUG}/diff"
        got = client.get(url, params={"old": OLD, "new": NEW})
        assert got.status_code == 200, got.text
        data: dict[str, Any] = got.json()
        fixed = {v["id"] for v in data["vulnerabilities"] if v["change"] == "fixed"}
        assert fixed == _dropbear(world) and data["summary"]["upgraded"] == 1
        missing = client.get(url, params={"old": "9.9", "new": NEW})
        assert missing.status_code == 404
        assert "has no registered firmware '9.9'" in missing.json()["error"]["message"]
        assert client.get(url, params={"old": OLD}).status_code == 422
        page = client.get(f"/products/{SLUG}/diff", params={"old": OLD, "new": NEW})
        assert page.status_code == 200 and "CVE-2012-0920" in page.text
        assert (
            client.get(f"/products/{SLUG}/diff", params={"old": "x", "new": NEW}).status_code == 404
        )


@pytest.mark.browser
@pytest.mark.slow
def test_product_page_links_to_what_changed(
    world: World, page: Any, serve: Any, tmp_path: Path
) -> None:
    env = {**os.environ, "ASSAY_HOME": str(tmp_path / "home")}
    env["ASSAY_REGISTRY_URL"] = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    with serve(env, "--reaudit-interval", "0") as base:
        page.goto(f"{base}/products/{SLUG}")
        link = page.locator("a.diff")
        assert link.count() == 1 and link.inner_text() == f"since {OLD}"
        link.click()
        page.wait_for_url("**/diff?**")
        assert page.locator("h1").inner_text() == f"What changed from {OLD} to {NEW}"
        summary = page.locator("#diff-summary").inner_text()
        fixed = len(_dropbear(world))
        word = "vulnerability" if fixed == 1 else "vulnerabilities"
        assert summary.startswith(f"{fixed} {word} fixed, 0 introduced")
        rows = page.locator("#diff-vulns tbody tr").all_inner_texts()
        assert any("CVE-2012-0920" in r and "fixed" in r for r in rows)
        components = page.locator("#diff-components tbody tr").all_inner_texts()
        assert len(components) == 1 and "dropbear" in components[0] and "upgraded" in components[0]
        artifacts = HERE.parent / "artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / "firmware-diff.png"), full_page=True)
        json_link = page.locator("a", has_text="This diff as JSON").get_attribute("href")
        assert json_link is not None and json_link.startswith(f"/api/v1/products/{SLUG}/diff?")
        data = httpx.get(base + json_link, timeout=10).json()  # the page's own diff, as JSON
        assert (data["old"], data["new"], data["summary"]["fixed"]) == (OLD, NEW, fixed)


def test_product_csaf_from_the_api(world: World) -> None:
    from assay.present.vex import csaf_problems, import_vex
    from assay.present.vex.schemas import csaf_validator, schema_errors

    settings = Settings(vuln_store=Path(str(world.store.location)), reaudit_interval=0)
    with TestClient(create_app(settings, world.registry)) as client:
        got = client.get(f"/api/v1/products/{SLUG}/csaf")
        assert got.status_code == 200, got.text
        doc = got.json()
        assert schema_errors(csaf_validator(), doc) == [] and csaf_problems(doc) == []
        assert doc["document"]["publisher"]["namespace"] == "http://testserver"
        fixed = {s.vulnerability for s in import_vex(doc) if s.status == "fixed"}
        assert fixed == _dropbear(world)
        advisory = client.get(
            f"/api/v1/products/{SLUG}/csaf", params={"profile": "csaf_security_advisory"}
        )
        assert advisory.json()["document"]["category"] == "csaf_security_advisory"
        assert client.get(f"/api/v1/products/{SLUG}/csaf?profile=x").status_code == 422
        assert client.get("/api/v1/products/nope/csaf").status_code == 404
