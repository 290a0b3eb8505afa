"""The struct ELF reader gives what pyelftools gives, on real 64-bit programs of this machine
(the corpus tests cover 32-bit ARM and MIPS, both byte orders)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from assay.checks.views.elfheaders import read_headers

PROGRAMS = [Path(sys.executable).resolve(), Path(shutil.which("ls") or "/bin/ls").resolve()]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.name)
def test_same_segments_and_dynamic_tags_as_pyelftools(program: Path) -> None:
    with program.open("rb") as fh:
        ours = read_headers(fh)
        fh.seek(0)
        elf = ELFFile(fh)
        theirs = [
            (s["p_type"], s["p_offset"], s["p_vaddr"], s["p_filesz"]) for s in elf.iter_segments()
        ]
        dynamic = elf.get_section_by_name(".dynamic")
        tags = [(t.entry.d_tag, t.entry.d_val) for t in dynamic.iter_tags()] if dynamic else []
    assert ours is not None
    assert len(ours.segments) == len(theirs)
    assert [(s.offset, s.vaddr, s.filesz) for s in ours.segments] == [t[1:] for t in theirs]
    assert len(ours.dynamic) == len([t for t in tags if t[0] != "DT_NULL"])


def test_not_an_elf(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"#!/bin/sh\n" + b"\0" * 80)
    with path.open("rb") as fh:
        assert read_headers(fh) is None
