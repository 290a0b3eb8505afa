"""Default credentials written in clear text in vendor configuration and NVRAM default files.

Every configuration-like file in the tree is read (files under /etc and other configuration
folders, and anywhere: ``*.conf``, ``*.cfg``, ``*.ini``, ``*.json``, ``*.xml``, names with
default/factory/nvram), as key=value, ``key value``, ini, JSON (``"password": "x"``) or XML
(``<password>x</password>``). Rules: clear-text passwords and Wi-Fi passphrases (noted as a
well-known default when they are on the default-password list), default WPS PINs, Wi-Fi with
security switched off. Comments, documentation, nsswitch.conf sources (``passwd: files``) and
password *settings* (``PASS_MAX_DAYS``) are not credentials.
"""

from __future__ import annotations

import re

from assay.checks.context import CheckContext
from assay.checks.interface import Outcome, failed, inconclusive, passed
from assay.checks.views.passwords import default_passwords, guess
from assay.extract.rootfs import FileEntry
from assay.model.check import Evidence

MAX_SIZE = 256 * 1024
CONFIG_DIRS = ("/etc/", "/usr/etc/", "/var/default/", "/usr/share/defaults/")
SKIP = {
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/services",
    "/etc/nsswitch.conf", "/etc/protocols", "/etc/mime.types", "/etc/login.defs",
}  # fmt: skip
NAME_HINT = re.compile(r"(?i)nvram|default|factory|\.(conf|cfg|ini|json|xml|cnf|config)$")
DOC_DIRS = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/", "/usr/share/locale/")
DOC_NAME = re.compile(
    r"(?i)(^readme|^changelog|^license|^copying|\.(md|rst|txt\.gz|html?|js|css|po)$)"
)
JSON_PAIR = re.compile(r"""^\s*"(?P<key>[\w.\-]+)"\s*:\s*"(?P<value>[^"]*)"\s*,?\s*$""")
XML_PAIR = re.compile(r"<(?P<key>[\w.\-]+)>(?P<value>[^<>]*)</(?P=key)>")
WPS_PIN = re.compile(
    r"(?i)^\s*(?:option\s+)?(wsc_?pin_?code|wps_?pin|ap_pin|wps_device_pin)"
    r"""\s*[=: ]\s*['"]?(\d{8})['"]?\s*$"""
)
CONFIG_BLOB = re.compile(
    r"(?i)(cfg|conf|config|default|nvram|setting).*\.(bin|xml|dat|cfg|img)$|^config\.bin$"
)
OPEN_WIFI = re.compile(
    r"(?i)^\s*(AuthMode\d*\s*=\s*OPEN|EncrypType\d*\s*=\s*NONE|option\s+encryption\s+'?none'?)\s*$"
)
WIFI_KEY = re.compile(r"(?i)psk|passphrase|wpa_?key|wifi_?(key|pass)|^(s_)?password$|wep_?key")
# key = value, key value, option key 'value', export KEY=value
ASSIGN = re.compile(
    r"""(?ix)^\s*(?:option\s+|export\s+|set\s+)?
    (?P<key>[\w.\-]*(?:passw(?:or)?d|pass|pwd|psk|passphrase|secret|auth_?key)[\w.\-]*)
    \s*(?:=|:|\s)\s*(?P<q>['"]?)(?P<value>[^'"\s#;]+)(?P=q)\s*$"""
)
UCI_WIFI_KEY = re.compile(r"""^\s*option\s+key\s+(?P<q>['"]?)(?P<value>[^'"\s#]+)(?P=q)\s*$""")
# words that make a key a password *setting*, not a password (PASS_MAX_DAYS, PasswordAuth...)
SETTING_WORDS = {
    "max", "min", "days", "warn", "len", "length", "minlen", "maxlen", "file", "path", "dir",
    "type", "mode", "enable", "enabled", "policy", "method", "algo", "algorithm", "hash", "cmd",
    "command", "prompt", "age", "retry", "retries", "change", "expire", "expiry", "timeout",
    "auth", "authentication", "required", "history", "format", "program", "helper", "backend",
    "chars", "strength", "complexity", "empty", "encrypt", "encryption", "crypt",
}  # fmt: skip
HTTPD_AUTH = re.compile(r"^(/\S*):([^:\s]+):(\S+)$")
KEY_PARTS = re.compile(r"[_.\-]|(?<=[a-z])(?=[A-Z])")
NOT_SECRET = {
    "0", "1", "on", "off", "yes", "no", "true", "false", "none", "null", "nil", "disabled",
    "enabled", "required", "optional", "x", "*", "-", "md5", "sha256", "sha512", "des",
    "files", "compat", "nis", "nisplus", "ldap", "db", "systemd", "sss", "winbind", "dns",
}  # fmt: skip


def vendor_defaults(ctx: CheckContext) -> Outcome:
    evidence: list[Evidence] = []
    unreadable: list[Evidence] = []
    scanned = 0
    for view in ctx:
        for entry in view.entries:
            if not _candidate(entry):
                continue
            try:
                data = view.rootfs.read_bytes(entry.path, limit=MAX_SIZE)
            except OSError:
                continue
            if not data or data.startswith(b"#!"):
                continue
            records = _records(data)
            if records is None:
                if CONFIG_BLOB.search(entry.path.rsplit("/", 1)[-1]):
                    note = "binary configuration (compressed or encrypted): not read"
                    unreadable.append(view.evidence(entry.path, None, "", note))
                continue
            scanned += 1
            wireless = entry.path == "/etc/config/wireless"
            chap = entry.path.startswith("/etc/ppp/") and entry.path.endswith("-secrets")
            httpd = "httpd" in entry.path.rsplit("/", 1)[-1]
            for n, line in records:
                hit, note = _rule(line, wireless, chap)
                if hit is None and httpd:
                    hit, note = _httpd_credential(line)
                if hit is not None:
                    masked = "security" not in note and len(hit) > 1
                    excerpt = line.strip().replace(hit, _mask(hit)) if masked else line.strip()
                    evidence.append(view.evidence(entry.path, n, excerpt, note))
    if evidence:
        files = len({(e.note, e.path) for e in evidence})
        return failed(
            f"{len(evidence)} clear-text credential(s) in {files} configuration file(s).",
            *evidence[:50],
        )
    if unreadable:
        return inconclusive(
            f"No clear-text credential in {scanned} configuration file(s), but some "
            "configuration is binary (compressed or encrypted) and could not be read.",
            *unreadable[:20],
        )
    return passed(f"No clear-text credential in {scanned} configuration and defaults file(s).")


def _records(data: bytes) -> list[tuple[int | None, str]] | None:
    """Numbered text lines, or the records of a NUL-separated NVRAM defaults blob."""
    if b"\0" not in data[:4096]:
        text = data.decode("utf-8", errors="replace")
        return [(n, line) for n, line in enumerate(text.splitlines(), 1)]
    parts = [p for p in data.split(b"\0") if p]
    pairs = [p for p in parts if b"=" in p and all(32 <= c < 127 for c in p)]
    if len(pairs) < 5 or len(pairs) < len(parts) * 0.8:
        return None  # binary, not an NVRAM defaults blob
    return [(None, p.decode("ascii")) for p in pairs]


def _httpd_credential(line: str) -> tuple[str | None, str]:
    """BusyBox httpd.conf authentication lines: ``/path:user:password``."""
    m = HTTPD_AUTH.match(line.strip())
    if m is None:
        return None, ""
    user, secret = m.group(2), m.group(3)
    if not secret.startswith("$"):
        return secret, f"web login {user} with a clear-text password"
    found = guess(secret, user).password
    if found is None:
        return None, ""
    return secret, f"web login {user} with the default password '{found}'"


def _candidate(entry: FileEntry) -> bool:
    if not entry.is_file or entry.size == 0 or entry.size > MAX_SIZE or entry.path in SKIP:
        return False
    name = entry.path.rsplit("/", 1)[-1]
    if entry.path.startswith(DOC_DIRS) or DOC_NAME.search(name):
        return False
    if entry.path.startswith(CONFIG_DIRS):
        return True
    return NAME_HINT.search(name) is not None and not entry.path.startswith(("/lib/", "/usr/lib/"))


def _rule(line: str, wireless: bool, chap: bool) -> tuple[str | None, str]:
    """The secret a configuration line gives away, and what kind of finding it is."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "//", ";", "<!--")):
        return None, ""
    wps = WPS_PIN.match(stripped)
    if wps:
        return wps.group(2), "fixed WPS PIN (the same on every unit; brute-forced in hours)"
    if OPEN_WIFI.match(stripped):
        return "", "Wi-Fi without security by default"
    secret = _secret_in(line, wireless, chap)
    key = ""
    if secret is None:
        m = JSON_PAIR.match(line) or XML_PAIR.search(line)
        if m and _secret_key(m.group("key")) and _secret_value(m.group("value")):
            secret, key = m.group("value"), m.group("key")
    else:
        key = re.split(
            r"[\s=:]", stripped.removeprefix("option ").removeprefix("export "), maxsplit=1
        )[0]
    if secret is None:
        return None, ""
    wifi = wireless or WIFI_KEY.search(key.strip("'\"")) is not None
    what = (
        "Wi-Fi passphrase"
        if wifi and "psk" in key.lower() or "passphrase" in key.lower()
        else "password"
    )
    if secret in default_passwords():
        return secret, f"clear-text {what}, a well-known default ('{_mask(secret)}')"
    return secret, f"clear-text {what}"


def _secret_key(key: str) -> bool:
    return ASSIGN.match(f"{key}=x") is not None and not any(
        part.lower() in SETTING_WORDS for part in KEY_PARTS.split(key)
    )


def _secret_value(value: str) -> bool:
    return bool(value) and value.lower() not in NOT_SECRET and value[0] not in "$%<`/{[(@"


def _secret_in(line: str, wireless: bool, chap: bool) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "//", ";")):
        return None
    if chap:
        parts = stripped.split()
        return parts[2].strip("'\"") if len(parts) >= 3 and parts[2] not in ('""', "*") else None
    m = ASSIGN.match(line) or (UCI_WIFI_KEY.match(line) if wireless else None)
    if m is None:
        return None
    key = m.groupdict().get("key") or ""
    if any(part.lower() in SETTING_WORDS for part in KEY_PARTS.split(key)):
        return None
    value = m.group("value")
    if (
        value.lower() in NOT_SECRET
        or value[0] in "$%<`/{[(@=:"
        or value.isdigit()
        and len(value) < 3
    ):
        return None
    return value


def _mask(value: str) -> str:
    return value[:2] + "*" * max(len(value) - 2, 1)
