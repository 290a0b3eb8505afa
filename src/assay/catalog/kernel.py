"""The Linux kernel, from decompressed kernel images found beside the root filesystems."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from assay.catalog.cpe_map import cpe23
from assay.model.component import Component

BANNER = re.compile(rb"Linux version (\d+\.\d+(?:\.\d+)?)([\w.+~-]*) \(([^)\n]{0,120})\)")
# the build time the kernel's banner ends with, e.g. "#1 Sat Mar 23 16:49:30 UTC 2013"
BUILT = re.compile(
    rb"#\d+[^\n]{0,60}? (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
    rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) \d\d:\d\d:\d\d "
    rb"(?:[A-Z][A-Za-z+-]{1,6}\d? )?(\d{4})\b"
)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SCAN_LIMIT = 64 * 1024 * 1024


def build_date(tail: bytes) -> str:
    """The ISO date the banner's rest (``tail``: the bytes after "Linux version ...") says the
    kernel was built on; "" when it names none."""
    match = BUILT.search(tail[:400].split(b"\n", 1)[0])
    if match is None:
        return ""
    month = MONTHS.index(match.group(1).decode()) + 1
    try:
        built = date(int(match.group(3)), month, int(match.group(2)))
    except ValueError:  # e.g. Feb 30
        return ""
    return built.isoformat() if built.year >= 1991 else ""  # Linux 0.01: 1991


def kernel_component(path: Path, shown_as: str) -> Component | None:
    """A component for the kernel whose banner is in ``path`` (``shown_as`` names it)."""
    with path.open("rb") as fh:
        data = fh.read(SCAN_LIMIT)
    match = BANNER.search(data)
    if match is None:
        return None
    version = match.group(1).decode()
    local = match.group(2).decode(errors="replace")
    banner = match.group(0).decode("ascii", errors="replace")
    props = [("banner", banner[:200])]
    if local:
        props.append(("localversion", local))
    built = build_date(data[match.end() : match.end() + 400])
    if built:
        props.append(("build_date", built))
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
