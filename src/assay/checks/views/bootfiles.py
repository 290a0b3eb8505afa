"""Start-up files that are not scripts: inetd.conf, xinetd services, systemd units wanted by a
target. Each line that starts a program becomes a ``BootLine``."""

from __future__ import annotations

import re

from assay.checks.views.bootline import SYSTEMD_DIRS, BootLine, link_target
from assay.extract.rootfs import RootFS


def inetd_lines(rootfs: RootFS, sources: list[str]) -> list[BootLine]:
    text = rootfs.read_text("/etc/inetd.conf", limit=1 << 20)
    if text is None:
        return []
    sources.append("/etc/inetd.conf")
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        parts = line.split()
        if line and not line.startswith("#") and len(parts) >= 6:
            out.append(BootLine("inetd", "/etc/inetd.conf", n, line, service=parts[0]))
    return out


def xinetd_lines(rootfs: RootFS, sources: list[str]) -> list[BootLine]:
    out = []
    paths = ["/etc/xinetd.conf"] + [f"/etc/xinetd.d/{n}" for n in rootfs.listdir("/etc/xinetd.d")]
    for path in paths:
        text = rootfs.read_text(path, limit=1 << 20)
        if text is None:
            continue
        sources.append(path)
        service, server, disabled = "", None, False
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            m = re.match(r"service\s+(\S+)", line)
            if m:
                service, server, disabled = m.group(1), None, False
            elif re.match(r"server\s*=", line):
                server = BootLine("xinetd", path, n, line, service=service)
            elif re.match(r"disable\s*=\s*yes", line):
                disabled = True
            elif line.startswith("}") and service:
                if server is not None and not disabled:
                    out.append(server)
                service = ""
    return out


def systemd_lines(rootfs: RootFS, sources: list[str]) -> list[BootLine]:
    out = []
    for unit_dir in SYSTEMD_DIRS:
        for wants in rootfs.listdir(unit_dir):
            if not wants.endswith(".wants"):
                continue
            for unit in rootfs.listdir(f"{unit_dir}/{wants}"):
                link = f"{unit_dir}/{wants}/{unit}"
                path = _unit_file(rootfs, link, unit)
                text = rootfs.read_text(path, limit=1 << 20) if path else None
                if text is None or path is None:
                    continue
                sources.append(path)
                for n, raw in enumerate(text.splitlines(), 1):
                    line = raw.strip()
                    if line.startswith(("ExecStart=", "ExecStartPre=", "ListenStream=")):
                        out.append(BootLine("systemd", path, n, line, link=link, service=unit))
    return out


def _unit_file(rootfs: RootFS, link: str, unit: str) -> str | None:
    if rootfs.is_file(link) and rootfs.readlink(link) is None:
        return link
    target = link_target(rootfs, link)
    if rootfs.is_file(target):
        return target
    for unit_dir in SYSTEMD_DIRS:
        if rootfs.is_file(f"{unit_dir}/{unit}"):
            return f"{unit_dir}/{unit}"
    return None
