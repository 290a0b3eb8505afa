"""Login accounts from ``/etc/passwd`` and ``/etc/shadow`` (password field merged)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assay.extract.rootfs import RootFS

# OpenWrt's /bin/login.sh and /etc/init.d/telnet treat "x" or "!" in root's password field
# as "no password set" and hand out a shell without asking. When an image carries such a
# wrapper we read those placeholders as empty passwords.
_PLACEHOLDER_AS_EMPTY = re.compile(r"root:\[!x\]")


@dataclass(frozen=True)
class Account:
    """One account; ``password`` is the effective password field (shadow wins over passwd)."""

    name: str
    uid: int | None
    gid: int | None
    home: str
    shell: str
    password: str
    source: str  # the file the password field came from
    line: int  # its line number in that file
    text: str  # the line, as written
    passwd_line: int = 0

    @property
    def scheme(self) -> str:
        """The crypt scheme of the password field."""
        return crypt_scheme(self.password)


def crypt_scheme(field: str) -> str:
    """Name the hashing scheme of a password field (``empty``, ``locked``, ``des``, ...)."""
    if field == "":
        return "empty"
    if field[0] in "!*" or field in ("x", "NP", "LK"):
        return "locked"
    if field.startswith("$1$"):
        return "md5"
    if field.startswith("$5$"):
        return "sha256"
    if field.startswith("$6$"):
        return "sha512"
    if field.startswith(("$2a$", "$2b$", "$2y$")):
        return "bcrypt"
    if field.startswith("$y$"):
        return "yescrypt"
    if field.startswith("$"):
        return "other"
    if len(field) == 13 and re.fullmatch(r"[./0-9A-Za-z]{13}", field):
        return "des"
    return "other"


def _lines(rootfs: RootFS, path: str) -> list[tuple[int, str]]:
    text = rootfs.read_text(path, limit=1 << 20)
    if text is None:
        return []
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def read_accounts(rootfs: RootFS) -> list[Account]:
    """The accounts of an image; an image without /etc/passwd has none."""
    shadow: dict[str, tuple[int, str, str]] = {}
    for n, line in _lines(rootfs, "/etc/shadow"):
        parts = line.split(":")
        if len(parts) >= 2 and not line.startswith("#"):
            shadow[parts[0]] = (n, parts[1], line)
    accounts: list[Account] = []
    for n, line in _lines(rootfs, "/etc/passwd"):
        parts = line.split(":")
        if len(parts) < 7 or line.startswith("#"):
            continue
        name, pw_field = parts[0], parts[1]
        source, line_no, text, field = "/etc/passwd", n, line, pw_field
        if pw_field in ("x", "*") and name in shadow:
            line_no, field, text = shadow[name]
            source = "/etc/shadow"
        accounts.append(
            Account(
                name=name,
                uid=_int(parts[2]),
                gid=_int(parts[3]),
                home=parts[5],
                shell=parts[6],
                password=field,
                source=source,
                line=line_no,
                text=text,
                passwd_line=n,
            )
        )
    return accounts


def placeholder_means_empty(rootfs: RootFS) -> tuple[str, int, str] | None:
    """Where the image says that ``x``/``!`` in root's password field means "no password".

    Returns (path, line, excerpt) of the first such test, or None.
    """
    for path in ("/bin/login.sh", "/usr/libexec/login.sh", "/etc/init.d/telnet"):
        text = rootfs.read_text(path, limit=1 << 16)
        if text is None:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if _PLACEHOLDER_AS_EMPTY.search(line) or "${pwd#[\\!x]}" in line:
                return path, n, line.strip()
    return None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
