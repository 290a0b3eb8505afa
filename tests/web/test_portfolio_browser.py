"""The portfolio search page in Debian's headless Chromium (Playwright) against a real ``assay
serve`` holding the real assessment of the bundled WR703N image: by component range and by
CVE, each answer checked against ``/api/v1/search`` and against what the image carries."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _search(page: Page, base: str, **fields: str) -> list[str]:
    page.goto(base + "/portfolio")
    for name, value in fields.items():
        page.fill(f"#portfolio-search input[name={name}]", value)
    page.click("#portfolio-search button")
    page.wait_for_load_state()
    cells = page.locator("#portfolio tbody tr td:nth-child(3)")
    return [text.strip() for text in cells.all_inner_texts()]


def test_portfolio_search_by_component_range_and_by_cve(
    page: Page, served_registry: tuple[str, str]
) -> None:
    base, slug = served_registry
    ARTIFACTS.mkdir(exist_ok=True)
    # the image ships dnsmasq 2.62-2: inside "< 2.78", outside "< 2.62"
    matched = _search(page, base, component="dnsmasq<2.78")
    assert matched == ["dnsmasq 2.62-2"]
    assert page.locator(f"#portfolio a[href='/products/{slug}']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "portfolio-component-range.png"), full_page=True)
    api = httpx.get(f"{base}/api/v1/search", params={"component": "dnsmasq<2.78"}).json()
    assert api["total"] == 1 and api["items"][0]["matched"] == matched
    assert _search(page, base, component="dnsmasq<2.62") == []
    assert "No firmware in the registry matches" in page.inner_text("main")

    # a known-exploited kernel CVE that applies to the image, then one that does not (ARM only)
    matched = _search(page, base, cve="CVE-2016-5195")
    assert len(matched) == 1 and "CVE-2016-5195" in matched[0], matched
    page.screenshot(path=str(ARTIFACTS / "portfolio-cve.png"), full_page=True)
    assert _search(page, base, cve="CVE-2013-6282") == []

    # a malformed range is one line on the page, not an error page
    page.goto(base + "/portfolio?component=dnsmasq<<2")
    assert page.locator("[role=alert]").count() == 1
