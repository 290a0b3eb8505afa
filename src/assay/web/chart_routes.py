"""The ledger charts as SVG files: ``/products/{slug}/charts/{name}.svg`` and
``/manufacturers/{name}/charts/{chart}.svg`` (``charts.NAMES``); ``install`` also lets the
page templates draw them inline (``charts/_product.html``, ``charts/_manufacturer.html``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from assay.web import charts
from assay.web.common import accountability_of, registry
from assay.web.errors import ApiError
from assay.web.headers import SVG_POLICY

router = APIRouter(include_in_schema=False)


def _svg(found: list[charts.Chart], name: str) -> Response:
    for chart in found:
        if chart.name == name:
            return Response(
                charts.standalone(chart),
                media_type="image/svg+xml",
                headers={"Content-Security-Policy": SVG_POLICY},
            )
    raise ApiError(404, f"no chart {name!r}", "charts: " + ", ".join(charts.NAMES))


def _known(name: str) -> None:
    if name not in charts.NAMES:
        raise ApiError(404, f"no chart {name!r}", "charts: " + ", ".join(charts.NAMES))


@router.get("/products/{slug}/charts/{name}.svg")
def product_chart(request: Request, slug: str, name: str) -> Response:
    _known(name)
    ledger = accountability_of(request, registry(request).product(slug))["ledger"]
    if ledger is None:
        raise ApiError(404, f"product {slug!r} has no ledger", "a vulnerability store is needed")
    return _svg(charts.for_page(ledger, ledger.get("today"), "product"), name)


@router.get("/manufacturers/{maker}/charts/{name}.svg")
def manufacturer_chart(request: Request, maker: str, name: str) -> Response:
    from assay.web.accountability import manufacturer_view

    _known(name)
    data = manufacturer_view(registry(request), request.app.state.kev, maker)
    return _svg(charts.for_page(data["products"], data["today"], "maker"), name)


def install(app: FastAPI) -> None:
    """The routes (before the pages' catch-all manufacturer path) and the template function."""
    app.include_router(router)
    env: Any = app.state.templates.env
    env.globals["page_charts"] = charts.for_page
