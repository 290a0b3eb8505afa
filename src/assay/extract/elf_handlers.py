"""unblob's ELF handlers, with lief loaded only when it could change what they do.

Importing lief costs about half a second of CPU (its bindings build some 70,000 enum
members), and a fresh extraction worker paid it for every image, although on the ELF files of
a root filesystem lief changes nothing: unblob's ELF handler uses it to check header fields
against lief's enums, and, when it extracts, to look for a kernel's initramfs (a ``.init.data``
section in an executable) or UPX packing. Here the header checks use the same value sets
(``data/lief_elf_enums.json``, generated from the pinned lief; a test keeps them equal), and a
whole-file ELF chunk where neither ``UPX!`` nor, in an executable, ``.init.data`` occurs is
known to give nothing without being parsed. Anything else goes to unblob's own code, with lief.

For lief not to be imported with unblob at all, ``assay.extract.lazy_lief.defer()`` runs first.
"""

from __future__ import annotations

import io
import json
import mmap
import struct
from pathlib import Path
from typing import Any

from unblob.file_utils import File
from unblob.handlers.executable import elf

_DATA = json.loads((Path(__file__).parent / "data" / "lief_elf_enums.json").read_text())
FILE_TYPES = frozenset(_DATA["Header.FILE_TYPE"])
ARCHES = frozenset(_DATA["ARCH"])
VERSIONS = frozenset(_DATA["Header.VERSION"])
SECTION_TYPES = frozenset(_DATA["Section.TYPE"])
ET_REL, ET_EXEC, SHT_NOBITS = 1, 2, 8  # lief's FILE_TYPE.REL, FILE_TYPE.EXEC, Section.TYPE.NOBITS


class ElfChunk(elf.ElfChunk):
    """unblob's ELF chunk; a whole file lief would find nothing in is not parsed."""

    def extract(self, inpath: Path, outdir: Path) -> Any:
        if self.is_whole_file and not _may_need_lief(inpath):
            # not a kernel with an initramfs, not UPX-packed: what unblob does then is read
            # the UPX trailer (whose errors it reports) and leave the file as it is
            self.is_valid_upx(inpath, elf=None)
            return None
        return super().extract(inpath, outdir)


class _Checks(elf._ELFBase):
    """The header and section checks of unblob's ``_ELFBase``, with lief's value sets."""

    def is_valid_header(self, header: Any) -> bool:
        return (
            header.e_type in FILE_TYPES
            and header.e_machine in ARCHES
            and header.e_version in VERSIONS
        )

    def get_last_section_end(
        self, file: File, sections_start_offset: int, sections_num: int, endian: Any
    ) -> int:
        last_section_end = 0
        file.seek(sections_start_offset)
        for _ in range(sections_num):
            section = self._struct_parser.parse(self.SECTION_HEADER_STRUCT, file, endian)
            if section.sh_type not in SECTION_TYPES or section.sh_type == SHT_NOBITS:
                continue
            last_section_end = max(section.sh_offset + section.sh_size, last_section_end)
        return last_section_end

    def calculate_chunk(self, file: File, start_offset: int) -> ElfChunk | None:
        endian = self.get_endianness(file, start_offset)
        file.seek(start_offset, io.SEEK_SET)
        header = self.parse_header(file, endian)
        if not self.is_valid_header(header):
            return None
        qnx_marker_pos = start_offset + elf.QNX_IFS_MARKER_OFFSET
        if file[qnx_marker_pos : qnx_marker_pos + 4] == elf.QNX_IFS_MARKER:
            return None
        end_offset = self.get_end_offset(file, start_offset, header, endian)
        if header.e_type == ET_REL:  # kernel modules are always relocatable
            end_offset = self.get_signed_kernel_module_end_offset(file, end_offset)
        if self.is_upx(file=file, start_offset=start_offset, end_offset=end_offset):
            end_offset = self.get_upx_end_offset(file, start_offset, end_offset)
        return ElfChunk(start_offset=start_offset, end_offset=end_offset)


class ELF32Handler(_Checks, elf.ELF32Handler):
    pass


class ELF64Handler(_Checks, elf.ELF64Handler):
    pass


REPLACED = {elf.ELF32Handler: ELF32Handler, elf.ELF64Handler: ELF64Handler}


def _may_need_lief(path: Path) -> bool:
    """Whether lief could find a kernel's initramfs section or UPX packing in the file."""
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data.find(b"UPX!") >= 0 or len(data) < 18 or data[5] not in (1, 2):
                return True
            e_type = struct.unpack_from("<H" if data[5] == 1 else ">H", data, 16)[0]
            return bool(e_type == ET_EXEC and data.find(b".init.data") >= 0)
    except (OSError, ValueError):
        return True  # unblob's own code meets (and reports) whatever this is
