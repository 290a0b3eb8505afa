"""Server-rendered pages: home with search, product page (second layer), developer report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from assay.present.label import LANGUAGES, words
from assay.web.common import (
    accountability_of,
    label_language,
    need_label,
    product_and_label,
    registry,
    rendered,
)
from assay.web.headers import SVG_POLICY, report_policy
from assay.web.supplier import supplier_view
from assay.web.views import PLAIN, days_left, disclosure, norms_view

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    reg = registry(request)
    products = reg.products(q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = reg.count_products(q)
    return _page(
        request,
        "home.html",
        {
            "q": q,
            "products": products,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "today": datetime.now(UTC).date().isoformat(),
        },
    )


@router.get("/products/{slug}", response_class=HTMLResponse)
def product(request: Request, slug: str) -> Response:
    detail, label, feeds_checked = product_and_label(request, slug)
    document = detail.latest.summary if detail.latest else {}
    declaration = detail.declaration or (document.get("declaration") if document else None)
    return _page(
        request,
        "product.html",
        {
            "p": detail.summary,
            "detail": detail,
            "label": label,
            "feeds_checked": feeds_checked,
            "days_left": days_left(label) if label else None,
            "norms": norms_view(document),
            "plain": PLAIN,
            "disclosure": disclosure(declaration if isinstance(declaration, dict) else None),
            "label_languages": [(code, words(code)("language")) for code in LANGUAGES],
            "supplier": supplier_view(registry(request), slug),
            **_accountability(request, detail),
        },
    )


def _accountability(request: Request, detail: Any) -> dict[str, Any]:
    from assay.web.accountability import component_counts, new_by_vulnerability

    acc = accountability_of(request, detail)
    found = acc["findings"]
    return {
        "acc": acc,
        "new": new_by_vulnerability(found),
        "new_counts": component_counts(found, "new"),
        "open_count": len({f["vulnerability"] for f in found if f["state"] == "open"}),
    }


@router.get("/products/{slug}/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    slug: str,
    old: Annotated[str, Query(min_length=1, max_length=200)],
    new: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    """What changed between two registered firmware of the product (``assay diff``)."""
    from assay.accountability.registered import diff_registered

    found = diff_registered(registry(request), f"{slug}@{old}", f"{slug}@{new}")
    context = {"slug": slug, "old": old, "new": new, "d": found.to_dict()}
    return _page(request, "diff.html", context)


@router.get("/manufacturers/{name:path}", response_class=HTMLResponse)
def manufacturer(request: Request, name: str) -> Response:
    """Promises and deeds of every product of one manufacturer (its ledger)."""
    from assay.web.accountability import manufacturer_view

    data = manufacturer_view(registry(request), request.app.state.kev, name)
    return _page(request, "manufacturer.html", {"m": data})


Lang = Annotated[str, Query(max_length=20, description="Language of the label's words")]


@router.get("/products/{slug}/label.svg")
def label_svg(request: Request, slug: str, lang: Lang = "en") -> Response:
    svg = rendered(request, need_label(request, slug), "svg", label_language(lang))
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": SVG_POLICY},
    )


@router.get("/products/{slug}/label.png")
def label_png(request: Request, slug: str, lang: Lang = "en") -> Response:
    png = rendered(request, need_label(request, slug), "png", label_language(lang))
    return Response(png, media_type="image/png")


@router.get("/products/{slug}/label.json")
def label_json(request: Request, slug: str, lang: Lang = "en") -> Response:
    return JSONResponse(need_label(request, slug).to_dict(label_language(lang)))


@router.get("/assessments/{assessment_id}", response_class=HTMLResponse)
def assessment(request: Request, assessment_id: int) -> Response:
    record = registry(request).assessment(assessment_id)
    report = _report_html(record.document)
    if report is not None:
        return HTMLResponse(report, headers={"Content-Security-Policy": report_policy(report)})
    document = record.document
    return _page(
        request,
        "assessment.html",
        {
            "a": record,
            "doc": document,
            "norms": norms_view(document),
            "findings": [f for f in document.get("findings") or [] if isinstance(f, dict)],
            "vulns": [v for v in document.get("vulnerabilities") or [] if isinstance(v, dict)],
            "components": [c for c in document.get("components") or [] if isinstance(c, dict)],
            "problems": [p for p in document.get("problems") or [] if isinstance(p, dict)],
        },
    )


@router.get("/assessments/{assessment_id}/assessment.json")
def assessment_json(request: Request, assessment_id: int) -> Response:
    return JSONResponse(registry(request).assessment(assessment_id).document)


def _report_html(document: dict[str, Any]) -> str | None:
    """The developer report (``assay.present.report.render_html``) of a stored document; None
    when it cannot be rendered (the plain page is shown instead)."""
    try:
        from assay.present.report import render_html
        from assay.web.revive import assessment_from_dict

        html = render_html(assessment_from_dict(document))
    except Exception:  # an old or damaged document falls back to the plain page
        return None
    return html if isinstance(html, str) else None
