"""Helpers the pages and the API share: URLs, the registry, labels (rendered and cached)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import Request

from assay.errors import UsageError
from assay.present.label import Label, language, render_png, render_svg
from assay.registry import ProductDetail, Registry
from assay.web.errors import ApiError
from assay.web.views import label_for

_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 256
_CASES_KEPT = 64  # assessments whose CRA case facts are kept (~0.3 MB each for the WR703N)


def registry(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


def base_url(request: Request) -> str:
    public: str = request.app.state.settings.public_url
    return (public or str(request.base_url)).rstrip("/")


def page_url(request: Request, slug: str) -> str:
    """The product page's public URL (what the QR code on the label points to)."""
    return f"{base_url(request)}/products/{slug}"


def product_and_label(request: Request, slug: str) -> tuple[ProductDetail, Label | None, bool]:
    """The product, its current label, and whether KEV was checked against today's feeds."""
    detail = registry(request).product(slug)
    label, checked = label_for(detail, page_url(request, slug), request.app.state.kev)
    return detail, label, checked


def need_label(request: Request, slug: str) -> Label:
    _detail, label, _checked = product_and_label(request, slug)
    if label is None:
        raise ApiError(404, f"product {slug!r} has no assessment yet", "upload one first")
    return label


def label_language(lang: str) -> str:
    """The ``?lang=`` of a label route as a catalogue name; 400 when there is none for it."""
    try:
        return language(lang)
    except UsageError as err:
        raise ApiError(400, err.message, err.hint) from None


def rendered(request: Request, label: Label, kind: str, lang: str = "en") -> Any:
    """The label's SVG text or PNG bytes in ``lang``, cached by everything that changes its
    pixels."""
    key = (kind, lang, repr(label))
    cache: dict[Any, Any] = request.app.state.label_cache
    with _CACHE_LOCK:
        if key in cache:
            return cache[key]
    svg = render_svg(label, lang)
    value: Any = svg if kind == "svg" else render_png(svg)
    with _CACHE_LOCK:
        if len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = value
    return value


def accountability_of(request: Request, detail: ProductDetail) -> dict[str, Any]:
    """Re-audit findings, ledger and CRA cases of a product (``web.accountability``)."""
    from assay.web.accountability import case_facts, for_product

    reg = registry(request)
    latest = detail.latest
    summary = latest.summary if latest else {}
    cache: dict[int, Any] = request.app.state.case_cache

    def load() -> dict[str, Any]:
        """What the CRA cases read of the whole document, kept per assessment (parsing the
        2 MB document of the WR703N took ~19 ms of its page)."""
        if latest is None:
            return {}
        with _CACHE_LOCK:
            held: dict[str, Any] | None = cache.get(latest.id)
        if held is None:
            held = case_facts(reg.document(latest.id))
            with _CACHE_LOCK:
                if len(cache) >= _CASES_KEPT:
                    cache.pop(next(iter(cache)))
                cache[latest.id] = held
        return held

    s = detail.summary
    return for_product(reg, request.app.state.kev, s.slug, s.manufacturer, summary, load)


def declared_length(request: Request, limit: int, what: str, hint: str) -> int:
    """The upload's Content-Length, refused before any byte is read when it is missing (411)
    or over ``limit`` (413, naming ``what`` the limit is of, and ``hint``)."""
    length = request.headers.get("content-length") or ""
    if not length.isdigit():
        raise ApiError(411, "the upload has no Content-Length", "send the file in one request")
    if int(length) > limit:
        raise ApiError(413, f"upload of {int(length)} bytes is over {what} of {limit}", hint)
    return int(length)
