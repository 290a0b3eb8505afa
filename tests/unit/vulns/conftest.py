"""Fixtures for the vulnerability tests: real feed files, stores built from them, and the
WR703N's real opkg inventory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.extract.rootfs import RootFS
from assay.model.component import Component
from assay.model.identity import Identity
from assay.vulns.bundled import snapshot_store
from assay.vulns.store import Store

WR703N_IDENTITY = Identity(
    os_name="OpenWrt",
    os_version="12.09",
    os_id="openwrt",
    kernel_version="3.3.8",
    arch="ar71xx",
    vendor="TP-Link",
    model="TL-WR703N",
)


@pytest.fixture(scope="session")
def wr703n_identity() -> Identity:
    """What the image says about itself (/etc/openwrt_release, the kernel, the model)."""
    return WR703N_IDENTITY


@pytest.fixture(scope="session")
def vulns_data(shared_data: Path) -> Path:
    return shared_data / "vulns"


@pytest.fixture(scope="session")
def nvd_corpus(vulns_data: Path) -> list[Path]:
    """The 15 yearly NVD files and the 4 modified feeds, in that order."""
    yearly = sorted((vulns_data / "nvd" / "yearly").glob("nvdcve-*.json.xz"))
    modified = sorted((vulns_data / "nvd" / "modified").glob("nvdcve-modified-*.json.xz"))
    assert len(yearly) == 15 and len(modified) == 4
    return yearly + modified


@pytest.fixture(scope="session")
def full_store(
    nvd_corpus: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, object]]:
    """All 19 NVD files imported once for the session: (store, import report)."""
    path = tmp_path_factory.mktemp("full") / "vulns.sqlite"
    store = Store.open(path, create=True)
    report = store.import_paths(nvd_corpus)
    yield store, report
    store.close()


@pytest.fixture(scope="session")
def snapshot() -> Store:
    """The bundled snapshot, in memory (nothing written to the user's data directory)."""
    return snapshot_store(persist=False)


def control_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith((" ", "\t")):
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    return fields


@pytest.fixture(scope="session")
def wr703n_packages(wr703n_rootfs: RootFS) -> list[Component]:
    """One component per opkg package of the real image, as the opkg cataloger names them."""
    components = []
    for path in wr703n_rootfs.glob("/usr/lib/opkg/info/*.control"):
        fields = control_fields(wr703n_rootfs.read_text(path) or "")
        name, version = fields["Package"], fields["Version"]
        components.append(
            Component(
                name=name,
                version=version,
                purl=f"pkg:opkg/openwrt/{name}@{version}?arch={fields.get('Architecture', '')}",
                found_by=("opkg-db",),
                locations=(path,),
            )
        )
    return components


WR703N_KERNEL_LZMA = (512, 957610)  # the image's LZMA-compressed kernel (offset, end)


@pytest.fixture(scope="session")
def wr703n_kernel(wr703n_image: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image's kernel, decompressed with Python's lzma (independent of our extractor)."""
    import lzma

    start, end = WR703N_KERNEL_LZMA
    data = wr703n_image.read_bytes()[start:end]
    out = tmp_path_factory.mktemp("kernel") / "vmlinux.bin"
    out.write_bytes(lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(data))
    return out
