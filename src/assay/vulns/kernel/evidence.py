"""What an image shows about the Linux kernel it runs: CPU architecture, modules, symbols,
source files built in, and the build configuration when the image carries it.

* architecture: the ELF header (``e_machine``) of the kernel modules (built for the kernel
  itself), else of the programs in the root filesystem, else of an ELF kernel image;
* modules: every ``*.ko`` under ``/lib/modules`` and the names in ``modules.builtin``;
* symbols: identifiers in the kernel image's strings (exported symbol names, function names
  kept for messages) and in the modules' symbol tables;
* source files: the ``drivers/.../x.c`` paths a kernel keeps for its BUG/WARN messages — a
  file named there is compiled in;
* configuration: ``CONFIG_*`` lines of an embedded ``.config`` (``IKCFG_ST``) or of
  ``/boot/config-*`` / ``/proc/config.gz`` copies in the image.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from assay.extract.rootfs import RootFS

# e_machine -> the name of the kernel's arch/ directory
MACHINES = {
    "EM_MIPS": "mips",
    "EM_MIPS_RS3_LE": "mips",
    "EM_ARM": "arm",
    "EM_AARCH64": "arm64",
    "EM_386": "x86",
    "EM_X86_64": "x86",
    "EM_PPC": "powerpc",
    "EM_PPC64": "powerpc",
    "EM_S390": "s390",
    "EM_SPARC": "sparc",
    "EM_SPARCV9": "sparc",
    "EM_IA_64": "ia64",
    "EM_SH": "sh",
    "EM_PARISC": "parisc",
    "EM_RISCV": "riscv",
    "EM_XTENSA": "xtensa",
    "EM_ARC_COMPACT": "arc",
    "EM_ARC_COMPACT2": "arc",
    "EM_68K": "m68k",
    "EM_MICROBLAZE": "microblaze",
    "EM_NIOS32": "nios2",
    "EM_ALPHA": "alpha",
}
_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]{2,63}")
# the lookahead (the first letters of the folders) is implied by the folders; it only spares
# the lookbehind at most of a kernel image's bytes (0.09 -> 0.03 s on the WR703N's 2.9 MB)
_SOURCE = re.compile(
    rb"(?=[abcdfiklmnsv])(?<![\w/.-])"
    rb"((?:arch|block|crypto|drivers|fs|init|ipc|kernel|lib|mm|net|security|sound|virt)"
    rb"/[\w./+-]{1,120}\.[ch])(?![\w/])"
)
_CONFIG = re.compile(r"^(CONFIG_\w+)=(.*)$|^# (CONFIG_\w+) is not set$", re.M)
SCAN_LIMIT = 64 * 1024 * 1024
ELF_SAMPLES = ("/bin/busybox", "/sbin/init", "/bin/sh", "/lib/libc.so.0", "/lib/libc.so.6")


@dataclass(frozen=True)
class KernelEvidence:
    """What was seen; every fact keeps where it came from."""

    arch: str = ""  # the kernel's arch/ directory name: mips, arm, arm64, x86...
    arch_basis: str = ""
    modules: frozenset[str] = frozenset()  # module names, "-" written as "_"
    modules_basis: str = ""
    symbols: frozenset[str] = frozenset()
    symbols_basis: tuple[str, ...] = ()
    sources: frozenset[str] = frozenset()  # source files the kernel image names
    config: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    config_basis: str = ""

    @property
    def has_code_evidence(self) -> bool:
        """Whether the image showed what its kernel contains (else nothing can be ruled out)."""
        return bool(self.symbols) and bool(self.modules_basis or self.config)

    def summary(self) -> dict[str, Any]:
        """What ``assessment.json`` keeps (``facts.kernel_evidence``): counts to read, and
        under ``detail`` the symbols, source files and configuration themselves, so that a
        later re-audit (which has the assessment, not the image) decides new kernel CVEs on
        the same evidence as the scan."""
        return {
            "arch": self.arch,
            "arch_basis": self.arch_basis,
            "modules": sorted(self.modules),
            "modules_basis": self.modules_basis,
            "symbols": len(self.symbols),
            "symbols_basis": list(self.symbols_basis),
            "source_files": len(self.sources),
            "config_options": len(self.config),
            "config_basis": self.config_basis,
            "detail": {
                "symbols": sorted(self.symbols),
                "source_files": sorted(self.sources),
                "config": dict(sorted(self.config.items())),
            },
        }

    @classmethod
    def from_summary(cls, data: Any) -> KernelEvidence | None:
        """The evidence back from ``summary()`` (None when ``data`` holds none). A summary
        written without ``detail`` gives the architecture and the modules only: code
        evidence is then missing, so nothing is ruled out for want of a symbol."""
        if not isinstance(data, dict) or not any(data.get(k) for k in ("arch", "modules")):
            return None
        found = data.get("detail")
        detail: dict[str, Any] = found if isinstance(found, dict) else {}

        def texts(value: Any) -> frozenset[str]:
            return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()

        config = detail.get("config")
        return cls(
            arch=str(data.get("arch") or ""),
            arch_basis=str(data.get("arch_basis") or ""),
            modules=texts(data.get("modules")),
            modules_basis=str(data.get("modules_basis") or ""),
            symbols=texts(detail.get("symbols")),
            symbols_basis=tuple(str(b) for b in data.get("symbols_basis") or ()),
            sources=texts(detail.get("source_files")),
            config={str(k): str(v) for k, v in config.items()} if isinstance(config, dict) else {},
            config_basis=str(data.get("config_basis") or ""),
        )

    def digest(self) -> str:
        """A short fingerprint: equal evidence, equal digest (inventories share it)."""
        text = json.dumps(self.summary(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def module_name(filename: str) -> str:
    return Path(filename).name.removesuffix(".ko").replace("-", "_").lower()


def _elf_machine(data: bytes) -> tuple[str, str]:
    try:
        elf = ELFFile(io.BytesIO(data))
    except (ELFError, ValueError, OSError):
        return "", ""
    machine = str(elf.header["e_machine"])
    endian = "little-endian" if elf.little_endian else "big-endian"
    return MACHINES.get(machine, ""), f"{machine}, {endian}"


def _elf_symbols(data: bytes) -> set[str]:
    """Names of the symbols of an ELF file: the string tables that its symbol tables link to,
    read with ``struct`` (pyelftools, which decodes every symbol entry, when that fails)."""
    fast = _strtab_names(data)
    return fast if fast is not None else _elf_symbols_slow(data)


def _strtab_names(data: bytes) -> set[str] | None:
    if len(data) < 52 or data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    try:
        if wide:
            (shoff,) = struct.unpack_from(order + "Q", data, 0x28)
            shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
        else:
            (shoff,) = struct.unpack_from(order + "I", data, 0x20)
            shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
        layout = order + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
        headers = [struct.unpack_from(layout, data, shoff + i * shentsize) for i in range(shnum)]
    except struct.error:
        return None
    out: set[str] = set()
    for header in headers:
        if header[1] != 2:  # SHT_SYMTAB
            continue
        link = header[6]
        if link >= len(headers):
            return None
        offset, size = headers[link][4], headers[link][5]
        table = data[offset : offset + size]
        out.update(n.decode("utf-8", "replace") for n in table.split(b"\0") if n)
    return out


def _elf_symbols_slow(data: bytes) -> set[str]:
    try:
        elf = ELFFile(io.BytesIO(data))
        out: set[str] = set()
        for section in elf.iter_sections():
            if isinstance(section, SymbolTableSection):
                out.update(s.name for s in section.iter_symbols() if s.name)
        return out
    except (ELFError, ValueError, OSError, AssertionError):
        return set()


def _config(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _CONFIG.finditer(text):
        if m.group(1):
            out[m.group(1)] = m.group(2).strip('"')
        else:
            out[m.group(3)] = "n"
    return out


def _embedded_config(data: bytes) -> dict[str, str]:
    start = data.find(b"IKCFG_ST")
    if start < 0:
        return {}
    end = data.find(b"IKCFG_ED", start)
    try:
        text = gzip.decompress(data[start + 8 : end if end > 0 else None])
    except (OSError, EOFError):
        return {}
    return _config(text.decode("utf-8", errors="replace"))


def gather(rootfs: Iterable[RootFS], kernels: Iterable[Path]) -> KernelEvidence:
    """The kernel evidence of one image (its root filesystems and decompressed kernels)."""
    arch, arch_basis = "", ""
    modules: set[str] = set()
    modules_where: list[str] = []
    symbols: set[str] = set()
    symbols_where: list[str] = []
    sources: set[str] = set()
    config: dict[str, str] = {}
    config_basis = ""
    for kernel in kernels:
        with kernel.open("rb") as fh:
            data = fh.read(SCAN_LIMIT)
        symbols.update(m.decode() for m in _IDENT.findall(data))
        sources.update(m.decode() for m in _SOURCE.findall(data))
        symbols_where.append(f"strings of the kernel image {kernel.name}")
        if not arch:
            arch, how = _elf_machine(data[: 1 << 20] if len(data) > 1 << 20 else data)
            arch_basis = f"ELF header of the kernel image {kernel.name}: {how}" if arch else ""
        if not config:
            config = _embedded_config(data)
            config_basis = f"configuration embedded in {kernel.name} (IKCONFIG)" if config else ""
    for fs in rootfs:
        for path in fs.glob("/lib/modules/**/*.ko"):
            data = fs.read_bytes(path) or b""
            modules.add(module_name(path))
            symbols.update(_elf_symbols(data))
            if not arch or "module" not in arch_basis:
                found, how = _elf_machine(data[:4096] if len(data) > 4096 else data)
                if found:
                    arch, arch_basis = found, f"ELF header of the kernel module {path}: {how}"
        for path in fs.glob("/lib/modules/*/modules.builtin"):
            text = fs.read_text(path) or ""
            modules.update(module_name(line) for line in text.split() if line.endswith(".ko"))
            modules_where.append(path)
        dirs = sorted({p.rsplit("/", 1)[0] for p in fs.glob("/lib/modules/*/*")})
        modules_where.extend(dirs)
        if modules:
            symbols_where.append("symbol tables of the modules in /lib/modules")
        if not arch:
            for path in ELF_SAMPLES:
                found, how = _elf_machine(fs.read_bytes(path, 4096) or b"")
                if found:
                    arch, arch_basis = found, f"ELF header of {path}: {how}"
                    break
        for path in [*fs.glob("/boot/config-*"), *fs.glob("/proc/config.gz")]:
            if not config:
                raw = fs.read_bytes(path) or b""
                if path.endswith(".gz"):
                    raw = gzip.decompress(raw)
                config, config_basis = _config(raw.decode("utf-8", "replace")), path
    return KernelEvidence(
        arch=arch,
        arch_basis=arch_basis,
        modules=frozenset(modules),
        modules_basis=", ".join(sorted(set(modules_where))),
        symbols=frozenset(symbols),
        symbols_basis=tuple(symbols_where),
        sources=frozenset(sources),
        config=config,
        config_basis=config_basis,
    )
