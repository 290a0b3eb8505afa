"""Rasterise the label SVG with CairoSVG (in-process; needs Debian's libcairo2 and a font)."""

from __future__ import annotations

from assay.errors import ToolMissing

PNG_WIDTH = 1000  # pixels for 50 mm: about 500 dpi, sharp in print and the QR decodes easily


def render_png(svg: str, width: int = PNG_WIDTH) -> bytes:
    """The SVG as PNG bytes, ``width`` pixels wide."""
    try:
        import cairosvg
    except OSError as err:  # cairocffi raises OSError when libcairo is missing
        raise ToolMissing(
            "cannot render label.png: the cairo library is missing",
            "install Debian's libcairo2 (apt-get install libcairo2)",
        ) from err
    png: bytes = cairosvg.svg2png(
        bytestring=svg.encode("utf-8"), output_width=width, background_color="white"
    )
    return png
