"""Remote administration: web admin over plain HTTP, SSH password and root login.

Reads the configuration the daemons would read (OpenWrt UCI ``/etc/config/uhttpd`` and
``/etc/config/dropbear``, ``lighttpd.conf``, ``sshd_config``) and the daemon's command line,
with each daemon's documented defaults when an option is absent.
"""

from __future__ import annotations

import re

from assay.checks.context import CheckContext, ImageView
from assay.checks.interface import Outcome, failed, inconclusive, not_applicable, passed
from assay.checks.services import boot_evidence, boot_unfollowed
from assay.checks.views.uci import is_false, is_true, read_uci
from assay.model.check import Evidence

PLAIN_ONLY_HTTPD = ("httpd", "boa", "thttpd", "goahead", "webs", "mini_httpd", "shttpd")
WEB_SERVERS = (
    *PLAIN_ONLY_HTTPD, "uhttpd", "lighttpd", "nginx", "cherokee", "cherokee-worker", "web",
    "axhttpd", "nano_httpd", "jhttpd", "appweb", "mongoose", "civetweb",
)  # fmt: skip
SSH_SERVERS = ("dropbear", "dropbearmulti", "sshd")
HTTP_SERVER = re.compile(rb"HTTP/1\.[01] ")
SERVER_HEADER = re.compile(rb"Server: ")


def http_admin(ctx: CheckContext) -> Outcome:
    evidence: list[Evidence] = []
    servers: list[str] = []
    for view in ctx:
        evidence += _uhttpd(view, servers)
        evidence += _lighttpd(view, servers)
        for line in view.boot.find(PLAIN_ONLY_HTTPD):
            prog = next(t for t in line.tokens() if t.rsplit("/", 1)[-1] in PLAIN_ONLY_HTTPD)
            name = prog.rsplit("/", 1)[-1]
            if name == "mini_httpd" and " -S" in line.text or line.mechanism == "compiled":
                continue
            if name == "httpd" and re.search(r"httpd\s+-[de]\b", line.text):
                continue  # BusyBox httpd -d/-e decodes or encodes a string, serves nothing
            servers.append(name)
            port = re.search(r"\s-p\s+(\S+)", line.text)
            note = f"{name} serves plain HTTP on port {port.group(1) if port else 80}"
            evidence += boot_evidence(view, line, note)
    if evidence:
        return failed("The web interface is served over plain HTTP.", *evidence)
    if not servers:
        vendor = [e for view in ctx for e in _vendor_http(view)]
        if vendor:
            return inconclusive(
                "A vendor program that answers HTTP is started at boot; its port and TLS use "
                "could not be read.",
                *vendor,
            )
        return _nothing_started(ctx, "web server", WEB_SERVERS)
    return passed(f"Web server(s) {', '.join(sorted(set(servers)))} serve HTTPS only.")


def _nothing_started(ctx: CheckContext, label: str, names: tuple[str, ...]) -> Outcome:
    """NOT_APPLICABLE only when the start-up graph was read to its end and the image holds no
    such server; otherwise INCONCLUSIVE with what is there."""
    present = [
        view.evidence(e.path, None, "", f"{label} in the image, not seen started")
        for view in ctx
        for e in view.entries
        if e.path.rsplit("/", 1)[-1] in names and (e.is_file or e.is_symlink)
    ]
    opaque = boot_unfollowed(ctx)
    if opaque:
        why, evidence = opaque
        return inconclusive(f"No {label} seen started, but {why}", *present[:5], *evidence)
    vendor = [
        v.evidence(p, None, "", "vendor program run at boot") for v in ctx for p in v.boot.vendor
    ]
    if present and vendor:
        return inconclusive(
            f"A {label} is in the image but not seen started; compiled vendor programs run at "
            "boot may start it.",
            *present[:5],
            *vendor[:5],
        )
    if present:
        return not_applicable(
            f"No {label} is started at boot (present, not enabled).", *present[:5]
        )
    return not_applicable(f"No {label} is started at boot, and none is in the image.")


def _vendor_http(view: ImageView) -> list[Evidence]:
    """Programs started at boot that are HTTP servers by what they hold (a status line and a
    Server: header), whatever their name."""
    out = []
    for path in view.boot.launched:
        if path.rsplit("/", 1)[-1] in (*PLAIN_ONLY_HTTPD, "uhttpd", "lighttpd"):
            continue  # judged from their configuration above
        data = view.mounted.read_bytes(path, limit=8 << 20) or b""
        if data[:4] == b"\x7fELF" and HTTP_SERVER.search(data) and SERVER_HEADER.search(data):
            note = "started at boot; answers HTTP (HTTP/1.x status line, Server: header)"
            out.append(view.evidence(path, None, "HTTP/1.", note))
    return out


def _uhttpd(view: ImageView, servers: list[str]) -> list[Evidence]:
    sections = read_uci(view.rootfs, "uhttpd")
    if sections is None or not view.boot.find(["uhttpd"]):
        return []
    servers.append("uhttpd")
    out = []
    for sec in sections:
        if sec.type != "uhttpd":
            continue
        redirect = sec.get("redirect_https")
        if redirect and is_true(redirect.value):
            continue
        for value in sec.values("listen_http"):
            note = f"uhttpd listens for plain HTTP on {value.value}"
            out.append(view.evidence("/etc/config/uhttpd", value.line, value.text, note))
    if out:
        for line in view.boot.find(["uhttpd"])[:1]:
            out += boot_evidence(view, line, "starts uhttpd")
    return out


def _lighttpd(view: ImageView, servers: list[str]) -> list[Evidence]:
    path = "/etc/lighttpd/lighttpd.conf"
    lines = view.lines(path)
    if not lines or not view.boot.find(["lighttpd"]):
        return []
    servers.append("lighttpd")
    text = "\n".join(line for _, line in lines)
    if re.search(r'^\s*ssl\.engine\s*=\s*"enable"', text, re.M) and not re.search(
        r"^\s*\$SERVER\[\"socket\"\]", text, re.M
    ):
        return []
    port = next(((n, ln) for n, ln in lines if re.match(r"\s*server\.port\s*=", ln)), None)
    if port:
        return [view.evidence(path, port[0], port[1].strip(), "lighttpd listens for plain HTTP")]
    return [view.evidence(path, None, "", "no server.port: lighttpd listens on port 80 (HTTP)")]


def _ssh(ctx: CheckContext, want: str) -> Outcome:
    """want = "root" (root may log in with a password) or "password" (passwords accepted)."""
    evidence: list[Evidence] = []
    daemons = 0
    for view in ctx:
        old_openssh = _openssh_before_7(ctx)
        for found, ev in (_dropbear(view, want), _openssh(view, want, old_openssh)):
            daemons += found
            evidence += ev
    if daemons == 0:
        return _nothing_started(ctx, "SSH server", SSH_SERVERS)
    if evidence:
        what = "root to log in with a password" if want == "root" else "password logins"
        return failed(f"The SSH server allows {what}.", *evidence)
    what = "root password logins" if want == "root" else "password logins"
    return passed(f"The SSH server(s) refuse {what}.")


def ssh_root_login(ctx: CheckContext) -> Outcome:
    return _ssh(ctx, "root")


def ssh_password_auth(ctx: CheckContext) -> Outcome:
    return _ssh(ctx, "password")


def _dropbear(view: ImageView, want: str) -> tuple[int, list[Evidence]]:
    lines = view.boot.find(["dropbear"])
    if not lines:
        return 0, []
    sections = read_uci(view.rootfs, "dropbear")
    if sections is None:  # plain command line: -s no passwords, -g no root passwords, -w no root
        out = []
        for line in lines:
            words = line.text.split()
            refused = "-s" in words or (want == "root" and ("-g" in words or "-w" in words))
            if not refused:
                note = f"dropbear without {'-s/-g/-w' if want == 'root' else '-s'}"
                out += boot_evidence(view, line, note)
        return 1, out
    out = []
    for sec in (s for s in sections if s.type == "dropbear"):
        enabled = sec.get("enable")
        if enabled and is_false(enabled.value):
            continue
        keys = ["PasswordAuth"] + (["RootPasswordAuth", "RootLogin"] if want == "root" else [])
        values = {k: sec.get(k) for k in keys}
        if any(v is not None and is_false(v.value) for v in values.values()):
            continue  # one of them switches it off
        port = sec.get("Port")
        iface = sec.get("Interface")
        listen = f"dropbear listens on port {port.value if port else '22'}"
        listen += f" of interface {iface.value}" if iface else " on all interfaces"
        for key, value in values.items():
            if value is not None:
                note = f"{key} on; {listen}"
                out.append(view.evidence("/etc/config/dropbear", value.line, value.text, note))
            else:
                note = f"{key} not set: dropbear's default is on; {listen}"
                out.append(view.evidence("/etc/config/dropbear", sec.line, "", note))
    return 1, out


def _openssh_before_7(ctx: CheckContext) -> str:
    """The OpenSSH version when the catalog found one older than 7.0 (root login default yes)."""
    for comp in ctx.components:
        if comp.name.lower() in ("openssh", "openssh-server", "openssh-sshd", "sshd"):
            m = re.match(r"(\d+)\.(\d+)", comp.version)
            if m and (int(m.group(1)), int(m.group(2))) < (7, 0):
                return comp.version
    return ""


def _openssh(view: ImageView, want: str, old_version: str) -> tuple[int, list[Evidence]]:
    if not view.boot.find(["sshd"]):
        return 0, []
    path = "/etc/ssh/sshd_config"
    settings: dict[str, tuple[int, str, str]] = {}
    for n, raw in view.lines(path):
        parts = raw.split(None, 1)
        if len(parts) == 2 and not raw.lstrip().startswith("#"):
            settings.setdefault(parts[0].lower(), (n, parts[1].strip().lower(), raw.strip()))
    pw = settings.get("passwordauthentication")
    out: list[Evidence] = []
    if pw and pw[1] == "no":
        return 1, []
    pw_ev = (
        view.evidence(path, pw[0], pw[2], "password authentication on")
        if pw
        else view.evidence(path, None, "", "PasswordAuthentication not set: default yes")
    )
    if want == "password":
        return 1, [pw_ev]
    root = settings.get("permitrootlogin")
    if root and root[1] == "yes":
        out = [view.evidence(path, root[0], root[2], "root may log in with a password"), pw_ev]
    elif root is None and old_version:
        note = f"PermitRootLogin not set: OpenSSH {old_version} (before 7.0) defaults to yes"
        out = [view.evidence(path, None, "", note), pw_ev]
    return 1, out
