"""What an image starts at boot: the command lines, and how each one gets started.

The start-up graph is followed from every entry point that exists: ``inittab`` (wherever it
is: ``/etc_ro/inittab`` is copied to ``/etc`` at run time), the rcS and rc.local scripts, init
scripts enabled by an ``S``-link (``/etc/rc.d/S50telnet``, ``/etc/rc?.d/S*``,
``/etc/init.d/S??*``, OpenWrt procd scripts), runit and s6 service ``run`` scripts,
``/etc/profile`` when inittab starts a login
shell, inetd and xinetd services, systemd units wanted by a target. Every script a start-up
line runs is read in turn (``/etc/init.d/rc.local``, ``init.sh`` found on the PATH), and so are
the shell commands in the strings of a compiled vendor program it runs. Each line keeps the
chain of files that led to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assay.checks.views.bootfiles import inetd_lines, systemd_lines, xinetd_lines
from assay.checks.views.bootline import (
    TEST_FLAGS,
    BootLine,
    BootView,
    command_strings,
    dynamic_command,
    link_target,
    primary,
)
from assay.checks.views.mounted import Mounted
from assay.extract.rootfs import RootFS

__all__ = ["BootLine", "BootView", "primary", "read_boot"]

_STOP_WORDS = re.compile(
    r"\b(service_stop|killall|kill|pidof|pgrep|start-stop-daemon\s+-K|--stop|procd_kill)\b"
)
_STOP_FUNC = re.compile(r"^\s*(stop|stop_service|restart|reload|shutdown|disable)\s*\(\)")
_RC_LINK_DIRS = ("/etc/rc.d", "/etc/rc2.d", "/etc/rc3.d", "/etc/rc5.d", "/etc/rcS.d")
# service folders runit (runsvdir) and s6 (s6-svscan) supervise: each holds <service>/run
_SUPERVISED = ("/etc/service", "/service", "/var/service", "/etc/runit/runsvdir/default",
               "/etc/s6/service", "/run/service", "/etc/s6-rc/compiled/servicedirs")  # fmt: skip
_RC_SCRIPTS = ("/etc/init.d/rcS", "/etc/rcS", "/etc/rc.local", "/etc/rc.d/rc.local")
_INITTAB_ACTIONS = {"sysinit", "respawn", "askfirst", "once", "wait", "boot", "bootwait"}
_PATH = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")
_LIBRARY_DIRS = ("/lib/", "/usr/lib/", "/usr/share/")
# programs whose strings are not read for commands: init systems, shells, BusyBox
_KNOWN_PROGRAMS = {
    "busybox", "procd", "init", "systemd", "sh", "ash", "bash", "getty", "login", "dropbear",
    "sshd", "dnsmasq", "hostapd", "wpa_supplicant", "udhcpd", "udhcpc", "syslogd", "klogd",
    "ntpd", "crond", "pppd", "openvpn", "telnetd", "httpd", "uhttpd", "lighttpd", "mdev",
    "udevd", "ubusd", "logd", "netifd", "odhcpd", "dbus-daemon", "python", "lua",
}  # fmt: skip
MAX_PROGRAM = 4 << 20
# words that are never a script to read (shell built-ins and the like)
_NOT_COMMANDS = {"echo", "test", "[", "cat", "mount", "umount", "mkdir", "ln", "rm", "cp"}
MAX_DEPTH = 8
_PROGRAM_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/", "/opt/", "/app")
_SERVICE_MECHANISMS = ("rc.d", "init.d", "systemd", "compiled")
_VAR_DEFINED = re.compile(r"(?m)^\s*(?:local\s+|export\s+)?([A-Za-z_]\w*)=")
_RC_LOOP = re.compile(r"/etc/(init\.d/S|rc\.d/|rc\d?\.d|rc\$)")


def read_boot(rootfs: RootFS, found: Iterable[str] = (), paths: Iterable[str] = ()) -> BootView:
    """Follow the start-up graph of one image.

    ``found`` lists image paths of files named like start-up files (``inittab``, ``rcS``)
    wherever they are in the tree (``/etc_ro/inittab`` is copied to ``/etc`` at run time);
    ``paths`` every path of the tree (words that are not among them are not looked up).
    """
    walker = _Walker(rootfs, frozenset(paths))
    for link_dir in _RC_LINK_DIRS:  # first, so a script keeps the link that enables it
        for name in rootfs.listdir(link_dir):
            if name.startswith("S"):
                link = f"{link_dir}/{name}"
                walker.script(link_target(rootfs, link), "rc.d", (link,), link)
    found = list(found)
    inittabs = ["/etc/inittab"] + [p for p in found if p.endswith("/inittab")]
    for path in dict.fromkeys(inittabs):
        text = rootfs.read_text(path, limit=1 << 20)
        if text is None:
            continue
        walker.sources.append(path)
        for line in _inittab_lines(text, path):
            walker.add(line)
        break
    rcs = [p for p in found if p.rsplit("/", 1)[-1] in ("rcS", "rc.local", "rc.sysinit")]
    for path in (*_RC_SCRIPTS, *rcs):
        walker.script(path, "rc.local" if "local" in path else "rcS", (path,))
    for folder in _SUPERVISED:  # runit and s6: every enabled service has a run script
        for name in rootfs.listdir(folder):
            walker.script(f"{folder}/{name}/run", "runit/s6", (f"{folder}/{name}",))
    for name in rootfs.listdir("/etc/init.d"):
        if re.match(r"S\d\d", name):
            walker.script(f"/etc/init.d/{name}", "init.d", (f"/etc/init.d/{name}",))
    for line in (
        inetd_lines(rootfs, walker.sources)
        + xinetd_lines(rootfs, walker.sources)
        + systemd_lines(rootfs, walker.sources)
    ):
        walker.add(line)
    return BootView(
        tuple(walker.lines),
        tuple(walker.sources),
        tuple(walker.compiled),
        tuple(walker.dynamic),
        tuple(sorted(walker.launched)),
        tuple(walker.vendor),
    )


class _Walker:
    """Reads start-up scripts, and every script or compiled program they run, once."""

    def __init__(self, rootfs: RootFS, paths: frozenset[str]) -> None:
        self.rootfs = rootfs
        self.paths = paths  # every path in the tree: resolving a word costs a set lookup
        self.linked_dirs = {
            d
            for d in ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/lib")
            if rootfs.readlink(d) is not None
        }
        self.lines: list[BootLine] = []
        self.sources: list[str] = []
        self.compiled: list[str] = []
        self.dynamic: list[tuple[str, int, str]] = []
        self.seen: set[str] = set()
        self.launched: set[str] = set()  # programs (not links) that start-up lines run
        self.vendor: list[str] = []  # compiled vendor programs run by start-up scripts
        self.resolved: dict[str, str | None] = {}
        self.heads: dict[str, bool] = {}  # path -> runnable

    def add(self, line: BootLine) -> None:
        self.lines.append(line)
        if line.mechanism == "inittab":
            self.follow(line)

    def script(
        self,
        path: str,
        mechanism: str,
        chain: tuple[str, ...],
        link: str = "",
        programs: bool = False,
    ) -> None:
        """Read a start-up script; ``programs``: read a compiled program's strings too."""
        if path in self.seen or len(chain) > MAX_DEPTH or path.startswith(_LIBRARY_DIRS):
            return
        data = self.rootfs.read_bytes(path, limit=1 << 20)
        if data is None:
            return
        if data.startswith(b"\x7fELF"):
            if programs:
                self.seen.add(path)
                name = path.rsplit("/", 1)[-1]
                if name not in _KNOWN_PROGRAMS and not self.rootfs.readlink(path):
                    self.vendor.append(path)
                self.compiled_program(path, chain)
            return
        self.seen.add(path)
        if b"\0" in data[:2048]:
            return
        self.sources.append(path)
        text = data.decode("utf-8", "replace")
        rc_loop = _RC_LOOP.search(text) is not None  # "for i in /etc/init.d/S??*": read above
        assigned = set(_VAR_DEFINED.findall(text))
        raw = text.splitlines()
        for line in _script_lines(text, path, mechanism, link, chain):
            self.lines.append(line)
            self.follow(line)
            continued = line.line > 1 and raw[line.line - 2].rstrip().endswith("\\")
            if not rc_loop and not continued and dynamic_command(line.text, assigned):
                self.dynamic.append((path, line.line, line.text))

    def follow(self, line: BootLine) -> None:
        """Scripts (and vendor programs) this line runs, read in turn with a longer chain."""
        chain = (*line.chain, f"{line.path}:{line.line}")
        toks = line.tokens()
        if line.mechanism == "inittab":
            process = line.text.split(":", 3)[3].strip()
            if process.startswith("-") or re.search(r"\s(-l|--login)\b", process):
                self.script("/etc/profile", "profile", chain)  # a login shell reads it
        self._missing(line, toks)
        for i, tok in enumerate(toks):
            before = toks[i - 1] if i else ""
            if before in TEST_FLAGS or tok in _NOT_COMMANDS or "stop" in toks[i + 1 : i + 2]:
                continue
            path = self.resolve(tok)
            if path is None or path == line.path or path.endswith(".ko"):
                continue  # a kernel module is loaded, not run
            runnable = self.runnable(path)
            inetd = line.mechanism in ("inetd", "xinetd")
            if runnable and not inetd and not self.rootfs.readlink(path):
                self.launched.add(path)
            if before in (".", "source", "sh", "ash", "bash") or runnable:
                # a vendor program run by rcS may start services itself; a daemon run by its
                # own init script (rc.d, systemd) is that service, not a start-up program
                programs = not line.link and line.mechanism not in _SERVICE_MECHANISMS
                self.script(path, "called", chain, programs=programs)

    def _missing(self, line: BootLine, toks: list[str]) -> None:
        """A line that starts with a program path the image does not hold (it is on a
        partition that was not unpacked, or made at run time): start-up we cannot follow."""
        if line.mechanism in ("inittab", "inetd", "xinetd", "systemd", "compiled") or not toks:
            return
        first = toks[0]
        if not first.startswith(_PROGRAM_DIRS) or "$" in first or first in self.paths:
            return
        folder = first.rsplit("/", 1)[0]
        if self.rootfs.exists(first) or self.rootfs.listdir(folder):
            return  # the folder is there: the program is simply not in this image
        if isinstance(self.rootfs, Mounted) and self.rootfs.elsewhere(first):
            return  # on a partition mounted there, which the image holds too
        if any(t == first for t in toks[1:]) or line.text.lstrip().startswith(("[", "test ")):
            return  # guarded: [ -x /usr/sbin/foo ] && /usr/sbin/foo
        self.dynamic.append((line.path, line.line, line.text))

    def runnable(self, path: str) -> bool:
        """A script with a #! line or a .sh name, or a compiled program (not a data file)."""
        if path not in self.heads:
            head = self.rootfs.read_bytes(path, limit=4) or b""
            self.heads[path] = head.startswith((b"#!", b"\x7fELF")) or path.endswith(".sh")
        return self.heads[path]

    def resolve(self, token: str) -> str | None:
        if token not in self.resolved:
            self.resolved[token] = self._resolve(token)
        return self.resolved[token]

    def _resolve(self, token: str) -> str | None:
        if "$" in token or "*" in token or len(token) < 2:
            return None
        if token.startswith("/"):
            token = RootFS.normalize(token)
            return token if self.exists(token) else None
        if "/" in token or not re.fullmatch(r"[\w.+-]+", token):
            return None
        for folder in _PATH:
            candidate = f"{folder}/{token}"
            if self.exists(candidate):
                return candidate
        return None

    def exists(self, path: str) -> bool:
        """A file at this path; a set lookup unless a folder on the way is a link."""
        if path not in self.paths:
            folder = path.rsplit("/", 1)[0]
            mounted = isinstance(self.rootfs, Mounted) and self.rootfs.elsewhere(path)
            if not mounted and (folder in self.paths or folder not in self.linked_dirs):
                return False
        return self.rootfs.is_file(path)

    def compiled_program(self, path: str, chain: tuple[str, ...]) -> None:
        """A vendor program started at boot: the shell commands in its strings start things too."""
        name = path.rsplit("/", 1)[-1]
        if name in _KNOWN_PROGRAMS or self.rootfs.readlink(path):
            return
        data = self.rootfs.read_bytes(path, limit=MAX_PROGRAM) or b""
        commands = [c for c in command_strings(data) if self.resolve(c.split()[0])]
        if not commands:
            return
        self.compiled.append(path)
        self.sources.append(path)
        for text in commands:
            line = BootLine("compiled", path, 0, text, chain=chain, expanded=text)
            self.lines.append(line)
            self.follow(line)


_VAR_ASSIGN = re.compile(
    r"""^\s*(?:local\s+|export\s+)?([A-Za-z_]\w*)=["']?([^"'\s;$`]*)["']?\s*$"""
)
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
_VAR_USE = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")


def _script_lines(
    text: str, path: str, mechanism: str, link: str, chain: tuple[str, ...] = ()
) -> list[BootLine]:
    out = []
    in_stop = False
    heredoc = ""  # the word that ends a here-document: its lines are data, not commands
    variables: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if heredoc:
            heredoc = "" if line == heredoc else heredoc
            continue
        doc = _HEREDOC.search(line)
        if doc and not line.startswith("#"):
            heredoc = doc.group(1)
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
        out.append(BootLine(mechanism, path, n, line, link=link, expanded=expanded, chain=chain))
    return out


def _inittab_lines(text: str, path: str = "/etc/inittab") -> list[BootLine]:
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":", 3)
        if len(parts) == 4 and parts[2] in _INITTAB_ACTIONS:
            out.append(BootLine("inittab", path, n, line))
    return out
