"""Binary version signatures: loaded from data, checked once, used by the engine.

The signatures live in ``signatures.yaml`` beside this module (see its header for the
fields). Loading checks every entry and raises ``InputError`` naming the entry and the
field at fault, so a broken signature file (ours or a user's) never half-loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assay.catalog.ids import cpe_escape, purl_with_version
from assay.errors import InputError
from assay.safeload import packaged_yaml

DEFAULT_SIGNATURES = Path(__file__).with_name("signatures.yaml")
COMPONENT_TYPES = ("application", "library", "operating-system", "firmware")
FORMATS = ("elf", "any", "blob")  # blob: only single-blob firmware (see extract/blob.py)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CPE = re.compile(r"^cpe:2\.3:[aoh]:[^:{}]+:[^:{}]+:\{version\}:(?:\*|\{update\})(?::\*){6}$")


@dataclass(frozen=True)
class Signature:
    """One product's byte signature and how to name what it finds."""

    id: str
    product: str
    name: str
    type: str
    files: tuple[str, ...]
    patterns: tuple[bytes, ...]
    purl: str
    cpe: str
    requires: tuple[bytes, ...] = ()
    path_version: str = ""
    formats: str = "elf"
    presence: bool = False  # patterns show the product, not its version (version "")
    inside: bool = False  # a library linked statically into the program it is found in
    basis: str = ""  # how sure a hit is, when the default for its kind does not say it
    cpe_split: str = ""
    nvd_note: str = ""
    source: str = ""

    @property
    def nvd_name(self) -> str:
        """The NVD ``vendor:product`` this signature names."""
        return ":".join(self.cpe.split(":")[3:5])

    def purl_for(self, version: str) -> str:
        return purl_with_version(self.purl, version)

    def cpe_for(self, version: str) -> str:
        """The CPE 2.3 string for a version, split into version/update as NVD writes it."""
        update = "*"
        if self.cpe_split:
            m = re.match(self.cpe_split, version)
            if m:
                version = m.group("version")
                update = (m.group("update") or "*").lower()
        return self.cpe.replace("{version}", cpe_escape(version)).replace(
            "{update}", cpe_escape(update) if update != "*" else "*"
        )


def load_signatures(path: Path | None = None) -> list[Signature]:
    """Read and check a signature file (default: the bundled one), in file order."""
    source = path or DEFAULT_SIGNATURES
    try:
        raw = packaged_yaml(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            f"cannot read signature file {source}: {exc.strerror}",
            hint="give the path of a readable signatures YAML file",
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(
            f"signature file {source} is not valid YAML: {str(exc).splitlines()[0]}",
            hint="fix the YAML syntax (see the header of the bundled signatures.yaml)",
        ) from exc
    if not isinstance(raw, list) or not raw:
        raise InputError(
            f"signature file {source} holds no list of signatures",
            hint="the file must be a YAML list of entries with id, files, patterns, purl, cpe",
        )
    signatures: list[Signature] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        sig = _parse_entry(entry, index, source)
        if sig.id in seen:
            raise InputError(
                f"signature file {source}: id {sig.id!r} is used twice",
                hint="give every signature its own id",
            )
        seen.add(sig.id)
        signatures.append(sig)
    return signatures


def _parse_entry(entry: Any, index: int, source: Path) -> Signature:
    where = f"signature file {source}, entry {index + 1}"
    if not isinstance(entry, dict):
        raise InputError(f"{where} is not a mapping", hint="each entry needs id, files, patterns")
    sid = entry.get("id")
    if isinstance(sid, str):
        where = f"{where} ({sid})"

    def bad(field: str, what: str) -> InputError:
        return InputError(f"{where}: field {field!r} {what}", hint="see signatures.yaml header")

    def text(field: str, required: bool = True) -> str:
        value = entry.get(field, "")
        if not isinstance(value, str) or (required and not value):
            raise bad(field, "must be a non-empty string" if required else "must be a string")
        return value

    def strings(field: str, required: bool = True) -> tuple[str, ...]:
        value = entry.get(field, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad(field, "must be a list of non-empty strings")
        if required and not value:
            raise bad(field, "must not be empty")
        return tuple(value)

    sig_id = text("id")
    if not _ID.match(sig_id):
        raise bad("id", "must be kebab-case (a-z, 0-9, -)")
    kind = text("type")
    if kind not in COMPONENT_TYPES:
        raise bad("type", f"must be one of {', '.join(COMPONENT_TYPES)}")
    formats = text("formats", required=False) or "elf"
    if formats not in FORMATS:
        raise bad("formats", f"must be one of {', '.join(FORMATS)}")
    path_version = text("path_version", required=False)
    presence, inside = entry.get("presence", False), entry.get("inside", False)
    if not isinstance(presence, bool) or not isinstance(inside, bool):
        raise bad("presence" if not isinstance(presence, bool) else "inside", "must be a boolean")
    patterns = tuple(
        _compile(p, bad, "patterns", need_version=not (path_version or presence))
        for p in strings("patterns")
    )
    requires = tuple(
        _compile(p, bad, "requires", need_version=False) for p in strings("requires", False)
    )
    if path_version:
        _check_regex(path_version, bad, "path_version", "version")
    cpe = text("cpe")
    if not _CPE.match(cpe):
        raise bad("cpe", "must look like cpe:2.3:a:vendor:product:{version}:*:*:*:*:*:*:*")
    cpe_split = text("cpe_split", required=False)
    if cpe_split:
        _check_regex(cpe_split, bad, "cpe_split", "version", "update")
    purl = text("purl")
    if not purl.startswith("pkg:") or "{version}" not in purl:
        raise bad("purl", "must be a PURL template containing {version}")
    return Signature(
        id=sig_id,
        product=text("product"),
        name=text("name"),
        type=kind,
        files=strings("files"),
        patterns=patterns,
        purl=purl,
        cpe=cpe,
        requires=requires,
        path_version=path_version,
        formats=formats,
        presence=presence,
        inside=inside,
        basis=text("basis", required=False),
        cpe_split=cpe_split,
        nvd_note=text("nvd_note", required=False),
        source=text("source", required=False),
    )


def _compile(pattern: str, bad: Any, field: str, need_version: bool) -> bytes:
    try:
        raw = pattern.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise bad(field, "must use only latin-1 characters (write other bytes as \\xNN)") from exc
    _check_regex(raw, bad, field, *(("version",) if need_version else ()))
    return raw


def _check_regex(pattern: str | bytes, bad: Any, field: str, *groups: str) -> None:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise bad(field, f"is not a valid regular expression ({exc})") from exc
    missing = [g for g in groups if g not in compiled.groupindex]
    if missing:
        raise bad(field, f"needs the named group(s) {', '.join(missing)}")
