"""File system: world-writable files and directories, setuid/setgid programs, debug tools."""

from __future__ import annotations

import stat
from functools import cache
from importlib import resources
from typing import Any

from assay.checks.context import CheckContext, ImageView
from assay.checks.interface import Outcome, failed, inconclusive, passed
from assay.model.check import Evidence
from assay.safeload import packaged_yaml

MAX_EVIDENCE = 50
# the image's /etc/passwd is not used to name owners: uid 0 is always root
ROOT_UID = 0
PLAIN_MODES = (0o644, 0o755, 0o600, 0o700)


def modes_lost(ctx: CheckContext) -> Outcome | None:
    """INCONCLUSIVE when every file and folder has one of the plain modes an archive or an
    unpacker gives (644/755, 600/700): the image kept no real modes (a git tree, a tar unpacked
    without its attributes), so setuid and write bits cannot be seen."""
    files = [e for v in ctx for e in v.entries if e.is_file or e.is_dir]
    if len(files) < 50 or any(stat.S_IMODE(e.mode) not in PLAIN_MODES for e in files):
        return None
    return inconclusive(
        f"All {len(files)} files and folders have plain modes (644/755/600/700 only): the modes "
        "were reset when the image was archived or unpacked, so setuid and world-writable bits "
        "cannot be seen."
    )


def world_writable(ctx: CheckContext) -> Outcome:
    evidence: list[Evidence] = []
    for view in ctx:
        for e in view.entries:
            if not e.mode & stat.S_IWOTH or not (e.is_file or e.is_dir):
                continue
            if e.is_dir and e.mode & stat.S_ISVTX:
                continue
            kind = "directory without sticky bit" if e.is_dir else "file"
            mode = stat.filemode(e.mode)
            evidence.append(view.evidence(e.path, None, mode, f"world-writable {kind}"))
    if evidence:
        return failed(
            f"{len(evidence)} world-writable file(s) or directories without the sticky bit.",
            *evidence[:MAX_EVIDENCE],
        )
    if unknown := _modes_unknown(ctx):
        return unknown
    lost = modes_lost(ctx)
    if lost:
        return lost
    total = sum(len(v.entries) for v in ctx)
    return passed(f"No world-writable file or unprotected directory among {total} entries.")


def setuid(ctx: CheckContext) -> Outcome:
    evidence: list[Evidence] = []
    for view in ctx:
        for e in view.entries:
            if e.is_file and e.mode & (stat.S_ISUID | stat.S_ISGID):
                bits = []
                if e.mode & stat.S_ISUID:
                    bits.append("setuid" + (" root" if e.uid == ROOT_UID else f" uid {e.uid}"))
                if e.mode & stat.S_ISGID:
                    bits.append(f"setgid gid {e.gid}")
                evidence.append(view.evidence(e.path, None, stat.filemode(e.mode), ", ".join(bits)))
    if evidence:
        return failed(f"{len(evidence)} setuid/setgid program(s).", *evidence[:MAX_EVIDENCE])
    if unknown := _modes_unknown(ctx):
        return unknown
    return modes_lost(ctx) or passed("No setuid or setgid program in the image.")


def _modes_unknown(ctx: CheckContext) -> Outcome | None:
    """No PASS on modes the extraction did not keep (``RootFS.modes_known``)."""
    blind = [v.rootfs.label for v in ctx if not v.rootfs.modes_known]
    if not blind:
        return None
    return inconclusive(
        f"The file modes of {', '.join(blind)} are not known (its format was unpacked by an "
        "extractor that does not keep them), so none can be ruled out."
    )


@cache
def _debug_spec() -> dict[str, Any]:
    text = resources.files("assay.checks").joinpath("data/debug-tools.yaml").read_text("utf-8")
    spec: dict[str, Any] = packaged_yaml(text)
    return spec


def debug_tools(ctx: CheckContext) -> Outcome:
    spec = _debug_spec()
    tools: dict[str, str] = spec["tools"]
    evidence: list[Evidence] = []
    names: list[str] = []
    for view in ctx:
        for folder in spec["folders"]:
            for name in view.rootfs.listdir(folder):
                if name not in tools:
                    continue
                path = f"{folder}/{name}"
                target = view.rootfs.readlink(path)
                if target is None and not view.rootfs.is_file(path):
                    continue
                note = tools[name]
                if target and target.rsplit("/", 1)[-1] == "busybox":
                    note += " (BusyBox applet)"
                names.append(name)
                excerpt = f"-> {target}" if target else ""
                evidence.append(view.evidence(path, None, excerpt, note))
        for path in _busyboxes(view, spec["folders"]):
            hidden = [a for a in busybox_applets(view, path) if a in tools and a not in names]
            if hidden:
                names += hidden
                note = "compiled into BusyBox without a link: runs as 'busybox <applet>'"
                evidence.append(view.evidence(path, None, "applets: " + ", ".join(hidden), note))
    if evidence:
        shown = ", ".join(sorted(set(names)))
        return failed(f"{len(evidence)} debug or network tool(s) in the image: {shown}.", *evidence)
    return passed("No debugging, tracing or ad-hoc network tool found.")


def _busyboxes(view: ImageView, folders: list[str]) -> list[str]:
    return [
        f"{folder}/{name}"
        for folder in folders
        for name in view.rootfs.listdir(folder)
        if name.startswith("busybox") and view.rootfs.readlink(f"{folder}/{name}") is None
    ]


def busybox_applets(view: ImageView, path: str) -> list[str]:
    """The applet names compiled into a BusyBox binary (its sorted name table: "[", "[[", ...)."""
    try:
        data = view.rootfs.read_bytes(path, limit=8 << 20) or b""
    except OSError:
        return []
    start = data.find(b"[\0[[\0")
    if start < 0:
        return []
    names = []
    for raw in data[start : start + 16384].split(b"\0"):
        if not raw or not all(33 <= c < 127 for c in raw):
            break
        names.append(raw.decode("ascii"))
    return names
