"""The media directory: image files named by content, written atomically.

Written by the articles API only; served read-only by the page server and by nginx (compose
mounts the same volume), under ``/media/<name>``. A file is written to a temp name and
renamed, so a reader never gets half an image; a name never changes its content, so a
rewrite of an existing name (the same picture uploaded again) is skipped.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from shared.media import MEDIA_FILE_RE

TEMP_PREFIX = ".tmp-"


class MediaFiles:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, name: str) -> Path:
        if not MEDIA_FILE_RE.fullmatch(name):
            raise ValueError(f"not a media file name: {name!r}")
        return self.root / name

    def write(self, name: str, data: bytes) -> None:
        target = self.path(name)
        if target.is_file() and target.stat().st_size == len(data):
            return  # content-addressed: same name, same bytes
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def names_of(self, sha256: str) -> list[str]:
        """Every file of one image (its original and renditions)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.glob(f"{sha256}*") if MEDIA_FILE_RE.fullmatch(p.name)
        )

    def remove_all(self, sha256: str) -> int:
        names = self.names_of(sha256)
        for name in names:
            self.path(name).unlink(missing_ok=True)
        return len(names)
