"""Secrets: private keys in the image, one key in many files, expired or weak certificates."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from assay.checks.context import CheckContext, ImageView
from assay.checks.interface import Outcome, failed, not_applicable, passed
from assay.checks.views.keys import KeyItem, is_expired, scan_keys
from assay.model.check import Evidence

CA_BUNDLE = re.compile(r"(/etc/ssl/certs/|ca-certificates|ca-bundle|cacert|/certs/ca/)", re.I)
WEAK_SIGNATURES = ("md5", "sha1")
BUNDLE_MIN_CAS = 3  # a file with this many CA certificates is a trust store


def _keys(view: ImageView) -> list[KeyItem]:
    return view.memo("keys", lambda: scan_keys(view.rootfs, view.entries))


def _describe(item: KeyItem) -> str:
    size = f" {item.bits}-bit" if item.bits else ""
    extra = " (encrypted)" if item.encrypted else ""
    note = f"; {item.note}" if item.note else ""
    return f"{item.algorithm}{size} private key{extra}{note}"


def private_key(ctx: CheckContext) -> Outcome:
    found: list[Evidence] = []
    placeholders: list[Evidence] = []
    for view in ctx:
        for item in _keys(view):
            if item.kind == "private-key":
                found.append(view.evidence(item.path, item.line, "", _describe(item)))
            elif item.kind == "placeholder":
                note = f"placeholder ({item.note}), filled on the device; not a key"
                placeholders.append(view.evidence(item.path, item.line, "", note))
    if found:
        return failed(
            f"{len(found)} private key(s) are built into the image.", *found, *placeholders
        )
    if placeholders:
        return passed(
            f"No private key in the image; {len(placeholders)} empty placeholder(s) "
            "are filled on the device at first boot.",
            *placeholders,
        )
    return passed("No private key in the image.")


def duplicate_key(ctx: CheckContext) -> Outcome:
    where: dict[str, list[Evidence]] = defaultdict(list)
    for view in ctx:
        for item in _keys(view):
            if item.kind == "private-key" and item.fingerprint:
                note = f"{_describe(item)}, sha256 {item.fingerprint[:16]}"
                where[item.fingerprint].append(view.evidence(item.path, item.line, "", note))
    if not where:
        return not_applicable("No private key in the image.")
    shared = {fp: ev for fp, ev in where.items() if len({(e.note, e.path) for e in ev}) > 1}
    if shared:
        evidence = [e for ev in shared.values() for e in ev]
        return failed(
            f"{len(shared)} private key(s) appear in more than one file ({len(evidence)} files).",
            *evidence,
        )
    return passed(f"Each of the {len(where)} private key(s) is in one file only.")


def certificate(ctx: CheckContext, now: dt.datetime | None = None) -> Outcome:
    now = now or dt.datetime.now(dt.UTC)
    problems: list[Evidence] = []
    certs = bundled = unreadable = 0
    for view in ctx:
        items = [i for i in _keys(view) if i.kind == "certificate"]
        cas_per_file: dict[str, int] = defaultdict(int)
        for item in items:
            cas_per_file[item.path] += item.is_ca
        for item in items:
            if CA_BUNDLE.search(item.path) or cas_per_file[item.path] >= BUNDLE_MIN_CAS:
                bundled += 1
                continue
            if item.note.startswith("unreadable"):
                unreadable += 1
                continue
            certs += 1
            issues = _cert_issues(item, now)
            if issues:
                note = f"{item.subject or 'certificate'}: {'; '.join(issues)}"
                problems.append(view.evidence(item.path, item.line, "", note))
    if problems:
        return failed(f"{len(problems)} of {certs} certificate(s) are expired or weak.", *problems)
    extra = f" ({bundled} CA-bundle certificates not judged)" if bundled else ""
    if unreadable:
        extra += f" ({unreadable} unreadable certificate blocks skipped)"
    if certs == 0:
        return not_applicable(f"No device certificate in the image{extra}.")
    return passed(
        f"{certs} certificate(s): none expired, none with a weak key or signature{extra}."
    )


def _cert_issues(item: KeyItem, now: dt.datetime) -> list[str]:
    issues = []
    if is_expired(item, now) and item.not_after is not None:
        issues.append(f"expired {item.not_after.date().isoformat()}")
    if item.algorithm == "RSA" and item.bits < 2048 or item.algorithm == "DSA":
        issues.append(f"{item.algorithm} {item.bits}-bit key")
    if item.algorithm.startswith("EC") and item.bits < 256:
        issues.append(f"{item.algorithm} {item.bits}-bit key")
    # nobody checks a self-signed certificate's own signature: a SHA-1 one is harmless
    if item.signature_hash in WEAK_SIGNATURES and not item.self_signed:
        issues.append(f"signed with {item.signature_hash}")
    return issues
