"""The survey folder (調査フォルダ, DESIGN §2a): one year's survey kept whole in one folder.

::

    令和7年度 進捗状況調査/      (any name)
      調査フォルダ.json           marks the folder (format, tool version, when made)
      マスタ.xlsx                 the master
      調査票/  受付/  回収結果/  メール/
      記録.csv                    the append-only log (:mod:`journal`)
      .cache/                     reserved (incremental collect)

A folder is a survey folder when it holds ``調査フォルダ.json`` (written by
:func:`init`), or — should that file be lost — both マスタ.xlsx and 記録.csv.

The commands are one library call each, every one returning a :class:`FolderReport`
(``valid``, ``counts``, ``issues``, ``exit_code`` and ``to_dict()``): :func:`init`
(here), :func:`~.receive.receive`, :func:`~.status.status` and :func:`~.review.review`;
:func:`locate` finds the folder a command works in.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import issues as iss
from . import journal
from ._version import __version__
from .excel import atomic_write
from .issues import Issue, IssueList, Report
from .kinds import SurveyKind, all_samples, kind_of, kind_of_file, load_any_master, sample_sheets, sample_source
from .master import Master, read_raw, write_master_xlsx
from .sources import display_name
from .states import INBOX, receipts

MARKER_FILE = "調査フォルダ.json"
MARKER_FORMAT = "welfare_workbook/調査フォルダ"
MASTER_FILE = "マスタ.xlsx"
FORMS_DIR, RESULTS_DIR, MAIL_DIR, CACHE_DIR = "調査票", "回収結果", "メール", ".cache"
INBOX_DIR = INBOX  # 受付
ISSUES_FILE = "issues.json"  # written by collect into 回収結果/
# files an OS puts into any folder: a folder holding only these is still empty
OS_FILES = {"desktop.ini", "thumbs.db", ".ds_store"}
# what each kind of survey is called when a master of the other kind is refused
SURVEY_WORDS = {"row": "担当課ごとの表形式の調査", "form": "団体ごとの様式（フォーム）の調査"}
# issues that mean the command was called wrongly or on an unusable path: exit code 2
USAGE_CODES = frozenset({
    "folder_not_found", "folder_not_empty", "folder_is_file", "folder_init_source", "folder_unknown_sample",
    "master_not_found", "receive_not_found", "receive_unknown_respondent", "review_unknown_respondent",
    "review_action", "review_nothing_received", "review_reason_required",
})


@dataclass(frozen=True)
class Workspace:
    """A survey folder and the places in it."""

    root: Path

    @property
    def master_path(self) -> Path:
        return self.root / MASTER_FILE

    @property
    def forms(self) -> Path:
        """調査票/: the generated workbooks."""
        return self.root / FORMS_DIR

    @property
    def inbox(self) -> Path:
        """受付/: every received file, copied in and never changed."""
        return self.root / INBOX_DIR

    @property
    def results(self) -> Path:
        """回収結果/: collect's outputs (answers.csv, 確認結果.xlsx, issues.json …)."""
        return self.root / RESULTS_DIR

    @property
    def mail_dir(self) -> Path:
        return self.root / MAIL_DIR

    @property
    def journal_path(self) -> Path:
        return self.root / journal.JOURNAL_FILE

    @property
    def cache_dir(self) -> Path:
        """.cache/: what earlier runs learned (safe to delete: it is rebuilt)."""
        return self.root / CACHE_DIR

    @property
    def collect_cache(self) -> Path:
        """Where collect keeps what it read from each received file (see :mod:`batch`)."""
        return self.cache_dir / "collect"

    @property
    def marker_path(self) -> Path:
        return self.root / MARKER_FILE

    @property
    def own_places(self) -> Tuple[Path, ...]:
        """What receive must not take in as returns: the folder's own outputs and files."""
        return (self.forms, self.inbox, self.results, self.mail_dir, self.cache_dir)

    @staticmethod
    def is_survey_folder(path: Path) -> bool:
        path = Path(path)
        return _marker(path) is not None or ((path / MASTER_FILE).is_file()
                                             and (path / journal.JOURNAL_FILE).is_file())

    @classmethod
    def find(cls, start: Path) -> Optional["Workspace"]:
        """The survey folder ``start`` is in (``start`` itself or the nearest folder above it)."""
        start = Path(start).resolve()
        for folder in (start, *start.parents):
            if folder.is_dir() and cls.is_survey_folder(folder):
                return cls(folder)
        return None

    def load_master(self) -> Tuple[Optional[Master], IssueList]:
        """The folder's master: a row-table survey's, or a form survey's (:mod:`kinds`)."""
        return load_any_master(self.master_path)

    def inbox_names(self) -> List[str]:
        """Names of the files in 受付/ ("/"-separated below it), as collect names them;
        hidden, temporary and Office lock files left out."""
        if not self.inbox.is_dir():
            return []
        names = []
        for folder, dirs, files in os.walk(self.inbox):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith((".", "~$")):
                    names.append((Path(folder) / name).relative_to(self.inbox).as_posix())
        return names


def _marker(folder: Path) -> Optional[Dict[str, Any]]:
    try:
        data = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == MARKER_FORMAT else None


def locate(folder: Optional[Path] = None, cwd: Optional[Path] = None) -> Tuple[Optional[Workspace], List[Issue]]:
    """The survey folder a command works in: ``folder`` (``-w DIR``) exactly, or else the
    one the current folder is in. None with a ``folder_not_found`` issue (exit 2) otherwise."""
    if folder is not None:
        if Workspace.is_survey_folder(Path(folder)):
            ws = Workspace(Path(folder))
            notes = [] if _marker(ws.root) else [iss.make("folder_marker_missing", file=MARKER_FILE)]
            return ws, notes
        return None, [iss.make("folder_not_found", file=str(folder))]
    found = Workspace.find(Path(cwd) if cwd is not None else Path.cwd())
    if found is None:
        return None, [iss.make("folder_not_found", file=str(cwd or Path.cwd()))]
    return found, []


# ---------------------------------------------------------------------------
# report objects


class FolderReport(Report):
    """What every survey-folder command returns: :class:`~.issues.Report` (``valid``,
    ``counts``, ``issues``, ``to_dict()``) and ``exit_code`` (0 / 1 / 2 as DESIGN §2)."""

    issues: List[Issue]

    @property
    def exit_code(self) -> int:
        if any(i.code in USAGE_CODES for i in self.issues):
            return 2
        return 0 if self.valid else 1

    def report_data(self) -> Dict[str, Any]:
        return {}


@dataclass
class InitReport(FolderReport):
    """``init``: the folder made (``created``: what was written, relative to it)."""

    folder: str
    master: str = ""  # where the master came from (a file, or 同梱サンプル NAME)
    created: List[str] = field(default_factory=list)
    issues: List[Issue] = field(default_factory=list)

    def report_data(self) -> Dict[str, Any]:
        return {"folder": self.folder, "master": self.master, "created": list(self.created)}


# ---------------------------------------------------------------------------
# init


def init(folder: Path, master: Optional[Path] = None, sample: Optional[str] = None,
         force: bool = False, *, shown_as: Optional[str] = None) -> InitReport:
    """``init``: make a survey folder at ``folder`` with the master copied in, from a file
    (``master``: .xlsx, or a folder of CSV exports) or a bundled sample (``sample``).

    The master is checked first; with an error in it nothing is written. An existing
    folder that is not empty is refused unless ``force`` (then nothing in it is deleted;
    マスタ.xlsx is replaced, 記録.csv and 受付/ are kept).
    """
    folder = Path(folder)
    report = InitReport(str(folder))
    if (master is None) == (sample is None):
        report.issues.append(iss.make("folder_init_source", samples="・".join(all_samples())))
        return report
    if sample is not None and sample not in all_samples():
        report.issues.append(iss.make("folder_unknown_sample", value=sample, samples="・".join(all_samples())))
        return report
    if folder.exists() and not folder.is_dir():
        report.issues.append(iss.make("folder_is_file", file=str(folder)))
        return report
    if folder.is_dir() and not force and any(p.name.lower() not in OS_FILES for p in folder.iterdir()):
        report.issues.append(iss.make("folder_not_empty", file=str(folder)))
        return report
    source = sample_source(sample) if sample is not None else Path(master)  # type: ignore[arg-type]
    # shown_as: where the master came from when its path does not say (the web page's upload)
    report.master = f"同梱サンプル {sample}" if sample is not None else shown_as or str(master)
    checked, issues = load_any_master(source)
    report.issues.extend(issues)
    if checked is None or issues.has_errors:
        report.issues.append(iss.make("folder_master_invalid", file=source.name if master else report.master))
        return report
    ws = Workspace(folder)
    changed = _kind_change(ws, kind_of(checked))
    if changed is not None:
        report.issues.append(changed)
        return report
    try:
        _make_folder(ws, source, sample, report)
    except OSError as exc:
        report.issues.append(iss.make("folder_unwritable", file=str(exc.filename or folder),
                                      detail=exc.strerror or str(exc)))
    return report


def _kind_change(ws: Workspace, new: SurveyKind) -> Optional[Issue]:
    """A master of the other kind of survey replacing one whose returns are in 受付/: refused,
    for those returns would name no respondent of it (課ID and 団体コード never meet)."""
    if not ws.master_path.is_file():
        return None
    old = kind_of_file(ws.master_path)
    received = ws.inbox_names()
    if old is new or not received:
        return None
    return iss.make("folder_master_kind_changed", file=MASTER_FILE, count=len(received), old=SURVEY_WORDS[old.name],
                    new=SURVEY_WORDS[new.name])


def _make_folder(ws: Workspace, source: Path, sample: Optional[str], report: InitReport) -> None:
    ws.root.mkdir(parents=True, exist_ok=True)
    for place in (ws.forms, ws.inbox, ws.results, ws.mail_dir):
        if not place.exists():
            place.mkdir()
            report.created.append(place.name + "/")
    replaced = journal_sha(ws.master_path) if ws.master_path.exists() else ""
    if sample is None and source.is_file() and source.suffix.lower() == ".xlsx":
        data = source.read_bytes()  # the secretariat's own workbook, as it is
        atomic_write(ws.master_path, lambda tmp: tmp.write_bytes(data))
    else:  # a sample, a folder of CSV exports or an .xlsm: written as a plain .xlsx
        write_master_xlsx(sample_sheets(sample) if sample is not None else _raw_rows(source), ws.master_path)
    report.created.append(MASTER_FILE)
    written, issues = load_any_master(ws.master_path)  # the copy must read back as the source did
    if written is None or issues.has_errors:
        report.issues.extend(issues)
        return
    marker = {"format": MARKER_FORMAT, "version": 1, "tool_version": __version__,
              "created": journal.now().isoformat(sep=" "), "survey": written.settings.survey_name}
    text = json.dumps(marker, ensure_ascii=False, indent=1) + "\n"
    atomic_write(ws.marker_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    report.created.append(MARKER_FILE)
    fresh = not ws.journal_path.exists()
    report.issues.extend(journal.append(ws, journal.Operation.INIT, file=MASTER_FILE, before=replaced,
                                        after=journal.SHA_PREFIX + file_sha256(ws.master_path),
                                        reason=report.master))
    if fresh:
        report.created.append(journal.JOURNAL_FILE)


def _raw_rows(source: Path) -> Dict[str, List[List[str]]]:
    """A master read as text (a folder of CSV exports) as rows per sheet, header first."""
    rows: Dict[str, List[List[str]]] = {}
    for name, sheet in read_raw(source).items():
        width = max(sheet.header.values(), default=0)
        header = [""] * width
        for text, column in sheet.header.items():
            header[column - 1] = text
        rows[name] = [header] + [list(values) + [""] * (width - len(values)) for _, values in sheet.rows]
    return rows


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def journal_sha(path: Path) -> str:
    return journal.SHA_PREFIX + file_sha256(path)


# ---------------------------------------------------------------------------
# 受付/ checked against 記録.csv


def check_inbox(ws: Workspace, entries: Sequence[journal.Entry]) -> List[Issue]:
    """Files of 受付/ deleted or changed since they were received, and files in it that were
    never received (copied in by hand). Never raises."""
    issues: List[Issue] = []
    recorded = receipts(entries)
    missing = []
    intact = set()  # contents still in 受付/ as received
    for name, receipt in recorded.items():
        entry = receipt.entry
        stored = ws.inbox / name
        shown = f"{INBOX}/{name}"
        time = entry.time.strftime(journal.TIME_FORMAT) if entry.time else ""
        original = display_name(entry.before)
        try:
            if not stored.is_file():
                missing.append((entry.sha256, iss.make("inbox_missing", file=shown, time=time, original=original)))
            elif entry.sha256 and file_sha256(stored) != entry.sha256:
                issues.append(iss.make("inbox_changed", file=shown, time=time, original=original))
            else:
                intact.add(entry.sha256)
        except OSError as exc:
            issues.append(iss.make("file_unreadable", file=shown, detail=exc.strerror or str(exc)))
    # a deleted file whose bytes were received again is whole again: not worth a word
    issues.extend(issue for sha, issue in missing if sha not in intact)
    for name in ws.inbox_names():
        if name not in recorded:
            issues.append(iss.make("inbox_unrecorded", file=f"{INBOX}/{name}"))
    return issues
