"""unblob's ELF handlers with lief only where it could change the outcome: the same chunks
and the same (empty) extraction as unblob's own handlers, on real ELF files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import lief
import pytest
from unblob.file_utils import File
from unblob.handlers.executable import elf

from assay.extract import elf_handlers
from assay.extract.rootfs import RootFS

HOST_ELFS = [Path(p) for p in ("/bin/ls", "/bin/sh", sys.executable) if Path(p).is_file()]


def elf_files(rootfs: RootFS) -> list[Path]:
    found = [
        path
        for path in sorted(rootfs.root.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.read_bytes()[:4] == b"\x7fELF"
    ]
    return found + [p.resolve() for p in HOST_ELFS]


def outcome(handler: Any, path: Path) -> tuple[Any, ...]:
    """The chunk a handler finds at the start of the file, or what it raises."""
    with File.from_path(path) as file:
        try:
            chunk = handler.calculate_chunk(file, 0)
        except Exception as err:  # unblob's finder decides what each error means
            return ("raises", type(err).__name__)
    return ("none",) if chunk is None else (chunk.start_offset, chunk.end_offset)


def test_value_sets_are_lief_s() -> None:
    data = json.loads(
        Path(elf_handlers.__file__).with_name("data").joinpath("lief_elf_enums.json").read_text()
    )
    enums = {
        "Header.FILE_TYPE": lief.ELF.Header.FILE_TYPE,
        "ARCH": lief.ELF.ARCH,
        "Header.VERSION": lief.ELF.Header.VERSION,
        "Section.TYPE": lief.ELF.Section.TYPE,
    }
    for key, enum in enums.items():
        assert data[key] == sorted({m.value for m in enum.__members__.values()}), key
    assert lief.ELF.Header.FILE_TYPE.REL.value == elf_handlers.ET_REL
    assert lief.ELF.Header.FILE_TYPE.EXEC.value == elf_handlers.ET_EXEC
    assert lief.ELF.Section.TYPE.NOBITS.value == elf_handlers.SHT_NOBITS


def test_same_chunks_as_unblob_on_real_elf_files(wr703n_rootfs: RootFS) -> None:
    files = elf_files(wr703n_rootfs)
    assert len(files) > 90  # busybox, libraries, kernel modules of the image, and the host's
    pairs = [
        (elf.ELF32Handler(), elf_handlers.ELF32Handler()),
        (elf.ELF64Handler(), elf_handlers.ELF64Handler()),
    ]
    seen = set()
    for path in files:
        for theirs, ours in pairs:
            expected = outcome(theirs, path)
            assert outcome(ours, path) == expected, path
            seen.add(expected[0] if isinstance(expected[0], str) else "chunk")
    assert seen == {"chunk", "raises"}  # valid ELF files of the right class, and the others


def test_a_whole_file_elf_gives_nothing_without_lief(wr703n_rootfs: RootFS, tmp_path: Path) -> None:
    busybox = wr703n_rootfs.root / "bin" / "busybox"
    assert not elf_handlers._may_need_lief(busybox)
    size = busybox.stat().st_size
    for name, chunk_type in (("theirs", elf.ElfChunk), ("ours", elf_handlers.ElfChunk)):
        chunk = chunk_type(start_offset=0, end_offset=size)
        chunk.file = File.from_path(busybox)
        chunk.extract(busybox, tmp_path / name)
        assert not (tmp_path / name).exists()


def test_kernels_and_upx_go_to_lief(tmp_path: Path) -> None:
    """An executable with a ``.init.data`` section (where a kernel keeps its initramfs), and
    anything mentioning UPX, are left to unblob's own code."""
    if shutil.which("objcopy") is None:
        pytest.skip("objcopy is not installed")
    host = HOST_ELFS[0].resolve()
    (tmp_path / "payload").write_bytes(b"\0" * 64)
    kernel = tmp_path / "vmlinux"
    subprocess.run(
        ["objcopy", f"--add-section=.init.data={tmp_path / 'payload'}", str(host), str(kernel)],
        check=True,
    )
    data = bytearray(kernel.read_bytes())
    assert data[5] == 1  # little-endian host
    data[16:18] = (2).to_bytes(2, "little")  # ET_EXEC, as a vmlinux
    kernel.write_bytes(bytes(data))
    assert elf_handlers._may_need_lief(kernel)
    data[16:18] = (3).to_bytes(2, "little")  # ET_DYN: lief would not call it a kernel
    library = tmp_path / "lib.so"
    library.write_bytes(bytes(data))
    assert not elf_handlers._may_need_lief(library)
    packed = tmp_path / "packed"
    packed.write_bytes(host.read_bytes() + b"UPX!")
    assert elf_handlers._may_need_lief(packed)


def test_unblob_imports_without_lief_until_it_is_needed(wr703n_rootfs: RootFS) -> None:
    busybox = wr703n_rootfs.root / "bin" / "busybox"
    probe = f"""
import sys
from pathlib import Path
from assay.extract import lazy_lief
lazy_lief.defer()
from assay.extract.unblob_adapter import _patched_handlers
from assay.extract import elf_handlers
from unblob.file_utils import File
assert elf_handlers.ELF32Handler in _patched_handlers()
with File.from_path(Path({str(busybox)!r})) as f:
    assert elf_handlers.ELF32Handler().calculate_chunk(f, 0) is not None
assert type(sys.modules["lief"]).__name__ == "_DeferredLief"
assert type(sys.modules["plotext"]).__name__ == "_Deferred"
import unblob.processing
assert callable(unblob.processing.plt.plot)  # the real plotext, on first use
assert type(sys.modules["plotext"]).__name__ == "module"
real = lazy_lief.load()
assert sys.modules["lief"] is real and real.ELF.Header.FILE_TYPE.EXEC.value == 2
import unblob.handlers.executable.elf as e
assert e.lief.ELF is real.ELF and e.lief.logging is real.logging
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.stdout.strip().endswith("\nok"), done.stderr[-2000:]
