"""Rasterise the label SVG with CairoSVG (in-process; needs Debian's libcairo2 and a font).

CairoSVG draws the label into a cairo image (its plain text through ``label.glyphs``, in
fewer calls); the PNG is then written here, unfiltered and deflated at the fastest level of
ISA-L (``isal``, the zlib format; 4.5 ms for the 6.5 MB of a label's rows, zlib's fastest level
13 ms, for a file 4 % smaller; zlib when isal is not installed): cairo's own PNG writer
(libpng with adaptive row filters and the default level) took ~55 ms of CPU for the
1000 × 2008 pixels of a label, as long as the rest of a scan's outputs together. The pixels
are the same (the tests compare them with CairoSVG's own PNG).
"""

from __future__ import annotations

import struct
import sys
import zlib
from typing import Any

from assay.errors import ToolMissing

PNG_WIDTH = 1000  # pixels for 50 mm: about 500 dpi, sharp in print and the QR decodes easily


def render_png(svg: str, width: int = PNG_WIDTH) -> bytes:
    """The SVG as PNG bytes, ``width`` pixels wide, on white."""
    try:
        from cairosvg.parser import Tree

        from assay.present.label.glyphs import LabelSurface
    except OSError as err:  # cairocffi raises OSError when libcairo is missing
        raise ToolMissing(
            "cannot render label.png: the cairo library is missing",
            "install Debian's libcairo2 (apt-get install libcairo2)",
        ) from err
    tree = Tree(bytestring=svg.encode("utf-8"))
    surface = LabelSurface(tree, None, 96, output_width=width, background_color="white")
    try:
        return _png(surface.cairo)
    finally:
        surface.finish()


def _png(image: Any) -> bytes:
    """A cairo ARGB32 image painted on an opaque background as an 8-bit RGB PNG."""
    from PIL import Image

    image.flush()
    width, height, stride = image.get_width(), image.get_height(), image.get_stride()
    size, data = (width, height), image.get_data()
    if sys.byteorder == "little":
        # ARGB32 is a native-endian 32-bit word: B, G, R, A in memory. Read in place as if it
        # were RGBA and packed backwards ("BGR"): R, G, B, without an 8 MB RGB image between
        bgra = Image.frombuffer("RGBA", size, data, "raw", "RGBA", stride, 1)
        pixels = memoryview(bgra.tobytes("raw", "BGR"))
    else:
        pixels = memoryview(Image.frombuffer("RGB", size, data, "raw", "XRGB", stride, 1).tobytes())
    row = width * 3
    deflate = _compressor()
    idat = [deflate.compress(b"\0" + pixels[at : at + row]) for at in range(0, len(pixels), row)]
    idat.append(deflate.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", b"".join(idat)),
            _chunk(b"IEND", b""),
        )
    )


def _compressor() -> Any:
    try:
        from isal import isal_zlib
    except ImportError:  # a platform without its wheel: zlib, three times slower
        return zlib.compressobj(1)
    return isal_zlib.compressobj(1)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
