"""What a VEX statement says, independent of the format it came in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """The four VEX statuses every format can express."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


@dataclass(frozen=True)
class ProductRef:
    """A product a statement is about.

    ``key`` is what matching uses: the PURL when the document gives one, else the CPE, else
    the product's name. ``parent`` is set when the statement is about a component as part of
    a product (CSAF relationship, OpenVEX subcomponent, CycloneDX affects of a BOM).
    """

    key: str
    name: str = ""
    purl: str = ""
    cpe: str = ""
    parent: str = ""  # key of the product this component is part of

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "purl": self.purl,
            "cpe": self.cpe,
            "parent": self.parent,
        }


@dataclass(frozen=True)
class VexStatement:
    """One status of one vulnerability for one product, with the reason kept."""

    vulnerability: str
    product: ProductRef
    status: Status
    justification: str = ""  # format-neutral code (see justifications.yaml), "" if none
    impact: str = ""  # free text: why not affected
    action: str = ""  # free text: what to do (remediation / action statement)
    action_category: str = ""  # CSAF remediation category when the document gave one
    aliases: tuple[str, ...] = ()
    source: str = ""  # format and document id it came from, e.g. "csaf:icsa-24-291-01"
    original_justification: str = ""  # the code exactly as the document wrote it

    def to_dict(self) -> dict[str, Any]:
        return {
            "vulnerability": self.vulnerability,
            "aliases": list(self.aliases),
            "product": self.product.to_dict(),
            "status": str(self.status),
            "justification": self.justification,
            "original_justification": self.original_justification,
            "impact": self.impact,
            "action": self.action,
            "action_category": self.action_category,
            "source": self.source,
        }
