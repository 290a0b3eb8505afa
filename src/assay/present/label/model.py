"""The label as data: every fact carries the reason and evidence that decided it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

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
    data_declared: bool
    registry_url: str
    assessed: str
    self_asserted_by: str = ""  # set when neither scanned nor signed by Assay: no level, no Yes

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

    def support_text(self) -> str:
        if self.support_until is None:
            return "Security update period: not declared"
        when = self.support_until.strftime("%d %b %Y")
        if self.expired:
            return f"EXPIRED: security updates ended {when}"
        return f"Security updates until {when}"

    def data_text(self) -> str:
        if self.sensitive_data:
            return ", ".join(self.sensitive_data)
        if self.data_declared:
            return "None declared"
        return "Not declared"

    def text(self) -> str:
        """The whole label as plain text (screen readers, label.json, terminals)."""
        hw = f" hardware {self.hardware_version}" if self.hardware_version else ""
        fw = f", firmware {self.firmware_version}" if self.firmware_version else ""
        level = (
            f"Security level {self.level.value} of 4"
            if self.level.value
            else "Security level: baseline not met (no level)"
        )
        lines = [
            f"Security label for {self.title}{hw}{fw}.",
            *(
                [f"Self-asserted by {self.self_asserted_by}: not verified by Assay."]
                if self.self_asserted_by
                else []
            ),
            f"Manufacturer: {self.manufacturer or 'not declared'}.",
            f"{self.support_text()}.",
            f"{level}.",
            f"No default passwords: {self.no_default_passwords.word}.",
            f"Automatic security updates: {self.automatic_updates.word}.",
            f"A way to report vulnerabilities: {self.vulnerability_reporting.word}.",
            f"Known exploited vulnerabilities unfixed: {self.kev_unfixed}.",
            f"Sensitive data processed: {self.data_text()}.",
        ]
        if self.registry_url:
            lines.append(f"Details: {self.registry_url}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
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
            "text": self.text(),
        }
