"""Package name -> NVD CPE, from ``data/package_cpe.yaml``."""

from __future__ import annotations

from functools import cache
from importlib import resources

from assay.catalog.ids import cpe_escape
from assay.safeload import packaged_yaml

CPE_TAIL = ":*:*:*:*:*:*:*"


@cache
def _table() -> dict[str, str]:
    text = resources.files("assay.catalog").joinpath("data/package_cpe.yaml").read_text()
    data = packaged_yaml(text) or {}
    return {str(k): str(v) for k, v in data.items()}


def cpe23(part_vendor_product: str, version: str) -> str:
    """``a:busybox:busybox`` + ``1.19.4`` -> a full CPE 2.3 formatted string."""
    return f"cpe:2.3:{part_vendor_product}:{cpe_escape(version)}{CPE_TAIL}"


def cpe_for_package(name: str, version: str) -> str:
    """The CPE for a package of that name and upstream version, or ""."""
    pvp = _table().get(name)
    return cpe23(pvp, version) if pvp and version else ""
