"""SquashFS through Debian's unsquashfs, and the vendor-format samples in shared data."""

from __future__ import annotations

import json
import lzma
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assay.cli import main


def _tree(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "usr/lib/opkg/info").mkdir(parents=True)
    (root / "etc/openwrt_release").write_text('DISTRIB_ID="OpenWrt"\nDISTRIB_RELEASE="19.07"\n')
    (root / "usr/lib/opkg/info/zlib.control").write_text(
        "Package: zlib\nVersion: 1.2.11-3\nArchitecture: mips_24kc\n"
    )
    (root / "usr/lib/opkg/info/zlib.list").write_text("/usr/lib/libz.so.1.2.11\n")
    return root


@pytest.mark.parametrize("compressor", ["gzip", "xz", "lzo", "lz4", "zstd"])
def test_standard_squashfs_v4_each_compressor(
    compressor: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("mksquashfs") is None:
        pytest.skip("mksquashfs (squashfs-tools) is not installed")
    image = tmp_path / f"rootfs-{compressor}.squashfs"
    subprocess.run(
        [
            "mksquashfs",
            str(_tree(tmp_path / "src")),
            str(image),
            "-comp",
            compressor,
            "-noappend",
            "-quiet",
            "-no-progress",
        ],
        check=True,
        capture_output=True,
    )
    # pad it behind a vendor-like header, as real images do
    blob = tmp_path / "firmware.bin"
    blob.write_bytes(b"VENDOR\0\0" * 64 + image.read_bytes() + b"\xff" * 4096)
    out = tmp_path / "out"
    assert main(["scan", str(blob), "--out", str(out), "-q", "--no-vulns", "--no-checks"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    comps = {c["name"]: c for c in doc["components"]}
    assert [(c["name"], c["version"]) for c in doc["components"]] == [
        ("zlib", "1.2.11-3"),
        ("openwrt", "19.07"),
    ]
    assert comps["zlib"]["cpe"].startswith("cpe:2.3:a:zlib:zlib:1.2.11:")
    assert doc["identity"]["os_version"] == "19.07"


def test_legacy_lzma_squashfs_is_reported_unsupported(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "firmware.squashfs"
    image.write_bytes(
        lzma.decompress(
            (shared_data / "firmware/binwalk-test-inputs/firmware.squashfs.xz").read_bytes()
        )
    )
    assert main(["scan", str(image), "--out", str(tmp_path / "o"), "-q"]) == 3
    err = capsys.readouterr().err.strip()
    assert "unsupported SquashFS variant" in err and "\n" not in err


def test_tplink_container_with_test_rootfs(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "test.tpl"
    image.write_bytes(
        lzma.decompress(
            (shared_data / "firmware/fact-extractor-test-data/test.tpl.xz").read_bytes()
        )
    )
    out = tmp_path / "o"
    assert main(["scan", str(image), "--out", str(out), "-q", "--no-vulns"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    assert doc["identity"]["model"] == "TL-MR3020"
    kernels = [c for c in doc["components"] if c["name"] == "linux-kernel"]
    assert [k["version"] for k in kernels] == ["2.6.31"]
    assert any("no root filesystem" in p["message"] for p in doc["problems"])


def test_mr3020_image(shared_data: Path, tmp_path: Path) -> None:
    image = tmp_path / "mr3020.bin"
    image.write_bytes(
        lzma.decompress(
            (
                shared_data / "firmware/openwrt-12.09-tplink/"
                "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin.xz"
            ).read_bytes()
        )
    )
    out = tmp_path / "o"
    assert main(["scan", str(image), "--out", str(out), "-q", "--no-vulns", "--no-checks"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    assert doc["identity"]["model"] == "TL-MR3020"
    assert sum("opkg-db" in c["found_by"] for c in doc["components"]) == 80


def test_compressed_image_as_handed_in(tmp_path: Path) -> None:
    # the bundled file is the factory image under xz: the TP-Link header is one layer down
    bundled = Path(__file__).resolve().parents[2] / "data/firmware"
    image = next(bundled.glob("*.bin.xz"))
    out = tmp_path / "o"
    assert main(["scan", str(image), "--out", str(out), "-q", "--no-vulns", "--no-checks"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    assert (doc["identity"]["vendor"], doc["identity"]["model"]) == ("TP-Link", "TL-WR703N")
    assert sum("opkg-db" in c["found_by"] for c in doc["components"]) == 80


# -o/--output and --fail-on, on a small tree with a real failed check (an empty root password)


def _weak_tree(root: Path) -> Path:
    _tree(root)
    (root / "etc/shadow").write_text("root::16000:0:99999:7:::\n")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/ash\n")
    return root


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def test_output_json_to_stdout_writes_nothing_else(tmp_path: Path) -> None:
    tree = _weak_tree(tmp_path / "rootfs")
    proc = _run("scan", str(tree), "-o", "json", "--no-vulns", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["target"]["name"] == "rootfs"
    assert not (tmp_path / "assay-out").exists()  # -o alone: no --out set


def test_no_output_option_keeps_writing_the_full_set(tmp_path: Path) -> None:
    tree = _weak_tree(tmp_path / "rootfs")
    proc = _run("scan", str(tree), "--no-vulns", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "assay-out").iterdir())
    assert names == [
        "assessment.json",
        "label.json",
        "label.png",
        "label.svg",
        "report.html",
        "report.md",
        "sbom.cdx.json",
    ]
    assert proc.stdout == ""  # not a terminal: no table unless asked


def test_table_piped_is_one_line_per_row(tmp_path: Path) -> None:
    tree = _weak_tree(tmp_path / "rootfs")
    proc = _run("scan", str(tree), "-o", "table", "--no-color", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("COMPONENT"))
    assert header.split() == [
        "COMPONENT",
        "INSTALLED",
        "FIXED-IN",
        "VULNERABILITY",
        "SEVERITY",
        "EPSS",
        "KEV",
        "STATUS",
    ]
    rows = [line for line in lines if "CVE-" in line]
    assert rows and all(line.split()[0] in {"zlib", "openwrt"} for line in rows)
    assert any(line.split()[:3] == ["zlib", "1.2.11-3", "CVE-2023-45853"] for line in rows)
    failed = next(line for line in lines if line.startswith("credentials.empty-password"))
    assert "critical" in failed and "/etc/shadow" in failed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "json", "-o", "sarif"], "would both go to standard output"),
        (["-o", "yaml"], "unknown format 'yaml'"),
        (["-o", "cyclonedx-json@1.2"], "CycloneDX 1.2 is not offered"),
        (["-o", "sarif@2"], "sarif has no versions"),
        (["--fail-on", "severe"], "--fail-on severe: not a rule"),
        (["--fail-on", "norm:iso"], "no norm 'iso'"),
        (["--fail-on", "epss:7"], "EPSS is a probability"),
    ],
)
def test_bad_output_or_rule_is_a_usage_error(tmp_path: Path, args: list[str], message: str) -> None:
    tree = _weak_tree(tmp_path / "rootfs")
    proc = _run("scan", str(tree), *args, cwd=tmp_path)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_fail_on_low_trips_on_a_failed_check_without_vulnerabilities(tmp_path: Path) -> None:
    """The case from the issue: it used to exit 0."""
    tree = _weak_tree(tmp_path / "rootfs")
    proc = _run("scan", str(tree), "--no-vulns", "--fail-on", "low", "-q", cwd=tmp_path)
    assert proc.returncode == 1
    assert "--fail-on tripped by" in proc.stderr
    assert "check credentials.empty-password: failed, severity critical (--fail-on low)" in (
        proc.stderr
    )


@pytest.mark.parametrize(
    ("rule", "code", "named"),
    [
        ("vuln:low", 0, ""),  # --no-vulns: nothing to trip on
        ("check:critical", 1, "check credentials.empty-password"),
        ("norm:cra", 1, "norm cra:"),
        ("norm:any", 1, "norm "),
        ("none", 0, ""),
    ],
)
def test_fail_on_rules(tmp_path: Path, rule: str, code: int, named: str) -> None:
    tree = _weak_tree(tmp_path / "rootfs")
    proc = _run("scan", str(tree), "--no-vulns", "--fail-on", rule, "-q", cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    if named:
        assert named in proc.stderr
    else:
        assert "tripped" not in proc.stderr


def test_fail_on_vulnerability_names_each_one(tmp_path: Path) -> None:
    tree = _weak_tree(tmp_path / "rootfs")
    proc = _run("scan", str(tree), "--no-checks", "--fail-on", "vuln:medium", "-q", cwd=tmp_path)
    assert proc.returncode == 1
    tripped = [line for line in proc.stderr.splitlines() if line.startswith("  vulnerability ")]
    assert tripped and all("(--fail-on vuln:medium)" in line for line in tripped)
    assert any(
        line.startswith("  vulnerability CVE-2023-45853 on zlib@1.2.11-3:") for line in tripped
    )


def test_outputs_of_a_partial_scan_hold_no_server_path(wr703n_image: Path, tmp_path: Path) -> None:
    """A truncated real image (a kernel, its root filesystem cut short) scanned in a known work
    directory: no output names that directory or shows a traceback."""
    cut = tmp_path / "truncated.bin"
    cut.write_bytes(wr703n_image.read_bytes()[:1_500_000])
    work, out = tmp_path / "work", tmp_path / "out"
    args = ["scan", str(cut), "--work-dir", str(work), "--keep-work", "--out", str(out), "-q"]
    assert main([*args, "--no-vulns", "-o", f"sarif={out / 'assay.sarif'}"]) == 0
    assert any(work.rglob("*"))  # the work directory was used
    for path in out.iterdir():
        if path.suffix == ".png":
            continue
        text = path.read_text(encoding="utf-8")
        assert str(work) not in text and str(tmp_path) not in text, path.name
        assert "Traceback" not in text, path.name
    problems = json.loads((out / "assessment.json").read_text())["problems"]
    assert problems and all(not p["path"].startswith(str(tmp_path)) for p in problems)


def test_sign_key_signs_every_json_output(tmp_path: Path) -> None:
    from assay.present.signing import generate, key_id, public_text, verify

    tree = _weak_tree(tmp_path / "rootfs")
    key_file = tmp_path / "lab.pem"
    public = generate(key_file).public_key()
    trusted = {key_id(public): public_text(public)}
    args = ["scan", str(tree), "--no-vulns", "--sign-key", str(key_file)]
    proc = _run(*args, "--out", "set", "-o", "json=one.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for path in (tmp_path / "set/assessment.json", tmp_path / "one.json"):
        assert verify(json.loads(path.read_text()), trusted).trusted, path
    piped = _run(*args, "-o", "json", cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert verify(json.loads(piped.stdout), trusted).trusted
