"""What the registry hands out: frozen records, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assay.errors import InputError, UsageError

SCANNED, SIGNED, SELF_ASSERTED = "scanned", "signed", "self-asserted"


class NotFound(InputError):
    """A product, assessment or token the caller named is not in the registry."""


class Forbidden(UsageError):
    """A manufacturer's token tried to change another manufacturer's product."""


@dataclass(frozen=True)
class ProductSummary:
    slug: str
    manufacturer: str
    name: str
    model: str
    hardware_version: str
    firmware_version: str
    level: int
    kev_count: int
    support_until: str
    updated: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AssessmentRecord:
    id: int
    product_slug: str
    firmware_version: str
    file_name: str
    sha256: str
    assessed: str
    stored: str
    level: int
    kev_count: int
    vulnerability_count: int
    document: dict[str, Any] = field(compare=False, repr=False)  # {} when not loaded
    # the document's summary (``summary.summarize``); in ``Registry.product``'s latest
    # assessment, its brief (``summary.brief``: only the matches that count, as ids)
    summary: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    provenance: str = SELF_ASSERTED  # "scanned", "signed" or "self-asserted"
    signed_by: str = ""  # the trusted scanner key's id when "signed"
    manufacturer: str = ""

    @property
    def self_asserted(self) -> bool:
        """True unless Assay itself produced the evidence (scanned here, or signed by a
        trusted scanner key): such an assessment gets no level and no "Yes"."""
        return self.provenance not in (SCANNED, SIGNED)

    def provenance_text(self) -> str:
        if self.provenance == SCANNED:
            return "assessed by this registry from the uploaded image"
        if self.provenance == SIGNED:
            return f"signed at scan time by trusted scanner key {self.signed_by}"
        return f"self-asserted by {self.manufacturer or 'the manufacturer'}: not verified by Assay"

    def to_dict(self, with_document: bool = False) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("document", "summary")}
        data["provenance_text"] = self.provenance_text()
        if with_document:
            data["document"] = self.document
        return data


@dataclass(frozen=True)
class FirmwareRecord:
    version: str
    file_name: str
    sha256: str
    created: str
    assessments: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "assessments": list(self.assessments)}


@dataclass(frozen=True)
class EventRecord:
    at: str
    kind: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ProductDetail:
    summary: ProductSummary
    firmware: tuple[FirmwareRecord, ...]
    history: tuple[EventRecord, ...]
    latest: AssessmentRecord | None
    declaration: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary.to_dict(),
            "firmware": [f.to_dict() for f in self.firmware],
            "history": [e.to_dict() for e in self.history],
            "latest_assessment": self.latest.to_dict() if self.latest else None,
            "declaration": self.declaration,
        }


@dataclass(frozen=True)
class TrustedKeyRecord:
    key_id: str
    public_key: str
    name: str
    created: str
    revoked: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TokenRecord:
    id: int
    manufacturer: str
    note: str
    created: str
    revoked: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Stored:
    """The outcome of adding one assessment."""

    product_slug: str
    assessment_id: int
    new_product: bool
    new_firmware: bool
    provenance: str = SELF_ASSERTED
    level: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
