"""FIRST EPSS scores: the daily CSV (``#model_version:...,score_date:...`` then
``cve,epss,percentile``) and the per-year ``CVE-ID;epss;percentile`` layout (no header)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assay.vulns.feeds.nvd import CVE_ID
from assay.vulns.records import EpssScore, FeedInfo, Item, Skipped

_SEMI = re.compile(r"^CVE-\d{4}-\d+;")


def looks_like_epss(first_line: str) -> bool:
    line = first_line.strip().lower()
    return line.startswith(("#model_version", "cve,epss")) or bool(_SEMI.match(first_line.strip()))


def read(text: str, info: FeedInfo) -> Iterator[Item]:
    info.format = "epss"
    score_date = ""
    for n, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            for part in line.lstrip("#").split(","):
                key, _, value = part.partition(":")
                info.extra[key.strip()] = value.strip()
                if key.strip() == "score_date":
                    score_date = value.strip()[:10]
                    info.timestamp = value.strip()
            continue
        if line.lower().startswith("cve,"):
            continue
        fields = re.split(r"[;,]", line)
        cve = fields[0].strip()
        try:
            if not CVE_ID.match(cve) or len(fields) < 3:
                raise ValueError("expected CVE id, epss, percentile")
            epss, pct = float(fields[1]), float(fields[2])
            if not (0.0 <= epss <= 1.0 and 0.0 <= pct <= 1.0):
                raise ValueError("score outside 0..1")
        except ValueError as exc:
            yield Skipped(cve or f"line {n + 1}", f"bad EPSS line: {exc}", info.name)
            continue
        yield EpssScore(cve, epss, pct, score_date)
