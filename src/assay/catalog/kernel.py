"""The Linux kernel, from decompressed kernel images found beside the root filesystems."""

from __future__ import annotations

import re
from pathlib import Path

from assay.catalog.cpe_map import cpe23
from assay.model.component import Component

BANNER = re.compile(rb"Linux version (\d+\.\d+(?:\.\d+)?)([\w.+~-]*) \(([^)\n]{0,120})\)")
SCAN_LIMIT = 64 * 1024 * 1024


def kernel_component(path: Path, shown_as: str) -> Component | None:
    """A component for the kernel whose banner is in ``path`` (``shown_as`` names it)."""
    with path.open("rb") as fh:
        match = BANNER.search(fh.read(SCAN_LIMIT))
    if match is None:
        return None
    version = match.group(1).decode()
    local = match.group(2).decode(errors="replace")
    banner = match.group(0).decode("ascii", errors="replace")
    props = [("banner", banner[:200])]
    if local:
        props.append(("localversion", local))
    return Component(
        name="linux-kernel",
        version=version,
        type="operating-system",
        purl=f"pkg:generic/linux-kernel@{version}",
        cpe=cpe23("o:linux:linux_kernel", version),
        found_by=("kernel-banner",),
        locations=(shown_as,),
        supplier="The Linux Foundation (kernel.org)",
        license="GPL-2.0-only",
        description="Linux kernel",
        properties=tuple(props),
    )
