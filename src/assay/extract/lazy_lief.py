"""Stand-ins for modules unblob imports but an extraction seldom uses.

``defer()`` puts them in ``sys.modules`` before unblob is imported: one for lief (see
``assay.extract.elf_handlers``), whose real module the first use of anything in it but
``logging.disable()`` (which unblob calls on import) imports; one for plotext, which draws
entropy plots we never ask for. This module imports neither unblob nor lief.
"""

from __future__ import annotations

import importlib
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


class _Deferred(types.ModuleType):
    """Stands in for a module until something in it is used."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


_stand_in: _DeferredLief | None = None
DEFERRED = ("plotext",)


def defer() -> None:
    """Put the stand-ins in place (for modules not imported yet)."""
    global _stand_in
    if "lief" not in sys.modules:
        _stand_in = _DeferredLief()
        sys.modules["lief"] = _stand_in
    for name in DEFERRED:
        if name not in sys.modules:
            sys.modules[name] = _Deferred(name)


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
