"""Vendor update mechanisms: upgrade scripts, CGI upgrade handlers, SD-card/USB update scripts,
OTA agents, and web servers that take a firmware upload themselves.

A candidate is a file whose name says upgrade/firmware/reflash/ota (or an upload CGI), or a
web server started at boot whose strings take a firmware upload. It is an *update mechanism*
when it writes flash (``mtd write``, ``flashcp``, ``dd of=/dev/mtd``, ``mtd_write``...). Its
verification is judged from what it runs:

- a script that checks a signature (``openssl dgst -verify``, ``usign -V``, ``gpg --verify``,
  ``mkxqimage -v``...) on a live line: PASS;
- a script whose verification function does nothing (``verify_upgrade() { return 0; }``), or
  that checks only a checksum (``md5sum -c``, ``.md5`` files, CRC) or nothing: FAIL;
- a compiled program: FAIL when its strings name no signature check and it links no crypto
  library; otherwise INCONCLUSIVE (a named check may or may not be enforced).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assay.checks.context import ImageView
from assay.checks.interface import Outcome, failed, inconclusive, passed

NAME = re.compile(
    r"(?i)(upgrad|firmware|reflash|fw_?update|^ota$|^upg$|^update\.sh$|flash\.sh$|^upload\w*\.cgi$)"
)
UBOOT_SCRIPT = re.compile(r"(?i)(\.scr|\.cmd|^uEnv\.txt|^boot\.txt)$")
UBOOT_WRITE = re.compile(r"\b(sf\s+write|nand\s+write|mmc\s+write|ubi\s+write|cp\.b|erase\s+0x)")
PAGE = re.compile(r"(?i)(upgrad|firmware).*\.(html?|asp|php|js|lua)$")
SKIP_DIRS = ("/usr/share/doc/", "/lib/modules/", "/usr/lib/python", "/usr/lib/lua", "/proc/")
FLASH_WRITE = re.compile(
    r"\b(mtd(_write)?\s+(-\S+\s+)*write|flashcp|flash_erase(all)?|nandwrite|ubiupdatevol"
    r"|updater\s+local|sysupgrade)\b|\bdd\b[^|;]*\bof=/dev/(mtd|mmcblk|nand)|>\s*/dev/mtd"
)
SIGNATURE = re.compile(
    r"openssl\s+(dgst|rsautl|pkeyutl|smime|cms)\b[^|;]*-verify|\bgpgv?2?\b[^|;]*--verify"
    r"|\busign\b[^|;]*-V|\bucert\b|verify_signature|fwtool_check_signature|\bsignify\s+-V"
    r"|\bmkxqimage\b[^|;]*\s-v|\bmiso\s+-v"
)
CHECKSUM = re.compile(r"\b(md5sum|sha1sum|sha256sum|cksum|crc32)\b|\.md5\b")
VERIFY_FUNC = re.compile(r"^\s*(\w*verif\w*)\s*\(\)\s*\{?\s*$")
# in a compiled program: the words of a signature check, and crypto libraries it may call
SIGNATURE_WORDS = re.compile(
    rb"(?i)(signature|digitalsign|rsa_verify|rsa_public_decrypt|evp_verify|verify_sig|"
    rb"pk_verify|ecdsa_verify|public[ _]?key)"
)
CRYPTO_LIBS = re.compile(rb"lib(crypto|rsa|mbedcrypto|mbedtls|polarssl|wolfssl|gcrypt|nettle)\b")
# literal words (memmem-fast on large programs; a regular expression there costs seconds)
ELF_FLASH = (
    b"/dev/mtd", b"mtd_write", b"mtd write", b"flash_erase", b"MTD partition", b"flash_write",
    b"Flash_Write", b"FLASH_Write", b"FLASH_WRITE", b"FlashWrite", b"FlashImage",
)  # fmt: skip
ELF_UPLOAD = re.compile(rb"[Ff]irmware\W{0,3}(?:[Uu]pgrad|[Uu]pdat|[Uu]pload)|formUpload")
MAX_PROGRAM = 8 << 20
MAX_SCRIPT = 1 << 20
UPGRADE_WORDS = re.compile(r"(?i)upgrad|firmware")


@dataclass(frozen=True)
class VendorUpdater:
    path: str
    compiled: bool
    outcome: Outcome  # the verdict on its verification, with evidence


def vendor_updaters(view: ImageView) -> list[VendorUpdater]:
    """Every vendor update mechanism in one root filesystem (computed once per image)."""
    return view.memo("vendor-updaters", lambda: _find(view))


def upgrade_pages(view: ImageView) -> list[str]:
    """Web pages named for a firmware upgrade (evidence that the web UI offers one)."""
    return [
        e.path
        for e in view.entries
        if e.is_file and PAGE.search(e.path.rsplit("/", 1)[-1]) and not e.path.startswith(SKIP_DIRS)
    ]


def _find(view: ImageView) -> list[VendorUpdater]:
    out: list[VendorUpdater] = []
    scripts: dict[str, str] = {}
    for entry in view.entries:
        name = entry.path.rsplit("/", 1)[-1]
        if entry.is_file and UBOOT_SCRIPT.search(name) and entry.size < 1 << 16:
            uboot = _uboot_script(view, entry.path)
            if uboot:
                out.append(uboot)
            continue
        cgi = "/cgi-bin/" in entry.path or name.endswith(".cgi")
        if not entry.is_file or entry.path.startswith(SKIP_DIRS):
            continue
        if not NAME.search(name) and not (cgi and entry.size < MAX_SCRIPT):
            continue
        if PAGE.search(name):
            continue
        data = view.rootfs.read_bytes(entry.path, limit=MAX_PROGRAM) or b""
        if data.startswith(b"\x7fELF"):
            found = _judge_program(view, entry.path, data, by_name=NAME.search(name) is not None)
            if found:
                out.append(found)
        elif data and b"\0" not in data[:4096]:
            text = data.decode("utf-8", "replace")
            if NAME.search(name) or UPGRADE_WORDS.search(text):  # a CGI handler must say so
                scripts[entry.path] = text
    out += _judge_scripts(view, scripts)
    judged = {u.path for u in out}
    for path in _started_programs(view):
        if path not in judged:
            data = view.mounted.read_bytes(path, limit=MAX_PROGRAM) or b""
            found = (
                _judge_program(view, path, data, by_name=False) if data[:4] == b"\x7fELF" else None
            )
            if found:
                out.append(found)
    return out


def _judge_scripts(view: ImageView, scripts: dict[str, str]) -> list[VendorUpdater]:
    """Scripts that write flash, and scripts that run them (``ota`` runs ``flash.sh``, which
    sources ``boardupgrade.sh``); a writer whose caller verifies a signature is covered by it."""
    live = {p: _live(text) for p, text in scripts.items()}
    words = {p: set(_WORD.findall(text)) for p, text in live.items()}
    writers = {p for p, text in live.items() if FLASH_WRITE.search(text)}
    callers: dict[str, str] = {}
    for _ in range(2):
        targets = writers | set(callers)
        for path in scripts:
            if path in targets:
                continue
            called = next((t for t in targets if t.rsplit("/", 1)[-1] in words[path]), None)
            if called:
                callers[path] = called
    results = {
        p: _judge_script(view, p, scripts[p], callers.get(p)) for p in writers | set(callers)
    }
    covered = {
        callee for caller, callee in callers.items() if results[caller].outcome.verdict == "PASS"
    }
    return [r for p, r in sorted(results.items()) if p not in covered]


_WORD = re.compile(r"[\w.+-]+")


def _live(text: str) -> str:
    """The script without its comment lines."""
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))


def _uboot_script(view: ImageView, path: str) -> VendorUpdater | None:
    """A U-Boot script that writes flash: whether U-Boot checks a FIT signature first is set in
    the boot loader's own build, which the root filesystem does not show."""
    data = view.rootfs.read_bytes(path, limit=1 << 16) or b""
    text = data.decode("latin-1")
    m = UBOOT_WRITE.search(text)
    if m is None:
        return None
    line = text[: m.start()].count("\n") + 1
    excerpt = text.splitlines()[line - 1].strip() if text.splitlines() else ""
    ev = view.evidence(path, line, excerpt, "U-Boot script that writes flash")
    summary = (
        f"{path}: U-Boot update script; whether U-Boot verifies a FIT signature is not visible."
    )
    return VendorUpdater(path, False, inconclusive(summary, ev))


def _started_programs(view: ImageView) -> list[str]:
    """Compiled vendor programs that start-up scripts run (a web server may take the upload
    itself); daemons run by their own init script and BusyBox links are left out."""
    return list(view.boot.vendor)


def _judge_script(view: ImageView, path: str, text: str, calls: str | None) -> VendorUpdater:
    lines = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1)]
    live = [(n, ln) for n, ln in lines if ln and not ln.startswith("#")]
    writes = [(n, ln) for n, ln in live if FLASH_WRITE.search(ln)]
    if writes:
        n, ln = writes[0]
        write_ev = view.evidence(path, n, ln, "writes the image to flash")
    else:
        callee = (calls or "").rsplit("/", 1)[-1]
        n, ln = next(((n, ln) for n, ln in live if callee in ln), (0, ""))
        write_ev = view.evidence(path, n or None, ln, f"runs {calls}, which writes flash")
    noop = _noop_verify(lines)
    if noop:
        n, name = noop
        note = f"{name}() returns success without checking anything"
        ev = view.evidence(path, n, f"{name}() {{ return 0; }}", note)
        return VendorUpdater(path, False, failed(f"{path}: {note}.", ev, write_ev))
    signed = [(n, ln) for n, ln in live if SIGNATURE.search(ln)]
    if signed:
        n, ln = signed[0]
        ev = view.evidence(path, n, ln, "verifies a signature before flashing")
        return VendorUpdater(path, False, passed(f"{path} verifies a signature.", ev, write_ev))
    sums = [(n, ln) for n, ln in live if CHECKSUM.search(ln)]
    if sums:
        n, ln = sums[0]
        ev = view.evidence(path, n, ln, "the only check: a checksum anyone can recompute")
        summary = f"{path} checks only a checksum, not a signature, before flashing."
        return VendorUpdater(path, False, failed(summary, ev, write_ev))
    summary = f"{path} flashes an image without any verification."
    return VendorUpdater(path, False, failed(summary, write_ev))


def _noop_verify(lines: list[tuple[int, str]]) -> tuple[int, str] | None:
    """A function named *verif* whose body is only comments and ``return 0``."""
    for i, (n, ln) in enumerate(lines):
        m = VERIFY_FUNC.match(ln)
        if not m:
            continue
        body: list[str] = []
        for _, inner in lines[i + 1 : i + 12]:
            if inner.startswith("}"):
                break
            if inner and inner != "{" and not inner.startswith("#"):
                body.append(inner)
        if body in (["return 0"], ["return 0;"], ["true"], [":"]):
            return n, m.group(1)
    return None


def _judge_program(view: ImageView, path: str, data: bytes, by_name: bool) -> VendorUpdater | None:
    if not by_name and b"irmware" not in data and b"formUpload" not in data:
        return None  # a started program that says nothing of firmware takes no upload
    flash = next((w for w in ELF_FLASH if w in data), None)
    upload = ELF_UPLOAD.search(data) if b"irmware" in data or b"formUpload" in data else None
    if flash is None or (not by_name and upload is None):
        return None
    what = "takes a firmware upload and writes flash" if upload else "writes flash"
    excerpt = (upload.group(0) if upload else flash).decode("ascii", "replace")
    ev = [view.evidence(path, None, excerpt, f"compiled program that {what}")]
    sig = SIGNATURE_WORDS.search(data)
    lib = CRYPTO_LIBS.search(data)
    if sig or lib:
        found = sig or lib
        assert found is not None
        word = found.group(0).decode("ascii", "replace")
        ev.append(view.evidence(path, None, word, "names a signature check or crypto library"))
        summary = (
            f"{path} names a signature check ({word}); whether it is enforced is not readable."
        )
        return VendorUpdater(path, True, inconclusive(summary, *ev))
    crc = re.search(rb"(?i)crc32|checksum|md5", data)
    note = "no signature check and no crypto library named in its strings"
    if crc:
        note += f"; it names only {crc.group(0).decode()}"
    ev.append(view.evidence(path, None, "", note))
    return VendorUpdater(
        path, True, failed(f"{path} flashes without a signature check ({note}).", *ev)
    )
