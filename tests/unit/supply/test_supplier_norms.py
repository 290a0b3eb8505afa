"""CRA Annex I Part II(1) uses the supplier's SBOM: PASS only with an SBOM that matches the
image, FAIL with evidence when it disagrees, INCONCLUSIVE without one (never PASS)."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.cli import main
from assay.model.assessment import Assessment
from assay.model.check import Verdict
from assay.norms import evaluate
from assay.norms.supplier import judge, min_fidelity
from assay.pipeline import ScanOptions, ScanResult, assess
from assay.supply.declared import load_sbom
from assay.supply.inventory import Inventory
from assay.supply.scan import FACT, attach

sys.path.insert(0, str(Path(__file__).resolve().parent))
from supplier import package_list, write_cyclonedx, write_openwrt_manifest  # noqa: E402


@pytest.fixture(scope="module")
def packages(wr703n_inventory: Inventory) -> list[dict[str, Any]]:
    return package_list(wr703n_inventory)


@pytest.fixture(scope="module")
def scanned(
    wr703n_inventory: Inventory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScanResult]:
    """The bundled image's root file system, scanned with vulnerability matching (the bundled
    snapshot), so that every other part of II(1) can pass."""
    rootfs = wr703n_inventory.roots[0].root
    work = tmp_path_factory.mktemp("norms-work")
    yield assess(rootfs, ScanOptions(work_dir=work, run_checks=False))


def _ii1(assessment: Assessment) -> Any:
    return next(v for v in assessment.verdicts if v.norm == "cra" and v.requirement == "II(1)")


def _judged(scanned: ScanResult, packages: list[dict[str, Any]], path: Path) -> Any:
    attach(scanned.assessment, scanned.rootfs, load_sbom(write_cyclonedx(packages, path)))
    return _ii1(scanned.assessment)


def test_without_a_supplier_sbom_it_is_never_pass(scanned: ScanResult) -> None:
    scanned.assessment.facts.pop(FACT, None)
    verdict = evaluate(scanned.assessment)
    ii1 = next(v for v in verdict if v.norm == "cra" and v.requirement == "II(1)")
    assert ii1.verdict == Verdict.INCONCLUSIVE
    assert "no supplier SBOM was provided" in ii1.reason
    assert "supplier-sbom:fidelity>=0.95" in ii1.missing


def test_a_faithful_sbom_passes(
    scanned: ScanResult, packages: list[dict[str, Any]], tmp_path: Path
) -> None:
    ii1 = _judged(scanned, packages, tmp_path / "faithful.cdx.json")
    assert ii1.verdict == Verdict.PASS, ii1.reason
    assert "states 82 of 82 components correctly (fidelity 1.00" in ii1.reason
    assert "supplier-sbom:faithful.cdx.json" in ii1.evidence
    fact = scanned.assessment.facts[FACT]
    assert fact["verdict"] == "FAITHFUL" and fact["declared"] == 80


def test_an_undeclared_component_fails_even_above_the_threshold(
    scanned: ScanResult, packages: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Drop dropbear, add openssl, change busybox's version, dnsmasq's hash: fidelity 79/82
    (0.963, above 0.95), but dropbear is in the image and not in the SBOM."""
    out = [copy.deepcopy(p) for p in packages if p["name"] != "dropbear"]
    by_name = {p["name"]: p for p in out}
    by_name["busybox"]["version"] = "1.22.1-2"
    by_name["dnsmasq"]["sha256"] = "ab" * 32
    out.append({"name": "openssl", "version": "1.0.1e-1", "license": ""})
    ii1 = _judged(scanned, out, tmp_path / "altered.cdx.json")
    assert ii1.verdict == Verdict.FAIL
    assert "1 in the image but not in it: dropbear 2011.54-2" in ii1.reason
    assert "declared but not seen in the image (check by hand): openssl 1.0.1e-1" in ii1.reason
    assert scanned.assessment.facts[FACT]["fidelity"] == round(79 / 82, 4)
    from assay.present.report import render_html, render_markdown

    html = render_html(scanned.assessment)
    assert 'id="supplier-sbom"' in html and "<strong>UNFAITHFUL</strong>, fidelity 96.3 %" in html
    assert "<td>undeclared</td><td>dropbear</td>" in html
    markdown = render_markdown(scanned.assessment)
    assert "## The supplier's SBOM against the image" in markdown
    assert "- undeclared: dropbear (SBOM -, image 2011.54-2)" in markdown


def test_fidelity_below_the_minimum_fails(
    scanned: ScanResult, packages: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = copy.deepcopy(packages)
    for p in out[:5]:
        p["version"] = "0.0.1"
    ii1 = _judged(scanned, out, tmp_path / "stale.cdx.json")
    assert ii1.verdict == Verdict.FAIL
    assert "fidelity 0.94, minimum 0.95" in ii1.reason and "stated wrongly: 5 version" in ii1.reason


def test_a_declared_component_the_image_does_not_show_is_only_noted(
    scanned: ScanResult, packages: list[dict[str, Any]], tmp_path: Path
) -> None:
    """It may be one Assay cannot see (the bootloader): reported, not a FAIL."""
    out = [*packages, {"name": "u-boot", "version": "1.1.4", "license": ""}]
    ii1 = _judged(scanned, out, tmp_path / "with-bootloader.cdx.json")
    assert ii1.verdict == Verdict.PASS
    assert "check by hand): u-boot 1.1.4" in ii1.reason


def test_the_leaf_reads_only_the_summary() -> None:
    assert min_fidelity("fidelity >= 0.95") == 0.95 and min_fidelity("0.95") is None
    assert min_fidelity("fidelity >= 0") == 0.0 and min_fidelity("fidelity >= 1.5") is None
    verdict, reasons, _, _ = judge({"path": "x", "fidelity": None, "measured": 0}, 0.9)
    assert verdict == Verdict.INCONCLUSIVE and "nothing was measured" in reasons[0]


def test_scan_cli_takes_the_supplier_sbom(
    wr703n_inventory: Inventory,
    packages: list[dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = [p for p in packages if p["name"] != "dropbear"]
    sbom = write_openwrt_manifest(manifest, tmp_path / "manifest")
    out = tmp_path / "assessment.json"
    rootfs = str(wr703n_inventory.roots[0].root)
    args = ["scan", rootfs, "--no-checks", "--supplier-sbom", str(sbom), "-o", f"json={out}"]
    main([*args, "-q"])
    capsys.readouterr()
    doc = json.loads(out.read_text())
    assert doc["facts"][FACT]["counts"]["undeclared"] == 1
    ii1 = next(v for v in doc["verdicts"] if v["norm"] == "cra" and v["requirement"] == "II(1)")
    assert ii1["verdict"] == "FAIL" and "dropbear" in ii1["reason"]


def test_scan_cli_refuses_a_file_that_is_no_sbom(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("these are release notes, not an SBOM\n")
    code = main(["scan", str(tmp_path), "--supplier-sbom", str(bad), "-q"])
    assert code == 3
    assert "format not recognised" in capsys.readouterr().err
