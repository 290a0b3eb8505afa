"""``assay verify``: exit codes, JSON evidence and the policy, end to end through the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.cli import main
from assay.supply.inventory import Inventory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from supplier import package_list, write_cyclonedx, write_openwrt_manifest  # noqa: E402


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["verify", *args])
    return code, capsys.readouterr().out


def test_faithful_manifest_exits_0(
    wr703n_inventory: Inventory,
    wr703n_assessment_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sbom = write_openwrt_manifest(package_list(wr703n_inventory), tmp_path / "manifest")
    code, out = _run(["--sbom", str(sbom), "-o", "json", str(wr703n_assessment_file)], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["passed"] is True
    assert doc["sbom"]["verdict"] == "FAITHFUL" and doc["sbom"]["fidelity"] == 1.0


def test_planted_mismatches_on_the_unpacked_image_exit_1(
    wr703n_inventory: Inventory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rootfs directory is scanned by the CLI (no extraction), so hashes are checked."""
    packages = package_list(wr703n_inventory)
    for p in packages:
        if p["name"] == "dnsmasq":
            p["sha256"] = "00" * 31 + "01"
        if p["name"] == "busybox":
            p["version"] = "1.19.4-7"
    sbom = write_cyclonedx(packages, tmp_path / "sbom.json")
    out_file = tmp_path / "evidence.json"
    rootfs = str(wr703n_inventory.roots[0].root)
    code, out = _run(["--sbom", str(sbom), "--out", str(out_file), rootfs], capsys)
    assert code == 1
    assert "UNFAITHFUL" in out and "busybox" in out and "dnsmasq" in out
    doc = json.loads(out_file.read_text())
    assert doc["sbom"]["counts"] == {
        "declared-absent": 0,
        "undeclared": 0,
        "version": 1,
        "hash": 1,
        "license": 0,
    }


POLICY = """
name: brand-owner
rules:
  sbom_fidelity_min: {floor}
  no_undeclared: true
  end_of_life:
    - {{name: kernel, version: "3.3", ended: 2012-06-04}}
"""


@pytest.mark.parametrize(
    "floor,eol,code,results",
    [
        (0.95, False, 0, ["PASS", "PASS"]),
        (0.999, False, 1, ["FAIL", "FAIL"]),
        (0.95, True, 1, ["PASS", "PASS", "FAIL"]),
    ],
)
def test_policy_passes_and_fails_as_its_rules_say(
    floor: float,
    eol: bool,
    code: int,
    results: list[str],
    wr703n_inventory: Inventory,
    wr703n_assessment_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    packages: list[dict[str, Any]] = package_list(wr703n_inventory)
    if floor > 0.99:  # drop one package: 81/82 correct, and one undeclared
        packages = [p for p in packages if p["name"] != "uci"]
    text = POLICY.format(floor=floor)
    if not eol:
        text = text.split("  end_of_life:")[0]
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    sbom = write_openwrt_manifest(packages, tmp_path / "manifest")
    args = ["--sbom", str(sbom), "--policy", str(policy), "-o", "json"]
    got, out = _run([*args, str(wr703n_assessment_file)], capsys)
    doc = json.loads(out)
    assert got == code
    assert [r["result"] for r in doc["policy"]["rules"]] == results
    if eol:
        assert "kernel 3.3.8" in doc["policy"]["rules"][2]["reason"]


def test_unknown_policy_rule_is_an_input_error(
    wr703n_assessment_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  sbom_fidelity_minimum: 0.9\n")
    assert main(["verify", "--policy", str(policy), str(wr703n_assessment_file)]) == 3
    assert "unknown rule(s) sbom_fidelity_minimum" in capsys.readouterr().err


def test_nothing_to_verify_is_a_usage_error(wr703n_assessment_file: Path) -> None:
    assert main(["verify", str(wr703n_assessment_file)]) == 2
