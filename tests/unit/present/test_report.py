"""The developer report: self-contained HTML + Markdown, ranked fixes, every requirement shown,
everything from the image escaped. Built from the real WR703N findings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assay.checks import run_checks
from assay.declaration import load
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment, Target
from assay.model.check import Evidence, Finding, Verdict
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.vulnerability import VulnerabilityMatch
from assay.norms import evaluate, load_catalog
from assay.present.report import render_html, render_markdown, write_reports

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"


def _assessment(**kw: object) -> Assessment:
    return Assessment(
        Target("openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin", "image"),
        "test",
        "2026-11-27T12:00:00Z",
        identity=Identity(
            os_name="OpenWrt", os_version="12.09", vendor="TP-Link", model="TL-WR703N"
        ),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def wr703n(wr703n_rootfs: RootFS) -> Assessment:
    assessment = _assessment()
    assessment.findings = run_checks([wr703n_rootfs], assessment)
    assessment.declaration = load(SAMPLE)
    assessment.verdicts = evaluate(assessment)
    return assessment


def test_write_reports_writes_both_files(wr703n: Assessment, tmp_path: Path) -> None:
    paths = write_reports(wr703n, tmp_path / "out")
    assert [p.name for p in paths] == ["report.html", "report.md"]
    assert all(p.stat().st_size > 10_000 for p in paths)


def test_html_is_self_contained(wr703n: Assessment) -> None:
    html = render_html(wr703n)
    assert html.startswith("<!doctype html>")
    for asset in ("<script", "<link", "<img", "<iframe", "@import", "url("):
        assert asset not in html.lower(), asset
    assert re.search(r"<style>\s*/\* Assay report", html)  # the one CSS file, inlined


def test_summary_then_fixes_then_matrix(wr703n: Assessment) -> None:
    html = render_html(wr703n)
    order = [html.index(f'id="{s}"') for s in ("summary", "fixes", "matrix")]
    assert order == sorted(order)
    summary = html[order[0] : order[1]]
    assert "Not ready for the EU, UK or US market" in summary
    assert "Accounts without a password" in summary  # the most urgent item, named


def test_fixes_come_in_priority_order_with_evidence(wr703n: Assessment) -> None:
    md = render_markdown(wr703n)
    titles = re.findall(r"^### \d+\. (.+) \((\w+)\)$", md, flags=re.M)
    severities = [sev for _, sev in titles]
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    assert [rank[s] for s in severities] == sorted(rank[s] for s in severities)
    assert titles[0][0] == "Accounts without a password"
    first = md.split("### 2.")[0]
    for path in ("/etc/shadow", "/etc/init.d/telnet", "/etc/rc.d/S50telnet"):
        assert f"`{path}" in first
    assert "psti:1" in first  # what it breaks, through the EN 303 645 route
    assert "support.end\\_date 2016-04-30 has passed" in md  # a failed declared fact


def test_matrix_has_every_requirement(wr703n: Assessment) -> None:
    html = render_html(wr703n)
    rows = re.findall(r'<tr id="req-([^"]+)" class="r-(\w+)"', html)
    assert len(rows) == len(load_catalog().requirements())
    assert ("psti-1", "FAIL") in rows
    md = render_markdown(wr703n)
    for norm in load_catalog().norms:
        for req in norm.requirements:
            assert f"\n| {req.id} | " in md, req.uid


def test_strings_from_the_image_are_escaped() -> None:
    evil = Finding(
        "services.telnet",
        Verdict.FAIL,
        "critical",
        title="Telnet <b>server</b>",
        summary="runs <script>alert(1)</script>",
        fix="remove it",
        evidence=(Evidence("/etc/<img src=x onerror=alert(1)>", 3, "a|b `c` <i>", "n"),),
    )
    assessment = _assessment(findings=[evil])
    html = render_html(assessment)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<b>server</b>" not in html
    md = render_markdown(assessment)
    outside_code = re.sub(r"`[^`\n]*`", "", md)  # code spans show their text literally
    assert not re.search(r"(?<!\\)<(script|img|b|i)\b", outside_code)  # only escaped \<
    assert "\\<script\\>" in md
    assert "`/etc/<img src=x onerror=alert(1)>:3`" in md


def test_known_exploited_vulnerability_is_the_first_fix() -> None:
    comp = Component(
        "busybox", "1.19.4", purl="pkg:generic/busybox@1.19.4", locations=("/bin/busybox",)
    )
    kev = VulnerabilityMatch(
        "CVE-2021-42373", comp.ref, "medium", cvss_score=5.5, kev=True, description="a NULL deref"
    )
    other = VulnerabilityMatch("CVE-2021-42374", comp.ref, "high", cvss_score=7.5)
    finding = Finding("services.telnet", Verdict.FAIL, "critical", title="Telnet server")
    assessment = _assessment(components=[comp], vulnerabilities=[other, kev], findings=[finding])
    md = render_markdown(assessment)
    titles = re.findall(r"^### \d+\. (.+)$", md, flags=re.M)
    assert titles[0] == "Update busybox 1.19.4 (critical)"
    assert titles[1] == "Telnet server (critical)"
    section = md.split("### 2.")[0]
    assert section.index("CVE-2021-42373") < section.index("CVE-2021-42374")  # KEV first
    assert "1 known to be exploited (CISA KEV)" in section
    assert "cra:I(2)(a)" in section
    assert "`/bin/busybox` pkg:generic/busybox@1.19.4" in section  # where the component is


def test_without_verdicts_the_report_evaluates_them() -> None:
    assessment = _assessment()
    html = render_html(assessment)
    assert assessment.verdicts == []  # not changed
    assert html.count('<tr id="req-') == len(load_catalog().requirements())
    assert "Write a manufacturer&#39;s declaration" in html


def test_unwritable_output_is_an_error(wr703n: Assessment, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    from assay.errors import AssayError

    with pytest.raises(AssayError, match="cannot write the report"):
        write_reports(wr703n, blocker / "out")
