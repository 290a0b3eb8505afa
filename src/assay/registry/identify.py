"""Which product an assessment is about: the declaration first, then the image's identity."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from assay.errors import InputError
from assay.present.label import declaration as decl


@dataclass(frozen=True)
class ProductKey:
    manufacturer: str
    name: str
    model: str
    hardware_version: str
    firmware_version: str

    @property
    def slug(self) -> str:
        return slugify(f"{self.manufacturer} {self.model} {self.hardware_version}")


def slugify(text: str) -> str:
    """ASCII, lower case, words joined by hyphens (for URLs)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:200] or "product"


def product_key(document: dict[str, Any]) -> ProductKey:
    """The product of an assessment document (its ``declaration`` wins over the image)."""
    raw = document.get("declaration")
    declaration: dict[str, Any] | None = raw if isinstance(raw, dict) else None
    identity = _mapping(document.get("identity"))
    manufacturer = decl.text(declaration, "manufacturer") or str(identity.get("vendor") or "")
    model = decl.text(declaration, "model") or str(identity.get("model") or "")
    if not manufacturer.strip() or not model.strip():
        raise InputError(
            "cannot tell which product this is: no manufacturer or model "
            "in the declaration or the image",
            "give a declaration (--declaration FILE) with manufacturer and model",
        )
    firmware = (
        decl.text(declaration, "firmware_version")
        or " ".join(
            str(identity.get(k) or "") for k in ("os_name", "os_version", "os_build")
        ).strip()
    )
    target = _mapping(document.get("target"))
    manufacturer, model = _clean(manufacturer), _clean(model)
    return ProductKey(
        manufacturer=manufacturer.strip()[:200],
        name=_clean(decl.text(declaration, "product") or model)[:300],
        model=model.strip()[:200],
        hardware_version=_clean(
            decl.text(declaration, "hardware_version")
            or str(identity.get("hardware_version") or "")
        )[:100],
        firmware_version=_clean(firmware or str(target.get("sha256") or "")[:12] or "unknown")[
            :200
        ],
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _clean(text: str) -> str:
    """Strip NUL bytes (not storable in PostgreSQL) and surrounding space."""
    return text.replace("\x00", "").strip()
