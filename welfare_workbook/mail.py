"""E-mail to the respondents: 配布 (the workbook), 督促 (reminder), 差戻し (send back).

The respondents are the 課 of the row-table survey or the 団体 of a form survey (a
form master answers the same ``departments`` / ``respondents()``; its messages say 団体
and 団体コード). :func:`build_messages` makes one :class:`Draft` per respondent from the
master, the files on disk and a Japanese template (:mod:`mail_text`); :func:`write_drafts` writes them as ``.eml``
files (``X-Unsent: 1``: Outlook opens them as drafts) with an ``index.csv``;
:func:`send` delivers them through SMTP and keeps ``送信記録.csv``. :func:`run_mail`
drafts and writes one kind of mail and returns a :class:`MailResult`; :func:`send_mail`
sends those drafts. Nothing here prints or prompts (the command line asks before
sending), and nothing touches the network except :func:`send`.

Which file goes to whom is decided by the hidden ``_meta`` sheet of each workbook
(respondent and survey), never by its file name.

>>> from welfare_workbook.master import load_master, sample_path
>>> master, _ = load_master(sample_path())
>>> subject, body = render(load_template("配布"), template_values(master, master.departments["K01"]))
>>> subject
'【令和6年度 進捗状況調査】調査票の送付について（福祉政策課）'
>>> "令和7年5月30日（金）" in body
True
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import issues as iss
from .answers import csv_cell
from .contract import read_meta_file, survey_id
from .excel import atomic_write, safe_filename
from .issues import Issue, IssueList, Report
from .mail_text import (KIND_ALIASES, KIND_DISTRIBUTE, KIND_REMIND, KIND_SENDBACK, KINDS, PLACEHOLDERS,  # noqa: F401
                        TEMPLATE_FILES, MailError, fix_list, load_template, normalize_kind, render, request,
                        sender_name, template_values)
from .master import Department, Master, cell_text, mail_addresses
from .merge import CHECKS_FILE, ISSUES_FILE, read_verdict
from .returns import RosterStatus
from .states import State

DEFAULT_FROM_DIR = {KIND_DISTRIBUTE: Path("output") / "調査票", KIND_REMIND: Path("output") / "回収結果",
                    KIND_SENDBACK: Path("output") / "回収結果"}
DEFAULT_MAILDIR = Path("output") / "メール"
DEFAULT_MAX_SIZE_MB = 10.0
INDEX_FILE = "index.csv"
SEND_LOG = "送信記録.csv"
INDEX_COLUMNS = ("respondent_id", "respondent", "to", "subject", "attachment", "file")
LOG_COLUMNS = ("time", "respondent_id", "respondent", "to", "subject", "attachment", "result")
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SENDBACK_DIR = "差戻し"
REMIND_STATUSES = (RosterStatus.NOT_SUBMITTED, RosterStatus.NEEDS_FIX)
# input that cannot be used at all: the command stops with exit code 2
INPUT_MISSING = {"mail_no_folder", "mail_no_collect_result", "mail_collect_outdated", "mail_collect_unreadable",
                 "mail_collect_mismatch"}
# a respondent that should get the mail but gets no draft (the issue says why)
LEFT_OUT = {"mail_no_address", "mail_bad_address", "mail_attachment_too_large", "mail_no_workbook",
            "mail_duplicate_workbook", "mail_unknown_department"}
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+")


# ---------------------------------------------------------------------------
# drafts


@dataclass
class Draft:
    """One message to one department, before it is written or sent."""

    kind: str
    respondent_id: str
    respondent: str
    to: List[str]
    display_name: str
    subject: str
    body: str
    attachment: Optional[Path] = None
    status: str = ""  # the roster status (督促・差戻し)
    file: Optional[Path] = None  # the .eml, once written

    def message(self, sender: str = "", *, draft: bool = True, sender_name: str = "") -> Any:
        """The message as :class:`email.message.EmailMessage` (headers encoded per RFC 2047/2231)."""
        from email.headerregistry import Address
        from email.message import EmailMessage
        from email.utils import formatdate, make_msgid

        msg = EmailMessage(policy=_policy())
        if sender:
            msg["From"] = Address(sender_name, addr_spec=sender) if sender_name else sender
        msg["To"] = [Address(self.display_name, addr_spec=a) for a in self.to]
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=True)
        domain = sender.rpartition("@")[2] if "@" in sender else "welfare-workbook.invalid"
        msg["Message-ID"] = make_msgid(domain=domain)  # a domain given: no host-name lookup
        if draft:
            msg["X-Unsent"] = "1"  # Outlook opens the .eml as an unsent draft
        # base64 keeps Japanese text intact through gateways that are not 8-bit clean
        msg.set_content(self.body, charset="utf-8", cte="base64")
        if self.attachment is not None:
            msg.add_attachment(self.attachment.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                               filename=self.attachment.name)
            _add_encoded_name(list(msg.iter_attachments())[-1], self.attachment.name)
        return msg

    def to_bytes(self, sender: str = "", *, draft: bool = True, sender_name: str = "") -> bytes:
        return self.message(sender, draft=draft, sender_name=sender_name).as_bytes()


def _policy() -> Any:
    """CRLF line ends (canonical MIME, also inside base64 text); headers stored pre-folded stay as written."""
    import email.policy

    return email.policy.SMTP.clone(refold_source="none")


def _add_encoded_name(part: Any, name: str) -> None:
    """Also give the attachment name as ``Content-Type: …; name="=?utf-8?b?…?="`` (RFC 2047).

    ``add_attachment`` writes ``filename*=`` (RFC 2231) in Content-Disposition, which
    Thunderbird, Gmail and current Outlook read; older Outlook and many Japanese mail
    programs read the RFC 2047 ``name`` instead (Thunderbird sends both by default).
    The header is stored pre-folded and the policy does not refold it: the email
    package's own folding would break the long MIME type into encoded words.
    """
    from email.header import Header

    words = Header(name, "utf-8").encode(maxlinelen=76).replace("\r\n", "\n").split("\n")
    value = f"{XLSX_TYPE[0]}/{XLSX_TYPE[1]};\r\n name=\"" + "\r\n ".join(w.strip() for w in words) + '"'
    # set_raw stores the pre-folded text as is (item assignment would parse and refold it)
    del part["Content-Type"]
    part.set_raw("Content-Type", value)


# ---------------------------------------------------------------------------
# addresses


def addresses(text: str) -> List[str]:
    """Addresses in a メール cell: several may be separated by , ; 、 or spaces; full-width is folded.

    >>> addresses("ｋ０１＠example.jp; k01b@example.jp")
    ['k01@example.jp', 'k01b@example.jp']
    """
    return mail_addresses(text)  # the rule check-master warns by (master_bad_email)


# ---------------------------------------------------------------------------
# what is on disk: workbooks (by _meta) and the collect result


@dataclass
class _Book:
    path: Path
    survey_id: str
    respondent_id: str
    survey_name: str


def _meta_of(path: Path) -> Optional[_Book]:
    """Survey and respondent of a workbook this tool wrote (read-only, python-calamine)."""
    pairs = {k: cell_text(v) for k, v in (read_meta_file(path) or {}).items()}
    if not pairs.get("respondent_id"):
        return None
    return _Book(path, pairs.get("survey_id", ""), pairs["respondent_id"], pairs.get("survey_name", ""))


def find_workbooks(master: Master, folder: Path, issues: IssueList) -> Dict[str, Path]:
    """respondent id -> the one workbook of this survey for it in ``folder`` (matched by ``_meta``)."""
    wanted = survey_id(master)
    found: Dict[str, List[Path]] = {}
    for path in sorted(Path(folder).glob("*.xlsx")):
        book = _meta_of(path)
        if book is None:
            continue
        if book.survey_id != wanted:
            issues.add(iss.make("mail_other_survey", file=path.name, respondent_id=book.respondent_id,
                                detail=book.survey_name or book.survey_id))
            continue
        found.setdefault(book.respondent_id, []).append(path)
    result = {}
    for rid, paths in found.items():
        if len(paths) > 1:
            issues.add(iss.make("mail_duplicate_workbook", file=paths[0].parent.name, respondent_id=rid,
                                dept=_dept_name(master, rid), files="」「".join(p.name for p in paths)))
        else:
            result[rid] = paths[0]
    return result


def _dept_name(master: Master, rid: str) -> str:
    dept = master.departments.get(rid)
    return dept.name if dept else rid


@dataclass
class CheckRow:
    """One department of the collect roster, with the errors and warnings of its current return."""

    respondent_id: str
    respondent: str
    status: str  # a RosterStatus word (未提出 / 提出済 / 要修正 / 再提出), or in a survey folder its state
    file: str = ""
    fixes: List[Tuple[str, str, str, str]] = field(default_factory=list)  # (重要度, シート, セル, 内容)
    note: str = ""  # in a survey folder: e.g. for 形式違い, which file came and how to re-save it
    in_folder: bool = False  # the status is a survey folder's state


def read_checks(master: Master, folder: Path, issues: IssueList) -> Optional[List[CheckRow]]:
    """The roster and the fixes from ``issues.json`` of a collect output folder (None when unusable).

    Read from the machine-readable verdict, never from 確認結果.xlsx (which is for people).
    """
    verdict = _load_verdict(master, Path(folder), issues)
    if verdict is None:
        return None
    roster, found = verdict
    rows = []
    for rid, name, status, file, note, in_folder in roster:
        if not rid:
            continue
        row = CheckRow(rid, name, status, file, note=note, in_folder=in_folder)
        for severity in (iss.ERROR, iss.WARNING):
            row.fixes.extend((iss.SEVERITY_LABEL[severity], sheet, cell, message)
                             for who, sev, where, sheet, cell, message in found
                             if who == rid and sev == severity and (not file or where == file))
        rows.append(row)
    return rows


def _load_verdict(master: Master, folder: Path, issues: IssueList) -> Optional[Tuple[List[tuple], List[tuple]]]:
    """(roster rows, issue rows) of the folder's issues.json when it is this survey's; else an issue."""
    path = folder / ISSUES_FILE
    if not path.is_file():
        if (folder / CHECKS_FILE).is_file():  # an older collect's output, or issues.json failed to write
            issues.add(iss.make("mail_collect_outdated", file=ISSUES_FILE, folder=str(folder)))
        else:
            issues.add(iss.make("mail_no_collect_result", file=str(path), folder=str(folder)))
        return None
    try:
        verdict = read_verdict(path)
        survey = verdict["survey"]
        roster = [(str(r["respondent_id"]), str(r.get("respondent") or ""), str(r.get("state") or r["status"]),
                   str(r.get("file") or ""), str(r.get("note") or ""), bool(r.get("state")))
                  for r in verdict["roster"]]
        found = [(str(i.get("respondent_id") or ""), str(i["severity"]), str(i.get("file") or ""),
                  str(i.get("sheet") or ""), str(i.get("cell") or ""), str(i["message"])) for i in verdict["issues"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # any unusable file, one message
        detail = f"項目 {exc} がありません" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__
        issues.add(iss.make("mail_collect_unreadable", file=str(path), detail=detail))
        return None
    if not isinstance(survey, dict) or survey.get("id") != survey_id(master):
        name = survey.get("name") if isinstance(survey, dict) else None
        issues.add(iss.make("mail_collect_mismatch", file=str(path), detail=name or "不明",
                            survey=name, expected=master.settings.survey_name))
        return None
    return roster, found


# ---------------------------------------------------------------------------
# building the messages


Plan = List[Tuple[Department, str, Optional[Path], List[Tuple[str, str, str, str]], str]]
States = Mapping[str, Tuple[str, str]]  # respondent id -> (its survey folder state, why)


def build_messages(master: Master, kind: str, from_dir: Optional[Path] = None, *,
                   templates: Optional[Path] = None,
                   max_size_mb: float = DEFAULT_MAX_SIZE_MB) -> Tuple[List[Draft], IssueList]:
    """One draft per respondent (課 or 団体) that should get ``kind`` of mail; problems as issues.

    配布: every respondent, with its generated workbook from ``from_dir`` (default
    ``output/調査票``). 督促: the 未提出・要修正 respondents of the collect result in
    ``from_dir`` (default ``output/回収結果``) — in a survey folder the 未提出 and 形式違い
    ones (naming the file that came and how to re-save it). 差戻し: the 要修正
    respondents, with their copy from ``from_dir/差戻し``. A respondent without an
    address, without its file or with an attachment over ``max_size_mb`` gets no draft
    but an issue. Raises :class:`MailError` when the template cannot be used.
    """
    drafts, issues, _ = _drafting(master, kind, from_dir, templates, max_size_mb)
    return drafts, issues


def _drafting(master: Master, kind: str, from_dir: Optional[Path], templates: Optional[Path],
              max_size_mb: float, states: Optional[States] = None) -> Tuple[List[Draft], IssueList, Tuple[str, ...]]:
    """:func:`build_messages`, and the statuses the mail went by (督促・差戻し), for the console."""
    kind = normalize_kind(kind)
    folder = Path(from_dir) if from_dir is not None else DEFAULT_FROM_DIR[kind]
    template = load_template(kind, templates)
    render(template, template_values(master, Department("K00", "課名")))  # a broken template fails early
    issues = IssueList()
    if templates is not None and template[0] == TEMPLATE_FILES[kind]:
        issues.add(iss.make("mail_template_default", file=TEMPLATE_FILES[kind], folder=str(templates)))
    wanted: Tuple[str, ...] = ()  # 配布 goes to every respondent
    if kind == KIND_DISTRIBUTE:
        plan = _distribution_plan(master, folder, issues)
    else:
        plan, wanted = _roster_plan(master, kind, folder, issues, states)
    drafts = []
    for dept, status, attachment, fixes, note in plan or []:
        if not _can_send(master, dept, attachment, max_size_mb, issues):
            continue
        values = template_values(master, dept, 添付ファイル=attachment.name if attachment else "", 状況=status,
                                 依頼内容=request(kind, status, note, master.respondent_noun), 修正内容=fix_list(fixes))
        subject, body = render(template, values)
        display = f"{dept.name} {dept.person}".strip()
        drafts.append(Draft(kind, dept.id, dept.name, addresses(dept.email), display, subject, body, attachment,
                            status))
    return drafts, issues, wanted


def _distribution_plan(master: Master, folder: Path, issues: IssueList) -> Optional[Plan]:
    """配布: every respondent with its generated workbook (matched by ``_meta``, not by name)."""
    if not folder.is_dir():
        issues.add(iss.make("mail_no_folder", file=str(folder)))
        return None
    books = find_workbooks(master, folder, issues)
    plan: Plan = []
    for dept in master.respondents():
        if dept.id not in books:
            issues.add(iss.make("mail_no_workbook", file=folder.name, respondent_id=dept.id, dept=dept.name,
                                folder=str(folder),
                                what="調査票", hint="generate で作り直すか、--from-dir で調査票のフォルダを指定して"))
            continue
        plan.append((dept, "", books[dept.id], [], ""))
    return plan


# who gets a 督促 and a 差戻し: by collect's roster, or by a survey folder's states
WANTED: Dict[Tuple[str, bool], Tuple[str, ...]] = {
    (KIND_REMIND, False): tuple(str(s) for s in REMIND_STATUSES),
    (KIND_REMIND, True): (str(State.NOT_SUBMITTED), str(State.WRONG_FORMAT)),
    (KIND_SENDBACK, False): (str(RosterStatus.NEEDS_FIX),), (KIND_SENDBACK, True): (str(State.NEEDS_FIX),)}


def _roster_plan(master: Master, kind: str, folder: Path, issues: IssueList, states: Optional[States] = None
                 ) -> Tuple[Optional[Plan], Tuple[str, ...]]:
    """督促 and 差戻し: the respondents of the collect result that need it, with what to fix;
    and the statuses that chose them (a survey folder's states, or collect's roster).
    ``states``: each respondent's state now, and why (a survey folder: the secretariat may
    have accepted or sent back a return since collect wrote issues.json)."""
    checks = read_checks(master, folder, issues)
    if checks is None:
        return None, ()
    for row in checks:
        if states is not None and row.respondent_id in states:
            row.status, row.note = states[row.respondent_id]
            row.in_folder = True
    books = find_workbooks(master, folder / SENDBACK_DIR, issues) if kind == KIND_SENDBACK else {}
    plan: Plan = []
    for row in checks:
        if row.status not in WANTED[(kind, row.in_folder)]:
            continue
        dept = master.departments.get(row.respondent_id)
        if dept is None:
            issues.add(iss.make("mail_unknown_department", file=ISSUES_FILE, respondent_id=row.respondent_id,
                                dept=row.respondent, dept_id=row.respondent_id, **master.wording()))
            continue
        attachment = books.get(dept.id) if kind == KIND_SENDBACK else None
        if kind == KIND_SENDBACK and attachment is None:
            issues.add(iss.make("mail_no_workbook", file=SENDBACK_DIR, respondent_id=dept.id, dept=dept.name,
                                folder=str(folder / SENDBACK_DIR), what="差戻しのファイル",
                                hint="collect をやり直して差戻しのファイルを作って"))
            continue
        plan.append((dept, row.status, attachment, row.fixes, row.note))
    return plan, WANTED[(kind, any(row.in_folder for row in checks))]


def _can_send(master: Master, dept: Department, attachment: Optional[Path], max_size_mb: float,
              issues: IssueList) -> bool:
    """A respondent can get its mail: an address that reads as one, an attachment within the limit."""
    master_file = Path(master.source).name if master.source else "マスタ"
    words = master.wording()
    to = addresses(dept.email)
    bad = [a for a in to if not _ADDRESS.fullmatch(a)]
    if not to or bad:  # the master's sheet of respondents is where to put it right
        issues.add(iss.make("mail_bad_address" if bad else "mail_no_address", file=master_file,
                            sheet=words["roster_sheet"], respondent_id=dept.id, dept=dept.name, dept_id=dept.id,
                            value=bad[0] if bad else None, **words))
        return False
    if attachment is not None and attachment.stat().st_size > max_size_mb * 1024 * 1024:
        issues.add(iss.make("mail_attachment_too_large", file=attachment.name, respondent_id=dept.id,
                            dept=dept.name, size=size_label(attachment.stat().st_size),
                            limit=f"{max_size_mb:g} MB"))
        return False
    return True


def size_label(size: float) -> str:
    """A file size as the console and messages show it.

    >>> size_label(38345), size_label(12 * 1048576)
    ('37 KB', '12.0 MB')
    """
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{max(1, round(size / 1024))} KB"


# ---------------------------------------------------------------------------
# writing and sending


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], bom: bool = True) -> bytes:
    """index.csv / 送信記録.csv, with the same formula guard as answers.csv (subjects come from templates)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def _bytes_writer(data: bytes) -> Callable[[Path], Any]:
    """A writer for :func:`excel.atomic_write` that puts ``data`` into the temporary file."""
    return lambda tmp: tmp.write_bytes(data)


def eml_name(draft: Draft) -> str:
    return safe_filename(f"{draft.kind}_{draft.respondent_id}_{draft.respondent}") + ".eml"


def write_drafts(drafts: Sequence[Draft], maildir: Path, *, kind: str = "", sender: str = "",
                 sender_name: str = "") -> Path:
    """Write each draft as ``.eml`` and ``index.csv`` (UTF-8 with BOM) into ``maildir``; returns the index.

    Drafts of the same kind left by an earlier run for departments not in ``drafts``
    (e.g. one that has since answered) are removed, so none is sent by mistake.
    """
    maildir = Path(maildir)
    maildir.mkdir(parents=True, exist_ok=True)
    names = set()
    for draft in drafts:
        draft.file = maildir / eml_name(draft)
        names.add(draft.file.name)
        atomic_write(draft.file, _bytes_writer(draft.to_bytes(sender, sender_name=sender_name)))
    for each in {d.kind for d in drafts} | ({normalize_kind(kind)} if kind else set()):
        for path in maildir.glob(f"{each}_*.eml"):
            if path.name not in names:
                path.unlink()
    rows = [[d.respondent_id, d.respondent, ", ".join(d.to), d.subject, d.attachment.name if d.attachment else "",
             d.file.name if d.file else ""] for d in drafts]
    index = maildir / INDEX_FILE
    data = _csv_bytes(INDEX_COLUMNS, rows)
    atomic_write(index, lambda tmp: tmp.write_bytes(data))
    return index


# ---------------------------------------------------------------------------
# the command


@dataclass
class MailResult(Report):
    """What :func:`run_mail` did: the drafts written (or why none could be) and, once sent, the outcome.

    As a :class:`~welfare_workbook.issues.Report`, its ``valid``, ``counts`` and ``to_dict()``
    take in the sending's issues too, once :func:`send_mail` has run.
    """

    kind: str
    drafts: List[Draft]
    issues: IssueList
    sender: str = ""
    sender_name: str = ""
    maildir: Optional[Path] = None  # None: the input could not be used, nothing was written
    index: Optional[Path] = None
    sent: Optional[Any] = None  # a mail_send.SendResult, set by send_mail (sending imports drafting)
    noun: str = "課"  # what the respondents are called (団体 in a form survey)
    wanted: Tuple[str, ...] = ()  # the statuses a 督促 or 差戻し went to (未提出・形式違い …)

    @property
    def input_missing(self) -> bool:
        """The folder or collect result to work from is missing or unusable (a usage error)."""
        return any(i.code in INPUT_MISSING for i in self.issues)

    @property
    def log(self) -> Optional[Path]:
        return self.maildir / SEND_LOG if self.maildir is not None else None

    @property
    def has_errors(self) -> bool:
        """An error in drafting (a department left without its mail) or in sending."""
        return self.issues.has_errors or (self.sent is not None and self.sent.issues.has_errors)

    @property
    def left_out(self) -> List[str]:
        """Respondents that should have had this mail but got no draft (each has an issue saying why)."""
        drafted = {d.respondent_id for d in self.drafts}
        return list(dict.fromkeys(i.respondent_id for i in self.issues
                                  if i.code in LEFT_OUT and i.respondent_id and i.respondent_id not in drafted))

    def report_issues(self) -> List[Issue]:
        return list(self.issues) + (list(self.sent.issues) if self.sent is not None else [])

    def report_data(self) -> Dict[str, Any]:
        return {"kind": self.kind, "maildir": None if self.maildir is None else str(self.maildir),
                "index": None if self.index is None else str(self.index),
                "drafts": [{"respondent_id": d.respondent_id, "respondent": d.respondent, "to": list(d.to),
                            "status": str(d.status), "attachment": d.attachment.name if d.attachment else None,
                            "file": d.file.name if d.file else None} for d in self.drafts],
                "sent": None if self.sent is None else self.sent.report_data()["sent"]}


def run_mail(master: Master, kind: str, *, from_dir: Optional[Path] = None, out: Optional[Path] = None,
             templates: Optional[Path] = None, max_size_mb: float = DEFAULT_MAX_SIZE_MB,
             sender: str = "", states: Optional[States] = None) -> MailResult:
    """The drafting half of the ``mail`` command: build the drafts and write them into ``out``.

    ``out`` defaults to ``output/メール/<kind>``. Nothing is written when the folder to
    work from is unusable (``result.input_missing``). Raises :class:`MailError` when
    the template or the sender address cannot be used. Sending is :func:`send_mail`,
    after the caller has asked whoever runs it; nothing here prints or prompts.
    """
    kind = normalize_kind(kind)
    sender = unicodedata.normalize("NFKC", sender or "").strip()
    if sender and not _ADDRESS.fullmatch(sender):
        raise MailError(f"差出人「{sender}」はメールアドレスとして読めません。--from を確認してください。")
    drafts, issues, wanted = _drafting(master, kind, from_dir, templates, max_size_mb, states)
    name = sender_name(master.settings.municipality, master.settings.secretariat)
    result = MailResult(kind, drafts, issues, sender, name, noun=master.respondent_noun, wanted=wanted)
    if result.input_missing:
        return result
    result.maildir = Path(out) if out is not None else DEFAULT_MAILDIR / kind
    result.index = write_drafts(drafts, result.maildir, kind=kind, sender=sender, sender_name=name)
    return result


__all__ = ["Draft", "KINDS", "MailError", "MailResult", "build_messages", "load_template", "render", "run_mail",
           "size_label", "template_values", "write_drafts"]
