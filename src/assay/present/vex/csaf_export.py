"""Export an assessment as a CSAF 2.0 document (csaf_vex or csaf_security_advisory profile).

Product tree: the firmware under vendor / product name / product version branches, each
vulnerable component as a full product name (with its PURL or CPE), and a relationship
"component is default_component_of firmware" whose product id carries the statuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cvss import CVSS2, CVSS3
from cvss.exceptions import CVSSError

from assay import __version__
from assay.errors import UsageError
from assay.present.vex.csaf_validate import check_csaf
from assay.present.vex.justifications import to_format
from assay.present.vex.model import Status, VexStatement
from assay.present.vex.product import component_for, components_of, firmware_of
from assay.present.vex.statements import assessment_statements

PROFILES = ("csaf_vex", "csaf_security_advisory")
CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")
STATUS_FIELD = {
    Status.AFFECTED: "known_affected",
    Status.NOT_AFFECTED: "known_not_affected",
    Status.FIXED: "fixed",
    Status.UNDER_INVESTIGATION: "under_investigation",
}


@dataclass(frozen=True)
class Publisher:
    """Who issues the document (CSAF ``document.publisher``)."""

    name: str
    namespace: str  # a URI that identifies the publisher, e.g. https://example.com
    category: str = "vendor"  # coordinator | discoverer | other | translator | user | vendor


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _date(text: str) -> str:
    """An ISO date-time from a feed's published field ("" when it cannot be read)."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _iso(moment)


def _score(vector: str) -> dict[str, Any] | None:
    """A ``cvss_v3``/``cvss_v2`` object computed from the vector (so 6.1.9 holds)."""
    try:
        if vector.startswith("CVSS:3."):
            c3 = CVSS3(vector)
            return {
                "cvss_v3": {
                    "version": vector[5:8],
                    "vectorString": c3.clean_vector(),
                    "baseScore": float(c3.base_score),
                    "baseSeverity": c3.severities()[0].upper(),
                }
            }
        if vector:
            c2 = CVSS2(vector)
            return {
                "cvss_v2": {
                    "version": "2.0",
                    "vectorString": c2.clean_vector(),
                    "baseScore": float(c2.base_score),
                }
            }
    except (CVSSError, ValueError, KeyError):
        return None
    return None


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
    if profile not in PROFILES:
        raise UsageError(f"unknown CSAF profile {profile!r}", hint=f"use one of {PROFILES}")
    moment = now or datetime.now(UTC)
    firmware = firmware_of(assessment)
    known = components_of(assessment)
    stmts = assessment_statements(assessment, statements)
    index = _index(known)
    publisher = publisher or Publisher(
        name=firmware.vendor or "Unknown publisher",
        namespace="urn:assay:publisher-not-configured",
        category="vendor" if firmware.vendor else "other",
    )

    # --- product tree --------------------------------------------------------------------
    fw_id = "FW"
    fw_product: dict[str, Any] = {
        "name": firmware.name or "firmware",
        "product_id": fw_id,
        "product_identification_helper": {"purl": firmware.purl},
    }
    if firmware.sha256:
        fw_product["product_identification_helper"]["hashes"] = [
            {
                "filename": str((assessment.get("target") or {}).get("name") or "firmware.bin"),
                "file_hashes": [{"algorithm": "sha256", "value": firmware.sha256}],
            }
        ]
    tree: dict[str, Any] = {
        "branches": [
            {
                "category": "vendor",
                "name": firmware.vendor or "Unknown vendor",
                "branches": [
                    {
                        "category": "product_name",
                        "name": firmware.model,
                        "branches": [
                            {
                                "category": "product_version",
                                "name": firmware.version or "unknown",
                                "product": fw_product,
                            }
                        ],
                    }
                ],
            }
        ]
    }
    comp_ids: dict[str, str] = {}
    full_names, relationships = [], []
    for stmt in stmts:
        ref = _ref_of(stmt, index)
        if ref in comp_ids:
            continue
        cid = f"C{len(comp_ids) + 1}"
        comp_ids[ref] = cid
        comp = component_for(ref, known)
        entry: dict[str, Any] = {"name": comp.label or comp.ref, "product_id": cid}
        helper = {k: v for k, v in (("purl", comp.purl), ("cpe", comp.cpe)) if v}
        if helper:
            entry["product_identification_helper"] = helper
        full_names.append(entry)
        relationships.append(
            {
                "category": "default_component_of",
                "product_reference": cid,
                "relates_to_product_reference": fw_id,
                "full_product_name": {
                    "name": f"{comp.label or comp.ref} as part of {firmware.name}",
                    "product_id": f"{cid}-IN-{fw_id}",
                },
            }
        )
    if full_names:
        tree["full_product_names"] = full_names
        tree["relationships"] = relationships

    # --- vulnerabilities -----------------------------------------------------------------
    matches = {
        (m.get("id"), m.get("component")): m for m in assessment.get("vulnerabilities") or []
    }
    grouped: dict[str, list[tuple[str, VexStatement, dict[str, Any]]]] = {}
    for stmt in stmts:
        ref = _ref_of(stmt, index)
        pid = f"{comp_ids[ref]}-IN-{fw_id}"
        grouped.setdefault(stmt.vulnerability, []).append(
            (pid, stmt, matches.get((stmt.vulnerability, ref), {}))
        )
    vulns = [_vulnerability(vid, rows, firmware.name) for vid, rows in sorted(grouped.items())]

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
            f"{firmware.name or 'firmware'}",
            "notes": [
                {
                    "category": "summary",
                    "title": "Summary",
                    "text": f"{len(vulns)} vulnerabilities found by Assay {__version__} in "
                    f"{firmware.name or 'the firmware'}; statuses per component as shipped.",
                }
            ],
            "tracking": {
                "id": tracking_id or f"ASSAY-{(firmware.sha256 or 'UNHASHED')[:12]}-{profile}",
                "status": "final",
                "version": "1",
                "initial_release_date": _iso(moment),
                "current_release_date": _iso(moment),
                "revision_history": [
                    {"date": _iso(moment), "number": "1", "summary": "Initial version."}
                ],
                "generator": {
                    "engine": {"name": "Assay", "version": __version__},
                    "date": _iso(moment),
                },
            },
        },
        "product_tree": tree,
        "vulnerabilities": vulns,
    }
    if validate:
        check_csaf(doc, "the exported CSAF document", lenient=False)  # our own: strict
    return doc


def _ref_of(stmt: VexStatement, index: dict[str, str]) -> str:
    return index.get(stmt.product.key, stmt.product.key)


def _index(known: dict[str, Any]) -> dict[str, str]:
    """Every key of every component -> its ref (the first component wins a shared key)."""
    out: dict[str, str] = {}
    for ref, comp in known.items():
        for key in sorted(comp.keys):
            out.setdefault(key, ref)
    return out


def _vulnerability(
    vid: str, rows: list[tuple[str, VexStatement, dict[str, Any]]], fw_name: str
) -> dict[str, Any]:
    first = rows[0][2]
    vuln: dict[str, Any] = {}
    ids = [vid, *rows[0][1].aliases]
    cve = next((i for i in ids if CVE.match(i)), "")
    if cve:
        vuln["cve"] = cve
    others = [i for i in ids if i != cve]
    if others:
        vuln["ids"] = [{"system_name": i.split("-", 1)[0], "text": i} for i in others]
    vuln["notes"] = [
        {
            "category": "description",
            "title": "Description",
            "text": first.get("description") or f"{vid} (no description in the feed)",
        }
    ]
    reasons = "; ".join(sorted({f"{s.product.name}: {_why(m)}" for _, s, m in rows}))
    vuln["notes"].append({"category": "details", "title": "Why Assay matched it", "text": reasons})
    released = _date(str(first.get("published") or ""))
    if released:
        vuln["release_date"] = released
    status: dict[str, list[str]] = {}
    remediations, threats, flags, scored = [], [], [], []
    for pid, stmt, match in rows:
        status.setdefault(STATUS_FIELD[stmt.status], []).append(pid)
        if stmt.status is Status.AFFECTED:
            category = stmt.action_category or (
                "none_available" if stmt.source == "assay" else "mitigation"
            )
            remediations.append(
                {
                    "category": category,
                    "details": stmt.action or "No fix is known yet.",
                    "product_ids": [pid],
                }
            )
            if match.get("kev"):
                threats.append(
                    {
                        "category": "exploit_status",
                        "product_ids": [pid],
                        "details": "Listed in CISA's Known Exploited Vulnerabilities "
                        "catalogue: exploited in the wild.",
                    }
                )
            if match.get("cvss_vector"):
                scored.append((pid, str(match["cvss_vector"])))
        elif stmt.status is Status.NOT_AFFECTED:
            label = to_format(stmt.justification, "csaf_flag")
            if label:
                flags.append({"label": label, "product_ids": [pid]})
            threats.append(
                {
                    "category": "impact",
                    "product_ids": [pid],
                    "details": stmt.impact
                    or stmt.justification.replace("_", " ")
                    or "Not affected (no reason given).",
                }
            )
        elif stmt.status is Status.FIXED and stmt.action:
            remediations.append(
                {
                    "category": stmt.action_category or "vendor_fix",
                    "details": stmt.action,
                    "product_ids": [pid],
                }
            )
    vuln["product_status"] = status
    scores = []
    for pid, vector in scored:
        score = _score(vector)
        if score:
            scores.append({**score, "products": [pid]})
    extra = {"remediations": remediations, "scores": scores, "threats": threats, "flags": flags}
    vuln.update({key: value for key, value in extra.items() if value})
    return vuln


def _why(match: dict[str, Any]) -> str:
    why = match.get("why") or {}
    if not why:
        return "stated by an imported VEX document" if not match else "matched by version"
    return ", ".join(f"{k}: {v}" for k, v in sorted(why.items()) if isinstance(v, str | int))
