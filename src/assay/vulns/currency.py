"""Which vulnerability data a scan used, and how old it is.

``data_used`` is what ``assessment.json`` keeps in ``facts.vulnerability_store``: the store
(location, origin, revision), every feed document it holds with the feed's own date, the
lower-priority bundled snapshot when one was layered under it, the newest feed date and the
data's age. When that age passes ``ASSAY_MAX_DATA_AGE_DAYS`` (30 by default) it carries a
``warning`` the scan prints.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from assay.vulns.store import Store

DEFAULT_MAX_AGE_DAYS = 30
ENV_MAX_AGE = "ASSAY_MAX_DATA_AGE_DAYS"


def max_age_days() -> int:
    text = os.environ.get(ENV_MAX_AGE, "").strip()
    return int(text) if text.isdigit() else DEFAULT_MAX_AGE_DAYS


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _sources(store: Store) -> list[dict[str, str]]:
    return [
        {
            "feed": f.format,
            "file": Path(f.path).name,
            "date": f.timestamp[:10],
            "imported": f.imported[:10],
        }  # fmt: skip
        for f in store.status().feeds
    ]


def data_used(
    store: Store, fallback: Store | None = None, today: date | None = None
) -> dict[str, Any]:
    """The data a scan matched against, with its dates and a warning when it is old."""
    today = today or datetime.now(UTC).date()
    sources = _sources(store)
    info: dict[str, Any] = {
        "location": str(store.location),
        "origin": store.origin,
        "revision": store.revision(),
        "sources": sources,
    }
    if fallback is not None:
        info["fallback"] = {
            "origin": fallback.origin,
            "location": str(fallback.location),
            "use": "records the store lacks (lower priority)",
        }
    dates = [d for d in (_day(s["date"]) for s in sources if s["feed"] != "snapshot") if d]
    if not dates:  # the bundled snapshot: its own build date
        dates = [d for d in (_day(s["date"]) for s in sources) if d]
    if dates:
        newest = max(dates)
        info["newest_feed_date"] = newest.isoformat()
        info["age_days"] = (today - newest).days
        limit = max_age_days()
        if info["age_days"] > limit:
            info["warning"] = (
                f"the vulnerability data is {info['age_days']} days old (newest feed "
                f"{newest.isoformat()}; limit {limit} days, {ENV_MAX_AGE}): matches published "
                "since are missing; run 'assay feeds update' or import newer feed files"
            )
    else:
        info["warning"] = "the vulnerability data names no feed date: its age is unknown"
    return info


def data_line(info: Any) -> str:
    """One sentence naming the data a scan used (for the report), "" when none is known."""
    if not isinstance(info, dict) or not info.get("origin"):
        return ""
    feeds = sorted({str(s.get("feed")) for s in info.get("sources") or [] if s.get("feed")})
    text = f"{info['origin']} revision {info.get('revision', '?')}"
    if feeds:
        text += f" ({', '.join(feeds)})"
    if info.get("newest_feed_date"):
        text += f", newest feed {info['newest_feed_date']} ({info.get('age_days')} days old)"
    if info.get("fallback"):
        text += f"; {info['fallback'].get('origin')} for records the store lacks"
    if info.get("warning"):
        text += f". Warning: {info['warning']}"
    return text + "."
