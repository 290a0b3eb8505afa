"""The ``library-file-name`` cataloger: libraries whose file name carries their release.

The rules are data (``data/library_names.yaml``). A symlink counts by its target's name too,
so a library whose file is missing but whose links remain (as in a trimmed image) is still
seen, and said to rest on a file name only. ``libstdc++`` also gets the GCC release its newest
``GLIBCXX_`` symbol-version tag belongs to.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath

from assay.catalog.cpe_map import cpe23
from assay.catalog.ids import purl
from assay.catalog.interface import CatalogResult
from assay.extract.rootfs import FileEntry, RootFS
from assay.model.component import Component
from assay.safeload import packaged_yaml

NAME = "library-file-name"
GLIBCXX = re.compile(rb"GLIBCXX_3\.4\.(\d+)\x00")
# GLIBCXX_3.4.N -> the first GCC release that provides it (GCC's libstdc++ ABI policy)
GCC_FOR_GLIBCXX = {
    10: "4.3.0", 11: "4.4.0", 12: "4.4.1", 13: "4.4.2", 14: "4.5.0", 15: "4.6.0", 16: "4.6.1",
    17: "4.7.0", 18: "4.8.0", 19: "4.8.3", 20: "4.9.0", 21: "5.1.0", 22: "6.1.0", 23: "7.1.0",
    24: "7.2.0", 25: "8.1.0", 26: "9.1.0", 27: "9.2.0", 28: "9.3.0", 29: "11.1.0",
    30: "12.1.0", 31: "13.1.0", 32: "13.2.0", 33: "14.1.0",
}  # fmt: skip


@dataclass(frozen=True)
class Rule:
    name: str
    match: re.Pattern[str]
    rule: str
    cpe: str
    note: str


@cache
def rules() -> tuple[Rule, ...]:
    text = resources.files("assay.catalog").joinpath("data/library_names.yaml").read_text()
    return tuple(
        Rule(
            name=str(e["name"]),
            match=re.compile(e["match"]),
            rule=str(e.get("rule", "as-is")),
            cpe=str(e.get("cpe", "")),
            note=str(e.get("note", "")),
        )
        for e in packaged_yaml(text)
    )


def release(rule: str, raw: str) -> str:
    """The product's release from the version in a file name."""
    parts = [int(p) for p in raw.split(".")]
    if rule == "glib":  # 0.<minor*100 + micro - age>.<age>
        number, age = parts[1], parts[2]
        return f"2.{number // 100}.{number % 100 + age}"
    if rule == "libnl":  # 200.<micro>.<revision>
        return f"3.2.{parts[1]}"
    return raw


class LibraryNameCataloger:
    """Components from library file names (and symlink targets) that carry a release."""

    name = NAME

    def wants(self, entry: FileEntry) -> bool:
        return (stat.S_ISREG(entry.mode) or stat.S_ISLNK(entry.mode)) and ".so" in entry.path

    def parse(self, rootfs: RootFS, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        names = [PurePosixPath(entry.path).name]
        is_link = stat.S_ISLNK(entry.mode)
        if is_link:
            target = rootfs.readlink(entry.path) or ""
            names = [PurePosixPath(target).name] if target else []
        for file_name in names:
            for rule in rules():
                m = rule.match.match(file_name)
                if m:
                    result.components.append(self._component(rootfs, entry, rule, m, is_link))
                    break
        return result

    def _component(
        self, rootfs: RootFS, entry: FileEntry, rule: Rule, m: re.Match[str], is_link: bool
    ) -> Component:
        name = rule.name.replace("{lib}", m.groupdict().get("lib") or "")
        version = release(rule.rule, m.group("version"))
        props = [
            ("evidence", f"file name {m.group(0)}" + (" (symlink target)" if is_link else "")),
            ("confidence", "medium: the release in the library's file name"),
        ]
        if rule.note:
            props.append(("note", rule.note))
        if name == "libstdc++" and not is_link:
            props += _gcc(rootfs.read_bytes(entry.path, limit=8 * 1024 * 1024) or b"")
        return Component(
            name=name,
            version=version,
            type="library",
            purl=purl(name, version),
            cpe=cpe23(rule.cpe, version) if rule.cpe else "",
            found_by=(NAME,),
            locations=(entry.path,),
            properties=tuple(props),
        )


def _gcc(data: bytes) -> list[tuple[str, str]]:
    tags = [int(n) for n in GLIBCXX.findall(data)]
    if not tags:
        return []
    newest = max(tags)
    gcc = GCC_FOR_GLIBCXX.get(newest)
    built = f"GCC {gcc} or later" if gcc else "GCC (tag newer than this table)"
    return [("gcc", f"{built} (newest symbol-version tag GLIBCXX_3.4.{newest})")]
