"""The manufacturer's declaration: facts an image cannot show, validated against a JSON Schema.

``load(path) -> dict`` is what the pipeline calls (``assessment.declaration``); ``check(path)``
lists every problem; ``template()`` is the commented starting point ``assay declaration init``
writes; ``parse_security_txt`` reads an RFC 9116 file as the disclosure part.
"""

from importlib import resources

from assay.declaration.loader import CheckResult, check, load, schema, validate
from assay.declaration.securitytxt import SecurityTxt, parse_security_txt


def template() -> str:
    """The commented declaration template (valid as it stands)."""
    return (resources.files("assay.declaration") / "template.yaml").read_text("utf-8")


__all__ = [
    "CheckResult",
    "SecurityTxt",
    "check",
    "load",
    "parse_security_txt",
    "schema",
    "template",
    "validate",
]
