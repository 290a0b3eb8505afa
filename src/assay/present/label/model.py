"""The label as data: every fact carries the reason and evidence that decided it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from assay.present.label.words import words

LABEL_SCHEMA_VERSION = "1.0.0"


def join_names(*names: str) -> str:
    """Names joined by spaces, dropping one that another contains ("Acme", "Acme Plug")."""
    parts: list[str] = []
    for name in (n.strip() for n in names):
        if not name or any(name.lower() in p.lower() for p in parts):
            continue
        parts = [p for p in parts if p.lower() not in name.lower()]
        parts.append(name)
    return " ".join(parts)


@dataclass(frozen=True)
class Fact:
    """A yes/no fact; ``value`` is None when the evidence does not decide it."""

    value: bool | None
    reason: str
    evidence: tuple[str, ...] = ()

    @property
    def word(self) -> str:
        return {True: "Yes", False: "No", None: "Unknown"}[self.value]

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason, "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Statement:
    """One fact of the label in words: its name, its short value (the picture's pill), its tone
    (good, bad, unknown), a whole positive sentence, and why (evidence, in English)."""

    key: str
    name: str
    value: str
    tone: str
    sentence: str
    why: str


@dataclass(frozen=True)
class Level:
    """The level reached (0 = none) and, per level, why it is or is not met."""

    value: int
    met: tuple[str, ...]  # one line per level reached
    missing: tuple[str, ...]  # what stops the next level

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "met": list(self.met), "missing": list(self.missing)}


@dataclass(frozen=True)
class Label:
    """The first layer of the security label for one product and firmware."""

    manufacturer: str
    product: str
    model: str
    hardware_version: str
    firmware_version: str
    support_until: date | None
    today: date
    level: Level
    no_default_passwords: Fact
    automatic_updates: Fact
    vulnerability_reporting: Fact
    kev_unfixed: int
    kev_ids: tuple[str, ...]
    sensitive_data: tuple[str, ...]
    personal_data: tuple[str, ...]
    sensors: tuple[str, ...]
    data_declared: bool  # special categories: listed, or declared as none
    registry_url: str
    assessed: str
    self_asserted_by: str = ""  # set when neither scanned nor signed by Assay: no level, no Yes
    personal_declared: bool = False  # personal data: listed, or declared as none
    basis: str = "firmware"  # what it was made from: firmware | sbom, with or without declaration
    declared: bool = False  # a manufacturer's declaration was part of it

    @property
    def expired(self) -> bool:
        return self.support_until is not None and self.today > self.support_until

    @property
    def status(self) -> str:
        """SUPPORTED, EXPIRED or UNDECLARED (no support end date given)."""
        if self.support_until is None:
            return "UNDECLARED"
        return "EXPIRED" if self.expired else "SUPPORTED"

    @property
    def title(self) -> str:
        """Manufacturer, product and model as one line, without repeats."""
        return join_names(self.manufacturer, self.product, self.model) or "Unnamed product"

    def support_text(self, lang: str = "en") -> str:
        say = words(lang)
        if self.support_until is None:
            return say("t_undeclared").rstrip(".")
        key = "t_expired" if self.expired else "t_supported"
        return say(key, date=say.date(self.support_until)).rstrip(".")

    def level_text(self, lang: str = "en") -> str:
        """The level in words: "Level 2 of 4", "Level 0 of 4" too (never stars alone)."""
        say = words(lang)
        if self.self_asserted_by:
            return say("self_asserted_level")
        return say("level", level=self.level.value)

    def issued_text(self, lang: str = "en") -> str:
        """Who issued the label and from what; never an official mark."""
        if self.self_asserted_by:
            return words(lang)("issued_self")
        kind = "sbom" if self.basis == "sbom" else "firmware"
        key = f"issued_declaration_{kind}" if self.declared else f"issued_{kind}"
        return words(lang)(key)

    def statements(self, lang: str = "en") -> list[Statement]:
        """The three yes/no facts and the exploited-flaw count, phrased positively."""
        say = words(lang)
        rows = []
        for key, fact in (
            ("passwords", self.no_default_passwords),
            ("updates", self.automatic_updates),
            ("reporting", self.vulnerability_reporting),
        ):
            if fact.value is None:
                value = say("unknown")
            elif key == "passwords":
                value = say(f"passwords_{str(fact.value).lower()}")
            else:
                value = say("yes" if fact.value else "no")
            tone = {True: "good", False: "bad", None: "unknown"}[fact.value]
            sentence = say(f"t_{key}_{str(fact.value).lower()}")
            rows.append(Statement(key, say(key), value, tone, sentence, fact.reason))
        kev = self.kev_unfixed
        sentence = say("t_kev", count=kev) if kev else say("t_kev_0")
        why = ", ".join(self.kev_ids)
        rows.append(Statement("kev", say("kev"), str(kev), "bad" if kev else "good", sentence, why))
        return rows

    def data_lines(self, lang: str = "en") -> list[tuple[str, str]]:
        """(heading, value) for personal data, sensitive data and sensors, as declared."""
        say = words(lang)
        personal = ", ".join(self.personal_data) or (
            say("personal_none") if self.personal_declared else say("not_declared")
        )
        sensitive = ", ".join(self.sensitive_data) or (
            say("none_declared") if self.data_declared else say("not_declared")
        )
        lines = [(say("personal"), personal), (say("sensitive"), sensitive)]
        if self.sensors:
            lines.append((say("sensors"), ", ".join(self.sensors)))
        return lines

    def text(self, lang: str = "en") -> str:
        """The whole label as plain text (screen readers, label.json, terminals)."""
        say = words(lang)
        lines = [say("t_title", product=self.title)]
        if self.hardware_version:
            lines.append(say("t_hardware", version=self.hardware_version))
        if self.firmware_version:
            lines.append(say("t_firmware", version=self.firmware_version))
        if self.self_asserted_by:
            lines.append(say("t_self_asserted", maker=self.self_asserted_by))
        lines.append(
            say("t_manufacturer", name=self.manufacturer)
            if self.manufacturer
            else say("t_manufacturer_missing")
        )
        lines.append(self.support_text(lang) + ".")
        if self.self_asserted_by:
            lines.append(say("t_level_self"))
        elif self.level.value:
            lines.append(say("t_level", level=self.level.value))
        else:
            lines.append(say("t_level_0"))
        lines += [s.sentence for s in self.statements(lang)]
        lines += self._data_sentences(lang)
        lines.append(self.issued_text(lang))
        if self.registry_url:
            lines.append(say("t_details", url=self.registry_url))
        return "\n".join(lines)

    def _data_sentences(self, lang: str) -> list[str]:
        say = words(lang)
        if self.personal_data:
            out = [say("t_personal", items=", ".join(self.personal_data))]
        else:
            out = [say("t_personal_none" if self.personal_declared else "t_personal_undeclared")]
        if self.sensitive_data:
            out.append(say("t_sensitive", items=", ".join(self.sensitive_data)))
        else:
            out.append(say("t_sensitive_none" if self.data_declared else "t_sensitive_undeclared"))
        if self.sensors:
            out.append(say("t_sensors", items=", ".join(self.sensors)))
        return out

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """``label.json``: the same keys in every language; ``text`` is in ``lang``."""
        return {
            "schema_version": LABEL_SCHEMA_VERSION,
            "manufacturer": self.manufacturer,
            "product": self.product,
            "model": self.model,
            "hardware_version": self.hardware_version,
            "firmware_version": self.firmware_version,
            "support_until": self.support_until.isoformat() if self.support_until else None,
            "status": self.status,
            "as_of": self.today.isoformat(),
            "level": self.level.to_dict(),
            "facts": {
                "no_default_passwords": self.no_default_passwords.to_dict(),
                "automatic_security_updates": self.automatic_updates.to_dict(),
                "vulnerability_reporting": self.vulnerability_reporting.to_dict(),
                "known_exploited_unfixed": {
                    "count": self.kev_unfixed,
                    "ids": list(self.kev_ids),
                },
            },
            "sensitive_data": list(self.sensitive_data),
            "personal_data": list(self.personal_data),
            "sensors": list(self.sensors),
            "registry_url": self.registry_url,
            "assessed": self.assessed,
            "self_asserted_by": self.self_asserted_by or None,
            "text": self.text(lang),
        }
