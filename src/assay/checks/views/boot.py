"""What an image starts at boot: the command lines, and how each one gets started.

Sources read (all that exist): ``/etc/inittab``; the rcS script; init scripts enabled by an
``S``-link (``/etc/rc.d/S50telnet``, ``/etc/rc?.d/S*``, ``/etc/init.d/S??*``), including OpenWrt
procd scripts; ``/etc/rc.local``; inetd and xinetd services; systemd units wanted by a target.
Each line that may start a program becomes a ``BootLine``; service checks then look for the
program names they care about with ``find``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assay.extract.rootfs import RootFS

_TOKEN_SPLIT = re.compile(r"[\s;&|()`'\"=<>{}]+")
_TEST_FLAGS = {
    "-x",
    "-f",
    "-e",
    "-d",
    "-s",
    "-L",
    "-h",
    "-v",
    "which",
    "type",
}  # [ -x P ], command -v P
_STOP_WORDS = re.compile(
    r"\b(service_stop|killall|kill|pidof|pgrep|start-stop-daemon\s+-K|--stop|procd_kill)\b"
)
_STOP_FUNC = re.compile(r"^\s*(stop|stop_service|restart|reload|shutdown|disable)\s*\(\)")
_RC_LINK_DIRS = ("/etc/rc.d", "/etc/rc2.d", "/etc/rc3.d", "/etc/rc5.d", "/etc/rcS.d")
_SYSTEMD_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
_SCRIPT_DIRS = ("/etc/init.d/", "/etc/rc.d/", "/etc/systemd/")
_INITTAB_ACTIONS = {"sysinit", "respawn", "askfirst", "once", "wait", "boot", "bootwait"}


@dataclass(frozen=True)
class BootLine:
    """One line that may start a program at boot."""

    mechanism: str  # rc.d | init.d | inittab | rcS | rc.local | inetd | xinetd | systemd
    path: str  # the file the line is in
    line: int
    text: str  # the line, stripped
    link: str = ""  # the rc.d / wants link that enables the file, if any
    service: str = ""  # inetd/xinetd service name, systemd unit name
    expanded: str = ""  # the line with the script's simple variables ($PROG) filled in

    def tokens(self) -> list[str]:
        return [t for t in _TOKEN_SPLIT.split(self.expanded or self.text) if t]

    def starts(self, programs: Iterable[str]) -> bool:
        """Does this line run one of ``programs`` (by base name), not just test for it?"""
        wanted = set(programs)
        if self.service and self.service in wanted:
            return True
        toks = self.tokens()
        for i, tok in enumerate(toks):
            if tok.startswith(_SCRIPT_DIRS):  # "/etc/init.d/sshd enabled" asks, does not start
                continue
            if tok.rsplit("/", 1)[-1] in wanted and (i == 0 or toks[i - 1] not in _TEST_FLAGS):
                return True
        return False


@dataclass(frozen=True)
class BootView:
    lines: tuple[BootLine, ...]
    sources: tuple[str, ...]  # files that were read

    def find(self, programs: Iterable[str]) -> list[BootLine]:
        """The lines that start one of ``programs``: the most telling one per script."""
        names = tuple(programs)
        return primary([b for b in self.lines if b.starts(names)])


_LAUNCH = re.compile(r"\b(service_start|procd_set_param\s+command|start-stop-daemon|exec)\b")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def primary(lines: list[BootLine]) -> list[BootLine]:
    """Keep one line per (file, link): the one that launches rather than names the program."""

    def score(b: BootLine) -> int:
        if _LAUNCH.search(b.text) or b.mechanism in ("inittab", "inetd", "xinetd", "systemd"):
            return 2
        return 0 if _ASSIGN.match(b.text) else 1

    best: dict[tuple[str, str], BootLine] = {}
    for b in lines:
        key = (b.path, b.link)
        if key not in best or score(b) > score(best[key]):
            best[key] = b
    return list(best.values())


def read_boot(rootfs: RootFS) -> BootView:
    lines: list[BootLine] = []
    sources: list[str] = []
    seen_scripts: set[str] = set()

    def add_script(path: str, mechanism: str, link: str = "") -> None:
        key = f"{path}|{link}"
        if key in seen_scripts:
            return
        text = rootfs.read_text(path, limit=1 << 20)
        if text is None:
            return
        seen_scripts.add(key)
        sources.append(path)
        lines.extend(_script_lines(text, path, mechanism, link))

    inittab = rootfs.read_text("/etc/inittab", limit=1 << 20)
    if inittab is not None:
        sources.append("/etc/inittab")
        lines.extend(_inittab_lines(inittab))
    for rcs in ("/etc/init.d/rcS", "/etc/rcS", "/etc/rc.local", "/etc/rc.d/rc.local"):
        add_script(rcs, "rc.local" if "local" in rcs else "rcS")
    for link_dir in _RC_LINK_DIRS:
        for name in rootfs.listdir(link_dir):
            if name.startswith("S"):
                link = f"{link_dir}/{name}"
                target = _link_target(rootfs, link)
                add_script(target, "rc.d", link)
    for name in rootfs.listdir("/etc/init.d"):
        if re.match(r"S\d\d", name):
            add_script(f"/etc/init.d/{name}", "init.d")
    lines.extend(_inetd_lines(rootfs, sources))
    lines.extend(_xinetd_lines(rootfs, sources))
    lines.extend(_systemd_lines(rootfs, sources))
    return BootView(tuple(lines), tuple(sources))


def _link_target(rootfs: RootFS, link: str) -> str:
    """The image path a link points at (relative targets taken from the link's folder)."""
    raw = rootfs.readlink(link)
    if raw is None:
        return link
    if raw.startswith("/"):
        return RootFS.normalize(raw)
    return RootFS.normalize(link.rsplit("/", 1)[0] + "/" + raw)


_VAR_ASSIGN = re.compile(r"""^\s*(?:local\s+)?([A-Za-z_]\w*)=["']?([^"'\s;$`]+)["']?\s*$""")
_VAR_USE = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")


def _script_lines(text: str, path: str, mechanism: str, link: str) -> list[BootLine]:
    out = []
    in_stop = False
    variables: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        assign = _VAR_ASSIGN.match(raw)
        if assign:
            variables[assign.group(1)] = assign.group(2)
        if _STOP_FUNC.match(raw):
            in_stop = True
            continue
        if in_stop:
            if raw.startswith("}"):
                in_stop = False
            continue
        if not line or line.startswith("#") or _STOP_WORDS.search(line):
            continue
        expanded = _VAR_USE.sub(lambda m: variables.get(m.group(1), m.group(0)), line)
        out.append(BootLine(mechanism, path, n, line, link=link, expanded=expanded))
    return out


def _inittab_lines(text: str) -> list[BootLine]:
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":", 3)
        if len(parts) == 4 and parts[2] in _INITTAB_ACTIONS:
            out.append(BootLine("inittab", "/etc/inittab", n, line))
    return out


def _inetd_lines(rootfs: RootFS, sources: list[str]) -> list[BootLine]:
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


def _xinetd_lines(rootfs: RootFS, sources: list[str]) -> list[BootLine]:
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


def _systemd_lines(rootfs: RootFS, sources: list[str]) -> list[BootLine]:
    out = []
    for unit_dir in _SYSTEMD_DIRS:
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
    target = _link_target(rootfs, link)
    if rootfs.is_file(target):
        return target
    for unit_dir in _SYSTEMD_DIRS:
        if rootfs.is_file(f"{unit_dir}/{unit}"):
            return f"{unit_dir}/{unit}"
    return None
