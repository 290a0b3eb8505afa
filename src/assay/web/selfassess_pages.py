"""The free self-assessment pages (``/self-assessment``): upload an image from the browser,
watch the scan (the page reloads itself with a ``Refresh`` header: no script), read the
report and the label at a private link; publish to the registry with a manufacturer's token.
The jobs are ``assay.web.selfassess.SelfJobs``."""

from __future__ import annotations

import json
import math
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from assay.errors import InputError
from assay.registry import NotFound
from assay.registry.inputs import looks_like_json, parse_declaration
from assay.web.common import declared_length, registry
from assay.web.errors import ApiError
from assay.web.headers import SVG_POLICY, report_policy
from assay.web.selfassess import STAGE_WORDS, STAGES, Bucket, SelfJob, SelfJobs

router = APIRouter(include_in_schema=False)
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
SBOM_KEYS = (b'"bomFormat"', b'"spdxVersion"', b"<bom ", b"SPDXVersion:")


def _jobs(request: Request) -> SelfJobs:
    jobs: SelfJobs = request.app.state.selfassess
    return jobs


def _page(request: Request, name: str, context: dict[str, Any], **headers: str) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, context)
    response.headers.update({**PRIVATE, **headers})
    return response


@router.get("/self-assessment", response_class=HTMLResponse)
def form(request: Request) -> Response:
    settings = request.app.state.settings
    context = {
        "days": settings.selfassess_days,
        "max_mb": settings.max_upload // (1024 * 1024),
    }
    return _page(request, "selfassess/form.html", context)


@router.post("/self-assessment")
async def upload(request: Request) -> Response:
    """Checked at once: the rate per client (429), the size (411/413), the kind of file
    (400); then the image is spooled and queued, and the browser sent to its private link."""
    settings = request.app.state.settings
    client = request.client.host if request.client else "unknown"
    wait = request.app.state.selfassess_bucket.take(client)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        raise ApiError(
            429,
            "too many self-assessments from your address",
            f"try again in {minutes} {'minute' if minutes == 1 else 'minutes'}",
        )
    if await run_in_threadpool(_jobs(request).waiting) >= settings.max_pending:
        raise ApiError(
            503, f"{settings.max_pending} self-assessments are already waiting", "try again later"
        )
    declared_length(
        request,
        settings.max_upload,
        "the limit",
        "self-assess a smaller image, or run assay scan on your own machine",
    )
    data = await request.form(max_files=2, max_fields=2)
    image = data.get("firmware")
    if not isinstance(image, UploadFile) or not image.filename:
        raise ApiError(400, "no firmware image in the upload", "choose a file, then send it")
    head = await image.read(4096)
    if not head:
        raise InputError(f"{_safe_name(image.filename)}: the file is empty", "choose the image")
    sbom = any(key in head for key in SBOM_KEYS)  # scanned as an SBOM (assay.ingest)
    if looks_like_json(head) and not sbom:
        raise ApiError(
            400,
            "this is a JSON file, not a firmware image or an SBOM",
            "upload the image, or a CycloneDX or SPDX SBOM",
        )
    await image.seek(0)
    declaration = None
    raw = data.get("declaration")
    if isinstance(raw, UploadFile) and raw.filename:
        text = await raw.read()
        declaration = await run_in_threadpool(parse_declaration, text, _safe_name(raw.filename))
    token = await run_in_threadpool(_spool, _jobs(request), image, declaration)
    return RedirectResponse(f"/self-assessment/{token}", status_code=303)


def _safe_name(name: str) -> str:
    from assay.web.api import _safe_name as safe

    return safe(name)


def _spool(jobs: SelfJobs, image: UploadFile, declaration: dict[str, Any] | None) -> str:
    folder = jobs.folder()
    target = folder / _safe_name(image.filename or "upload")
    with target.open("wb") as out:
        shutil.copyfileobj(image.file, out)
    if declaration is not None:
        (folder / "declaration").mkdir()
        (folder / "declaration" / "declaration.json").write_text(
            json.dumps(declaration), encoding="utf-8"
        )
    return jobs.submit(target, image.filename or target.name)


def _job(request: Request, token: str) -> SelfJob:
    job = _jobs(request).get(token) if len(token) <= 100 else None
    days = request.app.state.settings.selfassess_days
    if job is None:
        raise ApiError(404, "no self-assessment at this link", f"links expire after {days:g} days")
    if job.expired:
        raise ApiError(410, "this self-assessment link has expired", "upload the image again")
    return job


def _done(request: Request, token: str) -> dict[str, Any]:
    job = _job(request, token)
    if job.document is None:
        raise ApiError(409, "the self-assessment is not finished", "wait for it on its page")
    return job.document


def _label(document: dict[str, Any]) -> Any:
    from assay.present.label import build_label

    return build_label(document, "", datetime.now(UTC).date())


@router.get("/self-assessment/{token}", response_class=HTMLResponse)
def status(request: Request, token: str) -> Response:
    job = _job(request, token)
    doc = job.document or {}
    context = {
        "job": job,
        "token": token,
        "stages": [(s, STAGE_WORDS[s]) for s in STAGES],
        "step": job.step,
        "steps": len(STAGES) - 1,
        "label": _label(doc) if job.document else None,
        "counts": {
            "components": len(doc.get("components") or []),
            "vulnerabilities": len(doc.get("vulnerabilities") or []),
            "findings": len(doc.get("findings") or []),
        },
    }
    waiting = job.status in ("queued", "running")
    return _page(
        request, "selfassess/status.html", context, **({"Refresh": "3"} if waiting else {})
    )


@router.get("/self-assessment/{token}/status.json")
def status_json(request: Request, token: str) -> Response:
    job = _job(request, token)
    body = {
        "status": job.status,
        "stage": job.stage,
        "step": job.step,
        "steps": len(STAGES) - 1,
        "expires": job.expires.isoformat(timespec="seconds"),
        "error": job.error,
        "published": job.published or None,
    }
    return JSONResponse(body, headers=PRIVATE)


@router.get("/self-assessment/{token}/report", response_class=HTMLResponse)
def report(request: Request, token: str) -> Response:
    from assay.web.pages import _report_html

    html = _report_html(_done(request, token))
    if html is None:
        raise ApiError(500, "the report cannot be rendered", "download assessment.json instead")
    return HTMLResponse(html, headers={**PRIVATE, "Content-Security-Policy": report_policy(html)})


@router.get("/self-assessment/{token}/label.svg")
def label_svg(request: Request, token: str) -> Response:
    from assay.present.label import render_svg

    svg = render_svg(_label(_done(request, token)))
    headers = {**PRIVATE, "Content-Security-Policy": SVG_POLICY}
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.get("/self-assessment/{token}/assessment.json")
def assessment_json(request: Request, token: str) -> Response:
    return JSONResponse(_done(request, token), headers=PRIVATE)


@router.post("/self-assessment/{token}/publish")
def publish(
    request: Request, token: str, api_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Store the finished assessment in the registry as the token's manufacturer's."""
    document = _done(request, token)
    if not api_token:
        raise ApiError(401, "publishing needs a manufacturer's API token", "paste the token")
    reg = registry(request)
    try:
        maker = reg.manufacturer_for_token(api_token)
    except NotFound as err:
        raise ApiError(401, err.message, err.hint) from err
    stored = reg.add(document, None, as_manufacturer=maker, scanned=True)
    _jobs(request).published(token, stored.product_slug)
    return RedirectResponse(f"/products/{stored.product_slug}", status_code=303)


def install(app: FastAPI, registry_: Any, settings: Any) -> SelfJobs:
    """The routes and the job table (started and stopped by the app's lifespan)."""
    spool = settings.selfassess_spool
    jobs = SelfJobs(registry_, Path(spool) if spool else None, settings.selfassess_days)
    jobs.store = settings.vuln_store
    app.state.selfassess = jobs
    app.state.selfassess_bucket = Bucket(settings.selfassess_burst, settings.selfassess_every)
    app.include_router(router)
    return jobs
