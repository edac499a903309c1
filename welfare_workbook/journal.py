"""記録.csv: the survey folder's append-only log (DESIGN §2a).

One row per event — a folder made, a file received, a state change, a review,
a mail draft written, a rollover — with the columns of :data:`COLUMNS`, as UTF-8
with BOM so Excel opens it. Rows are only ever appended, so the file is the
history of the survey; the row order is the order of events (states compare it,
not the clock, so two events in the same second are still ordered).

Two commands may run at once on one folder (two staff, a shared folder): every
append happens under a lock file created with ``O_CREAT | O_EXCL`` (atomic on local
disks and on SMB shares, on Windows too), and is one write of whole lines followed
by ``fsync``. A lock left by a crashed process is taken over once it is older than
``stale_after`` seconds (holds last milliseconds).

Reading never raises for bad content: a hand-edited, re-encoded, foreign or
truncated line is an issue, and the readable rows are still used.

>>> COLUMNS
('日時', '操作者', '操作', '課ID', 'ファイル', '変更前', '変更後', '理由')
>>> mail_operation("差戻し")
<Operation.MAIL_SENDBACK: '差戻しメール'>
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import getpass
import io
import os
import random
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, Union

from . import issues as iss
from .answers import csv_cell, csv_unescape
from .issues import Issue

JOURNAL_FILE = "記録.csv"
COLUMNS = ("日時", "操作者", "操作", "課ID", "ファイル", "変更前", "変更後", "理由")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SHA_PREFIX = "sha256:"
LOCK_TIMEOUT = 30.0  # seconds a command waits for another one to finish its append
STALE_AFTER = 120.0  # a lock this old was left by a process that died
_BOM = "\ufeff"


class Operation(str, enum.Enum):
    """What a row records (the 操作 column), as the word people read in Excel."""

    INIT = "作成"  # the folder was made (ファイル: マスタ.xlsx, 変更後: its sha256)
    RECEIVE = "受付"  # a file was copied into 受付/ (変更前: the original, 変更後: sha256:…)
    STATE = "状態変更"  # a respondent's state changed (変更前 → 変更後)
    ACCEPT = "確認"  # review: accepted by the secretariat → 確認済
    SEND_BACK = "差戻し"  # review: sent back → 差戻し中
    REOPEN = "取消"  # review: the last accept / send-back undone
    MAIL_DISTRIBUTE = "配布メール"  # a mail draft written (ファイル: the .eml)
    MAIL_REMIND = "督促メール"
    MAIL_SENDBACK = "差戻しメール"  # counts as a send-back decision (→ 差戻し中)
    ROLLOVER = "繰越し"  # next year's master / folder made from this one

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


_MAIL_KINDS = {"配布": Operation.MAIL_DISTRIBUTE, "督促": Operation.MAIL_REMIND, "差戻し": Operation.MAIL_SENDBACK}


def mail_operation(kind: str) -> Operation:
    """The row kind of a mail draft of ``kind`` (配布 / 督促 / 差戻し, as :mod:`mail` names them)."""
    return _MAIL_KINDS[kind]


@dataclass(frozen=True)
class Entry:
    """One row of 記録.csv, as read back. ``line`` is its line number in the file (1 = header)."""

    time: Optional[dt.datetime]
    user: str
    operation: str  # an Operation's word (rows with an unknown word are reported, not kept)
    respondent_id: str
    file: str
    before: str
    after: str
    reason: str
    line: int = 0

    @property
    def sha256(self) -> str:
        """The content hash a 受付 row records (変更後 ``sha256:…``), or ''."""
        return self.after[len(SHA_PREFIX):] if self.after.startswith(SHA_PREFIX) else ""

    def to_dict(self) -> dict:
        return {"日時": self.time.strftime(TIME_FORMAT) if self.time else "", "操作者": self.user,
                "操作": self.operation, "課ID": self.respondent_id, "ファイル": self.file,
                "変更前": self.before, "変更後": self.after, "理由": self.reason, "line": self.line}


@dataclass(frozen=True)
class Row:
    """A row to append. ``time`` and ``user`` default to now and the OS user."""

    operation: Union[Operation, str]
    respondent_id: str = ""
    file: str = ""
    before: str = ""
    after: str = ""
    reason: str = ""
    time: Optional[dt.datetime] = None
    user: Optional[str] = None


@dataclass
class Journal:
    """The rows of a 記録.csv that could be read, and what was wrong with the rest.

    ``writable`` is False when appending would damage someone else's file (a CSV
    whose header is not ours): commands then refuse to append.
    """

    entries: List[Entry]
    issues: List[Issue]
    exists: bool = True
    writable: bool = True


# ---------------------------------------------------------------------------
# reading


def read(path: Path) -> Journal:
    """Read a 記録.csv; never raises (an unreadable file is an issue and no rows)."""
    name = Path(path).name
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return Journal([], [iss.make("journal_missing", file=name)], exists=False)
    except OSError as exc:
        return Journal([], [iss.make("journal_unreadable", file=name, detail=_os_text(exc))], writable=False)
    return parse(data, name)


def parse(data: bytes, name: str = JOURNAL_FILE) -> Journal:
    """The rows of 記録.csv ``data``.

    >>> text = "\\ufeff" + ",".join(COLUMNS) + "\\r\\n2026-11-30 14:15:02,山田,受付,K01,受付/a.xlsx,a.xlsx,sha256:ab,\\r\\n"
    >>> journal = parse(text.encode("utf-8"))
    >>> [(e.operation, e.respondent_id, e.sha256, e.line) for e in journal.entries], journal.issues
    ([('受付', 'K01', 'ab', 2)], [])
    """
    issues: List[Issue] = []
    if not data.strip(b"\xef\xbb\xbf \r\n\t"):
        return Journal([], [], exists=True)  # an empty file: the header is written with the first row
    lines = _decoded_lines(data, name, issues)
    start = next(i for i, line in enumerate(lines) if line.strip(_BOM + " \t"))  # blank lines before the header
    header = next(csv.reader([lines[start].lstrip(_BOM)]), [])
    if tuple(h.strip() for h in header) != COLUMNS:
        issues.append(iss.make("journal_foreign", file=name, expected="・".join(COLUMNS)))
        return Journal([], issues, writable=False)
    entries: List[Entry] = []
    complete = data.endswith(b"\n")
    for number, fields in _records(lines, start + 1):
        last = number == len(lines) and not complete
        entry, problem = _entry(fields, number)
        if problem is not None:
            code = "journal_truncated" if last else "journal_bad_line"
            issues.append(iss.make(code, file=name, line=number, detail=problem))
            continue
        if last:  # whole and readable, but the writer always ends a row with a line break
            issues.append(iss.make("journal_truncated", file=name, line=number, detail="行末の改行がありません",
                                   severity=iss.INFO))
        entries.append(entry)  # type: ignore[arg-type]
    return Journal(entries, issues)


def _decoded_lines(data: bytes, name: str, issues: List[Issue]) -> List[str]:
    """The file's lines as text: UTF-8, or line by line Shift_JIS where Excel re-saved it so."""
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        pass
    lines = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("cp932", errors="replace"))
            issues.append(iss.make("journal_encoding", file=name, line=number))
    return lines


def _records(lines: Sequence[str], first: int) -> Iterator[Tuple[int, List[str]]]:
    """(line number, fields) of each data line from index ``first``. Rows are written on one
    line each, so a line is a row; a stray quote on a hand-edited line cannot swallow the
    lines after it."""
    for number, line in enumerate(lines[first:], start=first + 1):
        if not line.strip():
            continue
        try:
            fields = next(csv.reader([line]))
        except csv.Error as exc:
            fields = [f"\x00{exc}"]  # reported by _entry
        yield number, fields


def _entry(fields: List[str], number: int) -> Tuple[Optional[Entry], Optional[str]]:
    """The entry of a data line, or why it cannot be one."""
    if len(fields) != len(COLUMNS):
        return None, f"列の数が {len(fields)} です（{len(COLUMNS)} 列のはず）"
    values = [csv_unescape(f) for f in fields]
    when = parse_time(values[0])
    if when is None:
        return None, f"日時「{values[0][:30]}」を読み取れません"
    operation = values[2].strip()
    if operation not in _OPERATIONS:
        return None, f"操作「{operation[:20]}」はこのツールの記録ではありません"
    return Entry(when, values[1], operation, values[3].strip(), values[4], values[5], values[6], values[7],
                 number), None


_OPERATIONS = {op.value for op in Operation}
_TIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_time(text: str) -> Optional[dt.datetime]:
    """日時 as written (2026-11-30 14:15:02) or as Excel re-saves it (2026/11/30 14:15).

    >>> parse_time("2026/11/30 9:05"), parse_time("昨日")
    (datetime.datetime(2026, 11, 30, 9, 5), None)
    """
    match = _TIME.match(text.strip())
    if not match:
        return None
    try:
        return dt.datetime(*(int(g or 0) for g in match.groups()))
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# writing


def current_user() -> str:
    """Who is running the command (the OS login name), for the 操作者 column."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 — no login name (a service, a container): say so
        return os.environ.get("USERNAME") or os.environ.get("USER") or "不明"


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def encode_rows(rows: Sequence[Row], *, header: bool = False) -> bytes:
    """Whole CSV lines of ``rows`` (one line each: line breaks inside a field become spaces)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        buffer.write(_BOM)
        writer.writerow(COLUMNS)
    user = None
    for row in rows:
        if row.user is None and user is None:
            user = current_user()
        when = row.time or now()
        values = [when.strftime(TIME_FORMAT), row.user if row.user is not None else user, str(row.operation),
                  row.respondent_id, row.file, row.before, row.after, row.reason]
        writer.writerow([csv_cell(_one_line(str(v))) for v in values])
    return buffer.getvalue().encode("utf-8", errors="replace")


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n\x00]+", " ", text)


class JournalBusy(Exception):
    """Another command held the lock for longer than the timeout."""


class JournalLock:
    """An exclusive lock on a folder's 記録.csv, held for the length of a ``with`` block.

    The lock is the file ``記録.csv.lock``, created with ``O_CREAT | O_EXCL`` (it exists
    or it does not, atomically, on every platform and on SMB shares). A lock older
    than ``stale_after`` seconds was left by a process that died and is taken over;
    ``stale`` then says so. Raises :class:`JournalBusy` after ``timeout`` seconds.
    """

    def __init__(self, journal: Path, timeout: float = LOCK_TIMEOUT, stale_after: float = STALE_AFTER) -> None:
        self.path = Path(str(journal) + ".lock")
        self.timeout, self.stale_after = timeout, stale_after
        self.stale: Optional[float] = None  # age of a stale lock taken over

    def __enter__(self) -> "JournalLock":
        deadline = time.monotonic() + self.timeout
        note = f"{os.getpid()}@{socket.gethostname()} {now():{TIME_FORMAT}}\n".encode("utf-8", errors="replace")
        denied = 0
        while True:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            except (FileExistsError, PermissionError):
                # Windows refuses (PermissionError) while another process deletes its lock; a lock
                # that is not there and cannot be made means a folder we may not write: say so
                denied = denied + 1 if not self.path.exists() else 0
                if denied > 20:
                    raise
                self._take_over_stale()
                if time.monotonic() > deadline:
                    raise JournalBusy(str(self.path)) from None
                time.sleep(0.02 + random.random() * 0.05)  # jitter: waiters do not retry in step
                continue
            try:
                os.write(fd, note)  # who holds it, for a person looking at a lock that stays
            finally:
                os.close(fd)
            return self

    def _take_over_stale(self) -> None:
        try:
            age = time.time() - self.path.stat().st_mtime
        except OSError:
            return  # gone meanwhile: try again
        if age > self.stale_after:
            try:
                self.path.unlink()
                self.stale = age
            except OSError:
                pass  # another waiter took it over first

    def __exit__(self, *exc: Any) -> None:
        try:
            self.path.unlink()
        except OSError:
            pass


def append_locked(path: Path, rows: Sequence[Row]) -> None:
    """Append ``rows`` to 記録.csv at ``path``; the caller holds its :class:`JournalLock`.

    One write of whole lines, then ``fsync``. A missing or empty file gets the header
    first; a file whose last line lacks its line break (a crash, a hand edit) gets one,
    so the new rows start on a line of their own. Raises OSError.
    """
    if not rows:
        return
    header, prefix = True, b""
    try:
        with open(path, "rb") as handle:
            header = not handle.read(64).strip(b"\xef\xbb\xbf \r\n\t")  # empty (or only a BOM): no header yet
            size = handle.seek(0, os.SEEK_END)
            if size and not header:
                handle.seek(size - 1)
                prefix = b"" if handle.read(1) == b"\n" else b"\r\n"
    except FileNotFoundError:
        pass
    data = prefix + encode_rows(rows, header=header)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o666)
    try:
        view = memoryview(data)
        while view:  # os.write may write less than asked (it does not on local files; be sure)
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def append(target: Any, operation: Union[Operation, str], *, respondent_id: str = "", file: str = "",
           before: str = "", after: str = "", reason: str = "", timeout: float = LOCK_TIMEOUT) -> List[Issue]:
    """Append one row to the 記録.csv of ``target`` (a :class:`~.workspace.Workspace`, a survey
    folder or the 記録.csv itself). Returns issues (empty when written); never raises.

    For the call sites outside the survey-folder modules: a mail draft written
    (``mail_operation(kind)``, ``file`` = the .eml, ``respondent_id`` = its department)
    and a rollover (``Operation.ROLLOVER``, ``file`` = the new master or folder).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> append(folder, Operation.ROLLOVER, file="令和7年度/マスタ.xlsx")
    []
    >>> [(e.operation, e.file) for e in read(folder / JOURNAL_FILE).entries]
    [('繰越し', '令和7年度/マスタ.xlsx')]
    """
    row = Row(operation, respondent_id, file, before, after, reason)
    return append_rows(journal_path(target), [row], timeout=timeout)


def append_rows(path: Path, rows: Sequence[Row], *, timeout: float = LOCK_TIMEOUT) -> List[Issue]:
    """Append ``rows`` to 記録.csv at ``path`` under its lock, in one write.

    Returns issues (empty when written); never raises. Refuses (``journal_foreign``)
    to append to a 記録.csv that is not ours.
    """
    path = Path(path)
    issues: List[Issue] = []
    try:
        with JournalLock(path, timeout=timeout) as lock:
            issues.extend(stale_note(lock))
            refusal = refuse_append(path)
            if refusal is not None:
                return issues + [refusal]
            append_locked(path, rows)
    except JournalBusy:
        issues.append(busy_issue(path, timeout))
    except OSError as exc:
        issues.append(iss.make("journal_unwritable", file=path.name, detail=_os_text(exc)))
    return issues


def update(path: Path, decide: Callable[[Sequence[Entry]], List[Row]], readonly: Optional[Journal] = None
           ) -> Tuple[List[Row], List[Issue]]:
    """Read 記録.csv, let ``decide(entries)`` return the rows to append, append them —
    all under the journal's lock, so what is decided from the log is still true when
    written. With ``readonly`` given, or when the log cannot be written, ``decide`` is
    called on what could be read and nothing is written. Returns (rows written, issues)."""
    issues: List[Issue] = []
    if readonly is not None:
        decide(readonly.entries)
        return [], list(readonly.issues)
    path = Path(path)
    try:
        with JournalLock(path) as lock:
            issues.extend(stale_note(lock))
            current = read(path)
            rows = decide(current.entries)
            if rows and current.writable:
                append_locked(path, rows)  # creates a missing 記録.csv: no need to say it was missing
                return rows, issues + [i for i in current.issues if i.code != "journal_missing"]
            return [], issues + current.issues
    except JournalBusy:
        issues.append(busy_issue(path, LOCK_TIMEOUT))
    except OSError as exc:
        issues.append(iss.make("journal_unwritable", file=path.name, detail=exc.strerror or str(exc)))
    decide(read(path).entries)  # still report what can be known
    return [], issues


def journal_path(target: Any) -> Path:
    """記録.csv of a Workspace (its ``journal_path``), of a folder, or the file itself."""
    if hasattr(target, "journal_path"):
        return Path(target.journal_path)
    path = Path(target)
    return path / JOURNAL_FILE if path.is_dir() else path


def refuse_append(path: Path) -> Optional[Issue]:
    """Why rows must not be appended to ``path`` (its first line is not our header), or None."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(64 * 1024)
    except FileNotFoundError:
        return None
    if not first.strip(b"\xef\xbb\xbf \r\n\t"):
        return None
    text = first.decode("utf-8-sig", errors="replace").strip()
    if tuple(h.strip() for h in next(csv.reader([text]), [])) != COLUMNS:
        return iss.make("journal_foreign", file=path.name, expected="・".join(COLUMNS))
    return None


def busy_issue(path: Path, timeout: float) -> Issue:
    return iss.make("journal_busy", file=Path(path).name, seconds=f"{timeout:g}", lock=Path(str(path) + ".lock").name)


def stale_note(lock: JournalLock) -> List[Issue]:
    if lock.stale is None:
        return []
    return [iss.make("journal_stale_lock", file=lock.path.name, age=f"{lock.stale:.0f}")]


def _os_text(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
