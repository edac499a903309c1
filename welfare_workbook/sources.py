"""Finding returned files: which paths to read, named as users will see them.

Folders are searched recursively; Office lock files (``~$…``) are skipped and
noted; file names that arrived through a Windows zip in Shift_JIS are shown
readably.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Sequence, Tuple

from . import issues as iss
from .issues import Issue


WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


def find_files(sources: Sequence[Path]) -> Tuple[List[Tuple[Path, str]], List[Issue]]:
    """Files to read, with the name shown to users, and notes on what was skipped.

    Folders are searched recursively for workbook-like files; a file named on the
    command line is always examined, whatever its suffix.
    """
    found: List[Tuple[Path, str]] = []
    notes: List[Issue] = []
    seen = set()
    for source in sources:
        source = Path(source)
        if source.is_dir():
            every = sorted(source.rglob("*"))
            candidates = [p for p in every if p.is_file()]
            base = source
            notes.extend(iss.make("file_is_folder", file=display_name(str(p.relative_to(base))))
                         for p in every if p.suffix.lower() in WORKBOOK_SUFFIXES and p.is_dir())
        else:
            candidates, base = [source], source.parent
        for path in candidates:
            shown = display_name(str(path.relative_to(base)) if path != source else path.name)
            key = os.path.normcase(str(path.resolve()))
            if key in seen:
                continue
            seen.add(key)
            if path.name.startswith("~$"):
                notes.append(iss.make("file_lock_skipped", file=shown))
            elif source.is_dir() and path.suffix.lower() not in WORKBOOK_SUFFIXES:
                if not path.name.startswith("."):
                    notes.append(iss.make("file_ignored", file=shown))
            else:
                found.append((path, shown))
    return found, notes


_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")


def display_name(name: str) -> str:
    """A file name as shown in messages and outputs: always printable Unicode.

    A name whose bytes were not UTF-8 (a zip made on Japanese Windows, unpacked here)
    is decoded as Shift_JIS (cp932); control characters become ``?``.

    >>> display_name("回答.xlsx".encode("cp932").decode("utf-8", "surrogateescape"))
    '回答.xlsx'
    """
    if undecodable(name):
        raw = name.encode("utf-8", "surrogateescape")
        try:
            name = raw.decode("cp932")
        except UnicodeDecodeError:
            name = raw.decode("utf-8", errors="replace")
    return _CONTROL_RE.sub("?", name)


def undecodable(name: str) -> bool:
    """True when a path held bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in name)
