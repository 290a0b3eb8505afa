"""The signatures' hyperscan database kept compiled in the data directory: reused when it
loads and runs here, compiled again when it does not, and finding what a fresh one finds."""

from __future__ import annotations

from pathlib import Path

import hyperscan
import pytest

from assay.catalog.binary import SignatureEngine, load_signatures
from assay.catalog.binary import compiled as compiled_module
from assay.extract.rootfs import RootFS


def test_compiled_once_then_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wr703n_rootfs: RootFS
) -> None:
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path))
    signatures = load_signatures(None)
    compiles: list[int] = []
    real = compiled_module.cached_database

    def counting(
        hs: object, expressions: list[bytes], flags: list[int], compile_: object
    ) -> object:
        def counted() -> object:
            compiles.append(1)
            return compile_()  # type: ignore[operator]

        return real(hs, expressions, flags, counted)

    monkeypatch.setattr(compiled_module, "cached_database", counting)
    first = SignatureEngine(signatures)
    [cached] = (tmp_path / "cache").glob("signatures-*.hsdb")
    second = SignatureEngine(signatures)
    assert len(compiles) == 1
    busybox = (wr703n_rootfs.root / "bin" / "busybox").read_bytes()
    fresh = SignatureEngine(signatures, backend="python")
    assert second.first_hits(busybox) == first.first_hits(busybox)
    assert set(second.first_hits(busybox)) == set(fresh.first_hits(busybox)) != set()

    cached.write_bytes(b"not a database")  # damaged: compiled again and replaced
    third = SignatureEngine(signatures)
    assert len(compiles) == 2 and cached.stat().st_size > 1000
    assert third.first_hits(busybox) == first.first_hits(busybox)


def test_an_unwritable_data_directory_only_means_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.write_text("a file where the data directory would be")
    monkeypatch.setattr(compiled_module, "data_dir", lambda: home)
    engine = SignatureEngine(load_signatures(None))
    assert isinstance(engine._db, hyperscan.Database)
    assert engine.first_hits(b"BusyBox v1.19.4 (2013-03-22 12:00:00 UTC)") != {}
