"""SARIF 2.1.0: failed checks and vulnerabilities as results, for code-scanning dashboards.

One run; its tool's rules are the checks that failed and the vulnerabilities that matched.
Every result has a location inside the image: the evidence path of a check, the first file of
a vulnerable component, relative to the ``IMAGEROOT`` base (the root of the image's file
system); a result without any path points at the image file itself. Matches that do not count
(``gate.counts``: not affected, an unsettled platform condition, a VEX statement or ignore
entry given at scan time) are kept, marked as suppressed with the reason (the VEX
justification, the ignore entry's reason; status ``accepted`` for those the user gave).
Severities map to ``level`` and to GitHub's ``security-severity`` property.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from assay import __version__
from assay.model.assessment import Assessment
from assay.model.check import Finding, Verdict
from assay.model.vulnerability import VulnerabilityMatch
from assay.present.gate import counts, why_not
from assay.present.native import json_bytes as native_json_bytes
from assay.present.native import json_text, presentable

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
BASE = "IMAGEROOT"


def render(assessment: Assessment) -> str:
    """The SARIF log as JSON text."""
    return json_text(build(assessment))


def json_bytes(assessment: Assessment) -> bytes:
    """The SARIF log as JSON in UTF-8."""
    return native_json_bytes(build(assessment))


def build(assessment: Assessment) -> dict[str, Any]:
    """The SARIF log as a dict."""
    shown = presentable(assessment)
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in shown.findings:
        if finding.verdict == Verdict.FAIL:
            rules.setdefault(finding.check, _check_rule(finding))
            results.append(_check_result(finding, shown.target.path))
    components = {c.ref: c for c in shown.components}
    for match in shown.vulnerabilities:
        component = components.get(match.component)
        rules.setdefault(match.id, _vuln_rule(match))
        where = component.locations[0] if component and component.locations else ""
        name = f"{component.name} {component.version}" if component else match.component
        results.append(_vuln_result(match, name, where, shown.target.path))
    index = {rule_id: n for n, rule_id in enumerate(rules)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "assay",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": list(rules.values()),
                    }
                },
                "originalUriBaseIds": {
                    BASE: {"description": {"text": "The root of the image's file system."}}
                },
                "results": results,
                "properties": {"target": shown.target.to_dict()},
            }
        ],
    }


def _severity(severity: str) -> dict[str, Any]:
    level = severity.lower()
    return {
        "tags": ["security", "firmware"],
        "security-severity": SECURITY_SEVERITY.get(level, "0.0"),
        "severity": level,
    }


def _check_rule(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.check,
        "name": finding.check.replace(".", "-"),
        "shortDescription": {"text": finding.title or finding.check},
        "fullDescription": {"text": finding.summary or finding.title or finding.check},
        "help": {"text": finding.fix or "See the Assay report."},
        "defaultConfiguration": {"level": LEVEL.get(finding.severity.lower(), "warning")},
        "properties": _severity(finding.severity),
    }


def _vuln_rule(match: VulnerabilityMatch) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": match.id,
        "name": match.id,
        "shortDescription": {"text": match.id},
        "fullDescription": {"text": match.description or match.id},
        "help": {"text": "Upgrade the component to a version that fixes it."},
        "properties": _severity(match.severity),
    }
    if match.cvss_score is not None:
        rule["properties"]["security-severity"] = f"{match.cvss_score:.1f}"
    if match.id.startswith("CVE-"):
        rule["helpUri"] = f"https://nvd.nist.gov/vuln/detail/{match.id}"
    elif match.id.startswith(("GHSA-", "OSV-")) or "-" in match.id:
        rule["helpUri"] = f"https://osv.dev/vulnerability/{quote(match.id)}"
    return rule


def _location(path: str, target: str, line: int | None = None) -> dict[str, Any]:
    if path.startswith("/"):
        artifact = {"uri": quote(path.lstrip("/")) or ".", "uriBaseId": BASE}
    else:
        artifact = {"uri": quote(target)}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _fingerprint(*parts: str) -> dict[str, str]:
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]
    return {"assay/v1": digest}


def _check_result(finding: Finding, target: str) -> dict[str, Any]:
    paths = [(e.path, e.line) for e in finding.evidence if e.path]
    locations = [_location(p, target, line) for p, line in paths[:10]] or [_location("", target)]
    text = finding.title or finding.check
    if finding.summary:
        text = f"{text}: {finding.summary}"
    return {
        "ruleId": finding.check,
        "level": LEVEL.get(finding.severity.lower(), "warning"),
        "message": {"text": text},
        "locations": locations,
        "partialFingerprints": _fingerprint(finding.check, *(p for p, _ in paths[:10])),
    }


def _vuln_result(match: VulnerabilityMatch, name: str, where: str, target: str) -> dict[str, Any]:
    fixed = (getattr(match, "fixed_in", None) or {}).get("version", "")
    text = f"{match.id} affects {name}"
    text += f" (fixed in {fixed})" if fixed else ""
    text += "; known exploited" if match.kev else ""
    result: dict[str, Any] = {
        "ruleId": match.id,
        "level": LEVEL.get(match.severity.lower(), "warning"),
        "message": {"text": text},
        "locations": [_location(where, target)],
        "partialFingerprints": _fingerprint(match.id, match.component),
        "properties": {
            "component": match.component,
            "kev": match.kev,
            "epss": match.epss,
            "status": str(getattr(match, "status", "affected")),
            "conditional": match.conditional,
        },
    }
    if not counts(match):
        reason = why_not(match) or "does not count"
        suppression = {"kind": "external", "justification": reason}
        if match.suppressed:  # a VEX statement or an ignore entry the user gave: accepted
            suppression["status"] = "accepted"
        result["suppressions"] = [suppression]
    return result
