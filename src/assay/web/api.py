"""The JSON API (``/api/v1``): products, firmware, assessments, labels; uploads with a token."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import UploadFile

from assay.errors import InputError
from assay.registry import Forbidden, NotFound
from assay.registry.identify import product_key
from assay.registry.inputs import (
    check_declaration,
    looks_like_json,
    parse_assessment,
    parse_declaration,
)
from assay.web.common import (
    accountability_of,
    declared_length,
    label_language,
    need_label,
    registry,
)
from assay.web.errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["registry"])
bearer = HTTPBearer(auto_error=False, description="A manufacturer's API token")
ERRORS: dict[int | str, dict[str, Any]] = {
    s: {
        "description": d,
        "content": {
            "application/json": {
                "example": {
                    "error": {"status": s, "code": c, "message": "one line", "hint": "what to do"}
                }
            }
        },
    }
    for s, c, d in ((400, "bad_request", "Bad input"), (404, "not_found", "Not found"))
}
UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["firmware"],
                    "properties": {
                        "firmware": {
                            "type": "string",
                            "format": "binary",
                            "description": "a firmware image or an assessment.json",
                        },
                        "declaration": {
                            "type": "string",
                            "format": "binary",
                            "description": "the manufacturer's declaration (YAML/JSON)",
                        },
                    },
                }
            }
        },
    }
}


@router.get(
    "/search",
    responses=ERRORS,
    summary="Portfolio search: which products and firmware carry a vulnerability or component",
    description="Every part given must match: `cve` (a vulnerability id), `component` (a name, "
    "or a name with a version range such as `dnsmasq<2.78`), `purl`, `cpe` (a prefix), `kev` "
    "(known exploited only). Components come from each firmware's latest assessment, "
    "vulnerabilities from the re-audit's open findings. `total` counts every match; "
    "`limit`/`offset` page through them.",
)
def portfolio_search(
    request: Request,
    cve: Annotated[str, Query(max_length=100)] = "",
    component: Annotated[str, Query(max_length=300)] = "",
    purl: Annotated[str, Query(max_length=500)] = "",
    cpe: Annotated[str, Query(max_length=500)] = "",
    kev: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    from assay.accountability.portfolio import Query as Wanted
    from assay.accountability.portfolio import search
    from assay.errors import UsageError

    try:
        return search(registry(request), Wanted(cve, component, purl, cpe, kev), limit, offset)
    except UsageError as err:
        raise ApiError(400, err.message, err.hint) from err


@router.get("/products/{slug}", responses=ERRORS, summary="One product with its history")
def get_product(request: Request, slug: str) -> dict[str, Any]:
    return registry(request).product(slug).to_dict()


@router.get("/products/{slug}/label", responses=ERRORS, summary="The product's label as data")
def get_label(
    request: Request,
    slug: str,
    lang: Annotated[str, Query(max_length=20, description="Language of the text")] = "en",
) -> dict[str, Any]:
    return need_label(request, slug).to_dict(label_language(lang))


FirmwareName = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        description="a registered firmware version of the product, or sha256:HEX (a prefix "
        "of its image hash)",
    ),
]


@router.get(
    "/products/{slug}/diff",
    responses=ERRORS,
    summary="What changed between two registered firmware of a product",
    description="`assay diff` of two registered firmware: components added, removed, up- or "
    "downgraded; vulnerabilities fixed and introduced (as the re-audit sees them now); checks "
    "and norm verdicts that changed.",
)
def get_diff(request: Request, slug: str, old: FirmwareName, new: FirmwareName) -> dict[str, Any]:
    from assay.accountability.registered import diff_registered

    return diff_registered(registry(request), f"{slug}@{old}", f"{slug}@{new}").to_dict()


@router.get(
    "/products/{slug}/csaf",
    responses=ERRORS,
    summary="CSAF 2.0 VEX or security advisory of a product",
    description="Every firmware of the product under re-audit in one product tree, with the "
    "statuses the re-audit holds now: known_affected (with the firmware to update to when a "
    "later one fixed it), known_not_affected as a VEX statement said, fixed for a later "
    "firmware that no longer carries the vulnerability. Validated against the CSAF 2.0 schema "
    "and its mandatory tests before it is sent.",
)
def get_csaf(
    request: Request,
    slug: str,
    profile: Annotated[
        Literal["csaf_vex", "csaf_security_advisory"], Query(description="CSAF profile")
    ] = "csaf_vex",
) -> dict[str, Any]:
    from assay.accountability.advisory import product_csaf
    from assay.present.vex import Publisher
    from assay.web.common import base_url

    detail = registry(request).product(slug)
    publisher = Publisher(detail.summary.manufacturer, base_url(request))
    return product_csaf(registry(request), slug, profile=profile, publisher=publisher)


@router.get(
    "/products/{slug}/ledger",
    responses=ERRORS,
    summary="Accountability ledger of a product, with CRA reporting clocks",
    description="Declared support end against today; per vulnerability: publication, date "
    "added to CISA KEV, first fixing firmware, days taken against the declared fix time, "
    "days of exposure to known exploitation. `report_cases`: one CRA Article 14 case per open "
    "known exploited vulnerability, its 24 h / 72 h / 14-day deadlines, what is due next and "
    "the text of that report. `ledger` and `report_cases` are null when no vulnerability "
    "store is available (`store_missing`).",
)
def get_ledger(request: Request, slug: str) -> dict[str, Any]:
    data = accountability_of(request, registry(request).product(slug))
    return {k: v for k, v in data.items() if k != "findings"}


@router.get(
    "/manufacturers/{name}/ledger",
    responses=ERRORS,
    summary="Accountability ledger of all of a manufacturer's products",
)
def get_manufacturer_ledger(request: Request, name: str) -> dict[str, Any]:
    from assay.web.accountability import manufacturer_view

    return manufacturer_view(registry(request), request.app.state.kev, name)


@router.post(
    "/products/{slug}/reports/{vulnerability}/{stage}",
    status_code=201,
    summary="Record that a CRA report was sent",
    description="The manufacturer (its API token) records that it sent the `early_warning`, "
    "`notification` or `final_report` on a known exploited vulnerability of its product; the "
    "product's reporting clock then shows the next report due. A record is kept as it was: "
    "recording the same report again is refused.",
    responses={
        **ERRORS,
        401: {"description": "No or bad token"},
        403: {"description": "Not the product's manufacturer"},
    },
)
def post_report(
    request: Request,
    slug: str,
    vulnerability: Annotated[str, Path(max_length=100)],
    stage: Literal["early_warning", "notification", "final_report"],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    submitted_at: Annotated[
        datetime | None, Query(description="when it was sent (ISO 8601; default: now)")
    ] = None,
    reference: Annotated[str, Query(max_length=1000, description="e.g. the case id")] = "",
) -> dict[str, Any]:
    from assay.accountability.submissions import record_submission

    maker = _manufacturer(request, credentials, "recording a report")
    detail = registry(request).product(slug)
    if detail.summary.manufacturer != maker:
        raise Forbidden(
            f"this token belongs to {maker!r}, not to {detail.summary.manufacturer!r}",
            "record reports with a token of the product's manufacturer",
        )
    now = datetime.now(UTC)
    return record_submission(
        registry(request),
        slug,
        vulnerability,
        stage,
        submitted_at=submitted_at or now,
        reference=reference,
        now=now,
        recorded_by=maker,
    )


@router.get("/assessments/{assessment_id}", responses=ERRORS, summary="One full assessment")
def get_assessment(request: Request, assessment_id: int) -> dict[str, Any]:
    return registry(request).assessment(assessment_id).to_dict(with_document=True)


@router.get("/jobs/{job_id}", responses=ERRORS, summary="The state of an upload")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise ApiError(404, f"no upload job {job_id!r}", "jobs are kept in memory until restart")
    return job.to_dict()  # type: ignore[no-any-return]


def _manufacturer(
    request: Request, credentials: HTTPAuthorizationCredentials | None, what: str = "this upload"
) -> str:
    if credentials is None or not credentials.credentials:
        raise ApiError(401, f"{what} needs an API token", "send Authorization: Bearer TOKEN")
    try:
        return registry(request).manufacturer_for_token(credentials.credentials)
    except NotFound as err:
        raise ApiError(401, err.message, err.hint) from err


@router.post(
    "/uploads",
    status_code=202,
    openapi_extra=UPLOAD_FORM,
    summary="Upload a firmware image (or assessment.json) and a declaration",
    description="An image is scanned by the registry (provenance `scanned`). An "
    "`assessment.json` counts as Assay's own only when signed at scan time by a scanner key "
    "the registry trusts (`assay scan --sign-key`; provenance `signed`); otherwise it is stored "
    "as `self-asserted` by the manufacturer: no level and no Yes on its label. A declaration "
    "(uploaded, or inside the assessment) must pass the declaration schema.",
    responses={
        **ERRORS,
        401: {"description": "No or bad token"},
        403: {"description": "Another manufacturer's product"},
        413: {"description": "Upload too large"},
    },
)
async def upload(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> JSONResponse:
    manufacturer = await run_in_threadpool(_manufacturer, request, credentials)
    limit: int = request.app.state.settings.max_upload
    declared_length(request, limit, "the limit", "ask the operator to raise --max-upload")
    most: int = request.app.state.settings.max_pending
    with request.app.state.jobs.slot(most):  # held until the job is queued (or refused)
        return await _accept(request, manufacturer)


async def _accept(request: Request, manufacturer: str) -> JSONResponse:
    """Read the form, check what can be checked now (parsing off the event loop), queue."""
    form = await request.form(max_files=2, max_fields=4)
    firmware = form.get("firmware")
    if not isinstance(firmware, UploadFile) or not firmware.filename:
        raise ApiError(400, "no 'firmware' file in the upload", "send multipart field 'firmware'")
    declaration = None
    raw_declaration = form.get("declaration")
    if isinstance(raw_declaration, UploadFile) and raw_declaration.filename:
        data = await raw_declaration.read()
        name = _safe_name(raw_declaration.filename)
        declaration = await run_in_threadpool(parse_declaration, data, name)
    head = await firmware.read(64)
    if not head:
        raise InputError(f"{_safe_name(firmware.filename)}: the file is empty", "upload the image")
    await firmware.seek(0)
    if looks_like_json(head):
        data = await firmware.read()
        name = _safe_name(firmware.filename)
        document = await run_in_threadpool(_read_assessment, data, name, declaration is None)
        _check_owner(document, declaration, manufacturer)
        await firmware.seek(0)
    elif declaration is not None:
        _check_owner({"declaration": declaration}, None, manufacturer)
    job = await run_in_threadpool(_spool_and_submit, request, firmware, declaration, manufacturer)
    return JSONResponse({"job": job, "status_url": f"/api/v1/jobs/{job['id']}"}, status_code=202)


def _read_assessment(data: bytes, name: str, embedded: bool) -> dict[str, Any]:
    """The uploaded document; its own declaration schema-checked when it is the one kept."""
    document = parse_assessment(data, name)
    if embedded and document.get("declaration") is not None:
        check_declaration(document["declaration"], f"inside {name}")
    return document


def _check_owner(document: dict[str, Any], declaration: dict[str, Any] | None, maker: str) -> None:
    key = product_key({**document, "declaration": declaration or document.get("declaration")})
    if key.manufacturer != maker:
        raise Forbidden(
            f"this token belongs to {maker!r}, not to {key.manufacturer!r}",
            "upload with a token of the product's manufacturer",
        )


def _safe_name(name: str) -> str:
    """A file name fit for a temporary path (the original stays in the assessment as data)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[-100:].lstrip(".") or "upload"


def _spool_and_submit(
    request: Request, firmware: UploadFile, declaration: dict[str, Any] | None, maker: str
) -> dict[str, Any]:
    import json

    from assay.web.jobs import spool_dir

    folder = spool_dir()
    target = folder / _safe_name(firmware.filename or "upload")
    with target.open("wb") as out:
        shutil.copyfileobj(firmware.file, out)
    declaration_file = None
    if declaration is not None:
        (folder / "declaration").mkdir()
        declaration_file = folder / "declaration" / "declaration.json"
        declaration_file.write_text(json.dumps(declaration), encoding="utf-8")
    job = request.app.state.jobs.submit(
        target, firmware.filename or "", declaration, declaration_file, maker
    )
    return job.to_dict()  # type: ignore[no-any-return]
