"""The built wheel, installed into a fresh virtual environment outside the repository, works:
``assay --version``, the norms catalogue (package YAML), the JSON Schema, and a scan matched
against the bundled vulnerability snapshot (``snapshot.json.xz``) all come from the wheel.

The wheel is built from a copy of the sources (nothing is written into the checkout) with
pip's build isolation (setuptools from the package index). Its dependencies are not
installed again: the environment sees the shared one's site-packages through a ``.pth`` line,
which adds that folder without running its ``.pth`` files (so not the editable install of
this checkout); the test checks that ``assay`` is imported from the new environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{args}: {proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "wheel", "--no-deps", "-q", "-w", str(out), str(source)], cwd=tmp)
    (built,) = out.glob("assay-*.whl")
    return built


@pytest.mark.slow  # building the wheel takes 25-40 s here
def test_every_data_file_of_the_package_is_in_the_wheel(wheel: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "src/assay"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    data = {p.removeprefix("src/") for p in tracked if not p.endswith(".py")}
    assert (
        "assay/vulns/data/snapshot.json.xz" in data and "assay/model/assessment.schema.json" in data
    )
    missing = data - set(zipfile.ZipFile(wheel).namelist())
    assert not missing


@pytest.mark.slow
def test_the_installed_wheel_runs_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             cwd=tmp_path).stdout.strip()
    )  # fmt: skip
    (site / "shared-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python)]
    _run([*pip, "install", "--no-deps", "-q", str(wheel)], cwd=tmp_path)

    where = _run([str(python), "-c", "import assay; print(assay.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    assay = str(venv / "bin" / "assay")
    version = _run([assay, "--version"], cwd=tmp_path).stdout
    assert version.startswith("assay, version ")
    norms = _run([assay, "norms", "list"], cwd=tmp_path).stdout
    assert "en303645:5.1-1" in norms and "cra:" in norms  # read from the packaged YAML
    code = "from assay.model.schema import assessment_schema as s; print(s()['title'])"
    schema = _run([str(python), "-c", code], cwd=tmp_path)
    assert schema.stdout.strip() == "Assay assessment.json"

    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "usr/lib/opkg/info").mkdir(parents=True)
    (root / "etc/openwrt_release").write_text('DISTRIB_ID="OpenWrt"\nDISTRIB_RELEASE="19.07"\n')
    (root / "usr/lib/opkg/info/zlib.control").write_text(
        "Package: zlib\nVersion: 1.2.11-3\nArchitecture: mips_24kc\n"
    )
    home = tmp_path / "home"  # an empty ASSAY_HOME: the scan uses the snapshot in the wheel
    env_home = {"ASSAY_HOME": str(home)}
    proc = subprocess.run(
        [assay, "scan", str(root), "-o", "json", "--no-checks"],
        cwd=tmp_path,
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, **env_home},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert "snapshot" in document["facts"]["vulnerability_store"]["origin"]
    assert any(v["id"] == "CVE-2023-45853" for v in document["vulnerabilities"])
