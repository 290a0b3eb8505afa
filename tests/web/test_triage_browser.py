"""The triage pages in Debian's headless Chromium (Playwright) against a real ``assay serve``
holding the real assessment of the bundled WR703N image: component search and sort, SBOM
download, findings sorted, filtered and paged on the server, and no horizontal scroll at 375 px.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _column(page: Page, table: str, index: int) -> list[str]:
    cells = page.locator(f"#{table} tbody tr td:nth-child({index})")
    return [t.strip() for t in cells.all_inner_texts()]


def _number(text: str) -> float | None:
    word = text.split()[0].rstrip("%") if text.strip() else ""
    return None if word in ("", "—") else float(word)


def test_inventory_search_sort_and_download(page: Page, served_registry: tuple[str, str]) -> None:
    base, slug = served_registry
    page.goto(f"{base}/products/{slug}")
    page.fill("#component-search input[name=q]", "dnsmasq")
    page.click("#component-search button")
    page.wait_for_url("**/inventory?q=dnsmasq")
    names = _column(page, "inventory", 1)
    assert names and all("dnsmasq" in n.lower() for n in names)
    assert "match" in page.locator("#inventory-count").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inventory-search.png"), full_page=True)

    page.goto(f"{base}/products/{slug}/inventory")
    every = page.locator("#inventory-count").inner_text()
    page.click('th a[data-sort="vulnerabilities"]')  # most vulnerable first
    page.wait_for_url("**sort=-vulnerabilities**")
    counts = [int(t.split()[0]) for t in _column(page, "inventory", 6)]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    assert page.locator('th[aria-sort="descending"]').inner_text() == "Vulnerabilities"
    page.click('th a[data-sort="name"]')
    page.wait_for_url("**sort=name**")
    shown = [n.split("\n")[0].lower() for n in _column(page, "inventory", 1)]
    assert shown == sorted(shown)
    assert every.split()[0] == page.locator("#inventory-count").inner_text().split()[0]
    page.screenshot(path=str(ARTIFACTS / "inventory.png"), full_page=True)

    href = page.locator("#downloads a", has_text="CycloneDX 1.6 JSON").get_attribute("href")
    assert href
    bom = json.loads(httpx.get(base + href, timeout=60).text)
    assert bom["bomFormat"] == "CycloneDX"
    assert "dnsmasq" in {c["name"] for c in bom["components"]}


def test_findings_sort_filter_and_pages(page: Page, served_registry: tuple[str, str]) -> None:
    base, slug = served_registry
    page.goto(f"{base}/products/{slug}")
    page.click("#findings-link")
    page.wait_for_url(f"**/products/{slug}/findings")
    total = int(page.locator("#findings-count").inner_text().split()[0])
    api = httpx.get(
        f"{base}/api/v1/products/{slug}/findings", params={"group": "vulnerability"}, timeout=60
    ).json()
    assert total == api["total"] > 50  # more than one page
    # sorted by CVSS, highest first, on the server
    page.click('th a[data-sort="cvss"]')
    page.wait_for_url("**sort=-cvss**")
    scores = [_number(t) for t in _column(page, "findings", 3)]
    known = [s for s in scores if s is not None]
    assert known == sorted(known, reverse=True) and len(scores) == 50

    # the next page continues where the first ended
    first_ids = _column(page, "findings", 1)
    page.click("a[rel=next]")
    page.wait_for_url("**page=2**")
    second_ids = _column(page, "findings", 1)
    assert second_ids and not set(first_ids) & set(second_ids)
    more = [_number(t) for t in _column(page, "findings", 3)]
    assert (more[0] or 0) <= (known[-1] if known else 0)
    assert "page 2 of" in page.locator("nav.pager").inner_text()
    page.screenshot(path=str(ARTIFACTS / "findings-page-2.png"), full_page=True)

    # filtered: high severity only, still sorted, back on page 1
    page.select_option("#filter-severity", "high")
    page.click("#findings-filter button")
    page.wait_for_url("**severity=high**")
    assert "page=" not in page.url and "sort=-cvss" in page.url
    severities = set(_column(page, "findings", 2))
    assert severities == {"high"}
    high = api["by_status"]  # (the counts per status are of every row, filters or not)
    assert high
    shown = int(page.locator("#findings-count").inner_text().split()[0])
    wanted = httpx.get(
        f"{base}/api/v1/products/{slug}/findings",
        params={"group": "vulnerability", "severity": "high", "limit": 1},
        timeout=60,
    ).json()["total"]
    assert shown == wanted > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "findings-filtered.png"), full_page=True)

    # status chips filter too; known exploited only
    page.goto(f"{base}/products/{slug}/findings?kev=yes")
    kev = _column(page, "findings", 5)
    assert kev and set(kev) == {"yes"}


def test_triage_pages_fit_a_phone(browser: Any, served_registry: tuple[str, str]) -> None:
    base, slug = served_registry
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        phone = context.new_page()
        for path, name in (
            (f"/products/{slug}/inventory", "inventory-375.png"),
            (f"/products/{slug}/findings", "findings-375.png"),
        ):
            phone.goto(base + path)
            width = phone.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide"
            phone.screenshot(path=str(ARTIFACTS / name))
    finally:
        context.close()
