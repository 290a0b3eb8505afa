"""CSAF 2.0 mandatory tests on scores: 6.1.7 (one score per version and product), 6.1.9 (the
scores are what the vector computes to) and 6.1.10 (the properties agree with the vector)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from cvss import CVSS2, CVSS3
from cvss.exceptions import CVSSError

from assay.present.vex.csaf_rules import Doc, RuleFailure, Test, vulnerabilities

SCORE_FIELDS = {
    "cvss_v3": (
        ("baseScore", "baseSeverity"),
        ("temporalScore", "temporalSeverity"),
        ("environmentalScore", "environmentalSeverity"),
    ),
    "cvss_v2": (("baseScore", None), ("temporalScore", None), ("environmentalScore", None)),
}


@cache
def _fields() -> dict[str, dict[str, list[Any]]]:
    text = files("assay.present.vex").joinpath("cvss_fields.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, list[Any]]] = yaml.safe_load(text)
    return data


def t_6_1_7(doc: Doc) -> list[RuleFailure]:
    out = []
    for vpath, vuln in vulnerabilities(doc):
        seen: set[tuple[str, str, str]] = set()
        for i, score in enumerate(vuln.get("scores") or []):
            if not isinstance(score, dict):
                continue
            for kind in ("cvss_v2", "cvss_v3"):
                version = str((score.get(kind) or {}).get("version", "")) if kind in score else ""
                if kind not in score:
                    continue
                for pid in score.get("products") or []:
                    key = (pid, kind, version)
                    if key in seen:
                        msg = f"product {pid!r} has a second {kind} score of version {version}"
                        out.append(RuleFailure("6.1.7", f"{vpath}.scores[{i}]", msg))
                    seen.add(key)
    return out


def _computed(kind: str, vector: str) -> tuple[list[float | None], list[str | None]]:
    if kind == "cvss_v3":
        c3 = CVSS3(vector)
        return list(c3.scores()), [s.upper() for s in c3.severities()]
    c2 = CVSS2(vector)
    return list(c2.scores()), [None, None, None]


def _scored(doc: Doc) -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    for vpath, vuln in vulnerabilities(doc):
        for i, score in enumerate(vuln.get("scores") or []):
            out.extend(
                (f"{vpath}.scores[{i}].{kind}", kind, score[kind])
                for kind in ("cvss_v2", "cvss_v3")
                if isinstance(score, dict) and isinstance(score.get(kind), dict)
            )
    return out


def t_6_1_9(doc: Doc) -> list[RuleFailure]:
    out = []
    for path, kind, data in _scored(doc):
        vector = data.get("vectorString")
        if not isinstance(vector, str):
            continue
        try:
            scores, severities = _computed(kind, vector)
        except (CVSSError, ValueError, KeyError) as err:
            out.append(RuleFailure("6.1.9", f"{path}.vectorString", f"cannot compute: {err}"))
            continue
        for (score_field, sev_field), value, sev in zip(
            SCORE_FIELDS[kind], scores, severities, strict=True
        ):
            given = data.get(score_field)
            if given is not None and value is not None and float(given) != float(value):
                msg = f"{score_field} {given} but the vector computes to {value}"
                out.append(RuleFailure("6.1.9", f"{path}.{score_field}", msg))
            if sev_field and data.get(sev_field) is not None and sev and data[sev_field] != sev:
                msg = f"{sev_field} {data[sev_field]} but the vector gives {sev}"
                out.append(RuleFailure("6.1.9", f"{path}.{sev_field}", msg))
    return out


def t_6_1_10(doc: Doc) -> list[RuleFailure]:
    out = []
    for path, kind, data in _scored(doc):
        vector = data.get("vectorString")
        if not isinstance(vector, str):
            continue
        table = _fields()["v3" if kind == "cvss_v3" else "v2"]
        parts = [p.split(":", 1) for p in vector.split("/") if ":" in p]
        metrics = dict(parts)
        if kind == "cvss_v3" and metrics.get("CVSS") not in (None, str(data.get("version"))):
            msg = f"vector is CVSS {metrics['CVSS']} but version is {data.get('version')}"
            out.append(RuleFailure("6.1.10", f"{path}.version", msg))
        for abbrev, (prop, values) in table.items():
            if prop in data and abbrev in metrics and values.get(metrics[abbrev]) != data[prop]:
                msg = f"{prop} is {data[prop]} but the vector says {abbrev}:{metrics[abbrev]}"
                out.append(RuleFailure("6.1.10", f"{path}.{prop}", msg))
    return out


CVSS_TESTS: dict[str, Test] = {"6.1.7": t_6_1_7, "6.1.9": t_6_1_9, "6.1.10": t_6_1_10}
