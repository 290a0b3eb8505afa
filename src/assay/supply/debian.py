"""Signed Debian archive indexes: a ``Release``/``InRelease`` file's OpenPGP signature, checked
by Debian's own ``gpgv`` against a given keyring (no OpenPGP code here), then the package
indexes (``Packages``, any compression) against the SHA-256 the signed Release states, and
``.deb`` files against the SHA-256 the verified ``Packages`` state.

Only the text ``gpgv`` reports as signed is read: for an ``InRelease`` that is its ``--output``,
so lines outside the clear-signed block cannot smuggle hashes in. A ``Release`` whose
``Valid-Until`` has passed fails (apt refuses it too).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from assay.supply.bundle import Outcome
from assay.supply.debindex import apt_list_indexes, check_debs, check_index

CLEARSIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"
ARMORED_KEY = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"
GPGV_TIMEOUT = 60
_STATUS = ("GOODSIG", "VALIDSIG", "BADSIG", "ERRSIG", "NO_PUBKEY", "EXPKEYSIG", "REVKEYSIG")


@dataclass
class Release:
    """The signed fields of a Release file that matter here."""

    fields: dict[str, str]
    sha256: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (hex, size)

    def describe(self) -> dict[str, str]:
        keys = ("Origin", "Suite", "Codename", "Version", "Date", "Valid-Until")
        return {k.lower(): self.fields[k] for k in keys if k in self.fields}


def is_release(path: Path) -> bool:
    """An ``InRelease`` (clear-signed) or a ``Release`` file (by its content)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head.startswith(CLEARSIGNED):
        return b"\nSHA256:" in head or b"\nSuite:" in head or b"\nCodename:" in head
    return head[:7] in (b"Origin:", b"Label: ", b"Suite: ") or head.startswith(b"Codename:")


def is_openpgp_keyring(path: Path) -> bool:
    """An armored or binary OpenPGP public key(ring) (a public-key packet first)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    if head.lstrip().startswith(ARMORED_KEY):
        return True
    # old-format packet tag 6 (0x98-0x9b) or new-format tag 6 (0xc6)
    return bool(head) and (head[0] & 0xFC == 0x98 or head[0] == 0xC6)


def parse_release(text: str) -> Release:
    fields: dict[str, str] = {}
    sums: dict[str, tuple[str, int]] = {}
    section = ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):
            parts = line.split()
            if section == "SHA256" and len(parts) == 3 and parts[1].isdigit():
                sums[parts[2]] = (parts[0].lower(), int(parts[1]))
            continue
        key, sep, value = line.partition(":")
        if sep:
            section = key.strip()
            fields[section] = value.strip()
    return Release(fields, sums)


def gpgv(
    signed: Path, keyrings: list[Path], detached: Path | None = None
) -> tuple[dict[str, list[str]], bytes, str]:
    """Run ``gpgv`` on ``signed`` (clear-signed, or with its ``detached`` signature); return
    its status lines by keyword, the signed bytes, and its last error line."""
    tool = shutil.which("gpgv")
    if tool is None:
        raise FileNotFoundError("gpgv")
    with tempfile.TemporaryDirectory(prefix="assay-gpgv-") as home:
        out = Path(home) / "signed"
        args = [tool, "--status-fd", "1"]
        for ring in keyrings:
            args += ["--keyring", str(ring.resolve())]
        if detached is None:
            args += ["--output", str(out), str(signed)]
        else:
            args += [str(detached), str(signed)]
        env = {**os.environ, "GNUPGHOME": home, "LC_ALL": "C"}
        done = subprocess.run(args, capture_output=True, env=env, timeout=GPGV_TIMEOUT, check=False)
        status: dict[str, list[str]] = {}
        for line in done.stdout.decode("utf-8", "replace").splitlines():
            parts = line.split(" ", 2)
            if len(parts) >= 2 and parts[0] == "[GNUPG:]" and parts[1] in _STATUS:
                status.setdefault(parts[1], []).append(parts[2] if len(parts) > 2 else "")
        if done.returncode != 0:
            status.setdefault("FAILED", [])
        text = out.read_bytes() if detached is None and out.is_file() else b""
        if detached is not None and done.returncode == 0:
            text = signed.read_bytes()
        errors = [e for e in done.stderr.decode("utf-8", "replace").splitlines() if e.strip()]
    return status, text, errors[-1] if errors else ""


def verify_release(
    path: Path,
    keyrings: list[Path],
    indexes: list[Path] | None = None,
    debs: list[Path] | None = None,
    now: datetime | None = None,
    check_expiry: bool = True,
) -> Outcome:
    """Verify ``path`` (InRelease, or Release with ``Release.gpg`` beside it) with the keyrings,
    then each index given (default: the apt-lists files named like it) against it, then the
    ``debs`` against the verified indexes. ``check_expiry=False`` (lists an image carries:
    they are always older than the scan) notes a passed ``Valid-Until`` instead of failing."""
    rings = [k for k in keyrings if is_openpgp_keyring(k)]
    if not rings:
        return Outcome("inconclusive", "no OpenPGP keyring given (--key KEYRING.gpg)")
    detached = None
    if not path.read_bytes()[:40].startswith(CLEARSIGNED):
        detached = path.with_name(path.name + ".gpg")
        if not detached.is_file():
            return Outcome("failed", f"no signature {detached.name} next to {path.name}")
    try:
        status, signed, error = gpgv(path, rings, detached)
    except FileNotFoundError:
        return Outcome("skipped", "gpgv is not installed (Debian package gpgv)")
    except subprocess.TimeoutExpired:
        return Outcome("failed", f"gpgv took over {GPGV_TIMEOUT} s")
    details: dict[str, Any] = {"format": "Debian Release + OpenPGP (gpgv)"}
    signers = [v.split()[0] for v in status.get("VALIDSIG", [])]
    details["signed_by"] = signers
    problem = _signature_problem(status, error)
    if problem or not signers or not signed:
        return Outcome("failed", problem or "gpgv did not report a valid signature", details)
    release = parse_release(signed.decode("utf-8", "replace"))
    details.update(release.describe())
    details["files_listed"] = len(release.sha256)
    until = _date(release.fields.get("Valid-Until", ""))
    expired = until is not None and until < (now or datetime.now(UTC))
    details["expired"] = expired
    if expired and check_expiry:
        why = f"signed, but expired: Valid-Until {until:%Y-%m-%d %H:%M} UTC has passed"
        return Outcome("failed", why, details)
    found = indexes if indexes is not None else apt_list_indexes(path)
    checks = [check_index(index, release, path) for index in found]
    details["indexes"] = checks
    bad = [c for c in checks if c["result"] != "verified"]
    if bad:
        return Outcome("failed", f"index {bad[0]['path']}: {bad[0]['reason']}", details)
    reason = f"signed by {', '.join(signers)}; {len(checks)} index(es) match the signed hashes"
    if expired:
        reason += f" (Valid-Until {until:%Y-%m-%d} has passed)"
    if debs:
        details.update(check_debs(debs, found))
        if details["debs_differing"]:
            first = details["debs_differing"][0]
            return Outcome(
                "failed", f"{len(details['debs_differing'])} .deb differ: {first}", details
            )
        reason += f"; {len(details['debs_matching'])} .deb file(s) match the signed indexes"
    return Outcome("verified", reason, details)


def _signature_problem(status: dict[str, list[str]], error: str) -> str:
    if "BADSIG" in status:
        return f"BAD signature by {status['BADSIG'][0]}: the file was altered after signing"
    for word, why in (("EXPKEYSIG", "expired key"), ("REVKEYSIG", "revoked key")):
        if word in status:
            return f"signed with an {why}: {status[word][0]}"
    if "NO_PUBKEY" in status and "VALIDSIG" not in status:
        keys = ", ".join(status["NO_PUBKEY"])
        return f"signed by key(s) {keys}, none of which is in the given keyring"
    if "FAILED" in status and "VALIDSIG" not in status:
        return f"gpgv refused it: {error or 'no valid signature'}"
    return ""


def _date(text: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
