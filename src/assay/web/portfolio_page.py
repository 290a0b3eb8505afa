"""The portfolio search page: which products and firmware carry a vulnerability or a
component (``/portfolio``), the same answer as ``/api/v1/search`` (``accountability.portfolio``)
as a plain GET form and a table, paged on the server.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from assay.errors import UsageError
from assay.web.common import registry

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/portfolio")
async def portfolio(
    request: Request,
    cve: Annotated[str, Query(max_length=100)] = "",
    component: Annotated[str, Query(max_length=300)] = "",
    purl: Annotated[str, Query(max_length=500)] = "",
    kev: Annotated[str, Query(max_length=3)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    from assay.accountability.portfolio import Query as Wanted
    from assay.accountability.portfolio import search

    wanted = Wanted(cve.strip(), component.strip(), purl.strip(), "", kev == "yes")
    asked = any((wanted.cve, wanted.component, wanted.purl, wanted.kev))
    answer: dict[str, Any] = {"total": 0, "items": []}
    problem = ""
    if asked:
        offset = (page - 1) * PAGE_SIZE
        try:
            answer = await run_in_threadpool(search, registry(request), wanted, PAGE_SIZE, offset)
        except UsageError as err:
            problem = f"{err.message}: {err.hint}" if err.hint else err.message
    params = {"cve": cve, "component": component, "purl": purl, "kev": "yes" if wanted.kev else ""}
    link = urlencode({k: v for k, v in params.items() if v})
    templates: Jinja2Templates = request.app.state.templates
    context = {
        "f": params,
        "asked": asked,
        "answer": answer,
        "problem": problem,
        "page": page,
        "pages": max(1, -(-int(answer.get("total", 0)) // PAGE_SIZE)),
        "link": link,
    }
    return templates.TemplateResponse(request, "portfolio.html", context)
