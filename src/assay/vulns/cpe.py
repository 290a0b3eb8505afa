"""CPE 2.3 formatted strings: split into their eleven attributes, honouring escapes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

ANY = "*"
NA = "-"


@dataclass(frozen=True)
class Cpe:
    """The attributes of a CPE 2.3 name that matching uses (lower-cased, unescaped)."""

    part: str
    vendor: str
    product: str
    version: str
    update: str
    target_sw: str = ANY
    target_hw: str = ANY

    @property
    def key(self) -> tuple[str, str]:
        return (self.vendor, self.product)

    @property
    def effective_version(self) -> str:
        """Version and update together (``1.0.1`` + ``beta1``), as one comparable string."""
        if self.update in (ANY, NA, ""):
            return self.version
        return f"{self.version}{self.update}"


def _split(text: str) -> list[str]:
    if "\\" not in text:
        return text.split(":")
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


@lru_cache(maxsize=262144)
def parse_cpe(text: str) -> Cpe | None:
    """Parse ``cpe:2.3:a:vendor:product:version:update:...``; ``None`` if it is not one."""
    if not text or not text.lower().startswith("cpe:2.3:"):
        return None
    fields = _split(text.strip())
    if len(fields) < 6:
        return None
    fields += [ANY] * (13 - len(fields))
    part, vendor, product, version, update = (f.lower() for f in fields[2:7])
    if part not in ("a", "o", "h") or not vendor or not product:
        return None
    return Cpe(
        part=part,
        vendor=vendor,
        product=product,
        version=version or ANY,
        update=update or ANY,
        target_sw=fields[10].lower() or ANY,
        target_hw=fields[11].lower() or ANY,
    )
