"""The same image gives the same extraction problems, in the same order, on any file system.

unblob meets removed symbolic links in the order a directory is listed, which differs between
tmpfs (where `assay scan` now unpacks when there is room) and ext4. The Anyka camera's root
filesystem has 133 links pointing outside it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from assay.extract import scratch
from assay.extract.unpack import unpack


def _problems(image: Path, work: Path) -> list[tuple[str, str, str]]:
    done = unpack(image, work, timeout=300, max_depth=10, max_size=1 << 30)
    return [(p.path, p.message, p.resolution) for p in done.problems]


@pytest.mark.skipif(
    not scratch._is_tmpfs(scratch.RAM_FOLDER), reason="/dev/shm is not a tmpfs here"
)
def test_problems_in_the_same_order_on_tmpfs_and_disk(shared_data: Path, tmp_path: Path) -> None:
    image = shared_data / "firmware/vendor-corpus/anyka-ipcam/mtdblock2"
    if not image.is_file():
        pytest.skip("the Anyka image is not in ../shared/data")
    memory = Path(tempfile.mkdtemp(prefix="assay-test-", dir=scratch.RAM_FOLDER))
    try:
        on_tmpfs = _problems(image, memory / "work")
    finally:
        shutil.rmtree(memory)
    on_disk = _problems(image, tmp_path / "work")
    links = [p for p in on_disk if p[1].startswith("symlink pointing outside removed")]
    assert len(links) > 100  # the order could differ
    assert on_tmpfs == on_disk
