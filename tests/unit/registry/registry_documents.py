"""A small crafted assessment document for registry tests (imported by the test modules)."""

from __future__ import annotations

from typing import Any


def make_document(
    manufacturer: str = "Acme",
    model: str = "AC-1",
    firmware: str = "1.0",
    sha: str = "a" * 64,
    kev: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A small document in the shape of ``Assessment.to_dict()`` (crafted input)."""
    doc: dict[str, Any] = {
        "schema_version": "1.0.0",
        "tool": {"name": "assay", "version": "0.1.0"},
        "created": "2026-11-20T10:00:00+00:00",
        "target": {"name": f"{model}-{firmware}.bin", "kind": "image", "sha256": sha, "size": 42},
        "identity": {"os_name": "OpenWrt", "os_version": "12.09"},
        "components": [
            {"name": "busybox", "version": "1.19.4", "purl": "pkg:generic/busybox@1.19.4"}
        ],
        "vulnerabilities": [
            {
                "id": "CVE-2014-0160",
                "component": "openssl@1.0.1",
                "severity": "high",
                "cvss_score": 7.5,
                "kev": kev,
                "epss": 0.9,
            }
        ],
        "findings": [
            {
                "check": "credentials.empty-password",
                "verdict": "FAIL",
                "severity": "high",
                "title": "Accounts without a password",
                "evidence": [],
            }
        ],
        "verdicts": [
            {
                "norm": "en303645",
                "requirement": "5.1-1",
                "verdict": "FAIL",
                "title": "No universal default passwords",
                "reason": "root has no password",
            }
        ],
        "declaration": {
            "schema_version": "1",
            "manufacturer": {"name": manufacturer, "contact": "mailto:info@example.com"},
            "product": {
                "name": f"{manufacturer} Router",
                "model": model,
                "hardware_version": "v1",
                "firmware_version": firmware,
            },
            "support": {"end_date": "2030-06-30"},
        },
        "problems": [],
        "facts": {},
    }
    doc.update(extra)
    return doc
