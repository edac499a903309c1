"""Sending the mail drafts over SMTP (the drafting is :mod:`mail`).

One connection for all drafts; a message that fails is an issue and the others still
go; every attempt is appended to 送信記録.csv beside the drafts. The password is
never stored: the caller passes it in (from the environment or a prompt).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from . import issues as iss
from .issues import IssueList, Report
from .mail import _ADDRESS, Draft, MailError, MailResult, _csv_bytes, LOG_COLUMNS
from .excel import atomic_write


@dataclass
class SmtpSettings:
    host: str = ""
    port: int = 587
    starttls: bool = True
    user: str = ""
    password: str = ""
    timeout: float = 30.0


@dataclass
class SendResult(Report):
    """What :func:`send` delivered (a message refused for some addresses counts as sent)."""

    sent: List[Draft]
    issues: IssueList

    def report_data(self) -> Dict[str, Any]:
        return {"sent": [{"respondent_id": d.respondent_id, "to": list(d.to),
                          "file": d.file.name if d.file else None} for d in self.sent]}


def _append_log(path: Path, rows: List[List[str]]) -> None:
    """Add rows to the log (header and BOM only when it is new), rewriting it atomically."""
    old = path.read_bytes() if path.exists() else b""
    data = _csv_bytes(LOG_COLUMNS, rows)
    if old:
        data = old + data[len(_csv_bytes(LOG_COLUMNS, [])):]
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def send(drafts: Sequence[Draft], smtp: SmtpSettings, sender: str, *, sender_name: str = "",
         log: Optional[Path] = None) -> SendResult:
    """Send every draft over one SMTP connection; a message that fails is an issue, the others still go.

    Each attempt is appended to ``log`` (``送信記録.csv``: time, to, subject, result).
    """
    import smtplib
    import socket
    import ssl

    issues = IssueList()
    sent: List[Draft] = []

    def record(draft: Draft, result: str) -> None:
        if log is not None:
            _append_log(log, [[dt.datetime.now().isoformat(timespec="seconds"), draft.respondent_id,
                               draft.respondent, ", ".join(draft.to), draft.subject,
                               draft.attachment.name if draft.attachment else "", result]])

    pending = list(drafts)
    try:
        # the plain host name: socket.getfqdn() could ask DNS for this machine's name
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout,
                          local_hostname=socket.gethostname() or "localhost") as client:
            client.ehlo()
            if smtp.starttls:
                if not client.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("サーバーが STARTTLS に対応していません")
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if smtp.user:
                client.login(smtp.user, smtp.password)
            while pending:
                draft = pending.pop(0)
                try:
                    refused = client.send_message(draft.message(sender, draft=False, sender_name=sender_name),
                                                  from_addr=sender, to_addrs=draft.to)
                except (smtplib.SMTPException, OSError) as exc:
                    detail = _smtp_detail(exc)
                    issues.add(iss.make("mail_send_failed", file=draft.file.name if draft.file else None,
                                        respondent_id=draft.respondent_id, dept=draft.respondent,
                                        to=", ".join(draft.to), detail=detail))
                    record(draft, f"失敗: {detail}")
                    # (SMTPException is an OSError too) a lost connection ends the run
                    if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException):
                        raise
                    continue
                if refused:
                    detail = "、".join(f"{a}（{_smtp_detail(r)}）" for a, r in refused.items())
                    issues.add(iss.make("mail_send_failed", file=draft.file.name if draft.file else None,
                                        respondent_id=draft.respondent_id, dept=draft.respondent,
                                        to=", ".join(refused), detail=detail))
                    record(draft, f"一部失敗: {detail}")
                else:
                    record(draft, "送信済")
                sent.append(draft)
    except (smtplib.SMTPException, OSError) as exc:
        detail = _smtp_detail(exc)
        issues.add(iss.make("mail_smtp_failed", file="SMTP", host=smtp.host, port=smtp.port, detail=detail,
                            count=len(pending)))
        for draft in pending:
            record(draft, f"未送信: {detail}")
    return SendResult(sent, issues)


def _smtp_detail(exc: Any) -> str:
    """Readable text of an SMTP error, a (code, message) pair or an OSError."""
    if isinstance(exc, tuple) and len(exc) == 2:
        code, text = exc
        return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    recipients = getattr(exc, "recipients", None)
    if isinstance(recipients, dict) and recipients:
        return "、".join(f"{a}: {_smtp_detail(r)}" for a, r in recipients.items())
    code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", None)
    if code is not None and text is not None:
        return _smtp_detail((code, text))
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def check_sending(sender: str, smtp: SmtpSettings) -> str:
    """The sender address to send with (folded); raises :class:`MailError` when sending cannot work."""
    sender = unicodedata.normalize("NFKC", sender or "").strip()
    if not _ADDRESS.fullmatch(sender):
        raise MailError("送信するには、差出人のアドレスを --from か環境変数 WELFARE_MAIL_FROM で指定してください。")
    if not smtp.host:
        raise MailError("送信するには、SMTP サーバーを --smtp-host か環境変数 WELFARE_SMTP_HOST で指定してください。")
    return sender


def send_mail(result: MailResult, smtp: SmtpSettings) -> SendResult:
    """Send the drafts :func:`run_mail` wrote, logging to ``送信記録.csv`` beside them; kept in ``result.sent``.

    ``smtp.password`` must already be filled in when ``smtp.user`` is set.
    """
    if result.maildir is None:
        raise MailError("下書きがないため送信できません。")
    sender = check_sending(result.sender, smtp)
    result.sent = send(result.drafts, smtp, sender, sender_name=result.sender_name, log=result.log)
    return result.sent
