"""Which kernel CVEs apply to the real WR703N image: evidence from its kernel and modules,
decisions on real NVD descriptions, agreement with a hand-labelled set, and one KEV count
everywhere (summary, label, registry summary, CRA cases)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from assay.accountability.clocks import cases_from_assessment
from assay.accountability.from_registry import registry_ledger
from assay.accountability.reaudit import reaudit
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment
from assay.pipeline import ScanOptions, assess
from assay.present.label import build_label
from assay.registry import Registry
from assay.registry.summary import summarize
from assay.vulns.counts import counts, kev_ids
from assay.vulns.importer import ImportReport
from assay.vulns.kernel import KernelEvidence, decide, gather
from assay.vulns.kernel.applicability import _candidates, _patterns
from assay.vulns.kernel.evidence import _SOURCE
from assay.vulns.store import Store

LABELS: dict[str, dict[str, str]] = yaml.safe_load(
    (Path(__file__).with_name("kernel_labels.yaml")).read_text()
)


@pytest.fixture(scope="module")
def evidence(wr703n_rootfs: RootFS, wr703n_kernel: Path) -> KernelEvidence:
    return gather([wr703n_rootfs], [wr703n_kernel])


def _description(store: Store, cve: str) -> str:
    return str(store.records(cve)["nvd"].payload["description"])


def test_evidence_of_the_wr703n_kernel(evidence: KernelEvidence) -> None:
    assert evidence.arch == "mips" and "EM_MIPS, big-endian" in evidence.arch_basis
    assert {"ath9k", "mac80211", "pppoe", "nf_conntrack"} <= evidence.modules
    assert "ipv6" not in evidence.modules and "sctp" not in evidence.modules
    assert "kernel/futex.c" in evidence.sources and "register_netdevice" in evidence.symbols
    assert not any(s.startswith("perf_event") for s in evidence.symbols)
    assert evidence.has_code_evidence


def test_hand_labelled_kernel_cves_agree(
    evidence: KernelEvidence, full_store: tuple[Store, ImportReport]
) -> None:
    store, _ = full_store
    assert len(LABELS) >= 40
    settled, disagree = 0, []
    for cve, label in LABELS.items():
        decision = decide(_description(store, cve), evidence, None, "3.3.8")
        assert decision.reason
        if decision.status == "unknown":
            continue
        settled += 1
        if decision.status != label["status"]:
            disagree.append((cve, label["status"], decision.reason))
        if decision.status == "not_affected":
            assert decision.justification in (
                "vulnerable_code_not_present",
                "component_not_present",
            )
    assert disagree == []
    assert settled >= 0.9 * len(LABELS)


def test_arch_and_other_kernels_on_real_records(
    evidence: KernelEvidence, full_store: tuple[Store, ImportReport]
) -> None:
    store, _ = full_store
    arm = decide(_description(store, "CVE-2013-6282"), evidence)
    assert arm.status == "not_affected" and "arm" in arm.reason and "mips" in arm.reason
    x86 = decide(_description(store, "CVE-2014-9090"), evidence)
    assert x86.status == "not_affected" and "arch/x86/" in x86.reason
    cow = decide(_description(store, "CVE-2016-5195"), evidence)
    assert cow.status == "affected" and "mm/gup.c" in cow.reason
    qualcomm = decide(_description(store, "CVE-2014-4322"), evidence)
    assert qualcomm.justification == "component_not_present"
    # "non-x86" names every other architecture: no architecture limit is read from it
    non_x86 = "A flaw in the Linux kernel on non-x86 platforms lets local users crash it."
    assert decide(non_x86, evidence).status == "unknown"
    # without any code evidence (an SBOM, no image) absence is never concluded
    bare = KernelEvidence(arch="mips")
    assert decide(_description(store, "CVE-2016-9555"), bare).status == "unknown"


def test_source_guard_changes_no_finding(wr703n_kernel: Path) -> None:
    """The lookahead in front of ``_SOURCE`` only makes it faster: on the real kernel image
    it finds the same source paths as the pattern without it."""
    data = wr703n_kernel.read_bytes()
    bare = re.compile(_SOURCE.pattern.replace(b"(?=[abcdfiklmnsv])", b"", 1))
    assert bare.pattern != _SOURCE.pattern
    found = _SOURCE.findall(data)
    assert len(found) > 100 and found == bare.findall(data)


def test_one_search_rules_out_exactly_what_each_pattern_would(
    full_store: tuple[Store, ImportReport],
) -> None:
    """The joined alternation per rule list (``_candidates``) finds nothing exactly when no
    single pattern matches: on the hand-labelled CVEs' real descriptions and on words that
    only a case-insensitive pattern catches."""
    store, _ = full_store
    texts = [_description(store, cve) for cve in LABELS] + ["Btrfs and USER NAMESPACES"]
    compiled = _patterns()
    for key in ("arch_words", "features", "introduced", "other_kernels"):
        assert compiled[key + "_any"] is not None
        for text in texts:
            some = any(pattern.search(text) for _, pattern in compiled[key])
            assert bool(_candidates(key, text)) == some, (key, text[:80])


@pytest.fixture(scope="module")
def scanned(
    wr703n_image: Path, full_store: tuple[Store, ImportReport], tmp_path_factory: Any
) -> Assessment:
    store, _ = full_store
    work = tmp_path_factory.mktemp("scan")
    options = ScanOptions(work_dir=work, store=Path(store.location), run_checks=False)
    return assess(wr703n_image, options).assessment


@pytest.mark.slow
def test_scan_settles_kernel_cves_and_counts_them_once(
    scanned: Assessment,
    vulns_data: Path,
    full_store: tuple[Store, ImportReport],
    tmp_path: Path,
) -> None:
    matches = scanned.vulnerabilities
    by_id = {m.id: m for m in matches if m.component.startswith("pkg:opkg/openwrt/kernel@")}
    arm = by_id["CVE-2013-6282"]
    assert arm.status == "not_affected" and not counts(arm)
    assert arm.why["applicability"]["justification"] == "vulnerable_code_not_present"
    assert by_id["CVE-2016-5195"].status == "affected" and counts(by_id["CVE-2016-5195"])
    versioned = [m for m in by_id.values() if m.status != "unversioned"]
    settled = [m for m in versioned if m.status in ("affected", "not_affected")]
    assert len(settled) >= len(versioned) / 2
    for cve, label in LABELS.items():
        if by_id[cve].status in ("affected", "not_affected"):
            assert by_id[cve].status == label["status"], cve
    hostapd = {m.id for m in matches if "hostapd@" in m.component and m.status == "probable"}
    assert hostapd == {f"CVE-2015-{n}" for n in range(4141, 4147)} | {"CVE-2014-3686"}
    # one KEV count: terminal summary, label, registry summary (what product pages read), CRA
    document = json.loads(json.dumps(scanned.to_dict()))
    kev = kev_ids(matches)
    assert "CVE-2016-5195" in kev and "CVE-2013-6282" not in kev
    assert build_label(document).kev_unfixed == len(kev)
    assert build_label(summarize(document)).kev_unfixed == len(kev)
    catalog = json.loads((vulns_data / "kev" / "known_exploited_vulnerabilities.json").read_text())
    entries = {e["cveID"]: e for e in catalog["vulnerabilities"]}
    cases = cases_from_assessment(document, entries, aware_at=_now())
    assert sorted(c.vulnerability for c in cases) == list(kev)
    # ... and the registry after a re-audit that matches the registered assessment again in
    # full (its store revision removed): kernel CVEs decided on the scan's recorded evidence
    store, _ = full_store
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    del document["facts"]["vulnerability_store"]
    registry.add(document)
    report = reaudit(registry, store, now=_now())
    assert report.inventories_rematched == 1 and not report.of("withdrawn")
    ledger = registry_ledger(registry, store, _now().date())
    products = [p for m in ledger.values() for p in m["products"]]
    assert [sorted(p["unfixed_kev"]) for p in products] == [list(kev)]


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 12, 7, tzinfo=UTC)


@pytest.mark.slow
def test_vex_exports_carry_assays_automatic_statements(scanned: Assessment) -> None:
    from assay.present.vex.csaf_export import export_csaf
    from assay.present.vex.openvex import export_openvex

    document = json.loads(json.dumps(scanned.to_dict()))
    openvex = export_openvex(document)  # validated against the OpenVEX schema
    by_cve = {s["vulnerability"]["name"]: s for s in openvex["statements"]}
    arm = by_cve["CVE-2013-6282"]
    assert arm["status"] == "not_affected"
    assert arm["justification"] == "vulnerable_code_not_present"
    assert "automatic" in arm["impact_statement"] and "mips" in arm["impact_statement"]
    assert by_cve["CVE-2016-5195"]["status"] == "affected"
    unknown = [m.id for m in scanned.vulnerabilities if m.status == "unknown"]
    assert unknown and by_cve[unknown[0]]["status"] == "affected"  # unsettled: still affected
    csaf = export_csaf(document)  # schema and mandatory tests
    flagged = {
        v["cve"]: v
        for v in csaf["vulnerabilities"]
        if v["product_status"].get("known_not_affected")
    }
    assert {f["label"] for f in flagged["CVE-2013-6282"]["flags"]} == {
        "vulnerable_code_not_present"
    }


@pytest.mark.slow
def test_full_store_keeps_every_snapshot_match_and_names_its_data(
    scanned: Assessment, snapshot: Store, full_store: tuple[Store, ImportReport]
) -> None:
    from datetime import date

    from assay.vulns.currency import data_used
    from assay.vulns.matching import match_assessment

    full = {(m.id, m.component) for m in scanned.vulnerabilities}
    from_snapshot = {(m.id, m.component) for m in match_assessment(scanned, snapshot)}
    assert from_snapshot <= full  # importing feeds never loses what the snapshot covered
    data = scanned.facts["vulnerability_store"]
    assert data["origin"] == "store" and data["fallback"]["origin"] == "bundled snapshot"
    files = {s["file"]: s["date"] for s in data["sources"]}
    assert files["nvdcve-2016.json.xz"] == "2024-10-22"  # the feed's own timestamp
    store, _ = full_store
    fresh = data_used(store, today=date(2024, 11, 1))
    assert "warning" not in fresh and fresh["newest_feed_date"] == "2024-10-25"
    stale = data_used(store, today=date(2025, 1, 1))
    assert stale["age_days"] == 68 and "68 days old" in stale["warning"]
