"""A root filesystem seen with the partitions that are mounted into it at run time.

A camera's root squashfs has an empty ``/usr`` that its start-up fills with a second squashfs
(``mount -t squashfs /dev/mtdblock2 /usr``); when the image gives both as root filesystems,
``/usr/sbin/service.sh`` lives in the second as ``/sbin/service.sh``. A path that does not
exist and whose top folder is empty is looked up in the sibling root filesystems, so the
start-up graph can be followed across the mount.
"""

from __future__ import annotations

from pathlib import Path

from assay.extract.rootfs import RootFS


class Mounted(RootFS):
    def __init__(self, rootfs: RootFS, siblings: list[RootFS]) -> None:
        super().__init__(rootfs.root, rootfs.label)
        self.siblings = [s for s in siblings if s.root != rootfs.root]
        self._empty: dict[str, bool] = {}

    def resolve(self, path: str) -> Path | None:
        real = super().resolve(path)
        if real is not None or not self.siblings:
            return real
        where = self.elsewhere(path)
        return None if where is None else where[0].resolve(where[1])

    def readlink(self, path: str) -> str | None:
        target = super().readlink(path)
        if target is not None or not self.siblings:
            return target
        where = self.elsewhere(path)
        return None if where is None else where[0].readlink(where[1])

    def _mount_point(self, name: str) -> bool:
        """Is this top folder empty (only an empty folder is a mount point)? Asked once."""
        if name not in self._empty:
            top = self.root / name
            self._empty[name] = top.is_dir() and not top.is_symlink() and not any(top.iterdir())
        return self._empty[name]

    def elsewhere(self, path: str) -> tuple[RootFS, str] | None:
        """The sibling root filesystem (and the path in it) that holds a path under an
        empty top folder of this one, or None."""
        parts = self.normalize(path).split("/")
        if len(parts) < 3 or not self.siblings or not self._mount_point(parts[1]):
            return None
        inner = "/" + "/".join(parts[2:])
        for sibling in self.siblings:  # a link counts (a BusyBox applet link is dangling there)
            if sibling.resolve(inner) is not None or sibling.readlink(inner) is not None:
                return sibling, inner
        return None
