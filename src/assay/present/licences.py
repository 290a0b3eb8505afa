"""Licence texts from package metadata as SPDX expressions, for the SBOM formats.

``expression("GPL-2.0-only")`` is ``"GPL-2.0-only"``; ``expression("GPL-2.0+ OR MIT")`` is
the normalised ``"GPL-2.0-or-later OR MIT"``; a text that is not a valid SPDX expression
(``"GPLv2"``, ``"see COPYING"``) is ``None``, and the formats then keep the text as a licence
name (CycloneDX) or say NOASSERTION (SPDX). The SPDX licence index is loaded once, on the
first licence seen, and each distinct text is parsed once.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    return get_spdx_licensing()


@cache
def expression(text: str) -> str | None:
    """The SPDX expression ``text`` states, normalised; None when it is not one."""
    from license_expression import ExpressionError

    if not text.strip():
        return None
    try:
        parsed = _licensing().parse(text, validate=True, strict=True)
    except ExpressionError:
        return None
    return None if parsed is None else str(parsed)


def parsed(text: str) -> Any:
    """The license-expression object of ``text`` (for spdx-tools' model), or None."""
    spdx = expression(text)
    return None if spdx is None else _licensing().parse(spdx)


def single_id(spdx_expression: str) -> bool:
    """Whether an expression is one licence of the SPDX list (not a compound, not a
    ``LicenseRef-``): CycloneDX writes those as a licence id."""
    return " " not in spdx_expression and not spdx_expression.startswith("LicenseRef-")
