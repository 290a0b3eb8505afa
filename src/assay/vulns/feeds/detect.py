"""Find feed documents in a path and recognise each by its content, not its name.

A path is a file (plain, ``.gz``, ``.xz`` or ``.bz2`` — recognised by magic bytes), a folder
(walked, sorted), or an archive (tar of any compression, or zip) whose members are read in
order. A document that cannot be decoded raises ``FeedError``: the import it belongs to is
abandoned and the store is left as it was.

Decompression is a stream read in chunks under two bounds (``Budget``): one document may not
exceed ``MAX_DOCUMENT`` bytes, and a file may not decompress to more than ``MAX_RATIO`` times
its size on disk once past ``RATIO_FLOOR`` (real feeds compress 5 to 40 times; a gzip of
zeros 1000 times), so a compression bomb fails after 64 MiB, not after the memory is gone.
JSON nesting is bounded by orjson (1024 levels), YAML by ``assay.safeload``.

Inside folders and archives, files that are not feeds (``README``, ``LICENSE``, ``.meta``...)
are passed over; a single file given by the user must be a feed.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

from assay.errors import FeedError
from assay.safeload import load_json, load_yaml
from assay.vulns.feeds import cve5, epss, kev, nvd, osv, override, snapshot
from assay.vulns.records import FeedInfo, Item

FEED_SUFFIXES = (".json", ".yaml", ".yml", ".csv")
MAX_DOCUMENT = 1 << 30  # decompressed bytes of one feed document
MAX_RATIO = 200  # decompressed bytes per byte on disk, per file
RATIO_FLOOR = 64 << 20  # the ratio is checked once this much has been decompressed
MAX_MEMBERS = 2_000_000  # archive members (the full CVE list is about 300,000 files)
MAX_YAML = 16 << 20  # an OSV YAML record is a few kilobytes
_CHUNK = 1 << 20
_DECODE_ERRORS = (
    OSError,
    EOFError,
    lzma.LZMAError,
    zlib.error,
    tarfile.TarError,
    zipfile.BadZipFile,
    UnicodeDecodeError,
    ValueError,
)
_HINT = "check the file is complete (download it again) and is a supported feed"


@dataclass
class Document:
    """One feed document and the items it holds (read lazily, once)."""

    info: FeedInfo
    items: Iterator[Item]


class _Counted(io.RawIOBase):
    """A raw file that counts the bytes read from it: the compressed side of a stream."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return int(n or 0)


class Budget:
    """Bytes decompressed from one file (or zip member), checked chunk by chunk against the
    document cap and against the compressed bytes consumed so far."""

    def __init__(self, compressed: Callable[[], int]) -> None:
        self.compressed = compressed
        self.total = 0

    def read(self, fh: IO[bytes], label: str, declared: int = 0) -> bytearray:
        """All of ``fh`` (one document), refused as soon as a bound is passed."""
        if declared > MAX_DOCUMENT:
            raise _too_big(label)
        data = bytearray()
        while chunk := fh.read(_CHUNK):
            data += chunk
            self.total += len(chunk)
            if len(data) > MAX_DOCUMENT:
                raise _too_big(label)
            if self.total > RATIO_FLOOR and self.total > MAX_RATIO * max(self.compressed(), 1):
                raise FeedError(
                    f"{label}: decompresses to more than {MAX_RATIO} times its compressed size "
                    "(refused as a likely compression bomb)",
                    "real feeds compress far less; download the feed again from its source",
                )
        return data


def _too_big(label: str) -> FeedError:
    return FeedError(
        f"{label}: one document is larger than {MAX_DOCUMENT >> 20} MiB (refused)",
        "split the feed (NVD and CVE 5 publish per-year files) and import the parts",
    )


@contextmanager
def _stream(path: Path) -> Iterator[tuple[IO[bytes], _Counted]]:
    """The decompressed content of ``path`` and the counter of its compressed bytes."""
    with path.open("rb") as raw:
        counted = _Counted(raw)
        source = cast(IO[bytes], counted)
        magic = raw.peek(6)[:6]
        stream: io.BufferedIOBase
        if magic[:2] == b"\x1f\x8b":
            stream = gzip.GzipFile(fileobj=source, mode="rb")
        elif magic == b"\xfd7zXZ\x00":
            stream = lzma.LZMAFile(source)  # noqa: SIM115 (closed below)
        elif magic[:3] == b"BZh":
            stream = bz2.BZ2File(source)
        else:
            stream = io.BufferedReader(counted)
        with stream:
            yield cast(IO[bytes], stream), counted


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
    if not path.is_file():
        raise FeedError(f"{path}: not a regular file", "give the path of a feed file or folder")
    yield from _read_file(path, strict=True)


def _read_file(path: Path, strict: bool) -> Iterator[Document]:
    name = str(path)
    try:
        if zipfile.is_zipfile(path):
            yield from _read_zip(path)
            return
        with _stream(path) as (fh, _counted):
            head = fh.read(1024)
        if len(head) >= 262 and head[257:262] == b"ustar":
            yield from _read_tar(path)
            return
        with _stream(path) as (fh, counted):
            data = Budget(lambda: counted.count).read(fh, name)
    except _DECODE_ERRORS as exc:
        raise FeedError(f"{name}: cannot be read ({_short(exc)})", _HINT) from exc
    doc = _document(name, data, strict=strict)
    if doc:
        yield doc


def _read_zip(path: Path) -> Iterator[Document]:
    with zipfile.ZipFile(path) as zf:
        members = sorted(zf.infolist(), key=lambda i: i.filename)
        if len(members) > MAX_MEMBERS:
            raise FeedError(f"{path}: more than {MAX_MEMBERS} archive members", _HINT)
        for member in members:
            if member.is_dir() or not member.filename.lower().endswith(FEED_SUFFIXES):
                continue
            label = f"{path}!{member.filename}"
            budget = Budget(partial(int, member.compress_size))  # the declared size suffices:
            with zf.open(member) as fh:  # zipfile reads no more than it
                data = budget.read(fh, label, member.file_size)
            doc = _document(label, data, strict=False)
            if doc:
                yield doc


def _read_tar(path: Path) -> Iterator[Document]:
    with _stream(path) as (fh, counted), tarfile.open(fileobj=fh, mode="r|") as tf:
        budget = Budget(lambda: counted.count)
        count = 0
        while (info := tf.next()) is not None:
            count += 1
            if count > MAX_MEMBERS:
                raise FeedError(f"{path}: more than {MAX_MEMBERS} archive members", _HINT)
            tf.members.clear()  # type: ignore[attr-defined]  # tarfile keeps all it has seen
            if not info.isfile() or not info.name.lower().endswith(FEED_SUFFIXES):
                continue
            extracted = tf.extractfile(info)
            if extracted is None:
                continue
            label = f"{path}!{info.name}"
            doc = _document(label, budget.read(extracted, label, info.size), strict=False)
            if doc:
                yield doc


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _document(name: str, data: bytes | bytearray, strict: bool) -> Document | None:
    """Recognise one document; ``None`` for a non-feed file inside a folder or archive."""
    info = FeedInfo(name=name)
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    first = data[start : start + 4096].lstrip()[:1]
    if first in (b"{", b"["):
        try:
            parsed: Any = load_json(
                memoryview(data)[start:], name, error=FeedError, hint=_HINT,
                max_bytes=MAX_DOCUMENT, max_depth=None,
            )  # fmt: skip
        except MemoryError:
            raise FeedError(f"{name}: too large to parse in the memory available", _HINT) from None
        del data
        items = _json_items(parsed, info)
        return _found(name, items, info, strict)
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedError(f"{name}: is not UTF-8 text ({_short(exc)})", _HINT) from exc
    stripped = text.lstrip()
    line = stripped.split("\n", 1)[0]
    if epss.looks_like_epss(line):
        items = epss.read(text, info)
    elif line.startswith(kev.CSV_HEADER):
        items = kev.read_csv(text, info)
    else:
        try:
            parsed = load_yaml(text, name, error=FeedError, hint=_HINT, max_bytes=MAX_YAML)
        except FeedError:
            if not strict:
                return None
            raise
        items = _json_items(parsed, info)
    return _found(name, items, info, strict)


def _found(
    name: str, items: Iterator[Item] | None, info: FeedInfo, strict: bool
) -> Document | None:
    if items is None:
        if strict:
            raise FeedError(
                f"{name}: not a recognised feed",
                "supported: NVD API 2.0 JSON, CVE JSON 5, OSV JSON/YAML, CISA KEV JSON/CSV, "
                "FIRST EPSS CSV",
            )
        return None
    return Document(info, _guarded(name, items))


def _guarded(name: str, items: Iterator[Item]) -> Iterator[Item]:
    """The items of one document; a reader that trips over a malformed *document* (rather
    than a record, which it skips) ends the import with one line, not a traceback."""
    try:
        yield from items
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise FeedError(f"{name}: malformed feed document ({_short(exc)})", _HINT) from exc


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
