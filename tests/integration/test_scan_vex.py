"""``assay scan --vex`` on the bundled image and ``.assay-ignore.yaml`` on a small tree: the
suppressed match stays in every output with its justification, and stops counting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from assay.model.schema import schema_errors

ROOT = Path(__file__).resolve().parent.parent.parent
IMAGE = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
VEX = ROOT / "tests" / "data" / "vex" / "wr703n-dropbear.openvex.json"
SARIF_SCHEMA = ROOT / "tests" / "data" / "schemas" / "sarif-2.1.0-rtm.5.json"
DROPBEAR = "pkg:opkg/openwrt/dropbear@2011.54-2?arch=ar71xx&distro=openwrt-12.09"
JUSTIFICATION = "vulnerable_code_not_in_execute_path"


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})},
    )


def _match(document: dict[str, object], vuln: str) -> dict[str, object]:
    matches = document["vulnerabilities"]
    assert isinstance(matches, list)
    (found,) = [m for m in matches if m["id"] == vuln and m["component"] == DROPBEAR]
    return dict(found)


@pytest.fixture(scope="module")
def vex_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("vex-scan")
    outputs = {"json": "a.json", "table": "t.txt", "sarif": "s.sarif", "cyclonedx-json": "c.json"}
    args = [f"-o{fmt}={out / name}" for fmt, name in outputs.items()]
    proc = _run(
        "scan", str(IMAGE), "--no-checks", "--vex", str(VEX), "--fail-on", "vuln:medium", *args,
        "-q", cwd=out,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # other medium-or-worse matches still trip
    return out, proc.stderr


@pytest.mark.slow
def test_vex_suppresses_a_real_statement_with_its_justification(
    vex_scan: tuple[Path, str], wr703n_scan: Path
) -> None:
    """CVE-2016-3116 (dropbear X11 forwarding) counts in the plain scan of the bundled image;
    with the manufacturer's OpenVEX statement it is suppressed, with the justification and the
    impact statement in assessment.json, the table, SARIF and CycloneDX."""
    plain = json.loads((wr703n_scan / "assessment.json").read_text())
    before = _match(plain, "CVE-2016-3116")
    assert before["status"] == "affected" and "suppressed" not in before

    out, stderr = vex_scan
    document = json.loads((out / "a.json").read_text())
    assert schema_errors(document) == []
    after = _match(document, "CVE-2016-3116")
    mark = after["suppressed"]
    assert isinstance(mark, dict)
    assert mark["by"] == "vex" and mark["status"] == "not_affected"
    assert mark["justification"] == JUSTIFICATION
    assert "/usr/bin/X11/xauth" in mark["reason"]
    assert mark["source"] == "openvex:https://assay.example/vex/openwrt-12.09-wr703n-dropbear-1"
    assert after["status"] == "affected"  # Assay's own analysis is kept beside the statement
    facts = document["facts"]["suppression"]
    assert facts["suppressed_by_vex"] == 1 and facts["statements"] == 2
    # the "affected" statement about CVE-2012-0920 suppresses nothing
    assert "suppressed" not in _match(document, "CVE-2012-0920")

    # --fail-on: the suppressed match no longer trips, the others still do
    assert "CVE-2016-3116" not in stderr
    assert "vulnerability CVE-2012-0920 on dropbear@2011.54-2: severity high" in stderr
    assert "CVE-2013-4421 on dropbear@2011.54-2: severity medium" in stderr

    row = next(line for line in (out / "t.txt").read_text().splitlines() if "CVE-2016-3116" in line)
    assert "not affected per VEX (openvex:" in row and JUSTIFICATION in row

    sarif = json.loads((out / "s.sarif").read_text())
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    (result,) = [
        r
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "CVE-2016-3116" and r["properties"]["component"] == DROPBEAR
    ]
    (suppression,) = result["suppressions"]
    assert suppression["status"] == "accepted" and JUSTIFICATION in suppression["justification"]

    text = (out / "c.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    (vuln,) = [v for v in json.loads(text)["vulnerabilities"] if v["id"] == "CVE-2016-3116"]
    assert vuln["analysis"]["state"] == "not_affected"
    assert vuln["analysis"]["justification"] == "code_not_reachable"
    assert "/usr/bin/X11/xauth" in vuln["analysis"]["detail"]


# the ignore file, found in the working directory, on a small tree with zlib 1.2.11


def _tree(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "usr/lib/opkg/info").mkdir(parents=True)
    (root / "etc/openwrt_release").write_text('DISTRIB_ID="OpenWrt"\nDISTRIB_RELEASE="19.07"\n')
    (root / "usr/lib/opkg/info/zlib.control").write_text(
        "Package: zlib\nVersion: 1.2.11-3\nArchitecture: mips_24kc\n"
    )
    return root


def test_ignore_file_in_the_working_directory(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "rootfs")
    args = ["scan", str(tree), "--no-checks", "--fail-on", "vuln:critical", "-q"]
    plain = _run(*args, "-o", "json=plain.json", cwd=tmp_path)
    assert plain.returncode == 1 and "CVE-2023-45853 on zlib@1.2.11-3" in plain.stderr
    (tmp_path / ".assay-ignore.yaml").write_text(
        "- id: CVE-2023-45853\n"
        "  component: zlib\n"
        "  reason: minizip is not built; only the zlib library ships\n"
        "  expires: 2099-12-31\n"
    )
    ignored = _run(*args, "-o", "json=ignored.json", "-o", "table=table.txt", cwd=tmp_path)
    assert "CVE-2023-45853" not in ignored.stderr, ignored.stderr
    document = json.loads((tmp_path / "ignored.json").read_text())
    (match,) = [m for m in document["vulnerabilities"] if m["id"] == "CVE-2023-45853"]
    assert match["suppressed"] == {
        "by": "ignore",
        "status": "ignored",
        "reason": "minizip is not built; only the zlib library ships",
        "source": ".assay-ignore.yaml",
        "expires": "2099-12-31",
    }
    row = next(
        line for line in (tmp_path / "table.txt").read_text().splitlines() if "45853" in line
    )
    assert row.endswith("ignored (.assay-ignore.yaml): minizip is not built; only the zlib "
                        "library ships (until 2099-12-31)")  # fmt: skip


def test_bad_ignore_file_stops_the_scan_before_it_starts(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "rootfs")
    (tmp_path / "ignore.yaml").write_text("- id: CVE-2023-45853\n")
    proc = _run("scan", str(tree), "--ignore", "ignore.yaml", "-q", cwd=tmp_path)
    assert proc.returncode == 3
    err = proc.stderr.strip()
    assert err.startswith(
        "assay: error: ignore file ignore.yaml: entry 1 (CVE-2023-45853): no reason"
    )
    assert "\n" not in err and not (tmp_path / "assay-out").exists()
