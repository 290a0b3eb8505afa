"""The whole scan of the real WR703N image against the full 2002-2016 NVD corpus: every CVE
whose configuration covers the versions in the image, none that excludes them, each with its
reason (the issue's "done when")."""

from __future__ import annotations

from pathlib import Path

import pytest
from vulns_expected import EXPECTED, NOT_EXPECTED

from assay.pipeline import ScanOptions, assess
from assay.vulns.importer import ImportReport
from assay.vulns.store import Store


@pytest.mark.slow
def test_scan_wr703n_with_full_corpus(
    wr703n_image: Path, full_store: tuple[Store, ImportReport], tmp_path: Path
) -> None:
    store, _ = full_store
    options = ScanOptions(work_dir=tmp_path / "work", store=Path(store.location), run_checks=False)
    assessment = assess(wr703n_image, options).assessment
    assert assessment.facts["vulnerability_store"]["origin"] == "store"
    names = {c.ref: c.name for c in assessment.components}
    found: dict[str, set[str]] = {}
    for m in assessment.vulnerabilities:
        assert m.why["reason"] and m.why["record"] == m.id and m.priority
        found.setdefault(names[m.component], set()).add(m.id)
    for name, expected in EXPECTED.items():
        assert {i for i in found.get(name, set()) if int(i.split("-")[1]) <= 2016} == expected
        assert not NOT_EXPECTED.get(name, set()) & found.get(name, set())
    hostapd = found.get("hostapd", set()) | found.get("wpad-mini", set())
    assert {"CVE-2015-8041", "CVE-2016-4476"} <= hostapd
    kernel = next(ids for name, ids in found.items() if "kernel" in name)
    assert "CVE-2016-5195" in kernel and "CVE-2012-6701" not in kernel
