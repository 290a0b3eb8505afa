"""Services started at boot: telnet, FTP, TFTP, UPnP, debug and remote-shell daemons.

What counts as "started at boot" comes from ``views.boot`` (inittab, rcS, rc.d links, init.d,
procd, inetd/xinetd, systemd). The program names are data (``data/services.yaml``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from assay.checks.context import CheckContext, ImageView
from assay.checks.interface import Outcome, failed, inconclusive, passed
from assay.checks.views.boot import BootLine, primary
from assay.checks.views.uci import is_true, read_uci
from assay.model.check import Evidence
from assay.safeload import packaged_yaml


@dataclass(frozen=True)
class ServiceSpec:
    key: str
    label: str
    programs: tuple[str, ...]
    inetd: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    port: str
    components: tuple[str, ...] = ()  # catalog component names that are this service


@cache
def service_specs() -> dict[str, ServiceSpec]:
    text = resources.files("assay.checks").joinpath("data/services.yaml").read_text("utf-8")
    out = {}
    for key, raw in packaged_yaml(text).items():
        out[key] = ServiceSpec(
            key=key,
            label=raw["label"],
            programs=tuple(raw.get("programs", ())),
            inetd=tuple(raw.get("inetd", ())),
            patterns=tuple(re.compile(p) for p in raw.get("patterns", ())),
            port=str(raw.get("port", "")),
            components=tuple(raw.get("components", ())),
        )
    return out


def identified_as(view: ImageView, components: tuple[str, ...]) -> dict[str, str]:
    """Programs started at boot that the catalog identified as one of ``components``, under
    whatever name: {base name: component}."""
    return {
        path.rsplit("/", 1)[-1]: view.identified[path]
        for path in view.boot.launched
        if view.identified.get(path) in components
    }


def started(view: ImageView, spec: ServiceSpec) -> list[BootLine]:
    """Start-up lines of an image that start this service (by program name, or a program the
    catalog identified as the service)."""
    programs = (*spec.programs, *identified_as(view, spec.components))
    out = []
    for line in view.boot.lines:
        if line.mechanism in ("inetd", "xinetd"):
            hit = line.service in spec.inetd or line.starts(programs)
        else:
            hit = line.starts(programs) or any(p.search(line.text) for p in spec.patterns)
        if hit:
            out.append(line)
    return primary(out)


def boot_evidence(view: ImageView, line: BootLine, note: str) -> list[Evidence]:
    """The start-up line, and the link that enables its script when there is one."""
    if line.mechanism == "compiled":
        note += "; a command in the strings of this compiled program"
    out = [view.evidence(line.path, line.line or None, line.text, note)]
    if line.link:
        out.append(view.evidence(line.link, None, f"-> {line.path}", "enables it at boot"))
    out += settings_evidence(view, line.path)
    for step in line.chain:
        path, _, number = step.partition(":")
        if path == line.link or not number and path == line.path:
            continue
        n = int(number) if number.isdigit() else None
        out.append(view.evidence(path, n, "", f"start-up chain: runs {line.path}"))
    return out


_SOURCED = re.compile(r"^\s*(?:\.|source)\s+(/[\w./-]+)")
_TESTED = re.compile(r"\[\s[^\]]*\$\{?([A-Za-z_]\w*)")


def settings_evidence(view: ImageView, script: str) -> list[Evidence]:
    """The settings a start-up script reads and tests (``. /etc/defaults/settings.remote``,
    then ``[ "$REMOTE_TELNET" != "1" ] && exit``): the values that decide the start."""

    def compute() -> list[Evidence]:
        lines = view.lines(script, limit=1 << 16)
        tested = {m for _, text in lines for m in _TESTED.findall(text)}
        out = []
        for _, text in lines:
            m = _SOURCED.match(text)
            if not m or not tested:
                continue
            for n, setting in view.lines(m.group(1), limit=1 << 16):
                name = setting.split("=", 1)[0].strip()
                if "=" in setting and name in tested:
                    note = f"setting {name} read by {script}"
                    out.append(view.evidence(m.group(1), n, setting.strip(), note))
        return out

    return view.memo(f"settings:{script}", compute)


def _no_boot_info(ctx: CheckContext) -> Outcome | None:
    if not any(v.boot.sources for v in ctx):
        return inconclusive(
            "No start-up files found (inittab, rcS, rc.d, init.d, inetd, systemd); "
            "cannot tell what starts at boot."
        )
    return None


def _generic(
    ctx: CheckContext, key: str, extra: Callable[[ImageView], list[Evidence]] | None = None
) -> Outcome:
    unknown = _no_boot_info(ctx)
    if unknown:
        return unknown
    spec = service_specs()[key]
    evidence: list[Evidence] = []
    maybe: list[Evidence] = []
    for view in ctx:
        aliases = identified_as(view, spec.components)
        for line in started(view, spec):
            if line.mechanism == "compiled":
                maybe += boot_evidence(view, line, f"may start a {spec.label}")
                continue
            note = f"starts a {spec.label} ({line.mechanism}); default port {spec.port}"
            named = [f"{a} is {c}" for a, c in aliases.items() if line.starts([a])]
            if named:
                note += f"; identified by the catalog: {', '.join(named)}"
            evidence += boot_evidence(view, line, note)
        if extra is not None:
            evidence += extra(view)
    if evidence:
        return failed(f"A {spec.label} is started at boot.", *evidence)
    return _not_seen(ctx, spec.label, maybe, spec.programs)


def _not_seen(
    ctx: CheckContext, label: str, maybe: list[Evidence], programs: tuple[str, ...]
) -> Outcome:
    """PASS only when the whole start-up graph was read; INCONCLUSIVE when part of it was
    decided at run time (a compiled program, a command named by a variable)."""
    files = sum(len(v.boot.sources) for v in ctx)
    if maybe:
        return inconclusive(
            f"No {label} is started by a start-up script, but a compiled program started at "
            "boot holds a command line that starts one; whether it runs it is decided at "
            "run time.",
            *maybe,
        )
    opaque = boot_unfollowed(ctx)
    if opaque:
        why, evidence = opaque
        return inconclusive(f"No {label} found in {files} start-up files, but {why}", *evidence)
    present = [
        v.evidence(e.path, None, "", "in the image (real program), not seen started")
        for v in ctx
        for e in v.entries
        if e.is_file and e.path.rsplit("/", 1)[-1] in programs
    ]
    vendor = [
        v.evidence(p, None, "", "vendor program run at boot") for v in ctx for p in v.boot.vendor
    ]
    if present and vendor:
        return inconclusive(
            f"A {label} is in the image and compiled vendor programs run at boot may start "
            "it; no start-up file does.",
            *present[:5],
            *vendor[:5],
        )
    return passed(f"No {label} is started at boot ({files} start-up files read).")


def _own_programs(ctx: CheckContext) -> list[str]:
    """Compiled programs of the image's own in the program folders (not BusyBox or links)."""
    return [
        e.path
        for v in ctx
        for e in v.entries
        if e.is_file
        and e.path.startswith(("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"))
        and e.path.rsplit("/", 1)[-1] != "busybox"
        and (v.rootfs.read_bytes(e.path, limit=4) or b"") == b"\x7fELF"
    ][:1]


def boot_unfollowed(ctx: CheckContext) -> tuple[str, list[Evidence]] | None:
    """Why the start-up graph could not be read to its end, with the evidence; None when
    it was read to its end."""
    if not any(v.boot.launched for v in ctx) and _own_programs(ctx):
        note = "read: starts no program of its own"
        read = [v.evidence(p, None, "", note) for v in ctx for p in v.boot.sources[:5]]
        why = (
            "the start-up files start no program of their own (only shell commands and "
            "BusyBox applets): the services are started some other way (a compiled init, "
            "the kernel, a partition that was not unpacked)."
        )
        return why, read
    dynamic = [
        v.evidence(p, n, t, "runs a program named at run time or not in the image")
        for v in ctx
        for p, n, t in v.boot.dynamic
    ]
    if dynamic:
        why = (
            "start-up also runs programs named only at run time or held on a partition "
            "that was not unpacked; those could not be followed."
        )
        return why, dynamic[:10]
    return None


def ftp(ctx: CheckContext) -> Outcome:
    return _generic(ctx, "ftp")


def tftp(ctx: CheckContext) -> Outcome:
    return _generic(ctx, "tftp", _dnsmasq_tftp)


def _dnsmasq_tftp(view: ImageView) -> list[Evidence]:
    """dnsmasq's built-in TFTP server, switched on in dnsmasq.conf or OpenWrt's UCI dhcp."""
    lines = view.boot.find(["dnsmasq"])
    if not lines:
        return []
    out = [
        view.evidence("/etc/dnsmasq.conf", n, text.strip(), "dnsmasq serves TFTP on 69/udp")
        for n, text in view.lines("/etc/dnsmasq.conf")
        if re.match(r"\s*enable-tftp\b", text)
    ]
    for sec in read_uci(view.rootfs, "dhcp") or []:
        value = sec.get("enable_tftp")
        if sec.type == "dnsmasq" and value is not None and is_true(value.value):
            note = "dnsmasq serves TFTP on 69/udp"
            out.append(view.evidence("/etc/config/dhcp", value.line, value.text, note))
    if out:
        out += boot_evidence(view, lines[0], "starts dnsmasq")
    return out


def upnp(ctx: CheckContext) -> Outcome:
    return _generic(ctx, "upnp")


def debug_daemon(ctx: CheckContext) -> Outcome:
    return _generic(ctx, "debug")


def telnet(ctx: CheckContext) -> Outcome:
    """Telnet, including OpenWrt's "start telnetd while root has no password" rule."""
    unknown = _no_boot_info(ctx)
    if unknown:
        return unknown
    spec = service_specs()["telnet"]
    evidence: list[Evidence] = []
    held_back: list[str] = []
    reasons: list[str] = []
    maybe: list[Evidence] = []
    for view in ctx:
        for line in started(view, spec):
            if line.mechanism == "compiled":
                maybe += boot_evidence(view, line, "may start a telnet server")
                continue
            listen = _telnetd_listen(line.text)
            conditional = _root_password_condition(view, line.path)
            root_empty = any(view.password_is_empty(a) for a in view.accounts if a.name == "root")
            ssh_enabled = bool(view.boot.find(["dropbear", "sshd"]))
            if conditional and not root_empty and ssh_enabled:
                held_back.append(f"{line.path} starts telnetd only while root has no password")
                continue
            if conditional and not root_empty:  # OpenWrt's other rule: no SSH server enabled
                note = f"starts telnetd ({line.mechanism}); {listen}; no SSH server is enabled"
                evidence += boot_evidence(view, line, note)
                continue
            note = f"starts telnetd ({line.mechanism}); {listen}"
            if conditional:
                note += "; the script starts it because root has no password"
                reasons.append("root has no password")
            evidence += boot_evidence(view, line, note)
            if conditional:
                root = next(a for a in view.accounts if a.name == "root")
                evidence.append(
                    view.evidence(root.source, root.line, root.text, "root: no password")
                )
    if evidence:
        why = " because root has no password" if reasons else ""
        return failed(f"A telnet server is started at boot{why}.", *evidence)
    if held_back and not maybe:
        return passed("Telnet is not started: " + "; ".join(held_back) + ", and root has one.")
    return _not_seen(ctx, "telnet server", maybe, spec.programs)


def _root_password_condition(view: ImageView, script: str) -> bool:
    text = view.rootfs.read_text(script, limit=1 << 16) or ""
    return "has_root_pwd" in text or "root:[!x]" in text


def _telnetd_listen(command: str) -> str:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    port, addr, shell = "23", "all interfaces", ""
    for i, word in enumerate(words[:-1]):
        if word == "-p":
            port = words[i + 1]
        elif word == "-b":
            addr = words[i + 1]
        elif word == "-l":
            shell = words[i + 1]
    text = f"listens on {addr} port {port}/tcp"
    if shell:
        text += f", runs {shell} for each connection"
    return text
