"""A stand-in for lief until something in it is used (see ``assay.extract.elf_handlers``).

``defer()`` puts the stand-in in ``sys.modules`` before unblob is imported; the first use of
anything in it but ``logging.disable()`` (which unblob calls on import) imports the real lief.
This module imports neither unblob nor lief.
"""

from __future__ import annotations

import sys
import types
from functools import cache
from typing import Any


class _DeferredLief(types.ModuleType):
    """Stands in for lief until something in it is used."""

    def __init__(self) -> None:
        super().__init__("lief")
        self.quiet = False
        self.logging: Any = types.SimpleNamespace(disable=self._disable)

    def _disable(self) -> None:
        self.quiet = True

    def __getattr__(self, name: str) -> Any:
        return getattr(load(), name)


_stand_in: _DeferredLief | None = None


def defer() -> None:
    """Put the stand-in in place, unless lief is already imported."""
    global _stand_in
    if "lief" not in sys.modules:
        _stand_in = _DeferredLief()
        sys.modules["lief"] = _stand_in


@cache
def load() -> types.ModuleType:
    """The real lief (imported now if only the stand-in was)."""
    if _stand_in is not None and sys.modules.get("lief") is _stand_in:
        del sys.modules["lief"]
    import lief

    if _stand_in is not None:
        if _stand_in.quiet:
            lief.logging.disable()
        _stand_in.logging = lief.logging
    return lief
