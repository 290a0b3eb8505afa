"""The CycloneDX SBOM (1.6 JSON; 1.5, 1.4 and XML through ``present.cyclonedx_versions``).

What it holds:

- ``metadata``: the firmware as the described component (name from the identity, SHA-256 of
  the image), its manufacturer and supplier from the declaration (``manufacturer``), the
  ``assay`` tool, the document's author (Assay, an automated analysis) and lifecycle
  (``post-build``: made from the built image).
- one component per component found, with PURL, CPE, supplier, licence (an SPDX id or
  expression when the text parses, else its name), SHA-256 (``catalog.digests``: the file,
  or the manifest of a package's files), where it was found (evidence occurrences: paths in
  the image) and how (evidence identity methods: manifest analysis for package databases,
  binary analysis for signatures). A component found by signatures inside a file that a
  package owns (hostapd in ``wpad-mini``) is nested in that package's ``components``.
- ``dependencies``: the firmware depends on its top-level components; each package on the
  packages its database's ``Depends`` names (names that no package in the image has are kept
  in property ``assay:depends_missing``).
- ``vulnerabilities``: source and URL (NVD or OSV), aliases as references, the feeds'
  advisory URLs, CWEs, the CVSS rating (score, vector, method), the fix (recommendation and
  the fixed version as ``unaffected`` in ``affects``), and an analysis state
  (``exploitable`` for known-exploited, ``not_affected`` or ``in_triage`` with the reason for
  matches that do not count, else ``in_triage``) whose detail says why it matched. A match
  a VEX statement given at scan time suppresses is ``not_affected`` with the statement's
  justification (``resolved`` when it says fixed); one an ignore entry suppresses stays
  ``in_triage`` with the entry's reason; both carry the property ``assay:suppressed``.

The document is built as plain data, once per assessment for all versions asked for: the
object model of cyclonedx-python-lib took over a second for the WR703N's 656 matches. The
tests validate every version against the official schemas with that library's validators.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay import __version__
from assay.catalog.interface import PACKAGE_SOURCES
from assay.model.assessment import Assessment
from assay.model.component import Component
from assay.model.vulnerability import VulnerabilityMatch
from assay.present.gate import counts, why_not
from assay.present.licences import expression, single_id
from assay.present.native import presentable

if TYPE_CHECKING:
    from cyclonedx.model.vulnerability import VulnerabilityRating

TYPES = {"application", "library", "operating-system", "firmware"}
TECHNIQUE = {
    "opkg-db": ("manifest-analysis", 1.0),
    "dpkg-db": ("manifest-analysis", 1.0),
    "apk-db": ("manifest-analysis", 1.0),
    "binary-signature": ("binary-analysis", 0.8),
    "kernel-banner": ("binary-analysis", 0.9),
}
SEVERITIES = {"critical", "high", "medium", "low", "info", "none", "unknown"}
MAX_OCCURRENCES = 50
_CWE = re.compile(r"CWE-\d+")


def cvss_rating(score: Any, vector: str, severity: str) -> VulnerabilityRating | None:
    """A cyclonedx-python-lib rating from a CVSS score and vector (None without a score), for
    the VEX documents made with that library; the method follows the vector's version."""
    from cyclonedx.model.vulnerability import (
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
    )

    rating = _rating(score, vector, severity)
    if rating is None:
        return None
    from decimal import Decimal

    return VulnerabilityRating(
        score=Decimal(str(score)),
        severity=VulnerabilitySeverity(rating["severity"]),
        method=VulnerabilityScoreSource(rating["method"]),
        vector=vector or None,
    )


def _rating(score: Any, vector: str, severity: str) -> dict[str, Any] | None:
    if score is None:
        return None
    method = (
        "CVSSv4"
        if vector.startswith("CVSS:4")
        else "CVSSv31"
        if vector.startswith("CVSS:3.1")
        else "CVSSv3"
        if vector.startswith("CVSS:3")
        else "CVSSv2"
    )
    level = (severity or "unknown").lower()
    rating = {
        "score": float(score),
        "severity": level if level in SEVERITIES else "unknown",
        "method": method,
    }
    if vector:
        rating["vector"] = vector
    return rating


def document(assessment: Assessment) -> dict[str, Any]:
    """The CycloneDX 1.6 document of an assessment, as JSON-ready data."""
    shown = presentable(assessment)
    refs = {c.ref: f"component-{n}" for n, c in enumerate(shown.components, 1)}
    by_name: dict[str, list[Component]] = defaultdict(list)
    for comp in shown.components:
        if _is_package(comp):
            by_name[comp.name].append(comp)
    nested: dict[str, list[dict[str, Any]]] = defaultdict(list)
    top: list[tuple[Component, dict[str, Any]]] = []
    for comp in shown.components:
        entry = _component(comp, refs[comp.ref])
        owner = dict(comp.properties).get("package", "")
        if owner in by_name and not _is_package(comp):
            nested[refs[by_name[owner][0].ref]].append(entry)
        else:
            top.append((comp, entry))
    dependencies = [{"ref": "target", "dependsOn": [entry["bom-ref"] for _, entry in top]}]
    for comp in shown.components:
        wanted = [refs[p.ref] for name in comp.depends for p in by_name.get(name, ())]
        dependencies.append({"ref": refs[comp.ref], "dependsOn": sorted(set(wanted))})
    for comp, entry in top:
        missing = [name for name in comp.depends if name not in by_name]
        if missing:
            entry["properties"].append(
                {"name": "assay:depends_missing", "value": " ".join(missing)}
            )
        if entry["bom-ref"] in nested:
            entry["components"] = nested[entry["bom-ref"]]
            entry["evidence"] = entry.pop("evidence")  # after components, as XML orders them
    components = {c.ref: c for c in shown.components}
    doc: dict[str, Any] = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": _metadata(shown),
        "components": [entry for _, entry in top],
        "dependencies": dependencies,
        "vulnerabilities": [
            _vulnerability(m, refs[m.component], components[m.component])
            for m in shown.vulnerabilities
            if m.component in refs
        ],
    }
    if not doc["vulnerabilities"]:
        del doc["vulnerabilities"]
    return doc


def _is_package(comp: Component) -> bool:
    return any(s in PACKAGE_SOURCES for s in comp.found_by)


def _metadata(shown: Assessment) -> dict[str, Any]:
    ident = shown.identity
    product = " ".join(x for x in (ident.vendor, ident.model, ident.hardware_version) if x)
    maker = _organisation((shown.declaration or {}).get("manufacturer"))
    firmware: dict[str, Any] = {"type": "firmware", "bom-ref": "target"}
    if maker:
        firmware["supplier"] = maker
        firmware["manufacturer"] = maker
    firmware["name"] = product or Path(shown.target.path).name
    version = " ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x)
    if version:
        firmware["version"] = version
    if re.fullmatch(r"[0-9a-f]{64}", shown.target.sha256 or ""):
        firmware["hashes"] = [{"alg": "SHA-256", "content": shown.target.sha256}]
    metadata: dict[str, Any] = {
        "timestamp": _datetime(shown.created) or datetime.now(UTC).isoformat(timespec="seconds"),
        "lifecycles": [{"phase": "post-build"}],
        "tools": {
            "components": [
                {
                    "type": "application",
                    "publisher": "Assay",
                    "name": "assay",
                    "version": __version__,
                }
            ]
        },
        "authors": [{"name": "Assay (automated analysis of the image)"}],
        "component": firmware,
    }
    if maker:
        metadata["manufacturer"] = maker
        metadata["supplier"] = maker
    return metadata


def _organisation(declared: Any) -> dict[str, Any]:
    """A CycloneDX organizational entity from the declaration's ``manufacturer``."""
    if not isinstance(declared, dict) or not declared.get("name"):
        return {}
    entity: dict[str, Any] = {"name": str(declared["name"])}
    if str(declared.get("website", "")).startswith("https://"):
        entity["url"] = [str(declared["website"])]
    contact = str(declared.get("contact", ""))
    if contact.startswith("mailto:"):
        entity["contact"] = [{"email": contact.removeprefix("mailto:")}]
    elif contact.startswith("tel:"):
        entity["contact"] = [{"phone": contact.removeprefix("tel:")}]
    elif contact.startswith("https://"):
        entity.setdefault("url", []).append(contact)
    return entity


def _component(comp: Component, ref: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": comp.type if comp.type in TYPES else "application",
        "bom-ref": ref,
    }
    if comp.supplier:
        entry["supplier"] = {"name": comp.supplier}
    entry["name"] = comp.name
    if comp.version:
        entry["version"] = comp.version
    if comp.description:
        entry["description"] = comp.description
    if comp.sha256:
        entry["hashes"] = [{"alg": "SHA-256", "content": comp.sha256}]
    if comp.license:
        entry["licenses"] = [licence(comp.license)]
    if comp.cpe:
        entry["cpe"] = comp.cpe
    if comp.purl:
        entry["purl"] = comp.purl
    props = [{"name": "assay:found_by", "value": s} for s in comp.found_by]
    props += [{"name": f"assay:{k}", "value": v} for k, v in comp.properties]
    for name, value in (("arch", comp.arch), ("source_package", comp.source_package)):
        if value:
            props.append({"name": f"assay:{name}", "value": value})
    if comp.files:
        props.append({"name": "assay:files_owned", "value": str(len(comp.files))})
    entry["properties"] = sorted(props, key=lambda p: (p["name"], p["value"]))
    methods = []
    best = 0.5
    for source in comp.found_by:
        technique, confidence = TECHNIQUE.get(source, ("other", 0.5))
        methods.append({"technique": technique, "confidence": confidence, "value": source})
        best = max(best, confidence)
    evidence: dict[str, Any] = {
        "identity": [
            {
                "field": "purl" if comp.purl else "name",
                "confidence": best,
                "methods": methods,
            }
        ]
    }
    if comp.locations:
        evidence["occurrences"] = [{"location": p} for p in comp.locations[:MAX_OCCURRENCES]]
    entry["evidence"] = evidence
    return entry


def licence(text: str) -> dict[str, Any]:
    """A CycloneDX licence choice: an SPDX id, an SPDX expression, or the text as a name."""
    spdx = expression(text)
    if spdx is None:
        return {"license": {"name": text}}
    return {"license": {"id": spdx}} if single_id(spdx) else {"expression": spdx}


def _vulnerability(match: VulnerabilityMatch, ref: str, comp: Component) -> dict[str, Any]:
    state = "exploitable" if match.kev else "in_triage"
    detail = str(match.why.get("reason", ""))
    installed = "affected" if match.status in ("affected", "probable") else "unknown"
    if not counts(match):
        state = "not_affected" if match.status == "not_affected" else "in_triage"
        installed = "unaffected" if state == "not_affected" else "unknown"
        detail = why_not(match) or detail
    entry: dict[str, Any] = {
        "bom-ref": f"{match.id}:{ref}",
        "id": match.id,
        "source": _source(match.id),
    }
    if match.aliases:
        entry["references"] = [{"id": a, "source": _source(a)} for a in match.aliases]
    rating = _rating(match.cvss_score, match.cvss_vector, match.severity)
    if rating is not None:
        source = (match.why.get("rating") or {}).get("source")
        if isinstance(source, str) and source:
            rating = {"source": {"name": source}, **rating}
        entry["ratings"] = [rating]
    cwes = sorted({int(c[4:]) for c in match.cwes if _CWE.fullmatch(c)})
    if cwes:
        entry["cwes"] = cwes
    if match.description:
        entry["description"] = match.description
    fixed = str(match.fixed_in.get("version", "")) if match.fixed_in else ""
    if fixed:
        entry["recommendation"] = f"Upgrade to {fixed} or later."
    if match.references:
        entry["advisories"] = [{"url": url} for url in match.references]
    published = _datetime(match.published)
    if published:
        entry["published"] = published
    versions = [{"version": comp.version, "status": installed}] if comp.version else []
    if fixed and fixed != comp.version:
        versions.append({"version": fixed, "status": "unaffected"})
    target: dict[str, Any] = {"ref": ref}
    if versions:
        target["versions"] = versions
    analysis: dict[str, Any] = {"state": state}
    mark = match.suppressed
    if mark.get("by") == "vex":  # a VEX statement given at scan time
        from assay.present.vex.justifications import to_format

        fixed_by_vex = mark.get("status") == "fixed"
        analysis["state"] = "resolved" if fixed_by_vex else "not_affected"
        word = to_format(mark.get("justification", ""), "cyclonedx")
        if word and not fixed_by_vex:
            analysis["justification"] = word
    if detail:
        analysis["detail"] = detail
    entry["analysis"] = analysis
    entry["affects"] = [target]
    props = [
        {"name": "assay:priority", "value": match.priority},
        {"name": "assay:kev", "value": str(match.kev).lower()},
        {"name": "assay:confidence", "value": match.confidence},
    ]
    if match.epss is not None:
        props.append({"name": "assay:epss", "value": f"{match.epss:.5f}"})
    if match.conditional:
        props.append({"name": "assay:conditional", "value": "true"})
    if match.suppressed:
        props.append({"name": "assay:suppressed", "value": match.suppressed.get("by", "")})
    entry["properties"] = props
    return entry


def _source(vuln_id: str) -> dict[str, str]:
    """Where a vulnerability id is described: NVD for CVEs, OSV for the rest."""
    if vuln_id.startswith("CVE-"):
        return {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{vuln_id}"}
    return {"name": "OSV", "url": f"https://osv.dev/vulnerability/{vuln_id}"}


def _datetime(text: str) -> str:
    """An ISO date-time with its offset (UTC when the feed gives none), or ""."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return ""
    if moment is None:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def render(assessment: Assessment, kind: str = "json", version: str = "1.6") -> str:
    """The SBOM as CycloneDX ``kind`` (json | xml) of ``version`` (1.6, 1.5 or 1.4)."""
    from assay.present.cyclonedx_versions import render_version

    return render_version(assessment, kind, version)


def json_bytes(assessment: Assessment, version: str = "1.6") -> bytes:
    """The SBOM as CycloneDX JSON of ``version``, in UTF-8."""
    from assay.present.cyclonedx_versions import json_version

    return json_version(assessment, version)


def write(assessment: Assessment, out_dir: Path) -> Path:
    """Write the SBOM as CycloneDX 1.6 JSON (the tests validate it against the schema)."""
    path = out_dir / "sbom.cdx.json"
    path.write_bytes(json_bytes(assessment))
    return path
