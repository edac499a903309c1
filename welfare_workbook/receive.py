"""``receive``: take returned files into a survey folder's 受付/, and check 受付/ later.

Each file is copied (never moved or changed) to ``受付/<YYYYmmdd-HHMMSS>_<its name>``,
with its sha256, original path, time and the OS user recorded as a 受付 row of
記録.csv. The same bytes received twice are recorded once. A file that cannot be
read as a return (.xls, .ods, .csv …) is received all the same, so that the
respondent shows as 形式違い instead of 未提出.

The copy is made to a temporary file in 受付/ first (hashing as it copies); the name
is chosen, the file renamed and the row appended under 記録.csv's lock, so two
receives at once neither lose a file nor record the same bytes twice.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from . import issues as iss
from . import journal
from .contract import read_meta_file
from .excel import safe_filename
from .issues import Issue
from .master import Master
from .sources import WORKBOOK_SUFFIXES, display_name
from .states import INBOX, match_respondent
from .workspace import FolderReport, Workspace, file_sha256

# what a folder is searched for: anything a department might send as its return
RECEIVABLE = frozenset(WORKBOOK_SUFFIXES | {".csv"})
TEMP_PREFIX, TEMP_SUFFIX = ".~受付中-", ".tmp"  # skipped by collect and by Workspace.inbox_names


@dataclass(frozen=True)
class Received:
    """One file received (or found to be a duplicate: ``duplicate_of`` names the copy)."""

    source: str  # the original, as found
    file: str  # 受付/<name> ('' for a duplicate)
    sha256: str
    respondent_id: str = ""  # the respondent it seems to come from (_meta, the name, or as told)
    time: str = ""
    duplicate_of: str = ""

    def to_dict(self) -> Dict[str, str]:
        return asdict(self)


@dataclass
class ReceiveReport(FolderReport):
    """``receive``: what was copied into 受付/, what was already there, what was skipped."""

    received: List[Received] = field(default_factory=list)
    duplicates: List[Received] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    issues: List[Issue] = field(default_factory=list)

    def report_data(self) -> Dict[str, Any]:
        return {"received": [r.to_dict() for r in self.received],
                "duplicates": [r.to_dict() for r in self.duplicates], "skipped": list(self.skipped)}


@dataclass
class _Staged:
    path: Path
    shown: str
    temp: Path
    sha256: str
    respondent_id: str


def receive(ws: Workspace, sources: Sequence[Path], *, respondent_id: Optional[str] = None,
            note: str = "", origins: Optional[Dict[Path, str]] = None) -> ReceiveReport:
    """``receive``: copy ``sources`` (files, or folders searched recursively) into 受付/.

    A file named directly is received whatever it is; in a folder, files with a
    workbook or CSV suffix are (the rest are named as skipped). ``respondent_id`` says
    whom the files came from (the sender), when known; else it is read from the
    workbook's ``_meta`` or, for a file that has none, from its name. ``note`` goes
    into 記録.csv's 理由 (e.g. how the file arrived). ``origins`` says where a file came
    from when its path does not (the web page stages a browser's upload in a temporary
    folder): recorded in 変更前 instead of the path.
    """
    report = ReceiveReport()
    master, master_issues = ws.load_master()
    if respondent_id is not None and (master is None or not master.is_respondent(respondent_id)):
        report.issues.extend(i for i in master_issues if i.severity == iss.ERROR)
        wording = (master or Master).wording()  # an unreadable master: the row survey's words
        report.issues.append(iss.make("receive_unknown_respondent", value=respondent_id, **wording))
        return report
    found = _gather(ws, sources, report)
    staged: List[_Staged] = []
    try:
        for path, shown in found:
            try:
                temp, digest = _stage(ws, path)
            except OSError as exc:
                report.issues.append(iss.make("receive_unreadable", file=shown, detail=exc.strerror or str(exc)))
                continue
            staged.append(_Staged(path, shown, temp, digest, respondent_id or _guess(temp, shown, master)))
        if staged:
            _commit(ws, staged, note, report, origins or {})
    finally:
        for item in staged:  # whatever was not renamed into place (duplicates, a failed commit)
            if item.temp.exists():
                item.temp.unlink()
    return report


def _gather(ws: Workspace, sources: Sequence[Path], report: ReceiveReport) -> List[Tuple[Path, str]]:
    """The files to receive, each once, with the name shown for it; notes on the rest."""
    own_places = [_key(p) for p in ws.own_places]
    own_files = {_key(p) for p in (ws.master_path, ws.journal_path, ws.marker_path)}
    found: List[Tuple[Path, str]] = []
    seen: Set[str] = set()

    def own(path: Path) -> Optional[str]:
        key = _key(path)
        for place, folder in zip(own_places, ws.own_places):
            if key == place or key.startswith(place + os.sep):
                return folder.name
        return "調査フォルダ" if key in own_files else None

    def consider(path: Path, explicit: bool) -> None:
        shown = display_name(str(path))
        key = _key(path)
        if key in seen:
            return
        seen.add(key)
        place = own(path)
        if path.name.startswith("~$"):
            report.issues.append(iss.make("file_lock_skipped", file=shown))
        elif place is not None:
            report.issues.append(iss.make("receive_own_folder", file=shown, folder=place))
        elif not path.is_file():  # a pipe or a device: never opened
            report.skipped.append(shown)
            report.issues.append(iss.make("receive_skipped", file=shown))
        elif explicit or path.suffix.lower() in RECEIVABLE:
            found.append((path, shown))
        else:
            report.skipped.append(shown)
            report.issues.append(iss.make("receive_skipped", file=shown))

    for source in map(Path, sources):
        if not source.exists():
            report.issues.append(iss.make("receive_not_found", file=display_name(str(source))))
        elif not source.is_dir():
            consider(source, explicit=True)
        elif own(source) is not None:
            report.issues.append(iss.make("receive_own_folder", file=display_name(str(source)), folder=own(source)))
        else:
            _walk(source, own, consider, report)
    return found


def _walk(source: Path, own: Any, consider: Any, report: ReceiveReport) -> None:
    def unreadable(exc: OSError) -> None:
        report.issues.append(iss.make("receive_unreadable", file=display_name(str(exc.filename or source)),
                                      detail=exc.strerror or str(exc)))

    for folder, dirs, files in os.walk(source, onerror=unreadable):
        kept = []
        for name in sorted(dirs):
            path = Path(folder) / name
            if name.startswith("."):
                continue
            place = own(path)
            if place is not None:  # the survey folder's own places: named once, not searched
                report.issues.append(iss.make("receive_own_folder", file=display_name(str(path)), folder=place))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if not name.startswith("."):
                consider(Path(folder) / name, explicit=False)


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def _stage(ws: Workspace, path: Path) -> Tuple[Path, str]:
    """Copy ``path`` to a new temporary file in 受付/ (mode from the umask, times kept),
    hashing it on the way. Raises OSError; leaves nothing behind then."""
    ws.inbox.mkdir(parents=True, exist_ok=True)
    temp = new_temp(ws.inbox, TEMP_PREFIX, TEMP_SUFFIX)
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as src, open(temp, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())  # on disk before 記録.csv says it was received
        st = path.stat()
        os.utime(temp, ns=(st.st_atime_ns, st.st_mtime_ns))  # collect orders returns by saved time, then mtime
    except BaseException:
        temp.unlink()
        raise
    return temp, digest.hexdigest()


def new_temp(folder: Path, prefix: str, suffix: str) -> Path:
    """A new empty file in ``folder``, created with mode 0o666 so that the umask decides
    who can read it (colleagues on a shared folder must). Raises OSError."""
    while True:
        temp = folder / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))
            return temp
        except FileExistsError:
            continue


def _guess(temp: Path, shown: str, master: Optional[Master]) -> str:
    """Whom a file seems to come from: its _meta's respondent, else the one its name points to."""
    if master is None:
        return ""
    meta = read_meta_file(temp)
    if meta is not None:
        rid = str(meta.get("respondent_id") or "")
        return rid if master.is_respondent(rid) else ""
    return match_respondent([shown], master) or ""


def _commit(ws: Workspace, staged: List[_Staged], note: str, report: ReceiveReport,
            origins: Dict[Path, str]) -> None:
    """Under 記録.csv's lock: skip bytes already received, rename the rest into place,
    and append their 受付 rows in one write."""
    path = ws.journal_path
    try:
        with journal.JournalLock(path) as lock:
            report.issues.extend(journal.stale_note(lock))
            refusal = journal.refuse_append(path)
            if refusal is not None:
                report.issues.append(refusal)
                return
            known = _known(ws, journal.read(path).entries)
            rows: List[journal.Row] = []
            stamp = journal.now()
            for item in staged:
                earlier = known.get(item.sha256)
                if earlier is not None:
                    report.duplicates.append(Received(item.shown, "", item.sha256, item.respondent_id,
                                                      duplicate_of=earlier[0]))
                    report.issues.append(iss.make("receive_duplicate", file=item.shown, time=earlier[1],
                                                  stored=earlier[0]))
                    continue
                name = _free_name(ws.inbox, stamp, item.path.name)
                os.replace(item.temp, ws.inbox / name)
                stored = f"{INBOX}/{name}"
                time = stamp.strftime(journal.TIME_FORMAT)
                known[item.sha256] = (stored, time)
                rows.append(journal.Row(journal.Operation.RECEIVE, item.respondent_id, stored,
                                        before=display_name(origins.get(item.path) or os.path.abspath(item.path)),
                                        after=journal.SHA_PREFIX + item.sha256, reason=note, time=stamp))
                report.received.append(Received(item.shown, stored, item.sha256, item.respondent_id, time))
            journal.append_locked(path, rows)
    except journal.JournalBusy:
        report.issues.append(journal.busy_issue(path, journal.LOCK_TIMEOUT))
    except OSError as exc:
        report.issues.append(iss.make("journal_unwritable", file=path.name, detail=exc.strerror or str(exc)))


def _known(ws: Workspace, entries: Sequence[journal.Entry]) -> Dict[str, Tuple[str, str]]:
    """sha256 -> (受付 file, time) of what was received and is still intact in 受付/
    (bytes whose copy was deleted or changed are received again)."""
    known: Dict[str, Tuple[str, str]] = {}
    for entry in entries:
        if entry.operation == journal.Operation.RECEIVE.value and entry.sha256 and entry.sha256 not in known:
            stored = ws.root / entry.file
            try:
                intact = stored.is_file() and file_sha256(stored) == entry.sha256
            except OSError:
                intact = False
            if intact:
                known[entry.sha256] = (entry.file, entry.time.strftime(journal.TIME_FORMAT) if entry.time else "")
    return known


_SUFFIX = re.compile(r"\.[0-9A-Za-z]{1,10}")


def _free_name(inbox: Path, stamp: Any, original: str) -> str:
    """``YYYYmmdd-HHMMSS_<name>`` valid on Windows, numbered (-2, -3 …) when taken."""
    name = display_name(original)
    suffix = Path(name).suffix if _SUFFIX.fullmatch(Path(name).suffix) else ""
    stem = safe_filename(name[:len(name) - len(suffix)] if suffix else name, max_length=100)
    base = stamp.strftime("%Y%m%d-%H%M%S")
    for number in range(1, 10_000):
        candidate = f"{base}{'' if number == 1 else f'-{number}'}_{stem}{suffix}"
        if not (inbox / candidate).exists():
            return candidate
    raise FileExistsError(str(inbox / f"{base}_{stem}{suffix}"))
