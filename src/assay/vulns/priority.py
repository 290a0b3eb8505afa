"""Severity and priority of a vulnerability: CVSS, EPSS and KEV combined SSVC-style.

Severity is the CVSS base severity of the best rating available, chosen in this order:
NVD's primary rating, then any secondary rating (the CNA's or CISA ADP's), newest CVSS
version first (4.0, 3.1, 3.0, 2.0). Scores are recomputed from the vector with the ``cvss``
library when the vector parses, so a record's own number is checked, not trusted.

Priority is a decision on three points, in the spirit of CISA's SSVC coordinator tree:

* **Exploitation** — ``active`` when the CVE is in CISA's KEV catalog (or a record carries a
  CISA KEV date); ``likely`` when its EPSS probability is at least ``EPSS_LIKELY`` (0.1, about
  the top 5% of CVEs) or CISA's SSVC says ``poc``; else ``none``.
* **Exposure** — ``network`` when the CVSS attack vector is network (``AV:N``); ``adjacent``
  for adjacent network; ``local`` for local or physical; ``unknown`` without a vector.
* **Impact** — ``total`` when confidentiality, integrity and availability are all high
  (complete in CVSS 2) or the score is 9.0 or more; ``partial`` otherwise.

Outcome (the ``priority`` field of a match), most urgent first:

=========== ===================================================================
``act``     exploitation active, and exposure network or impact total
``attend``  exploitation active otherwise; or likely with network exposure and total impact
``track*``  exploitation likely with network exposure or total impact; or no known
            exploitation but network exposure and total impact
``track``   everything else
=========== ===================================================================

The inputs of the decision are returned with it so a report can show why.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

EPSS_LIKELY = 0.1
PRIORITIES = ("act", "attend", "track*", "track")
_VERSION_ORDER = {"4.0": 0, "3.1": 1, "3.0": 2, "2.0": 3}


@dataclass(frozen=True)
class Rating:
    version: str
    vector: str
    score: float | None
    severity: str  # critical | high | medium | low | none | unknown
    source: str


def _severity_v2(score: float) -> str:
    return "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"


def rate(metric: dict[str, Any]) -> Rating:
    """One CVSS rating, score and severity recomputed from the vector when possible."""
    score = metric.get("score")
    return _rate(
        str(metric.get("version", "")),
        str(metric.get("vector", "")),
        float(score) if isinstance(score, int | float) else None,
        str(metric.get("severity") or "").lower(),
        str(metric.get("source", "")),
    )


@lru_cache(maxsize=16384)
def _rate(version: str, vector: str, score: float | None, severity: str, source: str) -> Rating:
    try:
        if version == "2.0" and vector:
            score = float(CVSS2(vector.removeprefix("(").removesuffix(")")).base_score)
            severity = _severity_v2(score)
        elif version.startswith("3") and vector:
            c3 = CVSS3(vector)
            score, severity = float(c3.base_score), c3.severities()[0].lower()
        elif version.startswith("4") and vector:
            c4 = CVSS4(vector)
            score, severity = float(c4.base_score), c4.severity.lower()
    except (CVSSError, ValueError, KeyError, IndexError):
        pass
    if not severity and score is not None:
        severity = _severity_v2(score) if version == "2.0" else _severity_v3(score)
    return Rating(version, vector, score, severity or "unknown", source)


def _severity_v3(score: float) -> str:
    if score == 0:
        return "none"
    if score < 4.0:
        return "low"
    if score < 7.0:
        return "medium"
    return "high" if score < 9.0 else "critical"


def best_rating(metrics: list[dict[str, Any]]) -> Rating | None:
    """The rating to show: NVD primary first, then others; newest CVSS version first."""
    usable = [m for m in metrics if m.get("vector") or m.get("score") is not None]
    if not usable:
        return None
    usable.sort(
        key=lambda m: (
            0 if m.get("type") == "Primary" else 1,
            _VERSION_ORDER.get(str(m.get("version")), 9),
        )
    )
    return rate(usable[0])


def exposure(vector: str) -> str:
    parts = dict(p.split(":", 1) for p in vector.split("/") if ":" in p)
    av = parts.get("AV", "")
    if av == "N":
        return "network"
    if av == "A":
        return "adjacent"
    if av in ("L", "P"):
        return "local"
    return "unknown"


def impact(rating: Rating | None) -> str:
    if rating is None:
        return "partial"
    if rating.score is not None and rating.score >= 9.0:
        return "total"
    parts = dict(p.split(":", 1) for p in rating.vector.split("/") if ":" in p)
    keys = ("VC", "VI", "VA") if rating.version.startswith("4") else ("C", "I", "A")
    if all(parts.get(k) in ("H", "C") for k in keys):  # high (CVSS 3/4) or complete (CVSS 2)
        return "total"
    return "partial"


def decide(
    rating: Rating | None, kev: bool, epss: float | None, ssvc_exploitation: str = ""
) -> tuple[str, dict[str, str]]:
    """The priority and the three decision points that led to it."""
    if kev or ssvc_exploitation.lower() == "active":
        exploitation = "active"
    elif (epss is not None and epss >= EPSS_LIKELY) or ssvc_exploitation.lower() == "poc":
        exploitation = "likely"
    else:
        exploitation = "none"
    expo = exposure(rating.vector) if rating else "unknown"
    imp = impact(rating)
    network, total = expo == "network", imp == "total"
    if exploitation == "active":
        priority = "act" if network or total else "attend"
    elif exploitation == "likely":
        priority = "attend" if network and total else "track*" if network or total else "track"
    else:
        priority = "track*" if network and total else "track"
    return priority, {"exploitation": exploitation, "exposure": expo, "impact": imp}
