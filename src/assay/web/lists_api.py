"""The API's lists, each paged, sorted and filtered on the server (``web.lists``): products,
a product's firmware, assessments, history, findings and inventory, an assessment's inventory.
Every answer is ``{"total", "limit", "offset", "sort", "items", ...}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from assay.registry import lists as rl
from assay.web.common import registry
from assay.web.errors import ApiError
from assay.web.lists import Paging, ordered_page, paging

router = APIRouter(prefix="/api/v1", tags=["registry"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad input (one line, with what to do)"},
    404: {"description": "Not found"},
    422: {"description": "A parameter is not of its type or range"},
}
SEVERITIES = ("critical", "high", "medium", "low", "none", "unknown")
Pages = Annotated[Paging, Depends(paging)]


def _sorted_keys(columns: dict[str, Any]) -> list[str]:
    return sorted(columns)


def _answer(total: int, rows: list[Any], page: Paging, **extra: Any) -> dict[str, Any]:
    return {**extra, **page.page_of(total), "items": rows}


@router.get("/products", responses=ERRORS, summary="Search products (paged, sorted)")
def list_products(
    request: Request,
    page: Pages,
    q: Annotated[str, Query(max_length=200, description="words to find")] = "",
) -> dict[str, Any]:
    page = page.checked(_sorted_keys(rl.PRODUCT_SORT))
    total, items = rl.products(registry(request), q, page.limit, page.offset, page.sort)
    return _answer(total, [p.to_dict() for p in items], page)


@router.get("/products/{slug}/firmware", responses=ERRORS, summary="A product's firmware")
def get_firmware(request: Request, slug: str, page: Pages) -> dict[str, Any]:
    page = page.checked(_sorted_keys(rl.FIRMWARE_SORT))
    total, items = rl.firmware(registry(request), slug, page.limit, page.offset, page.sort)
    return _answer(total, items, page)


@router.get("/products/{slug}/events", responses=ERRORS, summary="A product's history")
def get_events(request: Request, slug: str, page: Pages) -> dict[str, Any]:
    page = page.checked(_sorted_keys(rl.EVENT_SORT))
    total, items = rl.events(registry(request), slug, page.limit, page.offset, page.sort)
    return _answer(total, items, page)


@router.get("/products/{slug}/assessments", responses=ERRORS, summary="A product's assessments")
def get_assessments(request: Request, slug: str, page: Pages) -> dict[str, Any]:
    page = page.checked(_sorted_keys(rl.ASSESSMENT_SORT))
    total, items = rl.assessments(registry(request), slug, page.limit, page.offset, page.sort)
    return _answer(total, items, page)


@dataclass(frozen=True)
class FindingFilters:
    status: list[str]
    severity: list[str]
    kev: bool | None
    firmware: str
    component: str
    q: str


def _listed(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise ApiError(400, f"{what}: unknown value {value!r}", f"use {', '.join(allowed)}")
    return values


def yes_no(text: str, what: str = "kev") -> bool | None:
    """``""`` → None (either), yes/true/1 → True, no/false/0 → False; else a 400."""
    value = text.strip().lower()
    if not value:
        return None
    if value in ("yes", "true", "1"):
        return True
    if value in ("no", "false", "0"):
        return False
    raise ApiError(400, f"{what}: {text!r} is not yes or no", f"use {what}=yes or {what}=no")


def finding_filters(
    status: Annotated[
        str, Query(max_length=200, description="statuses to keep, comma-separated")
    ] = "",
    severity: Annotated[
        str, Query(max_length=100, description="severities to keep, comma-separated")
    ] = "",
    kev: Annotated[str, Query(max_length=5, description="yes: known exploited only; no")] = "",
    firmware: Annotated[str, Query(max_length=200, description="a firmware version")] = "",
    component: Annotated[str, Query(max_length=200, description="part of a name")] = "",
    q: Annotated[str, Query(max_length=100, description="part of a vulnerability id")] = "",
) -> FindingFilters:
    """The findings' filters (a FastAPI dependency shared by the page and the API)."""
    from assay.web.triage import STATUSES

    return FindingFilters(
        _listed(status, STATUSES, "status"),
        _listed(severity, SEVERITIES, "severity"),
        yes_no(kev),
        firmware.strip(),
        component.strip(),
        q.strip(),
    )


def findings_answer(
    request: Request, slug: str, group: str, filters: FindingFilters, page: Paging
) -> dict[str, Any]:
    """The product's findings, grouped, filtered, sorted and paged, with counts per status."""
    from assay.web.accountability import last_run
    from assay.web.triage import FINDING_SORT, by_vulnerability, filter_findings, firmware_findings

    reg = registry(request)
    reg.product(slug)  # an unknown product is a 404
    page = page.checked(sorted(FINDING_SORT))
    rows = firmware_findings(reg, request.app.state.kev, slug, request.app.state.score_cache)
    if group == "vulnerability":
        rows = by_vulnerability(rows)
    f = filters
    kept = filter_findings(rows, f.status, f.severity, f.kev, f.firmware, f.component, f.q)
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    latest = last_run(reg)
    return {
        "product": slug,
        "group": group,
        "last_reaudit": latest.isoformat() if latest else None,
        "all": len(rows),
        "by_status": by_status,
        **ordered_page(kept, page, FINDING_SORT),
    }


@router.get(
    "/products/{slug}/findings",
    responses=ERRORS,
    summary="A product's findings for triage (paged, sorted, filtered)",
    description="`group=firmware` (default): one row per firmware, component and "
    "vulnerability, with `state` (open, fixed, withdrawn, suppressed), `lifecycle` (new, "
    "still_open, reopened, fixed, withdrawn, suppressed; as_scanned before the first "
    "re-audit; not_counted) and `status` (affected, probable, conditional, fixed, suppressed, "
    "not_affected, withdrawn) with `detail` saying why, `fixed_in` (the firmware that fixed "
    "it), severity, CVSS, EPSS and KEV. `group=vulnerability`: one row per vulnerability with "
    "the firmware it affects now and every firmware's status. `total` counts the rows the "
    "filters keep; `all` every row; `by_status` the rows per status.",
)
def get_findings(
    request: Request,
    slug: str,
    page: Pages,
    filters: Annotated[FindingFilters, Depends(finding_filters)],
    group: Literal["firmware", "vulnerability"] = "firmware",
) -> dict[str, Any]:
    answer = findings_answer(request, slug, group, filters, page)
    return {**answer, "findings": answer["items"]}


def inventory_answer(
    request: Request, assessment_id: int, q: str, found_by: str, vulnerable: bool, page: Paging
) -> dict[str, Any]:
    """An assessment's components, filtered, sorted and paged (the document is read once and
    its rows kept: a stored assessment never changes)."""
    from assay.web.triage import INVENTORY_SORT, filter_inventory, inventory

    page = page.checked(sorted(INVENTORY_SORT))
    cache: dict[int, Any] = request.app.state.inventory_cache
    held = cache.get(assessment_id)
    if held is None:
        record = registry(request).assessment(assessment_id)
        if len(cache) >= 32:
            cache.pop(next(iter(cache)))
        held = (record.product_slug, record.firmware_version, inventory(record.document))
        cache[assessment_id] = held
    slug, version, rows = held
    kept = filter_inventory(rows, q, found_by, vulnerable)
    return {
        "assessment": assessment_id,
        "product": slug,
        "firmware": version,
        "all": len(rows),
        **ordered_page(kept, page, INVENTORY_SORT),
    }


InventoryQ = Annotated[str, Query(max_length=200, description="words in name, version, licence")]
FoundBy = Annotated[str, Query(max_length=100, description="a cataloger, e.g. opkg-db")]


@router.get(
    "/assessments/{assessment_id}/components",
    responses=ERRORS,
    summary="An assessment's component inventory (paged, sorted, searched)",
)
def get_components(
    request: Request,
    assessment_id: int,
    page: Pages,
    q: InventoryQ = "",
    found_by: FoundBy = "",
    vulnerable: bool = False,
) -> dict[str, Any]:
    return inventory_answer(request, assessment_id, q, found_by, vulnerable, page)


@router.get(
    "/products/{slug}/components",
    responses=ERRORS,
    summary="The component inventory of a product's latest assessment",
)
def get_product_components(
    request: Request,
    slug: str,
    page: Pages,
    q: InventoryQ = "",
    found_by: FoundBy = "",
    vulnerable: bool = False,
) -> dict[str, Any]:
    latest = registry(request).product(slug).latest
    if latest is None:
        raise ApiError(404, f"product {slug!r} has no assessment yet", "upload one first")
    return inventory_answer(request, latest.id, q, found_by, vulnerable, page)


@router.get(
    "/assessments/{assessment_id}/checks",
    responses=ERRORS,
    summary="An assessment's check results, one row per check (paged, sorted)",
)
def get_checks(
    request: Request,
    assessment_id: int,
    page: Pages,
    verdict: Annotated[
        Literal[
            "", "PASS", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE", "NEEDS_DECLARATION", "NEEDS_LAB"
        ],
        Query(description="only checks with this verdict"),
    ] = "",
) -> dict[str, Any]:
    page = page.checked(_sorted_keys(rl.CHECK_SORT))
    reg = registry(request)
    total, items = rl.checks(reg, assessment_id, verdict, page.limit, page.offset, page.sort)
    return _answer(total, items, page, assessment=assessment_id)
