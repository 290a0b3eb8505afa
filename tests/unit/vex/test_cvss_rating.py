"""One CycloneDX rating for the SBOM and the VEX: the method follows the vector's version."""

from __future__ import annotations

import pytest
from cyclonedx.model.vulnerability import VulnerabilityScoreSource, VulnerabilitySeverity

from assay.present.cyclonedx import cvss_rating

V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


@pytest.mark.parametrize(
    ("vector", "method"),
    [
        (V4, VulnerabilityScoreSource.CVSS_V4),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", VulnerabilityScoreSource.CVSS_V3_1),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", VulnerabilityScoreSource.CVSS_V3),
        ("AV:N/AC:L/Au:N/C:C/I:C/A:C", VulnerabilityScoreSource.CVSS_V2),
    ],
)
def test_method_follows_the_vector(vector: str, method: VulnerabilityScoreSource) -> None:
    rating = cvss_rating(9.3, vector, "Critical")
    assert rating is not None and rating.method == method
    assert rating.severity == VulnerabilitySeverity.CRITICAL


def test_no_score_no_rating_and_unknown_severity() -> None:
    assert cvss_rating(None, V4, "high") is None
    rating = cvss_rating(5.0, "", "bogus")
    assert rating is not None and rating.severity == VulnerabilitySeverity.UNKNOWN
