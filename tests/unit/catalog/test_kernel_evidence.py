"""The kernel from what it leaves in a tree: module directories, vermagic, configuration."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from assay.catalog.engine import catalog
from assay.catalog.kernel import KernelModulesCataloger, kernel_component, reconcile
from assay.extract.rootfs import RootFS


def _module(root: Path, path: str, vermagic: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    modinfo = b"license=GPL\x00vermagic=" + vermagic.encode() + b"\x00depends=\x00"
    target.write_bytes(b"\x7fELF" + b"\x00" * 60 + modinfo)


def _scan(root: Path) -> tuple[list[str], list[str]]:
    comps, problems = catalog([RootFS(root)], [KernelModulesCataloger()])
    return [c.version for c in comps], [p.message for p in problems]


def test_several_module_dirs_one_leftover(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        magic = "3.10.71 preempt mod_unload ARMv7"
        _module(tmp_path, f"/lib/modules/3.10.71/kernel/{name}.ko", magic)
    _module(tmp_path, "/lib/modules/3.4.35/old.ko", "3.4.35 mod_unload ARMv5")
    (tmp_path / "lib/modules/2.6.36").mkdir()
    versions, problems = _scan(tmp_path)
    assert versions == ["3.10.71"]
    assert any("3.4.35" in p and "1 modules" in p for p in problems)
    assert any("2.6.36" in p and "0 modules" in p for p in problems)
    assert any("vermagic=3.4.35" in p for p in problems)


def test_a_stray_module_is_a_problem_not_the_kernel(tmp_path: Path) -> None:
    """HG532e: tc3162_dmt.ko says 2.6.22.15, every other module 2.6.21.5."""
    for name in ("hw_nat", "rt5392ap", "x"):
        _module(tmp_path, f"/lib/extra/{name}.ko", "2.6.21.5 mod_unload MIPS32_R2 32BIT")
    _module(tmp_path, "/lib/extra/tc3162_dmt.ko", "2.6.22.15 mod_unload MIPS32_R2 32BIT")
    comps, problems = catalog([RootFS(tmp_path)], [KernelModulesCataloger()])
    assert [c.version for c in comps] == ["2.6.21.5"]
    assert comps[0].cpe.startswith("cpe:2.3:o:linux:linux_kernel:2.6.21.5:")
    (stray,) = problems
    assert stray.path == "/lib/extra/tc3162_dmt.ko"
    assert "2.6.22.15" in stray.message and "2.6.21.5" in stray.resolution


def test_empty_module_dir_alone_still_names_the_kernel(tmp_path: Path) -> None:
    (tmp_path / "lib/modules/3.4.35").mkdir(parents=True)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/sh").write_bytes(b"#!" + b"x" * 100)
    comps, problems = catalog([RootFS(tmp_path)], [KernelModulesCataloger()])
    assert [(c.version, c.locations) for c in comps] == [("3.4.35", ("/lib/modules/3.4.35",))]
    assert "medium" in dict(comps[0].properties)["confidence"]
    assert problems == []


def test_kernel_config_header(tmp_path: Path) -> None:
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot/config-4.19.0").write_text(
        "#\n# Automatically generated file; DO NOT EDIT.\n"
        "# Linux/arm 4.19.0 Kernel Configuration\n#\nCONFIG_ARM=y\n"
    )
    assert _scan(tmp_path) == (["4.19.0"], [])


def test_no_evidence_no_kernel(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    assert _scan(tmp_path) == ([], [])


def test_four_part_banner_and_reconcile_prefers_the_banner(tmp_path: Path) -> None:
    image = tmp_path / "kernel"
    image.write_bytes(
        b"\x00" * 64 + b"Linux version 2.6.21.5 (wangfeizhou@whg) (gcc 4.3.4) "
        b"#1 Sat Jul 21 10:13:09 CST 2012\n\x00"
    )
    banner = kernel_component(image, "image:/kernel")
    assert banner is not None and banner.version == "2.6.21.5"
    _module(tmp_path / "root", "/lib/modules/2.6.22.15/a.ko", "2.6.22.15 mod_unload")
    from_modules, _ = catalog([RootFS(tmp_path / "root")], [KernelModulesCataloger()])
    kept, problems = reconcile([banner, *from_modules])
    assert [c.version for c in kept] == ["2.6.21.5"]
    assert "2.6.22.15" in dict(kept[0].properties)["conflicting_evidence"]
    assert len(problems) == 1 and "banner" in problems[0].resolution


def test_identity_kernel_and_component_come_together(tmp_path: Path) -> None:
    """A tree with only a module directory: the identity's kernel and the kernel component
    agree (the identity takes it from the component, never on its own)."""
    from assay.pipeline import ScanOptions, assess

    root = tmp_path / "root"
    for name in ("bin", "etc", "lib/modules/3.4.35"):
        (root / name).mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    options = ScanOptions(work_dir=tmp_path / "work", match_vulnerabilities=False, run_checks=False)
    assessment = assess(root, options).assessment
    kernels = [c for c in assessment.components if c.name == "linux-kernel"]
    assert [c.version for c in kernels] == ["3.4.35"]
    assert assessment.identity.kernel_version == "3.4.35"


@pytest.mark.slow
def test_hg532e_stray_module_on_the_real_image(tmp_path: Path, shared_data: Path) -> None:
    """The HG532e's real modules: tc3162_dmt.ko says 2.6.22.15, the others 2.6.21.5 (its
    ``qshs`` squashfs is carved and unpacked with 7z into the test's own folder)."""
    image = (
        shared_data
        / "firmware/vendor-corpus/huawei-hg532e/HG532eV100R001C01B020_upgrade_packet.bin"
    )
    if shutil.which("7z") is None or not image.is_file():
        pytest.skip("7z or the HG532e image is not here")
    carved = tmp_path / "rootfs.sqsh"
    carved.write_bytes(image.read_bytes()[0xECEF9:])
    root = tmp_path / "root"
    subprocess.run(["7z", "x", "-y", f"-o{root}", str(carved)], capture_output=True, timeout=120)
    comps, problems = catalog([RootFS(root)], [KernelModulesCataloger()])
    assert [c.version for c in comps] == ["2.6.21.5"]
    assert [(p.path, "2.6.22.15" in p.message) for p in problems] == [
        ("/lib/extra/tc3162_dmt.ko", True)
    ]
