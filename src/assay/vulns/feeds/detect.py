"""Find feed documents in a path and recognise each by its content, not its name.

A path is a file (plain, ``.gz``, ``.xz`` or ``.bz2`` — recognised by magic bytes), a folder
(walked, sorted), or an archive (tar of any compression, or zip) whose members are read in
order. A document that cannot be decoded raises ``FeedError``: the import it belongs to is
abandoned and the store is left as it was. Inside folders and archives, files that are not
feeds (``README``, ``LICENSE``, ``.meta``...) are passed over; a single file given by the user
must be a feed.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from assay.errors import FeedError
from assay.vulns.feeds import cve5, epss, kev, nvd, osv, override, snapshot
from assay.vulns.records import FeedInfo, Item

FEED_SUFFIXES = (".json", ".yaml", ".yml", ".csv")
_DECODE_ERRORS = (
    OSError,
    EOFError,
    lzma.LZMAError,
    zlib.error,
    tarfile.TarError,
    zipfile.BadZipFile,
    UnicodeDecodeError,
    ValueError,
    yaml.YAMLError,
)
_HINT = "check the file is complete (download it again) and is a supported feed"


@dataclass
class Document:
    """One feed document and the items it holds (read lazily, once)."""

    info: FeedInfo
    items: Iterator[Item]


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as fh:
        magic = fh.read(6)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if magic == b"\xfd7zXZ\x00":
        return lzma.open(path, "rb")
    if magic[:3] == b"BZh":
        return bz2.open(path, "rb")
    return path.open("rb")


def _inner_name(name: str) -> str:
    for suffix in (".gz", ".xz", ".bz2"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def read_path(path: Path) -> Iterator[Document]:
    """Every feed document under ``path`` (raises ``FeedError`` if one is unreadable)."""
    if not path.exists():
        raise FeedError(f"{path}: no such file or folder", "give the path of a feed file")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            inner = _inner_name(file.name.lower())
            if (
                inner.endswith(FEED_SUFFIXES)
                or inner.endswith((".tar", ".zip"))
                or (file.name.lower().endswith((".tgz", ".txz")))
            ):
                yield from _read_file(file, strict=False)
        return
    yield from _read_file(path, strict=True)


def _read_file(path: Path, strict: bool) -> Iterator[Document]:
    name = str(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for member in sorted(zf.namelist()):
                    if member.endswith("/") or not member.lower().endswith(FEED_SUFFIXES):
                        continue
                    doc = _document(f"{name}!{member}", zf.read(member), strict=False)
                    if doc:
                        yield doc
            return
        with _open(path) as fh:
            head = fh.read(1024)
        if len(head) >= 262 and head[257:262] == b"ustar":
            with tarfile.open(path, "r:*") as tf:
                for info in tf:
                    if not info.isfile() or not info.name.lower().endswith(FEED_SUFFIXES):
                        continue
                    extracted = tf.extractfile(info)
                    if extracted is None:
                        continue
                    doc = _document(f"{name}!{info.name}", extracted.read(), strict=False)
                    if doc:
                        yield doc
            return
        with _open(path) as fh:
            data = fh.read()
    except _DECODE_ERRORS as exc:
        raise FeedError(f"{name}: cannot be read ({_short(exc)})", _HINT) from exc
    doc = _document(name, data, strict=strict)
    if doc:
        yield doc


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _document(name: str, data: bytes, strict: bool) -> Document | None:
    """Recognise one document; ``None`` for a non-feed file inside a folder or archive."""
    info = FeedInfo(name=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedError(f"{name}: is not UTF-8 text ({_short(exc)})", _HINT) from exc
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            parsed: Any = orjson.loads(text)
        except ValueError as exc:
            raise FeedError(f"{name}: broken JSON ({_short(exc)})", _HINT) from exc
        items = _json_items(parsed, info)
    else:
        first = stripped.split("\n", 1)[0]
        if epss.looks_like_epss(first):
            items = epss.read(text, info)
        elif first.startswith(kev.CSV_HEADER):
            items = kev.read_csv(text, info)
        else:
            try:
                parsed = yaml.safe_load(text) if stripped else None
            except yaml.YAMLError as exc:
                if not strict:
                    return None
                raise FeedError(f"{name}: not a recognised feed ({_short(exc)})", _HINT) from exc
            items = _json_items(parsed, info)
    if items is None:
        if strict:
            raise FeedError(
                f"{name}: not a recognised feed",
                "supported: NVD API 2.0 JSON, CVE JSON 5, OSV JSON/YAML, CISA KEV JSON/CSV, "
                "FIRST EPSS CSV",
            )
        return None
    return Document(info, items)


def _json_items(parsed: Any, info: FeedInfo) -> Iterator[Item] | None:
    if nvd.is_nvd(parsed):
        return nvd.read(parsed, info)
    if kev.is_kev(parsed):
        return kev.read_json(parsed, info)
    if cve5.is_cve5(parsed):
        return cve5.read(parsed, info)
    if override.is_override(parsed):
        return override.read(parsed, info)
    if snapshot.is_snapshot(parsed):
        return snapshot.read(parsed, info)
    if osv.is_osv(parsed) or (
        isinstance(parsed, list) and parsed and all(osv.is_osv(r) for r in parsed)
    ):
        return osv.read(parsed, info)
    return None


def open_text(path: Path) -> IO[str]:
    """A text stream over a possibly compressed file."""
    return io.TextIOWrapper(_open(path), encoding="utf-8")
