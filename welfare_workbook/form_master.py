"""The master of a form survey: 調査設定 (which form) and 回答団体 (the 団体 that answer it).

The secretariat edits one .xlsx (or a folder of CSV exports), as for the row-table
survey; what tells the two apart is the 回答団体 sheet. Every problem is an issue
naming sheet and cell, all reported at once.

- 調査設定 (項目 | 値): 自治体名 (who runs the survey, e.g. 厚生労働省 or a 都道府県),
  調査名, 対象年度, 提出期限, 事務局, 連絡先 (optional), 様式 (the form spec, e.g.
  ``chiiki_kyosei``), 保護パスワード (optional).
- 回答団体: 団体コード (6 digits with the 総務省 check digit), 都道府県, 団体名, 担当部署,
  メール, 実施事業, and any column the form spec names (``prefill:`` of an item, ``count:``
  of a repeat group such as 推進員数).

>>> check_digit("01100"), valid_code("011002"), valid_code("011001"), valid_code("130001")
(2, True, False, True)
>>> master, issues = load_form_master(form_sample_path())
>>> master.settings.form, len(master.bodies) >= 8, issues.has_errors
('chiiki_kyosei', True, False)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Optional, Tuple

from . import form_issues  # noqa: F401  (registers the form codes)
from .form_spec import MARK, FormSpec, Item, Repeat, available_forms, load_form_spec
from .issues import IssueList
from .master import MasterChecker as _Checker, read_master_file
from .master_io import RawSheet, write_master_xlsx
from .master_model import Department, RespondentWords, cell_text, column_letter, names_in, split_list
from .spec import SpecError
from .wareki import fiscal_year_label, parse_date, parse_fiscal_year

SETTINGS_SHEET = "調査設定"
RESPONDENTS_SHEET = "回答団体"
FORM_SAMPLES = ("form003",)
ANSWERS_FILE_OF_SAMPLE = "回答.yaml"  # the transcribed answers the demo fills in
# 調査設定 items: (heading, field, required)
SETTINGS_ITEMS: Tuple[Tuple[str, str, bool], ...] = (
    ("自治体名", "body", True), ("調査名", "survey_name", True), ("対象年度", "fiscal_year", True),
    ("提出期限", "deadline", True), ("事務局", "secretariat", True), ("連絡先", "contact", False),
    ("様式", "form", True), ("保護パスワード", "password", False),
)
# 回答団体 columns every form master has: (heading, field, required)
RESPONDENT_COLUMNS: Tuple[Tuple[str, str, bool], ...] = (
    ("団体コード", "code", True), ("都道府県", "prefecture", True), ("団体名", "name", True),
    ("担当部署", "department", False), ("メール", "email", False), ("実施事業", "programmes", False),
)
NO_MUNICIPALITY = ("－", "-", "―", "")  # a prefecture answering for itself


def check_digit(first5: str) -> int:
    """The 総務省 全国地方公共団体コード check digit of the first five digits:
    weights 6,5,4,3,2; r = sum mod 11; digit = (11 - r) mod 10.

    Verified on known codes (tests/test_form_master.py): 札幌市 011002, 北海道 010006,
    東京都 130001, 栃木県 090000 (r = 1), 新宿区 131041, 藤沢市 142051 (r = 0), 渋谷区 131130.
    """
    total = sum(int(d) * w for d, w in zip(first5, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10


def valid_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit() and int(code[5]) == check_digit(code[:5])


def code_text(value: Any) -> str:
    """A 団体コード cell as text: full-width digits folded, a number read back as 6 digits
    (Excel drops the leading 0 of 011002)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:06d}" if 0 <= value < 1_000_000 else str(value)
    text = unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "").replace("-", "")
    return text


@dataclass(frozen=True)
class FormSettings:
    body: str
    survey_name: str
    fiscal_year: int
    deadline: Any
    secretariat: str
    contact: str
    form: str
    password: str = ""

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    # the names the row-table master's settings have, read by mail and the survey folder
    @property
    def municipality(self) -> str:
        """Who runs the survey (厚生労働省, a 都道府県 …): the row master's 自治体名."""
        return self.body

    @property
    def plan_name(self) -> str:
        return ""


@dataclass(frozen=True)
class Respondent:
    code: str
    prefecture: str
    name: str
    department: str = ""
    email: str = ""
    values: Dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # every column, by heading

    @property
    def display(self) -> str:
        """北海道 釧路市; a prefecture answering for itself is its name alone (栃木県)."""
        return self.prefecture if self.name in NO_MUNICIPALITY else f"{self.prefecture} {self.name}"

    @property
    def short_name(self) -> str:
        """釧路市; a prefecture answering for itself: 栃木県 (the name its files carry)."""
        return self.prefecture if self.name in NO_MUNICIPALITY else self.name

    # the row-table code reads ``id`` and ``name`` of a respondent (Return, roster)
    @property
    def id(self) -> str:
        return self.code


@dataclass
class FormMaster(RespondentWords):
    respondent_noun: ClassVar[str] = "団体"
    respondent_id_label: ClassVar[str] = "団体コード"
    respondent_sheet: ClassVar[str] = RESPONDENTS_SHEET
    person_is_section: ClassVar[bool] = True  # a 団体's Department.person is its 担当部署

    settings: FormSettings
    bodies: Dict[str, Respondent]  # the 団体 that answer, by 団体コード, in sheet order
    spec: FormSpec
    source: str = ""

    def ordered(self) -> List[Respondent]:
        """Respondents in 団体コード order (the compilation's order)."""
        return [self.bodies[c] for c in sorted(self.bodies)]

    # What the survey folder, mail, review and the web page read of any master (the
    # row-table master's names): each 団体 as a Department whose id is its 団体コード and
    # whose name is how it is shown (北海道 釧路市), its person the 担当部署.

    @property
    def departments(self) -> Dict[str, Department]:
        """Every 団体 as a Department, by 団体コード, in 団体コード order (built once)."""
        found = self.__dict__.get("_departments")
        if found is None:
            found = self.__dict__["_departments"] = {
                r.code: Department(r.code, r.display, kind="団体", email=r.email, person=r.department)
                for r in self.ordered()}
        return found

    def respondents(self) -> List[Department]:
        """Every 団体 answers a form survey: all of them, in 団体コード order."""
        return list(self.departments.values())

    def is_respondent(self, code: Optional[str]) -> bool:
        return code in self.bodies

    def department_names_in(self, text: str) -> List[str]:
        """Shown names of the 団体 named in ``text`` (a file name: ``012068_釧路市.xlsx``),
        by 団体名 — or for a prefecture answering for itself its name — or the shown name."""
        index = self.__dict__.get("_names")
        if index is None:
            index = self.__dict__["_names"] = {}
            for r in self.ordered():
                for name in {r.display, r.short_name}:
                    index.setdefault(name, []).append(r.display)
        found = {shown for name in names_in(text, index) for shown in index[name]}
        order = {d.name: n for n, d in enumerate(self.departments.values())}
        return sorted(found, key=order.__getitem__)

    def blocks(self, respondent: Optional[Respondent], group: Repeat) -> int:
        """How many blocks of ``group`` a respondent may fill: its ``count`` column, else ``max``."""
        text = respondent.values.get(group.count, "") if respondent and group.count else ""
        number = _count(text)
        return group.max if number is None else min(number, group.max)

    def prefill(self, respondent: Respondent, item: Item) -> Any:
        """What generate writes into ``item``'s cell for ``respondent``: text, or for a
        複数選択 the set of options marked."""
        text = respondent.values.get(item.prefill, "")
        if item.type == "multi":
            return {v for v in split_list(text) if v in item.option_values} if text else set()
        return text


def _count(text: str) -> Optional[int]:
    text = unicodedata.normalize("NFKC", text).strip()
    return int(text) if text.isdigit() else None


def is_form_master(source: Any) -> bool:
    """True when ``source`` is a form survey's master (it has a 回答団体 sheet)."""
    import zipfile

    path = Path(source)
    try:
        if path.is_dir():
            return (path / f"{RESPONDENTS_SHEET}.csv").exists()
        if path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
            with zipfile.ZipFile(path) as zf:
                return f'name="{RESPONDENTS_SHEET}"'.encode() in zf.read("xl/workbook.xml")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):  # not ours to judge: the loader reports it
        return False
    return False


def _settings(sheet: RawSheet, check: _Checker) -> Tuple[Optional[FormSettings], str]:
    values: Dict[str, Tuple[str, str]] = {}
    for number, row in sheet.rows:
        key = unicodedata.normalize("NFKC", sheet.get(row, "項目")).replace(" ", "")
        if key:
            values[key] = (sheet.get(row, "値"), sheet.cell(number, "値"))
    last = (sheet.rows[-1][0] if sheet.rows else 1) + 1
    fields: Dict[str, Any] = {}
    for header, name, required in SETTINGS_ITEMS:
        text, cell = values.get(header, ("", f"A{last}"))
        if required and not text:
            check.add("master_required_empty", sheet.name, cell, column=header)
        fields[name] = text
    year = parse_fiscal_year(fields["fiscal_year"]) if fields["fiscal_year"] else None
    if fields["fiscal_year"] and year is None:
        check.add("master_bad_year", sheet.name, values["対象年度"][1], value=fields["fiscal_year"])
    deadline = parse_date(fields["deadline"]) if fields["deadline"] else None
    if fields["deadline"] and deadline is None:
        check.add("master_bad_date", sheet.name, values["提出期限"][1], value=fields["deadline"])
    fields.update(fiscal_year=year, deadline=deadline)
    form_cell = values.get("様式", ("", ""))[1]
    return (FormSettings(**fields) if year is not None else None), form_cell


def _form_only(sheet: Optional[RawSheet]) -> Optional[FormSettings]:
    """Settings holding only the 様式, when the others are unusable: 回答団体 is still checked against the form."""
    if sheet is None:
        return None
    form = next((sheet.get(row, "値") for _, row in sheet.rows if sheet.get(row, "項目") == "様式"), "")
    return FormSettings("", "", 0, None, "", "", form) if form else None


def _spec(settings: Optional[FormSettings], cell: str, check: _Checker) -> Optional[FormSpec]:
    if settings is None or not settings.form:
        return None
    if settings.form not in available_forms() and not settings.form.endswith((".yaml", ".yml")):
        check.add("form_master_unknown_form", SETTINGS_SHEET, cell, value=settings.form,
                  forms="、".join(available_forms()))
        return None
    try:
        return load_form_spec(settings.form)
    except SpecError as exc:
        check.add("form_master_spec_error", SETTINGS_SHEET, cell, detail=str(exc))
        return None


def _missing_columns(sheet: RawSheet, spec: Optional[FormSpec], check: _Checker) -> None:
    """Each column the master needs and lacks, reported where it would be added (after the last)."""
    needed = [h for h, _, required in RESPONDENT_COLUMNS if required]
    if spec is not None:  # columns the form reads from the master
        needed += [i.prefill for i in spec.prefilled] + [g.count for g in spec.repeats if g.count]
    for offset, header in enumerate([h for h in dict.fromkeys(needed) if h not in sheet.header], start=1):
        check.add("master_column_missing", sheet.name, f"{column_letter(len(sheet.header) + offset)}1", column=header)


@dataclass
class _RowCheck:
    """One 回答団体 row under check: its values by heading and where to report."""

    sheet: RawSheet
    number: int
    values: Dict[str, str]
    check: _Checker

    def add(self, code: str, header: str, **kw: Any) -> None:
        self.check.add(code, self.sheet.name, self.sheet.cell(self.number, header), **kw)

    def required_filled(self) -> bool:
        ok = True
        for header, _, required in RESPONDENT_COLUMNS:  # 団体名 may be empty: a prefecture answering for itself
            if required and header in self.sheet.header and not self.values.get(header) and header != "団体名":
                self.add("master_required_empty", header, column=header)
                ok = False
        return ok

    def code_ok(self, code: str) -> bool:
        if code and not (len(code) == 6 and code.isdigit()):
            self.add("form_master_bad_code", "団体コード", value=code)
            return False
        if code and not valid_code(code):
            self.add("form_master_check_digit", "団体コード", value=code, expected=str(check_digit(code[:5])))
            return False
        return True

    def choices_ok(self, multi: Dict[str, Item]) -> bool:
        """A 複数選択 prefill column lists only the item's options (or ○)."""
        ok = True
        for header, item in multi.items():
            for value in split_list(self.values.get(header, "")):
                if value not in item.option_values and value != MARK:
                    self.add("master_bad_choice", header, value=value, column=header,
                             choices="・".join(item.option_values))
                    ok = False
        return ok

    def counts_ok(self, counts: Dict[str, Repeat]) -> bool:
        """A repeat group's count column is empty or a number up to the group's max."""
        ok = True
        for header, group in counts.items():
            text = self.values.get(header, "")
            number_value = _count(text) if text else 0
            if number_value is None or number_value > group.max:
                self.add("form_master_bad_count", header, value=text, column=header, max=group.max)
                ok = False
        return ok


def _respondents(sheet: RawSheet, spec: Optional[FormSpec], check: _Checker) -> Dict[str, Respondent]:
    _missing_columns(sheet, spec, check)
    found: Dict[str, Respondent] = {}
    first: Dict[str, str] = {}
    multi = {i.prefill: i for i in (spec.prefilled if spec else []) if i.type == "multi"}
    counts = {g.count: g for g in (spec.repeats if spec else []) if g.count}
    for number, row in sheet.rows:
        values = {h: sheet.get(row, h) for h in sheet.header}
        row_check = _RowCheck(sheet, number, values, check)
        code = code_text(values.get("団体コード", ""))
        at = sheet.cell(number, "団体コード")
        # every check runs (no short cut), so a row's problems are all reported at once
        ok = all([row_check.required_filled(), row_check.code_ok(code), row_check.choices_ok(multi),
                  row_check.counts_ok(counts)])
        if code and code in first:  # a second row of one 団体, whatever else is wrong with either
            check.add("master_duplicate_id", sheet.name, at, column="団体コード", value=code, first=first[code])
            continue
        if code:
            first[code] = at
        if not ok or not code:
            continue
        found[code] = Respondent(code, values.get("都道府県", ""), values.get("団体名", ""),
                                 values.get("担当部署", ""), values.get("メール", ""), values)
    return found


def check_form_raw(raw: Dict[str, RawSheet], file: str) -> Tuple[Optional[FormMaster], IssueList]:
    """Check the sheets of a read form master; build it when there is no error."""
    check = _Checker(file)
    for name in (SETTINGS_SHEET, RESPONDENTS_SHEET):
        if name not in raw:
            check.add("master_sheet_missing", name)
    settings, form_cell = _settings(raw[SETTINGS_SHEET], check) if SETTINGS_SHEET in raw else (None, "")
    spec = _spec(settings or _form_only(raw.get(SETTINGS_SHEET)), form_cell, check)
    respondents = _respondents(raw[RESPONDENTS_SHEET], spec, check) if RESPONDENTS_SHEET in raw else {}
    if RESPONDENTS_SHEET in raw and not respondents and not check.issues.has_errors:
        check.add("form_master_no_respondents", RESPONDENTS_SHEET)
    if check.issues.has_errors or settings is None or spec is None:
        return None, check.issues
    return FormMaster(settings, respondents, spec, source=file), check.issues


def load_form_master(source: Any) -> Tuple[Optional[FormMaster], IssueList]:
    """Read and check a form master (.xlsx, or a folder of ``<シート名>.csv``)."""
    path = Path(source)
    raw, issues = read_master_file(path)
    if raw is None:
        return None, issues
    return check_form_raw(raw, path.name)


# ---------------------------------------------------------------------------
# bundled samples


def form_sample_path(name: str = "form003") -> Path:
    """Folder of a bundled form sample (its master's CSV files and the transcribed answers)."""
    if name not in FORM_SAMPLES:
        raise ValueError(f"unknown form sample {name!r}; choose from {', '.join(FORM_SAMPLES)}")
    return Path(str(resources.files("welfare_workbook.samples").joinpath(name)))


def form_sample_rows(name: str = "form003") -> Dict[str, List[List[str]]]:
    """The sample master's sheets as rows of text (header first), for init-master."""
    import csv
    import io

    from .master_io import read_csv_text

    folder = form_sample_path(name)
    return {sheet: list(csv.reader(io.StringIO(read_csv_text(folder / f"{sheet}.csv"), newline="")))
            for sheet in (SETTINGS_SHEET, RESPONDENTS_SHEET)}


def write_form_sample(name: str, path: Path) -> None:
    """init-master --sample form003: the sample master as an .xlsx the secretariat can edit."""
    write_master_xlsx(form_sample_rows(name), path)
