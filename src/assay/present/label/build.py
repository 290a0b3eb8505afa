"""Derive the label from an assessment document (``Assessment.to_dict()``) by ``rules.yaml``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any

from assay.errors import AssayError
from assay.present.label import declaration as decl
from assay.present.label.model import Fact, Label, Level
from assay.present.label.rules import RULES, FactRule
from assay.vulns.counts import kev_ids as counted_kev

OK = ("PASS", "NOT_APPLICABLE")


def build_label(
    document: dict[str, Any],
    registry_url: str = "",
    today: date | None = None,
    self_asserted_by: str | None = None,
) -> Label:
    """The label of one assessment. Missing sections give "Unknown", never "Yes".

    ``self_asserted_by`` (a manufacturer's name): the document was neither made nor signed by
    Assay, so nothing in it is believed: no level, and every "Yes" becomes "Unknown"."""
    declaration = document.get("declaration") or None
    if not isinstance(declaration, dict):
        declaration = None
    identity = document.get("identity") or {}
    verdicts = [v for v in document.get("verdicts") or [] if isinstance(v, dict)]
    findings = [f for f in document.get("findings") or [] if isinstance(f, dict)]
    kev_ids = counted_kev(v for v in document.get("vulnerabilities") or [] if isinstance(v, dict))
    passwords = _fact("no_default_passwords", verdicts, findings)
    updates = _declared_or(decl.flag(declaration, "automatic_updates"), "automatic_updates")
    if updates is None:
        updates = _fact("automatic_updates", verdicts, findings)
    reporting = _reporting(declaration, verdicts, findings)
    support = decl.support_until(declaration)
    sensitive = decl.items(declaration, "sensitive_data")
    personal = decl.items(declaration, "personal_data")
    target = _mapping(document.get("target"))
    label = Label(
        manufacturer=decl.text(declaration, "manufacturer") or str(identity.get("vendor") or ""),
        product=decl.text(declaration, "product") or _os_name(identity),
        model=decl.text(declaration, "model") or str(identity.get("model") or ""),
        hardware_version=decl.text(declaration, "hardware_version")
        or str(identity.get("hardware_version") or ""),
        firmware_version=decl.text(declaration, "firmware_version") or _firmware(identity),
        support_until=support,
        today=today or datetime.now(UTC).date(),
        level=Level(0, (), ()),
        no_default_passwords=passwords,
        automatic_updates=updates,
        vulnerability_reporting=reporting,
        kev_unfixed=len(kev_ids),
        kev_ids=kev_ids,
        sensitive_data=sensitive,
        personal_data=personal,
        sensors=decl.items(declaration, "sensors"),
        data_declared=bool(sensitive) or decl.declared_none(declaration, "sensitive_data"),
        registry_url=registry_url,
        assessed=str(document.get("created") or ""),
        personal_declared=bool(personal)
        or decl.declared_none(declaration, "personal_data")
        or decl.flag(declaration, "personal_data_processed") is False,
        basis="sbom" if target.get("kind") == "sbom" else "firmware",
        declared=declaration is not None,
    )
    evidence = [*_list(decl.lookup(declaration, "third_party_evidence"))]
    evidence += _list(_mapping(document.get("facts")).get("third_party_evidence"))
    if self_asserted_by is not None:
        return _self_asserted(label, self_asserted_by or "the manufacturer")
    return _with_level(label, verdicts, evidence)


def _self_asserted(label: Label, maker: str) -> Label:
    """``label`` as a claim of ``maker``: no level, no "Yes" (a "No" it admits stays)."""
    why = f"self-asserted by {maker}, not verified by Assay"

    def doubt(fact: Fact) -> Fact:
        return Fact(None, f"{why}: {fact.reason}", fact.evidence) if fact.value else fact

    return replace(
        label,
        level=Level(0, (), (f"any level: {why} (not scanned by the registry, not signed)",)),
        no_default_passwords=doubt(label.no_default_passwords),
        automatic_updates=doubt(label.automatic_updates),
        vulnerability_reporting=doubt(label.vulnerability_reporting),
        self_asserted_by=maker,
    )


def _os_name(identity: dict[str, Any]) -> str:
    return " ".join(str(identity.get(k) or "") for k in ("os_name",)).strip()


def _firmware(identity: dict[str, Any]) -> str:
    parts = [str(identity.get(k) or "") for k in ("os_name", "os_version", "os_build")]
    return " ".join(p for p in parts if p)


def _declared_or(value: bool | None, field: str) -> Fact | None:
    if value is None:
        return None
    word = "declares" if value else "declares no"
    return Fact(
        value, f"the manufacturer {word} {field.replace('_', ' ')}", (f"declaration.{field}",)
    )


@lru_cache(maxsize=64)
def _norm_key(name: str) -> str:
    """``RULES.norm_key`` (a regular expression a call) of the few norm names verdicts carry,
    once per name (a label reads hundreds of verdicts for each of its facts)."""
    return RULES.norm_key(name)


def _matching(rule: FactRule, verdicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    hits = []
    for verdict in verdicts:
        key = _norm_key(str(verdict.get("norm") or ""))
        text = f"{verdict.get('requirement') or ''} {verdict.get('title') or ''}".lower().strip()
        if any(r.norm == key and r.pattern.search(text) for r in rule.verdicts):
            hits.append(verdict)
    return hits


def _fact(name: str, verdicts: list[dict[str, Any]], findings: list[dict[str, Any]]) -> Fact:
    """FAIL anywhere -> No; else a PASS -> Yes; else Unknown (no evidence is never a Yes)."""
    rule = RULES.facts[name]
    hits = _matching(rule, verdicts)
    checks = [
        f for f in findings if any(p in str(f.get("check", "")).lower() for p in rule.findings)
    ]
    refs = [f"{v.get('norm')} {v.get('requirement')}: {v.get('verdict')}" for v in hits]
    refs += [f"check {f.get('check')}: {f.get('verdict')}" for f in checks]
    failed = [v for v in hits if v.get("verdict") == "FAIL"] + [
        f for f in checks if f.get("verdict") == "FAIL"
    ]
    if failed:
        first = failed[0]
        why = first.get("reason") or first.get("summary") or first.get("title") or ""
        return Fact(False, _short(f"failed: {why}".rstrip(": ")), tuple(refs))
    if any(v.get("verdict") == "PASS" for v in hits):
        return Fact(True, "the requirement passed", tuple(refs))
    if not hits and not checks:
        return Fact(None, "no verdict in this assessment decides it")
    return Fact(None, "the evidence does not decide it", tuple(refs))


def _reporting(
    declaration: dict[str, Any] | None,
    verdicts: list[dict[str, Any]],
    findings: list[dict[str, Any]],
) -> Fact:
    fact = _fact("vulnerability_reporting", verdicts, findings)
    if fact.value is not None:
        return fact
    contact = decl.text(declaration, "disclosure_contact")
    policy = decl.text(declaration, "disclosure_policy")
    if contact or policy:
        refs = tuple(f"declaration.{n}" for n, v in (("contact", contact), ("policy", policy)) if v)
        return Fact(True, f"the manufacturer declares {contact or policy}", refs)
    return fact


def _with_level(label: Label, verdicts: list[dict[str, Any]], evidence: list[Any]) -> Label:
    met: list[str] = []
    missing = _baseline_missing(label)
    if not missing:
        met.append("1: no default passwords, a way to report vulnerabilities, a support period")
        missing = _mandatory_missing(verdicts, label)
        if not missing:
            met.append("2: every mandatory EN 303 645 provision passes")
            missing = _evidence_missing(evidence, RULES.level3_evidence, "binary analysis", 3)
            if not missing:
                met.append("3: third-party binary analysis on record")
                missing = _evidence_missing(evidence, RULES.level4_evidence, "penetration test", 4)
                if not missing:
                    met.append("4: third-party penetration test on record")
    return replace(label, level=Level(len(met), tuple(met), tuple(missing)))


def _baseline_missing(label: Label) -> list[str]:
    missing = []
    if label.no_default_passwords.value is not True:
        missing.append(f"level 1: no default passwords is {label.no_default_passwords.word}")
    if label.vulnerability_reporting.value is not True:
        missing.append("level 1: no declared or verified way to report vulnerabilities")
    if label.support_until is None:
        missing.append("level 1: no declared security support end date")
    return missing


def _mandatory_missing(verdicts: list[dict[str, Any]], label: Label) -> list[str]:
    seen: dict[str, str] = {}
    for verdict in verdicts:
        if _norm_key(str(verdict.get("norm") or "")) == "en303645":
            req = str(verdict.get("requirement") or "").strip()
            req = req.split()[-1] if req else req
            seen[req] = str(verdict.get("verdict") or "")
    missing = [
        f"level 2: EN 303 645 {req} is {seen.get(req) or 'not assessed'}"
        for req in mandatory_en303645()
        if seen.get(req) not in OK
    ]
    if label.kev_unfixed:
        missing.append(f"level 2: {label.kev_unfixed} known exploited vulnerabilities unfixed")
    return missing


@cache
def mandatory_en303645() -> tuple[str, ...]:
    """Mandatory EN 303 645 provisions per the norms catalogue (``rules.yaml`` as fallback)."""
    try:
        from assay.norms.catalog import load_catalog

        ids = tuple(
            r.id
            for r in load_catalog().requirements("en303645")
            if r.status == "mandatory" or (r.status == "conditional" and r.strength == "mandatory")
        )
    except (ImportError, AssayError):
        return RULES.mandatory_en303645
    return ids or RULES.mandatory_en303645


def _short(text: str, limit: int = 160) -> str:
    """One short line: the first sentence, cut at ``limit`` characters."""
    text = " ".join(str(text).split())
    first = text.split("; ")[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "\u2026"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _evidence_missing(
    entries: list[Any], kinds: frozenset[str], what: str, level: int
) -> list[str]:
    """[] when an entry of ``kinds`` names its lab and its report; else what is missing."""
    for entry in entries:
        if (
            isinstance(entry, dict)
            and str(entry.get("kind") or entry.get("type") or "").lower() in kinds
            and (entry.get("lab") or entry.get("by"))
            and (entry.get("report") or entry.get("reference"))
        ):
            return []
    return [f"level {level}: a third-party {what} (lab and report reference) on record"]
