"""Incremental re-audit on a real registry (SQLite) and a real vulnerability store.

The WR703N assessment is made by the real matcher from the image's real package list against
a store holding the NVD records published up to 2012; then the records of 2013-2016 are
imported and the re-audit must report exactly the CVEs a full re-match would add.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reaudit_world import T0, World, counted

from assay.accountability.audit_tables import Finding, FindingHistory
from assay.accountability.outbox import pending_events
from assay.accountability.reaudit import reaudit
from assay.extract.rootfs import RootFS


@pytest.mark.slow
def test_reaudit_reports_exactly_the_new_matches(world: World, feeds: tuple[Path, Path]) -> None:
    doc = world.scan()
    before = {v["id"] for v in counted(doc)}
    world.registry.add(doc)
    world.registry.add(world.scan(model="TL-MR3020"))  # same contents, other hardware
    resigned = world.scan()  # the same firmware contents in another image file
    resigned["target"]["sha256"] = "ab" * 32
    world.registry.add(resigned)
    first = reaudit(world.registry, world.store, now=T0)
    assert (first.enrolled, first.firmware_rematched, first.changes) == (3, 0, ())
    # the feed changes: 2013-2016 records arrive
    world.store.import_paths([feeds[1]])
    report = reaudit(world.registry, world.store, now=T0.replace(hour=11))
    rematch = world.rematch()
    full = {m.id for m in rematch}
    expected = full - before
    pairs = {(m.id, m.component) for m in rematch}
    new_pairs = pairs - {(v["id"], v["component"]) for v in counted(doc)}
    assert expected, "the 2013-2016 records must add matches to OpenWrt 12.09"
    by_product: dict[str, set[str]] = {}
    for change in report.of("new"):
        by_product.setdefault(change.product, set()).add(change.vulnerability)
    assert by_product == {"tp-link-tl-wr703n-v1": expected, "tp-link-tl-mr3020-v1": expected}
    got_pairs = {(c.vulnerability, c.component) for c in report.of("new") if c.firmware_id == 1}
    assert got_pairs == new_pairs
    assert len(report.of("new")) == 3 * len(new_pairs)
    assert {"CVE-2014-3153", "CVE-2016-5195"} <= expected  # real KEV entries, kernel 3.3.8
    # computations are per touched component and shared by the three firmware (same
    # components; no changed record has a hardware criterion either model satisfies)
    assert report.firmware_rematched == 3
    touched = {c.component for c in report.of("new")}
    assert report.inventories_rematched <= len(touched) + 5
    assert report.changed_records == 2598
    assert not report.of("withdrawn")
    # events in the outbox: one per distinct inventory (the WR703N image and its re-signed
    # copy share one) listing its firmware and findings, and a summary
    kinds = [e["kind"] for e in pending_events(world.registry.engine)]
    assert kinds.count("finding.new") == 2
    events = [e for e in pending_events(world.registry.engine) if e["kind"] == "finding.new"]
    listed = {
        frozenset(w["firmware_id"] for w in e["payload"]["firmware"]): {
            (f["vulnerability"], f["component"]) for f in e["payload"]["findings"]
        }
        for e in events
    }
    assert set(listed) == {frozenset({1, 3}), frozenset({2})}
    assert listed[frozenset({1, 3})] == new_pairs
    assert kinds.count("reaudit.completed") == 2
    # a second run finds nothing more, and nothing was deleted
    again = reaudit(world.registry, world.store, now=T0.replace(hour=12))
    assert again.changes == () and again.firmware_rematched == 0
    with world.registry.sessions() as session:
        assert session.query(Finding).count() == 2 * len(pairs)  # per distinct inventory
        # creation is the finding row itself; history holds the later changes
        assert session.query(FindingHistory).count() == 0


def test_untouched_firmware_is_not_rematched(world: World, feeds: tuple[Path, Path]) -> None:
    quiet = [c for c in world.components if c.name in ("base-files", "luci-theme-base")]
    assert len(quiet) == 2
    world.registry.add(world.scan())
    world.registry.add(world.scan(model="Quiet-1", comps=quiet))
    reaudit(world.registry, world.store, now=T0)
    world.store.import_paths([feeds[1]])
    report = reaudit(world.registry, world.store, now=T0.replace(hour=11))
    assert report.firmware_audited == 2 and report.firmware_rematched == 1
    assert {c.product for c in report.each()} == {"tp-link-tl-wr703n-v1"}


def test_fixed_in_later_firmware_and_vex_suppression(world: World) -> None:
    doc = world.scan()
    world.registry.add(doc)
    reaudit(world.registry, world.store, now=T0)
    dropbear_cves = {v["id"] for v in counted(doc) if "dropbear" in v["component"]}
    assert "CVE-2012-0920" in dropbear_cves
    # the next firmware ships dropbear 2012.55, which the ≤2012 records no longer match
    newer = world.with_dropbear("2012.55-1")
    world.registry.add(world.scan(build="r40000", comps=newer))
    report = reaudit(world.registry, world.store, now=T0.replace(hour=11))
    fixed = {c.vulnerability for c in report.of("fixed")}
    assert fixed == dropbear_cves
    assert {c.detail for c in report.of("fixed")} == {"not in firmware OpenWrt 12.09 r40000"}
    # a manufacturer's VEX: the kernel CVE is not exploitable on this build
    kernel = next(c for c in world.components if c.name == "linux")
    open_kernel = {c["id"] for c in counted(doc) if c["component"] == kernel.ref}
    target = sorted(open_kernel)[0]
    statement = world.kernel_statement(target, "feature not built")
    report = reaudit(world.registry, world.store, now=T0.replace(hour=12), statements=[statement])
    suppressed = report.of("suppressed")
    assert {c.vulnerability for c in suppressed} == {target}
    assert len(suppressed) == 2  # both firmware carry the same kernel
    assert "vulnerable_code_not_present" in suppressed[0].detail


@pytest.mark.slow
def test_done_when_with_the_yearly_nvd_files(
    shared_data: Path, wr703n_rootfs: RootFS, tmp_path: Path
) -> None:
    """Issue 6's check: register the WR703N with only the NVD files up to 2012 loaded, then
    import 2013-2016: the re-audit reports exactly the CVEs newly matching its components."""
    yearly = shared_data / "vulns" / "nvd" / "yearly"
    upto_2012 = [yearly / f"nvdcve-{y}.json.xz" for y in range(2002, 2013)]
    later = [yearly / f"nvdcve-{y}.json.xz" for y in range(2013, 2017)]
    world = World(tmp_path, wr703n_rootfs, upto_2012[0])
    world.store.import_paths(upto_2012[1:])
    doc = world.scan()
    world.registry.add(doc)
    assert reaudit(world.registry, world.store, now=T0).changes == ()
    world.store.import_paths(later)
    report = reaudit(world.registry, world.store, now=T0.replace(hour=11))
    rematch = world.rematch()
    expected = {(m.id, m.component) for m in rematch} - {
        (v["id"], v["component"]) for v in counted(doc)
    }
    assert expected
    assert {(c.vulnerability, c.component) for c in report.of("new")} == expected
    assert report.firmware_rematched == 1 and not report.of("withdrawn")


def test_baseline_only_from_the_same_store() -> None:
    from assay.accountability.enroll import store_revision_of

    facts = {"vulnerability_store": {"location": "/a/vulns.sqlite", "revision": 7}}
    assert store_revision_of({"facts": facts}, "/a/vulns.sqlite") == 7
    assert store_revision_of({"facts": facts}, "/b/vulns.sqlite") is None  # match in full once
    assert store_revision_of({"facts": {"store_revision": 3}}) == 3
    assert store_revision_of({"facts": {}}) is None


def test_reassessed_firmware_keeps_its_vex_suppressions(world: World) -> None:
    from assay.accountability.from_registry import product_findings

    doc = world.scan()
    world.registry.add(doc)
    kernel = next(c for c in world.components if c.name == "linux")
    target = sorted(v["id"] for v in counted(doc) if v["component"] == kernel.ref)[0]
    statement = world.kernel_statement(target, "feature not built")
    reaudit(world.registry, world.store, now=T0, statements=[statement])
    # the same image scanned again, now seen with another dropbear: a new inventory
    again = world.scan(comps=world.with_dropbear("2012.55-1"))
    assert again["target"]["sha256"] == doc["target"]["sha256"]
    world.registry.add(again)
    report = reaudit(world.registry, world.store, now=T0.replace(hour=11))
    assert report.enrolled == 1
    states = {
        (f["vulnerability"], f["component"]): f
        for f in product_findings(world.registry, "tp-link-tl-wr703n-v1")
    }
    kept = states[(target, kernel.ref)]
    assert kept["state"] == "suppressed" and "vulnerable_code_not_present" in kept["detail"]
    assert "kept from the firmware's earlier assessment" in kept["detail"]
    assert not any("dropbear@2011.54" in c for _, c in states)  # the old inventory's are gone
