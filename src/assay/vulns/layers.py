"""Stores in layers: the bundled snapshot under a loaded store, consulted only for the CVEs
the store has no record of (so importing feeds never loses what the snapshot covered)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assay.vulns.store import Store


def snapshot_fallback(store: Store) -> Store | None:
    """The bundled snapshot under a loaded store, so what it covers is never lost."""
    if store.origin == "bundled snapshot":
        return None
    from assay.vulns.bundled import snapshot_store

    return snapshot_store()


def held(store: Store, ids: set[str]) -> set[str]:
    """The ids of which ``store`` has any record."""
    found: set[str] = set()
    listed = sorted(ids)
    for i in range(0, len(listed), 500):
        part = listed[i : i + 500]
        marks = ",".join("?" * len(part))
        rows = store.conn.execute(f"SELECT DISTINCT id FROM record WHERE id IN ({marks})", part)
        found.update(r[0] for r in rows)
    return found


def kev_entries(store: Store, ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """The KEV entries of ``ids``, from the store and, for those it lacks, the bundled
    snapshot under it: the same layers the scan matched with, so the registry's ledger and
    CRA clocks count the known exploited vulnerabilities the label counts."""
    wanted = set(ids)
    lower = snapshot_fallback(store)
    found = lower.kev_many(wanted) if lower is not None else {}
    return {**found, **store.kev_many(wanted)}


def publication_texts(store: Store, ids: set[str]) -> dict[str, dict[str, tuple[Any, Any]]]:
    """Per id and source: the record's ``published`` and ``cveMetadata.datePublished`` as
    stored, read by the database (no record is parsed here: the registry's ledger asks for
    hundreds on a product page); for the ids the store has no record of, from the bundled
    snapshot under it."""
    found = store.publication_texts(ids)
    lower = snapshot_fallback(store)
    missing = ids - set(found)
    if lower is not None and missing:
        found.update(lower.publication_texts(missing))
    return found
