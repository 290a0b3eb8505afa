"""What every check sees: the root filesystems, the components, the identity, and views of
common files (accounts, boot services, the file list) computed once and shared."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from assay.checks.views.accounts import Account, placeholder_means_empty, read_accounts
from assay.checks.views.boot import BootView, read_boot
from assay.extract.rootfs import FileEntry, RootFS
from assay.model.check import Evidence
from assay.model.component import Component
from assay.model.identity import Identity

T = TypeVar("T")


class ImageView:
    """Lazily parsed, cached facts about one root filesystem."""

    def __init__(self, rootfs: RootFS, label: str = "") -> None:
        self.rootfs = rootfs
        self.label = label
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
    def accounts(self) -> tuple[Account, ...]:
        return tuple(read_accounts(self.rootfs))

    @cached_property
    def placeholder_empty(self) -> tuple[str, int, str] | None:
        """Where the image treats ``x``/``!`` in root's password field as no password."""
        return placeholder_means_empty(self.rootfs)

    @cached_property
    def boot(self) -> BootView:
        return read_boot(self.rootfs)

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
        return tuple(ImageView(r, label=r.label if many else "") for r in self.rootfs)

    def __iter__(self) -> Iterator[ImageView]:
        return iter(self.views)
