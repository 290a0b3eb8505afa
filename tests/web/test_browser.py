"""Playwright driving Debian's headless Chromium against a real ``assay serve`` on 127.0.0.1."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_search_finds_the_demo_product_and_its_label(
    page: Page, served_registry: tuple[str, str]
) -> None:
    base, slug = served_registry
    page.goto(base + "/")
    page.fill("#q", "WR703N")
    page.press("#q", "Enter")
    page.wait_for_url("**/?q=WR703N")
    link = page.locator(f'table.products a[href="/products/{slug}"]')
    assert link.count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"))
    link.click()
    page.wait_for_url(f"**/products/{slug}")
    label = httpx.get(f"{base}/api/v1/products/{slug}/label").json()

    # the support end date from the declaration (2016-04-30: long past, so EXPIRED)
    assert page.locator("#support-until").inner_text() == "2016-04-30"
    assert "EXPIRED" in page.locator("#support").inner_text()
    assert page.locator("#level").inner_text() == f"Level {label['level']['value']} of 4"
    kev = label["facts"]["known_exploited_unfixed"]["count"]
    assert page.locator("#kev").inner_text().split()[0] == str(kev)
    # the label image is there and rendered
    width = page.locator("#label-image").evaluate("img => img.complete && img.naturalWidth")
    assert width and width > 100

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "product-page.png"), full_page=True)
    page.locator("#label-image").screenshot(path=str(ARTIFACTS / "label-in-page.png"))

    # the QR code in label.png decodes to this very page's URL
    png = httpx.get(f"{base}/products/{slug}/label.png")
    assert png.status_code == 200
    (ARTIFACTS / "label.png").write_bytes(png.content)
    codes = zxingcpp.read_barcodes(Image.open(BytesIO(png.content)))
    assert [c.text for c in codes] == [page.url]


def test_unknown_product_page(page: Page, served_registry: tuple[str, str]) -> None:
    base, _slug = served_registry
    response = page.goto(base + "/products/no-such-product")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
