"""Read a VEX or advisory file of any supported format; recognise the format from its content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.present.vex.csaf_import import import_csaf
from assay.present.vex.cyclonedx import import_cyclonedx_vex
from assay.present.vex.model import VexStatement
from assay.present.vex.openvex import import_openvex
from assay.safeload import load_json, read_file

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 100  # CSAF product trees nest branches; real ones stay far below this
FORMATS = ("csaf", "openvex", "cyclonedx")


def detect_format(doc: Any) -> str:
    """``csaf``, ``openvex`` or ``cyclonedx``; ``InputError`` when it is none of them."""
    if isinstance(doc, dict):
        if isinstance(doc.get("document"), dict) and "csaf_version" in doc["document"]:
            return "csaf"
        if "openvex" in str(doc.get("@context", "")):
            return "openvex"
        if doc.get("bomFormat") == "CycloneDX":
            return "cyclonedx"
    raise InputError(
        "not a VEX document: $: expected CSAF (document.csaf_version), OpenVEX (@context) "
        "or CycloneDX (bomFormat)",
        hint="give a CSAF 2.0, OpenVEX or CycloneDX JSON file",
    )


def read_json(path: Path) -> Any:
    """The parsed JSON of a VEX/CSAF/SBOM file, bounded in size and nesting."""
    data = read_file(path, f"cannot read {path}:", max_bytes=MAX_BYTES)
    return load_json(
        data, str(path), hint="give a JSON VEX/CSAF file", max_bytes=MAX_BYTES, max_depth=MAX_DEPTH
    )


def import_vex(doc: Any, *, strict: bool = True) -> list[VexStatement]:
    """Statements of a parsed CSAF, OpenVEX or CycloneDX document (format detected)."""
    fmt = detect_format(doc)
    try:
        if fmt == "csaf":
            return import_csaf(doc, strict=strict)
        if fmt == "openvex":
            return import_openvex(doc)
        return import_cyclonedx_vex(doc)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        # an importer or a library under it tripped over the document (found by fuzzing: a
        # CycloneDX specVersion "1.0" made cyclonedx-python-lib raise ValueError)
        reason = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        raise InputError(
            f"not a readable {fmt} document ({reason})", hint=f"give a valid {fmt} JSON file"
        ) from err


def load_vex(path: Path, *, strict: bool = True) -> list[VexStatement]:
    """Read a file and import it; errors name the file and the offending field's JSON path."""
    doc = read_json(path)
    try:
        return import_vex(doc, strict=strict)
    except InputError as err:
        raise InputError(f"{path.name}: {err.message}", hint=err.hint) from err
