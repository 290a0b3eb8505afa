"""Every page of the registry in Debian's headless Chromium: no horizontal scrolling on a
375 px phone, a dark theme when the system asks for one, axe-core with no serious or critical
violation, and the API documentation rendering with every request to other hosts blocked.

The pages are read from the app's own routes (every GET route answering HTML, and the label),
so a page added later is covered; a new path parameter needs a sample value in ``samples``.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE = {"width": 375, "height": 800}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
SEVERE = ("serious", "critical")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _flat(routes: list[Any]) -> Iterator[Any]:
    """Routes, looking inside included routers (FastAPI keeps them as wrappers)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            for inner_prefix, sub in _flat(list(inner.routes)):
                yield prefix + inner_prefix, sub
        else:
            yield "", route


def page_routes() -> list[tuple[str, list[str]]]:
    """(path template, required query parameters) of every HTML page and the label image."""
    from fastapi.responses import HTMLResponse
    from fastapi.routing import APIRoute

    from assay.registry import Registry
    from assay.web import Settings, create_app

    with tempfile.TemporaryDirectory() as folder:
        registry = Registry.open(f"sqlite:///{folder}/routes.sqlite")
        try:
            app = create_app(Settings(reaudit_interval=0), registry)
            found = []
            for prefix, route in _flat(list(app.routes)):
                if not isinstance(route, APIRoute) or "GET" not in route.methods:
                    continue
                path = prefix + route.path
                html = route.response_class is HTMLResponse
                if (html and not path.startswith("/docs")) or path.endswith("/label.svg"):
                    required = [
                        q.name for q in route.dependant.query_params if q.field_info.is_required()
                    ]
                    found.append((path, required))
            return found
        finally:
            registry.close()


def samples(base: str, slug: str) -> dict[str, str]:
    """A real value for each path or query parameter of the pages, from the served registry."""
    product = httpx.get(f"{base}/api/v1/products/{slug}", timeout=30).json()
    first = product["firmware"][0]
    ref = f"sha256:{first['sha256']}" if first["sha256"] else first["version"]
    return {
        "slug": slug,
        "name": product["manufacturer"],
        "assessment_id": str(first["assessments"][0]),
        "old": ref,
        "new": ref,
        "token": _self_assessment(base),
    }


SBOM = json.dumps(
    {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": [
            {
                "type": "library",
                "name": "busybox",
                "version": "1.19.4",
                "purl": "pkg:generic/busybox@1.19.4",
            }
        ],
    }
).encode()


def _self_assessment(base: str) -> str:
    """The private link of a finished self-assessment of a small SBOM, uploaded like a browser
    does (its pages need a token); "" when this registry has no self-assessment."""
    sent = httpx.post(
        f"{base}/self-assessment",
        files={"firmware": ("sbom.cdx.json", SBOM, "application/json")},
        follow_redirects=False,
        timeout=60,
    )
    if sent.status_code == 404:
        return ""
    assert sent.status_code == 303, sent.text
    token = sent.headers["location"].rsplit("/", 1)[-1]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        state = httpx.get(f"{base}/self-assessment/{token}/status.json", timeout=30).json()
        if state["status"] not in ("queued", "running"):
            assert state["status"] == "done", state
            return token
        time.sleep(1)
    pytest.fail("the self-assessment of a small SBOM did not finish in 300 s")


def urls(base: str, slug: str) -> list[str]:
    values = samples(base, slug)
    out = []
    for path, required in page_routes():
        missing = [n for n in [*PARAM.findall(path), *required] if n not in values]
        if missing:
            pytest.fail(f"{path}: no sample value for {missing}; add one to samples()")
        url = PARAM.sub(lambda m: values[m.group(1)], path)
        if required:
            url += "?" + urlencode({name: values[name] for name in required})
        out.append(url)
    # search results and the error pages are pages too
    out += ["/?q=WR703N", "/portfolio?component=dnsmasq%3C2.78", "/products/no-such-product"]
    out += ["/no/such/page"]
    return out


def _name(url: str) -> str:
    path, _, query = url.partition("?")
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:60] or "home"
    return name + ("-" + re.sub(r"[^a-z0-9]+", "-", query.lower())[:20] if query else "")


@pytest.fixture(scope="module")
def pages(served_registry: tuple[str, str]) -> list[str]:
    base, slug = served_registry
    found = urls(base, slug)
    paths = {urlsplit(u).path for u in found}
    for must in ("/", f"/products/{slug}", f"/products/{slug}/diff", f"/products/{slug}/label.svg"):
        assert must in paths, must
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_scrolls_sideways_on_a_phone(
    browser: Browser, served_registry: tuple[str, str], pages: list[str], scheme: str
) -> None:
    base, _slug = served_registry
    context = browser.new_context(viewport=PHONE, color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    wide = []
    try:
        for url in pages:
            page.goto(base + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide.append((url, width, _widest(page)))
            shot = ARTIFACTS / f"phone-{scheme}-{_name(url)}.png"
            try:  # the first screen: a full 375 px page of a long report is too big to take
                page.screenshot(path=str(shot), timeout=90_000, animations="disabled")
            except PlaywrightError as err:
                pytest.fail(f"{url}: no screenshot ({str(err).splitlines()[0]})")
    finally:
        context.close()
    assert not wide, wide


def _widest(page: Page) -> list[str]:
    """The elements reaching past the screen's right edge (to say what overflows)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
            .slice(0, 5)
            .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"""
    )
    return found


def test_dark_theme_follows_the_system(browser: Browser, served_registry: tuple[str, str]) -> None:
    base, slug = served_registry
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto(f"{base}/products/{slug}")
        colours[scheme] = page.evaluate(
            "() => [getComputedStyle(document.querySelector('main')).backgroundColor,"
            " getComputedStyle(document.body).color]"
        )
        if scheme == "dark":
            page.screenshot(path=str(ARTIFACTS / "product-page-dark.png"))
        context.close()
    assert colours["light"] == ["rgb(255, 255, 255)", "rgb(22, 24, 29)"]
    background, ink = colours["dark"]
    assert _luminance(background) < 0.2 and _luminance(ink) > 0.7


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation(
    browser: Browser, served_registry: tuple[str, str], pages: list[str], scheme: str
) -> None:
    """axe-core (the copy the axe-playwright-python package ships) on every page. The pages'
    policy forbids scripts not served by the site, so this one context bypasses it."""
    from axe_playwright_python.sync_playwright import Axe

    base, _slug = served_registry
    axe = Axe()
    found = []
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            color_scheme=scheme,  # type: ignore[arg-type]
            bypass_csp=True,
        )
        page = context.new_page()
        try:
            for url in [u for u in pages if not u.endswith(".svg")]:
                page.goto(base + url)
                results = axe.run(page)
                for violation in results.response["violations"]:
                    if violation["impact"] in SEVERE:
                        targets = [n["target"] for n in violation["nodes"]][:3]
                        found.append((url, viewport["width"], violation["id"], targets))
        finally:
            context.close()
    assert not found, found


def test_api_docs_render_with_other_hosts_blocked(
    browser: Browser, served_registry: tuple[str, str]
) -> None:
    base, _slug = served_registry
    local = urlsplit(base).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    try:
        page.goto(f"{base}/docs")
        title = page.locator(".swagger-ui .info .title")
        title.wait_for(timeout=20_000)
        assert "Assay product registry" in title.inner_text()
        operations = page.locator(".opblock")
        operations.first.wait_for(timeout=20_000)
        assert operations.count() >= 5  # the API's routes, read from /openapi.json
        page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))
        page.goto(f"{base}/redoc")
        heading = page.locator("h1", has_text="Assay product registry")
        heading.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "redoc-offline.png"))
    finally:
        context.close()
    assert blocked == []


def test_label_in_two_languages_in_chromium(
    browser: Browser, served_registry: tuple[str, str]
) -> None:
    """The label the product page offers in German and French, drawn by Chromium: its words
    in that language, the declared personal data, and who issued it."""
    base, slug = served_registry
    context = browser.new_context(viewport={"width": 400, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{base}/products/{slug}")
        links = page.locator("#label-languages a")
        assert links.all_inner_texts() == [
            "English",
            "Deutsch",
            "Français",
            "Español",
            "Italiano",
            "Nederlands",
        ]
        for lang, level, personal, issuer in (
            (
                "de",
                "Stufe 0 von 4",
                "Verarbeitete personenbezogene Daten:",
                "Ausgestellt von Assay",
            ),
            ("fr", "Niveau 0 sur 4", "Données personnelles traitées :", "Délivrée par Assay"),
        ):
            page.goto(f"{base}/products/{slug}/label.svg?lang={lang}")
            shown = page.locator("text").all_text_contents()
            assert level in shown and personal in shown, shown
            assert any(line.startswith(issuer) for line in shown), shown
            assert not any("Default passwords" in line for line in shown)
            page.screenshot(path=str(ARTIFACTS / f"label-{lang}.png"))
    finally:
        context.close()
