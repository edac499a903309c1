"""Read returned form workbooks — fast, read-only — into :class:`~.returns.Return` objects.

The same guarantees as the row-table reader, by the same building blocks: the zip and
XML guard (:mod:`guard`) before python-calamine reads anything, identification by the
hidden ``_meta`` (never by file name; a form that lost its ``_meta`` is matched by the
団体コード written in it), every answer cell read at the row ``_meta`` names (a row that
moved is found by the hash of its locked texts), and every value normalised with the
change logged. Nothing raises: each problem is an issue on the Return.

Normalising (:func:`normalize_form_return`): numbers as numbers (``1,966,735``,
``１，９６６，７３５人``, ``26.7％``, ``1362.90``), ○ look-alikes (``✓ レ 1 〇 ◯``) as ○,
choices by their synonyms, 年月 as ``2021-03``, 年度の範囲 as ``2021-2025``, 団体コード as
its six digits.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from . import form_issues  # noqa: F401  (registers the form codes)
from .collect import open_book, read_file, read_sheet_rows
from .contract import META_MARKER, META_SHEET, row_hash
from .form_contract import ANSWER_COL, CHECK_COL, FIRST_ROW, FormMeta, FormRow, answer_rows, form_layout, \
    form_lineage, form_survey_id, parse_key, read_form_meta
from .form_master import FormMaster, code_text
from .form_spec import MARK, Item
from .guard import Limits, inspect_zip, scan_sheet, sheet_parts
from .master_model import cell_text, column_letter
from .normalize import NA_VALUE, cell_value, clean_chars, is_na, normalize_number, normalize_text
from .returns import InputCell, Return
from .wareki import ERAS, fiscal_year_label, parse_fiscal_year

__all__ = ["read_form_return", "normalize_form_return", "normalize_answer"]

MARK_LOOKALIKES = frozenset({"○", "〇", "◯", "⚪", "⭕", "●", "◎", "✓", "✔", "☑", "✅", "レ", "ﾚ", "v", "V", "1", "o", "O",
                             "まる", "丸", "はい", "有", "あり", "済", "TRUE", "True", "true", "y", "Y", "yes", "Yes"})
MARK_NEGATIVES = frozenset({"×", "✕", "✖", "x", "X", "0", "いいえ", "無", "なし", "FALSE", "False", "false", "n", "N",
                            "no", "No", "－", "-", "―", "ー"})


# ---------------------------------------------------------------------------
# reading one return


def read_form_return(path: Path, shown: str, master: FormMaster, limits: Optional[Limits] = None) -> Return:
    """Read one returned file against the form master. Never raises."""
    ret = read_file(path, shown, limits, lambda zf, got, checked: _read(path, zf, got, master, checked))
    if ret.readable:
        normalize_form_return(ret, master)
    return ret


def _sheet_rows(book: Any, zf: Any, parts: Dict[str, str], sheet: str, ret: Return,
                limits: Limits) -> Optional[List[List[Any]]]:
    """A sheet's values, once its size is known to be within the limit (None, with an issue, if not)."""
    return read_sheet_rows(book, zf.read, lambda part: scan_sheet(zf.read(part), limits.max_cells), parts.get(sheet),
                           sheet, ret, limits)


def _identify(meta: FormMeta, ret: Return, master: FormMaster) -> bool:
    """Is this a return of this form survey, from a 団体 of its master? (issues say why not)."""
    pairs, s = meta.pairs, master.settings
    ret.respondent_id = str(pairs.get("respondent_id") or "") or None
    respondent = master.bodies.get(ret.respondent_id or "")
    ret.respondent = respondent.display if respondent else str(pairs.get("respondent") or "") or None
    if not meta.is_form:  # a row-table workbook (進捗状況調査) sent to the form survey
        ret.add("form_rowtable_return", found=pairs.get("survey_name") or "別の調査", expected=s.survey_name)
        ret.respondent_id = None
        return False
    year = cell_value(pairs.get("fiscal_year"))
    if pairs.get("survey_id") != form_survey_id(s):
        if pairs.get("lineage") == form_lineage(s) and isinstance(year, int) and year != s.fiscal_year:
            found = fiscal_year_label(year) if 1989 <= year <= 2200 else str(year)
            ret.add("wrong_year", found=found, expected=s.fiscal_year_label)
        else:
            ret.add("wrong_survey", found=pairs.get("survey_name") or pairs.get("survey_id"), expected=s.survey_name)
            ret.respondent_id = None
        return False
    if respondent is None:
        ret.add("unknown_respondent", value=f"{ret.respondent_id} {ret.respondent or ''}".strip())
        ret.respondent_id = None
        return False
    if pairs.get("template_version") != master.spec.version:
        ret.add("old_template", found=pairs.get("template_version"))
    return True


def _by_content(rows: List[List[Any]], ret: Return, master: FormMaster) -> Optional[FormMeta]:
    """A form without ``_meta``: the 団体コード written in it names the respondent."""
    item = master.spec.code_item
    if item is None:
        return None
    for line in rows[FIRST_ROW - 1:]:
        if len(line) >= ANSWER_COL and cell_text(line[1]) == item.label:
            code = code_text(cell_value(line[ANSWER_COL - 1]))
            respondent = master.bodies.get(code)
            if respondent is None:
                return None
            ret.respondent_id, ret.respondent = respondent.code, respondent.display
            ret.add("meta_matched_by_content")
            layout = form_layout(master.spec, master, respondent)
            return FormMeta({"respondent_id": code, "layout": "form"},
                            [(r.row, r.key, r.digest) for r in answer_rows(layout)])
    return None


def _read(path: Path, zf: Any, ret: Return, master: FormMaster, limits: Limits) -> None:
    book = open_book(path, ret)
    if book is None:
        return
    parts = sheet_parts(zf)
    names = list(book.sheet_names)
    sheet = master.spec.sheet
    meta = FormMeta()
    if META_SHEET in names:
        meta_rows = _sheet_rows(book, zf, parts, META_SHEET, ret, limits)
        if meta_rows is not None:
            meta = read_form_meta(meta_rows, cell_value)
    if meta.pairs.get(META_MARKER) is not None or meta.table:
        if not _identify(meta, ret, master):
            return
        rows = _sheet_rows(book, zf, parts, sheet, ret, limits) if sheet in names else None
    else:
        rows = _sheet_rows(book, zf, parts, sheet, ret, limits) if sheet in names else None
        found = _by_content(rows or [], ret, master)
        if found is None:
            ret.add("meta_missing")
            return
        meta = found
    if sheet not in names:
        ret.add("sheet_missing", sheet=sheet)
        ret.readable = True
        return
    if rows is None:
        ret.readable = True
        return
    facts = inspect_zip(zf, [sheet], parts)
    ret.saved = facts.saved
    if facts.has_macros:
        ret.add("file_macro")
    layout = form_layout(master.spec, master, master.bodies[ret.respondent_id or ""])  # once: the reader needs it twice
    expected = {r.key: r for r in answer_rows(layout)}
    locked = {r.digest for r in layout if not r.key}
    _SheetReader(ret, master, sheet, rows, expected, facts.formula_cells.get(sheet) or {}, locked).read(meta.table)
    ret.readable = True


class _SheetReader:
    """The answer cells of one form sheet, at the rows ``_meta`` names."""

    def __init__(self, ret: Return, master: FormMaster, sheet: str, rows: List[List[Any]],
                 expected: Dict[str, FormRow], formulas: Dict[Tuple[int, int], str], locked: Set[str]) -> None:
        self.ret, self.master, self.sheet, self.rows = ret, master, sheet, rows
        self.expected, self.formulas = expected, formulas
        self.locked = locked  # digests of the rows the form writes column C of itself (no answer there)
        self.claimed: set = set()
        self.hashes: Optional[Dict[str, List[int]]] = None
        self.shift = 0  # how far the last moved row was found from where _meta put it

    def value(self, row: int, col: int) -> Any:
        if row < 1 or row > len(self.rows) or col > len(self.rows[row - 1]):
            return ""
        return cell_value(self.rows[row - 1][col - 1])

    def digest(self, row: int) -> str:
        return row_hash([cell_text(self.value(row, c)) for c in (1, 2, 4)])

    def locate(self, row: int, key: str, digest: str, label: str) -> Optional[int]:
        if self.digest(row) == digest:
            return row
        if self.hashes is None:
            self.hashes = {}
            for number in range(FIRST_ROW, len(self.rows) + 1):
                self.hashes.setdefault(self.digest(number), []).append(number)
        free = [r for r in self.hashes.get(digest, []) if r not in self.claimed]
        if free:
            # rows of the same texts (a group's name and its items, every block): the one
            # where the rows moved so far put it, not the first one down the sheet
            found = min(free, key=lambda r: abs(r - row - self.shift))
            self.shift = found - row
            self.ret.add("row_moved", sheet=self.sheet, cell=f"B{found}", item=label, expected_row=row, row=found)
            return found
        want = self.expected.get(key)
        if want is not None and cell_text(self.value(row, 2)) == want.label:
            for col, text in ((1, want.marker), (4, want.unit)):
                if cell_text(self.value(row, col)) != text:
                    self.ret.add("locked_changed", sheet=self.sheet, cell=f"{column_letter(col)}{row}",
                                 value=cell_text(self.value(row, col)), expected=text)
            return row
        self.ret.add("row_missing", sheet=self.sheet, item=label, expected_row=row)
        return None

    def read(self, table: List[Tuple[int, str, str]]) -> None:
        spec = self.master.spec
        for expected_row, key, digest in table:
            item_id, block, option = parse_key(key)
            if not spec.has_item(item_id):
                continue
            item = spec.item(item_id)
            want = self.expected.get(key)
            label = want.label if want is not None else item.label
            row = self.locate(expected_row, key, digest, label)
            if row is None:
                continue
            self.claimed.add(row)
            raw = self.value(row, ANSWER_COL)
            field = item.options[option - 1].value if option and option <= len(item.options) else "value"
            item_text = f"{item_id}.{block}" if block else item_id
            self.ret.cells.append(InputCell(self.sheet, row, ANSWER_COL, field, key, item_text, raw, "",
                                            "option" if option else item.type))
            formula = self.formulas.get((ANSWER_COL, row))
            if formula is not None:
                code, shown = ("formula_no_value", None) if raw == "" else ("formula_in_input", str(raw)[:60])
                self.ret.add(code, sheet=self.sheet, cell=f"C{row}", formula=(formula or "（共有の式）")[:60],
                             value=shown)
        self.report_strays()

    def report_strays(self) -> None:
        """A value typed where no answer cell is (an unclaimed row of column C, or right of the form)."""
        for number in range(FIRST_ROW, len(self.rows) + 1):
            line = self.rows[number - 1]
            if number not in self.claimed:
                found = self.value(number, ANSWER_COL)  # before the row's digest: most such cells are empty
                if found != "" and not self.locked_row(number):
                    self.ret.add("form_value_unread", sheet=self.sheet, cell=f"C{number}", value=str(found)[:60],
                                 text=str(found))
            for col in range(CHECK_COL + 1, len(line) + 1):
                found = self.value(number, col)
                if found != "":
                    self.ret.add("input_outside", sheet=self.sheet, cell=f"{column_letter(col)}{number}",
                                 value=str(found)[:60], text=str(found))

    def locked_row(self, row: int) -> bool:
        """Rows whose column C is written by the form itself (notes of groups and 複数選択),
        known by their locked texts wherever rows have moved."""
        return self.digest(row) in self.locked


# ---------------------------------------------------------------------------
# normalising


def normalize_form_return(ret: Return, master: FormMaster) -> None:
    """Clean every value in place; each change is an info issue (``normalized`` / ``form_mark_cleared``)."""
    spec = master.spec
    for cell in ret.cells:
        if cell.raw == "":
            cell.value = ""
            continue
        item_id = cell.row_key.partition(":")[0].partition(".")[0]
        item = spec.item(item_id)
        value, note, cleared = normalize_answer(cell.raw, item, option=cell.value_type == "option")
        cell.value = value
        if cleared:
            ret.add("form_mark_cleared", sheet=cell.sheet, cell=cell.cell, raw=str(cell.raw)[:60], label=item.label)
        elif note:
            ret.add("normalized", sheet=cell.sheet, cell=cell.cell, raw=str(cell.raw)[:60], value=str(value)[:60],
                    detail=note)


def normalize_answer(raw: Any, item: Item, option: bool = False) -> Tuple[Any, str, bool]:
    """(value, note of what changed, True when a 'no' mark was cleared) of one typed answer.

    >>> from welfare_workbook.form_spec import load_form_spec
    >>> spec = load_form_spec("chiiki_kyosei")
    >>> normalize_answer("1,966,735人", spec.item("population"))[:2]
    (1966735, '単位「人」を除き、桁区切りのカンマを除きました')
    >>> normalize_answer("26.7％", spec.item("aging_rate"))[0], normalize_answer("1362.90", spec.item("area"))[0]
    (26.7, 1362.9)
    >>> normalize_answer("レ", spec.item("jigyo"), option=True)[:2]
    ('○', '「レ」を「○」に読み替えました')
    """
    if isinstance(raw, str):
        raw, cleaned = clean_chars(raw)
        if cleaned:
            value, note, cleared = normalize_answer(raw, item, option)
            return value, "・".join(n for n in (cleaned, note) if n), cleared
    if option:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "")
        if text == MARK or str(raw).strip() == MARK:
            return MARK, "", False
        if text in MARK_LOOKALIKES or str(raw).strip() in MARK_LOOKALIKES:
            return MARK, f"「{str(raw).strip()}」を「{MARK}」に読み替えました", False
        if text in MARK_NEGATIVES:
            return "", "", True
        return str(raw).strip(), "", False
    kind = item.type
    if kind in ("integer", "decimal"):
        if is_na(raw):
            return NA_VALUE, "" if raw == NA_VALUE else "「該当なし」を表す言葉として読み取りました", False
        value, note = normalize_number(raw, unit=item.unit, integer=kind == "integer")
        return value, note, False
    if kind == "choice":
        return (*_choice(raw, item), False)
    if kind == "code":
        text = code_text(raw)
        return text, ("全角文字や区切りを除きました" if text != str(raw) and not isinstance(raw, int) else ""), False
    if kind == "month":
        return (*_month(raw), False)
    if kind == "year_range":
        return (*_year_range(raw), False)
    value, note = normalize_text(raw)
    return value, note, False


def _choice(raw: Any, item: Item) -> Tuple[str, str]:
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "").replace("\u3000", "")
    table = {unicodedata.normalize("NFKC", v).replace(" ", ""): v for v in item.option_values}
    for canonical, words in item.synonyms.items():
        for word in words:
            table[unicodedata.normalize("NFKC", word).replace(" ", "")] = canonical
    found = table.get(text)
    if found is None:
        return str(raw).strip(), ""
    return found, ("" if found == str(raw) else f"「{str(raw).strip()}」を「{found}」に読み替えました")


_ERA = "|".join(ERAS) + "|[RHS]"
_MONTH_RE = re.compile(rf"^(?:(\d{{4}})|({_ERA})\s*(元|\d{{1,2}}))\s*[年./-]\s*(\d{{1,2}})\s*(?:月|[./-]\s*\d{{1,2}}\s*日?)?$")


def _year_of(western: Optional[str], era: Optional[str], number: Optional[str]) -> int:
    if western:
        return int(western)
    initial = {v[1]: k for k, v in ERAS.items()}
    start = ERAS[era if era in ERAS else initial[str(era)]][0]
    return start + (1 if number == "元" else int(str(number))) - 1


def _month(raw: Any) -> Tuple[str, str]:
    """年月 as 'YYYY-MM': 令和3年3月, R3.3, 2021年3月, 2021/3, a date cell."""
    if isinstance(raw, (dt.date, dt.datetime)):
        return f"{raw.year:04d}-{raw.month:02d}", "日付を年月として読み取りました"
    text = unicodedata.normalize("NFKC", str(raw)).strip().upper().replace(" ", "")
    match = _MONTH_RE.match(text)
    if not match or not 1 <= int(match.group(4)) <= 12:
        return str(raw).strip(), ""
    year = _year_of(match.group(1), match.group(2), match.group(3))
    value = f"{year:04d}-{int(match.group(4)):02d}"
    return value, ("" if value == str(raw) else "年月を西暦の「年-月」の形にしました")


_RANGE_SPLIT = re.compile(r"\s*(?:～|〜|~|－|ー|-|–|—|から|より)\s*")


def _year_range(raw: Any) -> Tuple[str, str]:
    """年度の範囲 as 'YYYY-YYYY': 令和3年度～令和7年度, R3～R7, 令和3～7年度, 2021-2025."""
    text = unicodedata.normalize("NFKC", str(raw)).strip().upper().replace(" ", "")
    text = re.sub(r"(まで|年度まで)$", "", text)
    parts = [p for p in _RANGE_SPLIT.split(text) if p]
    if len(parts) != 2:
        return str(raw).strip(), ""
    start = parse_fiscal_year(parts[0])
    end = parse_fiscal_year(parts[1])
    if start is not None and end is None and re.fullmatch(r"(元|\d{1,2})(年度?)?", parts[1]):
        era = re.match(rf"^({_ERA})", parts[0])  # 令和3～7年度: the era carries over
        end = parse_fiscal_year(era.group(1) + parts[1]) if era else None
    if start is None or end is None:
        return str(raw).strip(), ""
    value = f"{start}-{end}"
    return value, ("" if value == str(raw) else "年度の範囲を西暦の「開始年度-終了年度」の形にしました")
