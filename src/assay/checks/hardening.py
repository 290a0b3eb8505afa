"""Exploit mitigations of ELF executables and libraries: NX, PIE, RELRO, stack canary, FORTIFY.

Reads only ELF headers, program headers, the dynamic section and the dynamic string table
(no symbol iteration), so a few hundred files take a fraction of a second.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import BinaryIO

from assay.checks.context import CheckContext, ImageView
from assay.checks.interface import Outcome, failed, not_applicable, passed
from assay.checks.views.elfheaders import (
    DT_BIND_NOW,
    DT_FLAGS,
    DT_FLAGS_1,
    DT_STRSZ,
    DT_STRTAB,
    ET_DYN,
    ET_EXEC,
    PT_GNU_RELRO,
    PT_GNU_STACK,
    PT_INTERP,
    PT_LOAD,
    read_headers,
)
from assay.model.check import Evidence

PF_X = 0x1
DF_BIND_NOW = 0x8
DF_1_NOW = 0x1
DF_1_PIE = 0x08000000
FORTIFIED = re.compile(rb"\0__[a-z0-9_]+_chk\0")
CANARY = (b"\0__stack_chk_fail\0", b"\0__stack_chk_guard\0", b"\0__stack_chk_fail_local\0")
WORST = 10


@dataclass(frozen=True)
class ElfFacts:
    path: str
    size: int
    executable: bool  # a program (ET_EXEC, or ET_DYN with an interpreter), not a library
    nx: bool
    pie: bool
    relro: str  # none | partial | full
    canary: bool
    fortify: bool

    @property
    def missing(self) -> list[str]:
        out = [] if self.nx else ["NX"]
        out += [] if self.pie or not self.executable else ["PIE"]
        out += ["RELRO"] if self.relro == "none" else []
        out += [] if self.canary else ["canary"]
        out += [] if self.fortify else ["FORTIFY"]
        return out


def elf_facts(view: ImageView) -> list[ElfFacts]:
    def compute() -> list[ElfFacts]:
        out = []
        for entry in view.entries:
            if not entry.is_file or entry.size < 52 or entry.path.endswith(".ko"):
                continue
            try:
                with entry.real.open("rb") as fh:
                    if fh.read(4) != b"\x7fELF":
                        continue
                    fh.seek(0)
                    facts = _inspect(entry.path, entry.size, fh)
            except OSError:  # unreadable (e.g. unpacked without permission): not judged
                continue
            if facts is not None:
                out.append(facts)
        return out

    return view.memo("elf", compute)


def _inspect(path: str, size: int, fh: BinaryIO) -> ElfFacts | None:
    try:
        elf = read_headers(fh)
        if elf is None or elf.etype not in (ET_EXEC, ET_DYN):
            return None
        types = {seg.type for seg in elf.segments}
        stack = next((seg for seg in elf.segments if seg.type == PT_GNU_STACK), None)
        nx = stack is not None and not stack.flags & PF_X
        relro = "partial" if PT_GNU_RELRO in types else "none"
        interp = PT_INTERP in types
        loads = [(s.vaddr, s.offset, s.filesz) for s in elf.segments if s.type == PT_LOAD]
        bind_now = pie_flag = False
        strtab_addr = strtab_size = 0
        for d_tag, d_val in elf.dynamic:
            if d_tag == DT_BIND_NOW or (d_tag == DT_FLAGS and d_val & DF_BIND_NOW):
                bind_now = True
            elif d_tag == DT_FLAGS_1:
                bind_now |= bool(d_val & DF_1_NOW)
                pie_flag = bool(d_val & DF_1_PIE)
            elif d_tag == DT_STRTAB:
                strtab_addr = d_val
            elif d_tag == DT_STRSZ:
                strtab_size = d_val
        strtab = _read_strtab(fh, loads, strtab_addr, strtab_size)
    except (ValueError, OSError, struct.error):
        return None
    if relro == "partial" and bind_now:
        relro = "full"
    library = ".so" in path.rsplit("/", 1)[-1]
    executable = not library and (elf.etype == ET_EXEC or interp or pie_flag)
    return ElfFacts(
        path=path,
        size=size,
        executable=executable,
        nx=nx,
        pie=elf.etype == ET_DYN and executable,
        relro=relro,
        canary=any(s in strtab for s in CANARY),
        fortify=FORTIFIED.search(strtab) is not None,
    )


def _read_strtab(fh: BinaryIO, loads: list[tuple[int, int, int]], addr: int, size: int) -> bytes:
    """The dynamic string table, found through DT_STRTAB (works on section-stripped files)."""
    if not addr or not size or size > 4 << 20:
        return b""
    for vaddr, offset, filesz in loads:
        if vaddr <= addr < vaddr + filesz:
            fh.seek(offset + addr - vaddr)
            return b"\0" + fh.read(size) + b"\0"
    return b""


def elf_hardening(ctx: CheckContext) -> Outcome:
    pairs = [(view, f) for view in ctx for f in elf_facts(view)]
    if not pairs:
        return not_applicable("No ELF executables or libraries in the image.")
    facts = [f for _, f in pairs]
    programs = [f for f in facts if f.executable]
    n = len(facts)
    summary = (
        f"{n} ELF files ({len(programs)} programs, {n - len(programs)} libraries): "
        f"NX {sum(f.nx for f in facts)}/{n}, "
        f"PIE {sum(f.pie for f in programs)}/{len(programs)}, "
        f"RELRO {sum(f.relro != 'none' for f in facts)}/{n} "
        f"(full {sum(f.relro == 'full' for f in facts)}), "
        f"canary {sum(f.canary for f in facts)}/{n}, "
        f"FORTIFY {sum(f.fortify for f in facts)}/{n}."
    )
    worst = sorted(pairs, key=lambda p: (-len(p[1].missing), not p[1].executable, -p[1].size))
    evidence: list[Evidence] = [
        view.evidence(f.path, None, "", "missing: " + ", ".join(f.missing))
        for view, f in worst[:WORST]
        if f.missing
    ]
    weak = [f for f in facts if not f.nx or f.relro == "none" or not f.canary]
    weak += [f for f in programs if not f.pie]
    if weak:
        return failed(summary + " Worst offenders listed.", *evidence)
    return passed(summary, *evidence)
