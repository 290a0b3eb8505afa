"""The few ELF facts the hardening check needs, read with ``struct`` from the ELF header, the
program headers and the dynamic segment (pyelftools parses the same fields ~20 times slower,
which on a vendor image of 400 programs was seconds)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
PT_GNU_STACK, PT_GNU_RELRO = 0x6474E551, 0x6474E552
DT_NULL, DT_STRTAB, DT_STRSZ, DT_BIND_NOW, DT_FLAGS, DT_FLAGS_1 = 0, 5, 10, 24, 30, 0x6FFFFFFB
ET_EXEC, ET_DYN = 2, 3
MAX_DYNAMIC = 1 << 16


@dataclass(frozen=True)
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int


@dataclass(frozen=True)
class ElfHeaders:
    etype: int  # ET_EXEC, ET_DYN, ...
    segments: tuple[Segment, ...]
    dynamic: tuple[tuple[int, int], ...]  # (d_tag, d_val)


def read_headers(fh: BinaryIO) -> ElfHeaders | None:
    """ELF type, program headers and dynamic entries; None when the file is not a sane ELF."""
    ident = fh.read(64)
    if (
        len(ident) < 52
        or ident[:4] != b"\x7fELF"
        or ident[4] not in (1, 2)
        or ident[5] not in (1, 2)
    ):
        return None
    wide = ident[4] == 2
    end = "<" if ident[5] == 1 else ">"
    etype = struct.unpack_from(end + "H", ident, 16)[0]
    if wide:
        (phoff,) = struct.unpack_from(end + "Q", ident, 32)
        phentsize, phnum = struct.unpack_from(end + "HH", ident, 54)
        layout, size = end + "IIQQQQQQ", 56
    else:
        (phoff,) = struct.unpack_from(end + "I", ident, 28)
        phentsize, phnum = struct.unpack_from(end + "HH", ident, 42)
        layout, size = end + "IIIIIIII", 32
    if phentsize < size or phnum > 256:
        return None
    fh.seek(phoff)
    table = fh.read(phentsize * phnum)
    if len(table) < phentsize * phnum:
        return None
    segments = []
    for i in range(phnum):
        f = struct.unpack_from(layout, table, i * phentsize)
        if wide:  # type, flags, offset, vaddr, paddr, filesz, memsz, align
            segments.append(Segment(f[0], f[1], f[2], f[3], f[5]))
        else:  # type, offset, vaddr, paddr, filesz, memsz, flags, align
            segments.append(Segment(f[0], f[6], f[1], f[2], f[4]))
    return ElfHeaders(etype, tuple(segments), _dynamic(fh, segments, wide, end))


def _dynamic(
    fh: BinaryIO, segments: list[Segment], wide: bool, end: str
) -> tuple[tuple[int, int], ...]:
    dyn = next((s for s in segments if s.type == PT_DYNAMIC), None)
    if dyn is None or not 0 < dyn.filesz <= MAX_DYNAMIC:
        return ()
    fh.seek(dyn.offset)
    data = fh.read(dyn.filesz)
    entry = end + ("qQ" if wide else "iI")
    step = struct.calcsize(entry)
    out = []
    for offset in range(0, len(data) - step + 1, step):
        tag, value = struct.unpack_from(entry, data, offset)
        if tag == DT_NULL:
            break
        out.append((tag, value))
    return tuple(out)
