"""What each page shows, read from the survey folder at every request (no cache, so a
change made meanwhile by the command line is simply seen).

Each function is one library call (or a few reads) turned into plain values for a
template; the decisions stay in the library (:mod:`~welfare_workbook.status`,
:mod:`~welfare_workbook.review`, :mod:`~welfare_workbook.folder` …). These are
called with the page's work lock held (:mod:`.routes`).
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..issues import IssueList
from ..master import Master

from .. import journal
from ..contract import read_meta_file
from ..folder import generate_in, mail_in, rollover_in
from ..form_master import FormMaster
from ..issues import ERROR, INFO, SEVERITY_LABEL, WARNING
from ..kinds import FORM, is_form, kind_of_file
from ..mail import KINDS
from ..master_check import check_any_master
from ..merge import CollectResult, read_verdict
from ..receive import RECEIVABLE, receive
from ..report import sendback_filename
from ..review import review
from ..sources import display_name
from ..states import AWAITING_DEPARTMENT, INBOX, State, StateRow
from ..status import SOURCE_INBOX, current_states, read_inbox, status
from ..wareki import fiscal_year_label
from ..workspace import ISSUES_FILE, Workspace, init
from . import files

STATES = [s.value for s in State]
_CHECKS = {"確認結果.xlsx": "確認結果（提出状況と指摘の一覧）", "issues.json": "確認結果（機械判読用 JSON）"}
# what collect writes into 回収結果/ for each kind of survey (in the order shown): file -> what it is
RESULT_FILES: Dict[str, Dict[str, str]] = {
    "row": {"集計表.xlsx": "集計表（審議会資料）", "answers.csv": "回答データ（1 値 1 行）",
            "indicators.csv": "指標データ", **_CHECKS},
    "form": {"集計表.xlsx": "集計表（取りまとめ：団体の一覧と団体別のページ）", "回答一覧.csv": "回答一覧（1 団体 1 行）",
             "answers.csv": "回答データ（1 値 1 行）", **_CHECKS},
}
MAIL_FOLDER = "メール"
UPLOADED = "ブラウザ："  # 記録.csv's 変更前 of a file received through the page
ACTION_LABELS = {"accept": "確認済にしました", "send_back": "差戻しにしました", "reopen": "確認・差戻しを取り消しました"}


# ---------------------------------------------------------------------------
# the folder, its master read once per version of the file


class PageWorkspace(Workspace):
    """The survey folder as the page sees it: a :class:`~welfare_workbook.workspace.Workspace`
    whose master is read again only when マスタ.xlsx changes (its size, times or file id).

    Reading and checking a master of 1,000 respondents takes about half a second, and every
    page needs it; a changed file (saved in Excel, replaced by ``init --force``) has a new
    stamp, so the page never shows an old master.
    """

    def load_master(self) -> Tuple[Optional[Master], IssueList]:
        return _MASTERS.load(self.master_path, super().load_master)


class _MasterCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: Dict[str, Tuple[Tuple[int, ...], Tuple[Optional[Master], IssueList]]] = {}

    def load(self, path: Path, read: Any) -> Tuple[Optional[Master], IssueList]:
        try:
            st = os.stat(path)
            stamp: Tuple[int, ...] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        except OSError:
            return read()  # missing or unreadable: the library says why
        key = os.path.normcase(os.path.abspath(path))
        with self.lock:
            found = self.entries.get(key)
            if found is None or found[0] != stamp:
                found = (stamp, read())
                self.entries[key] = found
        master, issues = found[1]
        return master, copy.deepcopy(issues)  # callers may add to it


_MASTERS = _MasterCache()


def master_of(ws: Workspace) -> Tuple[Optional[Master], IssueList]:
    """The folder's master and what is wrong with it (None when it cannot be used)."""
    master, issues = ws.load_master()
    return (master if master is not None and not issues.has_errors else None), issues


def wording(ws: Workspace) -> Dict[str, str]:
    """How the pages name a respondent, as the folder's master does: 課 / 課ID / 課名, or for a
    form survey 団体 / 団体コード / 団体名. Told from the master's sheets alone (every page
    asks; cheap, and said even while the master has an error)."""
    kind = FormMaster if kind_of_file(ws.master_path) is FORM else Master
    return {"noun": kind.respondent_noun, "id": kind.respondent_id_label, "name": f"{kind.respondent_noun}名",
            "form": "1" if kind is FormMaster else ""}


def issue_view(issue: Any) -> Dict[str, Any]:
    """An issue (object or issues.json dict) as a table row."""
    get = issue.get if isinstance(issue, dict) else (lambda key, default=None: getattr(issue, key, default))
    severity = get("severity") or INFO
    return {"severity": severity, "label": SEVERITY_LABEL.get(severity, severity), "file": get("file") or "",
            "sheet": get("sheet") or "", "cell": get("cell") or "", "message": get("message") or "",
            "code": get("code") or ""}


def notes_of(issues: Sequence[Any], *, infos: bool = False) -> List[Dict[str, Any]]:
    return [issue_view(i) for i in issues if infos or issue_view(i)["severity"] != INFO]


# ---------------------------------------------------------------------------
# 提出状況


def roster(ws: Workspace, state: Optional[str] = None, collecting: bool = False) -> Dict[str, Any]:
    """The roster (``status``, nothing recorded: a page view must not write), filtered by state.
    ``collecting``: the outputs are being brought up to date (the roster is read from 受付/)."""
    report = status(ws, record=False)
    rows = []
    for row in report.respondents:
        rows.append({"id": row.respondent_id, "name": row.respondent, "state": str(row.state), "file": row.file or "",
                     "received": row.received or "", "errors": row.errors, "warnings": row.warnings,
                     "days_left": report.days_left if row.state in AWAITING_DEPARTMENT else None,
                     "note": row.decision.reason if row.decision else row.message})
    chosen = state if state in STATES else None
    return {"survey": report.survey, "deadline": report.deadline.isoformat() if report.deadline else "",
            "days_left": report.days_left, "counts": report.states(), "total": len(rows), "state": chosen,
            "rows": [r for r in rows if chosen is None or r["state"] == chosen],
            "stale": report.source == SOURCE_INBOX and any(r["file"] for r in rows) and not collecting,
            "collecting": collecting, "notes": notes_of(report.issues)}


# ---------------------------------------------------------------------------
# 受付


@dataclass
class Upload:
    """One file sent by the browser, staged under a safe name outside the survey folder."""

    sent: str  # the name as the browser sent it (shown, never used as a path)
    name: str  # the safe name it is staged (and so received) under
    path: Optional[Path] = None
    refused: str = ""


@dataclass
class Staging:
    """A temporary folder for one request's uploads (removed afterwards, whatever happens)."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="welfare-workbook-upload-")))
    uploads: List[Upload] = field(default_factory=list)

    def add(self, sent: Optional[str], data: Any) -> Upload:
        """Stage one uploaded file (``data``: a binary file object) unless its kind is refused."""
        name = files.upload_name(sent)
        upload = Upload(sent or "", name)
        self.uploads.append(upload)
        if not files.receivable(name, RECEIVABLE):
            upload.refused = (f"「{upload.sent or name}」は受け付けませんでした。Excel のブック（.xlsx）を選んでください"
                              "（.xls・.ods・.csv も「形式違い」として受け付けます）。")
            return upload
        place = self.folder / str(len(self.uploads))  # own folder each: two files may share a name
        place.mkdir()
        upload.path = place / name
        with open(upload.path, "wb") as out:
            shutil.copyfileobj(data, out, 1 << 20)
        return upload

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def receive_files(ws: Workspace, staging: Staging) -> Dict[str, Any]:
    """``receive`` of the staged files, then 受付/ read as collect reads it (with the folder's
    cache: only the new files are read) for each file's verdict and its respondent's state.
    The outputs are collect's (:class:`.collector.Collector`, started by the caller)."""
    staged = [u for u in staging.uploads if u.path is not None]
    verdicts = [{"sent": u.sent or u.name, "refused": u.refused} for u in staging.uploads if u.path is None]
    notes: List[Dict[str, Any]] = []
    if not staged:
        return {"verdicts": verdicts, "notes": notes, "received": 0}
    origins = {u.path: f"{UPLOADED}{u.name}" for u in staged if u.path}  # not the temporary path
    report = receive(ws, list(origins), note="ページから受付", origins=origins)
    notes.extend(notes_of([i for i in report.issues if i.code != "receive_duplicate"]))
    received = {r.source: r for r in report.received}  # by the staged path, as receive shows it
    duplicates = {r.source: r for r in report.duplicates}
    states: Dict[str, Tuple[str, str]] = {}  # respondent id -> (state, name)
    returns: Dict[str, Any] = {}
    if report.received:
        master, issues = master_of(ws)
        if master is not None:
            result = read_inbox(ws, master)
            rows, _ = current_states(ws, result)
            states = {row.respondent_id: (str(row.state), row.respondent) for row in rows}
            returns = {ret.file: ret for ret in result.returns}
        else:
            notes.extend(notes_of(issues))
    for upload in staged:
        shown = display_name(str(upload.path))
        verdicts.append(_verdict(upload, received.get(shown), duplicates.get(shown), returns, states))
    return {"verdicts": verdicts, "notes": notes, "received": len(report.received)}


def _verdict(upload: Upload, got: Any, dup: Any, returns: Dict[str, Any], states: Dict[str, Tuple[str, str]]
             ) -> Dict[str, Any]:
    shown = upload.sent or upload.name
    if got is None:
        if dup is not None:
            return {"sent": shown, "stored": dup.duplicate_of, "duplicate": True, "respondent_id": dup.respondent_id,
                    "state": states.get(dup.respondent_id, ("", ""))[0],
                    "message": f"同じ内容のファイルを受付済みです（{dup.duplicate_of}）。記録は増やしていません。"}
        return {"sent": shown, "refused": "受け付けられませんでした（下の注意を見てください）。"}
    name = got.file.split("/", 1)[1] if "/" in got.file else got.file
    ret = returns.get(name)
    rid = (ret.respondent_id if ret is not None else None) or got.respondent_id
    first_error = next((i.message for i in ret.issues if i.severity == ERROR), "") if ret is not None else ""
    state, who = states.get(rid or "", ("", ""))
    readable = ret is not None and ret.readable
    return {"sent": shown, "stored": got.file, "respondent_id": rid or "",
            # an unreadable file names nobody itself: receive placed it by its name (its state says 形式違い)
            "respondent": (ret.respondent if ret is not None else "") or who,
            "status": str(ret.status) if readable else "", "state": state,
            "errors": ret.errors if ret is not None else 0, "warnings": ret.warnings if ret is not None else 0,
            "message": first_error if ret is not None and not ret.readable else ""}


def recent_receipts(ws: Workspace, limit: int = 20) -> List[Dict[str, Any]]:
    read = journal.read(ws.journal_path)
    rows = [e for e in read.entries if e.operation == journal.Operation.RECEIVE.value]
    return [_entry(e) for e in reversed(rows[-limit:])]


# ---------------------------------------------------------------------------
# one respondent


def respondent(ws: Workspace, rid: str) -> Optional[Dict[str, Any]]:
    """A respondent's state, history (記録.csv), issues and files; None when unknown.

    The issues are collect's (回収結果/issues.json); while that does not yet hold every file
    of 受付/ (a collect is under way after an upload), 受付/ is read as collect reads it
    (with the folder's cache), so a return just received shows its issues at once."""
    master, _ = ws.load_master()
    if master is None or not master.is_respondent(rid):
        return None
    data = _verdict_json(ws)
    result = None if _collected_all(ws, data) else read_inbox(ws, master)
    rows, notes = current_states(ws, result)
    row = next((r for r in rows if r.respondent_id == rid), None)
    if row is None:
        return None
    entries = journal.read(ws.journal_path).entries
    name = master.departments[rid].name
    return {"id": rid, "name": name, **_state_view(row),
            "history": _history(entries, rid),
            "issues": _respondent_issues(rid, result, data),
            "read_now": result is not None and row.file is not None,
            "links": _links(ws, master, rid, name, entries, row.file, data),
            "notes": notes_of([i for i in notes if i.code.startswith(("status_", "journal_"))])}


def _collected_all(ws: Workspace, data: Optional[Dict[str, Any]]) -> bool:
    """Whether collect's issues.json (``data``) holds every file of 受付/."""
    if data is None:
        return False
    return {r.get("file") for r in data.get("returns", []) if isinstance(r, dict)} >= set(ws.inbox_names())


def _state_view(row: StateRow) -> Dict[str, Any]:
    """Its row of the states: state, the file it rests on, its counts, the secretariat's decision."""
    decision = row.decision
    return {"state": str(row.state), "base": str(row.base), "file": row.file or "", "received": row.received or "",
            "errors": row.errors, "warnings": row.warnings, "message": row.message,
            "decision": None if decision is None else {
                "operation": decision.operation, "time": decision.time, "user": decision.user,
                "reason": decision.reason},
            "old_files": list(row.old_files)}


def _history(entries: Sequence[journal.Entry], rid: str) -> List[Dict[str, Any]]:
    """Its lines of 記録.csv, newest first."""
    return [_entry(e) for e in reversed(entries) if e.respondent_id == rid]


_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


def _respondent_issues(rid: str, result: Optional[CollectResult], data: Optional[Dict[str, Any]]
                       ) -> List[Dict[str, Any]]:
    """Its issues, from 受付/ as just read (``result``) or else from issues.json: errors first,
    then by file, sheet and cell (its row number first)."""
    if result is not None:
        found = [issue_view(i) for ret in result.returns if ret.respondent_id == rid for i in ret.issues]
    else:
        found = [issue_view(i) for i in (data or {}).get("issues", []) if isinstance(i, dict)
                 and i.get("respondent_id") == rid]
    found.sort(key=lambda i: (_SEVERITY_ORDER.get(i["severity"], 3), i["file"], i["sheet"], _cell_key(i["cell"])))
    return found


def _verdict_json(ws: Workspace) -> Optional[Dict[str, Any]]:
    try:
        return read_verdict(ws.results / ISSUES_FILE)
    except (OSError, ValueError):
        return None


def _cell_key(cell: str) -> Tuple[int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits) if digits else 0, cell)


def _links(ws: Workspace, master: Any, rid: str, name: str, entries: Sequence[journal.Entry],
           current: Optional[str], data: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Its workbook in 調査票/, its send-back copy, its mail drafts, its current return."""
    # 課名_… or …(課ID)_… of a row survey, 団体コード_団体名.xlsx of a form survey
    forms = [n for n in files.listing(ws.forms) if n.lower().endswith(".xlsx")
             and (n.startswith((f"{name}_", f"{rid}_")) or f"({rid})_" in n)]
    form = next((n for n in forms if str((read_meta_file(ws.forms / n) or {}).get("respondent_id")) == rid), None)
    sendback = _sendback_name(master, rid, name, data)
    mails: Dict[str, str] = {}
    for entry in entries:
        if entry.respondent_id == rid and entry.operation.endswith("メール") and entry.file.startswith(MAIL_FOLDER + "/"):
            below = entry.file[len(MAIL_FOLDER) + 1:]
            if files.find_download(ws, "mail", below):
                mails[entry.operation] = below
    return {"form": form, "sendback": sendback if files.find_download(ws, "sendback", sendback) else None,
            "mails": sorted(mails.items()), "current": current if current and files.find_download(ws, "inbox", current)
            else None}


def _sendback_name(master: Any, rid: str, name: str, data: Optional[Dict[str, Any]]) -> str:
    """Its copy in 回収結果/差戻し/ as collect's issues.json lists it (``sendback:ID``: either
    kind of survey names its own copies), else by the row survey's naming."""
    listed = ((data or {}).get("outputs") or {}).get(f"sendback:{rid}")
    return Path(str(listed)).name if listed else sendback_filename(master, name)


def review_respondent(ws: Workspace, rid: str, action: str, reason: str) -> Tuple[bool, List[Dict[str, Any]]]:
    """``review``: recorded or not, with review's own words on why not."""
    report = review(ws, rid, action, reason)
    return report.recorded, notes_of(report.issues, infos=not report.recorded)


def _entry(entry: journal.Entry) -> Dict[str, Any]:
    data = entry.to_dict()
    inbox = f"{INBOX}/"
    data["inbox_file"] = entry.file[len(inbox):] if entry.file.startswith(inbox) else ""
    return data


# ---------------------------------------------------------------------------
# マスタ, 調査票, 出力, 記録, 翌年度へ


def master_check(ws: Workspace) -> Dict[str, Any]:
    report = check_any_master(ws.master_path)
    return {"valid": report.valid, "summary": _master_summary(report.master, report.sizes),
            "issues": [issue_view(i) for i in report.issues], "counts": report.counts, "file": ws.master_path.name,
            "modified": _mtime(ws.master_path), "form": kind_of_file(ws.master_path) is FORM}


def _master_summary(master: Any, sizes: Dict[str, int]) -> str:
    """What a valid master holds, in one line: a form survey's 様式 and 団体, a row survey's sheets."""
    if master is None:
        return ""
    if is_form(master):
        return (f"フォーム調査「{master.spec.title}」（様式 {master.settings.form}、{sizes['sections']} 節・"
                f"{sizes['items']} 項目）・回答団体 {sizes['respondents']}")
    return (f"担当課 {sizes['departments']}・基本施策 {sizes['measures']}・取組 {sizes['actions']}・"
            f"指標 {sizes['indicators']}・実績 {sizes['results']} 行・回答する課 {sizes['respondents']}")


def replace_master(ws: Workspace, staged: Path) -> Tuple[bool, List[Dict[str, Any]]]:
    """The master replaced by ``staged`` (``init --force``: checked first, nothing written when
    it has an error; 受付/ and 記録.csv are kept; 記録.csv names the upload, not its temporary path)."""
    report = init(ws.root, master=staged, force=True, shown_as=f"{UPLOADED}{staged.name}")
    return report.valid, notes_of(report.issues, infos=False)


def forms(ws: Workspace) -> Dict[str, Any]:
    return {"files": _file_rows(ws.forms, files.listing(ws.forms), "forms"), "folder": ws.forms.name}


def generate(ws: Workspace) -> Dict[str, Any]:
    """``generate -w``: refused while the master has an error."""
    master, issues = master_of(ws)
    if master is None:
        return {"done": False, "notes": notes_of(issues)}
    result = generate_in(ws, master)
    return {"done": not result.issues.has_errors, "count": len(result.workbooks), "notes": notes_of(result.issues)}


def outputs(ws: Workspace) -> Dict[str, Any]:
    present = set(files.listing(ws.results))
    labels = RESULT_FILES[kind_of_file(ws.master_path).name]
    results = _file_rows(ws.results, [n for n in labels if n in present], "results")
    sendback = files.zip_source(ws, "差戻し.zip")
    mails = []
    for kind in KINDS:
        source = files.zip_source(ws, f"メール_{kind}.zip")
        count = len([n for n in source[1] if n.endswith(".eml")]) if source else 0
        mails.append({"kind": kind, "count": count, "zip": f"メール_{kind}.zip" if count else None})
    return {"results": results, "sendback": len(sendback[1]) if sendback else 0, "mails": mails,
            "labels": labels}


def mail(ws: Workspace, kind: str) -> Dict[str, Any]:
    """``mail KIND -w``: drafts into メール/KIND (each recorded in 記録.csv)."""
    master, issues = master_of(ws)
    if master is None or kind not in KINDS:
        return {"done": False, "notes": notes_of(issues)}
    result = mail_in(ws, master, kind)
    return {"done": not result.has_errors, "kind": kind, "count": len(result.drafts),
            "notes": notes_of(result.report_issues())}


def log(ws: Workspace, rid: Optional[str]) -> Dict[str, Any]:
    read = journal.read(ws.journal_path)
    master, _ = ws.load_master()
    people = [(d.id, d.name) for d in master.respondents()] if master is not None else []
    shown = [_entry(e) for e in reversed(read.entries) if not rid or e.respondent_id == rid]
    return {"entries": shown, "total": len(read.entries), "respondent": rid or "", "people": people,
            "notes": notes_of(read.issues)}


def rollover_plan(ws: Workspace) -> Dict[str, Any]:
    """What rollover would make, and who still stops it."""
    master, issues = ws.load_master()
    if master is None:
        return {"ready": False, "notes": notes_of(issues), "open": [], "next": ""}
    year = fiscal_year_label(master.settings.fiscal_year)
    following = fiscal_year_label(master.settings.fiscal_year + 1)
    name = ws.root.name.replace(year, following) if year in ws.root.name else f"{ws.root.name}_{following}"
    rows, _ = current_states(ws)
    blocking = (State.NEEDS_FIX, State.SENT_BACK, State.WRONG_FORMAT)
    return {"ready": True, "notes": [], "year": year, "following": following, "form": is_form(master),
            "next": str(ws.root.parent / name),
            "open": [{"id": r.respondent_id, "name": r.respondent, "state": str(r.state)} for r in rows
                     if r.state in blocking]}


def rollover(ws: Workspace, target: str, force: bool) -> Dict[str, Any]:
    """``rollover -w DIR --out NEXT``: next year's survey folder (a relative path is taken
    beside this folder)."""
    master, issues = master_of(ws)
    if master is None:
        return {"done": False, "notes": notes_of(issues)}
    path = Path(target.strip())
    if not target.strip():
        return {"done": False, "notes": [issue_view({"severity": ERROR, "message": "翌年度の調査フォルダを入力してください。"})]}
    if not path.is_absolute():
        path = ws.root.parent / path
    result, _ = rollover_in(ws, master, path, force=force)
    return {"done": result.output is not None, "folder": str(path), "notes": notes_of(result.issues),
            "year": fiscal_year_label(result.next_year)}


def _file_rows(folder: Path, names: Sequence[str], place: str) -> List[Dict[str, Any]]:
    rows = []
    for name in names:
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            continue
        rows.append({"name": name, "place": place, "size": _size(size), "modified": _mtime(path)})
    return rows


def _mtime(path: Path) -> str:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        return ""


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
