"""CVSS ratings and the SSVC-style priority, on real records' vectors, KEV and EPSS."""

from __future__ import annotations

from pathlib import Path

from assay.vulns.feeds import read_path
from assay.vulns.priority import EPSS_LIKELY, best_rating, decide, rate
from assay.vulns.records import Advisory
from assay.vulns.store import Store


def _cve5(vulns_data: Path, cve: str) -> Advisory:
    (item,) = [
        i for d in read_path(vulns_data / "cve5" / "sample" / f"{cve}.json") for i in d.items
    ]
    assert isinstance(item, Advisory)
    return item


def test_scores_are_recomputed_from_vectors() -> None:
    v2 = rate({"version": "2.0", "vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "score": 99.0})
    assert (v2.score, v2.severity) == (5.0, "medium")  # CVE-2005-0876's vector, not its number
    v31 = rate({"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"})
    assert (v31.score, v31.severity) == (9.8, "critical")
    broken = rate({"version": "3.1", "vector": "CVSS:3.1/AV:X", "score": 7.2})
    assert (broken.score, broken.severity) == (7.2, "high")  # falls back to the record's number


def test_cvss4_from_a_real_cve_record(vulns_data: Path) -> None:
    rec = _cve5(vulns_data, "CVE-2017-2680")
    v4 = [m for m in rec.payload["cvss"] if m["version"] == "4.0"]
    assert v4
    rating = rate(v4[0])
    assert rating.score is not None and rating.severity in ("low", "medium", "high", "critical")
    # best_rating prefers the newest CVSS version among secondary ratings
    assert best_rating(rec.payload["cvss"]).version == "4.0"  # type: ignore[union-attr]


def test_nvd_primary_rating_wins(snapshot: Store) -> None:
    records = snapshot.records("CVE-2016-6301")["nvd"]
    rating = best_rating(records.payload["cvss"])
    assert rating is not None and rating.source == "nvd@nist.gov"
    assert rating.version == "3.1" or rating.version == "3.0"


def test_priority_outcomes() -> None:
    network_total = rate(
        {"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
    )
    local_high = rate({"version": "3.1", "vector": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"})
    network_dos = rate({"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"})
    assert decide(network_total, kev=True, epss=None)[0] == "act"
    assert decide(local_high, kev=True, epss=None)[0] == "act"  # total impact
    assert decide(local_high, kev=False, epss=None)[0] == "track"
    assert decide(network_dos, kev=True, epss=None)[0] == "act"  # network exposure
    assert decide(network_total, kev=False, epss=EPSS_LIKELY)[0] == "attend"
    assert decide(network_dos, kev=False, epss=0.5)[0] == "track*"
    assert decide(network_total, kev=False, epss=0.001)[0] == "track*"
    assert decide(network_dos, kev=False, epss=0.001)[0] == "track"
    priority, points = decide(None, kev=False, epss=None)
    assert priority == "track" and points["exposure"] == "unknown"


def test_ssvc_exploitation_from_cisa_adp(vulns_data: Path) -> None:
    active = _cve5(vulns_data, "CVE-2014-100005")
    assert active.payload["ssvc"]["Exploitation"] == "active"
    rating = best_rating(active.payload["cvss"])
    priority, points = decide(rating, kev=False, epss=None, ssvc_exploitation="active")
    assert points["exploitation"] == "active" and priority in ("act", "attend")


def test_decision_points_across_cvss_versions() -> None:
    from assay.vulns.priority import exposure, impact

    v2_local_complete = rate({"version": "2.0", "vector": "AV:L/AC:L/Au:N/C:C/I:C/A:C"})
    assert v2_local_complete.score == 7.2
    assert impact(v2_local_complete) == "total" and exposure(v2_local_complete.vector) == "local"
    v4 = rate(
        {
            "version": "4.0",
            "vector": "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
        }
    )  # CVE-2017-2680's CVSS 4.0 vector (CNA)
    assert impact(v4) == "partial" and exposure(v4.vector) == "adjacent"
    assert decide(v4, kev=True, epss=None)[0] == "attend"  # exploited, but neither test holds
