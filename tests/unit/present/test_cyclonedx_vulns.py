"""The CycloneDX vulnerability entries: source with the record's URL, aliases as references,
the reason of the match, and matches that do not count marked as such."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from assay.model.assessment import Assessment, Target
from assay.model.component import Component
from assay.model.vulnerability import VulnerabilityMatch
from assay.present.cyclonedx import render

ZLIB = Component("zlib", "1.2.7", purl="pkg:generic/zlib@1.2.7")


def test_vulnerability_entries() -> None:
    assessment = Assessment(
        Target("fw.bin", "image"),
        "test",
        "2026-12-01T00:00:00Z",
        components=[ZLIB],
        vulnerabilities=[
            VulnerabilityMatch(
                "CVE-2022-37434",
                ZLIB.ref,
                "critical",
                9.8,
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                aliases=("GHSA-cfmr-vrgj-vqwv",),
                why={"reason": "zlib 1.2.7 matches zlib:zlib <= 1.2.12"},
            ),
            VulnerabilityMatch("CVE-2099-0001", ZLIB.ref, "high", conditional=True),
        ],
    )
    for version in ("1.6", "1.5", "1.4"):
        text = render(assessment, "json", version)
        schema = {"1.6": SchemaVersion.V1_6, "1.5": SchemaVersion.V1_5, "1.4": SchemaVersion.V1_4}
        assert JsonStrictValidator(schema[version]).validate_str(text) is None
    vulns = {v["id"]: v for v in json.loads(render(assessment))["vulnerabilities"]}
    zlib = vulns["CVE-2022-37434"]
    assert zlib["source"]["url"] == "https://nvd.nist.gov/vuln/detail/CVE-2022-37434"
    assert zlib["references"] == [
        {
            "id": "GHSA-cfmr-vrgj-vqwv",
            "source": {"name": "OSV", "url": "https://osv.dev/vulnerability/GHSA-cfmr-vrgj-vqwv"},
        }
    ]
    assert zlib["analysis"] == {
        "state": "in_triage",
        "detail": "zlib 1.2.7 matches zlib:zlib <= 1.2.12",
    }
    conditional = vulns["CVE-2099-0001"]["analysis"]
    assert conditional["state"] == "in_triage" and "platform condition" in conditional["detail"]
