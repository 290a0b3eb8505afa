"""The re-audit on both databases the registry supports (SQLite and a real PostgreSQL), and
a registry that still has the first layout of the re-audit tables."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import create_engine, inspect, text

from assay.accountability.audit_tables import ensure_tables
from assay.accountability.from_registry import product_findings
from assay.accountability.reaudit import reaudit
from assay.extract.rootfs import RootFS

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "accountability"))
sys.path.insert(0, str(HERE.parent / "vex"))
from reaudit_world import T0, World, counted, split_feeds  # noqa: E402

SLUG = "tp-link-tl-wr703n-v1"


def _first_layout() -> ModuleType:
    path = HERE.parents[1] / "data" / "reaudit" / "audit_tables_v1.py"
    spec = importlib.util.spec_from_file_location("audit_tables_v1", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # SQLAlchemy resolves the annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_reaudit_on_each_database(
    registry_url: str, wr703n_rootfs: RootFS, shared_data: Path, tmp_path: Path
) -> None:
    early, late = split_feeds(shared_data, tmp_path)
    world = World(tmp_path, wr703n_rootfs, early, registry_url)
    try:
        doc = world.scan()
        world.registry.add(doc)
        copy = world.scan()  # the same contents in another image file: one inventory
        copy["target"]["sha256"] = "cd" * 32
        world.registry.add(copy)
        assert reaudit(world.registry, world.store, now=T0).changes == ()
        world.store.import_paths([late])
        report = reaudit(world.registry, world.store, now=T0.replace(hour=11))
        rematch = world.rematch()
        expected = {(m.id, m.component) for m in rematch} - {
            (v["id"], v["component"]) for v in counted(doc)
        }
        assert expected
        for firmware_id in (1, 2):
            got = {
                (c.vulnerability, c.component)
                for c in report.of("new")
                if c.firmware_id == firmware_id
            }
            assert got == expected, firmware_id
        assert report.inventories_rematched >= 1 and report.firmware_rematched == 2
        # a later firmware without the vulnerable dropbear fixes its CVEs in both copies
        newer = world.with_dropbear("2020.80-1")
        world.registry.add(world.scan(build="r50000", comps=newer))
        fixed = reaudit(world.registry, world.store, now=T0.replace(hour=12)).of("fixed")
        assert {c.firmware_id for c in fixed} == {1, 2}
        assert {c.vulnerability for c in fixed} >= {"CVE-2012-0920"}
        states = {
            (f["firmware"], f["vulnerability"], f["state"])
            for f in product_findings(world.registry, SLUG)
        }
        assert ("OpenWrt 12.09 r36088", "CVE-2012-0920", "fixed") in states
        assert ("OpenWrt 12.09 r36088", "CVE-2016-5195", "open") in states
        assert not any(v == "CVE-2012-0920" and fw.endswith("r50000") for fw, v, _ in states)
    finally:
        world.registry.close()
        world.store.close()


def test_first_layout_is_set_aside_and_kept(
    registry_url: str, wr703n_rootfs: RootFS, shared_data: Path, tmp_path: Path
) -> None:
    """A registry with the per-firmware tables: they are renamed audit_v1_* with their rows,
    and the firmware are enrolled again into the per-inventory tables."""
    engine = create_engine(registry_url)
    v1 = _first_layout()
    v1.AuditBase.metadata.create_all(engine)
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            v1.Finding.__table__.insert(),
            {
                "firmware_id": 1,
                "vuln_id": "CVE-2012-0920",
                "component": "pkg:opkg/openwrt/dropbear@2011.54-2",
                "component_name": "dropbear",
                "state": "open",
                "kev": False,
                "severity": "medium",
                "origin": "scan",
                "first_seen": moment,
                "last_seen": moment,
                "changed": moment,
                "detail": "found by the scan",
            },
        )
    engine.dispose()
    early, _late = split_feeds(shared_data, tmp_path)
    world = World(tmp_path, wr703n_rootfs, early, registry_url)
    try:
        world.registry.add(world.scan())
        report = reaudit(world.registry, world.store, now=T0)
        assert report.enrolled == 1 and report.still_open > 0
        ensure_tables(world.registry.engine)  # a second time: nothing more to set aside
        names = set(inspect(world.registry.engine).get_table_names())
        assert {"audit_v1_finding", "audit_v1_firmware", "audit_finding"} <= names
        with world.registry.engine.connect() as conn:
            kept = conn.execute(text("SELECT vuln_id FROM audit_v1_finding")).scalars().all()
            assert kept == ["CVE-2012-0920"]
            columns = {c["name"] for c in inspect(conn).get_columns("audit_finding")}
            assert "inventory_id" in columns and "firmware_id" not in columns
        found = product_findings(world.registry, SLUG)
        assert {f["vulnerability"] for f in found} >= {"CVE-2012-0920"}
    finally:
        world.registry.close()
        world.store.close()
