"""The environment report and the corpus summary, looked at in Debian's headless Chromium
(screenshots in tests/artifacts): the drawing and the charts are there and readable, and the
pages fit a phone's width."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from assay.corpus.report import questions, rows
from assay.corpus.summary_html import render
from assay.environment import analyze, load
from assay.environment.actions import rank
from assay.environment.render import to_html
from assay.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def fits(page: Any, width: int) -> bool:
    page.set_viewport_size({"width": width, "height": 800})
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_environment_report(page: Any, wr703n_scan: Path, tmp_path: Path) -> None:
    shutil.copy(wr703n_scan / "assessment.json", tmp_path / "wr703n-assessment.json")
    shutil.copy(ROOT / "tests/data/environments/small-building.yaml", tmp_path / "env.yaml")
    env = load(tmp_path / "env.yaml")
    result = analyze(env)
    result["actions"] = rank(result)
    (tmp_path / "env.html").write_text(to_html(result, env), encoding="utf-8")
    page.goto((tmp_path / "env.html").as_uri())
    assert page.locator("svg circle").count() == len(env.devices) + len(env.nodes)
    assert page.locator("svg circle.spof").count() == 3  # gateway A, camera 2, gateway B
    assert page.locator("svg circle.kev").count() == 2  # the two cameras
    assert "add a second path around Gateway A" in page.inner_text("body")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "environment.png"), full_page=True)
    assert fits(page, 375)  # the tables and the drawing scroll inside their own boxes


def test_corpus_summary(page: Any, wr703n_scan: Path, tmp_path: Path) -> None:
    import json

    document = json.loads((wr703n_scan / "assessment.json").read_text())
    with Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}") as registry:
        registry.add(document)
        answers = questions(registry, rows(registry))
    (tmp_path / "corpus.html").write_text(render(answers), encoding="utf-8")
    page.goto((tmp_path / "corpus.html").as_uri())
    bars = page.locator("svg rect.kev")
    assert bars.count() == len(answers["known_exploited"]) > 0
    text = page.inner_text("body")
    assert answers["known_exploited"][0]["cve"] in text
    assert "Sample Router Works Ltd (fictitious)" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "corpus-summary.png"), full_page=True)
    assert fits(page, 375)
