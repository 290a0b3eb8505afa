"""security.txt (RFC 9116) parsing on real files from ../shared/data/security-txt."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from assay.declaration import parse_security_txt

NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)


def _real(shared_data: Path, name: str) -> str:
    return (shared_data / "security-txt" / "rfc9116-era" / name).read_text(encoding="utf-8")


def test_current_files_are_valid(shared_data: Path) -> None:
    drk = parse_security_txt(_real(shared_data, "drk-digital.io.security.txt"), NOW)
    assert drk.valid, drk.problems
    assert drk.fields["contact"] == ["mailto:digitalisierung@drk-aachen.de"]
    disclosure = drk.to_disclosure()
    assert disclosure["preferred_languages"] == ["de", "en"]
    assert disclosure["expires"].startswith("2027-04-14T00:00:00")
    nine = parse_security_txt(_real(shared_data, "nine-security.com.security.txt"), NOW)
    assert nine.valid, nine.problems
    assert nine.to_disclosure()["canonical"] == "https://nine-security.com/.well-known/security.txt"


def test_files_without_expires_or_uri_contacts_are_findings(shared_data: Path) -> None:
    for name in ("4mica.io.security.txt", "securitytxt-template.security.txt"):
        parsed = parse_security_txt(_real(shared_data, name), NOW)
        assert not parsed.valid
        assert any("no Expires" in p for p in parsed.problems), name
        assert any("is not a mailto:, https: or tel: URI" in p for p in parsed.problems), name
    mica = parse_security_txt(_real(shared_data, "4mica.io.security.txt"), NOW)
    assert mica.to_disclosure()["policy_url"].startswith("https://github.com/4mica-Network/")


def test_expired_file_is_a_finding(shared_data: Path) -> None:
    later = dt.datetime(2027, 5, 1, tzinfo=dt.UTC)
    parsed = parse_security_txt(_real(shared_data, "drk-digital.io.security.txt"), later)
    assert parsed.problems == ("expired on 2027-04-14 (the file is stale)",)


def test_expires_far_ahead_is_a_warning(shared_data: Path) -> None:
    early = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    parsed = parse_security_txt(_real(shared_data, "nine-security.com.security.txt"), early)
    assert parsed.valid
    assert any("more than a year ahead" in w for w in parsed.warnings)


def test_signed_file_is_read_inside_its_signature(shared_data: Path) -> None:
    body = _real(shared_data, "drk-digital.io.security.txt")
    escaped = "\n".join("- " + line if line.startswith("-") else line for line in body.splitlines())
    signed = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
        + escaped
        + "\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCgAdFiEE\n-----END PGP SIGNATURE-----\n"
    )
    parsed = parse_security_txt(signed, NOW)
    assert parsed.signed and parsed.valid
    assert parsed.fields["contact"] == ["mailto:digitalisierung@drk-aachen.de"]


def test_2019_alexa_corpus_parses_like_its_own_scan(shared_data: Path) -> None:
    """1,233 real files from before RFC 9116: none has Expires; our Contact values match the
    independent parse stored with them (values trimmed, empty ones dropped)."""
    data = json.loads(
        (shared_data / "security-txt/matix-alexa-top1m-2019/security-txt-data.json").read_text()
    )
    files = [entry for domain in data.values() for entry in domain.values()]
    assert len(files) == 1233
    with_contact = 0
    for entry in files:
        parsed = parse_security_txt(entry["raw"] or "", NOW)
        assert any("no Expires" in p for p in parsed.problems)
        theirs = [c["value"].strip() for c in entry["contact"] if c["value"].strip()]
        assert parsed.fields.get("contact", []) == theirs
        with_contact += bool(theirs)
    assert with_contact == 1216


def test_junk_lines_and_duplicates_are_problems() -> None:
    text = "Contact: https://x.example/report\nthis is not a field\nExpires: 2027-01-01T00:00:00Z\n"
    text += "Expires: 2027-02-01T00:00:00Z\nPolicy: http://x.example/policy\n"
    parsed = parse_security_txt(text, NOW)
    assert any("line 2 is not a 'Field: value' line" in p for p in parsed.problems)
    assert any("Expires appears 2 times" in p for p in parsed.problems)
    assert any("must use https://" in p for p in parsed.problems)
