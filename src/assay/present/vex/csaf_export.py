"""Export assessments as a CSAF 2.0 document (csaf_vex or csaf_security_advisory profile).

Product tree: each firmware version under vendor / product name / product version branches,
each vulnerable component as a full product name (with its PURL or CPE), and a relationship
"component is default_component_of firmware" whose product id carries the statuses. One
assessment gives one version (``export_csaf``); the registry gives every registered firmware
of a product (``export_versions``), where a later firmware that no longer carries a
vulnerability is stated ``fixed`` as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assay import __version__
from assay.errors import UsageError
from assay.present.vex.csaf_validate import check_csaf
from assay.present.vex.csaf_vulnerability import Row, iso, vulnerability_entry
from assay.present.vex.model import VexStatement
from assay.present.vex.product import component_for, components_of, firmware_of
from assay.present.vex.statements import assessment_statements

PROFILES = ("csaf_vex", "csaf_security_advisory")


@dataclass(frozen=True)
class Publisher:
    """Who issues the document (CSAF ``document.publisher``)."""

    name: str
    namespace: str  # a URI that identifies the publisher, e.g. https://example.com
    category: str = "vendor"  # coordinator | discoverer | other | translator | user | vendor


@dataclass(frozen=True)
class Version:
    """One firmware version of a document: its assessment, the statements that change its
    matches' statuses, and the vulnerabilities it is stated fixed for (as a whole)."""

    assessment: dict[str, Any]
    statements: Sequence[VexStatement] = ()
    fixed: Sequence[VexStatement] = field(default=())


def export_csaf(
    assessment: dict[str, Any],
    *,
    profile: str = "csaf_vex",
    statements: Iterable[VexStatement] = (),
    publisher: Publisher | None = None,
    now: datetime | None = None,
    tracking_id: str = "",
    validate: bool = True,
) -> dict[str, Any]:
    """A CSAF 2.0 document for the assessment's vulnerability matches.

    ``statements`` (e.g. imported VEX) change a match's status from affected to not
    affected / fixed / under investigation, keeping their justification. The result is
    checked against the CSAF schema and Assay's mandatory tests unless ``validate`` is False.
    """
    version = Version(assessment, tuple(statements))
    return export_versions(
        [version],
        profile=profile,
        publisher=publisher,
        now=now,
        tracking_id=tracking_id,
        validate=validate,
    )


def export_versions(
    versions: Sequence[Version],
    *,
    profile: str = "csaf_vex",
    publisher: Publisher | None = None,
    now: datetime | None = None,
    tracking_id: str = "",
    validate: bool = True,
) -> dict[str, Any]:
    """One CSAF 2.0 document for several firmware versions of one product (oldest first)."""
    if profile not in PROFILES:
        raise UsageError(f"unknown CSAF profile {profile!r}", hint=f"use one of {PROFILES}")
    if not versions:
        raise UsageError("no firmware version to export", hint="register the product's firmware")
    moment = now or datetime.now(UTC)
    firmware = [firmware_of(v.assessment) for v in versions]
    single = len(versions) == 1
    pids = ["FW"] if single else [f"FW{i + 1}" for i in range(len(versions))]
    first = firmware[0]
    publisher = publisher or Publisher(
        name=first.vendor or "Unknown publisher",
        namespace="urn:assay:publisher-not-configured",
        category="vendor" if first.vendor else "other",
    )
    branches = [
        _version_branch(v.assessment, fw.version, fw, pid)
        for v, fw, pid in zip(versions, firmware, pids, strict=True)
    ]
    tree: dict[str, Any] = {
        "branches": [
            {
                "category": "vendor",
                "name": first.vendor or "Unknown vendor",
                "branches": [
                    {"category": "product_name", "name": first.model, "branches": branches}
                ],
            }
        ]
    }
    comp_ids: dict[str, str] = {}
    full_names: list[dict[str, Any]] = []
    relationships: list[dict[str, Any]] = []
    grouped: dict[str, list[Row]] = {}
    for version, fw, pid in zip(versions, firmware, pids, strict=True):
        known = components_of(version.assessment)
        matches = {
            (m.get("id"), m.get("component")): m
            for m in version.assessment.get("vulnerabilities") or []
        }
        related: set[str] = set()
        for stmt in assessment_statements(version.assessment, version.statements):
            comp = component_for(stmt.product.key, known)
            ref = comp.ref
            if ref not in comp_ids:
                comp_ids[ref] = cid = f"C{len(comp_ids) + 1}"
                entry: dict[str, Any] = {"name": comp.label or comp.ref, "product_id": cid}
                helper = {k: v for k, v in (("purl", comp.purl), ("cpe", comp.cpe)) if v}
                if helper:
                    entry["product_identification_helper"] = helper
                full_names.append(entry)
            inner = f"{comp_ids[ref]}-IN-{pid}"
            if inner not in related:
                related.add(inner)
                relationships.append(
                    {
                        "category": "default_component_of",
                        "product_reference": comp_ids[ref],
                        "relates_to_product_reference": pid,
                        "full_product_name": {
                            "name": f"{comp.label or comp.ref} as part of {fw.name}",
                            "product_id": inner,
                        },
                    }
                )
            match = matches.get((stmt.vulnerability, ref), {})
            grouped.setdefault(stmt.vulnerability, []).append((inner, stmt, match))
        for stmt in version.fixed:
            grouped.setdefault(stmt.vulnerability, []).append((pid, stmt, {}))
    if full_names:
        tree["full_product_names"] = full_names
        tree["relationships"] = relationships
    vulns = [
        vulnerability_entry(vid, sorted(rows, key=lambda r: not r[2]))  # a match first
        for vid, rows in sorted(grouped.items())
    ]
    what = first.name if single else f"{len(versions)} firmware versions of {first.model}"
    doc: dict[str, Any] = {
        "document": {
            "category": profile,
            "csaf_version": "2.0",
            "lang": "en",
            "publisher": {
                "category": publisher.category,
                "name": publisher.name,
                "namespace": publisher.namespace,
            },
            "title": f"{'VEX' if profile == 'csaf_vex' else 'Security advisory'} for "
            f"{what or 'firmware'}",
            "notes": [
                {
                    "category": "summary",
                    "title": "Summary",
                    "text": f"{len(vulns)} vulnerabilities found by Assay {__version__} in "
                    f"{what or 'the firmware'}; statuses per component as shipped.",
                }
            ],
            "tracking": _tracking(
                tracking_id or f"ASSAY-{(first.sha256 or 'UNHASHED')[:12]}-{profile}", moment
            ),
        },
        "product_tree": tree,
        "vulnerabilities": vulns,
    }
    if validate:
        check_csaf(doc, "the exported CSAF document", lenient=False)  # our own: strict
    return doc


def _version_branch(assessment: dict[str, Any], version: str, fw: Any, pid: str) -> dict[str, Any]:
    product: dict[str, Any] = {
        "name": fw.name or "firmware",
        "product_id": pid,
        "product_identification_helper": {"purl": fw.purl},
    }
    if fw.sha256:
        product["product_identification_helper"]["hashes"] = [
            {
                "filename": str((assessment.get("target") or {}).get("name") or "firmware.bin"),
                "file_hashes": [{"algorithm": "sha256", "value": fw.sha256}],
            }
        ]
    return {"category": "product_version", "name": _one_version(version), "product": product}


def _one_version(version: str) -> str:
    """The image's version as a CSAF ``product_version`` name, which must not read as a range
    (test 6.1.31): ``<``/``>`` and range words from a hostile image are escaped."""
    from assay.present.vex.csaf_rules_profiles import VERSION_RANGE

    def neutral(match: re.Match[str]) -> str:
        text = match.group().replace("<", "\\x3c").replace(">", "\\x3e")
        return text.replace(" ", "_")

    return VERSION_RANGE.sub(neutral, version) if version else "unknown"


def _tracking(tracking_id: str, moment: datetime) -> dict[str, Any]:
    return {
        "id": tracking_id,
        "status": "final",
        "version": "1",
        "initial_release_date": iso(moment),
        "current_release_date": iso(moment),
        "revision_history": [{"date": iso(moment), "number": "1", "summary": "Initial version."}],
        "generator": {"engine": {"name": "Assay", "version": __version__}, "date": iso(moment)},
    }
