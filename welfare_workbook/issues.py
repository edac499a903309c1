"""Errors are data: every problem found in a master or a return is an :class:`Issue`.

Each issue has a code from :data:`CATALOGUE`, whose Japanese template says what is
wrong and how to fix it. Code raises only when work cannot go on at all.

>>> issue = make("master_sheet_missing", file="master.xlsx", sheet="指標")
>>> issue.severity
'error'
>>> "指標" in issue.message
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

# code -> (severity, Japanese message template). Templates use str.format fields;
# {where} is filled with 「シート名」セル when a location is known.
CATALOGUE: Dict[str, tuple] = {
    # --- master ---------------------------------------------------------------
    "master_not_found": (ERROR, "マスタ「{file}」が見つかりません。パスを確認してください。"),
    "master_unreadable": (
        ERROR,
        "マスタ「{file}」を開けません（{detail}）。Excel ブック（.xlsx）か、シートごとの CSV を入れたフォルダを指定してください。",
    ),
    "master_sheet_missing": (
        ERROR,
        "マスタにシート「{sheet}」がありません。`welfare-workbook init-master` で作ったひな形と同じ名前のシートを追加してください。",
    ),
    "master_column_missing": (
        ERROR,
        "{where}見出し「{column}」がありません。1行目に見出し「{column}」の列を追加してください。",
    ),
    "master_required_empty": (ERROR, "{where}「{column}」が空欄です。値を入力してください。"),
    "master_duplicate_id": (
        ERROR,
        "{where}{column}「{value}」が重複しています（最初は {first}）。番号が重ならないように直してください。",
    ),
    "master_unknown_department": (
        ERROR,
        "{where}課ID「{value}」は「担当課」シートにありません。担当課シートに追加するか、課IDを直してください。",
    ),
    "master_unknown_measure": (
        ERROR,
        "{where}基本施策ID「{value}」は「計画体系」シートにありません。計画体系シートに追加するか、IDを直してください。",
    ),
    "master_unknown_action": (
        ERROR,
        "{where}取組No「{value}」は「取組」シートにありません。取組シートの番号を確認してください。",
    ),
    "master_unknown_indicator": (
        ERROR,
        "{where}指標No「{value}」は「指標」シートにありません。指標シートの番号を確認してください。",
    ),
    "master_unknown_type": (
        ERROR,
        "{where}型「{value}」は使えません。「整数」「小数」「文章」「複合」のいずれかを入力してください。",
    ),
    "master_unknown_kind": (
        ERROR,
        "{where}区分「{value}」は使えません。「庁内」か「関係機関」を入力してください。",
    ),
    "master_bad_number": (
        ERROR,
        "{where}「{value}」は番号として読めません。半角の整数（1、2、3…）で入力してください。",
    ),
    "master_bad_year": (
        ERROR,
        "{where}年度「{value}」を読み取れません。「令和6年度」「R6」「2024」のように入力してください。",
    ),
    "master_bad_date": (
        ERROR,
        "{where}提出期限「{value}」を日付として読み取れません。「2025-05-30」や「令和7年5月30日」のように入力してください。",
    ),
    "master_unknown_setting": (
        ERROR,
        "{where}対象シート「{value}」は作成できません。「取組状況」「中間評価」「今後の方向性」から選んでください（複数はカンマ区切り）。",
    ),
    "master_result_target": (
        ERROR,
        "{where}指標No と 取組No のどちらか一方だけを入力してください（「{value}」）。",
    ),
    "master_bad_choice": (
        ERROR,
        "{where}「{value}」は{column}として使えません。{choices} のいずれかを入力してください。",
    ),
    "master_no_respondents": (
        ERROR,
        "マスタに回答課が一つもありません。「指標」の回答課ID か「取組」の主担当課ID を入力してください。",
    ),
    # --- generate ---------------------------------------------------------------
    "generate_foreign_file": (
        WARNING,
        "出力先に、このツールで作成していない Excel ファイル「{file}」があります。配布前に取り除いてください。",
    ),
    "generate_unwritable": (
        ERROR,
        "「{file}」を書き込めません（{detail}）。ファイルを Excel で開いていないか、書き込み権限があるか確認してください。",
    ),
    "generate_removed_stale": (
        INFO,
        "前回作成した「{file}」は今回の対象外のため削除しました。",
    ),
}


@dataclass(frozen=True)
class Issue:
    """One problem, addressed as precisely as it can be: file, sheet, cell.

    ``message`` is the Japanese text a secretariat or department reads.
    """

    code: str
    severity: str
    message: str
    file: Optional[str] = None
    sheet: Optional[str] = None
    cell: Optional[str] = None
    respondent_id: Optional[str] = None
    value: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


def where(sheet: Optional[str], cell: Optional[str]) -> str:
    """Japanese location prefix: 「指標」シート D5：."""
    if sheet and cell:
        return f"「{sheet}」シート {cell}："
    if sheet:
        return f"「{sheet}」シート："
    return ""


def make(
    code: str,
    *,
    file: Optional[str] = None,
    sheet: Optional[str] = None,
    cell: Optional[str] = None,
    respondent_id: Optional[str] = None,
    value: Any = None,
    severity: Optional[str] = None,
    **fields: Any,
) -> Issue:
    """Build an issue from the catalogue; unknown template fields are left visible."""
    default_severity, template = CATALOGUE[code]
    values = _SafeDict(fields)
    values.update(file=file or "", sheet=sheet or "", cell=cell or "", where=where(sheet, cell))
    values["value"] = "" if value is None else value
    return Issue(
        code=code,
        severity=severity or default_severity,
        message=template.format_map(values),
        file=file,
        sheet=sheet,
        cell=cell,
        respondent_id=respondent_id,
        value=None if value is None else str(value),
    )


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class IssueList:
    """An ordered collection of issues with counting helpers."""

    items: List[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        self.items.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        self.items.extend(issues)

    def count(self, severity: str) -> int:
        return sum(1 for i in self.items if i.severity == severity)

    @property
    def has_errors(self) -> bool:
        return any(i.severity == ERROR for i in self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_list(self) -> List[Dict[str, Any]]:
        return [i.to_dict() for i in self.items]
