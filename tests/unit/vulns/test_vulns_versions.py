"""Version comparison as NVD ranges need it, on versions seen in real firmware."""

from __future__ import annotations

import pytest

from assay.vulns.cpe import parse_cpe
from assay.vulns.versions import compare, in_range, upstream_version, version_key


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.0.1e", "1.0.1f"),  # OpenSSL letter releases
        ("1.0.1", "1.0.1f"),  # a letter release follows its base
        ("1.0.1f", "1.0.2"),
        ("2011.54", "2012.54"),  # Dropbear year.release
        ("0.9.33", "0.9.33.2"),  # uClibc four-part
        ("1.19.4", "1.19.10"),  # numeric, not lexical
        ("2.0-devel", "2.0"),  # development snapshot before the release
        ("2.86rc1", "2.86"),
        ("2.86test5", "2.86rc1"),
        ("1.0-beta", "1.0"),
        ("7.4", "7.4p1"),  # OpenSSH portable suffix
        ("5.1.4", "5.1.5"),
        ("v2.85", "2.86"),
    ],
)
def test_order(older: str, newer: str) -> None:
    assert compare(older, newer) == -1
    assert compare(newer, older) == 1


@pytest.mark.parametrize(
    ("a", "b"), [("2.0", "2.0.0"), ("1.0.1-beta1", "1.0.1beta1"), ("v3.3.8", "3.3.8")]
)
def test_equal(a: str, b: str) -> None:
    assert compare(a, b) == 0
    assert version_key(a) == version_key(b)


def test_range_bounds_including_and_excluding() -> None:
    assert in_range("1.19.4", end_including="1.19.4")
    assert not in_range("1.19.4", end_excluding="1.19.4")
    assert in_range("3.3.8", start_including="3.3", end_excluding="3.4.5")
    assert not in_range("3.3.8", start_including="3.3", end_excluding="3.3.8")
    assert not in_range("0.52", start_excluding="0.52")
    assert in_range("0.52", start_including="0.52", end_including="2012.54")


@pytest.mark.parametrize(
    ("package", "upstream"),
    [
        ("1.19.4-6", "1.19.4"),  # OpenWrt busybox
        ("2011.54-2", "2011.54"),
        ("3.3.8-1-d6597ebf6203328d3519ea3c3371a493", "3.3.8"),  # OpenWrt kernel package
        ("3.3.8+2012-09-07-3", "3.3.8"),
        ("0.9.33.2-1", "0.9.33.2"),
        ("1:2.4.5-8", "2.4.5"),  # Debian epoch
        ("1.0-beta-4", "1.0-beta"),  # hotplug2
        ("20120910-1", "20120910"),  # wpad-mini git snapshot
        ("2013-01-29-0bc317aa4d9af44806c28ca286d79a8b5a92b2b8", "20130129"),
        ("36", "36"),
    ],
)
def test_upstream_version(package: str, upstream: str) -> None:
    assert upstream_version(package) == upstream


def test_cpe_parse_with_escapes_and_update() -> None:
    cpe = parse_cpe("cpe:2.3:a:openssl:openssl:1.0.1:beta1:*:*:*:*:*:*")
    assert cpe is not None and cpe.key == ("openssl", "openssl")
    assert cpe.effective_version == "1.0.1beta1"
    escaped = parse_cpe("cpe:2.3:a:marco_d\\'itri:ppp:2.4.1:*:*:*:*:*:*:*")
    assert escaped is not None and escaped.vendor == "marco_d'itri"
    assert parse_cpe("cpe:/a:busybox:busybox:1.19.4") is None  # CPE 2.2 URIs are not CPE 2.3
    assert parse_cpe("cpe:2.3:x:busybox:busybox:1:*:*:*:*:*:*:*") is None
