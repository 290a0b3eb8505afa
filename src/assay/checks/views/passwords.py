"""Try well-known default passwords against crypt hashes (DES, MD5, SHA-256/512, bcrypt).

Uses the C library's ``crypt_rn`` (libxcrypt, which Debian 12 ships as libcrypt1 and which
computes all the schemes above) through ctypes, with a buffer of its own per call: Python's
``crypt`` module is deprecated and gone in 3.13. Slow schemes are tried under a time budget
per hash; the result says how many candidates were tried.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

CRYPT_DATA_SIZE = 32768  # sizeof(struct crypt_data) in libxcrypt

# schemes libxcrypt computes, and clear text (compared as it is)
VERIFIABLE = (
    "des", "bsdi", "md5", "sha256", "sha512", "bcrypt", "yescrypt", "gost-yescrypt", "scrypt",
    "sha1crypt", "nt", "sunmd5", "plain",
)  # fmt: skip


@dataclass(frozen=True)
class Guess:
    password: str | None  # the password that matched, or None
    tried: int  # candidates tried
    total: int  # candidates there were
    supported: bool = True  # False when crypt(3) here cannot compute this scheme


@cache
def _crypt_rn() -> Callable[[bytes, bytes, ctypes.Array[ctypes.c_char]], bytes | None] | None:
    """libxcrypt's reentrant ``crypt_rn``, or None when this system has no libcrypt."""
    name = ctypes.util.find_library("crypt")
    if not name:
        return None
    try:
        function = ctypes.CDLL(name).crypt_rn
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_char_p
    function.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]

    def run(phrase: bytes, setting: bytes, data: ctypes.Array[ctypes.c_char]) -> bytes | None:
        result: bytes | None = function(phrase, setting, data, CRYPT_DATA_SIZE)
        return result

    return run


def crypt_hash(phrase: str, setting: str) -> str | None:
    """crypt(3) of ``phrase`` with the salt and scheme of ``setting``; None when the scheme
    cannot be computed here (or the text cannot be passed to C)."""
    function = _crypt_rn()
    if function is None or "\0" in phrase or "\0" in setting:
        return None
    data = ctypes.create_string_buffer(CRYPT_DATA_SIZE)
    result = function(phrase.encode(), setting.encode(), data)
    return None if result is None else result.decode("ascii", "replace")


@cache
def default_passwords() -> tuple[str, ...]:
    text = resources.files("assay.checks").joinpath("data/default-passwords.txt").read_text()
    out = []
    for line in text.splitlines():
        if line and not line.startswith("#") and line not in out:
            out.append(line)
    return tuple(out)


def guess(hashed: str, username: str = "", budget: float = 1.5, plain: bool = False) -> Guess:
    """Is ``hashed`` the hash of a well-known default password (or of the user's name)?
    With ``plain`` the field is a clear-text password and is compared as it is."""
    candidates = [username] if username else []
    candidates += [p for p in default_passwords() if p != username]
    if plain:
        hit = next((c for c in candidates if hmac.compare_digest(c, hashed)), None)
        return Guess(hit if hit is not None else None, len(candidates), len(candidates))
    deadline = time.monotonic() + budget
    for i, candidate in enumerate(candidates):
        result = crypt_hash(candidate, hashed)
        if result is None or result.startswith("*"):
            return Guess(None, i, len(candidates), supported=False)
        if hmac.compare_digest(result, hashed):
            return Guess(candidate, i + 1, len(candidates))
        if time.monotonic() > deadline:
            return Guess(None, i + 1, len(candidates))
    return Guess(None, len(candidates), len(candidates))
