"""The first fixed version of a match (``fixed_in``) and "upgrading X to Y fixes N of M".

``fixed_in`` comes from, in order: the matched NVD criterion's ``versionEndExcluding``; the
CVE record's ``lessThan`` for the product (CNA or ADP); an OSV ``fixed`` event. Each says
where it came from. When none names a fixed version the match says "no fix known" (with the
last affected version when the record gives one).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

from assay.model.vulnerability import VulnerabilityMatch
from assay.vulns.counts import counts
from assay.vulns.versions import compare, is_comparable

NO_FIX = "no fix known"
_LESS = re.compile(r"< (\S+):")
_OSV_FIXED = re.compile(r"fixed (\S+)$")


def _cve5_fixed(record: Any) -> str:
    """The lowest ``lessThan`` bound of an affected range in a CVE record (or "")."""
    bounds = []
    for entry in getattr(record, "affected", None) or ():
        for v in entry.get("versions") or () if isinstance(entry, dict) else ():
            less = str(v.get("lessThan", "")) if isinstance(v, dict) else ""
            usable = str(v.get("versionType", "")).lower() != "git" and "*" not in less
            if usable and str(v.get("status", "")).lower() == "affected" and is_comparable(less):
                bounds.append(less)
    return min(bounds, key=cmp_to_key(compare)) if bounds else ""


def fixed_in(why: dict[str, Any], records: dict[str, Any]) -> dict[str, str]:
    """The first fixed version and its source, or ``{"version": "", "note": "no fix known"}``."""
    source = why.get("source", "")
    last = ""
    for crit in why.get("matched") or ():
        if crit.get("versionEndExcluding"):
            where = "NVD" if source == "nvd" else "NVD-format override"
            return {
                "version": str(crit["versionEndExcluding"]),
                "source": f"{where} configuration (affected before this version)",
            }
        last = last or str(crit.get("versionEndIncluding", ""))
        found = _LESS.search(str(crit.get("statement", "")))
        if found and is_comparable(found.group(1)):
            return {"version": found.group(1), "source": "CVE record (lessThan)"}
        found = _OSV_FIXED.search(str(crit.get("statement", "")))
        if found:
            return {"version": found.group(1), "source": f"OSV {why.get('record', '')} (fixed)"}
    cve5 = _cve5_fixed(records.get("cve5"))
    if cve5:
        return {"version": cve5, "source": "CVE record (lessThan)"}
    note = NO_FIX + (f" (the record says affected up to and including {last})" if last else "")
    return {"version": "", "note": note}


@dataclass(frozen=True)
class Upgrade:
    component: str
    to: str
    fixes: int
    of: int

    def text(self, name: str) -> str:
        return f"upgrading {name} to {self.to} fixes {self.fixes} of {self.of}"


def upgrades(matches: Iterable[VulnerabilityMatch]) -> dict[str, Upgrade]:
    """Per component: the lowest version that fixes every counting match with a known fix,
    and how many of its counting matches that is."""
    by_component: dict[str, list[VulnerabilityMatch]] = defaultdict(list)
    for m in matches:
        if counts(m):
            by_component[m.component].append(m)
    out: dict[str, Upgrade] = {}
    for component, found in by_component.items():
        versions = [m.fixed_in.get("version", "") for m in found]
        known = [v for v in versions if v]
        if known:
            to = max(known, key=cmp_to_key(compare))
            out[component] = Upgrade(component, to, len(known), len(found))
    return out
