"""Accountability: CRA Article 14 reporting clocks and the ledger of promises against deeds.
Pure logic over dates and records; the registry supplies the records."""

from __future__ import annotations

from assay.accountability.clocks import (
    Deadline,
    ReportCase,
    cases_from_assessment,
    deadlines,
    next_due,
    with_submission,
)
from assay.accountability.ledger import (
    ProductLedger,
    VulnerabilityEntry,
    manufacturer_ledger,
    product_ledger,
)
from assay.accountability.records import Product, Release, Vulnerability
from assay.accountability.reports import case_summary, report, report_text

__all__ = [
    "Deadline",
    "Product",
    "ProductLedger",
    "Release",
    "ReportCase",
    "Vulnerability",
    "VulnerabilityEntry",
    "case_summary",
    "cases_from_assessment",
    "deadlines",
    "manufacturer_ledger",
    "next_due",
    "product_ledger",
    "report",
    "report_text",
    "with_submission",
]
