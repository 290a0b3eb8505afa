"""libmagic and libcairo are loaded by their sonames, without ``find_library``'s compilers.

python-magic (in the extraction worker) and cairocffi (for label.png) ask
``ctypes.util.find_library`` for their library before they try its soname. On Linux that
function runs ``ldconfig -p`` and, when that gives no answer for the name asked (cairocffi asks
three names, python-magic asks twice), gcc and ld: about 50 ms of CPU in child processes per
process, to find a library the dynamic loader finds by its soname anyway. ``install()`` makes
``find_library`` answer None for these names only, so both go straight to the soname they
try next (``libmagic.so.1``, ``libcairo.so.2``); a library that is missing still fails as it
did (python-magic's ImportError, cairocffi's OSError). Every other name is looked up as before.
"""

from __future__ import annotations

import ctypes.util
from collections.abc import Callable

BY_SONAME = frozenset({"magic", "cairo", "cairo-2", "libcairo-2"})

_original: Callable[[str], str | None] = ctypes.util.find_library


def _find_library(name: str) -> str | None:
    return None if name in BY_SONAME else _original(name)


def install() -> None:
    """From now on in this process (before ``magic`` or ``cairocffi`` is imported)."""
    ctypes.util.find_library = _find_library
