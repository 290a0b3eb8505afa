"""Suppliers' SBOMs in the registry's API: attach one to a product's firmware (with the
manufacturer's token), read it back with its comparison; and the data of the product page's
section on it (``templates/_supplier_sbom.html``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from starlette.datastructures import UploadFile

from assay.registry import NotFound, Registry
from assay.registry.supplier import MAX_SBOM_BYTES
from assay.web.api import ERRORS, bearer
from assay.web.common import declared_length, registry
from assay.web.errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["registry"])
FirmwareQuery = Annotated[
    str,
    Query(
        max_length=200,
        description="a registered firmware version, or sha256:PREFIX; default: the firmware "
        "of the product's latest assessment",
    ),
]
SBOM_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["sbom"],
                    "properties": {
                        "sbom": {
                            "type": "string",
                            "format": "binary",
                            "description": "CycloneDX JSON/XML, SPDX 2.x/3.0, a Buildroot or "
                            "OpenWrt manifest",
                        }
                    },
                }
            }
        },
    }
}


@router.get(
    "/products/{slug}/supplier-sbom",
    responses=ERRORS,
    summary="The supplier's SBOM of a firmware and how it compares with the firmware",
    description="The latest SBOM attached to the firmware: its file name, format, SHA-256, and "
    "`comparison`: verdict (FAITHFUL, UNFAITHFUL, INCONCLUSIVE), fidelity (share of the "
    "measured components the SBOM states correctly), counts and mismatches by kind "
    "(declared-absent, undeclared, version, hash, license) with evidence from the assessment, "
    "and `requirement`: the CRA Annex I Part II(1) judgement on it. 404 when none is attached.",
)
def get_supplier_sbom(request: Request, slug: str, firmware: FirmwareQuery = "") -> dict[str, Any]:
    found = registry(request).supplier_sbom(slug, firmware)
    if found is None:
        raise NotFound(
            f"no supplier SBOM is attached to {slug!r}"
            + (f" firmware {firmware!r}" if firmware else ""),
            "attach one: POST this URL with a token, or `assay registry attach-sbom`",
        )
    return found


@router.post(
    "/products/{slug}/supplier-sbom",
    status_code=201,
    openapi_extra=SBOM_FORM,
    summary="Attach a supplier's SBOM to a product's firmware",
    description="The manufacturer (its API token) uploads the SBOM its supplier delivered; the "
    "registry keeps it and compares it with the firmware's assessment. A file that is no SBOM "
    "Assay reads, or one over the size limit, is refused and nothing is stored.",
    responses={
        **ERRORS,
        401: {"description": "No or bad token"},
        403: {"description": "Not the product's manufacturer"},
        413: {"description": "SBOM too large"},
    },
)
async def post_supplier_sbom(
    request: Request,
    slug: str,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    firmware: FirmwareQuery = "",
) -> dict[str, Any]:
    reg = registry(request)
    maker = await run_in_threadpool(_manufacturer, reg, credentials)
    # the form's own bytes on top of the SBOM's
    limit = MAX_SBOM_BYTES + 64 * 1024
    declared_length(request, limit, "the SBOM limit", "give the SBOM of this firmware alone")
    form = await request.form(max_files=1, max_fields=2)
    sbom = form.get("sbom")
    if not isinstance(sbom, UploadFile) or not sbom.filename:
        raise ApiError(400, "no 'sbom' file in the upload", "send multipart field 'sbom'")
    data = await sbom.read(MAX_SBOM_BYTES + 1)
    return await run_in_threadpool(
        reg.attach_supplier_sbom, slug, data, sbom.filename, firmware, maker
    )


def _manufacturer(reg: Registry, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "attaching an SBOM needs an API token", "send Authorization: Bearer")
    try:
        return reg.manufacturer_for_token(credentials.credentials)
    except NotFound as err:
        raise ApiError(401, err.message, err.hint) from err


def supplier_view(reg: Registry, slug: str) -> dict[str, Any] | None:
    """What the product page shows: the latest supplier SBOM, or None."""
    if not reg.has_supplier_sbom(slug):
        return None
    try:
        return reg.supplier_sbom(slug)
    except NotFound:  # no firmware yet
        return None
