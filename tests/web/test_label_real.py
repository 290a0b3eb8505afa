"""``assay label`` on the real assessment of the bundled OpenWrt image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from assay.cli import main
from assay.vulns.counts import kev_ids


def test_label_of_the_real_image(
    wr703n_assessment: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "assessment.json"
    source.write_text(json.dumps(wr703n_assessment))
    code = main(
        [
            "label",
            str(source),
            "--out",
            str(tmp_path / "out"),
            "--registry-url",
            "https://registry.example",
            "--text",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    label = json.loads((tmp_path / "out" / "label.json").read_text())
    page = "https://registry.example/products/sample-router-works-ltd-fictitious-tl-wr703n-v1"
    assert label["registry_url"] == page
    # the sample declaration's date, long past
    assert (label["support_until"], label["status"]) == ("2016-04-30", "EXPIRED")
    # root has no password on this image: no default passwords = No, so no level
    assert label["facts"]["no_default_passwords"]["value"] is False
    assert label["level"]["value"] == 0
    kev = list(kev_ids(wr703n_assessment["vulnerabilities"]))  # the KEV matches that count
    assert label["facts"]["known_exploited_unfixed"] == {"count": len(kev), "ids": kev}
    assert "EXPIRED: security updates ended 30 Apr 2016." in out
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "out" / "label.png"))
    assert [c.text for c in codes] == [page]
