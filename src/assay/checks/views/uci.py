"""A small reader for OpenWrt UCI files (``/etc/config/<name>``), keeping line numbers."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from assay.extract.rootfs import RootFS


@dataclass(frozen=True)
class UciValue:
    value: str
    line: int
    text: str  # the line as written (stripped)


@dataclass
class UciSection:
    type: str
    name: str
    line: int
    options: dict[str, UciValue] = field(default_factory=dict)
    lists: dict[str, list[UciValue]] = field(default_factory=dict)

    def get(self, key: str) -> UciValue | None:
        return self.options.get(key)

    def values(self, key: str) -> list[UciValue]:
        """A list's values, or the option as a one-item list."""
        if key in self.lists:
            return self.lists[key]
        opt = self.options.get(key)
        return [opt] if opt else []


def parse_uci(text: str) -> list[UciSection]:
    """Sections of a UCI file; lines that do not parse are skipped (comments, junk)."""
    sections: list[UciSection] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if not words:
            continue
        if words[0] == "config" and len(words) >= 2:
            name = words[2] if len(words) > 2 else ""
            sections.append(UciSection(type=words[1], name=name, line=n))
        elif words[0] in ("option", "list") and len(words) >= 3 and sections:
            value = UciValue(value=words[2], line=n, text=line)
            if words[0] == "option":
                sections[-1].options[words[1]] = value
            else:
                sections[-1].lists.setdefault(words[1], []).append(value)
    return sections


def read_uci(rootfs: RootFS, name: str) -> list[UciSection] | None:
    """``/etc/config/<name>`` parsed, or None when the image has no such file."""
    text = rootfs.read_text(f"/etc/config/{name}", limit=1 << 20)
    return None if text is None else parse_uci(text)


def is_true(value: str) -> bool:
    return value.strip().lower() in ("1", "on", "yes", "true", "enabled")


def is_false(value: str) -> bool:
    return value.strip().lower() in ("0", "off", "no", "false", "disabled")
