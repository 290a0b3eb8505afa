"""``create_app(settings)``: the registry web app (server-rendered pages and a JSON API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from assay import __version__
from assay.registry import Registry
from assay.web import (
    api,
    chart_routes,
    docs,
    errors,
    lists_api,
    lists_pages,
    pages,
    portfolio_page,
    selfassess_pages,
    supplier,
)
from assay.web.feeds import KevLookup
from assay.web.headers import HeadAsGet, SecurityHeaders
from assay.web.jobs import Jobs
from assay.web.poller import ReauditPoller
from assay.web.views import short, visible

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    registry_url: str | None = None  # None: the default registry
    public_url: str = ""  # the site's public base URL for QR codes; "" = as requested
    max_upload: int = 256 * 1024 * 1024  # bytes per upload request
    workers: int = 1  # background upload workers
    max_pending: int = 20  # uploads queued or running before new ones get 503
    vuln_store: Path | None = None  # KEV re-check; None: the default store or bundled snapshot
    reaudit_interval: float = 60.0  # seconds between store-revision polls; 0 = no re-audit
    selfassess_days: float = 7.0  # a self-assessment's private link lives this long
    selfassess_burst: int = 3  # self-assessments one client address may start at once
    selfassess_every: float = 600.0  # then one more per this many seconds
    selfassess_spool: Path | None = None  # uploads waiting; None: a temporary folder


def create_app(settings: Settings | None = None, registry: Registry | None = None) -> FastAPI:
    """The app; it opens (and migrates) the registry unless one is given."""
    settings = settings or Settings()
    registry = registry or Registry.open(settings.registry_url)
    jobs = Jobs(registry, settings.workers)
    poller = ReauditPoller(registry, settings.vuln_store, settings.reaudit_interval)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        poller.start()  # a daemon thread; requests never wait for it
        selfjobs.start()  # resumes the self-assessments a stopped server left
        try:
            yield
        finally:
            poller.stop()
            selfjobs.stop()
            jobs.shutdown()

    app = FastAPI(
        title="Assay product registry",
        version=__version__,
        description="Security labels, assessments and support periods of connected products. "
        "Reading is public; uploads need a manufacturer's API token (Bearer).",
        lifespan=lifespan,
        docs_url=None,  # web.docs serves /docs and /redoc from local files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.jobs = jobs
    app.state.poller = poller
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates.env.filters["short"] = short
    app.state.templates.env.finalize = visible  # every {{ value }}: no control characters
    app.state.label_cache = {}
    app.state.inventory_cache = {}  # assessment id -> its component rows (never change)
    app.state.case_cache = {}  # assessment id -> what its CRA cases read (never changes)
    app.state.score_cache = {}  # vulnerability id -> CVSS and EPSS from the store (a TTL)
    app.state.kev = KevLookup(settings.vuln_store)
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    docs.install(app)
    chart_routes.install(app)  # before the pages' /manufacturers/{name:path}
    app.include_router(lists_api.router)  # before api: it serves the paged lists
    app.include_router(api.router)
    app.include_router(supplier.router)
    app.include_router(lists_pages.router)
    app.include_router(portfolio_page.router)
    app.include_router(pages.router)
    selfjobs = selfassess_pages.install(app, registry, settings)
    return app
