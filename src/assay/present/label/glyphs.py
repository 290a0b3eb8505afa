"""CairoSVG's drawing of the label, with its plain text drawn in one cairo call per letter.

CairoSVG draws a ``<text>`` letter by letter, and twice: once as glyph outlines that it then
strokes with no paint, once shown, with the cairo state saved, moved and restored around every
letter (about ten calls into cairo per letter; 13 of the 25 ms it took to draw a label).
:class:`LabelSurface` draws a plain ``<text>`` (one ``x``, one ``y``, a fill colour, font
family, size and weight, ``letter-spacing`` and ``text-anchor``: all that ``label.svg.j2``
writes) itself, the way CairoSVG draws it: the same font, the same letter positions (each is
cairo's current point there, which keeps 1/256 of a device pixel, so they are rounded the same
way here) and each letter shown by its own call (shown together, the edges of two touching
letters blend differently). Any other element or attribute goes to CairoSVG. The tests compare
the pixels with CairoSVG's own drawing, in every language of the label.
"""

from __future__ import annotations

from typing import Any

from cairosvg.helpers import paint, size
from cairosvg.surface import PNGSurface, cairo

# what a <text> may carry to be drawn here (the last three are inherited from <svg>)
_PLAIN = frozenset(
    {
        "x",
        "y",
        "fill",
        "font-family",
        "font-size",
        "font-weight",
        "letter-spacing",
        "text-anchor",
        "role",
        "aria-labelledby",
        "{http://www.w3.org/XML/1998/namespace}lang",
    }
)
_ANCHORS = {None, "start", "middle", "end"}
_FIXED = 256  # cairo keeps its current point in 24.8 fixed point, in device units


class LabelSurface(PNGSurface):  # type: ignore[misc]  # CairoSVG has no type hints
    """A CairoSVG PNG surface that draws plain text with fewer calls, to the same pixels."""

    font_size: float  # set by CairoSVG for the node being drawn

    def draw(self, node: Any) -> None:
        if node.tag != "text" or not self.stroke_and_fill or not _plain(node):
            super().draw(node)
            return
        old_font_size = self.font_size
        self.font_size = size(self, node.get("font-size", "12pt"))
        context = self.context
        context.save()
        context.set_source_rgba(*self.map_color(paint(node.get("fill", "black"))[1]))
        shown = _show(context, node, self.font_size, size(self, node.get("letter-spacing")))
        context.restore()
        self.font_size = old_font_size
        if not shown:
            super().draw(node)
            return
        self.cursor_position = [0, 0]
        self.cursor_d_position = [0, 0]
        self.text_path_width = 0


def _plain(node: Any) -> bool:
    if node.children or not node.keys() <= _PLAIN or node.get("text-anchor") not in _ANCHORS:
        return False
    if str(node.get("fill", "")).lstrip().startswith("url("):
        return False
    try:
        float(node.get("x", "0"))
        float(node.get("y", "0"))
    except ValueError:  # a list of positions or a unit: CairoSVG's own code handles it
        return False
    weight = node.get("font-weight")
    return weight in (None, "normal", "bold") or weight.isdigit()


def _show(context: Any, node: Any, font_size: float, spacing: float) -> bool:
    """Show the letters of ``node.text`` where CairoSVG's ``text()`` puts them; False (and
    nothing shown) when cairo does not make one glyph per character."""
    family = (node.get("font-family") or "sans-serif").split(",")[0].strip("\"' ")
    weight = node.get("font-weight")
    bold = weight == "bold" or (weight is not None and weight.isdigit() and int(weight) >= 550)
    context.select_font_face(
        family,
        cairo.FONT_SLANT_NORMAL,
        cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL,
    )
    context.set_font_size(font_size)
    text = node.text
    if not text:
        return True
    x_bearing, _, width = context.text_extents(text)[:3]
    anchor = node.get("text-anchor")
    align = 0.0
    if anchor == "middle":
        align = -(width / 2 + x_bearing) - (len(text) - 1) * spacing / 2
    elif anchor == "end":
        align = -(width + x_bearing) - (len(text) - 1) * spacing
    glyphs = context.get_scaled_font().text_to_glyphs(0, 0, text, False)
    if len(glyphs) != len(text):
        return False
    x, y = float(node.get("x", "0")), float(node.get("y", "0"))
    shift_x, shift_y = (_fixed(v) for v in context.user_to_device_distance(align, 0))
    for i, ((index, advance, _), letter) in enumerate(zip(glyphs, text, strict=True)):
        if letter.isspace():  # as CairoSVG: spaces take room but are not shown
            continue
        device_x, device_y = context.user_to_device(x + advance + i * spacing, y)
        at = context.device_to_user(_fixed(device_x) + shift_x, _fixed(device_y) + shift_y)
        context.show_glyphs([(index, *at)])
    return True


def _fixed(value: float) -> float:
    """``value`` rounded as cairo stores a point (to the nearest 1/256, ties to even)."""
    return round(value * _FIXED) / _FIXED
