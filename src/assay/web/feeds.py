"""Current status from the latest feeds: is a matched vulnerability known exploited *now*?

The product page re-checks the vulnerability ids of the latest assessment against the local
vulnerability store's CISA KEV table (``assay.vulns``), so a vulnerability added to KEV after
the scan counts at once. Without a usable store the page says the status is as of the scan.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assay.errors import AssayError
from assay.vulns.layers import kev_entries

TTL = 300.0  # seconds a KEV answer is reused (feeds change daily at most)


class KevLookup:
    """Lazy, thread-safe access to the KEV table of one vulnerability store."""

    def __init__(self, store_path: Path | None = None) -> None:
        self.store_path = store_path
        self._store: Any = None
        self._failed = False
        self._lock = threading.Lock()
        self._cache: dict[frozenset[str], tuple[float, set[str]]] = {}

    def _open(self) -> Any:
        if self._store is None and not self._failed:
            try:
                from assay.vulns.store import open_store

                self._store = open_store(self.store_path)
            except (ImportError, AssayError, OSError):
                self._failed = True
        return self._store

    def use(self, read: Callable[[Any], Any]) -> Any:
        """``read(store)`` under the lookup's lock; None when no store can be read."""
        with self._lock:
            store = self._open()
            return None if store is None else read(store)

    def known_exploited(self, ids: set[str]) -> set[str] | None:
        """The ids among ``ids`` that KEV lists now, or None when no store can be read.
        Answers are kept for ``TTL`` seconds (a page can hold hundreds of matches)."""
        key = frozenset(ids)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and time.monotonic() - cached[0] < TTL:
                return cached[1]
            store = self._open()
            if store is None:
                return None
            try:
                found = set(kev_entries(store, ids))
            except Exception:  # a damaged store must not break the page
                return None
            if len(self._cache) >= 256:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (time.monotonic(), found)
            return found


def refreshed(document: dict[str, Any], lookup: KevLookup) -> tuple[dict[str, Any], bool]:
    """The document with every vulnerability's ``kev`` flag as of now; and whether it could be
    checked (False: flags as of the scan)."""
    vulns = [v for v in document.get("vulnerabilities") or [] if isinstance(v, dict)]
    if not vulns:
        return document, lookup.known_exploited(set()) is not None
    now = lookup.known_exploited({str(v.get("id")) for v in vulns})
    if now is None:
        return document, False
    updated = [{**v, "kev": bool(v.get("kev")) or str(v.get("id")) in now} for v in vulns]
    return {**document, "vulnerabilities": updated}, True
