"""Libraries whose file name carries their release, symlinks to missing files included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assay.catalog.engine import catalog
from assay.catalog.libnames import LibraryNameCataloger, release
from assay.extract.rootfs import RootFS


@pytest.mark.parametrize(
    ("rule", "raw", "expected"),
    [
        ("glib", "0.4200.2", "2.42.2"),  # YI 4K: libglib-2.0.so.0.4200.2
        ("glib", "0.5501.0", "2.55.1"),  # Xiaomi LX06: libglib-2.0.so.0.5501.0
        ("libnl", "200.21.0", "3.2.21"),
        ("as-is", "1.2.11", "1.2.11"),
    ],
)
def test_release_rules(rule: str, raw: str, expected: str) -> None:
    assert release(rule, raw) == expected


def test_file_names_links_and_gcc(tmp_path: Path) -> None:
    lib = tmp_path / "usr/lib"
    lib.mkdir(parents=True)
    (lib / "libz.so.1.2.11").write_bytes(b"\x7fELF" + b"\0" * 100)
    os.symlink("libz.so.1.2.11", lib / "libz.so.1")
    # the file itself is gone (as libavcodec on the YI 4K snapshot): its links still name it
    os.symlink("libavcodec.so.56.26.100", lib / "libavcodec.so.56")
    (lib / "libstdc++.so.6.0.20").write_bytes(b"\x7fELF\0GLIBCXX_3.4.19\0GLIBCXX_3.4.20\0")
    (lib / "libcurl.so.4.4.0").write_bytes(b"\x7fELF" + b"\0" * 100)  # an ABI number: not listed
    comps, problems = catalog([RootFS(tmp_path)], [LibraryNameCataloger()])
    found = {(c.name, c.version): c for c in comps}
    assert sorted(found) == [
        ("libavcodec", "56.26.100"),
        ("libstdc++", "6.0.20"),
        ("zlib", "1.2.11"),
    ]
    assert found[("zlib", "1.2.11")].cpe.startswith("cpe:2.3:a:zlib:zlib:1.2.11:")
    assert found[("libavcodec", "56.26.100")].cpe == ""  # FFmpeg's release is not in the name
    assert "symlink target" in dict(found[("libavcodec", "56.26.100")].properties)["evidence"]
    assert dict(found[("libstdc++", "6.0.20")].properties)["gcc"].startswith("GCC 4.9.0 or later")
    assert problems == []
