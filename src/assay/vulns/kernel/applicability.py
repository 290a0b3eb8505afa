"""Does a Linux kernel CVE apply to this image? ``affected``, ``not_affected`` (with a VEX
justification) or ``unknown``, each with its reason.

Read in this order (the rules and word lists are in ``data/kernel.yaml``):

0. an interface the CVE names that this kernel version does not have yet ->
   ``not_affected`` / ``vulnerable_code_not_present``;
1. a record about someone else's kernel (a distribution's package, Qualcomm's Android
   contributions) -> ``not_affected`` / ``component_not_present``;
2. the architecture the CVE concerns — source files under ``arch/<arch>/`` (in the
   description or the CVE record's ``programFiles``), or architecture words when it names no
   other file — against the image's (``evidence.arch``): another one ->
   ``not_affected`` / ``vulnerable_code_not_present``;
3. whether the code is built: each source file named (outside ``arch/``) or, without files,
   each kernel feature named by word is looked for in the image: the kernel image names the
   file, a module of that name is in ``/lib/modules``, symbols with its prefix are in the
   kernel or the modules, or the file is core code every kernel builds. Any unit present ->
   ``affected``; every unit absent -> ``not_affected`` / ``vulnerable_code_not_present``;
   otherwise ``unknown``.

Without code evidence (no kernel image and no modules) absence is never concluded.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from assay.safeload import packaged_yaml
from assay.vulns.kernel.evidence import KernelEvidence
from assay.vulns.versions import compare

AFFECTED, NOT_AFFECTED, UNKNOWN = "affected", "not_affected", "unknown"
CODE_NOT_PRESENT = "vulnerable_code_not_present"
COMPONENT_NOT_PRESENT = "component_not_present"
_PATH = re.compile(
    r"(?<![\w/.-])((?:arch|block|crypto|drivers|fs|init|ipc|kernel|lib|mm|net|security|sound|virt"
    r"|include|devices)/[\w./+-]*[\w+-])"
)
# directory and file names too common to stand for one driver or feature
GENERIC = frozenset(
    ["core", "main", "util", "utils", "file", "inode", "super", "dir", "ioctl", "misc", "char"]
    + ["video", "media", "platform", "input", "staging", "block", "scsi", "gpu", "net", "usb"]
    + ["host", "common", "base", "generic", "sound", "soc", "drivers", "fs", "kernel", "lib"]
    + ["mm", "ops", "init", "debug", "sysfs", "proc", "compat"]
)


@dataclass(frozen=True)
class Decision:
    status: str  # affected | not_affected | unknown
    reason: str
    justification: str = ""  # OpenVEX / CSAF label for not_affected
    evidence: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "reason": self.reason, "by": "assay"}
        if self.justification:
            out["justification"] = self.justification
        out["evidence"] = list(self.evidence)
        return out


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    text = resources.files("assay.vulns").joinpath("data", "kernel.yaml").read_text("utf-8")
    data = packaged_yaml(text)
    assert isinstance(data, dict)
    return data


_FLAGS = re.compile(r"\(\?([imsx]+)\)")


def _any_of(patterns: list[str]) -> re.Pattern[str] | None:
    """One alternation of ``patterns`` (a leading ``(?i)`` scoped to its own pattern): it
    finds nothing exactly when none of them would, so one search answers "none of them"
    before the one-by-one scan. None when they cannot be joined."""
    parts = []
    for p in patterns:
        flags = _FLAGS.match(p)
        parts.append(f"(?{flags[1]}:{p[flags.end() :]})" if flags else f"(?:{p})")
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    """The rules' patterns compiled once per process (every kernel CVE's description is
    searched with all of them), and per list one alternation of them all (``_any_of``)."""
    data = rules()
    lists = {
        "arch_words": [(a, p) for a, ps in data["arch_words"].items() for p in ps],
        "features": [(f, f["pattern"]) for f in data["features"]],
        "introduced": [(r, r["pattern"]) for r in data["introduced"]],
        "other_kernels": [(r, r["pattern"]) for r in data["other_kernels"]],
    }
    compiled: dict[str, Any] = {}
    for key, items in lists.items():
        compiled[key] = [(item, re.compile(p)) for item, p in items]
        compiled[key + "_any"] = _any_of([p for _, p in items])
    return compiled


def _candidates(key: str, description: str) -> list[tuple[Any, re.Pattern[str]]]:
    """The rules of the list ``key`` to try on ``description`` one by one: none when one
    search shows that none of their patterns occurs in it."""
    either = _patterns()[key + "_any"]
    if either is not None and not either.search(description):
        return []
    rules_: list[tuple[Any, re.Pattern[str]]] = _patterns()[key]
    return rules_


def source_paths(description: str, cve5_affected: list[Any] | None = None) -> list[str]:
    """Kernel source paths the description and the CVE record's ``programFiles`` name."""
    found = [p.rstrip(".") for p in _PATH.findall(description)]
    for entry in cve5_affected or ():
        if isinstance(entry, dict):
            found += [str(p) for p in entry.get("programFiles") or () if isinstance(p, str)]
    return list(dict.fromkeys(p.replace("devices/", "drivers/", 1) for p in found))


def _arch_of_words(description: str) -> set[str]:
    negations = tuple(rules()["arch_negations"])
    found: set[str] = set()
    for arch, pattern in _candidates("arch_words", description):
        for m in pattern.finditer(description):
            before = description[max(0, m.start() - 12) : m.start()]
            if before.endswith(negations):
                return set()  # "non-x86": every other architecture
            found.add(arch)
    return found


def concerned_arches(description: str, paths: list[str]) -> tuple[set[str], str]:
    """The architectures a CVE is limited to (empty: not limited), and how that was read."""
    arch_paths = [p for p in paths if p.startswith("arch/")]
    if paths and len(arch_paths) == len(paths):
        arches = {p.split("/")[1] for p in arch_paths if p.count("/") >= 2}
        return arches, f"its files are under {', '.join(sorted({f'arch/{a}/' for a in arches}))}"
    if not paths:
        words = _arch_of_words(description)
        if words:
            return words, f"its description names {', '.join(sorted(words))} only"
    return set(), ""


@lru_cache(maxsize=16)
def _ordered(items: frozenset[str]) -> tuple[str, ...]:
    """The items sorted, once per evidence set (a frozenset keeps its hash)."""
    return tuple(sorted(items))


def _first_with(prefixes: tuple[str, ...], items: frozenset[str]) -> str:
    """The smallest item starting with one of ``prefixes`` ("" when none does): a binary
    search in the sorted items instead of a scan of all of them for every question."""
    ordered = _ordered(items)
    found = ""
    for prefix in prefixes:
        i = bisect_left(ordered, prefix)
        if i < len(ordered) and ordered[i].startswith(prefix) and (not found or ordered[i] < found):
            found = ordered[i]
    return found


def _probe(path: str, ev: KernelEvidence) -> tuple[bool | None, str]:
    """Whether the code of one source path is in the image (None: cannot tell), and why."""
    data = rules()
    optional = path.startswith(tuple(data["optional_paths"]))
    if path in ev.sources:
        return True, f"the kernel image names {path} (compiled in)"
    if path.startswith(tuple(data["core_paths"])) and not optional:
        return True, f"{path} is core code every kernel builds"
    for prefix, name in data["path_features"].items():
        if path.startswith(prefix):
            feature = next(f for f in data["features"] if f["name"] == name)
            return _feature(feature, ev, f" ({path})")
    parts = path.split("/")
    stem = re.sub(r"\.[chS]$", "", parts[-1]).replace("-", "_").lower() if "." in parts[-1] else ""
    dirs = parts[:-1] if stem else parts
    deep = dirs[-1].replace("-", "_").lower() if len(dirs) >= 2 else ""
    folder = "/".join(dirs) + "/"
    if len(dirs) >= 3 or (len(dirs) == 2 and dirs[0] in ("fs", "virt")):
        inside = _first_with((folder,), ev.sources)
        if inside:
            return True, f"the kernel image names {inside} (code of {folder} compiled in)"
    names = [n for n in (stem, deep) if n and n not in GENERIC and len(n) >= 3]
    if path.startswith("drivers/") and stem in names:  # a driver file is one module
        names = [stem, *(n for n in names if n != stem and n in ev.modules)]
    for name in names:
        if name in ev.modules:
            return True, f"module {name}.ko is in the image"
    for name in names:
        hit = _first_with((name + "_",), ev.symbols)
        if hit and name == stem:
            return True, f"symbol {hit} is in the kernel or its modules"
        if hit:  # symbols named after the folder show the folder is built, not this file
            return None, f"symbols {name}_* are in the image, but nothing shows {path} is built"
    if not names or not ev.has_code_evidence:
        return None, f"cannot tell whether {path} is built"
    shown = " or ".join(f"{n}_*" for n in names)
    return False, f"{path} is not built: no such file named in the kernel image, no module " + (
        f"{' or '.join(n + '.ko' for n in names)}, no symbol {shown}"
    )


def _feature(
    feature: dict[str, Any], ev: KernelEvidence, where: str = ""
) -> tuple[bool | None, str]:
    name = feature["name"] + where
    mods = [m for m in feature["modules"] if m in ev.modules]
    first = _first_with(tuple(feature["symbols"]), ev.symbols)
    syms = [first] if first else []
    if mods or syms:
        what = f"module {mods[0]}.ko" if mods else f"symbol {syms[0]}"
        return True, f"{name} is in the image ({what})"
    if ev.has_code_evidence:
        probes = [f"{m}.ko" for m in feature["modules"]] + [f"{s}*" for s in feature["symbols"]]
        return False, f"{name} is not built: none of {', '.join(probes)} in the image"
    return None, f"cannot tell whether {name} is built"


def _features(description: str, ev: KernelEvidence) -> list[tuple[bool | None, str]]:
    return [
        _feature(f, ev)
        for f, pattern in _candidates("features", description)
        if pattern.search(description)
    ]


def decide(
    description: str,
    ev: KernelEvidence,
    cve5_affected: list[Any] | None = None,
    version: str = "",
) -> Decision:
    """Whether a kernel CVE (matched on ``version`` already) applies to the image of ``ev``."""
    for later, pattern in _candidates("introduced", description) if version else ():
        if pattern.search(description) and compare(version, later["version"]) < 0:
            return Decision(
                NOT_AFFECTED,
                f"the CVE is in {later['what']}, which Linux has since {later['version']}; "
                f"this kernel is {version}",
                CODE_NOT_PRESENT,
                (f"description matches /{later['pattern']}/",),
            )
    for other, pattern in _candidates("other_kernels", description):
        if pattern.search(description):
            return Decision(
                NOT_AFFECTED,
                f"the record concerns {other['what']}, not the kernel this image runs",
                COMPONENT_NOT_PRESENT,
                (f"description matches /{other['pattern']}/",),
            )
    paths = source_paths(description, cve5_affected)
    arches, how = concerned_arches(description, paths)
    if arches and ev.arch and ev.arch not in arches:
        return Decision(
            NOT_AFFECTED,
            f"the CVE concerns {'/'.join(sorted(arches))} ({how}); this image's kernel is "
            f"{ev.arch}",
            CODE_NOT_PRESENT,
            (ev.arch_basis,),
        )
    units = [_probe(p, ev) for p in paths if not p.startswith("arch/")]
    if not units:
        units = _features(description, ev)
    if arches and ev.arch in arches:
        units.append((True, f"the CVE concerns {ev.arch}, this image's architecture ({how})"))
    present = [why for ok, why in units if ok is True]
    absent = [why for ok, why in units if ok is False]
    if present:
        return Decision(AFFECTED, "; ".join(present), "", tuple(present + absent))
    if absent and len(absent) == len(units):
        return Decision(NOT_AFFECTED, "; ".join(absent), CODE_NOT_PRESENT, tuple(absent))
    unsure = [why for ok, why in units if ok is None]
    reason = "; ".join(unsure) or "the description names no source file or feature to look for"
    return Decision(UNKNOWN, reason, "", tuple(unsure))
