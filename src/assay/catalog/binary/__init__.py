"""Binary version signatures: which product and version a binary file shows.

``BinaryCataloger`` is the cataloger (name ``binary-signature``); ``load_signatures`` lists
the bundled signature data (``signatures.yaml``) for a ``signatures list`` style display.
"""

from assay.catalog.binary.cataloger import BinaryCataloger, component_for
from assay.catalog.binary.engine import Hit, SignatureEngine
from assay.catalog.binary.signatures import DEFAULT_SIGNATURES, Signature, load_signatures

__all__ = [
    "DEFAULT_SIGNATURES",
    "BinaryCataloger",
    "Hit",
    "Signature",
    "SignatureEngine",
    "component_for",
    "load_signatures",
]
