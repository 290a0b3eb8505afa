"""What ``assay scan`` takes, run as a user runs it (a subprocess): an SBOM is assessed
(exit 0, ``target.kind`` sbom); anything with nothing recognisable in it is one line on
stderr and exit 3 (``InputError``), never "0 components, exit 0"."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

LARAVEL = "cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.4.json"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=dict(os.environ),
    )


def refused(target: Path, tmp_path: Path) -> str:
    proc = run("scan", str(target), "--out", str(tmp_path / "out"), "--no-vulns", cwd=tmp_path)
    err = proc.stderr.strip()
    assert proc.returncode == 3, (proc.returncode, err)
    assert "\n" not in err and err.startswith("assay: error: "), err
    assert not (tmp_path / "out" / "assessment.json").exists()
    return err


def test_an_sbom_is_scanned(shared_data: Path, tmp_path: Path) -> None:
    sbom = tmp_path / "sbom.cdx.json"
    shutil.copyfile(shared_data / "sbom" / LARAVEL, sbom)
    proc = run("scan", str(sbom), "-o", "json", "--no-vulns", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["target"]["kind"] == "sbom" and doc["target"]["name"] == "sbom.cdx.json"
    assert len(doc["components"]) > 50
    assert {f["verdict"] for f in doc["findings"]} == {"INCONCLUSIVE"}
    # the terminal summary says why no check failed
    shown = run("scan", str(sbom), "--out", str(tmp_path / "out"), "--no-vulns", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "an SBOM has no files: every check is inconclusive" in shown.stdout + shown.stderr


def test_an_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "nothing recognisable in this directory" in refused(empty, tmp_path)


def test_a_directory_of_documents(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "notes").mkdir(parents=True)
    (folder / "README.txt").write_text("Holiday pictures, not a firmware.\n")
    (folder / "notes" / "list.csv").write_text("a,b\n1,2\n")
    assert "nothing recognisable" in refused(folder, tmp_path)


def test_a_tarball_of_documents(tmp_path: Path) -> None:
    archive = tmp_path / "docs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b"minutes of the meeting\n" * 50
        info = tarfile.TarInfo("minutes.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert "nothing recognisable in this file" in refused(archive, tmp_path)


def test_random_bytes(tmp_path: Path) -> None:
    blob = tmp_path / "random.bin"
    blob.write_bytes(os.urandom(64 * 1024))
    assert "random.bin" in refused(blob, tmp_path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("package.json", json.dumps({"name": "left-pad", "version": "1.3.0"})),
        ("feed.xml", '<?xml version="1.0"?><rss><channel/></rss>'),
    ],
)
def test_a_document_that_is_no_sbom(name: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert "not an SBOM" in refused(path, tmp_path)


def test_an_obfuscated_vendor_image_is_a_partial_result(shared_data: Path, tmp_path: Path) -> None:
    """A real firmware file unblob carves, with no Linux inside (Linksys WRT120N, an
    obfuscated RTOS): not refused, every check inconclusive, the problem said."""
    image = shared_data / "firmware/vendor-corpus/linksys-wrt120n/FW_WRT120N_1.0.07.002_US.bin"
    proc = run("scan", str(image), "-o", "json", "--no-vulns", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {f["verdict"] for f in doc["findings"]} == {"INCONCLUSIVE"}
    assert any("no root filesystem or kernel" in p["message"] for p in doc["problems"])
