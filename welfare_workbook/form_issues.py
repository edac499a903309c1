"""The issue codes of form surveys, added to :data:`issues.CATALOGUE` when a form module loads.

Kept beside the form modules (every one of them imports this), so the form layout
adds its messages without editing the row-table catalogue. Messages follow the same
rule: what is wrong, where, and how to fix it; ``{where}`` is 「シート」セル：.

>>> from welfare_workbook import issues
>>> issues.make("form_code_check_digit", cell="C5", value="011001", expected="011002").severity
'error'
"""

from __future__ import annotations

from typing import Dict

from .issues import CATALOGUE, ERROR, INFO, WARNING

FORM_CATALOGUE: Dict[str, tuple] = {
    # --- the form master --------------------------------------------------------
    "form_master_unknown_form": (
        ERROR,
        "{where}様式「{value}」はありません。{forms} から選ぶか、templates/form_{value}.yaml を用意してください。",
    ),
    "form_master_bad_code": (
        ERROR,
        "{where}団体コード「{value}」は 6 桁の数字ではありません。総務省の全国地方公共団体コード（6 桁、例：札幌市 011002）を入力してください。",
    ),
    "form_master_check_digit": (
        ERROR,
        "{where}団体コード「{value}」の検査数字（6 桁目）が合いません（前の 5 桁からは「{expected}」）。コードを確認してください。",
    ),
    "form_master_bad_count": (
        ERROR,
        "{where}「{column}」の「{value}」は使えません。0 から {max} までの整数を入力してください。",
    ),
    "form_master_no_respondents": (ERROR, "「回答団体」シートに団体が一つもありません。回答する団体を 1 行に 1 つ入力してください。"),
    "form_master_spec_error": (ERROR, "様式を読み込めません：{detail}"),
    # --- identifying a return ---------------------------------------------------
    "form_rowtable_return": (
        ERROR,
        "「{file}」は{found}（表形式の調査票）です。この調査（{expected}）の調査票に記入して提出してください。",
    ),
    "form_code_mismatch": (
        ERROR,
        "{cell}：団体コード「{value}」が、この調査票を送った団体（{expected} {respondent}）のコードと違います。"
        "配布した調査票の団体コードを変えずに提出してください。",
    ),
    # --- values -------------------------------------------------------------------
    "form_bad_code": (
        ERROR,
        "{cell}：団体コード『{value}』は 6 桁の数字ではありません。全国地方公共団体コード（6 桁）を入力してください。",
    ),
    "form_code_check_digit": (
        ERROR,
        "{cell}：団体コード『{value}』の検査数字（6 桁目）が合いません（前の 5 桁からは「{expected}」）。コードを確認してください。",
    ),
    "form_code_unknown": (
        ERROR,
        "{cell}：団体コード『{value}』の団体は、この調査の回答団体の一覧にありません。コードを確認してください。",
    ),
    "form_bad_month": (
        ERROR,
        "{cell}：『{value}』を年月として読み取れません。「令和3年3月」「2021年3月」のように入力してください。",
    ),
    "form_bad_year_range": (
        ERROR,
        "{cell}：『{value}』を年度の範囲として読み取れません。「令和3年度～令和7年度」のように入力してください。",
    ),
    "form_bad_mark": (
        ERROR,
        "{cell}：「{label}」の欄の『{value}』は○として読み取れません。当てはまる行には○を、当てはまらない行は空欄にしてください。",
    ),
    "form_mark_cleared": (
        INFO,
        "{cell}：「{label}」の欄の『{raw}』は「選ばない」印として読み取り、空欄として扱いました。",
    ),
    "form_not_applicable": (
        WARNING,
        "{cell}：「{label}」は{condition}ときだけ答える項目ですが、入力があります。"
        "集計には使いません。回答の誤りでないか確認してください。",
    ),
    "form_required_empty": (ERROR, "{cell}：「{label}」が未入力です。入力してください。"),
    "form_choice_required": (
        ERROR,
        "{cell}：「{label}」の選択肢のどれにも○がありません。当てはまる行に○を付けてください。",
    ),
    "form_specify_missing": (
        ERROR,
        "{cell}：{condition}ときは「{label}」に内容を記入してください。",
    ),
    "form_specify_unexpected": (
        ERROR,
        "{cell}：「{label}」に記入がありますが、{condition}ことになっていません。"
        "『{option}』を選ぶか、この欄を空欄にしてください。",
    ),
    "form_exclusive": (
        ERROR,
        "{cell}：「{label}」で『{option}』と、ほかの選択肢（{others}）が同時に選ばれています。どちらか一方にしてください。",
    ),
    "form_block_beyond_max": (
        ERROR,
        "{cell}：「{group}」の{block}ブロック目に入力がありますが、この団体のブロックは {max} つまでです。"
        "{max} つ目までにまとめるか、事務局に連絡してください。",
    ),
    "form_value_unread": (
        WARNING,
        "{cell}：調査票の回答欄ではないセルに『{value}』が入力されています。この値は集計されません。",
    ),
}

for _code, _entry in FORM_CATALOGUE.items():  # never overrides a row-table code
    CATALOGUE.setdefault(_code, _entry)
