"""The words of the mail (:mod:`mail`): its kinds, the templates and what fills them.

A template is a text file whose first line is ``件名: …``; the body follows a blank
line. :func:`template_values` gives the placeholders for one respondent — a 課 of the
row-table survey or a 団体 of a form survey: the neutral ``{回答者}`` ``{回答者ID}``
``{回答者区分}`` name either, and the older ``{課名}`` ``{課ID}`` keep working (a
secretariat may have edited copies of the templates that use them).

>>> from welfare_workbook.master import load_master, sample_path
>>> master, _ = load_master(sample_path())
>>> values = template_values(master, master.departments["K01"])
>>> values["回答者"], values["回答者区分"], values["差出人"]
('福祉政策課', '課', '鶴ヶ島市 福祉政策課')
"""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

from .master import Department, read_csv_text
from .returns import RosterStatus
from .states import State
from .wareki import date_label

KIND_DISTRIBUTE, KIND_REMIND, KIND_SENDBACK = "配布", "督促", "差戻し"
KINDS = (KIND_DISTRIBUTE, KIND_REMIND, KIND_SENDBACK)
KIND_ALIASES = {"haifu": KIND_DISTRIBUTE, "tokusoku": KIND_REMIND, "sashimodoshi": KIND_SENDBACK}
TEMPLATE_FILES = {KIND_DISTRIBUTE: "mail_haifu.txt", KIND_REMIND: "mail_tokusoku.txt",
                  KIND_SENDBACK: "mail_sashimodoshi.txt"}
PLACEHOLDERS = ("自治体名", "計画名", "調査名", "計画名の調査名", "対象年度", "提出期限", "事務局", "差出人", "連絡先",
                "回答者", "回答者ID", "回答者区分", "課ID", "課名", "団体コード", "団体名", "担当者", "添付ファイル",
                "状況", "依頼内容", "修正内容")
_SUBJECT = re.compile(r"件名\s*[:：]\s*(.*)")


class MailError(ValueError):
    """A template cannot be used (no 件名 line, unknown placeholder)."""


def normalize_kind(kind: str) -> str:
    """'配布' / 'haifu' -> '配布'; raises ValueError for anything else."""
    text = unicodedata.normalize("NFKC", kind).strip()
    text = KIND_ALIASES.get(text.lower(), text)
    if text not in KINDS:
        raise ValueError(f"KIND は {'・'.join(KINDS)} のいずれかです: {kind}")
    return text


def load_template(kind: str, folder: Optional[Path] = None) -> Tuple[str, str]:
    """(name, text) of the template for ``kind``: from ``folder`` when it has one, else bundled."""
    from importlib import resources

    name = TEMPLATE_FILES[normalize_kind(kind)]
    if folder is not None and (Path(folder) / name).is_file():
        path = Path(folder) / name
        return str(path), read_csv_text(path)
    return name, resources.files("welfare_workbook.templates").joinpath(name).read_text(encoding="utf-8")


def render(template: Tuple[str, str], values: Dict[str, str]) -> Tuple[str, str]:
    """(subject, body) from a template whose first line is ``件名: …``, then a blank line and the body."""
    name, text = template
    lines = text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    match = _SUBJECT.fullmatch(lines[0].strip()) if lines else None
    if not match:
        raise MailError(f"テンプレート「{name}」の 1 行目は「件名: …」にしてください。")
    body = "\n".join(lines[1:]).strip("\n")
    for part in (match.group(1), body):
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(part) if f is not None}
        except ValueError as exc:
            raise MailError(f"テンプレート「{name}」の {{ }} の対応が取れていません（{exc}）。"
                            "文字として { を書くときは {{ と書いてください。") from exc
        unknown = sorted(f for f in fields if f not in values)
        if unknown:
            raise MailError(f"テンプレート「{name}」の {{{unknown[0]}}} は使えません。"
                            f"使える差し込み項目: {'・'.join('{' + p + '}' for p in PLACEHOLDERS)}")
    subject = " ".join(match.group(1).format_map(values).split())
    body = re.sub(r"\n{3,}", "\n\n", body.format_map(values)) + "\n"
    return subject, body


def sender_name(municipality: str, secretariat: str) -> str:
    """Who writes: 自治体名 and 事務局, a part both repeat said once.

    >>> sender_name("鶴ヶ島市", "福祉政策課")
    '鶴ヶ島市 福祉政策課'
    >>> sender_name("厚生労働省 社会・援護局", "社会・援護局 地域福祉課")
    '厚生労働省 社会・援護局 地域福祉課'
    """
    head, tail = municipality.split(), secretariat.split()
    # a ministry's 事務局 often starts with the bureau its 自治体名 ends with
    overlap = next((n for n in range(min(len(head), len(tail)), 0, -1) if head[-n:] == tail[:n]), 0)
    return " ".join(head + tail[overlap:])


def template_values(master: Any, dept: Department, **extra: str) -> Dict[str, str]:
    """The placeholders of a template for one respondent (a 課, or a form survey's 団体)."""
    s = master.settings
    survey = f"{s.plan_name}の{s.survey_name}" if s.plan_name else s.survey_name
    # a form survey's Department.person is the 団体's 担当部署: the mail goes to its ご担当者
    person = f"{dept.person} ご担当者" if dept.person and master.person_is_section else dept.person
    values = {
        "自治体名": s.municipality, "計画名": s.plan_name, "調査名": s.survey_name, "計画名の調査名": survey,
        "対象年度": s.fiscal_year_label, "提出期限": date_label(s.deadline) if s.deadline else "",
        "事務局": s.secretariat, "差出人": sender_name(s.municipality, s.secretariat),
        "連絡先": s.contact or s.secretariat, "回答者": dept.name, "回答者ID": dept.id, "回答者区分": master.respondent_noun,
        "課ID": dept.id, "課名": dept.name, "団体コード": dept.id, "団体名": dept.name,
        "担当者": person or "ご担当者", "添付ファイル": "", "状況": "", "依頼内容": "", "修正内容": "",
    }
    values.update(extra)
    return values


def fix_list(fixes: Sequence[Tuple[str, str, str, str]]) -> str:
    """The 修正内容 block of a message: one line per error or warning."""
    if not fixes:
        return ""
    errors = sum(1 for f in fixes if f[0] == "エラー")
    lines = ["", f"直していただきたい箇所（エラー {errors} 件・注意 {len(fixes) - errors} 件）："]
    for severity, sheet, cell, message in fixes:
        place = f"「{sheet}」シート " if sheet and f"「{sheet}」シート" not in message else ""
        if cell and cell not in message:
            place += f"{cell}："
        lines.append(f"・[{severity}] {place}{message}")
    return "\n".join(lines) + "\n"


def request(kind: str, status: str, note: str, respondent_noun: str = "課") -> str:
    """The {依頼内容} of a 督促: what is asked of the respondent, by its status."""
    if kind != KIND_REMIND:
        return ""
    if status == RosterStatus.NOT_SUBMITTED:
        return (f"貴{respondent_noun}からのご提出をまだ確認できておりません。"
                "提出期限までにご提出くださいますようお願いいたします。")
    if status == State.WRONG_FORMAT:
        return ("お送りいただいたファイルは、このままでは読み取れませんでした。" + (note + " " if note else "") +
                "お配りした調査票（.xlsx）に入力し、Excel ブック（.xlsx）のまま保存して、改めてご提出ください。")
    return ("ご提出いただいた調査票に、直していただきたい箇所があります。"
            "差戻しのファイルで下記の箇所を直して、再度ご提出くださいますようお願いいたします。")


__all__ = ["KINDS", "KIND_ALIASES", "MailError", "PLACEHOLDERS", "fix_list", "load_template", "normalize_kind",
           "render", "request", "sender_name", "template_values"]
