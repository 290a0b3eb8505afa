"""Versions between versions: a development build that lies strictly between two versions
an NVD configuration enumerates as vulnerable is a *probable* match.

NVD often lists every affected release one by one (hostapd 0.7.0 ... 1.1, 2.0 ... 2.4). A
snapshot such as hostapd ``2.0-devel`` is none of them, yet it was cut after 1.1 and before
2.0, both vulnerable, with no listed release between them that could have fixed the flaw. The
configuration is evaluated again with the release the build leads to (here 2.0), so platform
conditions still apply; the match says ``probable`` and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cmp_to_key
from typing import Any

from assay.vulns.cpe import ANY, NA, parse_cpe
from assay.vulns.nvdmatch import RANGE_KEYS, Context, Outcome, Tri, evaluate
from assay.vulns.versions import compare, is_comparable, is_prerelease


@dataclass(frozen=True)
class Between:
    result: tuple[Tri, Outcome]
    low: str
    high: str
    reason: str


def listed_versions(configurations: list[Any], ctx: Context) -> list[str]:
    """The exact versions of the component the configurations mark vulnerable, ascending."""
    listed: set[str] = set()
    for conf in configurations:
        for node in conf.get("nodes", ()) if isinstance(conf, dict) else ():
            for m in node.get("cpeMatch", ()):
                if not m.get("vulnerable") or any(m.get(k) for k in RANGE_KEYS):
                    continue
                cpe = parse_cpe(m.get("criteria", ""))
                if cpe is None or cpe.key not in ctx.lookup.names or cpe.version in (ANY, NA):
                    continue
                if is_comparable(cpe.effective_version):
                    listed.add(cpe.effective_version)
    return sorted(listed, key=cmp_to_key(compare))


def probable(configurations: list[Any], ctx: Context) -> Between | None:
    """The two listed vulnerable versions a development build lies between, with the result
    of the configurations for the later one; ``None`` when it is not such a build."""
    version = ctx.lookup.version
    if not is_prerelease(version):
        return None
    listed = listed_versions(configurations, ctx)
    for low, high in zip(listed, listed[1:], strict=False):
        if compare(low, version) < 0 < compare(high, version):
            later = replace(ctx, lookup=replace(ctx.lookup, version=high))
            result = evaluate(configurations, later)
            if result is None:
                return None
            reason = (
                f"{version} is a development build between {low} and {high}, which the record "
                f"lists as vulnerable with no release between them"
            )
            return Between(result, low, high, reason)
    return None
