"""The product registry: products, firmware, declarations, assessments and their history.

``Registry.open(url)`` (SQLite by default, PostgreSQL by URL) is the one entry point.
"""

from __future__ import annotations

from assay.registry.db import default_url
from assay.registry.records import (
    AssessmentRecord,
    Forbidden,
    NotFound,
    ProductDetail,
    ProductSummary,
    Stored,
)
from assay.registry.repository import Registry

__all__ = [
    "AssessmentRecord",
    "Forbidden",
    "NotFound",
    "ProductDetail",
    "ProductSummary",
    "Registry",
    "Stored",
    "default_url",
]
