"""A supply-chain policy as data: what a brand owner or operator requires of a firmware's
claims, evaluated rule by rule on the evidence document.

Each rule gives PASS, FAIL or INCONCLUSIVE (the evidence it needs is missing); the policy
passes only when every rule passes. The keys are listed in ``RULES`` and docs/supply-chain.md.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from assay.errors import InputError
from assay.supply.compare import version_agrees
from assay.supply.inventory import Inventory

Outcome = tuple[str, str]  # (PASS | FAIL | INCONCLUSIVE, reason)
Rule = Callable[[Any, dict[str, Any], Inventory], Outcome]


def load_policy(path: Path) -> dict[str, Any]:
    """Read and check a policy file; unknown rules are an error (a typo must not pass)."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise InputError(f"cannot read policy {path}: {err}", "give a YAML policy file") from err
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict) or not data["rules"]:
        raise InputError(f"policy {path} has no 'rules:' mapping", "see docs/supply-chain.md")
    unknown = sorted(set(data["rules"]) - set(RULES))
    if unknown:
        raise InputError(
            f"policy {path}: unknown rule(s) {', '.join(unknown)}",
            f"known rules: {', '.join(sorted(RULES))}",
        )
    for name, value in data["rules"].items():
        problem = _bad_value(name, value)
        if problem:
            raise InputError(f"policy {path}: rule {name}: {problem}", "see docs/supply-chain.md")
    return {"path": str(path), "name": str(data.get("name", path.stem)), "rules": data["rules"]}


def _bad_value(name: str, value: Any) -> str:
    """What is wrong with a rule's value ('' when nothing)."""
    if name == "sbom_fidelity_min":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
        return "" if ok else "give a number from 0 to 1"
    if name in ("builder", "source"):
        items = value if isinstance(value, list) else [value]
        return (
            "" if items and all(isinstance(v, str) and v for v in items) else "give text or a list"
        )
    if name == "end_of_life":
        for entry in value if isinstance(value, list) else [None]:
            if not isinstance(entry, dict) or "name" not in entry or "ended" not in entry:
                return "give a list of {name, version, ended}"
            try:
                dt.date.fromisoformat(str(entry["ended"]))
            except ValueError:
                return f"ended {entry['ended']!r} is not a date (YYYY-MM-DD)"
        return ""
    return "" if isinstance(value, bool) else "give true or false"


def needs_inventory(policy: dict[str, Any]) -> bool:
    """Whether a rule reads the image's components (so the image must be scanned)."""
    return "end_of_life" in policy["rules"]


def _unmodified(value: Any, document: dict[str, Any], inv: Inventory) -> Outcome:
    if not value:
        return "PASS", "not required"
    installed = document.get("installed_files")
    if installed is None:
        return "INCONCLUSIVE", "installed files were not checked (--installed-files)"
    verdict = {"verified": "PASS", "failed": "FAIL"}.get(installed["result"], "INCONCLUSIVE")
    return verdict, installed["reason"]


def evaluate(policy: dict[str, Any], document: dict[str, Any], inv: Inventory) -> dict[str, Any]:
    """Every rule of the policy on the evidence document."""
    rules = []
    for name, value in policy["rules"].items():
        result, reason = RULES[name](value, document, inv)
        shown = json.loads(json.dumps(value, default=str))  # YAML dates become ISO text
        rules.append({"rule": name, "required": shown, "result": result, "reason": reason})
    passed = all(r["result"] == "PASS" for r in rules)
    return {
        "path": policy["path"],
        "name": policy["name"],
        "result": "PASS" if passed else "FAIL",
        "rules": rules,
    }


def _sbom(document: dict[str, Any]) -> dict[str, Any] | None:
    sbom: dict[str, Any] | None = document.get("sbom")
    return sbom


def _fidelity(value: Any, document: dict[str, Any], inv: Inventory) -> Outcome:
    sbom = _sbom(document)
    if sbom is None:
        return "FAIL", "no SBOM was given (--sbom)"
    if sbom["fidelity"] is None:
        return "INCONCLUSIVE", "no component was measured in the image"
    floor = float(value)
    verb = "PASS" if sbom["fidelity"] >= floor else "FAIL"
    return verb, f"fidelity {sbom['fidelity']:.4f} against a floor of {floor}"


def _count_rule(kind: str, label: str) -> Rule:
    def rule(value: Any, document: dict[str, Any], inv: Inventory) -> Outcome:
        if not value:
            return "PASS", "not required"
        sbom = _sbom(document)
        if sbom is None:
            return "FAIL", "no SBOM was given (--sbom)"
        names = [m["name"] for m in sbom["mismatches"] if m["kind"] == kind]
        if names:
            return "FAIL", f"{len(names)} {label}: {', '.join(names[:10])}"
        return "PASS", f"no {label}"

    return rule


def _provenance(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every provenance given, verified or not: a claim of a wrong builder fails even when
    its signature could not be checked; only a verified one can pass."""
    return [a for a in document.get("attestations") or [] if a["kind"] == "slsa-provenance"]


def _allowed_rule(field: str, matches: Callable[[str, list[str]], bool]) -> Rule:
    def rule(value: Any, document: dict[str, Any], inv: Inventory) -> Outcome:
        allowed = [str(v) for v in (value if isinstance(value, list) else [value])]
        claims = _provenance(document)
        for a in claims:
            claimed = str(a["details"].get(field, ""))
            if not matches(claimed, allowed):
                return "FAIL", f"{field} {claimed or '(none stated)'} in {a['path']} is not allowed"
        verified = [a for a in claims if a["result"] == "verified"]
        if not verified:
            why = f"; {claims[0]['path']}: {claims[0]['reason']}" if claims else ""
            return "FAIL", f"no verified provenance states the {field}{why}"
        return "PASS", f"{field} {verified[0]['details'][field]} (verified provenance)"

    return rule


def _exact(claimed: str, allowed: list[str]) -> bool:
    return claimed in allowed


def _prefix(claimed: str, allowed: list[str]) -> bool:
    return bool(claimed) and any(claimed.startswith(prefix) for prefix in allowed)


def _signed(value: Any, document: dict[str, Any], inv: Inventory) -> Outcome:
    if not value:
        return "PASS", "not required"
    binding = [
        a for a in document.get("attestations") or [] if a["result"] == "verified" and a["binds"]
    ]
    if binding:
        return "PASS", f"{binding[0]['kind']} {binding[0]['path']} verifies and names this image"
    sha = document["target"].get("sha256", "")
    return "FAIL", f"no verified signature or provenance names the image's sha256 {sha}"


def _eol(value: Any, document: dict[str, Any], inv: Inventory) -> Outcome:
    if not isinstance(value, list) or not value:
        return "INCONCLUSIVE", "no end-of-life data in the policy (a list of name/version/ended)"
    today = dt.date.today()
    past: list[str] = []
    for entry in value:
        ended = entry.get("ended")
        when = ended if isinstance(ended, dt.date) else dt.date.fromisoformat(str(ended))
        if when > today:
            continue
        series = str(entry.get("version", ""))
        past.extend(
            f"{m.name} {m.version} (series {series} ended {when})"
            for m in inv.components
            if m.name == entry.get("name") and _in_series(series, m)
        )
    if past:
        return "FAIL", f"past end of life: {'; '.join(past)}"
    return "PASS", f"none of {len(value)} end-of-life series is in the image"


def _in_series(series: str, m: Any) -> bool:
    if not series:
        return True
    for version in (m.upstream_version, m.version):
        if version == series or version.startswith(series + ".") or version_agrees(series, m):
            return True
    return False


RULES: dict[str, Rule] = {
    "sbom_fidelity_min": _fidelity,
    "no_undeclared": _count_rule("undeclared", "undeclared components"),
    "no_declared_absent": _count_rule("declared-absent", "declared but absent"),
    "no_version_mismatch": _count_rule("version", "version mismatches"),
    "no_hash_mismatch": _count_rule("hash", "hash mismatches"),
    "builder": _allowed_rule("builder", _exact),
    "source": _allowed_rule("source", _prefix),
    "signed_image": _signed,
    "end_of_life": _eol,
    "no_modified_files": _unmodified,
}
