"""Read a security.txt file (RFC 9116) as the disclosure part of a declaration.

``parse_security_txt(text)`` never raises on content: what is wrong with the file comes back
as ``problems`` (RFC 9116 "MUST" rules: a Contact, exactly one current Expires, https web URIs)
and ``warnings`` (its "SHOULD" rules, such as Expires less than a year ahead).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# field name (lower case) -> key in the declaration's vulnerability_disclosure
_TO_DECLARATION = {
    "contact": "contact",
    "policy": "policy_url",
    "encryption": "encryption",
    "acknowledgments": "acknowledgments_url",
    "canonical": "canonical",
    "hiring": "hiring_url",
    "csaf": "csaf_url",
}
_URI_FIELDS = ("contact", "encryption", "acknowledgments", "canonical", "policy", "hiring", "csaf")
_ONCE = ("expires", "preferred-languages")


@dataclass(frozen=True)
class SecurityTxt:
    """The fields of one file (names lower-cased, values in file order) and what is wrong."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    signed: bool = False
    expires: dt.datetime | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_disclosure(self) -> dict[str, Any]:
        """The declaration's ``vulnerability_disclosure`` fields this file provides."""
        out: dict[str, Any] = {}
        for name, key in _TO_DECLARATION.items():
            values = self.fields.get(name)
            if values:
                out[key] = list(values) if name == "contact" else values[0]
        if self.expires is not None:
            out["expires"] = self.expires.isoformat()
        langs = self.fields.get("preferred-languages")
        if langs:
            out["preferred_languages"] = [x.strip() for x in langs[0].split(",") if x.strip()]
        return out


def parse_security_txt(text: str, now: dt.datetime | None = None) -> SecurityTxt:
    """Parse ``text``; ``now`` (UTC) decides whether Expires has passed."""
    now = now or dt.datetime.now(dt.UTC)
    body, signed = _strip_signature(text)
    fields: dict[str, list[str]] = {}
    problems: list[str] = []
    warnings: list[str] = []
    for number, raw in enumerate(body.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            problems.append(f"line {number} is not a 'Field: value' line: {line[:60]!r}")
            continue
        key = name.strip().lower()
        if key == "acknowledgements":  # a common misspelling of the registered name
            warnings.append("'Acknowledgements' is spelled 'Acknowledgments' in RFC 9116")
            key = "acknowledgments"
        if not value.strip():
            problems.append(f"line {number}: {name.strip()} has no value")
            continue
        fields.setdefault(key, []).append(value.strip())

    contacts = fields.get("contact", [])
    if not contacts:
        problems.append("no Contact field (RFC 9116 requires at least one)")
    problems.extend(
        f"Contact {c!r} is not a mailto:, https: or tel: URI"
        for c in contacts
        if not c.lower().startswith(("mailto:", "https:", "tel:", "http:"))
    )
    problems.extend(
        f"{_title(name)} {value!r} must use https://, not http://"
        for name in _URI_FIELDS
        for value in fields.get(name, [])
        if value.lower().startswith("http:")
    )
    problems.extend(
        f"{_title(name)} appears {len(fields[name])} times (at most once)"
        for name in _ONCE
        if len(fields.get(name, [])) > 1
    )

    expires = _expires(fields.get("expires", []), now, problems, warnings)
    return SecurityTxt(fields, tuple(problems), tuple(warnings), signed, expires)


def _expires(
    values: list[str], now: dt.datetime, problems: list[str], warnings: list[str]
) -> dt.datetime | None:
    if not values:
        problems.append("no Expires field (RFC 9116 requires exactly one)")
        return None
    try:
        when = dt.datetime.fromisoformat(values[0].replace("z", "Z"))
    except ValueError:
        problems.append(f"Expires {values[0]!r} is not an RFC 3339 date-time")
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when < now:
        problems.append(f"expired on {when.date().isoformat()} (the file is stale)")
    elif when > now + dt.timedelta(days=366):
        warnings.append("Expires is more than a year ahead (RFC 9116 advises less)")
    return when


def _strip_signature(text: str) -> tuple[str, bool]:
    """The signed body of an OpenPGP cleartext-signed file (dash-escaping undone)."""
    if "-----BEGIN PGP SIGNED MESSAGE-----" not in text:
        return text, False
    lines = text.splitlines()
    start = lines.index("-----BEGIN PGP SIGNED MESSAGE-----") + 1
    while start < len(lines) and lines[start].strip():  # "Hash:" armor headers
        start += 1
    out = []
    for line in lines[start + 1 :]:
        if line.startswith("-----BEGIN PGP SIGNATURE-----"):
            break
        out.append(line[2:] if line.startswith("- ") else line)
    return "\n".join(out), True


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))
