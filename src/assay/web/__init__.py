"""The registry web app: ``create_app(Settings(...))`` (FastAPI, server-rendered, no CDN)."""

from __future__ import annotations

from assay.web.app import Settings, create_app

__all__ = ["Settings", "create_app"]
