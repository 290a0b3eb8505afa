"""Feed readers. ``read_path`` finds the feed documents in a file, folder or archive,
recognises each one by its content and yields what it holds (see ``assay.vulns.records``)."""

from assay.vulns.feeds.detect import Document, read_path

__all__ = ["Document", "read_path"]
