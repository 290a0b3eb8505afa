"""The ledger built from a real registry, the re-audit findings and a real store."""

from __future__ import annotations

from datetime import date

from reaudit_world import T0, World

from assay.accountability.from_registry import (
    product_findings,
    registry_ledger,
    vulnerability_dates,
)
from assay.accountability.reaudit import reaudit

DECLARATION = {
    "manufacturer": {"name": "TP-Link"},
    "product": {"name": "TL-WR703N", "model": "TL-WR703N"},
    "support": {"end_date": "2027-06-30"},
    "update_policy": {"fix_time_days": 30},
}


def test_ledger_from_the_registry(world: World) -> None:
    world.registry.add(world.scan(), DECLARATION)
    newer = world.with_dropbear("2012.55-1")
    world.registry.add(world.scan(build="r40000", comps=newer), DECLARATION)
    reaudit(world.registry, world.store, now=T0)
    today = date(2026, 11, 27)
    out = registry_ledger(world.registry, world.store, today)
    (product,) = out["TP-Link"]["products"]
    assert product["support"] == {"end": "2027-06-30", "state": "supported", "days_left": 215}
    assert product["declared_fix_days"] == 30
    entries = {e["id"]: e for e in product["vulnerabilities"]}
    dropbear = entries["CVE-2012-0920"]
    assert dropbear["fixed_in"] == "OpenWrt 12.09 r40000" and dropbear["published"] == "2012-06-05"
    findings = product_findings(world.registry, "tp-link-tl-wr703n-v1")
    fixed = {f["vulnerability"] for f in findings if f["state"] == "fixed"}
    assert "CVE-2012-0920" in fixed
    assert {f["firmware"] for f in findings} == {"OpenWrt 12.09 r36088", "OpenWrt 12.09 r40000"}
    still = [e for e in entries.values() if e["open"]]  # e.g. the kernel's, in both firmware
    assert still and all(e["fixed_in"] == "" for e in still)
    assert len(still) == len(entries) - len([e for e in entries.values() if e["fixed_in"]])


def test_dates_come_from_the_store(world: World) -> None:
    dates = vulnerability_dates(world.store, {"CVE-2012-0920"})
    assert dates["CVE-2012-0920"].published == date(2012, 6, 5)
    assert dates["CVE-2012-0920"].kev_added is None


def test_dates_from_a_source_other_than_nvd() -> None:
    """Records of the bundled snapshot that only its reviewed overrides carry (no NVD record)
    still give their publication date: without it the ledger would count a 2025 CVE as
    exposed since the firmware's release."""
    from assay.vulns.bundled import snapshot_store

    store = snapshot_store(persist=False)
    try:
        assert set(store.records("CVE-2025-46394")) == {"override"}
        dates = vulnerability_dates(store, {"CVE-2025-46394"})
        assert dates["CVE-2025-46394"].published == date(2025, 4, 23)
    finally:
        store.close()


def test_dates_read_by_the_database_are_those_of_the_records() -> None:
    """``vulnerability_dates`` has the database read the two date fields; on 400 ids of the
    bundled snapshot (and one it lacks) it gives what parsing each record gives."""
    from assay.vulns.bundled import snapshot_store

    store = snapshot_store(persist=False)
    try:
        ids = {r[0] for r in store.conn.execute("SELECT DISTINCT id FROM record LIMIT 400")}
        ids.add("CVE-1999-99999")  # in no record
        dates = vulnerability_dates(store, ids)
        for vid in ids:
            records = store.records(vid)
            expected = None
            preferred = ("nvd", "cve5", "osv")
            for source in (*preferred, *sorted(set(records) - set(preferred))):
                payload = records[source].payload if source in records else {}
                meta = payload.get("cveMetadata") or {}
                value = payload.get("published") or meta.get("datePublished")
                expected = date.fromisoformat(str(value)[:10]) if value else None
                if expected:
                    break
            assert dates[vid].published == expected, vid
        assert sum(d.published is not None for d in dates.values()) > 300
    finally:
        store.close()
