"""Licences of Debian packages from their real copyright files (Debian 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.catalog.debcopyright import licence, to_spdx
from assay.catalog.engine import catalog
from assay.catalog.packages import ControlDbCataloger
from assay.extract.rootfs import RootFS
from assay.present.licences import expression

DATA = Path(__file__).resolve().parents[2] / "data" / "debian-copyright"


def _text(name: str) -> str:
    return (DATA / f"{name}.copyright").read_text()


def test_machine_readable_file_becomes_an_spdx_expression() -> None:
    # apt's file: Files groups under GPL-2+, GPL-2, BSD-3-clause and Expat
    found = licence(_text("apt"))
    assert found == "GPL-2.0-or-later AND GPL-2.0-only AND BSD-3-Clause AND MIT"
    assert expression(found) == found  # a valid SPDX expression, as the SBOMs will read it


def test_exception_is_carried_as_spdx_with() -> None:
    found = licence(_text("tar"))
    assert "(GPL-3.0-or-later WITH Bison-exception-2.2)" in found
    assert found.startswith("GPL-3.0-or-later AND ") and "LGPL-3.0-or-later" in found
    assert expression(found) is not None


def test_names_without_spdx_id_are_kept_as_written() -> None:
    # dpkg's file names a licence of its own (public-domain-s-s-d): no expression is invented
    found = licence(_text("dpkg"))
    assert found == "GPL-2+, GPL-2, BSD-2-clause, public-domain-s-s-d"
    assert expression(found) is None


def test_free_text_file_gives_the_common_licenses_it_points_to() -> None:
    assert licence(_text("libc6")) == "LGPL-2.1, GPL-2"


@pytest.mark.parametrize(
    ("name", "spdx"),
    [
        ("GPL-2+", "GPL-2.0-or-later"),
        ("LGPL-2.1", "LGPL-2.1-only"),
        ("GPL-1+ or Artistic", "GPL-1.0-or-later OR Artistic-1.0"),
        ("BSL-1.0 and MIT", "BSL-1.0 AND MIT"),
        ("Expat", "MIT"),
        ("Apache-2.0+", "Apache-2.0+"),
        ("GPL-2+ with Autoconf exception", None),  # its SPDX id depends on the GPL version
        ("GPL-2 or Artistic and MIT", None),  # grouping left to commas by DEP-5
        ("public-domain", None),
    ],
)
def test_short_names(name: str, spdx: str | None) -> None:
    assert to_spdx(name) == spdx


def test_dpkg_package_gets_the_licence_of_its_copyright_file(tmp_path: Path) -> None:
    status = (
        "Package: apt\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.6.1\n\n"
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"
        "Version: 2.36-9+deb12u14\n\n"
        "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0\n"
    )
    files = {
        "etc/os-release": 'ID=debian\nVERSION_ID="12"\n',
        "var/lib/dpkg/status": status,
        "usr/share/doc/apt/copyright": _text("apt"),
        "usr/share/doc/libc6/copyright": _text("libc6"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    comps, _ = catalog([RootFS(tmp_path)], [ControlDbCataloger()])
    by_name = {c.name: c.license for c in comps}
    assert by_name == {
        "apt": "GPL-2.0-or-later AND GPL-2.0-only AND BSD-3-Clause AND MIT",
        "libc6": "LGPL-2.1, GPL-2",
        "tzdata": "",  # no copyright file in the image: no licence claimed
    }
