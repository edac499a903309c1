"""Reconcile returns against the roster and write the tidy answers.

:func:`collect` is the whole ``collect`` command as one library call: find and read
the returns, keep one per respondent, validate them together, and write
``answers.csv``, ``確認結果.xlsx`` and ``差戻し/`` into the output folder.
"""

from __future__ import annotations

import csv
import gc
import io
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .collect import (
    STATUS_FIX, STATUS_OK, STATUS_OLD, STATUS_OUT, Limits, Return, find_files, normalize_return, pick_current,
    read_return,
)
from .excel import atomic_write
from .issues import ERROR, Issue
from .master import Department, Master, read_csv_text
from .spec import load_specs
from .generate import year_labels

if TYPE_CHECKING:  # summary imports merge: only the type is needed here
    from .summary import AnswerSet

ANSWERS_FILE = "answers.csv"
CHECKS_FILE = "確認結果.xlsx"
SENDBACK_DIR = "差戻し"
ANSWER_COLUMNS = ("respondent_id", "respondent", "sheet", "item_id", "field", "value", "file", "cell",
                  "status", "label", "raw")
OUT_OF_SCOPE = {"wrong_survey", "unknown_respondent", "meta_missing"}

ROSTER_MISSING = "未提出"
ROSTER_OK = "提出済"
ROSTER_FIX = "要修正"
ROSTER_RESUBMITTED = "再提出"


@dataclass
class RosterRow:
    department: Department
    status: str
    current: Optional[Return] = None
    returns: int = 0


@dataclass
class CollectResult:
    returns: List[Return]
    roster: List[RosterRow]
    notes: List[Issue] = field(default_factory=list)  # about files skipped while searching
    outputs: Dict[str, str] = field(default_factory=dict)

    @property
    def current(self) -> List[Return]:
        return [r for r in self.returns if r.status != STATUS_OLD]

    @property
    def valid(self) -> bool:
        return not any(r.errors for r in self.current)

    @property
    def missing(self) -> List[Department]:
        return [row.department for row in self.roster if row.status == ROSTER_MISSING]

    @property
    def issues(self) -> List[Issue]:
        return self.notes + [i for r in self.returns for i in r.issues]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "valid": self.valid,
            "returns": [r.to_dict() for r in self.returns],
            "missing": [{"respondent_id": d.id, "respondent": d.name} for d in self.missing],
            "issues": [
                {"file": i.file, "respondent_id": i.respondent_id, "sheet": i.sheet, "cell": i.cell,
                 "code": i.code, "severity": i.severity, "message": i.message}
                for i in self.issues
            ],
            "outputs": dict(self.outputs),
        }


def _status(ret: Return) -> str:
    if ret.status == STATUS_OLD:
        return STATUS_OLD
    if any(i.code in OUT_OF_SCOPE for i in ret.issues):
        return STATUS_OUT
    return STATUS_FIX if ret.errors else STATUS_OK


def roster(master: Master, returns: List[Return]) -> List[RosterRow]:
    by_respondent: Dict[str, List[Return]] = {}  # one pass: a scan per department is quadratic at scale
    for ret in returns:
        if ret.respondent_id:
            by_respondent.setdefault(ret.respondent_id, []).append(ret)
    rows = []
    for dept in master.respondents():
        mine = by_respondent.get(dept.id, [])
        # a return whose values were read counts before one that could not be (e.g. last year's form)
        current = sorted((r for r in mine if r.status != STATUS_OLD), key=lambda r: not r.readable)
        if not current:
            rows.append(RosterRow(dept, ROSTER_MISSING, None, len(mine)))
            continue
        ret = current[0]
        if ret.errors:
            status = ROSTER_FIX
        else:
            status = ROSTER_RESUBMITTED if any(r.status == STATUS_OLD for r in mine) else ROSTER_OK
        rows.append(RosterRow(dept, status, ret, len(mine)))
    return rows


def roster_status(result: CollectResult) -> Dict[str, str]:
    """The roster as the 集計表 shows it: 提出済 (incl. 再提出), 要修正 or 未提出."""
    shown = {ROSTER_RESUBMITTED: ROSTER_OK}
    return {row.department.id: shown.get(row.status, row.status) for row in result.roster}


class _LongLived:
    """Keeps the cyclic garbage collector off the returns from reading to the last output.

    Reading builds hundreds of thousands of small objects (cells, issues) that form
    no reference cycles and live until the outputs are written; the collector would
    scan all of them at every full collection (a tenth of collect's time). They are
    read with the collector paused, then frozen (``gc.freeze``) until the end, while
    the collector runs as usual for what the writers build. A process that froze
    objects itself is left as it was.
    """

    def __enter__(self) -> "_LongLived":
        self.enabled = gc.isenabled()
        self.freeze = gc.get_freeze_count() == 0
        gc.disable()
        return self

    def read(self) -> None:
        """The returns are read: freeze them and let the collector run again."""
        if self.freeze:
            gc.freeze()
        if self.enabled:
            gc.enable()

    def __exit__(self, *exc: Any) -> None:
        if self.freeze:
            gc.unfreeze()
        if self.enabled:
            gc.enable()


def read_all(master: Master, sources: Sequence[Path],
             progress: Optional[Callable[[int, int], None]] = None, limits: Optional[Limits] = None) -> CollectResult:
    """Find, read, normalise, de-duplicate and validate every return (no output written)."""
    with _LongLived() as phase:
        return _read_all(master, sources, progress, limits, phase)


def _read_all(master: Master, sources: Sequence[Path], progress: Optional[Callable[[int, int], None]],
              limits: Optional[Limits], phase: _LongLived) -> CollectResult:
    from .validate import validate_returns

    files, notes = find_files(sources)
    returns = []
    for number, (path, shown) in enumerate(files, start=1):
        ret = read_return(path, shown, master, limits)
        normalize_return(ret, master)
        returns.append(ret)
        if progress:
            progress(number, len(files))
    phase.read()
    pick_current(returns)
    current = [r for r in returns if r.status != STATUS_OLD and r.readable]
    validate_returns(current, master)
    for ret in returns:
        ret.status = _status(ret)
    return CollectResult(returns, roster(master, returns), notes)


def answer_rows(master: Master, result: CollectResult) -> List[Dict[str, Any]]:
    """Every typed value of each respondent's current return, once, with provenance."""
    return [dict(zip(ANSWER_COLUMNS, values)) for values in answer_values(master, result)]


def answer_values(master: Master, result: CollectResult) -> List[Tuple[Any, ...]]:
    """:func:`answer_rows` as tuples in ANSWER_COLUMNS order (collect writes these: lighter than dicts)."""
    specs = load_specs()
    years = year_labels(master.settings.fiscal_year)
    labels: Dict[tuple, str] = {}
    rows: List[Tuple[Any, ...]] = []
    append = rows.append
    for ret in result.returns:
        if ret.status in (STATUS_OLD, STATUS_OUT) or not ret.respondent_id:
            continue
        respondent_id, respondent, file, status = ret.respondent_id, ret.respondent, ret.file, ret.status
        for cell in ret.cells:
            if cell.raw == "":
                continue
            label = labels.get((cell.sheet, cell.field))
            if label is None:
                label = labels[(cell.sheet, cell.field)] = specs[cell.sheet].column(cell.field).label_for(years)
            append((respondent_id, respondent, cell.sheet, cell.item_id, cell.field, cell.value, file, cell.cell,
                    status, label, cell.raw))
    return rows


def csv_text(value: Any) -> str:
    """Numbers as numbers (12, not 12.0); everything else as text."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return "" if value is None else str(value)


_CSV_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_CSV_FIRST = frozenset("'=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")


def csv_cell(value: Any) -> str:
    """A value as answers.csv and indicators.csv hold it (OWASP CSV injection guidance).

    Text a spreadsheet would run as a formula — starting with = + - @, a tab or a CR,
    after any leading quotes — gets one more leading ``'``; plain numbers such as -5
    stay numbers. :func:`csv_unescape` gives the value back exactly, so nothing is lost.

    >>> csv_cell("=1+1"), csv_cell("@SUM(A1)"), csv_cell(-5), csv_cell("-5"), csv_cell("'=x"), csv_cell("'ok")
    ("'=1+1", "'@SUM(A1)", '-5', '-5', "''=x", "'ok")
    >>> all(csv_unescape(csv_cell(v)) == v for v in ("=1+1", "-5", "'-5", "''=x", "'ok", "+81 49", "\t1"))
    True
    """
    text = csv_text(value)
    if "\x00" in text:  # a CSV reader stops at NUL
        text = text.replace("\x00", "")
    if text and text[0] in _CSV_FIRST and _CSV_FORMULA.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_bytes(text: str) -> bytes:
    """A whole CSV as UTF-8 with BOM (Excel opens it); a lone surrogate becomes U+FFFD."""
    try:  # lone surrogates are the only text UTF-8 cannot encode: look for them only then
        return text.encode("utf-8-sig")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8-sig")


def csv_unescape(text: Any) -> Any:
    """A cell of answers.csv as it was before :func:`csv_cell` (used by report and rollover)."""
    if isinstance(text, str) and text.startswith("'") and _CSV_FORMULA.match(text) \
            and not _PLAIN_NUMBER.fullmatch(text[1:]):
        return text[1:]
    return text


def read_answer_rows(reader: Any) -> List[Dict[str, Any]]:
    """Rows of a csv.DictReader over answers.csv, with the formula guard taken off."""
    return [{key: csv_unescape(value) for key, value in row.items()} for row in reader]


def write_answers(rows: List[Dict[str, Any]], path: Path) -> None:
    """answers.csv in UTF-8 with BOM (Excel opens it), written atomically.

    Every cell goes through :func:`csv_cell`, so no value typed by a department (or
    file name) can run as a formula when the CSV is opened in a spreadsheet.
    """
    get = operator.itemgetter(*ANSWER_COLUMNS)
    write_answer_values(map(get, rows), path)


def write_answer_values(rows: Iterable[Sequence[Any]], path: Path) -> None:
    """:func:`write_answers` for rows of values in ANSWER_COLUMNS order (see :func:`answer_values`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ANSWER_COLUMNS)
    write_csv_values(buffer, writer, rows, len(ANSWER_COLUMNS))
    data = csv_bytes(buffer.getvalue())
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


# a joined line holds a field that csv quotes (" CR LF) or a NUL, or a field after the
# first that csv_cell might change (one starting with ' = + - @ or a tab); two searches,
# as each alone is a fast scan (one pattern with both alternatives is not)
_QUOTED_OR_NUL = re.compile("[\x00\"\r\n]")
_GUARDED_FIELD = re.compile(",['=+\\-@\t]")


def write_csv_rows(buffer: Any, writer: Any, rows: Iterable[Dict[str, Any]], columns: Sequence[str]) -> None:
    """``writer.writerows([csv_cell(row[c]) for c in columns] for row in rows)``, faster.

    Most rows need neither quoting nor csv_cell's guard: such a row is written as its
    fields joined by commas, which is what the csv writer would write; any other row
    goes through csv_cell and the writer. ``writer`` must write to ``buffer`` with
    the default dialect and a CRLF line end.
    """
    get = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    write_csv_values(buffer, writer, map(get, rows), len(columns))


def write_csv_values(buffer: Any, writer: Any, rows: Iterable[Sequence[Any]], width: int) -> None:
    """:func:`write_csv_rows` for rows given as sequences of ``width`` values."""
    if width < 2:  # a row of one empty field is written "" (the writer knows such rules)
        writer.writerows([csv_cell(v) for v in values] for values in rows)
        return
    commas = width - 1
    write, quoted, guarded = buffer.write, _QUOTED_OR_NUL.search, _GUARDED_FIELD.search
    for values in rows:
        try:
            line = ",".join(values)
        except TypeError:  # numbers among the values: their text (csv_cell's, unless it starts with a sign,
            line = ",".join([v if v.__class__ is str else csv_text(v) for v in values])  # which goes below)
        if line.count(",") == commas and line[:1] not in _CSV_FIRST and not quoted(line) and not guarded(line):
            write(line + "\r\n")
        else:
            writer.writerow([csv_cell(v) for v in values])


def csv_field(value: Any) -> str:
    """``value`` as csv.writer (default dialect) writes ``csv_cell(value)`` in a row of
    several fields: quoted, with quotes doubled, when it holds a comma, a quote or a line break.

    >>> csv_field('said "hi", twice'), csv_field("=1+1"), csv_field(-5), csv_field("")
    ('"said ""hi"", twice"', "'=1+1", '-5', '')
    """
    text = csv_cell(value)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


_SHORT_TEXT = 40  # texts up to this length recur across returns (names, labels, short answers): remembered


def write_collected_answers(master: Master, result: CollectResult, path: Path) -> "AnswerSet":
    """answers.csv of a collect result, and its :class:`~welfare_workbook.summary.AnswerSet`, in one pass.

    The same bytes as ``write_answer_values(answer_values(master, result), path)`` and the
    same set as ``AnswerSet.from_values`` of those rows (tested), with less work per
    answer: what is the same for a whole return or column (課, file, sheet, label) is made
    CSV text once, and only the typed values are looked at one by one.
    """
    from .summary import NEEDS_FIX, SUBMITTED, AnswerSet

    specs = load_specs()
    years = year_labels(master.settings.fiscal_year)
    known: Dict[Any, str] = {}  # short text or integer -> its CSV field (not floats or bools: 1 == 1.0 == True)

    def field(value: Any) -> str:
        kind = value.__class__
        if kind is str or kind is int:
            text = known.get(value)
            if text is None:
                text = csv_field(value)
                if kind is int or len(value) <= _SHORT_TEXT:
                    known[value] = text
            return text
        return csv_field(value)

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(ANSWER_COLUMNS)
    answers = AnswerSet()
    store = answers.values
    for ret in result.returns:
        if ret.status in (STATUS_OLD, STATUS_OUT) or not ret.respondent_id:
            continue
        respondent_id = ret.respondent_id
        head = f"{field(respondent_id)},{field(ret.respondent)},"
        middle = f",{field(ret.file)},"
        status = field(ret.status)
        segments: Dict[Tuple[str, str], Tuple[str, str, str]] = {}
        lines: List[str] = []  # this return's: joined and written at once, never all returns' together
        append = lines.append
        for cell in ret.cells:
            raw = cell.raw
            if raw == "":
                continue
            sheet, name, value, item_id = cell.sheet, cell.field, cell.value, cell.item_id
            segment = segments.get((sheet, name))
            if segment is None:
                label = specs[sheet].column(name).label_for(years)
                segment = segments[(sheet, name)] = (
                    f"{head}{field(sheet)},", f",{field(name)},", f",{status},{field(label)},")
            # the cell reference (K26) is ours and never needs quoting or a guard
            append(f"{segment[0]}{field(item_id)}{segment[1]}{field(value)}{middle}{cell.cell}{segment[2]}"
                   f"{field(raw)}")
            store[(respondent_id, sheet, item_id, name)] = value
        if lines:
            buffer.write("\r\n".join(lines))
            buffer.write("\r\n")
            if answers.status.get(respondent_id) != NEEDS_FIX:
                answers.status[respondent_id] = NEEDS_FIX if ret.status == NEEDS_FIX else SUBMITTED
    data = csv_bytes(buffer.getvalue())
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    return answers


def collect(master: Master, sources: Sequence[Path], out_dir: Path,
            progress: Optional[Callable[[int, int], None]] = None, limits: Optional[Limits] = None) -> CollectResult:
    """The ``collect`` command: read every return and write all outputs into ``out_dir``.

    ``limits`` bounds what one return may use (size, cells); the default is the
    module constants of :mod:`welfare_workbook.collect`.
    """
    from .report import write_check_workbook, write_sendbacks
    from .summary import write_summary

    out_dir = Path(out_dir)
    with _LongLived() as phase:
        result = _read_all(master, sources, progress, limits, phase)
        answers = out_dir / ANSWERS_FILE
        answer_set = write_collected_answers(master, result, answers)
        checks = out_dir / CHECKS_FILE
        write_check_workbook(master, result, checks)
        sendback = out_dir / SENDBACK_DIR
        written = write_sendbacks(master, result, sendback)
        summary = write_summary(master, answer_set, out_dir, roster_status(result))
    result.outputs = {"answers": str(answers), "checks": str(checks), "sendback": str(sendback),
                      "summary": str(summary["summary"]), "indicators": str(summary["indicators"])}
    result.outputs.update({f"sendback:{rid}": str(p) for rid, p in written.items()})
    return result


__all__ = ["CollectResult", "RosterRow", "Limits", "collect", "read_all", "answer_rows", "write_answers",
           "STATUS_OK", "STATUS_FIX", "STATUS_OLD", "STATUS_OUT", "ERROR"]


# ---------------------------------------------------------------------------
# rollover: this year's answers become next year's 実績


@dataclass
class RolloverResult:
    next_year: int
    added: int
    replaced: int
    issues: List[Issue] = field(default_factory=list)
    output: Optional[Path] = None


def _raw_rows(sheet: Any) -> List[List[str]]:
    """A read master sheet back to rows (header first, the sheet's own column order)."""
    width = max(sheet.header.values(), default=0)
    names = [""] * width
    for name, index in sheet.header.items():
        names[index - 1] = name
    return [names] + [[row[i] if i < len(row) else "" for i in range(width)] for _, row in sheet.rows]


def _next_label(text: str, year: int) -> str:
    """Advance a year written as 令和6年度 / R6 / 2024(年度) to the next one, keeping its style."""
    from .wareki import fiscal_year_label, short_label

    replacements = [(fiscal_year_label(year), fiscal_year_label(year + 1)), (short_label(year), short_label(year + 1)),
                    (f"{year}", f"{year + 1}")]
    wide = str.maketrans("0123456789", "０１２３４５６７８９")  # 令和６年度 as often typed
    replacements += [(old.translate(wide), new.translate(wide)) for old, new in replacements]
    for old, new in replacements:
        if old in text:
            return text.replace(old, new)
    return text


def _next_deadline(text: str) -> str:
    from .wareki import parse_date

    day = parse_date(text)
    if day is None:
        return text
    try:
        return day.replace(year=day.year + 1).isoformat()
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28).isoformat()


RESULT_FIELDS = {
    ("取組状況", "value"): "値", ("取組状況", "content"): "取組内容", ("取組状況", "outcome"): "成果",
    ("取組状況", "challenge"): "課題", ("中間評価", "grade"): "評価", ("中間評価", "good"): "成果",
    ("中間評価", "issue"): "課題", ("今後の方向性", "direction"): "方向性", ("今後の方向性", "reason"): "理由",
}


def result_rows(year: int, answers: Sequence[Dict[str, Any]]) -> List[Dict[str, str]]:
    """answers.csv rows -> 実績 rows (one per indicator or 取組 and 課)."""
    merged: Dict[tuple, Dict[str, str]] = {}
    for answer in answers:
        sheet, name = str(answer["sheet"]), str(answer["field"])
        kind = "指標No" if sheet == "取組状況" else "取組No"
        key = (kind, int(str(answer["item_id"])), str(answer["respondent_id"]))
        row = merged.setdefault(key, {"年度": str(year), kind: str(key[1]), "課ID": key[2]})
        value = csv_text(answer["value"])
        if (sheet, name) in RESULT_FIELDS:
            column = RESULT_FIELDS[(sheet, name)]
            row[column] = f"{row[column]}\n{value}" if row.get(column) else value
        elif sheet == "その他の取組":
            text = f"●{value}" if name == "project" else value
            row["取組内容"] = f"{row['取組内容']}\n{text}" if row.get("取組内容") else text
    return list(merged.values())


def rollover(master_source: Path, answers_path: Path, out: Path, force: bool = False) -> RolloverResult:
    """Write next year's master: answers appended to 実績, 対象年度 and 提出期限 advanced.

    Refuses (an error issue, nothing written) while answers still have errors, unless ``force``.
    """
    from . import issues as iss
    from .master import MASTER_COLUMNS, load_master, read_raw, write_master_xlsx
    from .summary import NEEDS_FIX, REQUIRED_ANSWER_COLUMNS
    from .wareki import fiscal_year_label, parse_fiscal_year

    master, issues = load_master(master_source)
    if master is None:
        return RolloverResult(0, 0, 0, list(issues))
    year = master.settings.fiscal_year
    try:
        reader = csv.DictReader(io.StringIO(read_csv_text(Path(answers_path)), newline=""))
        missing = [c for c in REQUIRED_ANSWER_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"answers.csv の列 {', '.join(missing)} がありません")
        answers = read_answer_rows(reader)
    except (ValueError, OSError) as exc:
        return RolloverResult(year + 1, 0, 0, [iss.make("answers_unreadable", file=Path(answers_path).name,
                                                       detail=str(exc))])
    failing = sorted({a.get("respondent") or a["respondent_id"] for a in answers if a.get("status") == NEEDS_FIX})
    if failing and not force:
        return RolloverResult(year + 1, 0, 0, [iss.make("rollover_has_errors", file=Path(answers_path).name,
                                                       departments="、".join(failing))])
    raw = read_raw(master_source)
    order = list(MASTER_COLUMNS)  # 調査設定 first, as init-master writes it (a CSV folder reads in name order)
    rows = {name: _raw_rows(raw[name])
            for name in sorted(raw, key=lambda n: order.index(n) if n in order else len(order))}
    settings = rows["調査設定"]
    for row in settings[1:]:
        item = row[0] if row else ""
        if item in ("対象年度", "調査名") and len(row) > 1:
            row[1] = _next_label(row[1], year)
            if item == "対象年度" and parse_fiscal_year(row[1]) != year + 1:  # e.g. 平成31年度, Ｒ６
                row[1] = fiscal_year_label(year + 1)
        elif item == "提出期限" and len(row) > 1:
            row[1] = _next_deadline(row[1])
    results = rows["実績"]
    header = results[0]
    kept = [r for r in results[1:] if parse_fiscal_year(r[header.index("年度")]) != year]
    replaced = len(results) - 1 - len(kept)
    new = result_rows(year, answers)
    results[1:] = kept + [[r.get(column, "") for column in header] for r in new]
    write_master_xlsx(rows, Path(out))
    return RolloverResult(year + 1, len(new), replaced, [], Path(out))

