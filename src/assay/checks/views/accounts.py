"""Accounts and their password fields, wherever the image keeps them.

Login accounts come from every ``passwd``/``shadow`` pair in the tree (``/etc`` first; an
application partition mounted over ``/etc`` at run time keeps its own, e.g.
``/etc/defaults/shadow``); web accounts from BusyBox ``httpd.conf`` (``/path:user:password``)
and ``htpasswd`` files (``user:hash``).
"""

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
    kind: str = "login"  # login | web

    @property
    def scheme(self) -> str:
        """The crypt scheme of the password field."""
        return crypt_scheme(self.password)


# crypt(3) prefixes (libxcrypt's crypt(5) list, plus Apache's apr1)
PREFIXES = (
    ("$1$", "md5"),
    ("$apr1$", "apr1"),
    ("$2a$", "bcrypt"),
    ("$2b$", "bcrypt"),
    ("$2y$", "bcrypt"),
    ("$2x$", "bcrypt"),
    ("$5$", "sha256"),
    ("$6$", "sha512"),
    ("$y$", "yescrypt"),
    ("$gy$", "gost-yescrypt"),
    ("$7$", "scrypt"),
    ("$sha1$", "sha1crypt"),
    ("$3$", "nt"),
    ("$md5", "sunmd5"),
)
WEAK_SCHEMES = ("des", "bsdi", "md5", "apr1", "nt", "plain")
_B64 = "[./0-9A-Za-z]"


def crypt_scheme(field: str) -> str:
    """Name the scheme of a password field: ``empty``, ``locked``, ``des``, ``bsdi`` (extended
    DES), ``md5``, ..., ``plain`` (clear text) or ``unknown``."""
    if field == "":
        return "empty"
    if field[0] in "!*" or field in ("x", "NP", "LK"):
        return "locked"
    for prefix, name in PREFIXES:
        if field.startswith(prefix):
            return name
    if field.startswith("$"):
        return "unknown"
    if re.fullmatch(f"{_B64}{{13}}", field):
        return "des"
    if re.fullmatch(f"_{_B64}{{19}}", field):
        return "bsdi"
    if re.fullmatch(r"[0-9a-fA-F]{32,128}|[A-Za-z0-9+/]{20,}={0,2}", field):
        return "unknown"  # a bare digest (MD5, SHA...) or base64: not crypt(3)
    return "plain"


def hash_shape(field: str) -> str:
    """What an unrecognised hash looks like, without giving it away: prefix and length."""
    prefix = field[: field.index("$", 1) + 1] if field.startswith("$") and "$" in field[1:] else ""
    kind = "hex" if re.fullmatch(r"[0-9a-fA-F]+", field) else "characters"
    return f"{prefix or 'no prefix'}, {len(field)} {kind}"


def _lines(rootfs: RootFS, path: str) -> list[tuple[int, str]]:
    text = rootfs.read_text(path, limit=1 << 20)
    if text is None or "\0" in text[:1024]:
        return []
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def read_accounts(rootfs: RootFS, found: list[str] | None = None) -> list[Account]:
    """The accounts of an image: every passwd/shadow pair (``/etc`` first) and web accounts.

    ``found`` lists the image paths of files named passwd, shadow, httpd.conf or .htpasswd
    anywhere in the tree; without it only ``/etc`` is read.
    """
    folders = ["/etc"]
    web: list[str] = []
    for path in found or ():
        folder, _, name = path.rpartition("/")
        if path.startswith(_NOT_ACCOUNTS):
            continue
        if name in ("passwd", "shadow") and folder not in folders:
            folders.append(folder)
        elif name in ("httpd.conf", ".htpasswd", "htpasswd"):
            web.append(path)
    accounts: list[Account] = []
    read: set[object] = set()
    for folder in folders:
        real = {rootfs.resolve(f"{folder}/{n}") for n in ("passwd", "shadow")} - {None}
        if real and real <= read:
            continue  # the same files under another name (/etc/passwd -> config/passwd)
        read |= real
        accounts += _folder_accounts(rootfs, folder)
    for path in web:
        accounts += _web_accounts(rootfs, path)
    return accounts


_NOT_ACCOUNTS = ("/usr/share/", "/usr/lib/", "/lib/", "/proc/", "/sys/", "/dev/")
_HTTPD_AUTH = re.compile(r"^(/\S*):([^:\s]+):(\S*)$")


def _folder_accounts(rootfs: RootFS, folder: str) -> list[Account]:
    shadow: dict[str, tuple[int, str, str]] = {}
    shadow_path = f"{folder}/shadow"
    for n, line in _lines(rootfs, shadow_path):
        parts = line.split(":")
        if len(parts) >= 2 and not line.startswith("#"):
            shadow[parts[0]] = (n, parts[1], line)
    accounts: list[Account] = []
    passwd_path = f"{folder}/passwd"
    for n, line in _lines(rootfs, passwd_path):
        parts = line.split(":")
        if len(parts) < 7 or line.startswith("#"):
            continue
        name, pw_field = parts[0], parts[1]
        source, line_no, text, field = passwd_path, n, line, pw_field
        if pw_field in ("x", "*") and name in shadow:
            line_no, field, text = shadow.pop(name)
            source = shadow_path
        else:
            shadow.pop(name, None)
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
    for name, (n, field, text) in shadow.items():  # in shadow only: shell and uid unknown
        accounts.append(Account(name, None, None, "", "", field, shadow_path, n, text))
    return accounts


def _web_accounts(rootfs: RootFS, path: str) -> list[Account]:
    out = []
    htpasswd = "htpasswd" in path.rsplit("/", 1)[-1]
    for n, line in _lines(rootfs, path):
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        m = _HTTPD_AUTH.match(stripped)
        if m:
            user, field = m.group(2), m.group(3)
        elif htpasswd and stripped.count(":") == 1:
            user, field = stripped.split(":")
        else:
            continue
        out.append(Account(user, None, None, "", "", field, path, n, stripped, kind="web"))
    return out


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
