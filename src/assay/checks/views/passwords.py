"""Try well-known default passwords against crypt hashes (DES, MD5, SHA-256/512, bcrypt).

Uses the C library's crypt(3) through Python's ``crypt`` module (deprecated in 3.11, still
present; libxcrypt on Debian 12 supports all the schemes above). Slow schemes are tried
under a time budget per hash; the result says how many candidates were tried.
"""

from __future__ import annotations

import hmac
import time
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

VERIFIABLE = ("des", "md5", "sha256", "sha512", "bcrypt", "yescrypt")


@dataclass(frozen=True)
class Guess:
    password: str | None  # the password that matched, or None
    tried: int  # candidates tried
    total: int  # candidates there were
    supported: bool = True  # False when crypt(3) here cannot compute this scheme


@cache
def default_passwords() -> tuple[str, ...]:
    text = resources.files("assay.checks").joinpath("data/default-passwords.txt").read_text()
    out = []
    for line in text.splitlines():
        if line and not line.startswith("#") and line not in out:
            out.append(line)
    return tuple(out)


def guess(hashed: str, username: str = "", budget: float = 0.5) -> Guess:
    """Is ``hashed`` the hash of a well-known default password (or of the user's name)?"""
    candidates = [username] if username else []
    candidates += [p for p in default_passwords() if p != username]
    deadline = time.monotonic() + budget
    for i, candidate in enumerate(candidates):
        try:
            result = crypt.crypt(candidate, hashed)
        except OSError:
            return Guess(None, i, len(candidates), supported=False)
        if result is None or result.startswith("*"):
            return Guess(None, i, len(candidates), supported=False)
        if hmac.compare_digest(result, hashed):
            return Guess(candidate, i + 1, len(candidates))
        if time.monotonic() > deadline:
            return Guess(None, i + 1, len(candidates))
    return Guess(None, len(candidates), len(candidates))
