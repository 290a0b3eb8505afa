"""The triage pages (component inventory, findings) and the downloads of a stored assessment:
SBOMs (CycloneDX, SPDX, written by ``assay.present.formats``), the raw assessment, the report.

Sorting, filtering and paging happen on the server (``web.lists``); every header, filter and
pager is a plain link or GET form, so the pages work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from assay.web.common import registry
from assay.web.errors import ApiError
from assay.web.lists import Paging, page_paging, pages_of
from assay.web.lists_api import (
    SEVERITIES,
    FindingFilters,
    finding_filters,
    findings_answer,
    inventory_answer,
    yes_no,
)

router = APIRouter(include_in_schema=False)
PagePaging = Annotated[Paging, Depends(page_paging)]
DOWNLOADS = {  # file name -> (format for assay.present.formats, media type)
    "sbom.cdx.json": ("cyclonedx-json", "application/vnd.cyclonedx+json"),
    "sbom.cdx.xml": ("cyclonedx-xml", "application/vnd.cyclonedx+xml"),
    "sbom.spdx.json": ("spdx-json", "application/spdx+json"),
    "sbom.spdx": ("spdx-tag-value", "text/spdx"),
    "report.html": ("html", "text/html; charset=utf-8"),
    "report.md": ("md", "text/markdown; charset=utf-8"),
}


def _linker(path: str, params: dict[str, Any]) -> Callable[..., str]:
    """``link(**changes)``: this page's URL with some parameters changed (empty ones left
    out); changing anything but the page goes back to page 1."""

    def link(**changes: Any) -> str:
        merged = {**params, **changes}
        if "page" not in changes:
            merged.pop("page", None)
        if merged.get("page") == 1:
            merged.pop("page")
        kept = {k: v for k, v in merged.items() if v not in ("", None)}
        return path + ("?" + urlencode(kept) if kept else "")

    return link


def _sort_link(link: Callable[..., str], current: str) -> Callable[[str, bool], str]:
    """The URL a column header points to: sort by it, or reverse it when it is the sort."""

    def sort_by(key: str, descending_first: bool = False) -> str:
        if current == key:
            return link(sort=f"-{key}")
        if current == f"-{key}":
            return link(sort=key)
        return link(sort=f"-{key}" if descending_first else key)

    return sort_by


def _render(request: Request, name: str, context: dict[str, Any]) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context)


def _inventory_page(
    request: Request,
    assessment_id: int,
    q: str,
    found_by: str,
    vulnerable: str,
    page: Paging,
    path: str,
) -> Response:
    only = bool(yes_no(vulnerable, "vulnerable"))
    answer = inventory_answer(request, assessment_id, q, found_by, only, page)
    params: dict[str, Any] = {"q": q, "found_by": found_by, "sort": page.sort}
    params |= {"vulnerable": "yes" if only else ""}
    params |= {"per_page": page.limit if page.limit != 50 else ""}
    link = _linker(path, params)
    return _render(
        request,
        "inventory.html",
        {
            "inv": answer,
            "q": q,
            "found_by": found_by,
            "vulnerable": only,
            "link": link,
            "sort_by": _sort_link(link, answer["sort"]),
            "downloads": DOWNLOADS,
            **pages_of(answer),
        },
    )


Words = Annotated[str, Query(max_length=200)]


@router.get("/products/{slug}/inventory")
def product_inventory(
    request: Request,
    slug: str,
    page: PagePaging,
    q: Words = "",
    found_by: Words = "",
    vulnerable: Words = "",
) -> Response:
    """The component inventory of the product's latest assessment."""
    latest = registry(request).product(slug).latest
    if latest is None:
        raise ApiError(404, f"product {slug!r} has no assessment yet", "upload one first")
    path = f"/products/{slug}/inventory"
    return _inventory_page(request, latest.id, q, found_by, vulnerable, page, path)


@router.get("/assessments/{assessment_id}/inventory")
def assessment_inventory(
    request: Request,
    assessment_id: int,
    page: PagePaging,
    q: Words = "",
    found_by: Words = "",
    vulnerable: Words = "",
) -> Response:
    path = f"/assessments/{assessment_id}/inventory"
    return _inventory_page(request, assessment_id, q, found_by, vulnerable, page, path)


@router.get("/products/{slug}/findings")
def product_findings(
    request: Request,
    slug: str,
    page: PagePaging,
    filters: Annotated[FindingFilters, Depends(finding_filters)],
    group: Annotated[str, Query(pattern="^(vulnerability|firmware)$")] = "vulnerability",
) -> Response:
    """The product's findings for triage: one row per vulnerability (or per firmware)."""
    detail = registry(request).product(slug)
    answer = findings_answer(request, slug, group, filters, page)
    f = filters
    kev = "" if f.kev is None else ("yes" if f.kev else "no")
    params: dict[str, Any] = {
        "group": group if group != "vulnerability" else "",
        "status": ",".join(f.status),
        "severity": ",".join(f.severity),
        "kev": kev,
        "firmware": f.firmware,
        "component": f.component,
        "q": f.q,
        "sort": page.sort,
        "per_page": page.limit if page.limit != 50 else "",
    }
    link = _linker(f"/products/{slug}/findings", params)
    from assay.web.triage import STATUSES

    return _render(
        request,
        "findings.html",
        {
            "p": detail.summary,
            "versions": sorted({fw.version for fw in detail.firmware}),
            "fs": answer,
            "f": f,
            "kev": kev,
            "group": group,
            "statuses": STATUSES,
            "severities": SEVERITIES,
            "link": link,
            "sort_by": _sort_link(link, answer["sort"]),
            **pages_of(answer),
        },
    )


def download(request: Request, assessment_id: int) -> Response:
    """An SBOM or the report of a stored assessment, made from its document."""
    from assay.present.formats import Output, render
    from assay.web.headers import report_policy
    from assay.web.revive import assessment_from_dict

    name = request.url.path.rsplit("/", 1)[-1]
    kind, media = DOWNLOADS[name]
    document = registry(request).assessment(assessment_id).document
    text = render(Output(kind), assessment_from_dict(document))
    headers = {"Content-Disposition": f'attachment; filename="assessment-{assessment_id}-{name}"'}
    if kind == "html":
        headers = {"Content-Security-Policy": report_policy(text)}
    return Response(text, media_type=media, headers=headers)


for _name in DOWNLOADS:
    router.add_api_route(f"/assessments/{{assessment_id}}/{_name}", download, methods=["GET"])
