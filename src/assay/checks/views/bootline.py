"""One line that may start a program at boot, and the set of them for an image."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from assay.extract.rootfs import RootFS

_TOKEN_SPLIT = re.compile(r"[\s;&|()`'\"=<>{}]+")
TEST_FLAGS = {
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
SYSTEMD_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
_DATA_DIRS = ("/etc/", "/var/", "/tmp/", "/home/", "/dev/", "/proc/", "/sys/", "/www/", "/root/")
_SCRIPT_DIRS = ("/etc/init.d/", "/etc/rc.d/", "/etc/systemd/")
_INITTAB_ACTIONS = {"sysinit", "respawn", "askfirst", "once", "wait", "boot", "bootwait"}


@lru_cache(maxsize=1 << 16)
def _tokens(text: str, inittab: bool) -> tuple[str, ...]:
    """The words of a start-up line (of an inittab line: of its process field)."""
    if inittab:
        text = text.split(":", 3)[-1].lstrip("-")
    return tuple(t for t in _TOKEN_SPLIT.split(text) if t)


@lru_cache(maxsize=1 << 16)
def _run_names(text: str, inittab: bool) -> frozenset[str]:
    """Base names of the programs a line may run: not a test (``[ -x P ]``), not an init
    script asked a question (``/etc/init.d/sshd enabled``), not a folder (``cd /home/httpd``)."""
    toks = _tokens(text, inittab)
    names = set()
    for i, tok in enumerate(toks):
        if tok.startswith(_SCRIPT_DIRS):
            continue
        if "/" in tok and not tok.startswith("/") or tok.startswith(_DATA_DIRS):
            continue
        if i == 0 or toks[i - 1] not in TEST_FLAGS:
            names.add(tok.rsplit("/", 1)[-1])
    return frozenset(names)


@dataclass(frozen=True)
class BootLine:
    """One line that may start a program at boot."""

    mechanism: str  # rc.d init.d inittab rcS rc.local profile called compiled inetd systemd...
    path: str  # the file the line is in
    line: int
    text: str  # the line, stripped
    link: str = ""  # the rc.d / wants link that enables the file, if any
    service: str = ""  # inetd/xinetd service name, systemd unit name
    expanded: str = ""  # the line with the script's simple variables ($PROG) filled in
    chain: tuple[str, ...] = ()  # how boot reaches this file: "/etc/inittab:3", "/etc/rcS:9"

    def tokens(self) -> list[str]:
        return list(_tokens(self.expanded or self.text, self.mechanism == "inittab"))

    def starts(self, programs: Iterable[str]) -> bool:
        """Does this line run one of ``programs`` (by base name), not just test for it?"""
        wanted = set(programs)
        if self.service and self.service in wanted:
            return True
        return not wanted.isdisjoint(
            _run_names(self.expanded or self.text, self.mechanism == "inittab")
        )


@dataclass(frozen=True)
class BootView:
    lines: tuple[BootLine, ...]
    sources: tuple[str, ...]  # files that were read
    compiled: tuple[str, ...] = ()  # compiled programs whose strings were read as commands
    # start-up lines that run a program named only at run time ("service_${i}_start") or one
    # the image does not hold (it is on another partition)
    dynamic: tuple[tuple[str, int, str], ...] = ()
    launched: tuple[str, ...] = ()  # programs and scripts (not BusyBox links) start-up runs
    vendor: tuple[str, ...] = ()  # compiled vendor programs start-up scripts run (may start more)

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


def link_target(rootfs: RootFS, link: str) -> str:
    """The image path a link points at (relative targets taken from the link's folder)."""
    raw = rootfs.readlink(link)
    if raw is None:
        return link
    if raw.startswith("/"):
        return RootFS.normalize(raw)
    return RootFS.normalize(link.rsplit("/", 1)[0] + "/" + raw)


# a NUL-terminated string: a program word, then arguments (and maybe a final "&")
_COMMAND = re.compile(rb"\0((?:/[\w./+-]+|[a-z][\w.+-]*)(?: +[\x21-\x7e]+){1,30} *)(?=\0)")


def command_strings(data: bytes) -> Iterator[str]:
    """Strings of a compiled program that read like a shell command line (``telnetd &``,
    ``/bin/httpd -p 80``): a program word followed by options, paths or ``&``."""
    for m in _COMMAND.finditer(data):
        text = m.group(1).decode("ascii").strip()
        words = text.split()
        if text.endswith("&") or any(w.startswith(("-", "/")) for w in words[1:]):
            yield text


_COMMAND_SPLIT = re.compile(r"&&|\|\||[;|&(`]|\$\(|\b(?:then|do|else)\b")


_VARIABLE_COMMAND = re.compile(r'^"?[\w./-]*\$\{?[A-Za-z_]\w*\}?[\w./-]*"?$')
_VAR_IN_WORD = re.compile(r"\$\{?([A-Za-z_]\w*|\d)")


def dynamic_command(text: str, assigned: set[str]) -> bool:
    """Does the line run a command whose name is a variable the script does not set
    (``$i start`` in a loop, ``service_${x}_start``)? ``$0`` and ``$1`` (the script and its
    argument) and variables assigned in the script are known."""
    text = re.sub(r"\$?\(\(.*", "", text)  # arithmetic, not a command
    for part in _COMMAND_SPLIT.split(text):
        words = part.split()
        if not words or not _VARIABLE_COMMAND.match(words[0]):
            continue
        names = _VAR_IN_WORD.findall(words[0])
        if any(not n.isdigit() and n not in assigned for n in names):
            return True
    return False
