"""What every check sees: the root filesystems, the components, the identity, and views of
common files (accounts, boot services, the file list) computed once and shared."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from assay.checks.views.accounts import Account, placeholder_means_empty, read_accounts
from assay.checks.views.boot import BootView, read_boot
from assay.checks.views.mounted import Mounted
from assay.extract.rootfs import FileEntry, RootFS
from assay.model.check import Evidence
from assay.model.component import Component
from assay.model.identity import Identity

T = TypeVar("T")

# An image with fewer regular files than this, or with none of these folders, was not unpacked
# far enough for a check to say PASS or NOT_APPLICABLE about it.
MIN_FILES = 10
SYSTEM_DIRS = ("/etc", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/etc_ro")


class ImageView:
    """Lazily parsed, cached facts about one root filesystem."""

    def __init__(
        self,
        rootfs: RootFS,
        label: str = "",
        identified: dict[str, str] | None = None,
        siblings: tuple[RootFS, ...] = (),
    ) -> None:
        self.rootfs = rootfs
        self.label = label
        self.siblings = siblings  # the image's other root filesystems (mounted at run time)
        # image path -> name of the component the catalog identified there (lower case)
        self.identified = identified or {}
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a view once per image (e.g. the key scan shared by the secrets checks)."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    @cached_property
    def entries(self) -> tuple[FileEntry, ...]:
        """Every entry of the tree (one walk for all checks)."""
        return tuple(self.rootfs.walk())

    @cached_property
    def file_count(self) -> int:
        return sum(1 for e in self.entries if e.is_file)

    @cached_property
    def accounts(self) -> tuple[Account, ...]:
        names = ("passwd", "shadow", "httpd.conf", ".htpasswd", "htpasswd")
        found = [e.path for e in self.entries if e.path.rsplit("/", 1)[-1] in names]
        return tuple(read_accounts(self.rootfs, found))

    @cached_property
    def placeholder_empty(self) -> tuple[str, int, str] | None:
        """Where the image treats ``x``/``!`` in root's password field as no password."""
        return placeholder_means_empty(self.rootfs)

    @cached_property
    def boot(self) -> BootView:
        names = ("inittab", "rcS", "rc.local", "rc.sysinit")
        found = [e.path for e in self.entries if e.is_file and e.path.rsplit("/", 1)[-1] in names]
        return read_boot(self.mounted, found, (e.path for e in self.entries))

    @cached_property
    def mounted(self) -> RootFS:
        """This root filesystem with the image's other ones filling its empty top folders
        (where start-up mounts them): for reading the programs start-up runs."""
        others = [r for r in self.siblings if r.root != self.rootfs.root]
        return Mounted(self.rootfs, others) if others else self.rootfs

    def lines(self, path: str, limit: int = 1 << 20) -> list[tuple[int, str]]:
        """Numbered lines of a text file ([] when absent)."""
        try:
            text = self.rootfs.read_text(path, limit=limit)
        except OSError:
            return []
        return [] if text is None else list(enumerate(text.splitlines(), 1))

    def evidence(
        self, path: str, line: int | None = None, excerpt: str = "", note: str = ""
    ) -> Evidence:
        """Evidence in this image; with several root filesystems the note names this one."""
        if self.label:
            note = f"[{self.label}] {note}".strip()
        return Evidence(path=path, line=line, excerpt=excerpt[:200], note=note)

    def password_is_empty(self, account: Account) -> bool:
        """No password: an empty field, or a placeholder this image reads as none (root only)."""
        if account.password == "":
            return True
        return (
            account.name == "root"
            and account.password in ("x", "!", "")
            and self.placeholder_empty is not None
        )


@dataclass
class CheckContext:
    """Input of every check. ``views`` holds one ``ImageView`` per root filesystem."""

    rootfs: list[RootFS]
    components: list[Component] = field(default_factory=list)
    identity: Identity = field(default_factory=Identity)

    @cached_property
    def views(self) -> tuple[ImageView, ...]:
        many = len(self.rootfs) > 1
        identified = {
            path: c.name.lower()
            for c in self.components
            for path in (*c.locations, *c.files)
            if c.type == "application"
        }
        return tuple(
            ImageView(r, r.label if many else "", identified, tuple(self.rootfs))
            for r in self.rootfs
        )

    def __iter__(self) -> Iterator[ImageView]:
        return iter(self.views)

    @cached_property
    def thin(self) -> str:
        """Why the image as a whole could not be examined ('' when it could): too few files
        or no system folder were unpacked, so absence of a problem proves nothing."""
        files = sum(v.file_count for v in self)
        has_system = any(v.rootfs.is_dir(d) for v in self for d in SYSTEM_DIRS)
        if files >= MIN_FILES and has_system:
            return ""
        folders = "no system folder (/etc, /bin, /sbin, /usr)" if not has_system else "few files"
        return f"only {files} file(s) were unpacked, {folders}: the image was not examined"
