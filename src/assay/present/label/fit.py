"""Text widths for laying out the label: DejaVu Sans metrics (the font the SVG names first and
CairoSVG finds on Debian) through Pillow, or a wide estimate when the font is not installed.

Translations make lines longer; the layout wraps and shrinks by these widths instead of by
character counts, so no language runs past the label's edge.
"""

from __future__ import annotations

from functools import cache
from typing import Any

ESTIMATE = {False: 0.62, True: 0.70}  # em per character when the font is missing (over-wide)


@cache
def _font(size: int, bold: bool) -> Any:
    try:
        from PIL import ImageFont

        return ImageFont.truetype("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", size)
    except (ImportError, OSError):
        return None


def width(text: str, size: int, bold: bool = False) -> float:
    """The width of ``text`` in SVG units at font ``size``."""
    font = _font(size, bold)
    if font is None:
        return len(text) * size * ESTIMATE[bold]
    return float(font.getlength(text))


def wrap(text: str, size: int, room: float, bold: bool = False, most: int = 0) -> list[str]:
    """``text`` in lines no wider than ``room``, broken at spaces (inside a word only when the
    word alone is too wide); with ``most`` > 0, at most that many lines, the last one ending
    in an ellipsis when something was left out."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate, size, bold) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while width(word, size, bold) > room:
            cut = _longest(word, size, room, bold)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    if most and len(lines) > most:
        lines = lines[:most]
        last = lines[-1]
        while last and width(last + "\u2026", size, bold) > room:
            last = last[:-1]
        lines[-1] = last.rstrip() + "\u2026"
    return lines


def fit(text: str, size: int, room: float, bold: bool = False, smallest: int = 17) -> int:
    """The largest font size up to ``size`` at which ``text`` fits in ``room`` on one line."""
    while size > smallest and width(text, size, bold) > room:
        size -= 1
    return size


def _longest(word: str, size: int, room: float, bold: bool) -> int:
    cut = len(word)
    while cut > 1 and width(word[:cut], size, bold) > room:
        cut -= 1
    return cut
