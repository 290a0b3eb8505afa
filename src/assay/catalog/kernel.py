"""The Linux kernel: from decompressed kernel images found beside the root filesystems
(their banner) and from what a kernel leaves in a root filesystem: ``/lib/modules/<version>``
directories, the ``vermagic=`` string of every ``.ko`` and a kernel configuration file.

Several module directories (e.g. a leftover tree of an older kernel next to the real one) or
modules built for another kernel are decided here, by majority of the modules' ``vermagic``
and by which directory holds modules; the decision and why is reported as a problem.
"""

from __future__ import annotations

import re
import stat
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from assay.catalog.cpe_map import cpe23
from assay.catalog.ids import purl
from assay.catalog.interface import CatalogResult
from assay.extract.rootfs import FileEntry, RootFS
from assay.model.component import Component
from assay.model.problem import Problem

BANNER = re.compile(rb"Linux version (\d+\.\d+(?:\.\d+){0,2})([\w.+~-]*) \(([^)\n]{0,120})\)")
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
    props.append(("confidence", "high: the kernel's own banner"))
    return linux_component(version, "kernel-banner", (shown_as,), props)


def linux_component(
    version: str, found_by: str, locations: tuple[str, ...], props: list[tuple[str, str]]
) -> Component:
    """The Linux kernel as a component, with the evidence it rests on."""
    return Component(
        name="linux-kernel",
        version=version,
        type="operating-system",
        purl=purl("linux-kernel", version),
        cpe=cpe23("o:linux:linux_kernel", version),
        found_by=(found_by,),
        locations=locations,
        supplier="The Linux Foundation (kernel.org)",
        license="GPL-2.0-only",
        description="Linux kernel",
        properties=tuple(props),
    )


# --- evidence a kernel leaves in a root filesystem ---------------------------------------
VERMAGIC = re.compile(rb"vermagic=(\d+\.\d+(?:\.\d+){0,2})([\w.+~-]*)[ \x00]")
MODULE_DIR = re.compile(r"^/lib/modules/(\d+\.\d+(?:\.\d+){0,2})([\w.+~-]*)/")
CONFIG_HEADER = re.compile(
    r"^# (?:Linux/\S+ (\d+\.\d+(?:\.\d+){0,2})\S* Kernel Configuration"
    r"|Linux kernel version: (\d+\.\d+(?:\.\d+){0,2}))",
    re.MULTILINE,
)
CONFIG_NAME = re.compile(r"(?:^|/)(?:\.config|config-\d[^/]*|kernel[-_.]config[^/]*)$")
MODULE_LIMIT = 16 * 1024 * 1024


@dataclass
class _Seen:
    """Kernel evidence gathered in one root filesystem."""

    vermagic: dict[str, list[str]] = field(default_factory=dict)  # version -> module paths
    modules_in_dir: Counter[str] = field(default_factory=Counter)  # dir version -> .ko count
    configs: dict[str, str] = field(default_factory=dict)  # path -> version


class KernelModulesCataloger:
    """The kernel from ``/lib/modules``, module ``vermagic`` and configuration files.

    ``parse`` only notes what each file says; ``finish`` decides once the whole tree was seen
    and emits one ``linux-kernel`` component (or none when the tree holds no such evidence).
    """

    name = "kernel-modules"

    def __init__(self) -> None:
        self._seen: dict[int, _Seen] = {}

    def wants(self, entry: FileEntry) -> bool:
        if not stat.S_ISREG(entry.mode):
            return False
        return entry.path.endswith(".ko") or CONFIG_NAME.search(entry.path) is not None

    def parse(self, rootfs: RootFS, entry: FileEntry) -> CatalogResult:
        seen = self._seen.setdefault(id(rootfs), _Seen())
        in_dir = MODULE_DIR.match(entry.path)
        if entry.path.endswith(".ko"):
            if in_dir:
                seen.modules_in_dir[in_dir.group(1) + in_dir.group(2)] += 1
            data = rootfs.read_bytes(entry.path, limit=MODULE_LIMIT) or b""
            magic = VERMAGIC.search(data)
            if magic:
                version = magic.group(1).decode()
                seen.vermagic.setdefault(version, []).append(entry.path)
        elif CONFIG_NAME.search(entry.path):
            text = rootfs.read_text(entry.path, 4096) or ""
            header = CONFIG_HEADER.search(text)
            if header:
                seen.configs[entry.path] = header.group(1) or header.group(2)
        return CatalogResult()

    def finish(self, rootfs: RootFS) -> CatalogResult:
        seen = self._seen.pop(id(rootfs), _Seen())
        dirs = [d for d in rootfs.listdir("/lib/modules") if MODULE_DIR.match(f"/lib/modules/{d}/")]
        return decide(seen, dirs)


def _upstream(name: str) -> str:
    m = MODULE_DIR.match(f"/lib/modules/{name}/")
    return m.group(1) if m else name


def decide(seen: _Seen, dirs: list[str]) -> CatalogResult:
    """One kernel version from the evidence of one tree, with every conflict as a problem."""
    result = CatalogResult()
    magic = Counter({v: len(paths) for v, paths in seen.vermagic.items()})
    by_dir = Counter({_upstream(d): n for d, n in seen.modules_in_dir.items()})
    if magic:
        version, votes = max(magic.items(), key=lambda kv: (kv[1], by_dir[kv[0]]))
        why = f"vermagic={version} in {votes} of {sum(magic.values())} modules"
    elif by_dir:
        version, votes = by_dir.most_common(1)[0]
        why = f"/lib/modules holds {votes} modules for {version}"
    elif dirs:
        version = max((_upstream(d) for d in dirs), key=_numeric)
        why = f"directory /lib/modules/{version} (no modules in it)"
    elif seen.configs:
        version = Counter(seen.configs.values()).most_common(1)[0][0]
        why = "kernel configuration header"
    else:
        return result
    for other, paths in sorted(seen.vermagic.items()):
        if other != version:
            result.problems.append(
                Problem(
                    "catalog",
                    paths[0],
                    f"{len(paths)} module(s) say vermagic={other} while {why}",
                    f"kernel taken as {version} (the majority of modules); the odd module(s) "
                    "were built for another kernel and will not load",
                )
            )
    for name in sorted(dirs):
        if _upstream(name) != version:
            held = seen.modules_in_dir.get(name, 0)
            result.problems.append(
                Problem(
                    "catalog",
                    f"/lib/modules/{name}",
                    f"module directory for kernel {name} ({held} modules) besides {version}",
                    f"taken as a leftover: {why}",
                )
            )
    for path, cfg in sorted(seen.configs.items()):
        if cfg != version:
            result.problems.append(
                Problem("catalog", path, f"kernel configuration for {cfg}", f"kernel is {version}")
            )
    locations = [f"/lib/modules/{d}" for d in dirs if _upstream(d) == version]
    locations += seen.vermagic.get(version, [])[:3]
    locations += [p for p, v in seen.configs.items() if v == version]
    sure = "high" if magic else "medium"
    props = [("evidence", why), ("confidence", f"{sure}: {why}")]
    result.components.append(
        linux_component(version, "kernel-modules", tuple(sorted(set(locations))), props)
    )
    return result


def _numeric(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version))


def reconcile(components: list[Component]) -> tuple[list[Component], list[Problem]]:
    """One Linux kernel per image: when the banner and the modules disagree, the banner (the
    kernel itself) wins; the other evidence stays on it as a property and as a problem."""
    kernels = [c for c in components if c.cpe.startswith("cpe:2.3:o:linux:linux_kernel:")]
    versions = {c.cpe.split(":")[5] for c in kernels}
    if len(versions) < 2:
        return components, []

    def rank(c: Component) -> tuple[int, int]:
        return ("kernel-banner" in c.found_by, len(c.found_by))

    winner = max(kernels, key=rank)
    problems = []
    kept = winner
    for c in kernels:
        if c is winner or c.cpe == winner.cpe:
            continue
        where = ", ".join(c.locations[:2])
        problems.append(
            Problem(
                "catalog",
                c.locations[0] if c.locations else "",
                f"kernel evidence disagrees: {', '.join(c.found_by)} says {c.version} "
                f"({where}), {', '.join(winner.found_by)} says {winner.version}",
                f"kernel taken as {winner.version}: "
                + (
                    "the kernel image's own banner"
                    if "kernel-banner" in winner.found_by
                    else "the better supported evidence"
                ),
            )
        )
        extra = {("conflicting_evidence", f"{c.version} from {', '.join(c.found_by)} ({where})")}
        kept = replace(kept, properties=tuple(sorted(set(kept.properties) | extra)))
    others = [c for c in components if c not in kernels or c is winner or c.cpe == winner.cpe]
    return [kept if c is winner else c for c in others], problems
