"""Files of the survey folder as downloads, and uploads made safe to keep.

A download is looked up, never built from the request: the name asked for must be
one of the files actually listed in the place (調査票/, 回収結果/ …), so ``..``,
absolute paths and links out of the folder cannot be reached. Names are sent with
RFC 5987 ``filename*=UTF-8''…`` (Edge and Chrome keep Japanese names) and a plain
ASCII ``filename=`` for older clients.

Uploads arrive with whatever name the browser sends (a path, ``..``, a drive letter,
control characters); :func:`upload_name` keeps the last component, made safe on
Windows, before :func:`~welfare_workbook.receive.receive` makes its own name in 受付/.

>>> content_disposition("集計表.xlsx")
'attachment; filename="download.xlsx"; filename*=UTF-8\\'\\'%E9%9B%86%E8%A8%88%E8%A1%A8.xlsx'
>>> upload_name("..\\\\..\\\\C:\\\\Windows\\\\回答\\x07.xlsx"), upload_name("C:evil.xlsx"), upload_name("../..")
('回答.xlsx', 'evil.xlsx', '受付ファイル')
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Iterator, List, Optional, Tuple
from urllib.parse import quote

from ..excel import safe_filename
from ..workspace import Workspace

# the places a download may come from: URL word -> (folder in the survey folder, searched below it)
PLACES = ("forms", "results", "sendback", "mail", "inbox")
ZIP_NAMES = {"調査票.zip": ("forms", ""), "差戻し.zip": ("sendback", ""), "メール_配布.zip": ("mail", "配布"),
             "メール_督促.zip": ("mail", "督促"), "メール_差戻し.zip": ("mail", "差戻し")}
SENDBACK_DIR = "差戻し"  # 回収結果/差戻し/: the copies collect writes for returns with errors
DEFAULT_UPLOAD_NAME = "受付ファイル"
_SUFFIX = re.compile(r"\.[0-9A-Za-z]{1,10}")
_DRIVE = re.compile(r"^[A-Za-z]:")


def place_dir(ws: Workspace, place: str) -> Optional[Path]:
    """The folder of a download place, or None for an unknown word."""
    return {"forms": ws.forms, "results": ws.results, "sendback": ws.results / SENDBACK_DIR, "mail": ws.mail_dir,
            "inbox": ws.inbox}.get(place)


def listing(folder: Path, *, recursive: bool = False) -> List[str]:
    """Names of the regular files in ``folder`` ("/"-separated below it when ``recursive``),
    sorted; hidden, temporary and Office lock files left out. Never raises."""
    names: List[str] = []
    if not folder.is_dir():
        return names
    try:
        if not recursive:
            return sorted(p.name for p in folder.iterdir() if _shown(p.name) and p.is_file() and not p.is_symlink())
        for here, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if _shown(d))
            for name in sorted(files):
                path = Path(here) / name
                if _shown(name) and path.is_file() and not path.is_symlink():
                    names.append(path.relative_to(folder).as_posix())
    except OSError:
        pass
    return names


def _shown(name: str) -> bool:
    return not name.startswith((".", "~$"))


def find_download(ws: Workspace, place: str, name: str) -> Optional[Path]:
    """The file ``name`` of ``place`` when it is one of the files listed there, else None."""
    folder = place_dir(ws, place)
    if folder is None:
        return None
    recursive = place in ("mail", "inbox")
    return folder / name if name in listing(folder, recursive=recursive) else None


def content_disposition(name: str) -> str:
    """``attachment`` with the name in RFC 5987 form and an ASCII fallback (same suffix)."""
    suffix = Path(name).suffix if _SUFFIX.fullmatch(Path(name).suffix) else ""
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem.encode("ascii", "ignore").decode()).strip("._")
    fallback = f"{ascii_stem or 'download'}{suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


MEDIA_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               ".csv": "text/csv; charset=utf-8", ".json": "application/json", ".zip": "application/zip",
               ".eml": "message/rfc822"}


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def zip_source(ws: Workspace, zip_name: str) -> Optional[Tuple[Path, List[str]]]:
    """The folder and file names a zip download holds, or None for an unknown zip."""
    found = ZIP_NAMES.get(zip_name)
    if found is None:
        return None
    place, sub = found
    folder = place_dir(ws, place)
    assert folder is not None
    folder = folder / sub if sub else folder
    return folder, listing(folder)


def zip_bytes(folder: Path, names: List[str]) -> bytes:
    """The files as one zip. Names stay Japanese: zipfile sets the UTF-8 flag (0x800) for
    a non-ASCII name, so Windows' Explorer and 7-Zip show them as they are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            try:
                archive.write(folder / name, name)
            except OSError:  # deleted meanwhile: left out rather than failing the whole zip
                continue
    return buffer.getvalue()


def iter_file(path: Path, chunk: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(chunk), b"")


# ---------------------------------------------------------------------------
# uploads


def upload_name(sent: Optional[str]) -> str:
    """A safe file name for what a browser sent as a file's name: the last path component
    (``/`` or ``\\``), without a drive letter or control characters, valid on Windows."""
    text = unicodedata.normalize("NFC", sent or "")
    text = re.split(r"[\\/]", text)[-1]
    text = _DRIVE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    suffix = Path(text).suffix if _SUFFIX.fullmatch(Path(text).suffix) else ""
    stem = text[:len(text) - len(suffix)] if suffix else text
    stem = safe_filename(stem, max_length=100).strip(". ") if stem.strip(". ") else ""
    if not stem or stem.startswith("_") and stem.strip("_") == "":
        stem = DEFAULT_UPLOAD_NAME
    return stem + suffix.lower() if suffix else stem


def receivable(name: str, suffixes: frozenset) -> bool:
    """Whether an upload's name has a suffix the page takes in (workbooks and CSV)."""
    return Path(name).suffix.lower() in suffixes
