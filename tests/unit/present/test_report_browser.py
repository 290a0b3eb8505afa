"""report.html rendered by a real headless Chromium: it loads offline and reads as designed.

The screenshot is kept in tests/artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from assay.checks import run_checks
from assay.declaration import load
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment, Target
from assay.model.identity import Identity
from assay.norms import evaluate
from assay.present.report import write_reports

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts"
SAMPLE = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def report(wr703n_rootfs: RootFS, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assessment = Assessment(
        Target("openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin", "image"),
        "test",
        "2026-11-27T12:00:00Z",
        identity=Identity(
            os_name="OpenWrt", os_version="12.09", vendor="TP-Link", model="TL-WR703N"
        ),
    )
    assessment.findings = run_checks([wr703n_rootfs], assessment)
    assessment.declaration = load(SAMPLE)
    assessment.verdicts = evaluate(assessment)
    html, _ = write_reports(assessment, tmp_path_factory.mktemp("report"))
    return html


def test_chromium_renders_the_report(report: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-wr703n.png"
    shot.unlink(missing_ok=True)
    _chromium(f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    counted = image.crop((0, 0, 1280, 900)).getcolors(maxcolors=1 << 20) or []
    colours = {colour for _, colour in counted}
    # the inline stylesheet was applied: the red "not ready" summary box and the verdict
    # colours of the per-norm bars are on screen, not just black text on white
    assert (0xFF, 0xEB, 0xE9) in colours  # headline background of a failing product
    assert (0xCF, 0x22, 0x2E) in colours  # FAIL segments
    assert (0x1A, 0x7F, 0x37) in colours  # PASS segments
    assert len(colours) > 200  # text anti-aliasing, badges, bars: a real page, not blank


def test_chromium_sees_the_content_offline(report: Path) -> None:
    dom = _chromium("--dump-dom", report.as_uri()).stdout
    assert "Not ready for the EU, UK or US market" in dom
    assert "Accounts without a password" in dom
    assert dom.count('<tr id="req-') == 107
