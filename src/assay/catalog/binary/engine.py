"""Run every signature over a file in one pass.

Hyperscan scans the bytes once for all patterns of all signatures together (each pattern
reports only its first hit); Python's ``re`` then reads the version out of the patterns
that hit, starting just before that first hit. Without hyperscan the same patterns run
one by one through ``re`` (slower, same results). Results are sorted, so the outcome does
not depend on the order in which hyperscan reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from assay.catalog.binary.signatures import Signature

ELF_MAGIC = b"\x7fELF"
# a pattern's match is assumed to start at most this far before the end of its first hit
MAX_MATCH_SPAN = 4096
MAX_VERSIONS = 8  # distinct versions kept per signature and file
EXCERPT_LIMIT = 160

_hs: Any
try:  # hyperscan is a declared dependency; the fallback keeps a broken install usable
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    _hs = None


@dataclass(frozen=True)
class Hit:
    """One signature seen in one file, with the bytes that show it."""

    signature: Signature
    version: str
    offset: int  # where the evidence starts in the file
    excerpt: str  # the matched bytes, printable, \xNN for the rest


def glob_to_regex(glob: str) -> str:
    """A glob over image paths as a regex: ``**/`` spans directories, ``*`` one segment."""
    body = glob.lstrip("/")
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    return "".join(out)


def render_excerpt(raw: bytes) -> str:
    """Bytes as readable text: printable ASCII as is, everything else as \\xNN."""
    text = "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in raw)
    return text if len(text) <= EXCERPT_LIMIT else text[: EXCERPT_LIMIT - 3] + "..."


class SignatureEngine:
    """All signatures compiled once; ``scan`` reads one file's bytes."""

    def __init__(self, signatures: Sequence[Signature], backend: str = "auto") -> None:
        if backend not in ("auto", "hyperscan", "python"):
            raise ValueError(f"unknown backend {backend!r}")
        self.signatures = tuple(signatures)
        self._globs = [
            re.compile("(?:" + "|".join(map(glob_to_regex, s.files)) + ")") for s in self.signatures
        ]
        file_globs = [
            g for g, s in zip(self._globs, self.signatures, strict=True) if s.formats != "blob"
        ]
        self._any_glob = re.compile("|".join(f"(?:{g.pattern})" for g in file_globs) or "(?!)")
        self._path_version = [
            re.compile(s.path_version) if s.path_version else None for s in self.signatures
        ]
        # every byte regex, numbered: (signature index, is_required_anchor, compiled)
        self._regexes: list[tuple[int, bool, re.Pattern[bytes]]] = []
        for index, sig in enumerate(self.signatures):
            self._regexes += [(index, False, re.compile(p)) for p in sig.patterns]
            self._regexes += [(index, True, re.compile(p)) for p in sig.requires]
        self._db: Any = None
        if backend != "python" and _hs is not None:
            self._db = self._compile_hyperscan()
        elif backend == "hyperscan":
            raise RuntimeError("hyperscan is not installed")
        self.backend = "hyperscan" if self._db is not None else "python"

    def _compile_hyperscan(self) -> Any:
        assert _hs is not None
        hs = _hs
        expressions = [rx.pattern for _, _, rx in self._regexes]
        flags = [hs.HS_FLAG_SINGLEMATCH] * len(expressions)

        def compile_() -> Any:
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            db.compile(
                expressions=expressions,
                ids=list(range(len(expressions))),
                elements=len(expressions),
                flags=flags,
            )
            return db

        from assay.catalog.binary.compiled import cached_database

        return cached_database(hs, expressions, flags, compile_)

    # --- which files ---------------------------------------------------------------------
    def wants_path(self, path: str) -> bool:
        """Whether any signature's globs take this image path."""
        return self._any_glob.fullmatch(path.lstrip("/")) is not None

    def blob_indices(self) -> tuple[int, ...]:
        """Signatures for the bytes of a single-blob image: ``blob`` and ``any`` formats."""
        return tuple(i for i, s in enumerate(self.signatures) if s.formats in ("blob", "any"))

    def applicable(self, path: str) -> tuple[int, ...]:
        """Indices of the signatures whose globs take this image path."""
        rel = path.lstrip("/")
        return tuple(i for i, g in enumerate(self._globs) if g.fullmatch(rel))

    # --- scanning ------------------------------------------------------------------------
    def first_hits(self, data: bytes) -> dict[int, int]:
        """For each regex that occurs in ``data``: the end offset of its first hit."""
        found: dict[int, int] = {}
        if self._db is not None:

            def on_match(rid: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
                if rid not in found or end < found[rid]:
                    found[rid] = end

            self._db.scan(data, match_event_handler=on_match)
            return found
        for rid, (_, _, rx) in enumerate(self._regexes):
            m = rx.search(data)
            if m:
                found[rid] = m.end()
        return found

    def scan(
        self,
        data: bytes,
        path: str,
        only: Iterable[int] | None = None,
        check_format: bool = True,
    ) -> list[Hit]:
        """What the signatures (those whose globs take ``path``, or those at indices ``only``)
        find in one file. ``check_format=False`` skips the ELF-only rule (for snippets)."""
        indices = set(self.applicable(path) if only is None else only)
        if only is None:  # blob signatures run only when asked for (single-blob firmware)
            indices = {i for i in indices if self.signatures[i].formats != "blob"}
        if check_format and not data.startswith(ELF_MAGIC):
            indices = {i for i in indices if self.signatures[i].formats != "elf"}
        if not indices:
            return []
        first = self.first_hits(data)
        anchors_ok = dict.fromkeys(indices, True)
        hits_by_sig: dict[int, list[tuple[int, str, str]]] = {i: [] for i in indices}
        for rid, (index, required, _) in enumerate(self._regexes):
            if index in indices and required and rid not in first:
                anchors_ok[index] = False
        for rid in sorted(first):
            index, required, rx = self._regexes[rid]
            if index not in indices or required or not anchors_ok[index]:
                continue
            start = max(0, first[rid] - MAX_MATCH_SPAN)
            for m in rx.finditer(data, start):
                version = self._version_of(index, m, path)
                if version is not None:
                    hits_by_sig[index].append((m.start(), version, render_excerpt(m.group(0))))
                if len(hits_by_sig[index]) >= 64:
                    break
        return self._collect(hits_by_sig)

    def _version_of(self, index: int, m: re.Match[bytes], path: str) -> str | None:
        """The version a hit shows; "" for a presence signature; None: not a hit."""
        path_rx = self._path_version[index]
        if path_rx is not None:
            pm = path_rx.search(path)
            return pm.group("version") if pm else None
        if self.signatures[index].presence:
            return ""
        return m.group("version").decode("latin-1") or None

    def _collect(self, hits_by_sig: dict[int, list[tuple[int, str, str]]]) -> list[Hit]:
        out: list[Hit] = []
        for index in sorted(hits_by_sig):
            seen: set[str] = set()
            for offset, version, excerpt in sorted(hits_by_sig[index]):
                if version in seen or len(seen) >= MAX_VERSIONS:
                    continue
                seen.add(version)
                out.append(Hit(self.signatures[index], version, offset, excerpt))
        return out
