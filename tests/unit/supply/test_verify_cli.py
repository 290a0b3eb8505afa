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


# --- attestations and the policy on them ------------------------------------------------

GENERIC = "supply-chain/slsa/slsa-verifier-testdata/gha_generic/v2.1.0"
BUILDER = (
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
    "generator_generic_slsa3.yml@refs/tags/v2.1.0"
)


@pytest.fixture(scope="module")
def generic_binary(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import lzma

    out = tmp_path_factory.mktemp("slsa") / "binary-linux-amd64"
    with lzma.open(shared_data / GENERIC / "binary-linux-amd64-workflow_dispatch.xz") as fh:
        out.write_bytes(fh.read())
    return out


@pytest.mark.parametrize(
    "provenance,code,results",
    [
        ("binary-linux-amd64-push-v14.2.intoto.jsonl", 0, ["PASS", "PASS", "PASS"]),
        ("binary-linux-amd64-workflow_dispatch.intoto.jsonl", 1, ["PASS", "FAIL", "PASS"]),
    ],
)
def test_builder_and_source_policy(
    provenance: str,
    code: int,
    results: list[str],
    shared_data: Path,
    generic_binary: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"rules:\n  builder: [{BUILDER}]\n"
        "  source: ['git+https://github.com/slsa-framework/example-package@refs/tags/']\n"
        "  signed_image: true\n"
    )
    root = shared_data / "supply-chain/sigstore/trusted-roots/production/trusted_root.json"
    args = ["--attestation", str(shared_data / GENERIC / provenance), "--trusted-root", str(root)]
    got, out = _run([*args, "--policy", str(policy), "-o", "json", str(generic_binary)], capsys)
    doc = json.loads(out)
    assert [r["result"] for r in doc["policy"]["rules"]] == results
    assert got == code
    assert doc["attestations"][0]["result"] == "verified" and doc["attestations"][0]["binds"]


def test_an_untrusted_builder_fails_the_policy(
    shared_data: Path, generic_binary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"rules:\n  builder: [{BUILDER}]\n")
    bad = shared_data / "supply-chain/slsa/slsa-verifier-testdata"
    bad = bad / "binary-linux-amd64-untrusted-builder.intoto.jsonl"
    got, out = _run(
        ["--attestation", str(bad), "--policy", str(policy), "-o", "json", str(generic_binary)],
        capsys,
    )
    rule = json.loads(out)["policy"]["rules"][0]
    assert got == 1 and rule["result"] == "FAIL"
    assert "asraa/slsa-github-generator" in rule["reason"] and "not allowed" in rule["reason"]


def test_provenance_of_another_artifact_fails_on_the_bundled_image(
    shared_data: Path, wr703n_assessment_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The image's own SHA-256 (from its assessment) is not the provenance's subject."""
    base = shared_data / "supply-chain/slsa/slsa-verifier-testdata/bcr"
    root = shared_data / "supply-chain/sigstore/trusted-roots/production/trusted_root.json"
    args = ["--attestation", str(base / "MODULE.bazel.intoto.jsonl"), "--trusted-root", str(root)]
    got, out = _run([*args, "-o", "json", str(wr703n_assessment_file)], capsys)
    att = json.loads(out)["attestations"][0]
    assert got == 1 and att["result"] == "failed" and att["reason"].startswith("wrong subject")
    assert json.loads(wr703n_assessment_file.read_text())["target"]["sha256"] in att["reason"]


@pytest.mark.parametrize(
    "rules,words",
    [
        ("sbom_fidelity_min: 95", "from 0 to 1"),
        ("no_undeclared: yes please", "true or false"),
        ("end_of_life: [{name: kernel, ended: soon}]", "not a date"),
        ("builder: []", "text or a list"),
    ],
)
def test_bad_policy_values_are_input_errors(
    rules: str,
    words: str,
    wr703n_assessment_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(f"rules:\n  {rules}\n")
    assert main(["verify", "--policy", str(policy), str(wr703n_assessment_file)]) == 3
    assert words in capsys.readouterr().err


def test_into_adds_a_supply_section(
    wr703n_inventory: Inventory,
    wr703n_assessment_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assessment = tmp_path / "assessment.json"
    assessment.write_text(wr703n_assessment_file.read_text())
    sbom = write_openwrt_manifest(package_list(wr703n_inventory), tmp_path / "manifest")
    code, _ = _run(["--sbom", str(sbom), "--into", str(assessment), str(assessment)], capsys)
    data = json.loads(assessment.read_text())
    assert code == 0 and data["supply"]["sbom"]["verdict"] == "FAITHFUL"
    assert data["components"] == json.loads(wr703n_assessment_file.read_text())["components"]
