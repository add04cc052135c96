"""Evidence files: content sniffing, size limit, and a small storage interface.

Files live under `DUBAN_DATA_DIR/evidence/` by default (`LocalEvidenceStorage`). Another
backend (object storage) implements the same three methods and is named in the setting
`DUBAN_EVIDENCE_STORAGE` ("module.Class"). Shared by every app that keeps evidence (the
ledger's problems, the plan's items); each serves a download only after the permission
layer let the user see the item it belongs to.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import filetype
from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# content type → (label, extension)
ALLOWED = {
    "image/jpeg": ("图片", "jpg"),
    "image/png": ("图片", "png"),
    "image/gif": ("图片", "gif"),
    "image/webp": ("图片", "webp"),
    "application/pdf": ("PDF", "pdf"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("Word", "docx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("Excel", "xlsx"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("PowerPoint", "pptx"),
    "application/msword": ("Office 97-2003", "doc"),
    "application/vnd.oasis.opendocument.text": ("ODF", "odt"),
}


class EvidenceRejected(ValueError):
    pass


class EvidenceStorage(Protocol):
    def save(self, data: bytes, ext: str) -> str: ...
    def open(self, key: str) -> IO[bytes]: ...
    def delete(self, key: str) -> None: ...


class LocalEvidenceStorage:
    def __init__(self, root: Path | None = None):
        self.root = Path(root or Path(settings.DATA_DIR) / "evidence")

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not str(path).startswith(str(self.root.resolve())):
            raise EvidenceRejected("非法的文件位置")
        return path

    def save(self, data: bytes, ext: str) -> str:
        name = uuid.uuid4().hex
        key = f"{name[:2]}/{name}.{ext}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return key

    def open(self, key: str) -> IO[bytes]:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage() -> EvidenceStorage:
    dotted = getattr(settings, "DUBAN_EVIDENCE_STORAGE", "")
    return import_string(dotted)() if dotted else LocalEvidenceStorage()


def max_bytes() -> int:
    return int(getattr(settings, "DUBAN_EVIDENCE_MAX_BYTES", 0) or os.environ.get("DUBAN_EVIDENCE_MAX_BYTES") or DEFAULT_MAX_BYTES)


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    ext: str
    size: int
    sha256: str


def sniff(data: bytes) -> str | None:
    """The content type judged from the bytes, not from the name; None when not allowed."""
    if data.startswith(OLE_MAGIC):
        return "application/msword"  # Word/Excel 97-2003 compound file
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if "ppt/presentation.xml" in names:
            return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        if "content.xml" in names and "mimetype" in names:
            return "application/vnd.oasis.opendocument.text"
        return None
    kind = filetype.guess(data[:8192])
    if kind and kind.mime in ALLOWED:
        return kind.mime
    return None


def check(data: bytes, name: str) -> Sniffed:
    limit = max_bytes()
    if len(data) > limit:
        raise EvidenceRejected(f"文件“{name}”过大（{len(data) / 1048576:.1f} MB），上限 {limit // 1048576} MB")
    if not data:
        raise EvidenceRejected(f"文件“{name}”是空的")
    ctype = sniff(data)
    if ctype is None:
        raise EvidenceRejected(f"文件“{name}”的类型不允许：只接受图片（JPG/PNG/GIF/WebP）、PDF 和 Office 文档")
    return Sniffed(ctype, ALLOWED[ctype][1], len(data), hashlib.sha256(data).hexdigest())


def describe(sniffed: Sniffed) -> str:
    """"图片（PNG），12.3 KB": the trail's note for an upload, in words rather than a MIME type."""
    kind, ext = ALLOWED[sniffed.content_type]
    size = sniffed.size
    if size < 1024:
        amount = f"{size} 字节"
    elif size < 1048576:
        amount = f"{size / 1024:.1f} KB"
    else:
        amount = f"{size / 1048576:.1f} MB"
    return f"{kind}（{ext.upper()}），{amount}"
